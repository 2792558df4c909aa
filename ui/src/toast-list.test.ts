import { describe, expect, it } from "vitest";
import { addToast, countLabel, MAX_TOASTS, TOAST_MS, toastWords, type Toast } from "./toast-list";

const error = (text: string, code: string | null = null) => ({ kind: "error" as const, text, code });
const info = (text: string) => ({ kind: "info" as const, text, code: null });

/** Adds each message in turn, with ids 1, 2, …, as the hook does. */
function shownAfter(...messages: Pick<Toast, "kind" | "text" | "code">[]): Toast[] {
  let list: Toast[] = [];
  messages.forEach((m, i) => {
    list = addToast(list, m, i + 1).list;
  });
  return list;
}

describe("a repeated toast", () => {
  it("is one toast with a count, moved to the newest place, its timer restarted", () => {
    const first = addToast([], error("Field `x` is not in WorkOrder", "invalid_path"), 1);
    const other = addToast(first.list, info("Saved"), 2);
    const again = addToast(other.list, error("Field `x` is not in WorkOrder", "invalid_path"), 3);
    expect(again.shown).toBe(1);
    expect(again.dropped).toEqual([]);
    expect(again.list.map((t) => [t.id, t.count])).toEqual([
      [2, 1],
      [1, 2],
    ]);
    const third = addToast(again.list, error("Field `x` is not in WorkOrder", "invalid_path"), 4);
    expect(third.list.find((t) => t.id === 1)?.count).toBe(3);
    expect(countLabel(3)).toBe("×3");
    expect(countLabel(1)).toBeNull();
  });

  it("is not merged with a different text, kind or code", () => {
    const list = shownAfter(error("Bad", "a"), error("Bad", "b"), info("Bad"));
    expect(list.map((t) => t.count)).toEqual([1, 1, 1]);
  });

  it("four identical custom-field errors (the review's 178 px) take one toast", () => {
    const e = error("Custom field names take letters, digits and _", "invalid_mapping");
    const list = shownAfter(e, e, e, e);
    expect(list).toHaveLength(1);
    expect(list.map((t) => t.count)).toEqual([4]);
  });
});

describe("the cap", () => {
  it("shows at most MAX_TOASTS, dropping the oldest information before any error", () => {
    expect(MAX_TOASTS).toBe(3);
    const list = addToast(shownAfter(error("E1"), info("I1"), error("E2")), error("E3"), 4);
    expect(list.dropped).toEqual([2]);
    expect(list.list.map((t) => t.text)).toEqual(["E1", "E2", "E3"]);
  });

  it("drops the oldest error when there is no information to drop", () => {
    const list = addToast(shownAfter(error("E1"), error("E2"), error("E3")), info("I1"), 4);
    expect(list.dropped).toEqual([1]);
    expect(list.list.map((t) => t.text)).toEqual(["E2", "E3", "I1"]);
  });

  it("keeps the newest message even with a cap of one", () => {
    const list = addToast(shownAfter(info("I1")), error("E1"), 2, 1);
    expect(list.list.map((t) => t.text)).toEqual(["E1"]);
    expect(addToast(list.list, info("I2"), 3, 1).list.map((t) => t.text)).toEqual(["I2"]);
  });
});

describe("a toast's words", () => {
  it("takes the code out of the sentence and starts an error with a capital", () => {
    expect(toastWords("error", "there is no Product record with id `10001` in this source", "unknown_record")).toEqual({
      text: "There is no Product record with id `10001` in this source",
      code: "unknown_record",
    });
    // A caller that appended the code itself (`… [code]`), as the editor's problems do.
    expect(toastWords("error", "field path `$.X` is not valid [invalid_path]")).toEqual({
      text: "Field path `$.X` is not valid",
      code: "invalid_path",
    });
    // The server's own code at the end of its message and the studio's: both kept, once each.
    expect(toastWords("error", "the server answered 503 [corrigo_unavailable]", "server_error").code).toBe(
      "server_error · corrigo_unavailable",
    );
    expect(toastWords("error", "boom [internal]", "internal").code).toBe("internal");
  });

  it("keeps the case of a name the message starts with, and of information", () => {
    expect(toastWords("error", "fields.title step 2: unknown function `uper`").text).toBe(
      "fields.title step 2: unknown function `uper`",
    );
    expect(toastWords("error", "`x` is not a field").text).toBe("`x` is not a field");
    // The journey reads this line as written: a field name first.
    expect(toastWords("info", "status ← $.ShortLocation").text).toBe("status ← $.ShortLocation");
    expect(toastWords("info", "Saved work_order as version 1")).toEqual({
      text: "Saved work_order as version 1",
      code: null,
    });
  });

  it("gives errors longer than information", () => {
    expect(TOAST_MS.error).toBeGreaterThan(9000);
    expect(TOAST_MS.info).toBeLessThan(TOAST_MS.error);
  });
});
