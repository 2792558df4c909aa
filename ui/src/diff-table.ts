// A mapping diff as one table: one row per smallest change (from `refine`), grouped by the
// service's change, each side already in the words it is shown in. A side that does not
// exist (what an added part was before, what a removed part is after) is `null`, told
// apart from a value that is JSON `null` (shown as `null`).

import type { JsonValue } from "./bindings";
import { type DiffKind, refine } from "./diff";
import { short } from "./format";

/** One side of a row as shown: the value in one line (cut), and all of it for the title. */
export interface DiffSide {
  text: string;
  title: string;
}

export interface DiffTableRow {
  kind: DiffKind;
  at: string;
  /** `at` cut into the pieces a line may break between: `fields.`, `priority.`, `steps[0]`. */
  atParts: string[];
  before: DiffSide | null;
  after: DiffSide | null;
}

export interface DiffTableGroup {
  /** The service's change: the field or top-level member, and its whole before and after. */
  change: { at: string; change: string; before: JsonValue | null; after: JsonValue | null };
  rows: DiffTableRow[];
}

/** A value as the title (tooltip) shows it: all of it, indented. */
export const fullText = (v: JsonValue | null) => JSON.stringify(v, null, 2);

/** Break points of a path: after each `.`, and before each `[`. */
export function pathParts(at: string): string[] {
  const parts: string[] = [];
  let piece = "";
  for (const ch of at) {
    if (ch === "[" && piece !== "") {
      parts.push(piece);
      piece = "";
    }
    piece += ch;
    if (ch === ".") {
      parts.push(piece);
      piece = "";
    }
  }
  if (piece !== "") {
    parts.push(piece);
  }
  return parts;
}

function side(value: JsonValue | null, exists: boolean, max: number): DiffSide | null {
  return exists ? { text: short(value, max), title: fullText(value) } : null;
}

/** The rows of a diff, grouped by change; values longer than `max` characters are cut. */
export function diffTable(
  changes: { at: string; change: string; before: JsonValue | null; after: JsonValue | null }[],
  max = 120,
): DiffTableGroup[] {
  return refine(changes).map(({ change, rows }) => ({
    change,
    rows: rows.map((r) => ({
      kind: r.kind,
      at: r.at,
      atParts: pathParts(r.at),
      before: side(r.before, r.kind !== "added", max),
      after: side(r.after, r.kind !== "removed", max),
    })),
  }));
}
