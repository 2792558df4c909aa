// The Servers dialog's forms, apart from the component so that they are testable without a
// window: the Add a server form's checks (the service's own rules, said before anything is
// sent, every field at once), what a refused add means and what to do next, and whether a
// Reconnect form that appears takes focus.

import type { ServerConnectionInfo, ServiceError } from "./bindings";

export type ServerField = "name" | "url" | "apiKey";
export const SERVER_FIELDS: readonly ServerField[] = ["name", "url", "apiKey"];

export interface ServerForm {
  name: string;
  url: string;
  apiKey: string;
}

/** Each field's problem, in the studio's words; a field that passes has none. */
export type FieldProblems = Partial<Record<ServerField, string>>;

/** Hosts plain http may go to: this machine (the service's rule, connection-rules is_loopback). */
function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === "localhost" || host === "[::1]") {
    return true;
  }
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function checkName(name: string, existing: readonly string[]): string | undefined {
  const trimmed = name.trim();
  if (trimmed === "") {
    return "Enter a name for the server, such as demo or production.";
  }
  if (trimmed.length > 40 || !/^[A-Za-z0-9._-]+$/.test(trimmed)) {
    return "A server name is 1 to 40 letters, digits, “-”, “_” or “.” (no spaces).";
  }
  if (existing.includes(trimmed)) {
    return `A server named ${trimmed} exists already: choose another name, or remove that one first.`;
  }
  return undefined;
}

function checkUrl(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed === "") {
    return "Enter the server's URL, such as https://unifield.example.com (http only on this machine).";
  }
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return "This is not a URL: it starts with https:// and names a host, such as https://unifield.example.com.";
  }
  if (url.username !== "" || url.password !== "") {
    return "Leave the user name and password out of the URL: the API key has its own field.";
  }
  if (url.protocol === "http:" && !isLoopback(url.hostname)) {
    return "Plain http is allowed only to this machine (localhost, 127.0.0.1, [::1]): use https:// for another host.";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return "The URL must start with https:// (or http:// to this machine).";
  }
  if (url.hostname === "") {
    return "The URL names no host.";
  }
  if (url.search !== "" || url.hash !== "" || trimmed.includes("?") || trimmed.includes("#")) {
    return "Leave the query (?…) and fragment (#…) out of the URL: give the server's address only.";
  }
  return undefined;
}

function checkKey(key: string): string | undefined {
  const trimmed = key.trim();
  if (trimmed === "") {
    return "Enter the organization's API key (unifield serve --demo prints one; unifield server key create makes more).";
  }
  if (trimmed.length > 200 || !/^[\x21-\x7e]+$/.test(trimmed)) {
    return "An API key is up to 200 printable characters without spaces: paste it again as it was printed.";
  }
  return undefined;
}

/**
 * The form's problems, every field at once, under the rules the service checks again: a
 * name of 1 to 40 letters, digits, `-`, `_`, `.` not listed yet (`existing`); an https URL
 * (http only to this machine) without user, password, query or fragment; a key of printable
 * characters.
 */
export function checkServerForm(form: ServerForm, existing: readonly string[]): FieldProblems {
  const problems: FieldProblems = {};
  const name = checkName(form.name, existing);
  const url = checkUrl(form.url);
  const apiKey = checkKey(form.apiKey);
  if (name !== undefined) problems.name = name;
  if (url !== undefined) problems.url = url;
  if (apiKey !== undefined) problems.apiKey = apiKey;
  return problems;
}

/** The first field with a problem, in the form's order: where focus goes after a refused submit. */
export function firstProblem(problems: FieldProblems): ServerField | null {
  return SERVER_FIELDS.find((field) => problems[field] !== undefined) ?? null;
}

/** What a refused add means, and what to do next, beside the field to change (null: the form as a whole). */
export interface AddFailure {
  field: ServerField | null;
  /** What went wrong, in the studio's words. */
  cause: string;
  /** What to do next; null when the service's own sentence says it. */
  next: string | null;
}

/**
 * When the server failed: `adding` it (the Add form: its URL and key are being typed),
 * or `using` one already listed (Refresh, a pull, a push, Reconnect: its URL and key are
 * kept, and the way to change them is to remove the server and add it again).
 */
export type ServerUse = "adding" | "using";

const SERVICE_FIELDS: Record<string, ServerField> = { name: "name", url: "url", apiKey: "apiKey" };

/**
 * A server's failure (the service's typed error: its code, and the field it placed it at),
 * as the cause and the next step; `field` is the Add form's field to change. The service's
 * own sentence (with the OS's or TLS's words) is shown apart, as the details. One mapping for
 * the Add form and for the dialogs that use a listed server: only the next step differs,
 * where the remedy for a kept URL or key is not the one for a typed one.
 */
export function serverFailure(error: Pick<ServiceError, "code" | "message" | "location">, use: ServerUse): AddFailure {
  const placed = error.location?.field ? (SERVICE_FIELDS[error.location.field] ?? null) : null;
  const adding = use === "adding";
  // A listed server's URL is changed by adding it again.
  const moved = "if the server moved, remove it here and add it again with its new URL";
  switch (error.code) {
    case "server_connection_refused":
      return {
        field: "url",
        cause: "Nothing accepts connections at this address: the connection was refused.",
        next: adding
          ? "Check the port in the URL, and that the server is running there (unifield serve prints its URL when it starts)."
          : `Check that the server is running at this address (unifield serve prints its URL when it starts), then try again; ${moved}.`,
      };
    case "server_unknown_host":
      return {
        field: "url",
        cause: "The host name in the URL does not resolve.",
        next: adding
          ? "Check the host name for typos, and this machine's network and DNS."
          : `Check this machine's network and DNS, then try again; ${moved}.`,
      };
    case "server_tls_failed":
      return {
        field: "url",
        cause:
          "The secure (https) connection failed: that port does not speak https, or its certificate is not trusted.",
        next: adding
          ? "A server on this machine without TLS is reached with http://127.0.0.1:PORT; for another host, check its certificate."
          : "Check the server's certificate (and that its port still speaks https); a server on this machine without TLS is added again with http://127.0.0.1:PORT.",
      };
    case "server_timeout":
      return {
        field: "url",
        cause: "The server did not answer in time.",
        next: adding
          ? "Check the address, and that no firewall or proxy holds the connection; then try again."
          : "Check that the server is running and that no firewall or proxy holds the connection; then try again.",
      };
    case "server_unreachable":
      return {
        field: "url",
        cause: "The connection to the server failed.",
        next: adding
          ? "Check the URL and that the server is running, then try again."
          : `Check that the server is running, then try again; ${moved}.`,
      };
    case "server_unauthorized":
      return {
        field: "apiKey",
        cause: "The server refused the API key (401).",
        next: adding
          ? "Check that the key is this server's, whole, and not revoked; a new one comes from unifield server key create."
          : "The key kept for this server was revoked or replaced: remove the server here and add it again with a current key (unifield server key create makes one).",
      };
    case "duplicate_server":
      return {
        field: "name",
        cause: sentence(error.message),
        next: "Choose another name, or remove that server first.",
      };
    case "server_protocol":
      return {
        field: "url",
        cause: "Something answered at this URL, but not as a Unifield server does.",
        next: adding
          ? "Check that the URL is the server's own address (no path after it), from unifield serve."
          : "Check that this address still serves Unifield (unifield serve), and that the studio and the server are of the same version.",
      };
    case "server_not_found":
      // Probing a new server, a 404 means something else answers there; using a listed
      // one, what was asked for (a connection) is gone from the server.
      return adding
        ? {
            field: "url",
            cause: "Something answered at this URL, but not as a Unifield server does.",
            next: "Check that the URL is the server's own address (no path after it), from unifield serve.",
          }
        : {
            field: placed,
            cause: sentence(error.message),
            next: "Refresh the server's connections: this one may have been removed on the server.",
          };
    case "server_error":
      return {
        field: placed,
        cause: sentence(error.message),
        next: "Try again; if it fails again, the server's own log (the output of unifield serve) says why.",
      };
    default:
      return { field: placed, cause: sentence(error.message), next: null };
  }
}

/** A refused add: its cause, next step and the Add form's field to change. */
export function addFailure(error: Pick<ServiceError, "code" | "message" | "location">): AddFailure {
  return serverFailure(error, "adding");
}

/** A service sentence with its capital (its trailing `[code]` is shown apart). */
function sentence(message: string): string {
  const text = message.replace(/\s*\[[a-z0-9_]+\]\s*$/, "").trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** What is focused when a Reconnect form appears: its tag, and what an input holds. */
export interface Focused {
  tagName: string;
  type?: string;
  value?: string;
}

/**
 * Whether a Reconnect form that appears takes focus: yes, unless the person is typing
 * elsewhere (a text field, select or text area that holds something, as the Add form's
 * while it is filled in). The dialog's first input as it opened, empty, does not hold
 * anyone's typing.
 */
export function reconnectTakesFocus(active: Focused | null): boolean {
  if (active === null) {
    return true;
  }
  const tag = active.tagName.toLowerCase();
  const typing =
    tag === "textarea" ||
    tag === "select" ||
    (tag === "input" && !["button", "submit", "checkbox", "radio"].includes(active.type ?? "text"));
  return !typing || (active.value ?? "") === "";
}

/**
 * The connection whose Reconnect form takes focus when the dialog shows it: the first (in
 * the dialog's order) that needs reauthorization, as `server/connection id`; null when none does.
 */
export function firstReconnect(
  servers: readonly { name: string }[],
  connections: Record<string, readonly Pick<ServerConnectionInfo, "id" | "status">[] | "loading">,
): string | null {
  for (const server of servers) {
    const list = connections[server.name];
    if (Array.isArray(list)) {
      const needs = list.find((c) => c.status === "reauthorization_required");
      if (needs) {
        return `${server.name}/${needs.id}`;
      }
    }
  }
  return null;
}
