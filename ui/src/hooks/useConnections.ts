// Corrigo connections: the list, adding one (the secret goes to the OS keyring, never back
// to the page), testing with a health verdict, pulling with progress and cancel, removing.

import { useCallback, useEffect, useState } from "react";
import { api, asServiceError, newJob, onPullProgress } from "../api";
import type { ConnectionInfo, Health, NewConnection, PullProgress, PullReport, ServiceError } from "../bindings";

export interface Pulling {
  name: string;
  job: number;
  progress: PullProgress | null;
}

/** `onChanged`: after a pull or a change, the workspace's sources changed. */
export function useConnections(onChanged: () => void) {
  const [connections, setConnections] = useState<ConnectionInfo[]>([]);
  const [error, setError] = useState<ServiceError | null>(null);
  const [health, setHealth] = useState<Record<string, Health | "testing">>({});
  const [pulling, setPulling] = useState<Pulling | null>(null);
  const [reports, setReports] = useState<Record<string, PullReport>>({});

  const fail = (e: unknown) => setError(asServiceError(e));
  const refresh = useCallback(() => api.listConnections().then(setConnections, fail), []);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  useEffect(() => {
    const stop = onPullProgress((p) => setPulling((cur) => (cur && cur.job === p.job ? { ...cur, progress: p } : cur)));
    return () => {
      void stop.then((f) => f());
    };
  }, []);

  /** True when the connection was added. */
  const add = async (connection: NewConnection) => {
    setError(null);
    try {
      await api.addConnection(connection);
      await refresh();
      onChanged();
      return true;
    } catch (e) {
      fail(e);
      return false;
    }
  };

  const test = async (name: string) => {
    setHealth((h) => ({ ...h, [name]: "testing" }));
    try {
      const result = await api.testConnection(name);
      setHealth((h) => ({ ...h, [name]: result }));
    } catch (e) {
      const err = asServiceError(e);
      setHealth((h) => ({
        ...h,
        [name]: { status: "error", code: err.code, reason: err.message, action: null, host: null, millis: 0 },
      }));
    }
  };

  const pull = async (name: string) => {
    const job = newJob();
    setPulling({ name, job, progress: null });
    try {
      const report = await api.pull(name, [], job);
      setReports((r) => ({ ...r, [name]: report }));
      await refresh();
      onChanged();
    } catch (e) {
      fail(e);
    } finally {
      setPulling(null);
    }
  };

  const cancelPull = () => pulling !== null && void api.cancel(pulling.job);

  /**
   * Sets or replaces the connection's client secret (the keyring entry only), then lists
   * it again and tests it, so its row shows whether the secret works. The service's error
   * when refused (for the form that asked), else null.
   */
  const setSecret = async (name: string, secret: string): Promise<ServiceError | null> => {
    try {
      await api.setConnectionSecret(name, secret);
    } catch (e) {
      return asServiceError(e);
    }
    await refresh();
    void test(name);
    return null;
  };

  /** True when the connection was removed. */
  const remove = (name: string) =>
    api.removeConnection(name).then(
      () => {
        void refresh();
        onChanged();
        return true;
      },
      (e: unknown) => {
        fail(e);
        return false;
      },
    );

  return { connections, error, health, pulling, reports, add, test, setSecret, pull, cancelPull, remove, refresh };
}
