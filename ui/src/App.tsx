// The studio: records and the source tree on the left, the unified model's fields in the
// middle (drop targets) with the selected field's binding, results on the right.
// The mapping's text is the one source of truth; every edit goes through `edit`, which
// records it for undo, re-previews, re-runs coverage and keeps a crash-proof draft.

import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import {
  DndContext,
  DragOverlay,
  KeyboardSensor,
  PointerSensor,
  useSensor,
  useSensors,
  type DragEndEvent,
  type DragStartEvent,
} from "@dnd-kit/core";
import { api, asServiceError, newJob, onCoverageProgress } from "./api";
import type {
  CoverageReport,
  ExplainInfo,
  JsonValue,
  Preview,
  RecordList as Records,
  RecordTree,
  Source,
  Suggestion,
  WorkspaceInfo,
} from "./bindings";
import { canRedo, canUndo, record, redo, start, undo, type History } from "./history";
import { addToValueMap, addCustom, binding, bindPath, fieldRef, parse } from "./mapping";
import { actionFor, keysLabel, type Action } from "./shortcuts";
import { RecordList } from "./components/RecordList";
import { SourceTree } from "./components/SourceTree";
import { TargetFields } from "./components/TargetFields";
import { FieldEditor } from "./components/FieldEditor";
import { CoveragePanel, PreviewPanel, SuggestionsPanel } from "./components/Results";
import { CodeEditor } from "./components/CodeEditor";
import { HistoryDialog } from "./components/HistoryDialog";
import { ConnectionsDialog } from "./components/ConnectionsDialog";
import { ShortcutsDialog } from "./components/ShortcutsDialog";

const MAC = navigator.platform.toLowerCase().includes("mac");

interface Toast {
  id: number;
  kind: "info" | "error";
  text: string;
}

type Dialog = null | "history" | "connections" | "help";

function initialTheme(): "light" | "dark" {
  const stored = localStorage.getItem("unifield.theme");
  if (stored === "light" || stored === "dark") {
    return stored;
  }
  return window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

/** Runs `f` once `ms` after the last change of `deps`. */
function useDebounced(f: () => unknown, ms: number, deps: unknown[]) {
  const latest = useRef(f);
  useEffect(() => {
    latest.current = f;
  });
  useEffect(() => {
    let cleanup: unknown;
    const timer = setTimeout(() => {
      cleanup = latest.current();
    }, ms);
    return () => {
      clearTimeout(timer);
      if (typeof cleanup === "function") {
        (cleanup as () => void)();
      }
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
}

export function App() {
  const [info, setInfo] = useState<WorkspaceInfo | null>(null);
  const [source, setSource] = useState<Source>({ kind: "samples" });
  const [mappingName, setMappingName] = useState("work_order");
  const [hist, setHist] = useState<History>(start(""));
  const [saved, setSaved] = useState<{ text: string; version: number | null } | null>(null);
  const [draftRestored, setDraftRestored] = useState(false);
  const [message, setMessage] = useState("");
  const [records, setRecords] = useState<Records | null>(null);
  const [query, setQuery] = useState("");
  const [recordId, setRecordId] = useState<string | null>(null);
  const [tree, setTree] = useState<RecordTree | null>(null);
  const [treeFilter, setTreeFilter] = useState("");
  const [selectedNode, setSelectedNode] = useState<string | null>(null);
  const [selectedField, setSelectedField] = useState<string | null>("title");
  const [preview, setPreview] = useState<Preview | null>(null);
  const [previewMs, setPreviewMs] = useState<number | null>(null);
  const [previewCount, setPreviewCount] = useState(0);
  const [coverage, setCoverage] = useState<CoverageReport | null>(null);
  const [coverageJob, setCoverageJob] = useState<number | null>(null);
  const [coverageProgress, setCoverageProgress] = useState<{ done: number; of: number } | null>(null);
  const [suggestions, setSuggestions] = useState<Suggestion[]>([]);
  const [explain, setExplain] = useState<ExplainInfo | null>(null);
  const [view, setView] = useState<"canvas" | "json">("canvas");
  const [dialog, setDialog] = useState<Dialog>(null);
  const [theme, setTheme] = useState(initialTheme);
  const [toasts, setToasts] = useState<Toast[]>([]);
  const [readyMs, setReadyMs] = useState<number | null>(null);
  const [dragging, setDragging] = useState<string | null>(null);
  const [customName, setCustomName] = useState("");
  const histories = useRef(new Map<string, History>());
  const searchRef = useRef<HTMLInputElement>(null);
  const addStepRef = useRef<HTMLSelectElement>(null);
  const previewSeq = useRef(0);
  const toastId = useRef(0);

  const text = hist.present;
  const parsed = useMemo(() => parse(text), [text]);
  const doc = parsed.ok ? parsed.doc : null;
  const summary = info?.mappings.find((m) => m.name === mappingName) ?? null;
  const entity = summary?.sourceEntity ?? null;
  const targetFields = useMemo(
    () => info?.model.find((e) => e.name === summary?.targetEntity)?.fields ?? [],
    [info, summary],
  );
  const unsaved = saved !== null && text !== saved.text;

  const toast = useCallback((kind: Toast["kind"], line: string) => {
    const id = ++toastId.current;
    setToasts((t) => [...t.slice(-3), { id, kind, text: line }]);
    setTimeout(() => setToasts((t) => t.filter((x) => x.id !== id)), kind === "error" ? 9000 : 4000);
  }, []);

  /** Shows a failure; branches on its code, never its text. */
  const report = useCallback(
    (e: unknown) => {
      const err = asServiceError(e);
      switch (err.code) {
        case "cancelled":
          return;
        case "invalid_mapping": {
          const at = err.location;
          const where = at ? [at.file, at.line !== null ? `line ${at.line}` : null, at.field, at.step !== null ? `step ${at.step}` : null].filter(Boolean).join(", ") : "";
          toast("error", `${err.message}${where ? ` (${where})` : ""}`);
          if (at?.field) {
            setSelectedField(at.field);
          }
          return;
        }
        case "reauthorization_required":
          toast("error", `${err.message}. Open Connections to reconnect.`);
          setDialog("connections");
          return;
        default:
          toast("error", `${err.message} [${err.code}]`);
      }
    },
    [toast],
  );

  const edit = useCallback((next: string, group: string | null = null) => {
    setHist((h) => record(h, next, group));
  }, []);

  const loadMapping = useCallback(
    async (name: string) => {
      try {
        const state = await api.getMapping(name);
        setSaved({ text: state.savedText, version: state.version });
        setDraftRestored(state.draft !== null);
        setHist(histories.current.get(name) ?? start(state.draft ?? state.savedText));
        setMappingName(name);
      } catch (e) {
        report(e);
      }
    },
    [report],
  );

  const refreshInfo = useCallback(() => api.workspaceInfo().then(setInfo, report), [report]);

  useEffect(() => {
    void refreshInfo().then(() => loadMapping("work_order"));
  }, [refreshInfo, loadMapping]);

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem("unifield.theme", theme);
  }, [theme]);

  // Records of the mapping's source entity.
  useEffect(() => {
    if (!entity) {
      return;
    }
    let live = true;
    api.listRecords(source, entity, query).then((list) => {
      if (!live) {
        return;
      }
      setRecords(list);
      setRecordId((current) => (current !== null && list.rows.some((r) => r.id === current) ? current : (list.rows[0]?.id ?? null)));
    }, report);
    return () => {
      live = false;
    };
  }, [source, entity, query, report]);

  useEffect(() => {
    if (!entity || recordId === null) {
      return;
    }
    let live = true;
    api.recordTree(source, entity, recordId).then((t) => live && setTree(t), report);
    return () => {
      live = false;
    };
  }, [source, entity, recordId, report]);

  // Re-preview on every edit and every record change; the newest answer wins.
  useEffect(() => {
    if (recordId === null || text === "") {
      return;
    }
    const seq = ++previewSeq.current;
    const started = performance.now();
    api.preview(source, text, recordId).then((p) => {
      if (seq === previewSeq.current) {
        setPreview(p);
        setPreviewMs(performance.now() - started);
        setPreviewCount((n) => n + 1);
      }
    }, report);
  }, [source, text, recordId, report]);

  // Interactive: the first preview is on screen.
  useEffect(() => {
    if (preview && readyMs === null) {
      api.timings().then(setReadyMs, report);
    }
  }, [preview, readyMs, report]);

  const runCoverage = useCallback(() => {
    if (!doc) {
      return;
    }
    const job = newJob();
    setCoverageJob(job);
    setCoverageProgress(null);
    api.coverage(source, text, job).then(
      (c) => {
        setCoverage(c);
        setCoverageJob((j) => (j === job ? null : j));
      },
      (e: unknown) => {
        setCoverageJob((j) => (j === job ? null : j));
        const err = asServiceError(e);
        // An edit mid-run makes the run moot: a mapping that no longer loads is shown by the preview.
        if (err.code !== "invalid_mapping") {
          report(err);
        }
      },
    );
    return () => void api.cancel(job);
  }, [doc, source, text, report]);

  useDebounced(() => runCoverage(), 250, [text, source]);

  useEffect(() => {
    const stop = onCoverageProgress((p) => setCoverageProgress({ done: p.done, of: p.of }));
    return () => {
      void stop.then((f) => f());
    };
  }, []);

  useDebounced(
    () => {
      if (doc) {
        api.suggestions(source, text).then(setSuggestions, () => setSuggestions([]));
      }
    },
    500,
    [text, source],
  );

  useDebounced(
    () => {
      if (!doc || recordId === null || selectedField === null || !binding(doc, fieldRef(selectedField))) {
        setExplain(null);
        return;
      }
      api.explain(source, text, recordId, selectedField).then(setExplain, () => setExplain(null));
    },
    120,
    [text, source, recordId, selectedField],
  );

  // Drafts: unsaved work reaches the disk within half a second.
  useDebounced(
    () => {
      if (saved !== null && text !== "") {
        api.saveDraft(mappingName, text).catch(report);
      }
    },
    400,
    [text],
  );

  const switchMapping = async (name: string) => {
    if (name === mappingName) {
      return;
    }
    histories.current.set(mappingName, hist);
    await api.saveDraft(mappingName, text).catch(report);
    setRecordId(null);
    setQuery("");
    setCoverage(null);
    setPreview(null);
    setSelectedField(null);
    await loadMapping(name);
  };

  const save = async () => {
    try {
      const v = await api.saveMapping(mappingName, text, message.trim() === "" ? null : message);
      const state = await api.getMapping(mappingName);
      setSaved({ text: state.savedText, version: v.version });
      setHist((h) => record(h, state.savedText));
      setDraftRestored(false);
      setMessage("");
      toast("info", `Saved ${mappingName} as version ${v.version}`);
      void refreshInfo();
    } catch (e) {
      report(e);
    }
  };

  const exportMapping = async () => {
    try {
      const done = await api.exportMapping(mappingName, text);
      if (done) {
        toast("info", `Exported to ${done.path} (${done.bytes} bytes)`);
      }
    } catch (e) {
      report(e);
    }
  };

  const importMapping = async () => {
    try {
      const imported = await api.importMapping();
      if (!imported) {
        return;
      }
      if (imported.name !== mappingName) {
        await switchMapping(imported.name);
      }
      setHist((h) => record(h, imported.text));
      toast("info", `Imported into ${imported.name}: undo (${keysLabel("undo", MAC)}) to go back`);
    } catch (e) {
      report(e);
    }
  };

  const bind = (label: string, path: string, steps?: string[]) => {
    try {
      edit(bindPath(text, fieldRef(label), path, steps));
      setSelectedField(label);
      toast("info", `${label} ← ${path}`);
    } catch (e) {
      toast("error", String(e));
    }
  };

  const fieldLabels = useMemo(
    () => [...targetFields.map((f) => f.name), ...Object.keys(doc?.custom ?? {}).map((n) => `custom.${n}`)],
    [targetFields, doc],
  );

  const run = (action: Action) => {
    switch (action) {
      case "save":
        void save();
        break;
      case "undo":
        setHist(undo);
        break;
      case "redo":
        setHist(redo);
        break;
      case "export":
        void exportMapping();
        break;
      case "import":
        void importMapping();
        break;
      case "search":
        searchRef.current?.focus();
        break;
      case "nextRecord":
      case "previousRecord": {
        const rows = records?.rows ?? [];
        const at = rows.findIndex((r) => r.id === recordId);
        const next = rows[Math.min(Math.max(at + (action === "nextRecord" ? 1 : -1), 0), rows.length - 1)];
        if (next) {
          setRecordId(next.id);
        }
        break;
      }
      case "nextField":
      case "previousField": {
        const at = selectedField === null ? -1 : fieldLabels.indexOf(selectedField);
        const next = fieldLabels[Math.min(Math.max(at + (action === "nextField" ? 1 : -1), 0), fieldLabels.length - 1)];
        if (next) {
          setSelectedField(next);
          document.querySelector(`[data-field="${CSS.escape(next)}"]`)?.scrollIntoView({ block: "nearest" });
        }
        break;
      }
      case "bindSelected":
        if (selectedNode && selectedField) {
          bind(selectedField, selectedNode);
        } else {
          toast("error", "Select a source node and a target field first");
        }
        break;
      case "addStep":
        addStepRef.current?.focus();
        break;
      case "coverage":
        runCoverage();
        break;
      case "history":
        setDialog("history");
        break;
      case "connections":
        setDialog("connections");
        break;
      case "theme":
        setTheme((t) => (t === "dark" ? "light" : "dark"));
        break;
      case "rawJson":
        setView((v) => (v === "canvas" ? "json" : "canvas"));
        break;
      case "help":
        setDialog("help");
        break;
    }
  };
  const runRef = useRef(run);
  useEffect(() => {
    runRef.current = run;
  });
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented) {
        return;
      }
      const action = actionFor(e, MAC);
      // In a plain text box, undo and redo belong to the box.
      const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement;
      if (action && !(typing && (action === "undo" || action === "redo"))) {
        e.preventDefault();
        runRef.current(action);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const sensors = useSensors(useSensor(PointerSensor, { activationConstraint: { distance: 4 } }), useSensor(KeyboardSensor));
  const onDragStart = (e: DragStartEvent) => setDragging((e.active.data.current as { path?: string } | undefined)?.path ?? null);
  const onDragEnd = (e: DragEndEvent) => {
    setDragging(null);
    const path = (e.active.data.current as { path?: string } | undefined)?.path;
    const label = (e.over?.data.current as { label?: string } | undefined)?.label;
    if (path && label) {
      bind(label, path);
    }
  };

  const title = (action: Action, label: string) => `${label} (${keysLabel(action, MAC)})`;
  const selectedTarget = targetFields.find((f) => f.name === selectedField) ?? null;

  return (
    <DndContext sensors={sensors} onDragStart={onDragStart} onDragEnd={onDragEnd}>
      <div className="app">
        <header className="topbar">
          <span className="brand">Unifield</span>
          <select
            aria-label="Record source"
            data-testid="source-select"
            value={source.kind === "samples" ? "" : source.name}
            onChange={(e) => setSource(e.target.value === "" ? { kind: "samples" } : { kind: "connection", name: e.target.value })}
          >
            {info?.sources.map((s) => (
              <option key={s.source.kind === "samples" ? "" : s.source.name} value={s.source.kind === "samples" ? "" : s.source.name}>
                {s.label}
              </option>
            ))}
          </select>
          <nav className="mappings" aria-label="Mappings">
            {info?.mappings.map((m) => (
              <button
                key={m.name}
                type="button"
                className={m.name === mappingName ? "tab active" : "tab"}
                aria-pressed={m.name === mappingName}
                data-testid={`mapping-${m.name}`}
                title={`${m.title}: Corrigo ${m.sourceEntity} → ${m.targetEntity}${m.version !== null ? `, v${m.version}` : ""}${m.hasDraft ? ", unsaved draft" : ""}`}
                onClick={() => void switchMapping(m.name)}
              >
                {m.targetEntity}
                {m.hasDraft && m.name !== mappingName ? " •" : ""}
              </button>
            ))}
          </nav>
          <span className="grow" />
          <button type="button" title={title("undo", "Undo")} disabled={!canUndo(hist)} onClick={() => run("undo")} data-testid="undo">
            Undo
          </button>
          <button type="button" title={title("redo", "Redo")} disabled={!canRedo(hist)} onClick={() => run("redo")}>
            Redo
          </button>
          <input className="message" placeholder="Version note" aria-label="Version note" value={message} onChange={(e) => setMessage(e.target.value)} />
          <button type="button" className="primary" title={title("save", "Save a new version")} onClick={() => run("save")} data-testid="save">
            Save
          </button>
          <button type="button" title={title("history", "History")} onClick={() => run("history")} data-testid="open-history">
            History
          </button>
          <button type="button" title={title("export", "Export")} onClick={() => run("export")} data-testid="export">
            Export
          </button>
          <button type="button" title={title("import", "Import")} onClick={() => run("import")} data-testid="import">
            Import
          </button>
          <button type="button" title={title("connections", "Connections")} onClick={() => run("connections")} data-testid="open-connections">
            Connections
          </button>
          <button type="button" title={title("theme", "Theme")} onClick={() => run("theme")} aria-label="Toggle theme" data-testid="theme">
            {theme === "dark" ? "☀" : "☾"}
          </button>
          <button type="button" title={title("help", "Keyboard shortcuts")} onClick={() => run("help")} aria-label="Keyboard shortcuts">
            ?
          </button>
        </header>

        <aside className="left">
          <RecordList records={records} selected={recordId} onSelect={setRecordId} query={query} onQuery={setQuery} searchRef={searchRef} />
          <SourceTree tree={tree?.id === recordId ? tree : null} selected={selectedNode} onSelect={setSelectedNode} filter={treeFilter} onFilter={setTreeFilter} />
        </aside>

        <main className="center">
          <div className="view-tabs" role="tablist">
            <button type="button" role="tab" aria-selected={view === "canvas"} className={view === "canvas" ? "tab active" : "tab"} onClick={() => setView("canvas")}>
              Canvas
            </button>
            <button type="button" role="tab" aria-selected={view === "json"} className={view === "json" ? "tab active" : "tab"} onClick={() => setView("json")} data-testid="view-json">
              Mapping JSON
            </button>
            <span className="muted">
              {summary ? `Corrigo ${summary.sourceEntity} → unified ${summary.targetEntity}` : ""}
            </span>
          </div>
          {!parsed.ok && <p className="error-text banner">The mapping is not valid JSON ({parsed.error}); fix it in the JSON view.</p>}
          {view === "json" ? (
            <CodeEditor label="Mapping JSON" value={text} problems={preview?.problems ?? []} onChange={(t) => edit(t, "json")} testId="mapping-json" />
          ) : (
            <div className="canvas">
              <TargetFields
                doc={doc}
                fields={targetFields}
                selected={selectedField}
                onSelect={setSelectedField}
                results={preview?.fields ?? []}
                coverage={coverage?.fields ?? []}
                coverageOf={coverage?.records ?? 0}
              />
              <form
                className="add-custom"
                onSubmit={(e) => {
                  e.preventDefault();
                  try {
                    edit(addCustom(text, customName.trim(), selectedNode ?? "$.Id"));
                    setSelectedField(`custom.${customName.trim()}`);
                    setCustomName("");
                  } catch (err) {
                    toast("error", err instanceof Error ? err.message : String(err));
                  }
                }}
              >
                <input placeholder="New custom field name" aria-label="New custom field name" value={customName} onChange={(e) => setCustomName(e.target.value)} />
                <button type="submit" disabled={customName.trim() === "" || !doc}>
                  Add custom field
                </button>
              </form>
              {doc && selectedField && (
                <FieldEditor
                  label={selectedField}
                  field={selectedTarget}
                  doc={doc}
                  text={text}
                  transforms={info?.transforms ?? []}
                  problems={preview?.problems ?? []}
                  explain={explain}
                  onEdit={(t, group) => edit(t, group ?? null)}
                  addStepRef={addStepRef}
                />
              )}
            </div>
          )}
        </main>

        <aside className="right">
          <PreviewPanel preview={preview} ms={previewMs} count={previewCount} />
          <CoveragePanel
            report={coverage}
            progress={coverageProgress}
            running={coverageJob !== null}
            onRun={runCoverage}
            onCancel={() => coverageJob !== null && void api.cancel(coverageJob)}
            fields={targetFields}
            onSelect={setSelectedField}
            onAddToMap={(field, values, to: JsonValue) => {
              try {
                edit(addToValueMap(text, fieldRef(field), values, to));
                toast("info", `Mapped ${values.join(", ")} → ${JSON.stringify(to)} in ${field}`);
              } catch (e) {
                toast("error", e instanceof Error ? e.message : String(e));
              }
            }}
          />
          <SuggestionsPanel suggestions={suggestions} onAccept={(field, path, steps) => bind(field, path, steps)} />
        </aside>

        <footer className="statusbar" aria-live="polite">
          <span data-testid="save-state">
            {saved === null
              ? "loading…"
              : unsaved
                ? `unsaved changes${draftRestored ? " (draft restored from the last session)" : ""} · draft kept on disk`
                : saved.version === null
                  ? "bundled default"
                  : `saved as v${saved.version}`}
          </span>
          {draftRestored && unsaved && (
            <button
              type="button"
              className="link"
              onClick={() => {
                if (saved) {
                  setHist(start(saved.text));
                  setDraftRestored(false);
                  void api.discardDraft(mappingName).catch(report);
                }
              }}
            >
              Discard draft
            </button>
          )}
          <span className="grow" />
          <span>{source.kind === "samples" ? "offline samples" : `connection ${source.name}`}</span>
          {readyMs !== null && <span data-testid="ready-ms" data-ms={readyMs}>ready {readyMs} ms after launch</span>}
        </footer>

        <div className="toasts" aria-live="assertive">
          {toasts.map((t) => (
            <div key={t.id} className={`toast ${t.kind}`} role={t.kind === "error" ? "alert" : "status"} data-testid={`toast-${t.kind}`}>
              {t.text}
            </div>
          ))}
        </div>

        {dialog === "history" && (
          <HistoryDialog
            name={mappingName}
            onClose={() => setDialog(null)}
            onRestored={() => {
              setDialog(null);
              histories.current.delete(mappingName);
              void api.discardDraft(mappingName).then(() => loadMapping(mappingName), report);
              void refreshInfo();
              toast("info", "Restored as a new version");
            }}
          />
        )}
        {dialog === "connections" && (
          <ConnectionsDialog
            onClose={() => setDialog(null)}
            onChanged={() => void refreshInfo()}
            onUse={(name) => {
              setSource({ kind: "connection", name });
              setRecordId(null);
              setDialog(null);
            }}
          />
        )}
        {dialog === "help" && <ShortcutsDialog onClose={() => setDialog(null)} mac={MAC} />}
      </div>
      <DragOverlay dropAnimation={null}>{dragging ? <div className="drag-chip">{dragging}</div> : null}</DragOverlay>
    </DndContext>
  );
}
