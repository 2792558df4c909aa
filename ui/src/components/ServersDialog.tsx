// Connection servers: add one (URL and API key; the key goes to the OS keyring), list its
// connections with their status, and preview through one (its raw records pulled through
// the server into the workspace cache, then used as the source).

import { useState } from "react";
import type { ServerConnectionInfo } from "../bindings";
import { localTime } from "../format";
import { useServers, type Target } from "../hooks/useServers";
import { connectionAction, errorWithCode, lastSyncWords, previewOffer, statusWords } from "../server-status";
import { Confirm } from "./Confirm";
import { EventsPanel } from "./EventsPanel";
import { Modal } from "./Modal";

/** New client id and secret (and base URL, when it moved) for a connection Corrigo stopped accepting. */
export function Reconnect({
  onReconnect,
}: {
  onReconnect: (clientId: string, secret: string, baseUrl: string | null) => Promise<boolean>;
}) {
  const [clientId, setClientId] = useState("");
  const [secret, setSecret] = useState("");
  const [baseUrl, setBaseUrl] = useState("");
  return (
    <form
      className="reconnect"
      onSubmit={(e) => {
        e.preventDefault();
        void onReconnect(clientId, secret, baseUrl.trim() === "" ? null : baseUrl).then((ok) => ok && setSecret(""));
      }}
    >
      <input
        value={clientId}
        onChange={(e) => setClientId(e.target.value)}
        placeholder="client id"
        name="clientId"
        aria-label="Corrigo client id"
        data-testid="reconnect-client-id"
      />{" "}
      <input
        type="password"
        value={secret}
        onChange={(e) => setSecret(e.target.value)}
        placeholder="client secret"
        name="clientSecret"
        aria-label="Corrigo client secret"
        data-testid="reconnect-client-secret"
        autoComplete="off"
      />{" "}
      <input
        value={baseUrl}
        onChange={(e) => setBaseUrl(e.target.value)}
        placeholder="region or base URL, if it moved (optional)"
        name="baseUrl"
        aria-label="Corrigo region (am, emea, apac) or base URL, if it moved"
        data-testid="reconnect-base-url"
      />{" "}
      <button type="submit" data-testid="reconnect">
        Reconnect
      </button>
    </form>
  );
}

/** A connection's status as a badge, then its last sync: `[ok] · last sync completed 05:41 PM (just now) · 340 records`. */
export function Status({ connection }: { connection: ServerConnectionInfo }) {
  const sync = connection.lastSync;
  const action = connectionAction(connection);
  return (
    <div className="server-status">
      <span className={`badge status-${connection.status}`} data-testid="server-connection-status">
        {statusWords(connection.status)}
      </span>
      {sync && (
        <span className="server-sync"> · {lastSyncWords(sync, localTime(sync.finishedAt ?? sync.startedAt))}</span>
      )}
      {connection.reason && <div className="reason">{connection.reason}</div>}
      {action && <div className="action">{action}</div>}
    </div>
  );
}

/** The empty list: where a first server's URL and key come from (the command, set as code). */
export function NoServerYet() {
  return (
    <p data-testid="servers-empty">
      No server yet. Add one below: <code>unifield serve --demo</code> prints a URL and an API key to try it on this
      machine.
    </p>
  );
}

export function ServersDialog({
  notice,
  onClose,
  onUse,
  onRemoved,
}: {
  /** What the studio did on the dialog's behalf (a removal switched the source back). */
  notice: string | null;
  onClose: () => void;
  onUse: (target: Target) => void;
  /** A server was removed: a push target on it is gone with it. */
  onRemoved: (server: string) => void;
}) {
  const servers = useServers({ listConnections: true });
  const [form, setForm] = useState({ name: "", url: "", apiKey: "" });
  const [events, setEvents] = useState<string | null>(null);
  // The server whose removal waits to be confirmed: it deletes the API key from the keyring.
  const [removing, setRemoving] = useState<string | null>(null);

  // Adding asks the server first (it must answer and accept the key): up to its timeouts.
  const [adding, setAdding] = useState(false);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setAdding(true);
    try {
      if (await servers.add(form)) {
        setForm({ name: "", url: "", apiKey: "" });
      }
    } finally {
      setAdding(false);
    }
  };

  return (
    <Modal title="Servers" onClose={onClose} testId="servers-dialog" opener="[data-testid=open-servers]">
      {notice && (
        <p role="status" data-testid="servers-notice">
          {notice}
        </p>
      )}
      {servers.error && (
        <p className="error" role="alert" data-testid="servers-error">
          {errorWithCode(servers.error)}
        </p>
      )}
      {servers.servers.length === 0 && <NoServerYet />}
      <ul className="server-list">
        {servers.servers.map((server) => {
          const list = servers.connections[server.name];
          return (
            <li key={server.name} data-server={server.name}>
              <strong>{server.name}</strong> {server.url} {server.hasKey ? "" : "(no key in the keyring)"}{" "}
              <button
                type="button"
                data-testid="server-connections"
                title="Ask the server for its connections and their status again"
                onClick={() => void servers.loadConnections(server.name)}
              >
                Refresh
              </button>{" "}
              <button
                type="button"
                data-testid="server-events"
                onClick={() => {
                  servers.clearError();
                  setEvents(events === server.name ? null : server.name);
                }}
              >
                Events
              </button>{" "}
              <button
                type="button"
                data-testid="server-remove"
                onClick={() => {
                  servers.clearError();
                  setRemoving(server.name);
                }}
              >
                Remove
              </button>
              {removing === server.name && (
                <>
                  {" "}
                  <Confirm
                    testId="server-remove-confirm"
                    message={`Remove ${server.name}? The API key is deleted from the keyring.`}
                    action="Remove"
                    onConfirm={() => {
                      setRemoving(null);
                      void servers.remove(server.name).then((removed) => removed && onRemoved(server.name));
                    }}
                    onCancel={() => setRemoving(null)}
                  />
                </>
              )}
              {events === server.name && <EventsPanel server={server.name} />}
              {list === "loading" && <p>Loading…</p>}
              {Array.isArray(list) && (
                <ul>
                  {list.length === 0 && <li>This server has no connections.</li>}
                  {list.map((connection) => {
                    const pulling = servers.pulling?.connectionId === connection.id ? servers.pulling : null;
                    const offer = previewOffer(connection);
                    return (
                      <li key={connection.id} data-server-connection={connection.name}>
                        <strong>{connection.name}</strong> ({connection.company})
                        <Status connection={connection} />
                        {connection.status === "reauthorization_required" && (
                          <Reconnect
                            onReconnect={(clientId, secret, baseUrl) =>
                              servers.reconnect(server.name, connection.id, clientId, secret, baseUrl)
                            }
                          />
                        )}
                        {pulling ? (
                          <>
                            <progress
                              max={pulling.progress?.of ?? 1}
                              value={pulling.progress?.done ?? 0}
                              aria-label="Pull through the server"
                            />{" "}
                            {pulling.progress?.records ?? 0} records{" "}
                            <button type="button" onClick={servers.cancelPull} data-focus-next>
                              Cancel
                            </button>
                          </>
                        ) : !offer.preview ? (
                          <p className="muted" data-testid="preview-not-offered">
                            {offer.why}
                          </p>
                        ) : (
                          <button
                            type="button"
                            data-testid="preview-through-server"
                            data-focus-next
                            disabled={servers.pulling !== null}
                            onClick={() =>
                              void servers
                                .pull(server.name, connection)
                                .then((pulled) => pulled && onUse(pulled.target))
                            }
                          >
                            Preview through the server
                          </button>
                        )}
                      </li>
                    );
                  })}
                </ul>
              )}
            </li>
          );
        })}
      </ul>
      <form onSubmit={(e) => void submit(e)} className="server-form">
        <h3>Add a server</h3>
        <label>
          Name{" "}
          <input
            value={form.name}
            onChange={(e) => setForm({ ...form, name: e.target.value })}
            name="name"
            data-testid="server-name"
          />
        </label>
        <label>
          URL{" "}
          <input
            value={form.url}
            onChange={(e) => setForm({ ...form, url: e.target.value })}
            name="url"
            data-testid="server-url"
            placeholder="https://…"
            title="https, or http to this machine (127.0.0.1, localhost)"
          />
        </label>
        <label>
          API key{" "}
          <input
            type="password"
            value={form.apiKey}
            onChange={(e) => setForm({ ...form, apiKey: e.target.value })}
            name="apiKey"
            data-testid="server-key"
            autoComplete="off"
          />
        </label>
        <button type="submit" data-testid="add-server" disabled={adding}>
          {adding ? "Checking the server…" : "Add"}
        </button>
      </form>
    </Modal>
  );
}
