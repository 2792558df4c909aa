import { describe, expect, it } from "vitest";
import { saveLine } from "./save-line";

describe("a save says what it stored", () => {
  it("a new version", () => {
    expect(saveLine("work_order", 1, 2)).toEqual({ stored: true, text: "Saved work_order as version 2" });
  });
  it("the first version, saved over the bundled default", () => {
    expect(saveLine("work_order", null, 1)).toEqual({ stored: true, text: "Saved work_order as version 1" });
  });
  it("the latest version's text again: the workspace answers with that version and stores nothing", () => {
    expect(saveLine("work_order", 1, 1)).toEqual({ stored: false, text: "No changes since version 1: nothing saved" });
  });
});
