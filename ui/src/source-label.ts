// What the top bar's source select shows for the chosen source: its label in the
// workspace's list, else (a source chosen since the workspace was read, through a server)
// a label of its own. The select is cut to a fixed width with an ellipsis, and this is also
// its title, so a long name is read whole.

import type { RecordSource, RecordSourceInfo } from "./bindings";

/** The select's value for a source: "" for the bundled samples, else the connection's name. */
export const sourceKey = (source: RecordSource) => (source.kind === "samples" ? "" : source.name);

/** The label of `source`, from `sources` when it is listed there. */
export function sourceLabel(sources: readonly RecordSourceInfo[], source: RecordSource): string {
  const listed = sources.find((s) => sourceKey(s.source) === sourceKey(source));
  if (listed) {
    return listed.label;
  }
  return source.kind === "connection" ? `Connection ${source.name}` : "Bundled samples";
}

/** Whether `source` is missing from `sources` (the select then gets an option for it). */
export const unlisted = (sources: readonly RecordSourceInfo[], source: RecordSource) =>
  !sources.some((s) => sourceKey(s.source) === sourceKey(source));
