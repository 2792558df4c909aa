// The bind shortcut's answer when the pair it binds is not selected yet.

/** Why the bind shortcut cannot bind yet: names only the half of the pair not selected. */
export function bindNeeds(node: string | null, field: string | null) {
  if (node === null && field === null) {
    return "Select a source node in the record tree and a target field first";
  }
  return node === null
    ? `Select a source node in the record tree to bind to ${field} first`
    : `Select a target field to bind ${node} to first`;
}
