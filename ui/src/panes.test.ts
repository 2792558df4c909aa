import { describe, expect, it } from "vitest";
import { clampSize, keyedSize, PANE_BOUNDS } from "./panes";

describe("a splitter's keys", () => {
  const left = { min: 180, max: 560 };
  it("Right widens the left pane and narrows the right one, by 16 px or 64 with Shift", () => {
    expect(keyedSize("ArrowRight", false, 300, left, "vertical", 1)).toBe(316);
    expect(keyedSize("ArrowRight", true, 300, left, "vertical", 1)).toBe(364);
    expect(keyedSize("ArrowRight", false, 300, PANE_BOUNDS.right, "vertical", -1)).toBe(284);
    expect(keyedSize("ArrowLeft", false, 300, left, "vertical", 1)).toBe(284);
  });
  it("Up grows the editor under a horizontal splitter; Left and Right are not its keys", () => {
    expect(keyedSize("ArrowUp", false, 200, PANE_BOUNDS.editor, "horizontal", -1)).toBe(216);
    expect(keyedSize("ArrowRight", false, 200, PANE_BOUNDS.editor, "horizontal", -1)).toBeNull();
    expect(keyedSize("ArrowDown", false, 200, left, "vertical", 1)).toBeNull();
  });
  it("stays within the bounds; Home and End go to them", () => {
    expect(keyedSize("ArrowLeft", true, 200, left, "vertical", 1)).toBe(180);
    expect(keyedSize("ArrowRight", true, 550, left, "vertical", 1)).toBe(560);
    expect(keyedSize("Home", false, 400, left, "vertical", 1)).toBe(180);
    expect(keyedSize("End", false, 200, left, "vertical", 1)).toBe(560);
    expect(keyedSize("Enter", false, 200, left, "vertical", 1)).toBeNull();
  });
  it("a window too small for the largest size gives the smallest", () => {
    expect(clampSize(500, 180, 120)).toBe(180);
    expect(clampSize(300.6, 180, 560)).toBe(301);
  });
});
