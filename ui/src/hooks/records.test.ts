import { describe, expect, it } from "vitest";
import { listFor, type Answered } from "./useRecords";

const list = (ids: string[]) => ({ total: 400, rows: ids.map((id) => ({ id, label: id })) });

describe("the records list speaks for the search box as it reads now", () => {
  const key = JSON.stringify([{ kind: "samples" }, "WorkOrder"]);
  it("an answer to the box's query is current", () => {
    const answer: Answered = { query: "ASN0050007", key, list: list(["7"]) };
    expect(listFor(answer, key, "ASN0050007")).toEqual({ list: answer.list, current: true });
  });
  it("an answer to an earlier search is kept on screen but is not current", () => {
    // The reply to "ASN005" arrived; the reply to "ASN0050007" is still on its way (or failed).
    const answer: Answered = { query: "ASN005", key, list: list(["1", "2", "7"]) };
    const shown = listFor(answer, key, "ASN0050007");
    expect(shown.current).toBe(false);
    expect(shown.list?.rows).toHaveLength(3);
  });
  it("an answer for another source or entity is not current", () => {
    const answer: Answered = { query: "", key, list: list(["7"]) };
    expect(listFor(answer, JSON.stringify([{ kind: "connection", name: "sb" }, "WorkOrder"]), "").current).toBe(false);
  });
  it("no answer yet", () => {
    expect(listFor(null, key, "")).toEqual({ list: null, current: false });
  });
});
