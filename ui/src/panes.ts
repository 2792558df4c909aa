// The splitters' arithmetic: each pane's bounds, and the size a key press gives it, as the
// WAI-ARIA window splitter pattern has it (arrows move the separator, Home and End take
// the pane to its smallest and largest size).

export type Pane = "left" | "right" | "editor";

/** Each pane's smallest and largest size (CSS px); the window may allow less than `max`. */
export const PANE_BOUNDS: Record<Pane, { min: number; max: number }> = {
  left: { min: 180, max: 560 },
  right: { min: 240, max: 720 },
  editor: { min: 100, max: 900 },
};

/** The middle column never gets narrower than this (the stylesheet holds it too). */
export const CENTER_MIN = 360;
/** Nor the field list shorter than this above the editor (the stylesheet holds it too). */
export const fieldsMin = (canvasHeight: number) => Math.max(96, 0.3 * canvasHeight);

/** Arrow steps: fine, and coarse with Shift. */
const STEP = 16;
const BIG_STEP = 64;

export function clampSize(px: number, min: number, max: number): number {
  return Math.round(Math.min(Math.max(px, min), Math.max(min, max)));
}

/**
 * The size a key gives the pane, or null when the key is not the splitter's.
 * `orientation` is the separator's: a vertical one sits between columns and moves with
 * Left and Right, a horizontal one between rows and moves with Up and Down. `grows` says
 * whether moving the separator right (or down) makes the pane larger (1) or smaller (-1).
 */
export function keyedSize(
  key: string,
  shift: boolean,
  now: number,
  bounds: { min: number; max: number },
  orientation: "vertical" | "horizontal",
  grows: 1 | -1,
): number | null {
  if (key === "Home") {
    return bounds.min;
  }
  if (key === "End") {
    return clampSize(bounds.max, bounds.min, bounds.max);
  }
  const moves: Record<string, number> =
    orientation === "vertical" ? { ArrowLeft: -1, ArrowRight: 1 } : { ArrowUp: -1, ArrowDown: 1 };
  const by = moves[key];
  if (by === undefined) {
    return null;
  }
  return clampSize(now + by * grows * (shift ? BIG_STEP : STEP), bounds.min, bounds.max);
}
