// The pane sizes the splitters set, remembered per workspace (the studio keeps them in a
// file in the workspace) and applied as CSS custom properties the layout reads.

import { useCallback, useEffect, useRef, useState } from "react";
import { api } from "../api";
import type { PaneSizes } from "../bindings";
import type { Pane } from "../panes";
import type { Report } from "./useToasts";

/** Saving waits for the splitter to rest this long. */
const SAVE_AFTER_MS = 300;

export function usePaneSizes(report: Report) {
  const [sizes, setSizes] = useState<PaneSizes>({ left: null, right: null, editor: null });
  const latest = useRef(sizes);
  const saving = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => {
    api.paneSizes().then((saved) => {
      latest.current = saved;
      setSizes(saved);
    }, report);
  }, [report]);
  useEffect(() => {
    const root = document.documentElement.style;
    for (const [pane, px] of Object.entries(sizes)) {
      if (typeof px === "number") {
        root.setProperty(`--pane-${pane}`, `${px}px`);
      } else {
        root.removeProperty(`--pane-${pane}`);
      }
    }
  }, [sizes]);
  /**
   * Sets a pane's size. While a splitter moves (`save` false) only the layout follows, so
   * that the studio does not re-render on every pointer move; `save` keeps the size and
   * writes it to the workspace once the splitter rests.
   */
  const resize = useCallback(
    (pane: Pane, px: number, save: boolean) => {
      const next = { ...latest.current, [pane]: Math.round(px) };
      latest.current = next;
      if (!save) {
        document.documentElement.style.setProperty(`--pane-${pane}`, `${Math.round(px)}px`);
        return;
      }
      setSizes(next);
      if (saving.current !== null) {
        clearTimeout(saving.current);
      }
      saving.current = setTimeout(() => {
        saving.current = null;
        api.savePaneSizes(latest.current).catch(report);
      }, SAVE_AFTER_MS);
    },
    [report],
  );
  return { sizes, resize };
}

export type PaneSizing = ReturnType<typeof usePaneSizes>;
