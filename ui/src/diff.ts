// A structural diff of two JSON values: down to the smallest part that changed (a step,
// a step's argument, one entry of a value map), each with its path, so a change reads as
// what it is rather than as two long lines that look alike.

import type { JsonValue } from "./bindings";

export type DiffKind = "added" | "removed" | "changed";

export interface DiffRow {
  kind: DiffKind;
  /** Where, from the root given: `fields.priority.steps[0].map["7"]`. */
  at: string;
  before: JsonValue | null;
  after: JsonValue | null;
}

const isObject = (v: JsonValue | null | undefined): v is { [k: string]: JsonValue } =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** `a.b`, or `a["7"]` when the key is not a plain name. */
function member(at: string, key: string): string {
  const plain = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key);
  if (at === "") {
    return plain ? key : JSON.stringify(key);
  }
  return plain ? `${at}.${key}` : `${at}[${JSON.stringify(key)}]`;
}

function equal(a: JsonValue | null, b: JsonValue | null): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The differences between `before` and `after`. Objects are compared key by key and
 * arrays item by item (a step list is an array: a changed step shows as that step), to the
 * leaves; a value whose type changed is one row. `undefined` means absent.
 */
export function structuralDiff(
  before: JsonValue | null | undefined,
  after: JsonValue | null | undefined,
  at = "",
): DiffRow[] {
  if (before === undefined && after === undefined) {
    return [];
  }
  if (before === undefined) {
    return [{ kind: "added", at, before: null, after: after ?? null }];
  }
  if (after === undefined) {
    return [{ kind: "removed", at, before, after: null }];
  }
  if (equal(before, after)) {
    return [];
  }
  if (isObject(before) && isObject(after)) {
    const keys = [...Object.keys(before), ...Object.keys(after).filter((k) => !(k in before))];
    return keys.flatMap((k) => structuralDiff(before[k], after[k], member(at, k)));
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const rows: DiffRow[] = [];
    for (let i = 0; i < Math.max(before.length, after.length); i++) {
      rows.push(...structuralDiff(before[i], after[i], `${at}[${i}]`));
    }
    return rows;
  }
  return [{ kind: "changed", at, before, after }];
}

/** The service's changes (one per field or top-level member), refined to their smallest parts. */
export function refine(changes: { at: string; change: string; before: JsonValue | null; after: JsonValue | null }[]) {
  return changes.map((c) => ({
    change: c,
    rows:
      c.change === "changed"
        ? structuralDiff(c.before, c.after, c.at)
        : [{ kind: c.change as DiffKind, at: c.at, before: c.before, after: c.after }],
  }));
}
