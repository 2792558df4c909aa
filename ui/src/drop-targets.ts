// Where a keyboard drag goes next: the arrow keys move the picked-up source field from
// one target field to the next, starting at the selected field; and what a drop replaces.

import type { TargetField } from "./bindings";
import { binding, bindingSource, fieldRef, type MappingDoc } from "./mapping";

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

/** What a target field holds now: its binding's source (`$.Status`), and whether the field is required. */
export interface Held {
  source: string;
  required: boolean;
}

/** What `field` holds in `doc` (null when it is unbound, or the mapping cannot be read). */
export function heldBy(doc: MappingDoc | null, fields: readonly TargetField[], field: string): Held | null {
  const b = doc ? binding(doc, fieldRef(field)) : undefined;
  return b ? { source: bindingSource(b), required: fields.find((f) => f.name === field)?.required ?? false } : null;
}

/**
 * Whether binding `path` to a field holding `held` replaces its binding (it is bound, to
 * something else), in words for a warning: "$.Status (a required field's binding)".
 */
export function replaces(held: Held | null, path: string): string | null {
  if (held === null || held.source === "" || held.source === path) {
    return null;
  }
  return held.required ? `${held.source} (a required field's binding)` : held.source;
}

/**
 * The line said after a binding is made: what it replaced, if anything, and that undo
 * (`undo`: its keys) brings that back. A drop, with the pointer or the keyboard, replaces
 * without asking: the warning comes before it (the row and the screen reader say so while
 * the source is over the field) and undo after it.
 */
export function boundText(field: string, path: string, held: Held | null, undo: string): string {
  const replaced = replaces(held, path);
  return replaced === null
    ? `${field} ← ${path}`
    : `${field} ← ${path}, replacing ${replaced}: undo (${undo}) brings it back`;
}

/**
 * What a screen reader hears during a drag, in the studio's words: the source path and the
 * target field (and the binding a drop there replaces), and what the keys do. dnd-kit's own
 * announcements read its internal ids ("Draggable item node:$.ShortLocation was dropped over
 * droppable area field:status"). `held`: what a field holds now.
 */
export function dragAnnouncements(held: (field: string) => Held | null) {
  const replacing = (active: { id: string | number }, over: { id: string | number }) =>
    replaces(held(named(over.id)), named(active.id));
  return {
    onDragStart: ({ active }: { active: { id: string | number } }) =>
      `Picked up ${named(active.id)}. The arrow keys move it from target field to target field; Space binds it to the field it is over; Escape puts it back.`,
    onDragOver: ({ active, over }: { active: { id: string | number }; over: Over }) => {
      if (!over) {
        return `${named(active.id)} is over no target field.`;
      }
      const replaced = replacing(active, over);
      return replaced === null
        ? `${named(active.id)} is over the field ${named(over.id)}.`
        : `${named(active.id)} is over the field ${named(over.id)}, bound to ${replaced}: Space replaces it (undo brings it back); Escape puts ${named(active.id)} back.`;
    },
    onDragEnd: ({ active, over }: { active: { id: string | number }; over: Over }) =>
      over
        ? `${named(active.id)} dropped on the field ${named(over.id)}.`
        : `${named(active.id)} dropped on no target field: nothing changed.`,
    onDragCancel: ({ active }: { active: { id: string | number }; over: Over }) =>
      `${named(active.id)} put back: nothing changed.`,
  };
}
