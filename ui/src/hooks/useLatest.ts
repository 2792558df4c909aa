// A service answer that follows its inputs: refetched when they change, the newest
// request's answer wins, and the previous answer stays on screen until the new one
// arrives (so a refetch never empties a table for a moment).

import { useEffect, useMemo, useState } from "react";
import { latestWins, STALE } from "./latest";

export function useLatest<T>(
  fetch: (() => Promise<T>) | null,
  deps: unknown[],
  onError: (e: unknown) => void,
): T | null {
  const [data, setData] = useState<T | null>(null);
  const gate = useMemo(() => latestWins(), []);
  useEffect(() => {
    if (fetch === null) {
      return;
    }
    gate(fetch()).then((value) => {
      if (value !== STALE) {
        setData(value);
      }
    }, onError);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return data;
}
