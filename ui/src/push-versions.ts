// How the Push dialog lists a connection's mapping versions, apart from the component so
// that it is testable without a window.

import type { ServerVersionInfo } from "./bindings";

/** Who made a version, and its note unless the note only repeats that or the rollback. */
export function versionLabel(v: ServerVersionInfo): string {
  const who = v.keyName ?? "bundled default";
  const parts = [who];
  const repeats = v.note === who || (v.rolledBackTo !== null && v.note === `rollback to version ${v.rolledBackTo}`);
  if (v.note && !repeats) {
    parts.push(v.note);
  }
  if (v.rolledBackTo !== null) {
    parts.push(`rollback to ${v.rolledBackTo}`);
  }
  return parts.join(" · ");
}

/** The newest version is the active one: every push and rollback makes a new version. */
export const isActiveVersion = (v: ServerVersionInfo, all: ServerVersionInfo[]) =>
  all.every((other) => other.version <= v.version);

/**
 * The listed versions miss the one a preview was made against: someone pushed after the list
 * was read (a push's conflict shows the diff against their version), so the list is stale.
 * An empty list is one not read yet, not a stale one.
 */
export const versionsBehind = (all: ServerVersionInfo[], activeVersion: number) =>
  all.length > 0 && all.every((v) => v.version < activeVersion);

/** What the source filters leave out of the impact, in words. */
export const skippedText = (skipped: number, before: number) =>
  `${skipped} of them skipped by this mapping's source filter` +
  (before === skipped ? " (as by the active version)" : ` (${before} by the active version)`) +
  ": not served, and not counted in the impact.";
