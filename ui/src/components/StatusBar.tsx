// The bar across the bottom: whether the mapping is saved (and a restored draft), the
// source, and when the studio became interactive.

import type { RecordSource } from "../bindings";
import type { MappingText } from "../hooks/useMappingText";

export function StatusBar({
  mapping,
  source,
  readyMs,
}: {
  mapping: MappingText;
  source: RecordSource;
  readyMs: number | null;
}) {
  const { saved, unsaved, draftRestored } = mapping;
  const state =
    saved === null
      ? "loading…"
      : unsaved
        ? `unsaved changes${draftRestored ? " (draft restored from the last session)" : ""} · draft kept on disk`
        : saved.version === null
          ? "bundled default"
          : `saved as v${saved.version}`;
  const from = source.kind === "samples" ? "offline samples" : `connection ${source.name}`;
  // One line at 960×600: the state and the source are cut with an ellipsis there (styles.css)
  // and their titles have them whole.
  return (
    <footer className="statusbar" aria-live="polite">
      <span data-testid="save-state" title={state}>
        {state}
      </span>
      {draftRestored && unsaved && (
        <button type="button" className="link" onClick={mapping.discardDraft}>
          Discard draft
        </button>
      )}
      <span className="grow" />
      <span className="statusbar-source" title={from}>
        {from}
      </span>
      {readyMs !== null && (
        <span data-testid="ready-ms" data-ms={readyMs}>
          ready {readyMs} ms after launch
        </span>
      )}
    </footer>
  );
}
