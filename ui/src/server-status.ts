// How the Servers dialog words a server connection's state, apart from the component so that
// it is testable without a window.

import type { ServerConnectionInfo } from "./bindings";

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
