// Every saved version of the mapping: diff any two (0 is the bundled default), restore one.

import { useEffect, useState } from "react";
import { api, asServiceError } from "../api";
import type { MappingDiff, ServiceError, VersionInfo } from "../bindings";
import { localTime } from "../format";
import { DiffView } from "./DiffView";
import { useLatest } from "../hooks/useLatest";
import { Modal } from "./Modal";
import { versionName } from "../version-name";

/**
 * A diff between two versions, its columns named after them ("v2", "v3", "bundled
 * default"). The names come from the diff itself, not from the pickers: while the next diff
 * loads, the one on screen still says which versions it compares.
 */
export function HistoryDiff({ diff }: { diff: MappingDiff }) {
  return <DiffView changes={diff.changes} beforeLabel={versionName(diff.from)} afterLabel={versionName(diff.to)} />;
}

export function HistoryDialog({
  name,
  onClose,
  onRestored,
}: {
  name: string;
  onClose: () => void;
  onRestored: (version: number) => void;
}) {
  const [versions, setVersions] = useState<VersionInfo[] | null>(null);
  const [from, setFrom] = useState(0);
  const [to, setTo] = useState(0);
  const [error, setError] = useState<ServiceError | null>(null);

  useEffect(() => {
    api.history(name).then(
      (v) => {
        setVersions(v);
        setTo(v[0]?.version ?? 0);
        setFrom(v[1]?.version ?? 0);
      },
      (e: unknown) => setError(asServiceError(e)),
    );
  }, [name]);

  // The diff on screen stays until the next one arrives: a refetch never empties the
  // table for a moment, and an older answer never replaces a newer one.
  const diff: MappingDiff | null = useLatest(
    versions !== null && from !== to ? () => api.diff(name, from, to) : null,
    [name, from, to, versions],
    (e: unknown) => setError(asServiceError(e)),
  );

  const options = [...(versions ?? []).map((v) => v.version), 0];
  const pick = (value: number, set: (n: number) => void, label: string) => (
    <select aria-label={label} value={value} onChange={(e) => set(Number(e.target.value))}>
      {options.map((v) => (
        <option key={v} value={v}>
          {v === 0 ? "bundled default" : `version ${v}`}
        </option>
      ))}
    </select>
  );
  return (
    <Modal title={`History of ${name}`} onClose={onClose} testId="history-dialog">
      {error && <p className="error-text">{error.message}</p>}
      {versions?.length === 0 && (
        <p className="muted">
          No saved versions yet: the bundled default is in use. Save (Ctrl+S) to start the history.
        </p>
      )}
      <ul className="versions">
        {versions?.map((v) => (
          <li key={v.version}>
            <strong>v{v.version}</strong>{" "}
            <time className="muted" dateTime={v.savedAt} title={v.savedAt}>
              {localTime(v.savedAt)}
            </time>{" "}
            {v.message}
            <button
              type="button"
              data-testid="restore"
              onClick={() =>
                api.restore(name, v.version).then(
                  () => onRestored(v.version),
                  (e: unknown) => setError(asServiceError(e)),
                )
              }
            >
              Restore
            </button>
          </li>
        ))}
      </ul>
      {versions && versions.length > 0 && (
        <div className="diff">
          <p>
            Diff {pick(from, setFrom, "From version")} → {pick(to, setTo, "To version")}
          </p>
          {from === to ? (
            <p className="muted">Pick two different versions.</p>
          ) : diff === null ? (
            <p className="muted">Comparing…</p>
          ) : (
            <HistoryDiff diff={diff} />
          )}
        </div>
      )}
    </Modal>
  );
}
