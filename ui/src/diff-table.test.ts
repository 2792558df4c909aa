import { describe, expect, it } from "vitest";
import { diffTable, pathParts } from "./diff-table";

describe("a diff as one table's rows", () => {
  it("puts a removed value under before and an added one under after, the missing side null", () => {
    const groups = diffTable([
      { at: "custom.fromElsewhere", change: "removed", before: { const: "x" }, after: null },
      { at: "custom.e2ePushed", change: "added", before: null, after: { path: "$.WorkOrderCost" } },
    ]);
    expect(groups.map((g) => g.rows)).toEqual([
      [
        {
          kind: "removed",
          at: "custom.fromElsewhere",
          atParts: ["custom.", "fromElsewhere"],
          before: { text: '{"const":"x"}', title: '{\n  "const": "x"\n}' },
          after: null,
        },
      ],
      [
        {
          kind: "added",
          at: "custom.e2ePushed",
          atParts: ["custom.", "e2ePushed"],
          before: null,
          after: { text: '{"path":"$.WorkOrderCost"}', title: '{\n  "path": "$.WorkOrderCost"\n}' },
        },
      ],
    ]);
  });

  it("shows a JSON null that changed as null, not as a missing side", () => {
    const [group] = diffTable([
      {
        at: "fields.title",
        change: "changed",
        before: { path: "$.A", default: null },
        after: { path: "$.A", default: "x" },
      },
    ]);
    expect(group?.rows).toEqual([
      {
        kind: "changed",
        at: "fields.title.default",
        atParts: ["fields.", "title.", "default"],
        before: { text: "null", title: "null" },
        after: { text: '"x"', title: '"x"' },
      },
    ]);
  });

  it("refines a changed field: an entry added inside it has no before", () => {
    const [group] = diffTable([
      {
        at: "fields.priority",
        change: "changed",
        before: { steps: [{ fn: "map_values", map: { "1": "high" } }] },
        after: { steps: [{ fn: "map_values", map: { "1": "high", "7": "low" } }] },
      },
    ]);
    expect(group?.change.at).toBe("fields.priority");
    expect(group?.rows.map((r) => [r.kind, r.at, r.before, r.after?.text])).toEqual([
      ["added", 'fields.priority.steps[0].map["7"]', null, '"low"'],
    ]);
  });

  it("cuts a long value to one line and keeps all of it in the title", () => {
    const long = "x".repeat(300);
    const [group] = diffTable([{ at: "fields.note", change: "added", before: null, after: { const: long } }], 40);
    const after = group?.rows[0]?.after;
    expect(after?.text).toHaveLength(40);
    expect(after?.text.endsWith("…")).toBe(true);
    expect(after?.title).toContain(long);
  });
});

describe("a path breaks between its parts, never inside a name", () => {
  it("after each dot and before each bracket", () => {
    expect(pathParts('fields.priority.steps[0].map["7"]')).toEqual([
      "fields.",
      "priority.",
      "steps",
      "[0].",
      "map",
      '["7"]',
    ]);
    expect(pathParts("target")).toEqual(["target"]);
    expect(pathParts("")).toEqual([]);
  });

  it("loses nothing: the parts joined are the path", () => {
    for (const at of ['a["x.y"][2].b', "custom.e2ePushed", '["weird key"]']) {
      expect(pathParts(at).join("")).toBe(at);
    }
  });
});
