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
  return (
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
        <button type="button" className="link" onClick={mapping.discardDraft}>
          Discard draft
        </button>
      )}
      <span className="grow" />
      <span>{source.kind === "samples" ? "offline samples" : `connection ${source.name}`}</span>
      {readyMs !== null && (
        <span data-testid="ready-ms" data-ms={readyMs}>
          ready {readyMs} ms after launch
        </span>
      )}
    </footer>
  );
}
