import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import {
  addCustom,
  addStep,
  addToValueMap,
  bindPath,
  fieldRef,
  moveStep,
  newStep,
  parse,
  removeStep,
  replaceStep,
  stepArgs,
  stepName,
  unbind,
} from "./mapping";
import type { MappingDoc } from "./mapping";

// The bundled default work-order mapping: the fixture every edit starts from.
const DEFAULT = readFileSync(new URL("../../mappings/corrigo/work_order.json", import.meta.url), "utf8");

function doc(text: string): MappingDoc {
  const parsed = parse(text);
  if (!parsed.ok) {
    throw new Error(parsed.error);
  }
  return parsed.doc;
}

const title = fieldRef("title");

describe("bindPath", () => {
  it("rebinds a field and keeps its steps and note", () => {
    const out = doc(bindPath(DEFAULT, fieldRef("status"), "$.Status.Id"));
    const before = doc(DEFAULT).fields.status;
    expect(out.fields.status?.path).toBe("$.Status.Id");
    expect(out.fields.status?.steps).toEqual(before?.steps);
    expect(out.fields.status?.note).toBe(before?.note);
  });

  it("binds an unbound field with the proposed steps", () => {
    const without = unbind(DEFAULT, fieldRef("code"));
    expect(doc(without).fields.code).toBeUndefined();
    const out = doc(bindPath(without, fieldRef("code"), "$.Number", ["trim"]));
    expect(out.fields.code).toEqual({ path: "$.Number", steps: ["trim"] });
  });

  it("leaves every other field as it was", () => {
    const before = doc(DEFAULT);
    const after = doc(bindPath(DEFAULT, title, "$.Number"));
    for (const name of Object.keys(before.fields).filter((n) => n !== "title")) {
      expect(after.fields[name]).toEqual(before.fields[name]);
    }
  });

  it("refuses to edit text that is not JSON", () => {
    expect(() => bindPath("{", title, "$.x")).toThrow(/cannot edit/);
  });
});

describe("steps", () => {
  it("adds, replaces, moves and removes steps", () => {
    let text = bindPath(DEFAULT, title, "$.Number", []);
    expect(doc(text).fields.title?.steps).toBeUndefined();
    text = addStep(text, title, "trim");
    text = addStep(text, title, { fn: "replace", from: "WO", to: "Work order " });
    expect(doc(text).fields.title?.steps?.map(stepName)).toEqual(["trim", "replace"]);
    text = moveStep(text, title, 1, -1);
    expect(doc(text).fields.title?.steps?.map(stepName)).toEqual(["replace", "trim"]);
    expect(moveStep(text, title, 0, -1)).toBe(text);
    text = replaceStep(text, title, 0, { fn: "replace", from: "WO", to: "#" });
    expect(stepArgs(doc(text).fields.title?.steps?.[0] ?? "trim")).toEqual({ from: "WO", to: "#" });
    text = removeStep(text, title, 0);
    text = removeStep(text, title, 0);
    expect(doc(text).fields.title?.steps).toBeUndefined();
  });

  it("builds a new step with every required argument", () => {
    const step = newStep({
      name: "map_values",
      doc: "",
      accepts: "",
      example: "",
      params: [
        { name: "map", kind: "object", required: true, doc: "" },
        { name: "default", kind: "any JSON value", required: false, doc: "" },
      ],
    });
    expect(step).toEqual({ fn: "map_values", map: {} });
    expect(newStep({ name: "trim", doc: "", accepts: "", example: "", params: [] })).toBe("trim");
  });
});

describe("value maps and custom fields", () => {
  it("adds unmapped source values to the field's value map", () => {
    const status = fieldRef("status");
    const out = doc(addToValueMap(DEFAULT, status, ["Unknown", "Completed"], "open"));
    const step = out.fields.status?.steps?.[0] as unknown as { map: Record<string, string> };
    expect(step.map.Unknown).toBe("open");
    expect(step.map.Completed).toBe("completed"); // an existing entry is not overwritten
    expect(() => addToValueMap(DEFAULT, fieldRef("code"), ["x"], "y")).toThrow(/no map_values/);
  });

  it("adds custom fields with valid names only", () => {
    const out = addCustom(DEFAULT, "timeZone2", "$.TimeZone");
    expect(doc(out).custom?.timeZone2).toEqual({ path: "$.TimeZone" });
    expect(() => addCustom(DEFAULT, "2bad", "$.x")).toThrow(/cannot start with a digit/);
    expect(() => addCustom(out, "timeZone2", "$.x")).toThrow(/named timeZone2 already/);
    const removed = unbind(out, fieldRef("custom.timeZone2"));
    expect(doc(removed).custom?.timeZone2).toBeUndefined();
  });
});
