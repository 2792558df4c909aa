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

/** How long ago `then` was, in words: "just now", "2 min ago", "3 h ago", "5 days ago". */
export function ago(then: Date, now: Date): string {
  const seconds = Math.round((now.getTime() - then.getTime()) / 1000);
  if (!Number.isFinite(seconds)) {
    return "";
  }
  if (seconds < 45) {
    return seconds < -45 ? "in the future" : "just now";
  }
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) {
    return `${minutes} min ago`;
  }
  const hours = Math.round(minutes / 60);
  if (hours < 24) {
    return `${hours} h ago`;
  }
  const days = Math.round(hours / 24);
  return days === 1 ? "yesterday" : `${days} days ago`;
}

/** A moment the service gives in UTC (RFC 3339), in the user's own time zone, with how long ago it was. */
export function localTime(iso: string, now = new Date()): string {
  const then = new Date(iso);
  if (Number.isNaN(then.getTime())) {
    return iso;
  }
  const sameDay = then.toDateString() === now.toDateString();
  const time = then.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  const when = sameDay
    ? time
    : `${then.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" })} ${time}`;
  return `${when} (${ago(then, now)})`;
}
