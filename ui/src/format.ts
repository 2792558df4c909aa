// How values read in the studio's panels.

import type { JsonValue } from "./bindings";

export function percent(share: number): string {
  if (!Number.isFinite(share)) {
    return "–";
  }
  const p = share * 100;
  if (p > 0 && p < 1) {
    return "<1%";
  }
  if (p < 100 && p > 99) {
    return ">99%";
  }
  return `${Math.round(p)}%`;
}

/** A value in one short line: strings quoted, long ones cut. */
export function short(value: JsonValue | undefined, max = 60): string {
  if (value === undefined) {
    return "";
  }
  const text = JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Fill-rate badge tone: enough for a required field, patchy, or empty. */
export function fillTone(share: number): "good" | "fair" | "poor" {
  if (share >= 0.95) {
    return "good";
  }
  return share >= 0.5 ? "fair" : "poor";
}
