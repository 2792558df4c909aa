import { describe, expect, it } from "vitest";
import { dragArrow, nextDropTarget } from "./drop-targets";

const fields = ["key", "number", "title", "priority"];

describe("a keyboard drag moves from target field to target field", () => {
  it("the first arrow lands on the selected field, or the first (last going up)", () => {
    expect(nextDropTarget(fields, null, "title", 1)).toBe("title");
    expect(nextDropTarget(fields, null, null, 1)).toBe("key");
    expect(nextDropTarget(fields, null, "gone", -1)).toBe("priority");
  });
  it("then steps and stops at either end", () => {
    expect(nextDropTarget(fields, "title", "title", 1)).toBe("priority");
    expect(nextDropTarget(fields, "priority", "title", 1)).toBe("priority");
    expect(nextDropTarget(fields, "key", "title", -1)).toBe("key");
    expect(nextDropTarget([], "key", "title", 1)).toBeNull();
  });
  it("Down and Right go on, Up and Left go back; other keys are not moves", () => {
    expect([dragArrow("ArrowDown"), dragArrow("ArrowRight"), dragArrow("ArrowUp"), dragArrow("ArrowLeft")]).toEqual([
      1, 1, -1, -1,
    ]);
    expect(dragArrow("Space")).toBeNull();
  });
});
