// Short messages in the corner, and the one way failures are shown: by their code, never
// by their text.

import { useCallback, useEffect, useRef, useState } from "react";
import { asServiceError } from "../api";

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
          const where = at
            ? [
                at.file,
                at.line !== null ? `line ${at.line}` : null,
                at.field,
                at.step !== null ? `step ${at.step}` : null,
              ]
                .filter(Boolean)
                .join(", ")
            : "";
          toast("error", `${err.message}${where ? ` (${where})` : ""}`);
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
