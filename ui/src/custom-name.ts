// A new custom field's name, checked as it is typed in the canvas (not after Add, in a toast).
//
// The engine itself takes any member name under `custom` (crates/engine/src/mapping.rs
// decode_bindings checks the bindings, not the names); what it says about a name is the
// warning `custom_shadows_model` for a name that is also a model field (compile.rs). The
// studio is stricter: a name is an identifier, so that `custom.NAME` and the unified API's
// `customFields.NAME` read as one field in a label, a JSONPath or a comma-separated
// `fields=` list. That rule is here once; mapping.ts addCustom refuses by it too.

/** Letters, digits and `_`, not starting with a digit. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

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
