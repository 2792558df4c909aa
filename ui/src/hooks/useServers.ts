// Connection servers (`unifield serve`): the list, adding one (the API key goes to the OS
// keyring, never back to the page), a server's connections with their status, and pulling a
// connection's raw records through the server into the workspace cache (progress, cancel;
// the next pull resumes after the pages kept).

import { useCallback, useEffect, useRef, useState } from "react";
import { api, asServiceError, newJob, onPullProgress } from "../api";
import type {
  NewServer,
  PullProgress,
  PullReport,
  RecordSource,
  ServerConnectionInfo,
  ServerInfo,
  ServiceError,
} from "../bindings";
import { serversToList } from "../server-status";

/** A server connection the studio previews through and pushes to. */
export interface Target {
  server: string;
  connectionId: string;
  connectionName: string;
  source: RecordSource;
}

export interface ServerPulling {
  connectionId: string;
  job: number;
  progress: PullProgress | null;
}

/**
 * `listConnections`: each server's connections are asked for as soon as the server is listed
 * (the Servers dialog shows them at once, not after a click on Connections).
 */
export function useServers({ listConnections = false }: { listConnections?: boolean } = {}) {
  const [servers, setServers] = useState<ServerInfo[]>([]);
  const [connections, setConnections] = useState<Record<string, ServerConnectionInfo[] | "loading">>({});
  // The last failure, and the listed server it was about (null: the list itself), for the
  // dialog to say which server to act on.
  const [failure, setFailure] = useState<{ error: ServiceError; server: string | null } | null>(null);
  const [pulling, setPulling] = useState<ServerPulling | null>(null);

  const clearError = () => setFailure(null);
  const fail = (e: unknown, server: string | null) => setFailure({ error: asServiceError(e), server });
  const refresh = useCallback(() => api.listServers().then(setServers, (e: unknown) => fail(e, null)), []);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  useEffect(() => {
    const stop = onPullProgress((p) => setPulling((cur) => (cur && cur.job === p.job ? { ...cur, progress: p } : cur)));
    return () => {
      void stop.then((f) => f());
    };
  }, []);

  const loadConnections = useCallback(async (server: string) => {
    clearError();
    setConnections((c) => ({ ...c, [server]: "loading" }));
    try {
      const list = await api.serverConnections(server);
      setConnections((c) => ({ ...c, [server]: list }));
    } catch (e) {
      setConnections((c) => Object.fromEntries(Object.entries(c).filter(([name]) => name !== server)));
      fail(e, server);
    }
  }, []);
  const asked = useRef(new Set<string>());
  useEffect(() => {
    if (!listConnections) {
      return;
    }
    for (const name of serversToList(servers, asked.current)) {
      asked.current.add(name);
      void loadConnections(name);
    }
  }, [listConnections, servers, loadConnections]);

  /**
   * Null when the server was added; else why not, for the Add form to show beside the field
   * to change (not as the dialog's error).
   */
  const add = async (server: NewServer): Promise<ServiceError | null> => {
    clearError();
    try {
      await api.addServer(server);
    } catch (e) {
      return asServiceError(e);
    }
    await refresh();
    await loadConnections(server.name);
    return null;
  };

  /** True when the server was removed. */
  const remove = async (name: string) => {
    clearError();
    try {
      await api.removeServer(name);
      setConnections((c) => Object.fromEntries(Object.entries(c).filter(([server]) => server !== name)));
      await refresh();
      return true;
    } catch (e) {
      fail(e, name);
      return false;
    }
  };

  /**
   * Pulls through the server; the cached source when it finished (cancelled or not), with
   * what it pulled per entity.
   */
  const pull = async (
    server: string,
    connection: ServerConnectionInfo,
  ): Promise<{ target: Target; report: PullReport } | null> => {
    const job = newJob();
    clearError();
    setPulling({ connectionId: connection.id, job, progress: null });
    try {
      const done = await api.pullThroughServer(server, connection.id, [], job);
      const failed = done.report.entities.find((e) => e.error);
      if (failed) {
        setFailure({
          error: { code: failed.status, message: failed.error ?? "", location: null, problems: [] },
          server,
        });
      }
      return {
        target: { server, connectionId: connection.id, connectionName: connection.name, source: done.source },
        report: done.report,
      };
    } catch (e) {
      fail(e, server);
      return null;
    } finally {
      setPulling(null);
    }
  };

  /** True when Corrigo accepted the new credentials (refused ones change nothing). */
  const reconnect = async (
    server: string,
    connectionId: string,
    clientId: string,
    clientSecret: string,
    baseUrl: string | null,
  ) => {
    clearError();
    try {
      const updated = await api.reconnectServerConnection(server, connectionId, clientId, clientSecret, baseUrl);
      setConnections((c) => {
        const list = c[server];
        return Array.isArray(list) ? { ...c, [server]: list.map((x) => (x.id === updated.id ? updated : x)) } : c;
      });
      return true;
    } catch (e) {
      fail(e, server);
      return false;
    }
  };

  const cancelPull = () => pulling !== null && void api.cancel(pulling.job);

  return {
    servers,
    connections,
    error: failure?.error ?? null,
    /** The listed server the error is about (null: the list itself, or no error). */
    errorServer: failure?.server ?? null,
    pulling,
    loadConnections,
    add,
    remove,
    pull,
    reconnect,
    cancelPull,
    clearError,
  };
}
