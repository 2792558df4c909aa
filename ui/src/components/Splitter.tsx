// A splitter between two regions: a focusable separator (WAI-ARIA window splitter) that
// the pointer drags and the arrow keys move, within the pane's bounds and what the window
// leaves the other regions.

import { useEffect, useState, type PointerEvent } from "react";
import type { PaneSizing } from "../hooks/usePaneSizes";
import { CENTER_MIN, clampSize, fieldsMin, keyedSize, PANE_BOUNDS, type Pane } from "../panes";

const width = (css: string) => document.querySelector(css)?.getBoundingClientRect().width ?? 0;
const height = (css: string) => document.querySelector(css)?.getBoundingClientRect().height ?? 0;

/** Where each pane is, which way its separator runs, and how large the window lets it be. */
const PANES: Record<
  Pane,
  { label: string; css: string; orientation: "vertical" | "horizontal"; grows: 1 | -1; fits: () => number }
> = {
  left: {
    label: "Resize the records and source pane",
    css: ".left",
    orientation: "vertical",
    grows: 1,
    fits: () => width(".app") - width(".right") - CENTER_MIN,
  },
  right: {
    label: "Resize the results pane",
    css: ".right",
    orientation: "vertical",
    grows: -1,
    fits: () => width(".app") - width(".left") - CENTER_MIN,
  },
  editor: {
    label: "Resize the field editor",
    css: ".canvas .editor",
    orientation: "horizontal",
    grows: -1,
    fits: () => height(".canvas") - fieldsMin(height(".canvas")) - height(".canvas .add-custom"),
  },
};

export function Splitter({ pane, sizing }: { pane: Pane; sizing: PaneSizing }) {
  const { label, css, orientation, grows, fits } = PANES[pane];
  const now = () => (orientation === "vertical" ? width(css) : height(css));
  const bounds = () => ({ min: PANE_BOUNDS[pane].min, max: Math.min(PANE_BOUNDS[pane].max, fits()) });
  // What the pane measures now (the window may hold it below the size asked for).
  const [shown, setShown] = useState<number | null>(null);
  const [drag, setDrag] = useState<{ from: number; size: number } | null>(null);
  // Measured whenever the pane changes size: a splitter, the window, or another pane.
  useEffect(() => {
    const element = document.querySelector(css);
    if (!element) {
      return;
    }
    const measure = () => {
      const r = element.getBoundingClientRect();
      setShown(Math.round(orientation === "vertical" ? r.width : r.height));
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, [css, orientation]);
  const at = (e: PointerEvent) => (orientation === "vertical" ? e.clientX : e.clientY);
  const set = (px: number, save: boolean) => {
    const b = bounds();
    sizing.resize(pane, clampSize(px, b.min, b.max), save);
  };
  const b = shown === null ? null : bounds();
  return (
    <div
      role="separator"
      tabIndex={0}
      aria-label={label}
      aria-orientation={orientation}
      aria-valuenow={shown ?? undefined}
      aria-valuemin={b?.min}
      aria-valuemax={b ? Math.max(b.min, Math.round(b.max)) : undefined}
      className={`splitter ${orientation}${drag ? " dragging" : ""}`}
      data-pane={pane}
      data-testid={`splitter-${pane}`}
      onPointerDown={(e) => {
        e.preventDefault();
        e.currentTarget.setPointerCapture(e.pointerId);
        e.currentTarget.focus();
        setDrag({ from: at(e), size: now() });
      }}
      onPointerMove={(e) => drag && set(drag.size + grows * (at(e) - drag.from), false)}
      onPointerUp={(e) => {
        if (drag) {
          set(drag.size + grows * (at(e) - drag.from), true);
          setDrag(null);
        }
      }}
      onPointerCancel={() => {
        if (drag) {
          set(now(), true);
          setDrag(null);
        }
      }}
      onKeyDown={(e) => {
        const size = keyedSize(e.key, e.shiftKey, now(), bounds(), orientation, grows);
        if (size !== null && !e.altKey && !e.ctrlKey && !e.metaKey) {
          e.preventDefault();
          set(size, true);
        }
      }}
    />
  );
}
