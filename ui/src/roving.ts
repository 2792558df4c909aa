// One Tab stop per composite widget (the source tree, the field grid), arrow keys inside
// it, as the WAI-ARIA tree and grid patterns have it.

import type { KeyboardEvent } from "react";

/**
 * The item that ArrowDown, ArrowUp, Home or End moves to from the event's item, among the
 * items matching `items` inside the nearest `container`; null for any other key (Alt and
 * Ctrl chords are the studio's shortcuts) or at either end.
 */
export function rovingTarget(e: KeyboardEvent<HTMLElement>, items: string, container: string): HTMLElement | null {
  if (e.altKey || e.ctrlKey || e.metaKey || !["ArrowDown", "ArrowUp", "Home", "End"].includes(e.key)) {
    return null;
  }
  const root = e.currentTarget.closest(container);
  if (!root) {
    return null;
  }
  const all = [...root.querySelectorAll<HTMLElement>(items)];
  const at = all.indexOf(e.currentTarget);
  const next =
    e.key === "Home" ? all[0] : e.key === "End" ? all[all.length - 1] : all[at + (e.key === "ArrowDown" ? 1 : -1)];
  return next ?? null;
}
