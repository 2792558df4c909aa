// Corrigo connections: add (the secret goes to the OS keyring, never back to the page),
// test with a health verdict and what to do, pull with progress and cancel, remove.

import { useState } from "react";
import type { ConnectionInfo } from "../bindings";
import { useConnections } from "../hooks/useConnections";
import { cachedText, lastPullText } from "../pull-text";
import { CodedMessage } from "./CodedMessage";
import { Modal } from "./Modal";
import { ServerPullAction } from "./ServerPullAction";

interface Props {
  onClose: () => void;
  /** After a pull or a change: the workspace's sources changed. */
  onChanged: () => void;
  onUse: (name: string) => void;
}

const EMPTY = { name: "", company: "", region: "am", baseUrl: "", clientId: "", secret: "", custom: false };

type Form = typeof EMPTY;

/**
 * Every problem of the form at once, by field, before anything is sent. The service
 * checks again (and more: URL rules, the keyring); its error is shown at its field too.
 */
export function formProblems(form: Form): Partial<Record<keyof Form, string>> {
  const problems: Partial<Record<keyof Form, string>> = {};
  const required: [keyof Form, string][] = [
    ["name", "a name for this connection"],
    ["company", "the company name as Corrigo knows it"],
    ["clientId", "the API client id"],
    ["secret", "the API client secret"],
  ];
  if (form.custom) {
    required.push(["baseUrl", "the API base URL"]);
  }
  for (const [key, what] of required) {
    if (String(form[key]).trim() === "") {
      problems[key] = `Enter ${what}.`;
    }
  }
  return problems;
}

/** What a listed connection's row says and offers, by where its records come from. */
export interface ConnectionRow {
  /** A line under the name about where the records come from, or null. */
  note: string | null;
  /** The direct connection's secret is missing from the keyring. */
  missingSecret: boolean;
  /** Test and Pull records (Corrigo, directly: a direct connection only). */
  direct: boolean;
  /** Pull through the server that holds the credentials (a server still added). */
  pullThroughServer: boolean;
  /**
   * The button that sets the client secret in the keyring (a direct connection only; a
   * server holds its own): "Set secret…" when it is missing, else "Replace secret…".
   */
  secretAction: string | null;
}

/** The set-secret form's problem before anything is sent, or null. */
export function secretProblem(secret: string): string | null {
  return secret.trim() === "" ? "Enter the API client secret." : null;
}

export function connectionRow(c: Pick<ConnectionInfo, "server" | "serverRemoved" | "hasSecret">): ConnectionRow {
  if (c.server === null) {
    return {
      note: null,
      missingSecret: !c.hasSecret,
      direct: true,
      pullThroughServer: false,
      secretAction: c.hasSecret ? "Replace secret…" : "Set secret…",
    };
  }
  if (c.serverRemoved) {
    return {
      note: `Pulled through server ${c.server} (removed): the server held its Corrigo credentials, so it can no longer be tested or pulled; its cached records can still be used as a source.`,
      missingSecret: false,
      direct: false,
      pullThroughServer: false,
      secretAction: null,
    };
  }
  return {
    note: `A connection of server ${c.server}: the server holds its Corrigo credentials, so it is tested and pulled there; Pull through the server asks it for the records again.`,
    missingSecret: false,
    direct: false,
    pullThroughServer: true,
    secretAction: null,
  };
}

export function ConnectionsDialog({ onClose, onChanged, onUse }: Props) {
  const { connections, error, health, pulling, reports, add, test, setSecret, pull, cancelPull, remove, refresh } =
    useConnections(onChanged);
  // The connection whose secret is being set, the secret typed and the form's problem.
  const [secretFor, setSecretFor] = useState<string | null>(null);
  const [secret, setSecretText] = useState("");
  const [secretError, setSecretError] = useState<{ message: string; code: string | null } | null>(null);
  const openSecret = (name: string | null) => {
    setSecretFor(name);
    setSecretText("");
    setSecretError(null);
  };
  const submitSecret = async (name: string) => {
    const problem = secretProblem(secret);
    if (problem !== null) {
      setSecretError({ message: problem, code: null });
      return;
    }
    const refused = await setSecret(name, secret);
    if (refused === null) {
      openSecret(null);
    } else {
      setSecretError({ message: refused.message, code: refused.code });
    }
  };
  const [form, setForm] = useState(EMPTY);
  const [removing, setRemoving] = useState<string | null>(null);

  const [problems, setProblems] = useState<Partial<Record<keyof Form, string>>>({});
  const submit = async () => {
    const found = formProblems(form);
    setProblems(found);
    if (Object.keys(found).length > 0) {
      return;
    }
    const added = await add({
      name: form.name,
      company: form.company,
      region: form.custom ? null : form.region,
      baseUrl: form.custom ? form.baseUrl : null,
      clientId: form.clientId,
      secret: form.secret,
    });
    if (added) {
      setForm(EMPTY);
    }
  };

  // The service's error belongs beside its field when it names one of the form's.
  const serviceField = error?.location?.field && error.location.field in EMPTY ? error.location.field : null;
  const field = (key: keyof typeof EMPTY, label: string, type = "text") => {
    // The form's own problems are the studio's sentences; the service's is given its capital
    // and its code apart, as everywhere else.
    const problem =
      problems[key] ??
      (serviceField === key && error ? <CodedMessage message={error.message} code={error.code} /> : undefined);
    return (
      <label className="form-row">
        <span>{label}</span>
        <input
          type={type}
          name={key}
          data-testid={`connection-${key}`}
          autoComplete="off"
          aria-invalid={problem !== undefined}
          aria-describedby={problem !== undefined ? `connection-${key}-error` : undefined}
          value={String(form[key])}
          onChange={(e) => {
            setForm({ ...form, [key]: e.target.value });
            setProblems((p) => ({ ...p, [key]: undefined }));
          }}
        />
        {problem !== undefined && (
          <span className="error-text field-error" id={`connection-${key}-error`} data-testid="field-error">
            {problem}
          </span>
        )}
      </label>
    );
  };

  return (
    <Modal title="Connections" onClose={onClose} testId="connections-dialog">
      {error && serviceField === null && (
        <p className="error-text" role="alert" data-testid="connection-error">
          <CodedMessage message={error.message} code={error.code} />
        </p>
      )}
      <ul className="connections">
        {connections.length === 0 && (
          <li className="muted">No connections yet: the studio works on the bundled samples.</li>
        )}
        {connections.map((c) => {
          const h = health[c.name];
          const report = reports[c.name];
          const busy = pulling?.name === c.name;
          const row = connectionRow(c);
          return (
            <li key={c.name} data-testid="connection" data-name={c.name}>
              <div className="connection-head">
                <strong>{c.name}</strong>{" "}
                <span className="muted">
                  {c.company} · {c.endpoint} · client {c.clientId}
                </span>
                {row.missingSecret && (
                  <span className="error-text" data-testid="missing-secret">
                    {" "}
                    no client secret in the keyring: set it to test and pull
                  </span>
                )}
              </div>
              <div className="muted">
                {cachedText(c.counts)}
                {c.lastPull.length > 0 && <span data-testid="last-pull"> · {lastPullText(c.lastPull)}</span>}
              </div>
              {row.note !== null && (
                <p className="muted" data-testid="server-connection-note">
                  {row.note}
                </p>
              )}
              <div className="actions">
                {row.direct && (
                  <button type="button" onClick={() => void test(c.name)} data-testid="test-connection">
                    Test
                  </button>
                )}
                {!row.direct ? (
                  row.pullThroughServer &&
                  c.server !== null && (
                    <ServerPullAction
                      server={c.server}
                      cache={c.name}
                      onPulled={() => {
                        void refresh();
                        onChanged();
                      }}
                    />
                  )
                ) : busy ? (
                  <button type="button" onClick={cancelPull} data-testid="cancel-pull" data-focus-next>
                    Cancel pull
                  </button>
                ) : (
                  <button
                    type="button"
                    disabled={pulling !== null}
                    onClick={() => void pull(c.name)}
                    data-testid="pull"
                    data-focus-next
                  >
                    Pull records
                  </button>
                )}
                {row.secretAction !== null && secretFor !== c.name && (
                  <button
                    type="button"
                    className={row.missingSecret ? "primary" : undefined}
                    onClick={() => openSecret(c.name)}
                    data-testid="set-secret"
                  >
                    {row.secretAction}
                  </button>
                )}
                <button type="button" onClick={() => onUse(c.name)} data-testid="use-connection">
                  Use as source
                </button>
                {removing === c.name ? (
                  <span className="confirm" role="alert">
                    Remove {c.name}, its cached records and its keyring secret?{" "}
                    <button
                      type="button"
                      className="danger"
                      onClick={() => void remove(c.name).then((removed) => removed && setRemoving(null))}
                    >
                      Remove
                    </button>{" "}
                    <button type="button" onClick={() => setRemoving(null)}>
                      Keep
                    </button>
                  </span>
                ) : (
                  <button type="button" disabled={busy} onClick={() => setRemoving(c.name)}>
                    Remove…
                  </button>
                )}
              </div>
              {secretFor === c.name && (
                <form
                  className="set-secret"
                  data-testid="set-secret-form"
                  onSubmit={(e) => {
                    e.preventDefault();
                    void submitSecret(c.name);
                  }}
                >
                  <label className="form-row">
                    <span>Client secret of {c.name}</span>
                    <input
                      type="password"
                      name="secret"
                      autoComplete="off"
                      data-testid="set-secret-input"
                      autoFocus
                      aria-invalid={secretError !== null}
                      aria-describedby={secretError !== null ? `set-secret-error-${c.name}` : undefined}
                      value={secret}
                      onChange={(e) => {
                        setSecretText(e.target.value);
                        setSecretError(null);
                      }}
                    />
                  </label>
                  {secretError !== null && (
                    <p className="error-text" id={`set-secret-error-${c.name}`} data-testid="set-secret-error">
                      <CodedMessage message={secretError.message} code={secretError.code} />
                    </p>
                  )}
                  <p className="muted">
                    Only the keyring entry changes; the connection and its cached records stay. It is tested after.
                  </p>
                  <div className="actions">
                    <button type="submit" className="primary" data-testid="save-secret">
                      Save secret
                    </button>
                    <button type="button" onClick={() => openSecret(null)}>
                      Cancel
                    </button>
                  </div>
                </form>
              )}
              {h === "testing" && <p className="muted">Testing…</p>}
              {h && h !== "testing" && (
                <p className={`health ${h.status}`} data-testid="health" data-status={h.status}>
                  {h.status === "ok"
                    ? `OK · API host ${h.host} · ${h.millis} ms`
                    : h.status === "reauthorization_required"
                      ? "Reauthorization required"
                      : "Error"}
                  {h.reason && <span> — {h.reason}</span>}
                  {h.action && <span className="action"> {h.action}</span>}
                </p>
              )}
              {busy && (
                <div className="pull-progress" data-testid="pull-progress">
                  <progress
                    max={pulling.progress?.of ?? 1}
                    value={pulling.progress ? pulling.progress.done : 0}
                    aria-label="Entities pulled"
                  />
                  <span className="muted">
                    {pulling.progress
                      ? `${pulling.progress.entity}: ${pulling.progress.records} records, ${pulling.progress.pages} pages (${pulling.progress.done + 1} of ${pulling.progress.of})`
                      : "starting…"}
                  </span>
                </div>
              )}
              {report && (
                <p className="muted" data-testid="pull-report">
                  {report.cancelled ? "Cancelled (pages so far are kept; the next pull resumes). " : "Pulled: "}
                  {report.entities
                    .map((e) => `${e.entity} ${e.records} (${e.status}${e.error ? `: ${e.error}` : ""})`)
                    .join(", ")}
                </p>
              )}
            </li>
          );
        })}
      </ul>
      <form
        className="add-connection"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <h3>Add a Corrigo connection</h3>
        {field("name", "Name")}
        {field("company", "Company")}
        <label className="form-row">
          <span>Endpoint</span>
          <span>
            <label>
              <input type="radio" checked={!form.custom} onChange={() => setForm({ ...form, custom: false })} /> Region
            </label>{" "}
            <label>
              <input
                type="radio"
                checked={form.custom}
                data-testid="connection-custom"
                onChange={() => setForm({ ...form, custom: true })}
              />{" "}
              Custom base URL
            </label>
          </span>
        </label>
        {form.custom ? (
          field("baseUrl", "Base URL")
        ) : (
          <label className="form-row">
            <span>Region</span>
            <select value={form.region} onChange={(e) => setForm({ ...form, region: e.target.value })}>
              <option value="am">Americas (am)</option>
              <option value="emea">Europe, Middle East, Africa (emea)</option>
              <option value="apac">Asia Pacific (apac)</option>
            </select>
          </label>
        )}
        {field("clientId", "Client id")}
        {field("secret", "Client secret", "password")}
        <p className="muted">The secret is stored in the system keyring only.</p>
        <button type="submit" data-testid="add-connection">
          Add connection
        </button>
      </form>
    </Modal>
  );
}
