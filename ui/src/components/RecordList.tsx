// The records of the mapping's source entity: searchable and virtualised, so 10,000
// cached work orders scroll as smoothly as 10. The page holds only a window of rows around
// what is on screen (useRecords asks for it as the list scrolls); a row not yet in it shows
// as a placeholder for the moment its window is on its way.

import { useEffect, useRef } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { RecordPage, ServiceError } from "../bindings";
import { rowAt } from "../hooks/useRecords";

interface Props {
  records: RecordPage | null;
  /** Whether `records` answers the search box as it reads now (else a search is on its way). */
  current: boolean;
  /** Why the search as the box reads now failed. */
  error: ServiceError | null;
  selected: string | null;
  /** Where `selected` is among the matches (-1: nowhere). */
  selectedAt: number;
  onSelect: (id: string) => void;
  /** Selects the match at a position (asking for it when the page does not hold it). */
  onSelectAt: (index: number) => void;
  /** The list scrolled: its first row on screen. */
  onScrolled: (index: number) => void;
  query: string;
  onQuery: (q: string) => void;
  searchRef: React.RefObject<HTMLInputElement | null>;
}

const ROW = 30;

export function RecordList({
  records,
  current,
  error,
  selected,
  selectedAt,
  onSelect,
  onSelectAt,
  onScrolled,
  query,
  onQuery,
  searchRef,
}: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const matches = records?.matches ?? 0;
  // The virtualizer hands back fresh functions each render; React Compiler cannot memoise it.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtual = useVirtualizer({
    count: matches,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW,
    overscan: 12,
  });

  // The selected record stays in view, however it was chosen (Alt+↓, a search, a click).
  useEffect(() => {
    if (selectedAt >= 0) {
      virtual.scrollToIndex(selectedAt, { align: "auto" });
    }
  }, [selectedAt, virtual]);

  // The window of rows the page holds follows the first row on screen.
  const items = virtual.getVirtualItems();
  const firstOnScreen = items[0]?.index ?? 0;
  useEffect(() => {
    onScrolled(firstOnScreen);
  }, [firstOnScreen, onScrolled]);

  const move = (by: number) => {
    if (matches > 0) {
      const next = Math.min(Math.max(selectedAt + by, 0), matches - 1);
      onSelectAt(next);
      virtual.scrollToIndex(next);
    }
  };

  return (
    <section className="panel records" aria-label="Records">
      <header className="panel-head">
        <h2>Records</h2>
        <span className="muted" data-testid="record-count" aria-live="polite">
          {error ? "search failed" : records && current ? `${records.matches} of ${records.total}` : "searching…"}
        </span>
      </header>
      <input
        ref={searchRef}
        className="search"
        type="search"
        placeholder="Search id, number, any value…"
        aria-label="Search records"
        data-testid="record-search"
        value={query}
        onChange={(e) => onQuery(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown") {
            e.preventDefault();
            move(1);
          } else if (e.key === "Enter" && current && records?.first) {
            // Enter takes the first match (the list is scrolled to it).
            e.preventDefault();
            onSelect(records.first);
          }
        }}
      />
      {error && (
        <p className="error-text" role="alert" data-testid="record-search-error">
          The search for “{query}” failed: {error.message}
        </p>
      )}
      <div
        className={current ? "list" : "list stale"}
        aria-busy={!current}
        ref={scroller}
        role="listbox"
        aria-label="Records"
        tabIndex={0}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown" || e.key === "ArrowUp") {
            e.preventDefault();
            move(e.key === "ArrowDown" ? 1 : -1);
          }
        }}
      >
        <div style={{ height: virtual.getTotalSize(), position: "relative" }}>
          {items.map((item) => {
            const row = rowAt(records, item.index);
            if (!row) {
              return (
                <div
                  key={`pending-${item.index}`}
                  className="row pending"
                  aria-hidden="true"
                  style={{
                    position: "absolute",
                    top: 0,
                    left: 0,
                    right: 0,
                    height: ROW,
                    transform: `translateY(${item.start}px)`,
                  }}
                >
                  <span className="label muted">…</span>
                </div>
              );
            }
            return (
              <div
                key={row.id}
                role="option"
                aria-selected={row.id === selected}
                className={row.id === selected ? "row selected" : "row"}
                data-testid="record-row"
                data-id={row.id}
                style={{
                  position: "absolute",
                  top: 0,
                  left: 0,
                  right: 0,
                  height: ROW,
                  transform: `translateY(${item.start}px)`,
                }}
                onClick={() => onSelect(row.id)}
              >
                <span className="id">{row.id}</span>
                <span className="label">{row.label}</span>
              </div>
            );
          })}
        </div>
        {records && current && matches === 0 && <p className="empty">No record matches “{query}”.</p>}
      </div>
    </section>
  );
}
