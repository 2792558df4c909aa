// The selected record as a tree: each node's JSONPath, kind, value and fill rate across
// the held records. Nodes drag onto target fields (dnd-kit); the keyboard selects a node
// and binds it with the shortcut.

import { useDraggable } from "@dnd-kit/core";
import type { RecordTree, TreeNode } from "../bindings";
import { fillTone, percent, short } from "../format";
import { rovingTarget } from "../roving";

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
  onSelect,
}: {
  node: TreeNode;
  selected: boolean;
  /** The tree's one Tab stop. */
  tabStop: boolean;
  onSelect: (p: string) => void;
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
        listeners?.onKeyDown?.(e);
      }}
    >
      <span className="name">{node.name}</span>
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
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  const nodes = (tree?.nodes ?? []).filter(
    (n) =>
      n.depth > 0 &&
      words.every(
        (w) =>
          n.path.toLowerCase().includes(w) ||
          short(n.value ?? null)
            .toLowerCase()
            .includes(w),
      ),
  );
  const present = nodes.filter((n) => n.present);
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
        {nodes
          .filter((n) => n.present)
          .map((n) => (
            <Node key={n.path} node={n} selected={n.path === selected} tabStop={n.path === stop} onSelect={onSelect} />
          ))}
        {nodes.some((n) => !n.present) && (
          <div role="group" aria-label="In other records, not this one">
            <h3 className="absent-head" aria-hidden="true">
              In other records, not this one
            </h3>
            {nodes
              .filter((n) => !n.present)
              .map((n) => (
                <Node
                  key={n.path}
                  node={n}
                  selected={n.path === selected}
                  tabStop={n.path === stop}
                  onSelect={onSelect}
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
