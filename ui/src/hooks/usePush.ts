// The push loop against a server connection: a preview made before anything is sent (the
// field-level diff against the active version, the impact on the cached records, every
// problem), the push with If-Match of the version the diff was made against (a conflict
// shows the new diff), verify (the server's unified record against the studio's), and the
// connection's versions with rollback.

import { useCallback, useEffect, useState } from "react";
import { api, asServiceError } from "../api";
import type { Change, PushPreview, ServerVersionInfo, ServiceError, VerifyReport } from "../bindings";
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
    }
  | { step: "failed"; error: ServiceError };

export function usePush(target: Target | null, text: string, recordId: string | null) {
  const [state, setState] = useState<PushState>({ step: "previewing" });
  const [versions, setVersions] = useState<ServerVersionInfo[]>([]);
  const [openedMs, setOpenedMs] = useState<number | null>(null);

  const fail = (e: unknown) => setState({ step: "failed", error: asServiceError(e) });

  // The diff and impact; the state says "previewing" until it is answered.
  const measure = useCallback(() => {
    if (!target) {
      return Promise.resolve();
    }
    const started = performance.now();
    return api.pushPreview(target.server, target.connectionId, target.source, text).then((p) => {
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

  const verify = async (version: number, previous: number, rolledBackTo: number | null = null) => {
    if (!target || !recordId) {
      setState({ step: "pushed", version, previous, rolledBackTo, verify: null });
      return;
    }
    setState({ step: "pushed", version, previous, rolledBackTo, verify: "verifying" });
    try {
      // After a rollback the server serves the version rolled back to: the studio previews
      // that version on the same record (not its own mapping) and compares.
      const report = await api.verifyPush(
        target.server,
        target.connectionId,
        target.source,
        text,
        recordId,
        rolledBackTo,
      );
      setState({ step: "pushed", version, previous, rolledBackTo, verify: report });
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
    try {
      const result = await api.pushMapping(
        target.server,
        target.connectionId,
        target.source,
        text,
        made.activeVersion,
        note.trim() === "" ? null : note.trim(),
      );
      if (result.kind === "conflict") {
        setState({ step: "ready", preview: result.preview, conflict: result.expected });
        return;
      }
      await loadVersions();
      await verify(result.version, result.previousVersion);
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
    try {
      const made = await api.rollbackServer(target.server, target.connectionId, entity, version);
      await loadVersions();
      await verify(made, active, version);
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
