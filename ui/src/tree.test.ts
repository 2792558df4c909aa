import { describe, expect, it } from "vitest";
import type { TreeNode } from "./bindings";
import { hasChildren, treeArrow, visibleNodes } from "./tree";

const node = (path: string, depth: number, children = 0): TreeNode => ({
  path,
  pattern: path,
  name: path,
  depth,
  kind: children > 0 ? "object" : "string",
  value: children > 0 ? null : "v",
  children,
  fillRate: 1,
  samples: [],
  present: true,
});

// $ (root, not shown) > Id, Items > [0] > Asset > Id, Number
const nodes = [
  node("$.Id", 1),
  node("$.Items", 1, 1),
  node("$.Items[0]", 2, 1),
  node("$.Items[0].Asset", 3, 1),
  node("$.Items[0].Asset.Id", 4),
  node("$.Number", 1),
];
const paths = (n: TreeNode[]) => n.map((x) => x.path);

describe("the source tree collapses and expands", () => {
  it("knows which nodes have children listed", () => {
    expect(nodes.map((_, at) => hasChildren(nodes, at))).toEqual([false, true, true, true, false, false]);
  });
  it("hides a collapsed node's descendants and nothing else", () => {
    expect(paths(visibleNodes(nodes, new Set()))).toEqual(paths(nodes));
    expect(paths(visibleNodes(nodes, new Set(["$.Items[0]"])))).toEqual(["$.Id", "$.Items", "$.Items[0]", "$.Number"]);
    // A collapsed node inside a collapsed node stays collapsed when its parent opens.
    const both = new Set(["$.Items", "$.Items[0].Asset"]);
    expect(paths(visibleNodes(nodes, both))).toEqual(["$.Id", "$.Items", "$.Number"]);
    both.delete("$.Items");
    expect(paths(visibleNodes(nodes, both))).toEqual(["$.Id", "$.Items", "$.Items[0]", "$.Items[0].Asset", "$.Number"]);
  });
});

describe("Right and Left follow the WAI-ARIA tree pattern", () => {
  const none = new Set<string>();
  it("Right on an expanded node moves to its first child; on a collapsed one expands it", () => {
    expect(treeArrow("ArrowRight", nodes, "$.Items", none)).toEqual({ focus: "$.Items[0]" });
    const closed = new Set(["$.Items"]);
    expect(treeArrow("ArrowRight", visibleNodes(nodes, closed), "$.Items", closed)).toEqual({ expand: "$.Items" });
  });
  it("Right on a leaf does nothing", () => {
    expect(treeArrow("ArrowRight", nodes, "$.Id", none)).toBeNull();
    expect(treeArrow("ArrowRight", nodes, "$.Items[0].Asset.Id", none)).toBeNull();
  });
  it("Left on an expanded node collapses it; on a leaf or a collapsed node moves to the parent", () => {
    expect(treeArrow("ArrowLeft", nodes, "$.Items[0]", none)).toEqual({ collapse: "$.Items[0]" });
    expect(treeArrow("ArrowLeft", nodes, "$.Items[0].Asset.Id", none)).toEqual({ focus: "$.Items[0].Asset" });
    const closed = new Set(["$.Items[0].Asset"]);
    expect(treeArrow("ArrowLeft", visibleNodes(nodes, closed), "$.Items[0].Asset", closed)).toEqual({
      focus: "$.Items[0]",
    });
  });
  it("Left on a top-level leaf has no parent to go to (the root is not shown)", () => {
    expect(treeArrow("ArrowLeft", nodes, "$.Number", none)).toBeNull();
    expect(treeArrow("ArrowDown", nodes, "$.Items", none)).toBeNull();
  });
});
