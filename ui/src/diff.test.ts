import { describe, expect, it } from "vitest";
import { refine, structuralDiff } from "./diff";

describe("structural diff", () => {
  it("shows a value-map entry added as that entry, not the whole field twice", () => {
    const before = { path: "$.Priority.Id", steps: [{ fn: "map_values", map: { "1": "emergency", "2": "high" } }] };
    const after = {
      path: "$.Priority.Id",
      steps: [{ fn: "map_values", map: { "1": "emergency", "2": "high", "7": "low" } }],
    };
    expect(structuralDiff(before, after, "fields.priority")).toEqual([
      { kind: "added", at: 'fields.priority.steps[0].map["7"]', before: null, after: "low" },
    ]);
  });

  it("goes down to a step's argument and to a step added or removed", () => {
    const before = { path: "$.A", steps: ["trim", { fn: "truncate", max: 10 }] };
    const after = { path: "$.B", steps: ["trim", { fn: "truncate", max: 20 }, "upper"] };
    expect(structuralDiff(before, after, "fields.title")).toEqual([
      { kind: "changed", at: "fields.title.path", before: "$.A", after: "$.B" },
      { kind: "changed", at: "fields.title.steps[1].max", before: 10, after: 20 },
      { kind: "added", at: "fields.title.steps[2]", before: null, after: "upper" },
    ]);
    expect(structuralDiff(after, before, "f")).toContainEqual({
      kind: "removed",
      at: "f.steps[2]",
      before: "upper",
      after: null,
    });
  });

  it("reports a change of type as one row, and nothing for equal values", () => {
    expect(structuralDiff({ a: 1 }, { a: [1] })).toEqual([{ kind: "changed", at: "a", before: 1, after: [1] }]);
    expect(structuralDiff({ a: { b: [1, 2] } }, { a: { b: [1, 2] } })).toEqual([]);
  });

  it("keeps the service's added and removed fields whole", () => {
    const refined = refine([{ at: "fields.instructions", change: "added", before: null, after: { path: "$.X" } }]);
    expect(refined[0]?.rows).toEqual([
      { kind: "added", at: "fields.instructions", before: null, after: { path: "$.X" } },
    ]);
  });
});
