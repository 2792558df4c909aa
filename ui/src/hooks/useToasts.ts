// Short messages in the corner, and the one way failures are shown: by their code, never
// by their text.

import { useCallback, useEffect, useRef, useState } from "react";
import { asServiceError } from "../api";
import type { ServiceError } from "../bindings";

export interface Toast {
  id: number;
  kind: "info" | "error";
  text: string;
}

export function useToasts() {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const nextId = useRef(0);
  const toast = useCallback((kind: Toast["kind"], line: string) => {
    const id = ++nextId.current;
    setToasts((t) => [...t.slice(-3), { id, kind, text: line }]);
    setTimeout(() => setToasts((t) => t.filter((x) => x.id !== id)), kind === "error" ? 9000 : 4000);
  }, []);
  return { toasts, toast };
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
  toast: (kind: Toast["kind"], line: string) => void,
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
          toast("error", located(err.message, at));
          if (at?.field) {
            handlers.current.invalidField(at.field);
          }
          return;
        }
        case "reauthorization_required":
          toast("error", `${err.message}. Open Connections to reconnect.`);
          handlers.current.reauthorize();
          return;
        default:
          toast("error", `${err.message} [${err.code}]`);
      }
    },
    [toast],
  );
}
