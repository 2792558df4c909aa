// Edits to a mapping document (format unifield.mapping/v1), as pure functions from text
// to text. The editor's text is the one source of truth: the canvas, the step forms and
// the raw JSON tab all edit it through these, and undo/redo is a stack of texts.

import type { JsonValue, TransformInfo } from "./bindings";
import { checkCustomName } from "./custom-name";
import type { Binding, Step, UnifieldMappingFile } from "./mapping-format";

// The mapping file's shape comes from the engine (mapping-format.ts is generated from the
// JSON Schema it writes); these names are what the editing functions below call it.
export type MappingDoc = UnifieldMappingFile;
export type BindingDoc = Binding;
export type StepDoc = Step;

/** `status` is a model field; `custom.timeZone` a custom one. */
export interface FieldRef {
  custom: boolean;
  name: string;
}

export function fieldRef(label: string): FieldRef {
  return label.startsWith("custom.")
    ? { custom: true, name: label.slice("custom.".length) }
    : { custom: false, name: label };
}

export function fieldLabel(ref: FieldRef): string {
  return ref.custom ? `custom.${ref.name}` : ref.name;
}

export type Parsed = { ok: true; doc: MappingDoc } | { ok: false; error: string };

export function parse(text: string): Parsed {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return { ok: false, error: "the mapping is not a JSON object" };
    }
    const doc = value as MappingDoc;
    if (typeof doc.fields !== "object" || doc.fields === null) {
      return { ok: false, error: "the mapping has no `fields` object" };
    }
    return { ok: true, doc };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

export function serialize(doc: MappingDoc): string {
  return JSON.stringify(doc, null, 2) + "\n";
}

function edit(text: string, change: (doc: MappingDoc) => void): string {
  const parsed = parse(text);
  if (!parsed.ok) {
    throw new Error(`cannot edit: ${parsed.error}`);
  }
  const doc = structuredClone(parsed.doc);
  change(doc);
  return serialize(doc);
}

function table(doc: MappingDoc, ref: FieldRef): Record<string, BindingDoc> {
  if (!ref.custom) {
    return doc.fields;
  }
  doc.custom ??= {};
  return doc.custom;
}

export function binding(doc: MappingDoc, ref: FieldRef): BindingDoc | undefined {
  return ref.custom ? doc.custom?.[ref.name] : doc.fields[ref.name];
}

/** Where a binding reads from, in one line: its path, its paths (`$.A ?? $.B`) or `= "a constant"`. */
export function bindingSource(b: BindingDoc): string {
  return b.path ?? b.paths?.join(" ?? ") ?? ("const" in b ? `= ${JSON.stringify(b.const)}` : "");
}

/** Binds a field to a path, keeping its steps and note; a new field gets `steps`. */
export function bindPath(text: string, ref: FieldRef, path: string, steps?: string[]): string {
  return edit(text, (doc) => {
    const fields = table(doc, ref);
    const old = fields[ref.name];
    const next: BindingDoc = { path };
    // Suggested steps name functions of the registry, which Rust checks when it loads the text.
    const kept = (steps as StepDoc[] | undefined) ?? old?.steps;
    if (kept && kept.length > 0) {
      next.steps = kept;
    }
    if (old?.note !== undefined) {
      next.note = old.note;
    }
    fields[ref.name] = next;
  });
}

export function unbind(text: string, ref: FieldRef): string {
  return edit(text, (doc) => {
    const fields = table(doc, ref);
    Reflect.deleteProperty(fields, ref.name);
    if (ref.custom && doc.custom && Object.keys(doc.custom).length === 0) {
      delete doc.custom;
    }
  });
}

export function stepName(step: StepDoc): string {
  return typeof step === "string" ? step : step.fn;
}

export function stepArgs(step: StepDoc): Record<string, JsonValue> {
  if (typeof step === "string") {
    return {};
  }
  const args: Record<string, JsonValue> = {};
  for (const [key, value] of Object.entries(step)) {
    if (key !== "fn") {
      args[key] = value;
    }
  }
  return args;
}

/** A step with its arguments; a step with none is written as its bare name. */
export function makeStep(fn: string, args: Record<string, JsonValue>): StepDoc {
  const kept = Object.entries(args).filter(([, v]) => v !== undefined);
  // `fn` comes from the transform registry (Rust's); the loaded text is checked in Rust.
  return (kept.length === 0 ? fn : { fn, ...Object.fromEntries(kept) }) as StepDoc;
}

/** An empty value for each required parameter, so the new step's form has every field. */
export function newStep(transform: TransformInfo): StepDoc {
  const args: Record<string, JsonValue> = {};
  for (const param of transform.params.filter((p) => p.required)) {
    args[param.name] = emptyArg(param.kind);
  }
  return makeStep(transform.name, args);
}

export function emptyArg(kind: string): JsonValue {
  switch (kind) {
    case "integer":
      return 0;
    case "boolean":
      return false;
    case "object":
      return {};
    case "array of strings":
    case "array":
    case "array of JSONPaths":
      return [];
    default:
      return "";
  }
}

function steps(doc: MappingDoc, ref: FieldRef): StepDoc[] {
  const b = binding(doc, ref);
  if (!b) {
    throw new Error(`\`${fieldLabel(ref)}\` is not bound`);
  }
  b.steps ??= [];
  return b.steps;
}

function tidy(doc: MappingDoc, ref: FieldRef) {
  const b = binding(doc, ref);
  if (b?.steps && b.steps.length === 0) {
    delete b.steps;
  }
}

export function addStep(text: string, ref: FieldRef, step: StepDoc, at?: number): string {
  return edit(text, (doc) => {
    const list = steps(doc, ref);
    list.splice(at ?? list.length, 0, step);
  });
}

export function replaceStep(text: string, ref: FieldRef, at: number, step: StepDoc): string {
  return edit(text, (doc) => {
    const list = steps(doc, ref);
    if (at < 0 || at >= list.length) {
      throw new Error(`no step ${at + 1}`);
    }
    list[at] = step;
  });
}

export function removeStep(text: string, ref: FieldRef, at: number): string {
  return edit(text, (doc) => {
    steps(doc, ref).splice(at, 1);
    tidy(doc, ref);
  });
}

/** Moves step `from` by `by` places (−1 up, +1 down); out of range changes nothing. */
export function moveStep(text: string, ref: FieldRef, from: number, by: number): string {
  return edit(text, (doc) => {
    const list = steps(doc, ref);
    const to = from + by;
    if (to < 0 || to >= list.length || from < 0 || from >= list.length) {
      return;
    }
    const [step] = list.splice(from, 1);
    if (step !== undefined) {
      list.splice(to, 0, step);
    }
  });
}

/** Adds a custom field (outside the model) bound to `path`. */
export function addCustom(text: string, name: string, path: string): string {
  return edit(text, (doc) => {
    // The canvas checks the name as it is typed (custom-name.ts); this is the same rule
    // for any other caller.
    const check = checkCustomName(name, Object.keys(doc.custom ?? {}), []);
    if (check.kind !== "ok") {
      throw new Error(check.kind === "empty" ? "A custom field needs a name" : check.error);
    }
    doc.custom ??= {};
    doc.custom[check.name] = { path };
  });
}

/**
 * Adds source values that no value map covered to the field's first `map_values` step,
 * each mapped to `to` (the user then picks the right target per value).
 */
export function addToValueMap(text: string, ref: FieldRef, values: string[], to: JsonValue): string {
  return edit(text, (doc) => {
    const list = steps(doc, ref);
    const at = list.findIndex((s) => stepName(s) === "map_values");
    if (at < 0) {
      throw new Error(`\`${fieldLabel(ref)}\` has no map_values step`);
    }
    const step = list[at] as { fn: string; map?: JsonValue };
    const map = (
      typeof step.map === "object" && step.map !== null && !Array.isArray(step.map) ? step.map : {}
    ) as Record<string, JsonValue>;
    for (const value of values) {
      if (!(value in map)) {
        map[value] = to;
      }
    }
    step.map = map;
  });
}
