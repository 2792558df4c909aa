// Where a keyboard drag goes next: the arrow keys move the picked-up source field from
// one target field to the next, starting at the selected field.

/** The field the arrow `by` moves to from `current` (null before the first move) among `fields`. */
export function nextDropTarget(
  fields: readonly string[],
  current: string | null,
  start: string | null,
  by: 1 | -1,
): string | null {
  if (fields.length === 0) {
    return null;
  }
  if (current === null || !fields.includes(current)) {
    return start !== null && fields.includes(start) ? start : (fields[by === 1 ? 0 : fields.length - 1] ?? null);
  }
  const at = fields.indexOf(current) + by;
  return fields[Math.min(Math.max(at, 0), fields.length - 1)] ?? null;
}

/** The arrow keys' direction during a keyboard drag; null for other keys. */
export function dragArrow(code: string): 1 | -1 | null {
  return code === "ArrowDown" || code === "ArrowRight" ? 1 : code === "ArrowUp" || code === "ArrowLeft" ? -1 : null;
}
