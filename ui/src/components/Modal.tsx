// A modal dialog: Escape closes it, focus moves into it (its first form control, else Close), Tab and Shift+Tab stay inside it
// (it is aria-modal: the page behind is out of reach), and focus returns when it closes.

import { useEffect, useRef } from "react";
import { FOCUSABLE, FORM_CONTROL, focusAfterClose, focusAfterLoss, focusOnOpen, trappedTab } from "../focus";

/** The controls `selectors` (a key press can reach, by default) inside `box`, in document (Tab) order; hidden ones left out. */
const focusables = (box: HTMLElement, selectors = FOCUSABLE) =>
  [...box.querySelectorAll<HTMLElement>(selectors)].filter((e) => e.getClientRects().length > 0);

/** The first of `selectors` that is on screen (a control can have a copy in the "More" menu). */
function shown(selectors: string | undefined): HTMLElement | null {
  if (!selectors) {
    return null;
  }
  const all = [...document.querySelectorAll<HTMLElement>(selectors)];
  return all.find((e) => e.getClientRects().length > 0) ?? null;
}

export function Modal({
  title,
  onClose,
  children,
  testId,
  opener,
}: {
  title: string;
  onClose: () => void;
  children: React.ReactNode;
  testId?: string;
  /**
   * The control(s) that open this dialog (CSS selectors): where focus goes when it closes
   * if it was opened by a shortcut while nothing had focus, or the control it came from is gone.
   */
  opener?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const openerRef = useRef(opener);
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    const openers = openerRef.current;
    const dialog = box.current;
    if (dialog) {
      focusOnOpen(focusables(dialog, FORM_CONTROL), focusables(dialog))?.focus();
    }
    return () => focusAfterClose(before, document.body, shown(openers))?.focus();
  }, []);
  // Escape closes it also when focus fell out of it (the focused button was disabled or
  // removed, as Push's is while pushing), rather than leaving the dialog deaf to it; Tab
  // from there comes back into it.
  const close = useRef(onClose);
  useEffect(() => {
    close.current = onClose;
  });
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const focused = document.activeElement;
      const outside = focused === null || focused === document.body;
      if (e.key === "Escape" && outside) {
        close.current();
      }
      if (e.key === "Tab" && box.current && !box.current.contains(focused)) {
        const next = trappedTab(focusables(box.current), null, e.shiftKey);
        if (next) {
          e.preventDefault();
          next.focus();
        }
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
  // A focused control that is removed or disabled (Save once saved, Reconnect's form once
  // accepted, a pull's button while it runs, Push while pushing) drops focus to the page's
  // body: it goes to the control the work goes on with, in the nearest part of the dialog
  // still around it (focusAfterLoss), else to the dialog itself, so that the next Tab,
  // Escape and screen reader stay in the dialog.
  useEffect(() => {
    const dialog = box.current;
    if (!dialog) {
      return;
    }
    // The ancestors of the control that had focus last, nearest first, up to the dialog.
    let around: HTMLElement[] = [];
    const onFocus = (e: FocusEvent) => {
      around = [];
      const focused = e.target as HTMLElement;
      if (focused === dialog || !dialog.contains(focused)) {
        return;
      }
      for (let at = focused.parentElement; at && at !== dialog; at = at.parentElement) {
        around.push(at);
      }
    };
    dialog.addEventListener("focusin", onFocus);
    const watch = new MutationObserver(() => {
      if (document.activeElement === null || document.activeElement === document.body) {
        const next = focusAfterLoss(
          around.map((region) => {
            const controls = region.isConnected ? focusables(region) : [];
            return {
              isConnected: region.isConnected,
              controls,
              next: controls.filter((c) => c.matches("[data-focus-next]")),
            };
          }),
        );
        (next ?? dialog).focus();
      }
    });
    watch.observe(dialog, { subtree: true, childList: true, attributes: true, attributeFilter: ["disabled"] });
    return () => {
      watch.disconnect();
      dialog.removeEventListener("focusin", onFocus);
    };
  }, []);
  return (
    <div className="overlay" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div
        className="modal"
        role="dialog"
        aria-modal="true"
        aria-label={title}
        ref={box}
        tabIndex={-1}
        data-testid={testId}
        onKeyDown={(e) => {
          if (e.key === "Escape") {
            e.stopPropagation();
            onClose();
          }
          if (e.key === "Tab") {
            const next = trappedTab(focusables(e.currentTarget), document.activeElement as HTMLElement, e.shiftKey);
            if (next) {
              e.preventDefault();
              next.focus();
            }
          }
        }}
      >
        <header className="panel-head">
          <h2>{title}</h2>
          <button type="button" aria-label="Close" onClick={onClose}>
            ✕
          </button>
        </header>
        {children}
      </div>
    </div>
  );
}
