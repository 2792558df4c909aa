import { describe, expect, it } from "vitest";
import { listFor, PAGE_ROWS, rowAt, selection, windowStart, type Answered } from "./useRecords";

const list = (ids: string[], offset = 0, selectedAt: number | null = null) => ({
  total: 400,
  matches: ids.length + offset,
  offset,
  rows: ids.map((id) => ({ id, label: id })),
  first: offset === 0 ? (ids[0] ?? null) : "1",
  selectedAt,
});

describe("the records list speaks for the search box as it reads now", () => {
  const key = JSON.stringify([{ kind: "samples" }, "WorkOrder"]);
  it("an answer to the box's query is current", () => {
    const answer: Answered = { query: "ASN0050007", key, selected: null, list: list(["7"]) };
    expect(listFor(answer, key, "ASN0050007")).toEqual({ list: answer.list, current: true });
  });
  it("an answer to an earlier search is kept on screen but is not current", () => {
    // The reply to "ASN005" arrived; the reply to "ASN0050007" is still on its way (or failed).
    const answer: Answered = { query: "ASN005", key, selected: null, list: list(["1", "2", "7"]) };
    const shown = listFor(answer, key, "ASN0050007");
    expect(shown.current).toBe(false);
    expect(shown.list?.rows).toHaveLength(3);
  });
  it("an answer for another source or entity is not current", () => {
    const answer: Answered = { query: "", key, selected: null, list: list(["7"]) };
    expect(listFor(answer, JSON.stringify([{ kind: "connection", name: "sb" }, "WorkOrder"]), "").current).toBe(false);
  });
  it("no answer yet", () => {
    expect(listFor(null, key, "")).toEqual({ list: null, current: false });
  });
});

describe("the page holds a window of the matches, not the list", () => {
  const key = "k";
  it("the chosen record while the search matches it, else the first match", () => {
    const page: Answered = { query: "", key, selected: null, list: list(["5", "6", "7"], 200) };
    // In the page: its position among all the matches.
    expect(selection(page, key, "6")).toEqual({ recordId: "6", selectedAt: 201 });
    // Not in the page, and the answer was not asked about it: the first match, for now.
    expect(selection(page, key, "9000")).toEqual({ recordId: "1", selectedAt: 0 });
    // The answer says where it is, outside the page (the list then scrolls to it).
    const asked: Answered = { ...page, selected: "9000", list: { ...page.list, selectedAt: 8999 } };
    expect(selection(asked, key, "9000")).toEqual({ recordId: "9000", selectedAt: 8999 });
    // It does not match the search.
    expect(selection({ ...page, selected: "9000" }, key, "9000")).toEqual({ recordId: "1", selectedAt: 0 });
    expect(selection(null, key, "6")).toEqual({ recordId: null, selectedAt: -1 });
    const none: Answered = { query: "zzz", key, selected: null, list: list([]) };
    expect(selection(none, key, null)).toEqual({ recordId: null, selectedAt: -1 });
  });
  it("an answer for another source or entity selects nothing, so no record of it is asked for", () => {
    // WorkOrder's list is still the newest answer just after switching to Part: its first
    // id (and the one chosen in it) are WorkOrder ids, unknown under Part.
    const workOrders: Answered = { query: "", key: "WorkOrder", selected: null, list: list(["1", "2"]) };
    expect(selection(workOrders, "Part", null)).toEqual({ recordId: null, selectedAt: -1 });
    expect(selection(workOrders, "Part", "2")).toEqual({ recordId: null, selectedAt: -1 });
    // Part's own list then selects as usual.
    const parts: Answered = { query: "", key: "Part", selected: null, list: list(["10001", "10002"]) };
    expect(selection(parts, "Part", null)).toEqual({ recordId: "10001", selectedAt: 0 });
  });
  it("a row is read from the page only where the page holds it", () => {
    const page = list(["5", "6", "7"], 200);
    expect(rowAt(page, 201)?.id).toBe("6");
    expect(rowAt(page, 199)).toBeUndefined();
    expect(rowAt(page, 203)).toBeUndefined();
    expect(rowAt(null, 0)).toBeUndefined();
  });
  it("the window holds the first row on screen and the screen after it", () => {
    for (const first of [0, 1, 49, 50, 99, 100, 151, 4_999, 9_970]) {
      const start = windowStart(first);
      expect(start).toBeLessThanOrEqual(first);
      // A screen of rows (a few dozen) and the virtualizer's overscan fit after it.
      expect(start + PAGE_ROWS).toBeGreaterThanOrEqual(first + 50);
    }
    // Scrolling row by row asks for a new window only every half page.
    const starts = new Set(Array.from({ length: 1_000 }, (_, i) => windowStart(i)));
    expect(starts.size).toBe(1_000 / (PAGE_ROWS / 2));
  });
});
