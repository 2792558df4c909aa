// The selected record's unified output, re-previewed on every edit and record change;
// the newest answer wins. Also when the studio became interactive (the first preview).

import { useEffect, useMemo, useState } from "react";
import { api } from "../api";
import type { Preview, RecordSource } from "../bindings";
import { latestWins, STALE } from "./latest";
import type { Report } from "./useToasts";

export function usePreview(source: RecordSource, text: string, recordId: string | null, report: Report) {
  const [preview, setPreview] = useState<Preview | null>(null);
  // The last preview of a mapping that loaded: while the mapping does not load, it stays
  // on screen, dimmed and labelled stale, under the problems.
  const [lastGood, setLastGood] = useState<Preview | null>(null);
  const [ms, setMs] = useState<number | null>(null);
  const [count, setCount] = useState(0);
  const [readyMs, setReadyMs] = useState<number | null>(null);
  const gate = useMemo(() => latestWins(), []);

  useEffect(() => {
    if (recordId === null || text === "") {
      return;
    }
    const started = performance.now();
    gate(api.preview(source, text, recordId)).then((p) => {
      if (p !== STALE) {
        setPreview(p);
        if (p.output !== null) {
          setLastGood(p);
        }
        setMs(performance.now() - started);
        setCount((n) => n + 1);
      }
    }, report);
  }, [gate, source, text, recordId, report]);

  useEffect(() => {
    if (preview && readyMs === null) {
      api.timings().then(setReadyMs, report);
    }
  }, [preview, readyMs, report]);

  const stale =
    preview !== null && preview.output === null && lastGood !== null && lastGood.recordId === preview.recordId
      ? lastGood
      : null;
  return {
    preview,
    stale,
    ms,
    count,
    readyMs,
    clear: () => {
      setPreview(null);
      setLastGood(null);
    },
  };
}
