import { describe, expect, it } from "vitest";
import { ago, fillTone, localTime, percent, short } from "./format";

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

  it("says how long ago a moment was", () => {
    const now = new Date("2026-11-30T07:10:00Z");
    expect(ago(new Date("2026-11-30T07:09:50Z"), now)).toBe("just now");
    expect(ago(new Date("2026-11-30T07:08:00Z"), now)).toBe("2 min ago");
    expect(ago(new Date("2026-11-30T04:10:00Z"), now)).toBe("3 h ago");
    expect(ago(new Date("2026-11-29T07:10:00Z"), now)).toBe("yesterday");
    expect(ago(new Date("2026-11-25T07:10:00Z"), now)).toBe("5 days ago");
  });

  it("writes a service time in local time, never the raw UTC string", () => {
    const now = new Date("2026-11-30T07:10:00Z");
    const shown = localTime("2026-11-30T07:08:00.123Z", now);
    expect(shown).toMatch(/\(2 min ago\)$/);
    expect(shown).not.toContain("2026-11-30T");
    expect(localTime("not a time", now)).toBe("not a time");
  });
});
