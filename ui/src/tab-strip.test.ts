import { describe, expect, it } from "vitest";
import { scrollToShow, sidewaysScroll } from "./tab-strip";

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

describe("scrollToShow", () => {
  // A strip 300 px wide over 900 px of tabs, with a 32 px fade at a cut-off end.
  it("leaves a tab that shows whole where it is", () => {
    expect(scrollToShow(40, 80, 0, 300, 900, 32)).toBeNull();
    expect(scrollToShow(340, 80, 300, 300, 900, 32)).toBeNull();
  });

  it("scrolls a tab cut off at the end into view, clear of the fade", () => {
    // Part at 700..780 while the strip shows 0..300: scrolled so it ends 32 px before the end.
    expect(scrollToShow(700, 80, 0, 300, 900, 32)).toBe(512);
    // Half under the fade counts as cut off.
    expect(scrollToShow(220, 60, 0, 300, 900, 32)).toBe(12);
  });

  it("scrolls a tab cut off at the start back into view", () => {
    expect(scrollToShow(100, 80, 400, 300, 900, 32)).toBe(68);
    // The first tab: all the way back, where the strip no longer fades.
    expect(scrollToShow(0, 80, 400, 300, 900, 32)).toBe(0);
  });

  it("stays within the strip's scroll range", () => {
    // The last tab: as far as the strip goes, where it no longer fades at the end.
    expect(scrollToShow(820, 80, 0, 300, 900, 32)).toBe(600);
    // A strip that fits does not scroll.
    expect(scrollToShow(820, 80, 0, 900, 900, 32)).toBeNull();
  });

  it("shows the start of a tab wider than the strip", () => {
    expect(scrollToShow(500, 400, 0, 300, 900, 32)).toBe(468);
  });
});
