// The right-hand panels: the selected record's unified output, coverage over every held
// record (with one-click value-map fixes), and binding suggestions.

import { useState } from "react";
import type { CoverageReport, JsonValue, KeyCoverageInfo, Preview, Suggestion, TargetField } from "../bindings";
import { unpulledText } from "../coverage-note";
import { percent, short } from "../format";
import { CodedMessage } from "./CodedMessage";

export function PreviewPanel({
  preview,
  stale,
  ms,
  count,
}: {
  preview: Preview | null;
  /** The last preview of a mapping that loaded, while this one does not. */
  stale: Preview | null;
  ms: number | null;
  count: number;
}) {
  const errors = preview?.problems.filter((p) => p.severity === "error") ?? [];
  return (
    <section className="panel preview" aria-label="Preview">
      <header className="panel-head">
        <h2>Unified record</h2>
        <span className="muted" data-testid="preview-time" data-count={count} data-ms={ms ?? ""}>
          {preview
            ? `#${preview.recordId} · ${(preview.micros / 1000).toFixed(1)} ms in Rust${ms !== null ? `, ${ms.toFixed(0)} ms round trip` : ""}`
            : ""}
        </span>
      </header>
      {errors.length > 0 && (
        <ul className="problems" data-testid="problems">
          {errors.map((p, i) => (
            <li key={i}>
              <strong>{p.field ?? (p.line !== null ? `line ${p.line}` : "mapping")}</strong>
              {p.step !== null ? `, step ${p.step}` : ""}: <CodedMessage message={p.message} code={p.code} />
            </li>
          ))}
        </ul>
      )}
      {preview && !preview.taken && errors.length === 0 && (
        <p className="muted" data-testid="preview-skipped">
          Record #{preview.recordId} is skipped: the mapping's source filter does not take it. Pick another record, or
          change the filter.
        </p>
      )}
      <pre
        className="json"
        data-testid="preview-output"
        hidden={!preview?.output}
        tabIndex={0}
        aria-label="Unified record"
      >
        {preview?.output ? JSON.stringify(preview.output, null, 2) : ""}
      </pre>
      {stale?.output && (
        <div className="stale-preview" data-testid="preview-stale">
          <p className="muted">
            Stale: the last preview of a mapping that loaded. Fix the problems above to refresh it.
          </p>
          <pre className="json" data-testid="preview-stale-output" tabIndex={0} aria-label="Stale unified record">
            {JSON.stringify(stale.output, null, 2)}
          </pre>
        </div>
      )}
      {preview?.fields
        .filter((f) => f.outcome === "error")
        .map((f) => (
          <p key={f.field} className="error-text">
            {f.field}
            {f.step !== null ? ` (step ${f.step})` : ""}: <CodedMessage message={f.error ?? ""} code={f.code} />
          </p>
        ))}
    </section>
  );
}

interface CoverageProps {
  report: CoverageReport | null;
  /** Why `report` is not coverage of the mapping as it is now, if it is not. */
  stale: string | null;
  progress: { done: number; of: number } | null;
  running: boolean;
  onRun: () => void;
  onCancel: () => void;
  fields: TargetField[];
  onAddToMap: (field: string, values: string[], to: JsonValue) => void;
  onSelect: (field: string) => void;
}

function UnmappedFix({
  field,
  values,
  target,
  onAdd,
}: {
  field: string;
  values: string[];
  target: TargetField | undefined;
  onAdd: CoverageProps["onAddToMap"];
}) {
  const choices = target?.enumValues.map((v) => v.name) ?? [];
  // No target is proposed: the user picks one, so one click never maps a value wrongly.
  const [to, setTo] = useState("");
  const label = `Map the unmapped values of ${field} to`;
  return (
    <span className="fix">
      {choices.length > 0 ? (
        <select aria-label={label} value={to} onChange={(e) => setTo(e.target.value)} data-testid="unmapped-target">
          <option value="" disabled>
            choose a value…
          </option>
          {choices.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      ) : (
        <input
          aria-label={label}
          placeholder="the value to map to"
          value={to}
          onChange={(e) => setTo(e.target.value)}
          data-testid="unmapped-target"
        />
      )}
      <button
        type="button"
        data-testid="add-unmapped"
        disabled={to.trim() === ""}
        title={to.trim() === "" ? "Choose the value to map to first" : undefined}
        onClick={() => onAdd(field, values, to)}
      >
        Add {values.length === 1 ? "it" : `all ${values.length}`} to the map
      </button>
    </span>
  );
}

export function CoveragePanel({
  report,
  stale,
  progress,
  running,
  onRun,
  onCancel,
  fields,
  onAddToMap,
  onSelect,
}: CoverageProps) {
  const of = report?.records ?? 0;
  const counts = report
    ? `${report.records} records${report.skipped ? `, ${report.skipped} skipped by the filter` : ""}, ${report.recordsWithErrors} with errors`
    : "";
  const time = report ? ` · ${report.millis} ms` : "";
  return (
    <section className="panel coverage" aria-label="Coverage">
      <header className="panel-head">
        <h2>Coverage</h2>
        {/* One line, cut in a narrow pane (the time is left out there): the title has it whole. */}
        <span className="muted" data-testid="coverage-summary" title={counts + time}>
          {counts}
          <span className="coverage-time">{time}</span>
        </span>
        {stale && (
          <span className="stale-note" data-testid="coverage-stale" role="status">
            Stale: {stale}
          </span>
        )}
        {running ? (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        ) : (
          <button type="button" onClick={onRun} data-testid="run-coverage">
            Run
          </button>
        )}
      </header>
      {/* The heading stays in view: only what is under it scrolls (a value-map fix scrolls the
          table to the fix, and the coverage it re-runs is read from the heading). */}
      <div className="coverage-body">
        {running && progress && <progress max={progress.of} value={progress.done} aria-label="Coverage progress" />}
        {report && report.unpulled.length > 0 && (
          <p className="warn" data-testid="coverage-unpulled">
            {unpulledText(report)}
          </p>
        )}
        {report && (
          // The roles are said outright: in a narrow pane the rows are laid out as grids (top
          // values on a line of their own), and WebKit drops a table's roles when its rows
          // are not displayed as table rows.
          <table className="coverage-table" data-testid="coverage-table" role="table">
            <thead role="rowgroup">
              <tr role="row">
                <th role="columnheader">field</th>
                <th role="columnheader">filled</th>
                <th role="columnheader">null</th>
                <th role="columnheader">error</th>
                <th role="columnheader">top values</th>
              </tr>
            </thead>
            <tbody role="rowgroup">
              {report.fields.map((f) => (
                <tr
                  key={f.field}
                  role="row"
                  className={f.error > 0 ? "error" : f.required && f.null > 0 ? "warn" : ""}
                  data-field={f.field}
                >
                  <td role="cell">
                    <button type="button" className="link" onClick={() => onSelect(f.field)}>
                      {f.field}
                    </button>
                    {f.required ? " *" : ""}
                  </td>
                  <td role="cell">{of ? percent(f.filled / of) : "–"}</td>
                  <td role="cell">{f.null}</td>
                  <td role="cell">{f.error}</td>
                  <td role="cell" className="values">
                    {f.topValues
                      .slice(0, 3)
                      .map((v) => `${short(v.value, 24)} ×${v.count}`)
                      .join(", ")}
                    <KeyBadge keyCoverage={report.keys.find((k) => k.field === f.field)} />
                    {f.unmapped.length > 0 && (
                      <div className="unmapped" data-testid="unmapped">
                        unmapped: {f.unmapped.map((u) => `${short(u.value, 24)} ×${u.count}`).join(", ")}
                        <UnmappedFix
                          field={f.field}
                          values={f.unmapped.map((u) =>
                            typeof u.value === "string" ? u.value : JSON.stringify(u.value),
                          )}
                          target={fields.find((t) => t.name === f.field)}
                          onAdd={onAddToMap}
                        />
                      </div>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </section>
  );
}

/** How many of a key field's values name a record the target entity's mapping produces. */
function KeyBadge({ keyCoverage: k }: { keyCoverage: KeyCoverageInfo | undefined }) {
  if (!k) return null;
  if (!k.checked) {
    return (
      <div className="muted" data-testid="key-coverage">
        → {k.target}: not checked (no {k.target} records held)
      </div>
    );
  }
  const examples = k.danglingExamples.map((d) => `${short(d.value, 16)} ×${d.count}`).join(", ");
  return (
    <div className={k.dangling > 0 ? "unmapped" : "muted"} data-testid="key-coverage">
      → {k.target}: {k.values ? percent(k.resolved / k.values) : "–"} resolved
      {k.dangling > 0 ? `, ${k.dangling} dangling (${examples})` : ""}
    </div>
  );
}

export function SuggestionsPanel({
  suggestions,
  onAccept,
}: {
  suggestions: Suggestion[];
  onAccept: (field: string, path: string, steps: string[]) => void;
}) {
  const [dismissed, setDismissed] = useState<Set<string>>(new Set());
  const shown = suggestions
    .map((s) => ({ ...s, bindings: s.bindings.filter((p) => !dismissed.has(`${s.field} ${p.path}`)) }))
    .filter((s) => s.bindings.length > 0);
  return (
    <section className="panel suggestions" aria-label="Suggestions">
      <header className="panel-head">
        <h2>Suggestions</h2>
        <span className="muted">{shown.length} unbound fields with suggestions</span>
      </header>
      {shown.map((s) => (
        <div key={s.field} className="suggestion" data-testid="suggestion" data-field={s.field}>
          <strong>{s.field}</strong>
          {s.bindings.map((p) => (
            <div key={p.path} className="suggested-binding">
              <code>{p.path}</code>
              {p.steps.length > 0 && <span className="steps">→ {p.steps.join(" → ")}</span>}
              <span className="score" title={p.reason}>
                {percent(p.score)}
              </span>
              <button type="button" onClick={() => onAccept(s.field, p.path, p.steps)} data-testid="accept-suggestion">
                Accept
              </button>
              <button
                type="button"
                aria-label={`Dismiss ${p.path} for ${s.field}`}
                onClick={() => setDismissed(new Set(dismissed).add(`${s.field} ${p.path}`))}
              >
                Dismiss
              </button>
              <p className="muted reason">{p.reason}</p>
            </div>
          ))}
        </div>
      ))}
    </section>
  );
}
