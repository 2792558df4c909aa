// The mapping being edited: its text (the one source of truth) with undo and redo, the
// saved version it started from, drafts that reach the disk within half a second, and
// save, import, export, switching mappings and discarding a draft.

import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { api, asServiceError } from "../api";
import type { ImportedMapping, MappingState } from "../bindings";
import { canRedo, canUndo, record, redo, replacePresent, start, undo, type History } from "../history";
import { importProblems, importToastLine, type ImportProblems } from "../import-problems";
import { parse, type MappingDoc } from "../mapping";
import { saveLine } from "../save-line";
import { keysLabel } from "../shortcuts";
import { MAC } from "./useShortcuts";
import { useDebounced } from "./useDebounced";
import type { Report } from "./useToasts";

interface Saved {
  /** What the workspace holds: the canonical text of the latest version or the default. */
  text: string;
  version: number | null;
  /** The editor's text when it was saved (it may be formatted otherwise than `text`). */
  editorText: string;
}

export function useMappingText(report: Report, notify: (line: string) => void, onSaved: () => void) {
  const [name, setName] = useState("work_order");
  const [hist, setHist] = useState<History>(start(""));
  const [saved, setSaved] = useState<Saved | null>(null);
  const [draftRestored, setDraftRestored] = useState(false);
  const [message, setMessage] = useState("");
  /** A refused import's problems, listed until dismissed (null: none shown). */
  const [importRefused, setImportRefused] = useState<ImportProblems | null>(null);
  const histories = useRef(new Map<string, History>());

  const text = hist.present;
  const parsed = useMemo(() => parse(text), [text]);
  // The last text that parsed: while the JSON is broken the canvas keeps showing the
  // bindings it last could read (read-only), instead of looking wiped.
  const [lastGood, setLastGood] = useState<MappingDoc | null>(null);
  if (parsed.ok && lastGood !== parsed.doc) {
    setLastGood(parsed.doc);
  }
  const unsaved = saved !== null && text !== saved.text && text !== saved.editorText;

  /** Records an edit for undo (edits of one `group` in quick succession are one step). */
  const edit = useCallback((next: string, group: string | null = null) => {
    setHist((h) => record(h, next, group));
  }, []);

  /**
   * An edit built by the canvas: recorded at once, then replaced in place by its canonical
   * form (Rust's, as saving stores it) unless the text changed again meanwhile.
   */
  const editCanonical = useCallback(
    (next: string) => {
      edit(next);
      api.canonicalText(next).then(
        (canonical) => setHist((h) => (h.present === next ? replacePresent(h, canonical) : h)),
        () => undefined, // an invalid mapping stays as it is; the preview says what is wrong
      );
    },
    [edit],
  );

  /** Puts a mapping in the editor: this session's history of it, or its draft, or its saved text. */
  const show = useCallback((mapping: string, state: MappingState) => {
    setSaved({ text: state.savedText, version: state.version, editorText: state.savedText });
    setDraftRestored(state.draft !== null);
    setHist(histories.current.get(mapping) ?? start(state.draft ?? state.savedText));
    setName(mapping);
  }, []);

  const load = (mapping: string) => api.getMapping(mapping).then((state) => show(mapping, state), report);

  useEffect(() => {
    api.getMapping("work_order").then((state) => show("work_order", state), report);
  }, [show, report]);

  // Drafts: unsaved work reaches the disk within half a second.
  useDebounced(
    () => {
      if (saved !== null && text !== "") {
        api.saveDraft(name, text).catch(report);
      }
    },
    400,
    [text],
  );

  const switchTo = async (mapping: string) => {
    if (mapping === name) {
      return;
    }
    histories.current.set(name, hist);
    await api.saveDraft(name, text).catch(report);
    await load(mapping);
  };

  /**
   * Saves a new version. The editor's text and undo history stay as they are. Saving the
   * latest version's text again stores nothing (the workspace answers with that version),
   * and the line says so rather than claim a new version; the message, not stored, stays.
   */
  const save = async () => {
    try {
      const before = saved?.version ?? null;
      const v = await api.saveMapping(name, text, message.trim() === "" ? null : message);
      const state = await api.getMapping(name);
      setSaved({ text: state.savedText, version: v.version, editorText: text });
      setDraftRestored(false);
      const line = saveLine(name, before, v.version);
      if (line.stored) {
        setMessage("");
      }
      notify(line.text);
      onSaved();
    } catch (e) {
      report(e);
    }
  };

  const exportFile = async () => {
    try {
      const done = await api.exportMapping(name, text);
      if (done) {
        notify(`Exported to ${done.path} (${done.bytes} bytes)`);
      }
    } catch (e) {
      report(e);
    }
  };

  /** Imports a file as one undoable edit; the answer names the mapping it went into. */
  const importFile = async (): Promise<ImportedMapping | null> => {
    try {
      setImportRefused(null);
      const imported = await api.importMapping();
      if (!imported) {
        return null;
      }
      if (imported.name !== name) {
        await switchTo(imported.name);
      }
      setHist((h) => record(h, imported.text));
      notify(`Imported into ${imported.name}: undo (${keysLabel("undo", MAC)}) to go back`);
      return imported;
    } catch (e) {
      const err = asServiceError(e);
      const found = importProblems(err);
      if (found) {
        // Every problem in a list that stays; the toast (its code kept) only points to it.
        // No location: the places are in the file, not in the mapping being edited.
        setImportRefused(found);
        report({ ...err, message: importToastLine(found), location: null });
      } else {
        report(e);
      }
      return null;
    }
  };

  const discardDraft = () => {
    if (saved) {
      setHist(start(saved.text));
      setDraftRestored(false);
      void api.discardDraft(name).catch(report);
    }
  };

  /**
   * After a restore (saved as a new version): the restored text becomes one undoable edit,
   * so unsaved work the editor held is one undo away, never replaced out of reach.
   */
  const restored = async (version: number) => {
    try {
      const state = await api.getMapping(name);
      setSaved({ text: state.savedText, version: state.version, editorText: state.savedText });
      setDraftRestored(false);
      setHist((h) => record(h, state.savedText));
      notify(
        `Restored version ${version}` +
          (state.version !== null && state.version !== version ? ` as version ${state.version}` : "") +
          (unsaved ? `: undo (${keysLabel("undo", MAC)}) brings back your unsaved edits` : ""),
      );
    } catch (e) {
      report(e);
    }
  };

  return {
    name,
    text,
    parsed,
    doc: parsed.ok ? parsed.doc : null,
    lastGoodDoc: parsed.ok ? parsed.doc : lastGood,
    saved,
    unsaved,
    draftRestored,
    message,
    setMessage,
    edit,
    editCanonical,
    undo: () => setHist(undo),
    redo: () => setHist(redo),
    canUndo: canUndo(hist),
    canRedo: canRedo(hist),
    switchTo,
    save,
    exportFile,
    importFile,
    importRefused,
    dismissImportRefused: () => setImportRefused(null),
    discardDraft,
    restored,
  };
}

export type MappingText = ReturnType<typeof useMappingText>;
