import { describe, expect, it } from "vitest";
import { fillTone, percent, short } from "./format";

describe("format", () => {
  it("writes shares as percentages without claiming 0 or 100 falsely", () => {
    expect(percent(0)).toBe("0%");
    expect(percent(1)).toBe("100%");
    expect(percent(0.004)).toBe("<1%");
    expect(percent(0.996)).toBe(">99%");
    expect(percent(0.5)).toBe("50%");
    expect(percent(Number.NaN)).toBe("–");
  });

  it("cuts long values", () => {
    expect(short("abc")).toBe('"abc"');
    expect(short("x".repeat(100), 10)).toBe('"xxxxxxxx…');
    expect(short(null)).toBe("null");
  });

  it("tones fill rates", () => {
    expect([fillTone(1), fillTone(0.6), fillTone(0.1)]).toEqual(["good", "fair", "poor"]);
  });
});
