// How the Servers dialog words a server connection's state, apart from the component so that
// it is testable without a window.

import type { ServerConnectionInfo, ServerInfo, ServerSyncInfo } from "./bindings";

/** A status as words (`reauthorization_required` → `reauthorization required`), for badges and syncs. */
export const statusWords = (status: string) => status.replaceAll("_", " ");

/**
 * What to do about a connection, in the studio's terms. The server's own advice is for an API
 * client (a connection Corrigo stopped accepting: "send current ones with PUT
 * /api/connections/…/credentials"); in the studio the Reconnect form below it does that.
 */
export function connectionAction(connection: Pick<ServerConnectionInfo, "status" | "action">): string | null {
  if (connection.status === "reauthorization_required") {
    return (
      "Enter a client id and secret Corrigo accepts (and the region or base URL, if it moved) below, " +
      "then Reconnect: the server tests them first, and syncing resumes once they work."
    );
  }
  return connection.action;
}

/** The servers whose connections were not asked for yet (`asked`), in list order: the Servers dialog lists each one's at once. */
export function serversToList(servers: readonly Pick<ServerInfo, "name">[], asked: ReadonlySet<string>): string[] {
  return servers.map((s) => s.name).filter((name) => !asked.has(name));
}

/**
 * Whether "Preview through the server" is offered for a connection, and why not: one that
 * needs reauthorization and of which the server holds no record (Corrigo refused its first
 * sync) has nothing to preview; Reconnect comes first.
 */
export function previewOffer(connection: Pick<ServerConnectionInfo, "status" | "recordsHeld">): {
  preview: boolean;
  why: string | null;
} {
  if (connection.status === "reauthorization_required" && connection.recordsHeld === false) {
    return {
      preview: false,
      why: "Nothing to preview yet: the server holds none of this connection's records (Corrigo refused its syncs). Reconnect it above; once a sync has run, preview through it.",
    };
  }
  return { preview: true, why: null };
}

/**
 * A connection's last sync, after its status badge: `last sync completed 05:41 PM (just now)
 * · 1,339 records`, its parts apart (`when` is the sync's moment as the dialog shows it).
 */
export function lastSyncWords(sync: Pick<ServerSyncInfo, "status" | "records">, when: string): string {
  const records = `${sync.records.toLocaleString("en-US")} ${sync.records === 1 ? "record" : "records"}`;
  return `last sync ${statusWords(sync.status)} ${when} · ${records}`;
}
