// Push to a server connection: before anything is sent, the field-level diff against the
// connection's active version, the impact on the cached records per changed field and every
// problem (errors block the push); then the push (If-Match of the version the diff was made
// against; a conflict shows the new diff), verify, and the connection's versions with rollback.

import { useEffect, useRef, useState } from "react";
import { localTime } from "../format";
import type { Target } from "../hooks/useServers";
import { usePush } from "../hooks/usePush";
import { Confirm } from "./Confirm";
import { DiffView } from "./DiffView";
import { Modal } from "./Modal";
import { ServerErrorNote } from "./ServersDialog";
import { pushLabel } from "../push-button";
import { isActiveVersion, skippedText, versionLabel } from "../push-versions";

const show = (v: unknown) => (v === null || v === undefined ? "null" : JSON.stringify(v));

export function PushDialog({
  target,
  text,
  recordId,
  unsaved,
  onSave,
  onClose,
}: {
  target: Target;
  text: string;
  recordId: string | null;
  /** The editor holds changes no saved version has: pushing them would leave no local record. */
  unsaved: boolean;
  onSave: () => void;
  onClose: () => void;
}) {
  const push = usePush(target, text, recordId);
  const [note, setNote] = useState("");
  // The version a rollback waits to be confirmed for: it changes the live version at once.
  const [confirming, setConfirming] = useState<number | null>(null);
  const { state } = push;
  // After a push or rollback, focus goes to what it did (the Push button it was on is gone).
  const done = useRef<HTMLDivElement>(null);
  const pushed = state.step === "pushed" ? `${state.version}` : null;
  useEffect(() => {
    if (pushed !== null) {
      done.current?.focus();
    }
  }, [pushed]);

  return (
    <Modal
      title={`Push to ${target.server} / ${target.connectionName}`}
      onClose={onClose}
      testId="push-dialog"
      opener="[data-testid=open-push]"
    >
      {state.step === "previewing" && <p>Comparing with the connection's active version…</p>}
      {/* A server that did not answer or refused the key says why and what to do, as in Servers. */}
      {state.step === "failed" && <ServerErrorNote error={state.error} testId="push-error" />}
      {(state.step === "ready" || state.step === "pushing") && (
        <div data-testid="push-preview">
          {state.step === "ready" && state.conflict !== null && (
            <p className="error" role="alert" data-testid="push-conflict">
              Someone pushed in between: version {state.preview.activeVersion} is active, not {state.conflict}. Nothing
              was sent; this is the diff against the new version.
            </p>
          )}
          <p>
            Against version {state.preview.activeVersion}; impact measured on {state.preview.records} cached records
            {push.openedMs !== null && <span data-testid="push-opened-ms"> ({push.openedMs} ms)</span>}.
          </p>
          {(state.preview.skipped > 0 || state.preview.skippedBefore > 0) && (
            <p data-testid="push-skipped">{skippedText(state.preview.skipped, state.preview.skippedBefore)}</p>
          )}
          <h3>Changes</h3>
          {state.preview.changes.length === 0 ? (
            <p>No change against the active version.</p>
          ) : (
            <DiffView
              changes={state.preview.changes}
              testId="push-changes"
              beforeLabel={`Version ${state.preview.activeVersion} (active)`}
              afterLabel="This push"
            />
          )}
          <h3>Impact</h3>
          <table data-testid="push-impact" className="data-table">
            <thead>
              <tr>
                <th>Field</th>
                <th>Changed</th>
                <th>Became null</th>
                <th>Start failing</th>
                <th>Examples (before → after)</th>
              </tr>
            </thead>
            <tbody>
              {state.preview.impact.map((f) => (
                <tr key={f.field} data-impact={f.field}>
                  <td>{f.field}</td>
                  <td>{f.changed}</td>
                  <td>{f.becameNull}</td>
                  <td>{f.startFailing}</td>
                  <td>
                    {f.examples.map((x) => (
                      <div key={x.recordId}>
                        {x.recordId}: {show(x.before)} → {show(x.after)}
                      </div>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {state.preview.problems.length > 0 && (
            <>
              <h3>Problems</h3>
              <ul data-testid="push-problems">
                {state.preview.problems.map((p, i) => (
                  <li key={i} className={p.severity}>
                    {p.severity}: {p.message}
                    {p.field && ` (field ${p.field}${p.step !== null ? `, step ${p.step}` : ""})`}
                    {p.line !== null && ` line ${p.line}`}
                  </li>
                ))}
              </ul>
            </>
          )}
          {unsaved && (
            <p className="warning" role="alert" data-testid="push-unsaved">
              Unsaved changes — save first: a push of unsaved work leaves no version of it in this workspace (History
              would not have it).{" "}
              <button type="button" data-testid="push-save" onClick={onSave}>
                Save
              </button>
            </p>
          )}
          {/* A form: Enter in the note pushes, as the button would. */}
          <form
            className="push-send"
            onSubmit={(e) => {
              e.preventDefault();
              if (!unsaved) {
                void push.push(note);
              }
            }}
          >
            <label>
              Note{" "}
              <input
                value={note}
                onChange={(e) => setNote(e.target.value)}
                name="note"
                aria-label="Push note"
                placeholder="what this version changes"
                data-testid="push-note"
                data-focus-next
              />
            </label>{" "}
            <button
              type="submit"
              data-testid="push-send"
              disabled={state.step === "pushing" || state.preview.blocked || unsaved}
            >
              {state.preview.blocked
                ? "Fix the errors to push"
                : unsaved
                  ? "Save to push"
                  : pushLabel(state.preview.activeVersion)}
            </button>
          </form>
        </div>
      )}
      {state.step === "pushed" && (
        <div data-testid="push-done" ref={done} tabIndex={-1} aria-label="Push done">
          <p data-testid="push-active">
            {state.rolledBackTo === null
              ? `Version ${state.version} is active (was ${state.previous}).`
              : `Rolled back: version ${state.version}, a copy of version ${state.rolledBackTo}, is active (was ${state.previous}).`}
          </p>
          {state.verify === "verifying" && <p>Verifying…</p>}
          {state.verify === null && <p>Select a record to verify against.</p>}
          {state.verifyNote !== null && <p data-testid="push-verify-note">{state.verifyNote}</p>}
          {state.verify !== null && state.verify !== "verifying" && (
            <div data-testid="push-verify" data-matches={String(state.verify.matches)}>
              {state.verify.matches ? (
                <p>
                  {state.rolledBackTo === null
                    ? `✓ The server serves exactly what the studio shows for record ${state.verify.recordId}.`
                    : `✓ The server serves exactly what version ${state.rolledBackTo} gives for record ${state.verify.recordId} (the studio's own mapping is not active there any more).`}
                </p>
              ) : (
                <>
                  <p>
                    {state.rolledBackTo === null
                      ? `The server's record ${state.verify.key} differs from the studio's:`
                      : `The server's record ${state.verify.key} differs from the studio's preview of version ${state.rolledBackTo}:`}
                  </p>
                  <ul>
                    {state.verify.differences.map((d) => (
                      <li key={d.field}>
                        <code>{d.field}</code>: studio {show(d.studio)}, server {show(d.server)}
                      </li>
                    ))}
                  </ul>
                </>
              )}
            </div>
          )}
          <button type="button" onClick={() => void push.preview()}>
            Diff again
          </button>
        </div>
      )}
      <h3>Versions on the connection</h3>
      <ul data-testid="push-versions">
        {push.versions.map((v) => {
          // The newest version is the active one: every push and rollback makes a new version.
          const active = isActiveVersion(v, push.versions);
          return (
            <li key={v.version} data-version={v.version} data-active={active}>
              {v.version} · {localTime(v.createdAt)} · {versionLabel(v)}
              {active && <strong> · active</strong>}{" "}
              {!active && (
                <button type="button" data-testid="push-rollback" onClick={() => setConfirming(v.version)}>
                  Roll back to {v.version}
                </button>
              )}{" "}
              {!active && confirming === v.version && (
                <Confirm
                  testId="push-rollback-confirm"
                  message={`Roll back to version ${v.version}? The server serves it at once, as a new version.`}
                  action="Roll back"
                  onConfirm={() => {
                    setConfirming(null);
                    void push.rollback(v.version);
                  }}
                  onCancel={() => setConfirming(null)}
                />
              )}{" "}
              {v.version > 0 && (
                <button
                  type="button"
                  data-testid="push-diff-with"
                  onClick={() => void push.compare(v.version - 1, v.version)}
                >
                  Diff with {v.version - 1}
                </button>
              )}
            </li>
          );
        })}
      </ul>
      {push.between && (
        <div data-testid="push-versions-diff">
          <h3>
            Version {push.between.from} → {push.between.to}
          </h3>
          {push.between.changes.length === 0 ? (
            <p>No change.</p>
          ) : (
            <DiffView
              changes={push.between.changes}
              testId="push-versions-changes"
              beforeLabel={`Version ${push.between.from}`}
              afterLabel={`Version ${push.between.to}`}
            />
          )}
        </div>
      )}
    </Modal>
  );
}
