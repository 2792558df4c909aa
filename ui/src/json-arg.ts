// A step argument edited as JSON (lists, tables, free JSON): what the box shows and what
// reaches the mapping. Only JSON is applied; anything else stays in the box as typed, with
// its error beside it, until the user fixes it, including after the box loses focus.

import type { JsonValue } from "./bindings";

export interface JsonArgState {
  /** What the user typed, while it differs from the applied value's text. */
  draft: string | null;
  error: string | null;
}

export const UNTOUCHED: JsonArgState = { draft: null, error: null };

/** Typing `text`: the box's new state, and what to apply (`undefined` clears the argument), or null to apply nothing. */
export function typeJsonArg(
  text: string,
  kind: string,
): { state: JsonArgState; apply: { value: JsonValue | undefined } | null } {
  if (text.trim() === "") {
    return { state: { draft: text, error: null }, apply: { value: undefined } };
  }
  try {
    return { state: { draft: text, error: null }, apply: { value: JSON.parse(text) as JsonValue } };
  } catch {
    return { state: { draft: text, error: `not JSON (${kind})` }, apply: null };
  }
}

/** Leaving the box: valid JSON is shown as the mapping holds it; invalid text stays as typed. */
export function leaveJsonArg(state: JsonArgState): JsonArgState {
  return state.error === null ? UNTOUCHED : state;
}

/** What the box shows. */
export function shownJsonArg(state: JsonArgState, value: JsonValue | undefined): string {
  return state.draft ?? (value === undefined ? "" : JSON.stringify(value));
}
