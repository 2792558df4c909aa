// Coverage of every field over the source's records: re-run a quarter second after the
// last edit, with progress, cancelled when a newer run starts.

import { useCallback, useEffect, useState } from "react";
import { api, asServiceError, newJob, onCoverageProgress } from "../api";
import type { CoverageReport, RecordSource } from "../bindings";
import type { MappingDoc } from "../mapping";
import { useDebounced } from "./useDebounced";
import type { Report } from "./useToasts";

export function useCoverage(source: RecordSource, text: string, doc: MappingDoc | null, report: Report) {
  const [coverage, setCoverage] = useState<CoverageReport | null>(null);
  // The mapping text the report on screen was computed from.
  const [coveredText, setCoveredText] = useState<string | null>(null);
  const [job, setJob] = useState<number | null>(null);
  const [progress, setProgress] = useState<{ done: number; of: number } | null>(null);

  const run = useCallback(() => {
    if (!doc) {
      return;
    }
    const mine = newJob();
    setJob(mine);
    setProgress(null);
    const done = () => setJob((j) => (j === mine ? null : j));
    api.coverage(source, text, mine).then(
      (c) => {
        setCoverage(c);
        setCoveredText(text);
        done();
      },
      (e: unknown) => {
        done();
        const err = asServiceError(e);
        // An edit mid-run makes the run moot: a mapping that no longer loads is shown by the preview.
        if (err.code !== "invalid_mapping") {
          report(err);
        }
      },
    );
    return () => void api.cancel(mine);
  }, [doc, source, text, report]);

  useDebounced(() => run(), 250, [text, source]);

  useEffect(() => {
    const stop = onCoverageProgress((p) => setProgress({ done: p.done, of: p.of }));
    return () => {
      void stop.then((f) => f());
    };
  }, []);

  // Why the numbers on screen are not those of the mapping as it is now, if they are not.
  const stale =
    coverage === null || coveredText === text
      ? null
      : doc === null
        ? "the mapping does not load: these numbers are from the last mapping that did"
        : job !== null
          ? "the mapping changed: counting again"
          : "the mapping changed since these numbers: run coverage again";
  return {
    coverage,
    stale,
    progress,
    running: job !== null,
    run,
    cancel: () => job !== null && void api.cancel(job),
    clear: () => {
      setCoverage(null);
      setCoveredText(null);
    },
  };
}
