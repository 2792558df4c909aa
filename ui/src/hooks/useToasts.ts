// Short messages in the corner, and the one way failures are shown: by their code, never
// by their text. The list's rules (a repeat counts up, at most a few) are in toast-list.ts.

import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { asServiceError } from "../api";
import type { ServiceError } from "../bindings";
import { addToast, TOAST_MS, toastWords, type Toast, type ToastKind } from "../toast-list";

export type { Toast };

/** Shows a message; `code` is a failure's machine code, shown apart from the sentence. */
export type ShowToast = (kind: ToastKind, line: string, code?: string | null) => void;

/** The toasts on screen with what the corner does to them (the Dismiss button, holding the timers). */
export interface ShownToasts {
  items: Toast[];
  dismiss: (id: number) => void;
  hold: (on: boolean) => void;
}

export function useToasts(): { toasts: ShownToasts; toast: ShowToast } {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const list = useRef<Toast[]>([]);
  const nextId = useRef(0);
  const timers = useRef(new Map<number, ReturnType<typeof setTimeout>>());
  // While the pointer or the focus is on the toasts their timers wait: nothing goes away
  // under a reader or the Dismiss button being reached.
  const held = useRef(false);
  const update = useCallback((next: Toast[]) => {
    list.current = next;
    setToasts(next);
  }, []);
  const dismiss = useCallback(
    (id: number) => {
      clearTimeout(timers.current.get(id));
      timers.current.delete(id);
      update(list.current.filter((t) => t.id !== id));
    },
    [update],
  );
  const schedule = useCallback(
    (t: Toast) => {
      clearTimeout(timers.current.get(t.id));
      timers.current.delete(t.id);
      if (!held.current) {
        timers.current.set(
          t.id,
          setTimeout(() => dismiss(t.id), TOAST_MS[t.kind]),
        );
      }
    },
    [dismiss],
  );
  const toast = useCallback<ShowToast>(
    (kind, line, code) => {
      const words = toastWords(kind, line, code);
      const { list: next, shown, dropped } = addToast(list.current, { kind, ...words }, ++nextId.current);
      for (const id of dropped) {
        clearTimeout(timers.current.get(id));
        timers.current.delete(id);
      }
      update(next);
      const t = next.find((x) => x.id === shown);
      if (t) {
        schedule(t);
      }
    },
    [schedule, update],
  );
  /** Holds the timers (pointer or focus on the toasts) or lets each run again from its start. */
  const hold = useCallback(
    (on: boolean) => {
      if (held.current === on) {
        return;
      }
      held.current = on;
      for (const t of list.current) {
        if (on) {
          clearTimeout(timers.current.get(t.id));
          timers.current.delete(t.id);
        } else {
          schedule(t);
        }
      }
    },
    [schedule],
  );
  useEffect(() => {
    const pending = timers.current;
    return () => pending.forEach((t) => clearTimeout(t));
  }, []);
  const shown = useMemo(() => ({ items: toasts, dismiss, hold }), [toasts, dismiss, hold]);
  return { toasts: shown, toast };
}

export type Report = (e: unknown) => void;

/**
 * A message with its location said once: the parts of the location the message does not
 * already name (the service often writes the field or line into the message itself).
 */
export function located(message: string, at: ServiceError["location"]): string {
  if (!at) {
    return message;
  }
  const parts = [
    at.file,
    at.line !== null ? `line ${at.line}` : null,
    at.field,
    at.step !== null ? `step ${at.step}` : null,
  ].filter((p): p is string => typeof p === "string" && p !== "" && !message.includes(p));
  return parts.length > 0 ? `${message} (${parts.join(", ")})` : message;
}

/** Shows a failure; branches on its code. */
export function useReport(
  toast: ShowToast,
  on: { invalidField: (field: string) => void; reauthorize: () => void },
): Report {
  const handlers = useRef(on);
  useEffect(() => {
    handlers.current = on;
  });
  return useCallback(
    (e: unknown) => {
      const err = asServiceError(e);
      switch (err.code) {
        case "cancelled":
          return;
        case "invalid_mapping": {
          const at = err.location;
          toast("error", located(err.message, at), err.code);
          if (at?.field) {
            handlers.current.invalidField(at.field);
          }
          return;
        }
        case "reauthorization_required":
          toast("error", `${err.message}. Open Connections to reconnect.`, err.code);
          handlers.current.reauthorize();
          return;
        default:
          toast("error", err.message, err.code);
      }
    },
    [toast],
  );
}
