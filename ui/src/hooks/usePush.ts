// The push loop against a server connection: a preview made before anything is sent (the
// field-level diff against the active version, the impact on the cached records, every
// problem), the push with If-Match of the version the diff was made against (a conflict
// shows the new diff), verify (the server's unified record against the studio's), and the
// connection's versions with rollback.

import { useCallback, useEffect, useRef, useState } from "react";
import { api, asServiceError } from "../api";
import type { Change, PushPreview, ServerVersionInfo, ServiceError, VerifyReport } from "../bindings";
import { verifyChoice, type VerifyChoice } from "../push-verify";
import { versionsBehind } from "../push-versions";
import type { Target } from "./useServers";

export type PushState =
  | { step: "previewing" }
  | { step: "ready"; preview: PushPreview; conflict: number | null }
  | { step: "pushing"; preview: PushPreview }
  | {
      step: "pushed";
      version: number;
      previous: number;
      /** Set when the new version is a rollback: the version it copies. */
      rolledBackTo: number | null;
      verify: VerifyReport | "verifying" | null;
      /** Why verify compares another record than the selected one (or says it is unaffected). */
      verifyNote: string | null;
    }
  | { step: "failed"; error: ServiceError };

export function usePush(target: Target | null, text: string, recordId: string | null) {
  const [state, setState] = useState<PushState>({ step: "previewing" });
  const [versions, setVersions] = useState<ServerVersionInfo[]>([]);
  const [openedMs, setOpenedMs] = useState<number | null>(null);

  const fail = (e: unknown) => setState({ step: "failed", error: asServiceError(e) });

  // The selected record, read when a preview is asked for (selecting another record while the
  // dialog is open does not redo the preview or lose a push's outcome), and the record the
  // shown preview says the change affects or not: verify's choice is made for that one.
  const selected = useRef(recordId);
  useEffect(() => {
    selected.current = recordId;
  });
  const measuredFor = useRef<string | null>(null);

  // The diff and impact; the state says "previewing" until it is answered.
  const measure = useCallback(() => {
    if (!target) {
      return Promise.resolve();
    }
    const started = performance.now();
    const asked = selected.current;
    return api.pushPreview(target.server, target.connectionId, target.source, text, asked).then((p) => {
      measuredFor.current = asked;
      setState({ step: "ready", preview: p, conflict: null });
      setOpenedMs(Math.round(performance.now() - started));
    }, fail);
  }, [target, text]);

  const preview = () => {
    setState({ step: "previewing" });
    void measure();
  };

  const entity = (() => {
    try {
      return (JSON.parse(text) as { target?: { entity?: string } }).target?.entity ?? null;
    } catch {
      return null;
    }
  })();

  const loadVersions = useCallback(
    () =>
      target && entity
        ? api.serverVersions(target.server, target.connectionId, entity).then(setVersions, fail)
        : Promise.resolve(),
    [target, entity],
  );

  useEffect(() => {
    void measure();
    void loadVersions();
  }, [measure, loadVersions]);

  // A preview made against a version the list does not have (someone pushed in between: a
  // conflict's new diff, or Diff again) reloads the list, once per such version, so that it
  // does not go on calling an older version active.
  const reloadedFor = useRef<number | null>(null);
  const previewedAgainst = state.step === "ready" ? state.preview.activeVersion : null;
  useEffect(() => {
    if (
      previewedAgainst !== null &&
      reloadedFor.current !== previewedAgainst &&
      versionsBehind(versions, previewedAgainst)
    ) {
      reloadedFor.current = previewedAgainst;
      void loadVersions();
    }
  }, [previewedAgainst, versions, loadVersions]);

  // The record verify compares, chosen when the push is made (a record the push changes): a
  // rollback of that push changes it back, so verify after it compares the same one.
  const chosen = useRef<VerifyChoice | null>(null);
  const verify = async (
    version: number,
    previous: number,
    choice: VerifyChoice,
    rolledBackTo: number | null = null,
  ) => {
    const { recordId: verified, note: verifyNote } = choice;
    if (!target || !verified) {
      setState({ step: "pushed", version, previous, rolledBackTo, verify: null, verifyNote });
      return;
    }
    setState({ step: "pushed", version, previous, rolledBackTo, verify: "verifying", verifyNote });
    try {
      // After a rollback the server serves the version rolled back to: the studio previews
      // that version on the same record (not its own mapping) and compares.
      const report = await api.verifyPush(
        target.server,
        target.connectionId,
        target.source,
        text,
        verified,
        rolledBackTo,
      );
      setState({ step: "pushed", version, previous, rolledBackTo, verify: report, verifyNote });
    } catch (e) {
      fail(e);
    }
  };

  const push = async (note: string) => {
    if (!target || state.step !== "ready" || state.preview.blocked) {
      return;
    }
    const made = state.preview;
    setState({ step: "pushing", preview: made });
    setBetween(null);
    try {
      const result = await api.pushMapping(
        target.server,
        target.connectionId,
        target.source,
        text,
        made.activeVersion,
        note.trim() === "" ? null : note.trim(),
        measuredFor.current,
      );
      if (result.kind === "conflict") {
        setState({ step: "ready", preview: result.preview, conflict: result.expected });
        return;
      }
      await loadVersions();
      chosen.current = verifyChoice(made, measuredFor.current);
      await verify(result.version, result.previousVersion, chosen.current);
    } catch (e) {
      fail(e);
    }
  };

  const rollback = async (version: number) => {
    if (!target || !entity) {
      return;
    }
    // The active version is the newest one (every push and rollback makes a new one).
    const active = versions.reduce((newest, v) => Math.max(newest, v.version), -1);
    // Without a push in this dialog, a record the studio's change affects: the versions
    // differ there too, most likely.
    const choice =
      chosen.current ??
      (state.step === "ready" ? verifyChoice(state.preview, measuredFor.current) : { recordId, note: null });
    // The diff between two versions shown before is of the list as it was.
    setBetween(null);
    try {
      const made = await api.rollbackServer(target.server, target.connectionId, entity, version);
      await loadVersions();
      await verify(made, active, choice, version);
    } catch (e) {
      fail(e);
    }
  };

  const [between, setBetween] = useState<{ from: number; to: number; changes: Change[] } | null>(null);
  /** The changes from version `from` to version `to` on the connection. */
  const compare = async (from: number, to: number) => {
    if (!target || !entity) {
      return;
    }
    try {
      setBetween({
        from,
        to,
        changes: await api.serverVersionDiff(target.server, target.connectionId, entity, from, to),
      });
    } catch (e) {
      fail(e);
    }
  };

  return { state, versions, openedMs, preview, push, rollback, between, compare };
}
