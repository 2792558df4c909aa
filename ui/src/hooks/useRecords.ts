// The source's records of the mapping's entity: the searchable list, the selected record
// and its tree.

import { useState } from "react";
import { api, asServiceError } from "../api";
import type { RecordList, RecordTree, RecordSource, ServiceError } from "../bindings";
import { useLatest } from "./useLatest";
import type { Report } from "./useToasts";

/** A list of records and the search it answers. */
export interface Answered {
  query: string;
  key: string;
  list: RecordList;
}

/**
 * What the list shows for the search box's `query`: the rows of the newest answer (kept
 * on screen while a newer search runs), and whether they answer the box as it reads now.
 * The count and "no match" speak only for a current answer, so a list that answers an
 * earlier search (a reply still on its way, or a search that failed) is never presented
 * as the answer to what the box says.
 */
export function listFor(answer: Answered | null, key: string, query: string) {
  const current = answer !== null && answer.key === key && answer.query === query;
  return { list: answer?.list ?? null, current };
}

export function useRecords(source: RecordSource, entity: string | null, report: Report) {
  const [query, setQuery] = useState("");
  const [chosen, setChosen] = useState<string | null>(null);
  const [failed, setFailed] = useState<{ key: string; query: string; error: ServiceError } | null>(null);
  const key = JSON.stringify([source, entity]);
  const answer: Answered | null = useLatest(
    entity ? () => api.listRecords(source, entity, query).then((list) => ({ query, key, list })) : null,
    [source, entity, query],
    (e) => {
      setFailed({ key, query, error: asServiceError(e) });
      report(e);
    },
  );
  const { list, current } = listFor(answer, key, query);
  const error = failed !== null && failed.key === key && failed.query === query && !current ? failed.error : null;
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
  return { list, current, error, query, setQuery, recordId, select: setChosen, tree, step, reset };
}
