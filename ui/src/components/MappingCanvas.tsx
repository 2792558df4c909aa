// The middle: the unified model's fields (drop targets) with the selected field's editor,
// or the mapping's JSON.

import { useState, type RefObject } from "react";
import type { Preview, TargetField, TransformInfo, ExplainInfo, CoverageReport } from "../bindings";
import type { MappingText } from "../hooks/useMappingText";
import type { PaneSizing } from "../hooks/usePaneSizes";
import { checkCustomName, type CustomNameCheck } from "../custom-name";
import { addCustom } from "../mapping";
import { CodeEditor } from "./CodeEditor";
import { FieldEditor } from "./FieldEditor";
import { Splitter } from "./Splitter";
import { TargetFields } from "./TargetFields";

interface Props {
  mapping: MappingText;
  view: "canvas" | "json";
  onView: (view: "canvas" | "json") => void;
  heading: string;
  fields: TargetField[];
  selected: string | null;
  onSelect: (field: string) => void;
  selectedNode: string | null;
  preview: Preview | null;
  coverage: CoverageReport | null;
  explain: ExplainInfo | null;
  transforms: TransformInfo[];
  addStepRef: RefObject<HTMLSelectElement | null>;
  onError: (message: string) => void;
  /** The splitters on this column's edges and above the field editor. */
  panes: PaneSizing;
}

export function MappingCanvas(p: Props) {
  const { mapping, view, onView, selected } = p;
  const [customName, setCustomName] = useState("");
  const { doc, text, parsed } = mapping;
  // The loader's own account of broken JSON (line and column), rather than the webview's.
  const loaderError = p.preview?.problems.find((e) => e.code === "invalid_json" && e.line !== null);
  const jsonError = loaderError
    ? `line ${loaderError.line}${loaderError.column !== null ? `, column ${loaderError.column}` : ""}: ${loaderError.message}`
    : null;
  const tab = (which: "canvas" | "json", label: string, testId?: string) => (
    <button
      type="button"
      role="tab"
      aria-selected={view === which}
      className={view === which ? "tab active" : "tab"}
      onClick={() => onView(which)}
      data-testid={testId}
    >
      {label}
    </button>
  );
  // The name is checked as it is typed, beside the box; Add is off while it is refused, so
  // a refused name never reaches a toast (Enter in the box adds nothing either).
  const nameCheck = checkCustomName(
    customName,
    Object.keys(doc?.custom ?? {}),
    p.fields.map((f) => f.name),
  );
  const addCustomField = () => {
    if (nameCheck.kind !== "ok" || !doc) {
      return;
    }
    try {
      mapping.editCanonical(addCustom(text, nameCheck.name, p.selectedNode ?? "$.Id"));
      p.onSelect(`custom.${nameCheck.name}`);
      setCustomName("");
    } catch (err) {
      // Not the name (checked above): the edit itself failed.
      p.onError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <main className="center">
      <Splitter pane="left" sizing={p.panes} />
      <Splitter pane="right" sizing={p.panes} />
      <div className="view-tabs" role="tablist">
        {tab("canvas", "Canvas")}
        {tab("json", "Mapping JSON", "view-json")}
        <span className="muted" title={p.heading}>
          {p.heading}
        </span>
      </div>
      {!parsed.ok && (
        <p className="error-text banner" role="alert" data-testid="invalid-json-banner">
          The mapping is not valid JSON: {jsonError ?? parsed.error}.{" "}
          {view === "json" ? (
            "Its line is marked below."
          ) : (
            <>
              The fields show the last bindings that could be read.{" "}
              <button type="button" className="link" onClick={() => onView("json")}>
                Fix it in Mapping JSON
              </button>
            </>
          )}
        </p>
      )}
      {view === "json" ? (
        <CodeEditor
          label="Mapping JSON"
          value={text}
          problems={p.preview?.problems ?? []}
          onChange={(t) => mapping.edit(t, "json")}
          testId="mapping-json"
        />
      ) : (
        <div className="canvas">
          <TargetFields
            doc={mapping.lastGoodDoc}
            stale={!parsed.ok}
            fields={p.fields}
            selected={selected}
            onSelect={p.onSelect}
            results={p.preview?.fields ?? []}
            coverage={p.coverage?.fields ?? []}
            coverageOf={p.coverage?.records ?? 0}
          />
          <AddCustomField
            name={customName}
            check={nameCheck}
            canAdd={doc !== null}
            onName={setCustomName}
            onAdd={addCustomField}
          />
          {doc && selected && <Splitter pane="editor" sizing={p.panes} />}
          {doc && selected && (
            <FieldEditor
              label={selected}
              field={p.fields.find((f) => f.name === selected) ?? null}
              doc={doc}
              text={text}
              transforms={p.transforms}
              problems={p.preview?.problems ?? []}
              explain={p.explain}
              onEdit={(t, group) => (group ? mapping.edit(t, group) : mapping.editCanonical(t))}
              addStepRef={p.addStepRef}
            />
          )}
        </div>
      )}
    </main>
  );
}

/**
 * The box for a new custom field's name, with what is wrong with the name right under it
 * (tied to the box by aria-describedby) and Add off while the name is refused.
 */
export function AddCustomField(p: {
  name: string;
  check: CustomNameCheck;
  /** False while there is no mapping document to add to. */
  canAdd: boolean;
  onName: (name: string) => void;
  onAdd: () => void;
}) {
  const { check } = p;
  const note = check.kind === "refused" ? check.error : check.kind === "ok" ? check.warning : null;
  return (
    <>
      <form
        className="add-custom"
        onSubmit={(e) => {
          e.preventDefault();
          p.onAdd();
        }}
      >
        <input
          placeholder="New custom field name"
          aria-label="New custom field name"
          aria-invalid={check.kind === "refused"}
          aria-describedby={note !== null ? "custom-name-note" : undefined}
          data-testid="custom-name-input"
          value={p.name}
          onChange={(e) => p.onName(e.target.value)}
        />
        <button type="submit" data-testid="add-custom" disabled={check.kind !== "ok" || !p.canAdd}>
          Add custom field
        </button>
      </form>
      {/* Right under the box, and always there (empty, no height, when there is nothing to
          say) so that a screen reader hears each new note as it is typed. */}
      <p
        id="custom-name-note"
        className={check.kind === "refused" ? "custom-name-note error-text" : "custom-name-note warning"}
        data-testid="custom-name-note"
        aria-live="polite"
      >
        {note}
      </p>
    </>
  );
}
