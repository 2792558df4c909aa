// Connection servers: add one (URL and API key; the key goes to the OS keyring), list its
// connections with their status, and preview through one (its raw records pulled through
// the server into the workspace cache, then used as the source).

import { useEffect, useRef, useState } from "react";
import type { ServerConnectionInfo, ServiceError } from "../bindings";
import { localTime } from "../format";
import { useServers, type Target } from "../hooks/useServers";
import {
  addFailure,
  checkServerForm,
  firstProblem,
  firstReconnect,
  reconnectTakesFocus,
  SERVER_FIELDS,
  serverFailure,
  type AddFailure,
  type ServerField,
  type ServerForm,
} from "../server-form";
import { connectionAction, lastSyncWords, previewOffer, statusWords } from "../server-status";
import { toastWords } from "../toast-list";
import { CodedMessage } from "./CodedMessage";
import { Confirm } from "./Confirm";
import { EventsPanel } from "./EventsPanel";
import { Modal } from "./Modal";

/** New client id and secret (and base URL, when it moved) for a connection Corrigo stopped accepting. */
export function Reconnect({
  onReconnect,
  takeFocus = false,
}: {
  onReconnect: (clientId: string, secret: string, baseUrl: string | null) => Promise<boolean>;
  /**
   * Focus moves to its first input as it appears (the dialog's first connection that needs
   * it), unless the person is typing elsewhere. Read once: a form that stays does not take
   * focus again when another one is reconnected.
   */
  takeFocus?: boolean;
}) {
  const [clientId, setClientId] = useState("");
  const [secret, setSecret] = useState("");
  const [baseUrl, setBaseUrl] = useState("");
  const first = useRef<HTMLInputElement>(null);
  const takeFocusAtFirst = useRef(takeFocus);
  useEffect(() => {
    if (takeFocusAtFirst.current && reconnectTakesFocus(document.activeElement as HTMLInputElement | null)) {
      first.current?.focus();
    }
  }, []);
  return (
    <form
      className="reconnect"
      onSubmit={(e) => {
        e.preventDefault();
        void onReconnect(clientId, secret, baseUrl.trim() === "" ? null : baseUrl).then((ok) => ok && setSecret(""));
      }}
    >
      <input
        ref={first}
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

const EMPTY_FORM: ServerForm = { name: "", url: "", apiKey: "" };

/** The Add form's inputs' test ids (as the journey knows them). */
const TEST_IDS: Record<ServerField, string> = { name: "server-name", url: "server-url", apiKey: "server-key" };

/**
 * A server's failure in words: the cause and what to do next in the studio's words, the
 * service's own sentence (the OS's or TLS's words) and code as the details; a failure the
 * studio has no next step for is the service's sentence with its code apart.
 */
function FailureWords({
  error,
  failure,
  server = null,
}: {
  error: ServiceError;
  failure: AddFailure;
  /** The listed server it is about, named first (the dialog lists several). */
  server?: string | null;
}) {
  const about = server !== null && <strong>{server}: </strong>;
  if (failure.next === null) {
    return (
      <>
        {about}
        <CodedMessage message={error.message} code={error.code} />
      </>
    );
  }
  // The cause is the service's own sentence (a duplicate name, a server's 500): said once, with its code.
  const own = failure.cause === toastWords("error", error.message, error.code).text;
  return (
    <>
      <div className="server-add-cause">
        {about}
        {own ? <CodedMessage message={error.message} code={error.code} /> : failure.cause}
      </div>
      <div className="server-add-next">What to do: {failure.next}</div>
      {!own && (
        <details>
          <summary>Details</summary>
          <CodedMessage message={error.message} code={error.code} />
        </details>
      )}
    </>
  );
}

/**
 * Why the server refused an add (cause, next step, details: FailureWords). Beside the field
 * to change (which it describes), else under the form as an alert.
 */
export function AddFailureNote({ error, failure }: { error: ServiceError; failure: AddFailure }) {
  return (
    <div
      className="error-text field-error server-add-failure"
      id="server-add-failure"
      data-testid="servers-error"
      role={failure.field === null ? "alert" : undefined}
    >
      <FailureWords error={error} failure={failure} />
    </div>
  );
}

/**
 * The dialog's own error, at its top: a listed server (named first, when known) that failed
 * a Refresh, a pull, a removal or a Reconnect, with its cause and what to do next (the same
 * mapping as the Add form's, for a server whose URL and key are kept).
 */
export function ServerErrorNote({
  error,
  testId,
  server = null,
}: {
  error: ServiceError;
  testId: string;
  server?: string | null;
}) {
  return (
    <div className="error-text server-error" role="alert" data-testid={testId}>
      <FailureWords error={error} failure={serverFailure(error, "using")} server={server} />
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
  const [form, setForm] = useState<ServerForm>(EMPTY_FORM);
  const [events, setEvents] = useState<string | null>(null);
  // The server whose removal waits to be confirmed: it deletes the API key from the keyring.
  const [removing, setRemoving] = useState<string | null>(null);

  // The form's problems, checked as typed: a field's show once it was left, every field's
  // after a submit (and nothing is sent while one has a problem).
  const problems = checkServerForm(
    form,
    servers.servers.map((s) => s.name),
  );
  const [shown, setShown] = useState<ReadonlySet<ServerField>>(new Set());
  const inputs = useRef<Partial<Record<ServerField, HTMLInputElement | null>>>({});
  // Why the server refused the last add, until the next submit. The dialog's own error (a
  // Refresh, a removal...) comes after it and replaces it: one error shows at a time.
  const [lastRefusal, setRefused] = useState<{ error: ServiceError; failure: AddFailure } | null>(null);
  const refused = servers.error ? null : lastRefusal;

  // Adding asks the server first (it must answer and accept the key): up to its timeouts.
  const [adding, setAdding] = useState(false);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setShown(new Set(SERVER_FIELDS));
    setRefused(null);
    const first = firstProblem(problems);
    if (first !== null) {
      inputs.current[first]?.focus();
      return;
    }
    setAdding(true);
    try {
      const error = await servers.add(form);
      if (error === null) {
        setForm(EMPTY_FORM);
        setShown(new Set());
      } else {
        const failure = addFailure(error);
        setRefused({ error, failure });
        // The field to change, which the failure describes (read out with it).
        if (failure.field !== null) {
          inputs.current[failure.field]?.focus();
        }
      }
    } finally {
      setAdding(false);
    }
  };

  const field = (key: ServerField, label: string, props: React.InputHTMLAttributes<HTMLInputElement>) => {
    const problem = shown.has(key) ? problems[key] : undefined;
    const failed = refused !== null && refused.failure.field === key ? refused : null;
    const described = [problem !== undefined ? `server-${key}-problem` : null, failed ? "server-add-failure" : null]
      .filter((id) => id !== null)
      .join(" ");
    return (
      <div className="form-row">
        <label htmlFor={`server-${key}`}>{label}</label>
        <input
          {...props}
          id={`server-${key}`}
          ref={(input) => {
            inputs.current[key] = input;
          }}
          name={key}
          data-testid={TEST_IDS[key]}
          value={form[key]}
          onChange={(e) => setForm({ ...form, [key]: e.target.value })}
          // Left with something typed: its problem shows (an empty field waits for the submit).
          onBlur={() => form[key].trim() !== "" && !shown.has(key) && setShown(new Set([...shown, key]))}
          aria-invalid={problem !== undefined || failed !== null}
          aria-describedby={described === "" ? undefined : described}
        />
        {problem !== undefined && (
          <span className="error-text field-error" id={`server-${key}-problem`} data-testid={`server-${key}-problem`}>
            {problem}
          </span>
        )}
        {failed && <AddFailureNote error={failed.error} failure={failed.failure} />}
      </div>
    );
  };
  const reconnectFirst = firstReconnect(servers.servers, servers.connections);

  return (
    <Modal title="Servers" onClose={onClose} testId="servers-dialog" opener="[data-testid=open-servers]">
      {notice && (
        <p role="status" data-testid="servers-notice">
          {notice}
        </p>
      )}
      {servers.error && <ServerErrorNote error={servers.error} server={servers.errorServer} testId="servers-error" />}
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
                            takeFocus={reconnectFirst === `${server.name}/${connection.id}`}
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
      <form onSubmit={(e) => void submit(e)} className="server-form" noValidate>
        <h3>Add a server</h3>
        {field("name", "Name", { autoComplete: "off" })}
        {field("url", "URL", {
          placeholder: "https://…",
          title: "https, or http to this machine (127.0.0.1, localhost)",
          autoComplete: "off",
        })}
        {field("apiKey", "API key", { type: "password", autoComplete: "off" })}
        <button type="submit" data-testid="add-server" disabled={adding}>
          {adding ? "Checking the server…" : "Add"}
        </button>
        {refused && refused.failure.field === null && (
          <AddFailureNote error={refused.error} failure={refused.failure} />
        )}
      </form>
    </Modal>
  );
}
