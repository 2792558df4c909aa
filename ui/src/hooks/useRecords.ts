// The source's records of the mapping's entity: the searchable list, the selected record
// and its tree.

import { useState } from "react";
import { api } from "../api";
import type { RecordList, RecordTree, RecordSource } from "../bindings";
import { useLatest } from "./useLatest";
import type { Report } from "./useToasts";

export function useRecords(source: RecordSource, entity: string | null, report: Report) {
  const [query, setQuery] = useState("");
  const [chosen, setChosen] = useState<string | null>(null);
  const list: RecordList | null = useLatest(
    entity ? () => api.listRecords(source, entity, query) : null,
    [source, entity, query],
    report,
  );
  // The chosen record while the list holds it, else the list's first.
  const rows = list?.rows ?? [];
  const recordId = chosen !== null && rows.some((r) => r.id === chosen) ? chosen : (rows[0]?.id ?? null);
  const fetchedTree: RecordTree | null = useLatest(
    entity && recordId !== null ? () => api.recordTree(source, entity, recordId) : null,
    [source, entity, recordId],
    report,
  );
  const tree = fetchedTree?.id === recordId ? fetchedTree : null;

  /** The next or previous record in the list. */
  const step = (by: 1 | -1) => {
    const at = rows.findIndex((r) => r.id === recordId);
    const next = rows[Math.min(Math.max(at + by, 0), rows.length - 1)];
    if (next) {
      setChosen(next.id);
    }
  };
  const reset = () => {
    setChosen(null);
    setQuery("");
  };
  return { list, query, setQuery, recordId, select: setChosen, tree, step, reset };
}
