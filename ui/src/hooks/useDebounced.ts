import { useEffect, useRef } from "react";

/** Runs `f` once `ms` after the last change of `deps`; a cleanup `f` returns runs on the next change. */
export function useDebounced(f: () => unknown, ms: number, deps: unknown[]) {
  const latest = useRef(f);
  useEffect(() => {
    latest.current = f;
  });
  useEffect(() => {
    let cleanup: unknown;
    const timer = setTimeout(() => {
      cleanup = latest.current();
    }, ms);
    return () => {
      clearTimeout(timer);
      if (typeof cleanup === "function") {
        (cleanup as () => void)();
      }
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
}
