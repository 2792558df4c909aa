import { describe, expect, it } from "vitest";
import { checkCustomName } from "./custom-name";

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
});
