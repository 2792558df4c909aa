import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CUSTOM_NAME_PATTERN, checkCustomName } from "./custom-name";

const MODEL = ["key", "status", "title"];

describe("checkCustomName", () => {
  it("says nothing about an empty or blank box", () => {
    expect(checkCustomName("", [], MODEL)).toEqual({ kind: "empty" });
    expect(checkCustomName("   ", [], MODEL)).toEqual({ kind: "empty" });
  });

  it("takes identifiers, trimmed as Add trims them", () => {
    expect(checkCustomName("timeZone", [], MODEL)).toEqual({ kind: "ok", name: "timeZone", warning: null });
    expect(checkCustomName("  _corrigo2 ", [], MODEL)).toEqual({ kind: "ok", name: "_corrigo2", warning: null });
    expect(checkCustomName("A", [], MODEL)).toEqual({ kind: "ok", name: "A", warning: null });
  });

  it("refuses a leading digit with a sentence that says so", () => {
    expect(checkCustomName("1st_visit", [], MODEL)).toEqual({
      kind: "refused",
      error: "A custom field name cannot start with a digit",
    });
  });

  it("names the first character the rule refuses", () => {
    expect(checkCustomName("time-zone", [], MODEL)).toEqual({
      kind: "refused",
      error: "A custom field name is letters, digits and _ only: “-” is not allowed",
    });
    expect(checkCustomName("time zone", [], MODEL)).toEqual({
      kind: "refused",
      error: "A custom field name is letters, digits and _ only: a space is not allowed",
    });
    expect(checkCustomName("a.b", [], MODEL)).toMatchObject({ kind: "refused", error: expect.stringContaining("“.”") });
    // The rule is ASCII: a letter outside it is refused and named.
    expect(checkCustomName("zeitZoneÄ", [], MODEL)).toMatchObject({
      kind: "refused",
      error: expect.stringContaining("“Ä”"),
    });
  });

  it("refuses a name the mapping has already, exactly", () => {
    expect(checkCustomName("timeZone", ["timeZone"], MODEL)).toEqual({
      kind: "refused",
      error: "There is a custom field named timeZone already",
    });
    // JSON member names are case-sensitive: another case is another field.
    expect(checkCustomName("timezone", ["timeZone"], MODEL)).toMatchObject({ kind: "ok" });
  });

  it("takes a model field's name with the engine's warning, case-sensitively as the engine compares", () => {
    const shadow = checkCustomName("status", [], MODEL);
    expect(shadow).toMatchObject({ kind: "ok", name: "status" });
    expect(shadow.kind === "ok" && shadow.warning).toMatch(/^status is a model field already/);
    expect(checkCustomName("Status", [], MODEL)).toEqual({ kind: "ok", name: "Status", warning: null });
  });

  it("is the engine's rule: the pattern the engine writes into the mapping schema", () => {
    const schema = JSON.parse(
      readFileSync(new URL("../../mappings/schema/mapping.schema.json", import.meta.url), "utf8"),
    ) as { properties: { custom: { propertyNames: { pattern: string } } } };
    expect(CUSTOM_NAME_PATTERN).toBe(schema.properties.custom.propertyNames.pattern);
  });

  it("refuses what the engine refuses (invalid_custom_name) and takes what it takes", () => {
    // The engine's table in crates/engine/tests/custom_names.rs, less the empty name
    // (the canvas says nothing about an empty box, and Add stays off).
    for (const refused of [
      "1st visit",
      "9",
      "first visit",
      "a.b",
      "a:b",
      "time-zone",
      "a,b",
      "x[0]",
      "zoné",
      'say"hi"',
    ]) {
      expect(checkCustomName(refused, [], MODEL), refused).toMatchObject({ kind: "refused" });
    }
    for (const taken of ["timeZone", "_", "_private", "a1", "A_B_9", "x", "corrigoTimeZone", "ZONE2"]) {
      expect(checkCustomName(taken, [], MODEL), taken).toMatchObject({ kind: "ok", name: taken });
    }
  });
});
