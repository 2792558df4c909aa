// Dragging a source node onto a target field binds it.

import { useState } from "react";
import {
  KeyboardSensor,
  PointerSensor,
  useSensor,
  useSensors,
  type DragEndEvent,
  type DragStartEvent,
} from "@dnd-kit/core";

export function useBindingDrag(bind: (field: string, path: string) => void) {
  const [dragging, setDragging] = useState<string | null>(null);
  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 4 } }),
    // Space picks up and drops (as the help says); Enter stays the key that selects a node,
    // so selecting never starts a drag by surprise.
    useSensor(KeyboardSensor, { keyboardCodes: { start: ["Space"], cancel: ["Escape"], end: ["Space"] } }),
  );
  const pathOf = (e: DragStartEvent | DragEndEvent) =>
    (e.active.data.current as { path?: string } | undefined)?.path ?? null;
  const onDragStart = (e: DragStartEvent) => setDragging(pathOf(e));
  const onDragEnd = (e: DragEndEvent) => {
    setDragging(null);
    const path = pathOf(e);
    const label = (e.over?.data.current as { label?: string } | undefined)?.label;
    if (path && label) {
      bind(label, path);
    }
  };
  return { dragging, sensors, onDragStart, onDragEnd };
}
