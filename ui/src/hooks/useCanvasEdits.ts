// Edits made from the canvas and the results panels (bind a path, add values to a value
// map), each one undoable and put in canonical form, with a line saying what happened.

import { addToValueMap, bindPath, fieldRef } from "../mapping";
import type { JsonValue } from "../bindings";
import { boundText, type Held } from "../drop-targets";
import { keysLabel } from "../shortcuts";
import { MAC } from "./useShortcuts";
import type { MappingText } from "./useMappingText";
import type { Toast } from "./useToasts";

export function useCanvasEdits(
  mapping: MappingText,
  toast: (kind: Toast["kind"], line: string) => void,
  select: (field: string) => void,
  /** What a field holds now: a binding that replaces it says what it replaced. */
  held: (field: string) => Held | null,
) {
  const attempt = (edit: () => string, done: string) => {
    if (!mapping.parsed.ok) {
      toast(
        "error",
        "The mapping is not valid JSON: fix it in Mapping JSON first (the canvas shows its last readable bindings)",
      );
      return false;
    }
    try {
      mapping.editCanonical(edit());
      toast("info", done);
      return true;
    } catch (e) {
      toast("error", e instanceof Error ? e.message : String(e));
      return false;
    }
  };
  const bind = (field: string, path: string, steps?: string[]) => {
    const done = boundText(field, path, held(field), keysLabel("undo", MAC));
    if (attempt(() => bindPath(mapping.text, fieldRef(field), path, steps), done)) {
      select(field);
    }
  };
  const addToMap = (field: string, values: string[], to: JsonValue) =>
    attempt(
      () => addToValueMap(mapping.text, fieldRef(field), values, to),
      `Mapped ${values.join(", ")} → ${JSON.stringify(to)} in ${field}`,
    );
  return { bind, addToMap };
}
