// Every action by its keyboard shortcut (shortcuts.ts), on the whole window.

import { useEffect, useRef } from "react";
import { actionFor, type Action } from "../shortcuts";

export const MAC = navigator.platform.toLowerCase().includes("mac");

export type Actions = Record<Action, () => void>;

/** Runs the action a key press means. In a plain text box, undo and redo belong to the box. */
export function useShortcuts(actions: Actions) {
  const latest = useRef(actions);
  useEffect(() => {
    latest.current = actions;
  });
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented) {
        return;
      }
      const action = actionFor(e, MAC);
      const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement;
      if (action && !(typing && (action === "undo" || action === "redo"))) {
        e.preventDefault();
        latest.current[action]();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
}
