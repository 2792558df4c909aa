// The records of the mapping's source entity: searchable and virtualised, so 10,000
// cached work orders scroll as smoothly as 10.

import { useEffect, useRef } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { RecordList as Records, ServiceError } from "../bindings";

interface Props {
  records: Records | null;
  /** Whether `records` answers the search box as it reads now (else a search is on its way). */
  current: boolean;
  /** Why the search as the box reads now failed. */
  error: ServiceError | null;
  selected: string | null;
  onSelect: (id: string) => void;
  query: string;
  onQuery: (q: string) => void;
  searchRef: React.RefObject<HTMLInputElement | null>;
}

const ROW = 30;

export function RecordList({ records, current, error, selected, onSelect, query, onQuery, searchRef }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const rows = records?.rows ?? [];
  // The virtualizer hands back fresh functions each render; React Compiler cannot memoise it.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtual = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW,
    overscan: 12,
  });

  // The selected record stays in view, however it was chosen (Alt+↓, a search, a click).
  const selectedAt = rows.findIndex((r) => r.id === selected);
  useEffect(() => {
    if (selectedAt >= 0) {
      virtual.scrollToIndex(selectedAt, { align: "auto" });
    }
  }, [selectedAt, virtual]);

  const move = (by: number) => {
    const at = rows.findIndex((r) => r.id === selected);
    const next = rows[Math.min(Math.max(at + by, 0), rows.length - 1)];
    if (next) {
      onSelect(next.id);
      virtual.scrollToIndex(rows.indexOf(next));
    }
  };

  return (
    <section className="panel records" aria-label="Records">
      <header className="panel-head">
        <h2>Records</h2>
        <span className="muted" data-testid="record-count" aria-live="polite">
          {error ? "search failed" : records && current ? `${rows.length} of ${records.total}` : "searching…"}
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
          } else if (e.key === "Enter" && current && rows[0]) {
            // Enter takes the first match (the list is scrolled to it).
            e.preventDefault();
            onSelect(rows[0].id);
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
          {virtual.getVirtualItems().map((item) => {
            const row = rows[item.index];
            if (!row) {
              return null;
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
        {records && current && rows.length === 0 && <p className="empty">No record matches “{query}”.</p>}
      </div>
    </section>
  );
}
