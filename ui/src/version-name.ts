// How the studio names a saved version of a mapping where two are compared: as the History
// dialog's list shows it (`v3`), and version 0, which is no saved version, as what it is.

/** `v3` for saved version 3; `bundled default` for 0 (the mapping the studio ships with). */
export function versionName(version: number): string {
  return version === 0 ? "bundled default" : `v${version}`;
}
