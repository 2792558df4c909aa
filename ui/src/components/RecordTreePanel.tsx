// The selected record as a tree: each node's JSONPath, kind, value and fill rate across
// the held records. Nodes drag onto target fields (dnd-kit); the keyboard selects a node
// and binds it with the shortcut. Nodes with children collapse and expand (Left and Right,
// or a click on the triangle), as the WAI-ARIA tree pattern has it.

import { useState } from "react";
import { useDraggable } from "@dnd-kit/core";
import type { RecordTree, TreeNode } from "../bindings";
import { fillTone, percent, short } from "../format";
import { rovingTarget } from "../roving";
import { hasChildren, treeArrow, visibleNodes, type TreeMove } from "../tree";

interface Props {
  tree: RecordTree | null;
  selected: string | null;
  onSelect: (path: string) => void;
  filter: string;
  onFilter: (f: string) => void;
}

function Node({
  node,
  selected,
  tabStop,
  expanded,
  onSelect,
  onArrow,
  onToggle,
}: {
  node: TreeNode;
  selected: boolean;
  /** The tree's one Tab stop. */
  tabStop: boolean;
  /** Whether its children show; undefined for a node without children to show. */
  expanded?: boolean;
  onSelect: (p: string) => void;
  /** What Right or Left does here (none while filtering). */
  onArrow: (key: string, path: string) => TreeMove;
  onToggle: (path: string) => void;
}) {
  const { attributes, listeners, setNodeRef, isDragging } = useDraggable({
    id: `node:${node.path}`,
    data: { path: node.path, pattern: node.pattern },
  });
  return (
    <div
      ref={setNodeRef}
      {...listeners}
      {...attributes}
      tabIndex={tabStop ? 0 : -1}
      role="treeitem"
      aria-level={node.depth + 1}
      aria-selected={selected}
      aria-expanded={expanded}
      className={`node${selected ? " selected" : ""}${isDragging ? " dragging" : ""}${node.present ? "" : " absent"}`}
      data-testid="tree-node"
      data-path={node.path}
      title={`${node.path}\nacross records: ${node.pattern}\nfilled in ${percent(node.fillRate)}${
        node.samples.length > 0 ? `\nseen: ${node.samples.map((v) => short(v, 30)).join(", ")}` : ""
      }`}
      style={{ paddingLeft: 8 + node.depth * 14 }}
      onClick={() => onSelect(node.path)}
      onKeyDown={(e) => {
        if (e.key === "Enter") {
          onSelect(node.path);
        }
        // Arrows move through the tree (selection follows), except while a picked-up node
        // is being moved with them.
        const next = isDragging ? null : rovingTarget(e, "[role=treeitem]", "[role=tree]");
        if (next?.dataset.path) {
          e.preventDefault();
          onSelect(next.dataset.path);
          next.focus();
          return;
        }
        const move = isDragging || e.altKey || e.ctrlKey || e.metaKey ? null : onArrow(e.key, node.path);
        if (move) {
          e.preventDefault();
          if ("focus" in move) {
            onSelect(move.focus);
            e.currentTarget.parentElement
              ?.querySelector<HTMLElement>(`[role=treeitem][data-path="${CSS.escape(move.focus)}"]`)
              ?.focus();
          } else {
            onToggle(node.path);
          }
          return;
        }
        listeners?.onKeyDown?.(e);
      }}
    >
      <span className="name">
        <span
          className="twisty"
          aria-hidden="true"
          onClick={(e) => {
            if (expanded !== undefined) {
              e.stopPropagation();
              onToggle(node.path);
            }
          }}
        >
          {expanded === undefined ? "" : expanded ? "▾" : "▸"}
        </span>
        {node.name}
      </span>
      <span className={`kind kind-${node.kind}`}>{node.kind}</span>
      <span className="value">
        {!node.present
          ? `e.g. ${node.samples.map((v) => short(v, 16)).join(", ")}`
          : node.value === null
            ? node.children > 0
              ? `${node.children}`
              : ""
            : short(node.value, 40)}
      </span>
      <span className={`fill ${fillTone(node.fillRate)}`} aria-label={`filled in ${percent(node.fillRate)} of records`}>
        {percent(node.fillRate)}
      </span>
    </div>
  );
}

export function RecordTreePanel({ tree, selected, onSelect, filter, onFilter }: Props) {
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  // While filtering, every match shows: nothing is collapsed.
  const closed: ReadonlySet<string> = words.length > 0 ? new Set() : collapsed;
  const all = (tree?.nodes ?? []).filter((n) => n.depth > 0 && n.present);
  const opens = new Set(all.filter((_, at) => hasChildren(all, at)).map((n) => n.path));
  const shown = visibleNodes(all, closed);
  const toggle = (path: string) =>
    setCollapsed((c) => {
      const next = new Set(c);
      if (!next.delete(path)) {
        next.add(path);
      }
      return next;
    });
  const arrow = (key: string, path: string) => (words.length > 0 ? null : treeArrow(key, shown, path, closed));
  const expanded = (path: string) => (words.length === 0 && opens.has(path) ? !closed.has(path) : undefined);
  const matches = (n: TreeNode) =>
    words.every(
      (w) =>
        n.path.toLowerCase().includes(w) ||
        short(n.value ?? null)
          .toLowerCase()
          .includes(w),
    );
  const present = words.length > 0 ? all.filter(matches) : shown;
  const absent = (tree?.nodes ?? []).filter((n) => n.depth > 0 && !n.present && matches(n));
  const nodes = [...present, ...absent];
  const stop = nodes.some((n) => n.path === selected) ? selected : (present[0] ?? nodes[0])?.path;
  return (
    <section className="panel tree" aria-label="Source record">
      <header className="panel-head">
        <h2>Source record</h2>
        <span className="muted">{tree ? `#${tree.id} · fill over ${tree.records}` : ""}</span>
      </header>
      <input
        className="search"
        type="search"
        placeholder="Filter paths and values…"
        aria-label="Filter the source tree"
        value={filter}
        onChange={(e) => onFilter(e.target.value)}
      />
      <div className="list" role="tree" aria-label="Source fields">
        {present.map((n) => (
          <Node
            key={n.path}
            node={n}
            selected={n.path === selected}
            tabStop={n.path === stop}
            expanded={expanded(n.path)}
            onSelect={onSelect}
            onArrow={arrow}
            onToggle={toggle}
          />
        ))}
        {absent.length > 0 && (
          <div role="group" aria-label="In other records, not this one">
            <h3 className="absent-head" aria-hidden="true">
              In other records, not this one
            </h3>
            {absent.map((n) => (
              <Node
                key={n.path}
                node={n}
                selected={n.path === selected}
                tabStop={n.path === stop}
                onSelect={onSelect}
                onArrow={() => null}
                onToggle={() => undefined}
              />
            ))}
          </div>
        )}
      </div>
      {!tree && <p className="empty">Select a record.</p>}
      {tree && nodes.length === 0 && words.length > 0 && (
        <p className="empty" data-testid="tree-no-match">
          No path or value of record #{tree.id} matches “{filter}”.
        </p>
      )}
    </section>
  );
}
