// The source's records of the mapping's entity: the searchable list, the selected record
// and its tree. The records stay in the studio's process: the page asks for the window of
// rows the list shows (a page of them) as it scrolls, never for the whole list.

import { useState } from "react";
import { api, asServiceError } from "../api";
import type { RecordPage, RecordTree, RecordSource, ServiceError } from "../bindings";
import { useLatest } from "./useLatest";
import type { Report } from "./useToasts";

/** Rows per request: a window of them covers the screen and the rows either side. */
export const PAGE_ROWS = 200;

/** A page of records and the search it answers. */
export interface Answered {
  query: string;
  key: string;
  /** The record it was asked where it is (`list.selectedAt`). */
  selected: string | null;
  list: RecordPage;
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

/** The start of the window that holds the row at `index` and the rows after it on screen. */
export function windowStart(index: number) {
  return Math.max(0, Math.floor(index / (PAGE_ROWS / 2)) * (PAGE_ROWS / 2) - PAGE_ROWS / 4);
}

/** The row at `index` among the matches, when the page holds it. */
export function rowAt(list: RecordPage | null, index: number) {
  if (list === null || index < list.offset) {
    return undefined;
  }
  return list.rows[index - list.offset];
}

/**
 * The record the list selects and where it is among the matches: the chosen one while the
 * search matches it (the page holds it, or the answer says where it is), else the first
 * match; -1 when nothing matches. Only an answer for the current source and entity (`key`)
 * selects: the list of the entity shown before holds ids of that entity, and asking for
 * one of them under the new entity fails (`unknown_record`), so until the new entity's
 * list arrives no record is selected.
 */
export function selection(answer: Answered | null, key: string, chosen: string | null) {
  const list = answer !== null && answer.key === key ? answer.list : null;
  if (list === null) {
    return { recordId: null, selectedAt: -1 };
  }
  if (chosen !== null) {
    const inPage = list.rows.findIndex((r) => r.id === chosen);
    if (inPage >= 0) {
      return { recordId: chosen, selectedAt: list.offset + inPage };
    }
    if (answer?.selected === chosen && list.selectedAt !== null) {
      return { recordId: chosen, selectedAt: list.selectedAt };
    }
  }
  return { recordId: list.first, selectedAt: list.first !== null ? 0 : -1 };
}

export function useRecords(source: RecordSource, entity: string | null, report: Report) {
  const [query, setQueryNow] = useState("");
  const [chosen, setChosen] = useState<string | null>(null);
  // Where the list is scrolled to (the first row on screen), as a window start.
  const [offset, setOffset] = useState(0);
  const [failed, setFailed] = useState<{ key: string; query: string; error: ServiceError } | null>(null);
  const key = JSON.stringify([source, entity]);
  const answer: Answered | null = useLatest(
    entity
      ? () =>
          api
            .listRecords(source, entity, query, offset, PAGE_ROWS, chosen)
            .then((list) => ({ query, key, selected: chosen, list }))
      : null,
    [source, entity, query, offset, chosen],
    (e) => {
      setFailed({ key, query, error: asServiceError(e) });
      report(e);
    },
  );
  const { list, current } = listFor(answer, key, query);
  const error = failed !== null && failed.key === key && failed.query === query && !current ? failed.error : null;
  const { recordId, selectedAt } = selection(answer, key, chosen);
  const fetchedTree: RecordTree | null = useLatest(
    entity && recordId !== null ? () => api.recordTree(source, entity, recordId) : null,
    [source, entity, recordId],
    report,
  );
  const tree = fetchedTree?.id === recordId ? fetchedTree : null;

  /** The record at `index` among the matches: from the page when it holds it, else asked for. */
  const selectAt = (index: number) => {
    if (list === null || entity === null || index < 0 || index >= list.matches) {
      return;
    }
    const row = rowAt(list, index);
    if (row) {
      setChosen(row.id);
      return;
    }
    api.listRecords(source, entity, query, index, 1, null).then((page) => {
      if (page.rows[0]) {
        setChosen(page.rows[0].id);
      }
    }, report);
  };
  /** The next or previous record in the list. */
  const step = (by: 1 | -1) => {
    if (list !== null && list.matches > 0) {
      selectAt(Math.min(Math.max(selectedAt + by, 0), list.matches - 1));
    }
  };
  const setQuery = (q: string) => {
    setQueryNow(q);
    setOffset(0);
  };
  const reset = () => {
    setChosen(null);
    setQuery("");
  };
  /** The list scrolled: its first row on screen is now `index`. */
  const scrolledTo = (index: number) => {
    const start = windowStart(index);
    if (start !== offset) {
      setOffset(start);
    }
  };
  return {
    list,
    current,
    error,
    query,
    setQuery,
    recordId,
    selectedAt,
    select: setChosen,
    selectAt,
    scrolledTo,
    tree,
    step,
    reset,
  };
}
