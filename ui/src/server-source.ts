// The preview source after a server is removed, apart from the component so that it is
// testable without a window. Records pulled through a server are cached as `<server>/<name>`
// (studio-service `servers::cache_name`); once the server is gone they cannot be refreshed or
// pushed from, so the studio goes back to the workspace's own records and says so.

import type { RecordSource } from "./bindings";

/** The source to switch to when `server` is removed, or null when `source` is not its records. */
export function sourceAfterRemoval(source: RecordSource, server: string): RecordSource | null {
  return source.kind === "connection" && source.name.startsWith(`${server}/`) ? { kind: "samples" } : null;
}

/** What the Servers dialog says when it switched the source. */
export const switchedBackText = (server: string, from: string) =>
  `The preview source was ${from}, pulled through ${server}: it is the bundled samples again (the cached records stay under Connections).`;
