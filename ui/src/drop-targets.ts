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

/** A draggable's or droppable's id without its kind (`node:$.Number` → `$.Number`, `field:code` → `code`). */
const named = (id: string | number) => String(id).replace(/^(node|field):/, "");

type Over = { id: string | number } | null;

/**
 * What a screen reader hears during a drag, in the studio's words: the source path and the
 * target field, and what the keys do. dnd-kit's own announcements read its internal ids
 * ("Draggable item node:$.ShortLocation was dropped over droppable area field:status").
 */
export const dragAnnouncements = {
  onDragStart: ({ active }: { active: { id: string | number } }) =>
    `Picked up ${named(active.id)}. The arrow keys move it from target field to target field; Space binds it to the field it is over; Escape puts it back.`,
  onDragOver: ({ active, over }: { active: { id: string | number }; over: Over }) =>
    over ? `${named(active.id)} is over the field ${named(over.id)}.` : `${named(active.id)} is over no target field.`,
  onDragEnd: ({ active, over }: { active: { id: string | number }; over: Over }) =>
    over
      ? `${named(active.id)} dropped on the field ${named(over.id)}.`
      : `${named(active.id)} dropped on no target field: nothing changed.`,
  onDragCancel: ({ active }: { active: { id: string | number }; over: Over }) =>
    `${named(active.id)} put back: nothing changed.`,
};
