// The Push button's words. The server numbers versions one after the other: a push made
// against the active version `active` (sent as If-Match) becomes `active + 1`, and the
// server refuses it if another push got there first (the conflict path).

export function pushLabel(active: number): string {
  return `Push as version ${active + 1} (replaces ${active})`;
}
