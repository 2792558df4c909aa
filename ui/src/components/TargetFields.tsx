// The unified model's fields for the mapping's target entity (and its custom fields):
// type, required, description, current binding, preview outcome and coverage badge.
// Each row is a drop target for source nodes.

import { useEffect, useRef } from "react";
import { useDroppable } from "@dnd-kit/core";
import type { FieldCoverageInfo, FieldResult, TargetField } from "../bindings";
import { fillTone, percent } from "../format";
import { replaces } from "../drop-targets";
import { binding, bindingSource, fieldRef, stepName, type MappingDoc } from "../mapping";
import { rovingTarget } from "../roving";

interface Row {
  label: string;
  field: TargetField | null;
}

interface Props {
  doc: MappingDoc | null;
  /** `doc` is the last mapping that could be read, not the text as it is now. */
  stale?: boolean;
  fields: TargetField[];
  selected: string | null;
  onSelect: (label: string) => void;
  results: FieldResult[];
  coverage: FieldCoverageInfo[];
  coverageOf: number;
}

function FieldRow({
  row,
  doc,
  selected,
  tabStop,
  onSelect,
  result,
  coverage,
  coverageOf,
}: {
  row: Row;
  doc: MappingDoc | null;
  selected: boolean;
  /** The grid's one Tab stop. */
  tabStop: boolean;
  onSelect: (label: string) => void;
  result: FieldResult | undefined;
  coverage: FieldCoverageInfo | undefined;
  coverageOf: number;
}) {
  const { setNodeRef, isOver, active } = useDroppable({ id: `field:${row.label}`, data: { label: row.label } });
  const b = doc ? binding(doc, fieldRef(row.label)) : undefined;
  const source = b ? bindingSource(b) : "";
  const steps = (b?.steps ?? []).map(stepName);
  // A drop here replaces the field's binding: said on the row while the source is over it.
  const dragged = (active?.data.current as { path?: string } | undefined)?.path;
  const replacing =
    isOver && dragged !== undefined && replaces(b ? { source, required: row.field?.required ?? false } : null, dragged);
  const share = coverage && coverageOf > 0 ? coverage.filled / coverageOf : null;
  return (
    <div
      ref={setNodeRef}
      role="row"
      aria-selected={selected}
      tabIndex={tabStop ? 0 : -1}
      className={`field${selected ? " selected" : ""}${isOver ? " over" : ""}${replacing ? " replacing" : ""}${b ? "" : " unbound"}`}
      data-testid="target-field"
      data-field={row.label}
      onClick={() => onSelect(row.label)}
      onKeyDown={(e) => {
        const next = rovingTarget(e, "[role=row]", "[role=grid]");
        if (next?.dataset.field) {
          e.preventDefault();
          onSelect(next.dataset.field);
          next.focus();
        } else if (e.key === "Enter" || e.key === " ") {
          e.preventDefault();
          onSelect(row.label);
        }
      }}
    >
      <div className="field-name" role="gridcell">
        <span className="name">{row.label}</span>
        {row.field?.required && (
          <span className="required" title="Required">
            *
          </span>
        )}
        <span className="type">{row.field?.type ?? "custom"}</span>
      </div>
      {/* The whole chain in the title: a narrow column cuts the path and the steps. */}
      <div
        className="binding"
        role="gridcell"
        data-testid="binding"
        title={b ? [source, ...steps].join(" → ") : undefined}
      >
        {b ? (
          <>
            <code>{source}</code>
            {steps.length > 0 && <span className="steps">→ {steps.join(" → ")}</span>}
            {replacing && (
              <span className="replaces" data-testid="drop-replaces">
                {" "}
                — a drop replaces it
              </span>
            )}
          </>
        ) : (
          <span className="muted">drop a source field here</span>
        )}
      </div>
      <div className="badges" role="gridcell">
        {result && (
          <span className={`outcome ${result.outcome}`} title={result.error ?? result.outcome}>
            {result.outcome === "filled" ? "✓" : result.outcome === "error" ? "✗" : "∅"}
          </span>
        )}
        {share !== null && (
          <span
            className={`fill ${coverage && coverage.error > 0 ? "poor" : fillTone(share)}`}
            data-testid="coverage-badge"
            title={`${coverage?.filled} filled, ${coverage?.null} null, ${coverage?.error} errors of ${coverageOf}`}
          >
            {percent(share)}
          </span>
        )}
      </div>
    </div>
  );
}

export function TargetFields({ doc, stale, fields, selected, onSelect, results, coverage, coverageOf }: Props) {
  const rows: Row[] = fields.map((f) => ({ label: f.name, field: f }));
  for (const name of Object.keys(doc?.custom ?? {})) {
    rows.push({ label: `custom.${name}`, field: null });
  }
  const stop = rows.some((r) => r.label === selected) ? selected : rows[0]?.label;
  // The list shows the selected field, however it was selected (a shortcut, an error).
  const grid = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (selected) {
      grid.current?.querySelector(`[data-field="${CSS.escape(selected)}"]`)?.scrollIntoView({ block: "nearest" });
    }
  }, [selected]);
  return (
    <div
      ref={grid}
      className={stale ? "fields stale" : "fields"}
      role="grid"
      aria-label={stale ? "Unified fields (the last bindings that could be read)" : "Unified fields"}
      data-stale={stale ? "true" : undefined}
    >
      {rows.map((row) => (
        <FieldRow
          key={row.label}
          row={row}
          doc={doc}
          selected={row.label === selected}
          tabStop={row.label === stop}
          onSelect={onSelect}
          result={results.find((r) => r.field === row.label)}
          coverage={coverage.find((c) => c.field === row.label)}
          coverageOf={coverageOf}
        />
      ))}
    </div>
  );
}
