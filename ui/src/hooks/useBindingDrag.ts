// Dragging a source node onto a target field binds it, with the pointer or the keyboard.
// With the keyboard (Space picks up), the arrows move from target field to target field,
// starting at the selected one, and each is scrolled into view as it becomes the target.

import { useCallback, useEffect, useRef, useState } from "react";
import {
  KeyboardSensor,
  PointerSensor,
  rectIntersection,
  useSensor,
  useSensors,
  type CollisionDetection,
  type DragEndEvent,
  type DragStartEvent,
  type KeyboardCoordinateGetter,
} from "@dnd-kit/core";
import { dragAnnouncements, dragArrow, nextDropTarget, type Held } from "../drop-targets";

const fieldRow = (label: string) =>
  document.querySelector<HTMLElement>(`[data-testid=target-field][data-field="${CSS.escape(label)}"]`);

/** `held`: what a field holds now (a drop there replaces it: the screen reader hears so while over it). */
export function useBindingDrag(
  bind: (field: string, path: string) => void,
  selectedField: string | null,
  held: (field: string) => Held | null,
) {
  const [dragging, setDragging] = useState<string | null>(null);
  // A keyboard drag's target field, chosen by the arrows (the pointer's is where it is).
  const [keyboard, setKeyboard] = useState<{ target: string | null } | null>(null);
  const target = useRef<string | null>(null);
  const start = useRef(selectedField);
  useEffect(() => {
    start.current = selectedField;
  });
  // The drag overlay stays with the source; the target row is marked, in view.
  const coordinateGetter: KeyboardCoordinateGetter = useCallback((event) => {
    const by = dragArrow(event.code);
    if (by === null) {
      return undefined;
    }
    event.preventDefault();
    const fields = [...document.querySelectorAll<HTMLElement>("[data-testid=target-field]")].map(
      (row) => row.dataset.field ?? "",
    );
    const next = nextDropTarget(fields, target.current, start.current, by);
    target.current = next;
    setKeyboard({ target: next });
    if (next !== null) {
      fieldRow(next)?.scrollIntoView({ block: "nearest" });
    }
    return undefined;
  }, []);
  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 4 } }),
    // Space picks up and drops (as the help says); Enter stays the key that selects a node,
    // so selecting never starts a drag by surprise.
    useSensor(KeyboardSensor, {
      keyboardCodes: { start: ["Space"], cancel: ["Escape"], end: ["Space"] },
      coordinateGetter,
    }),
  );
  const collisionDetection: CollisionDetection = useCallback(
    (args) =>
      keyboard === null ? rectIntersection(args) : keyboard.target ? [{ id: `field:${keyboard.target}` }] : [],
    [keyboard],
  );
  const pathOf = (e: DragStartEvent | DragEndEvent) =>
    (e.active.data.current as { path?: string } | undefined)?.path ?? null;
  const onDragStart = (e: DragStartEvent) => {
    setDragging(pathOf(e));
    target.current = null;
    setKeyboard(e.activatorEvent instanceof KeyboardEvent ? { target: null } : null);
  };
  const onDragEnd = (e: DragEndEvent) => {
    setDragging(null);
    setKeyboard(null);
    const path = pathOf(e);
    const label = (e.over?.data.current as { label?: string } | undefined)?.label;
    if (path && label) {
      bind(label, path);
    }
  };
  const onDragCancel = () => {
    setDragging(null);
    setKeyboard(null);
  };
  return {
    dragging,
    context: {
      sensors,
      collisionDetection,
      onDragStart,
      onDragEnd,
      onDragCancel,
      accessibility: { announcements: dragAnnouncements(held) },
    },
  };
}
