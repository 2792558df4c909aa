// A new custom field's name, checked as it is typed in the canvas (not after Add, in a toast).
//
// The rule is the engine's: crates/engine/src/mapping.rs custom_name_problem refuses any
// other name under `custom` on load, as the located error `invalid_custom_name`, so the CLI
// (`unifield validate`), the server (`unifield serve`) and the studio agree; the comment there
// says why (the server's `filter[customFields.NAME:OP]` splits at `:`, `customFields.NAME`
// and JSONPath read dots as nesting, a JSONPath shorthand cannot start with a digit, a URL
// needs other characters escaped). The engine writes the rule into the mapping JSON Schema as
// `custom.propertyNames.pattern`; custom-name.test.ts checks this pattern is that one. A name
// the mapping has already is refused here as the engine refuses a name written twice in a file
// (`duplicate_field`), and the engine's `custom_shadows_model` warning is said before Add.
// mapping.ts addCustom refuses by this check too.

/** Letters, digits and `_`, not starting with a digit: the engine's CUSTOM_NAME_PATTERN. */
export const CUSTOM_NAME_PATTERN = "^[A-Za-z_][A-Za-z0-9_]*$";
const IDENTIFIER = new RegExp(CUSTOM_NAME_PATTERN);

export type CustomNameCheck =
  /** Nothing typed yet: nothing to say, and nothing to add. */
  | { kind: "empty" }
  /** Refused: `error` says why, as a sentence. */
  | { kind: "refused"; error: string }
  /** Can be added; `warning` is the engine's `custom_shadows_model`, when it applies. */
  | { kind: "ok"; name: string; warning: string | null };

/** How a character the rule refuses is named in the sentence (a space is invisible). */
const shown = (c: string) => (c.trim() === "" ? "a space" : `“${c}”`);

/**
 * Checks `input` (trimmed, as Add trims it) against the rule, the mapping's custom field
 * names (`existing`) and the model's field names (`modelFields`, compared as the engine
 * compares them: exactly, case and all).
 */
export function checkCustomName(
  input: string,
  existing: readonly string[],
  modelFields: readonly string[],
): CustomNameCheck {
  const name = input.trim();
  if (name === "") {
    return { kind: "empty" };
  }
  if (!IDENTIFIER.test(name)) {
    if (/^[0-9]/.test(name)) {
      return { kind: "refused", error: "A custom field name cannot start with a digit" };
    }
    const bad = [...name].find((c) => !/[A-Za-z0-9_]/.test(c)) ?? name;
    return {
      kind: "refused",
      error: `A custom field name is letters, digits and _ only: ${shown(bad)} is not allowed`,
    };
  }
  if (existing.includes(name)) {
    return { kind: "refused", error: `There is a custom field named ${name} already` };
  }
  const warning = modelFields.includes(name)
    ? `${name} is a model field already: bind it in the list above (a custom field of the same name draws a warning)`
    : null;
  return { kind: "ok", name, warning };
}
