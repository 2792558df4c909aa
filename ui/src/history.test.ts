import { describe, expect, it } from "vitest";
import { canRedo, canUndo, COALESCE_MS, PAST_CHARS, record, redo, replacePresent, start, undo } from "./history";

describe("history", () => {
  it("undoes and redoes whole edits", () => {
    let h = start("a");
    h = record(h, "b", null, 1000);
    h = record(h, "c", null, 1001);
    expect(canUndo(h)).toBe(true);
    h = undo(h);
    expect(h.present).toBe("b");
    h = undo(h);
    expect(h.present).toBe("a");
    expect(canUndo(h)).toBe(false);
    expect(undo(h)).toBe(h);
    h = redo(h);
    expect(h.present).toBe("b");
    expect(canRedo(h)).toBe(true);
  });

  it("a new edit after undo drops the redo branch", () => {
    let h = record(start("a"), "b");
    h = undo(h);
    h = record(h, "x");
    expect(canRedo(h)).toBe(false);
    expect(h.past).toEqual(["a"]);
  });

  it("typing in one place within a moment is one step", () => {
    let h = start("");
    h = record(h, "$", "path:title", 1000);
    h = record(h, "$.", "path:title", 1000 + COALESCE_MS / 2);
    h = record(h, "$.N", "path:title", 1000 + COALESCE_MS);
    expect(h.past).toEqual([""]);
    h = record(h, "$.Nu", "path:title", 1000 + 3 * COALESCE_MS);
    expect(h.past).toEqual(["", "$.N"]);
    h = record(h, "other", "path:code", 1000 + 3 * COALESCE_MS + 1);
    expect(h.past).toEqual(["", "$.N", "$.Nu"]);
  });

  it("keeps the newest steps within PAST_CHARS characters, and always the last one", () => {
    const big = (c: string) => c.repeat(PAST_CHARS / 4);
    let h = start(big("a"));
    for (const c of ["b", "c", "d", "e", "f"]) {
      h = record(h, big(c));
    }
    expect(h.past.map((t) => t[0])).toEqual(["b", "c", "d", "e"]);
    expect(h.past.reduce((n, t) => n + t.length, 0)).toBeLessThanOrEqual(PAST_CHARS);
    h = record(start("x"), "y".repeat(PAST_CHARS + 1));
    h = record(h, "z".repeat(PAST_CHARS + 1));
    expect(h.past.map((t) => t[0])).toEqual(["y"]);
    expect(undo(h).present[0]).toBe("y");
  });

  it("recording the same text changes nothing", () => {
    const h = start("a");
    expect(record(h, "a")).toBe(h);
  });
});

describe("replacePresent", () => {
  it("rewrites the present without an undo step", () => {
    const h = replacePresent(record(start("a"), "b-draft"), "b");
    expect(h.present).toBe("b");
    expect(h.past).toEqual(["a"]);
    expect(undo(h).present).toBe("a");
  });
});
