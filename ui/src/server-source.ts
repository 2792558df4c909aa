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

/** The workspace connection a server connection's records are cached under (studio-service `servers::cache_name`). */
export function cacheName(server: string, connectionName: string): string {
  // eslint-disable-next-line no-control-regex
  const kept = [...connectionName.replace(/[\u0000-\u001f\u007f-\u009f]/g, "")].slice(0, 40).join("");
  return `${server}/${kept}`;
}

/** Of a server's connections, the one cached as `cache`, if any. */
export function connectionForCache<T extends { name: string }>(
  cache: string,
  server: string,
  connections: T[],
): T | null {
  return connections.find((c) => cacheName(server, c.name) === cache) ?? null;
}
