// "Pull through the server" for a cached server connection in the Connections dialog: the
// server holds the Corrigo credentials, so the studio asks the server for the connection's
// raw records (as Servers → Preview through the server does), with progress and cancel.

import { useState } from "react";
import { api, asServiceError } from "../api";
import type { ServiceError } from "../bindings";
import { useServers } from "../hooks/useServers";
import { pulledThroughText } from "../pull-text";
import { connectionForCache } from "../server-source";
import { ServerErrorNote } from "./ServersDialog";

export function ServerPullAction({
  server,
  cache,
  onPulled,
}: {
  server: string;
  /** The workspace connection the records are cached under (`server/connection`). */
  cache: string;
  onPulled: () => void;
}) {
  const servers = useServers();
  const [error, setError] = useState<ServiceError | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const pull = async () => {
    setError(null);
    setDone(null);
    try {
      const connection = connectionForCache(cache, server, await api.serverConnections(server));
      if (!connection) {
        setError({
          code: "unknown_server_connection",
          message: `server ${server} has no connection cached as ${cache} any more`,
          location: null,
          problems: [],
        });
        return;
      }
      const pulled = await servers.pull(server, connection);
      if (pulled) {
        setDone(pulledThroughText(server, pulled.report));
        onPulled();
      }
    } catch (e) {
      setError(asServiceError(e));
    }
  };

  const failed = error ?? servers.error;
  return (
    <>
      {servers.pulling ? (
        <>
          <progress
            max={servers.pulling.progress?.of ?? 1}
            value={servers.pulling.progress?.done ?? 0}
            aria-label="Pull through the server"
          />{" "}
          <span className="muted" data-testid="server-pull-progress">
            {servers.pulling.progress?.records ?? 0} records
          </span>{" "}
          <button type="button" onClick={servers.cancelPull} data-focus-next>
            Cancel pull
          </button>
        </>
      ) : (
        <button type="button" data-testid="pull-through-server" data-focus-next onClick={() => void pull()}>
          Pull through the server
        </button>
      )}
      {/* Why, and what to do next, as the Servers dialog says it (a server that does not answer...). */}
      {failed && <ServerErrorNote error={failed} testId="server-pull-error" />}
      {done && (
        <span className="muted" role="status" data-testid="server-pull-done">
          {" "}
          {done}
        </span>
      )}
    </>
  );
}
