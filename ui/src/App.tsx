// The studio: records and the source tree on the left, the unified model's fields in the
// middle (drop targets) with the selected field's binding, results on the right. Each
// concern lives in its hook (hooks/); this file only composes them.

import { useRef, useState } from "react";
import { DndContext, DragOverlay } from "@dnd-kit/core";
import type { RecordSource } from "./bindings";
import { bindNeeds } from "./bind-needs";
import { heldBy } from "./drop-targets";
import { useBindingDrag } from "./hooks/useBindingDrag";
import { useCoverage } from "./hooks/useCoverage";
import { useExplain, useSuggestions } from "./hooks/useFieldHelp";
import { useCanvasEdits } from "./hooks/useCanvasEdits";
import { useMappingText } from "./hooks/useMappingText";
import { usePaneSizes } from "./hooks/usePaneSizes";
import { usePreview } from "./hooks/usePreview";
import { useRecords } from "./hooks/useRecords";
import { MAC, useShortcuts, type Actions } from "./hooks/useShortcuts";
import { useTheme } from "./hooks/useTheme";
import { useReport, useToasts } from "./hooks/useToasts";
import { useTarget, useWorkspace } from "./hooks/useWorkspace";
import { ConnectionsDialog } from "./components/ConnectionsDialog";
import { HistoryDialog } from "./components/HistoryDialog";
import { ImportProblemsDialog } from "./components/ImportProblemsDialog";
import { MappingCanvas } from "./components/MappingCanvas";
import { RecordList } from "./components/RecordList";
import { CoveragePanel, PreviewPanel, SuggestionsPanel } from "./components/Results";
import { ShortcutsDialog } from "./components/ShortcutsDialog";
import { RecordTreePanel } from "./components/RecordTreePanel";
import { ServerWork } from "./components/ServerWork";
import { StatusBar } from "./components/StatusBar";
import { Toasts } from "./components/Toasts";
import { TopBar } from "./components/TopBar";

type Dialog = null | "history" | "connections" | "help";

export function App() {
  const [source, setSource] = useState<RecordSource>({ kind: "samples" });
  const [selectedField, setSelectedField] = useState<string | null>("title");
  const [selectedNode, setSelectedNode] = useState<string | null>(null);
  const [treeFilter, setTreeFilter] = useState("");
  const [view, setView] = useState<"canvas" | "json">("canvas");
  const [dialog, setDialog] = useState<Dialog>(null);
  const searchRef = useRef<HTMLInputElement>(null);
  const addStepRef = useRef<HTMLSelectElement>(null);

  const { toasts, toast } = useToasts();
  const info = (msg: string) => toast("info", msg);
  const report = useReport(toast, { invalidField: setSelectedField, reauthorize: () => setDialog("connections") });
  const { theme, toggle: toggleTheme } = useTheme();
  const panes = usePaneSizes(report);
  const { info: workspace, refresh: refreshInfo } = useWorkspace(report);
  const mapping = useMappingText(report, info, refreshInfo);
  const { text, doc } = mapping;
  const { summary, fields: targetFields, next: nextField } = useTarget(workspace, mapping.name, doc);

  const records = useRecords(source, summary?.sourceEntity ?? null, report);
  const {
    preview,
    stale,
    ms,
    count,
    readyMs,
    clear: clearPreview,
  } = usePreview(source, text, records.recordId, report);
  const coverage = useCoverage(source, text, doc, report);
  const suggestions = useSuggestions(source, text, doc);
  const explain = useExplain(source, text, doc, records.recordId, selectedField);

  const held = (field: string) => heldBy(doc, targetFields, field);
  const { bind, addToMap } = useCanvasEdits(mapping, toast, setSelectedField, held);
  const drag = useBindingDrag(bind, selectedField, held);

  const switchMapping = async (name: string) => {
    if (name !== mapping.name) {
      records.reset();
      coverage.clear();
      clearPreview();
      setSelectedField(null);
      await mapping.switchTo(name);
    }
  };

  const actions: Actions = {
    save: () => void mapping.save(),
    undo: mapping.undo,
    redo: mapping.redo,
    export: () => void mapping.exportFile(),
    import: () => void mapping.importFile(),
    search: () => searchRef.current?.focus(),
    nextRecord: () => records.step(1),
    previousRecord: () => records.step(-1),
    nextField: () => setSelectedField((f) => nextField(f, 1) ?? f),
    previousField: () => setSelectedField((f) => nextField(f, -1) ?? f),
    bindSelected: () =>
      selectedNode && selectedField
        ? bind(selectedField, selectedNode)
        : toast("error", bindNeeds(selectedNode, selectedField)),
    addStep: () => addStepRef.current?.focus(),
    coverage: () => void coverage.run(),
    history: () => setDialog("history"),
    connections: () => setDialog("connections"),
    theme: toggleTheme,
    rawJson: () => setView((v) => (v === "canvas" ? "json" : "canvas")),
    help: () => setDialog("help"),
  };
  useShortcuts(actions);

  return (
    <DndContext {...drag.context}>
      <div className="app">
        <TopBar
          info={workspace}
          source={source}
          onSource={setSource}
          mapping={mapping}
          onMapping={(n) => void switchMapping(n)}
          theme={theme}
          run={(a) => actions[a]()}
        />
        <aside className="left">
          <RecordList
            records={records.list}
            current={records.current}
            error={records.error}
            selected={records.recordId}
            selectedAt={records.selectedAt}
            onSelect={records.select}
            onSelectAt={records.selectAt}
            onScrolled={records.scrolledTo}
            query={records.query}
            onQuery={records.setQuery}
            searchRef={searchRef}
          />
          <RecordTreePanel
            tree={records.tree}
            selected={selectedNode}
            onSelect={setSelectedNode}
            filter={treeFilter}
            onFilter={setTreeFilter}
          />
        </aside>
        <MappingCanvas
          mapping={mapping}
          view={view}
          onView={setView}
          heading={summary ? `Corrigo ${summary.sourceEntity} → unified ${summary.targetEntity}` : ""}
          fields={targetFields}
          selected={selectedField}
          onSelect={setSelectedField}
          selectedNode={selectedNode}
          preview={preview}
          coverage={coverage.coverage}
          explain={explain}
          transforms={workspace?.transforms ?? []}
          addStepRef={addStepRef}
          onError={(m) => toast("error", m)}
          panes={panes}
        />
        <aside className="right">
          <PreviewPanel preview={preview} stale={stale} ms={ms} count={count} />
          <CoveragePanel
            report={coverage.coverage}
            stale={coverage.stale}
            progress={coverage.progress}
            running={coverage.running}
            onRun={coverage.run}
            onCancel={coverage.cancel}
            fields={targetFields}
            onSelect={setSelectedField}
            onAddToMap={addToMap}
          />
          <SuggestionsPanel suggestions={suggestions} onAccept={(field, path, steps) => bind(field, path, steps)} />
        </aside>
        <StatusBar mapping={mapping} source={source} readyMs={readyMs} />
        <Toasts toasts={toasts} />
        {dialog === "history" && (
          <HistoryDialog
            name={mapping.name}
            onClose={() => setDialog(null)}
            onRestored={(version) => {
              setDialog(null);
              void mapping.restored(version);
              refreshInfo();
            }}
          />
        )}
        {dialog === "connections" && (
          <ConnectionsDialog
            onClose={() => setDialog(null)}
            onChanged={refreshInfo}
            onUse={(name) => {
              setSource({ kind: "connection", name });
              records.select(null);
              setDialog(null);
            }}
          />
        )}
        {dialog === "help" && <ShortcutsDialog onClose={() => setDialog(null)} mac={MAC} />}
        {mapping.importRefused && (
          <ImportProblemsDialog found={mapping.importRefused} onClose={mapping.dismissImportRefused} />
        )}
        <ServerWork
          text={text}
          recordId={records.recordId}
          source={source}
          onUse={setSource}
          unsaved={mapping.unsaved}
          onSave={actions.save}
        />
      </div>
      <DragOverlay dropAnimation={null}>
        {drag.dragging ? <div className="drag-chip">{drag.dragging}</div> : null}
      </DragOverlay>
    </DndContext>
  );
}
