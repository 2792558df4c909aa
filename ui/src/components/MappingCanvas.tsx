// The middle: the unified model's fields (drop targets) with the selected field's editor,
// or the mapping's JSON.

import { useState, type RefObject } from "react";
import type { Preview, TargetField, TransformInfo, ExplainInfo, CoverageReport } from "../bindings";
import type { MappingText } from "../hooks/useMappingText";
import type { PaneSizing } from "../hooks/usePaneSizes";
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
  const addCustomField = () => {
    try {
      mapping.editCanonical(addCustom(text, customName.trim(), p.selectedNode ?? "$.Id"));
      p.onSelect(`custom.${customName.trim()}`);
      setCustomName("");
    } catch (err) {
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
        <span className="muted">{p.heading}</span>
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
          <form
            className="add-custom"
            onSubmit={(e) => {
              e.preventDefault();
              addCustomField();
            }}
          >
            <input
              placeholder="New custom field name"
              aria-label="New custom field name"
              value={customName}
              onChange={(e) => setCustomName(e.target.value)}
            />
            <button type="submit" disabled={customName.trim() === "" || !doc}>
              Add custom field
            </button>
          </form>
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
