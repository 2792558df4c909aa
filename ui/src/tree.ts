// The source tree's disclosure, as the WAI-ARIA tree pattern has it: nodes arrive flat, in
// document order with their depth, so a node's descendants are the deeper nodes right
// after it.

import type { TreeNode } from "./bindings";

/** Whether the node at `at` has its children listed right after it. */
export function hasChildren(nodes: readonly TreeNode[], at: number): boolean {
  const [node, next] = [nodes[at], nodes[at + 1]];
  return node !== undefined && next !== undefined && next.depth > node.depth;
}

/** The nodes left to show when the nodes whose paths are in `collapsed` hide their descendants. */
export function visibleNodes(nodes: readonly TreeNode[], collapsed: ReadonlySet<string>): TreeNode[] {
  const shown: TreeNode[] = [];
  let hiddenBelow: number | null = null;
  for (const node of nodes) {
    if (hiddenBelow !== null && node.depth > hiddenBelow) {
      continue;
    }
    hiddenBelow = collapsed.has(node.path) ? node.depth : null;
    shown.push(node);
  }
  return shown;
}

export type TreeMove = { expand: string } | { collapse: string } | { focus: string } | null;

/**
 * What Right or Left does on the node at `path` among the `shown` nodes: Right expands a
 * collapsed node or moves to its first child; Left collapses an expanded node or moves to
 * its parent. Null for other keys and where there is nowhere to go.
 */
export function treeArrow(
  key: string,
  shown: readonly TreeNode[],
  path: string,
  collapsed: ReadonlySet<string>,
): TreeMove {
  const at = shown.findIndex((n) => n.path === path);
  const node = shown[at];
  if (node === undefined || (key !== "ArrowRight" && key !== "ArrowLeft")) {
    return null;
  }
  // Only nodes with children can be collapsed, so a collapsed node opens.
  const isClosed = collapsed.has(path);
  const opens = isClosed || hasChildren(shown, at);
  if (key === "ArrowRight") {
    if (!opens) {
      return null;
    }
    const child = shown[at + 1];
    return isClosed || child === undefined ? { expand: path } : { focus: child.path };
  }
  if (opens && !isClosed) {
    return { collapse: path };
  }
  const parent = shown
    .slice(0, at)
    .reverse()
    .find((n) => n.depth < node.depth);
  return parent && parent.depth > 0 ? { focus: parent.path } : null;
}
