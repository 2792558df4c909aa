// How the Servers dialog words a server connection's state, apart from the component so that
// it is testable without a window.

import type { ServerConnectionInfo, ServiceError } from "./bindings";

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

/**
 * A Servers dialog error with its code (`… try again. [corrigo_unavailable]`), as the other
 * dialogs show theirs. A message that already ends in a bracketed code (the server's own
 * answer, `… [corrigo_unavailable]`) is shown as it is.
 */
export function errorWithCode(error: Pick<ServiceError, "code" | "message">): string {
  return /\[[a-z0-9_]+\]$/.test(error.message.trimEnd()) ? error.message : `${error.message} [${error.code}]`;
}
