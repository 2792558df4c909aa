// The toasts over the bottom-right corner of the panes, just above the status bar: they take
// no row of the layout (at 960×600 a row of them squeezed the Records list to two rows), a
// repeat is one toast with a count, and each one has a Dismiss button.

import { useEffect, useRef } from "react";
import type { ShownToasts } from "../hooks/useToasts";
import { countLabel } from "../toast-list";

export function Toasts({ toasts }: { toasts: ShownToasts }) {
  const { items, dismiss, hold } = toasts;
  const stack = useRef<HTMLDivElement>(null);
  // Where the focus was before it came to a Dismiss button: it goes back there when the
  // last toast is dismissed from the keyboard, instead of falling to the page.
  const cameFrom = useRef<HTMLElement | null>(null);
  const pointerIn = useRef(false);
  const focusIn = useRef(false);
  const held = () => hold(pointerIn.current || focusIn.current);
  useEffect(() => {
    if (items.length === 0) {
      // The toast under the pointer or the focus went away with the pointer still there:
      // no leave or blur follows, and the next toast's timer would never run.
      pointerIn.current = false;
      focusIn.current = false;
      hold(false);
    }
  }, [items.length, hold]);
  const close = (id: number) => {
    const buttons = [...(stack.current?.querySelectorAll<HTMLButtonElement>("button.toast-dismiss") ?? [])];
    const at = buttons.findIndex((b) => b.dataset.toast === String(id));
    const focused = at >= 0 && document.activeElement === buttons[at];
    dismiss(id);
    if (focused) {
      const next = buttons[at + 1] ?? buttons[at - 1] ?? cameFrom.current;
      next?.focus();
    }
  };
  return (
    <div className="toasts">
      <div
        ref={stack}
        className="toast-stack"
        aria-live="assertive"
        onMouseEnter={() => {
          pointerIn.current = true;
          held();
        }}
        onMouseLeave={() => {
          pointerIn.current = false;
          held();
        }}
        onFocus={(e) => {
          if (!focusIn.current && e.relatedTarget instanceof HTMLElement && !stack.current?.contains(e.relatedTarget)) {
            cameFrom.current = e.relatedTarget;
          }
          focusIn.current = true;
          held();
        }}
        onBlur={(e) => {
          if (!(e.relatedTarget instanceof Node && stack.current?.contains(e.relatedTarget))) {
            focusIn.current = false;
            held();
          }
        }}
      >
        {items.map((t) => {
          const count = countLabel(t.count);
          return (
            <div
              key={t.id}
              className={`toast ${t.kind}`}
              role={t.kind === "error" ? "alert" : "status"}
              data-testid={`toast-${t.kind}`}
              data-count={t.count}
              title={t.code ? `Error code: ${t.code}` : undefined}
            >
              <span className="toast-text">{t.text}</span>
              {count && (
                <span className="toast-count" title={`Shown ${t.count} times`}>
                  {count}
                </span>
              )}
              {t.code && <span className="toast-code">{t.code}</span>}
              <button
                type="button"
                className="toast-dismiss"
                aria-label="Dismiss"
                data-toast={t.id}
                onClick={() => close(t.id)}
              >
                ×
              </button>
            </div>
          );
        })}
      </div>
    </div>
  );
}
