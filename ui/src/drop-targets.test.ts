import { describe, expect, it } from "vitest";
import { boundText, dragAnnouncements, dragArrow, nextDropTarget, replaces } from "./drop-targets";

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
  const said = dragAnnouncements(() => null);
  it("names the source path and the target field, not dnd-kit's ids", () => {
    const lines = [
      said.onDragStart({ active }),
      said.onDragOver({ active, over: { id: "field:status" } }),
      said.onDragEnd({ active, over: { id: "field:status" } }),
    ];
    expect(lines[1]).toBe("$.ShortLocation is over the field status.");
    expect(lines[2]).toBe("$.ShortLocation dropped on the field status.");
    for (const text of lines) {
      expect(text).not.toMatch(/node:|field:|[Dd]roppable|[Dd]raggable/);
    }
  });
  it("says what the keys do when a node is picked up", () => {
    expect(said.onDragStart({ active })).toContain("Space binds");
    expect(said.onDragStart({ active })).toContain("Escape puts it back");
  });
  it("says nothing changed when there is no field under it or the drag is cancelled", () => {
    expect(said.onDragEnd({ active, over: null })).toContain("nothing changed");
    expect(said.onDragCancel({ active, over: null })).toBe("$.ShortLocation put back: nothing changed.");
  });
});

describe("a drop on a bound field warns that it replaces the binding", () => {
  const active = { id: "node:$.ShortLocation" };
  const held = (field: string) =>
    field === "status"
      ? { source: "$.Status.Id", required: true }
      : field === "number"
        ? { source: "$.Number", required: false }
        : null;
  it("says so, with the binding and that it is required, while the source is over the field", () => {
    const line = dragAnnouncements(held).onDragOver({ active, over: { id: "field:status" } });
    expect(line).toBe(
      "$.ShortLocation is over the field status, bound to $.Status.Id (a required field's binding): Space replaces it (undo brings it back); Escape puts $.ShortLocation back.",
    );
    expect(dragAnnouncements(held).onDragOver({ active, over: { id: "field:number" } })).toContain(
      "bound to $.Number:",
    );
    expect(dragAnnouncements(held).onDragOver({ active, over: { id: "field:other" } })).toBe(
      "$.ShortLocation is over the field other.",
    );
  });
  it("replaces nothing on an unbound field, or one bound to the same path", () => {
    expect(replaces(null, "$.A")).toBeNull();
    expect(replaces({ source: "$.A", required: true }, "$.A")).toBeNull();
    expect(replaces({ source: "$.B", required: false }, "$.A")).toBe("$.B");
  });
  it("names what the drop replaced and how to get it back", () => {
    expect(boundText("status", "$.ShortLocation", { source: "$.Status.Id", required: true }, "Ctrl+Z")).toBe(
      "status ← $.ShortLocation, replacing $.Status.Id (a required field's binding): undo (Ctrl+Z) brings it back",
    );
    expect(boundText("status", "$.ShortLocation", null, "Ctrl+Z")).toBe("status ← $.ShortLocation");
  });
});
