import { describe, expect, it } from "vitest";
import { sidewaysScroll } from "./tab-strip";

describe("sidewaysScroll", () => {
  it("turns a vertical wheel over an overflowing strip into a sideways scroll", () => {
    expect(sidewaysScroll(0, 120, 500, 489)).toBe(120);
    expect(sidewaysScroll(0, -40, 500, 489)).toBe(-40);
  });

  it("leaves a strip that fits and a sideways wheel to the browser", () => {
    expect(sidewaysScroll(0, 120, 489, 489)).toBeNull();
    expect(sidewaysScroll(60, 20, 500, 489)).toBeNull();
  });
});
