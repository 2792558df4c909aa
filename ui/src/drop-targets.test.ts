import { describe, expect, it } from "vitest";
import { dragAnnouncements, dragArrow, nextDropTarget } from "./drop-targets";

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

describe("dragAnnouncements", () => {
  const active = { id: "node:$.ShortLocation" };
  it("names the source path and the target field, not dnd-kit's ids", () => {
    const said = [
      dragAnnouncements.onDragStart({ active }),
      dragAnnouncements.onDragOver({ active, over: { id: "field:status" } }),
      dragAnnouncements.onDragEnd({ active, over: { id: "field:status" } }),
    ];
    expect(said[1]).toBe("$.ShortLocation is over the field status.");
    expect(said[2]).toBe("$.ShortLocation dropped on the field status.");
    for (const text of said) {
      expect(text).not.toMatch(/node:|field:|[Dd]roppable|[Dd]raggable/);
    }
  });
  it("says what the keys do when a node is picked up", () => {
    expect(dragAnnouncements.onDragStart({ active })).toContain("Space binds");
    expect(dragAnnouncements.onDragStart({ active })).toContain("Escape puts it back");
  });
  it("says nothing changed when there is no field under it or the drag is cancelled", () => {
    expect(dragAnnouncements.onDragEnd({ active, over: null })).toContain("nothing changed");
    expect(dragAnnouncements.onDragCancel({ active, over: null })).toBe("$.ShortLocation put back: nothing changed.");
  });
});
