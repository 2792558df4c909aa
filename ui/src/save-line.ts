// The line a save shows: a new version, or that the text was the latest version's already.

/**
 * What a save did, given the version the editor had loaded (`before`, null while only the
 * bundled default exists) and the version the workspace answered with: the same version
 * means the text was that version's already and nothing was stored.
 */
export function saveLine(name: string, before: number | null, answered: number) {
  return answered === before
    ? { stored: false, text: `No changes since version ${answered}: nothing saved` }
    : { stored: true, text: `Saved ${name} as version ${answered}` };
}
