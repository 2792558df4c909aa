// The selected target field: its binding path (live-validated), its transform steps as
// forms built from the registry (add, edit, reorder, remove), and explain for the
// selected record.

import { useState } from "react";
import type { ExplainInfo, JsonValue, ParamInfo, ProblemInfo, TargetField, TransformInfo } from "../bindings";
import { short } from "../format";
import {
  addStep,
  binding,
  bindPath,
  fieldRef,
  makeStep,
  moveStep,
  newStep,
  removeStep,
  replaceStep,
  stepArgs,
  stepName,
  unbind,
  type MappingDoc,
  type StepDoc,
} from "../mapping";
import { CodeEditor } from "./CodeEditor";
import { CodedMessage } from "./CodedMessage";
import { leaveJsonArg, shownJsonArg, typeJsonArg, UNTOUCHED } from "../json-arg";

interface Props {
  label: string;
  field: TargetField | null;
  doc: MappingDoc;
  text: string;
  transforms: TransformInfo[];
  problems: ProblemInfo[];
  explain: ExplainInfo | null;
  onEdit: (text: string, group?: string) => void;
  addStepRef: React.RefObject<HTMLSelectElement | null>;
}

function ArgInput({
  param,
  value,
  onChange,
}: {
  param: ParamInfo;
  value: JsonValue | undefined;
  onChange: (v: JsonValue | undefined) => void;
}) {
  const [typed, setTyped] = useState(UNTOUCHED);
  const id = `arg-${param.name}`;
  if (param.kind === "boolean") {
    return <input id={id} type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} />;
  }
  if (param.kind === "integer") {
    return (
      <input
        id={id}
        type="number"
        step={1}
        value={typeof value === "number" ? value : ""}
        onChange={(e) => onChange(e.target.value === "" ? undefined : Math.trunc(Number(e.target.value)))}
      />
    );
  }
  if (param.kind === "string" || param.kind === "JSONPath") {
    return (
      <input
        id={id}
        type="text"
        value={typeof value === "string" ? value : ""}
        placeholder={param.kind === "JSONPath" ? "$.Path" : ""}
        onChange={(e) => onChange(e.target.value === "" && !param.required ? undefined : e.target.value)}
      />
    );
  }
  // Lists, tables and free JSON: edited as JSON, committed only when it parses.
  return (
    <JsonArgField
      id={id}
      shown={shownJsonArg(typed, value)}
      error={typed.error}
      onType={(text) => {
        const { state, apply } = typeJsonArg(text, param.kind);
        setTyped(state);
        if (apply) {
          onChange(apply.value);
        }
      }}
      onLeave={() => setTyped(leaveJsonArg)}
    />
  );
}

/** The JSON argument's box: what the user typed, and beside it why it is not applied. */
export function JsonArgField(p: {
  id: string;
  shown: string;
  error: string | null;
  onType: (text: string) => void;
  onLeave: () => void;
}) {
  return (
    <span className="json-arg">
      <input
        id={p.id}
        type="text"
        className={p.error ? "invalid" : ""}
        value={p.shown}
        aria-invalid={p.error !== null}
        aria-describedby={p.error ? `${p.id}-error` : undefined}
        onChange={(e) => p.onType(e.target.value)}
        onBlur={p.onLeave}
      />
      {p.error && (
        <span className="error-text" id={`${p.id}-error`} data-testid="arg-error">
          {p.error}: kept as typed, not applied
        </span>
      )}
    </span>
  );
}

function StepForm({
  step,
  at,
  count,
  transform,
  problems,
  onChange,
  onMove,
  onRemove,
}: {
  step: StepDoc;
  at: number;
  count: number;
  transform: TransformInfo | undefined;
  problems: ProblemInfo[];
  onChange: (s: StepDoc) => void;
  onMove: (by: number) => void;
  onRemove: () => void;
}) {
  const name = stepName(step);
  const args = stepArgs(step);
  const mine = problems.filter((p) => p.step === at + 1);
  return (
    <li className="step" data-testid="step" data-fn={name}>
      <div className="step-head">
        <span className="step-no">{at + 1}</span>
        <strong>{name}</strong>
        <span className="grow" />
        <button type="button" aria-label={`Move step ${at + 1} up`} disabled={at === 0} onClick={() => onMove(-1)}>
          ↑
        </button>
        <button
          type="button"
          aria-label={`Move step ${at + 1} down`}
          disabled={at === count - 1}
          onClick={() => onMove(1)}
        >
          ↓
        </button>
        <button type="button" aria-label={`Remove step ${at + 1}`} onClick={onRemove}>
          ✕
        </button>
      </div>
      {transform && <p className="doc">{transform.doc}</p>}
      {transform?.params.map((param) => (
        <label key={param.name} className="arg" title={param.doc}>
          <span>
            {param.name}
            {param.required ? " *" : ""} <span className="muted">({param.kind})</span>
          </span>
          <ArgInput
            param={param}
            value={args[param.name]}
            onChange={(v) => {
              const next = { ...args };
              if (v === undefined) {
                Reflect.deleteProperty(next, param.name);
              } else {
                next[param.name] = v;
              }
              onChange(makeStep(name, next));
            }}
          />
        </label>
      ))}
      {!transform && <p className="error-text">Unknown function `{name}`.</p>}
      {mine.map((p, i) => (
        <p key={i} className="error-text">
          <CodedMessage message={p.message} code={p.code} />
        </p>
      ))}
    </li>
  );
}

export function FieldEditor({ label, field, doc, text, transforms, problems, explain, onEdit, addStepRef }: Props) {
  const ref = fieldRef(label);
  const b = binding(doc, ref);
  const steps = b?.steps ?? [];
  const mine = problems.filter((p) => p.field === label);
  const pathProblems = mine.filter((p) => p.step === null);
  const [adding, setAdding] = useState("");
  const chosen = transforms.find((t) => t.name === adding);
  return (
    <section className="panel editor" aria-label={`Binding of ${label}`} data-testid="field-editor">
      <header className="panel-head">
        <h2>{label}</h2>
        <span className="muted">{field?.type ?? "custom field"}</span>
        {b && (
          <button type="button" className="link" onClick={() => onEdit(unbind(text, ref))}>
            Unbind
          </button>
        )}
      </header>
      {field && <p className="doc">{field.description}</p>}
      {field && field.enumValues.length > 0 && (
        <p className="enum-values">
          {field.enumValues.map((v) => (
            <code key={v.name} title={v.description}>
              {v.name}
            </code>
          ))}
        </p>
      )}
      <label className="path-label" htmlFor="path-input">
        Source path (JSONPath)
      </label>
      <CodeEditor
        singleLine
        label={`Source path of ${label}`}
        testId="path-input"
        value={b?.path ?? ""}
        placeholder="$.Field — or drop a source node on the field"
        onChange={(path) => {
          if (path.trim() === "") {
            return;
          }
          onEdit(bindPath(text, ref, path), `path:${label}`);
        }}
      />
      {b?.paths && <p className="muted">First non-null of: {b.paths.join(", ")}</p>}
      {pathProblems.map((p, i) => (
        <p key={i} className="error-text" data-testid="path-problem">
          <CodedMessage message={p.message} code={p.code} />
        </p>
      ))}
      {b && (
        <>
          <h3>Steps</h3>
          <ol className="steps">
            {steps.map((step, at) => (
              <StepForm
                key={`${at}:${stepName(step)}`}
                step={step}
                at={at}
                count={steps.length}
                transform={transforms.find((t) => t.name === stepName(step))}
                problems={mine}
                onChange={(s) => onEdit(replaceStep(text, ref, at, s), `step:${label}:${at}`)}
                onMove={(by) => onEdit(moveStep(text, ref, at, by))}
                onRemove={() => {
                  onEdit(removeStep(text, ref, at));
                  // The removed step's button is gone: focus goes on to adding a step.
                  addStepRef.current?.focus();
                }}
              />
            ))}
          </ol>
          <div className="add-step">
            <select
              ref={addStepRef}
              aria-label="Transform to add"
              data-testid="add-step-select"
              value={adding}
              onChange={(e) => setAdding(e.target.value)}
            >
              <option value="">Add a step…</option>
              {transforms.map((t) => (
                <option key={t.name} value={t.name}>
                  {t.name}
                </option>
              ))}
            </select>
            <button
              type="button"
              data-testid="add-step"
              disabled={!chosen}
              onClick={() => {
                if (chosen) {
                  onEdit(addStep(text, ref, newStep(chosen)));
                  setAdding("");
                  // The Add button disables itself: focus stays with adding steps, not the page.
                  addStepRef.current?.focus();
                }
              }}
            >
              Add
            </button>
          </div>
          {chosen && (
            <p className="doc">
              <strong>{chosen.name}</strong>: {chosen.doc}{" "}
              <span className="muted">
                Accepts {chosen.accepts}. e.g. {chosen.example}
              </span>
            </p>
          )}
        </>
      )}
      {explain && explain.field === label && (
        <div className="explain" data-testid="explain">
          <h3>Explain · record #{explain.recordId}</h3>
          {explain.filteredOut && <p className="muted">The mapping's source filter skips this record.</p>}
          {explain.paths.map((p) => (
            <p key={p.path}>
              <code>{p.path}</code> →{" "}
              {p.matches.length === 0 ? (
                <span className="muted">no match</span>
              ) : (
                p.matches.map((m) => short(m.value)).join(", ")
              )}
            </p>
          ))}
          <table>
            <tbody>
              <tr>
                <td>start</td>
                <td colSpan={2}>
                  <code>{short(explain.start)}</code>
                </td>
              </tr>
              {explain.steps.map((s) => (
                <tr key={s.step} className={s.error ? "error" : ""}>
                  <td>
                    {s.step}. {s.function}
                  </td>
                  <td>
                    <code>{short(s.input ?? null)}</code>
                  </td>
                  <td>
                    {s.error ? (
                      <span className="error-text">
                        <CodedMessage message={s.error} code={s.code} />
                      </span>
                    ) : (
                      <code>{s.skipped ? "(null passes)" : short(s.output ?? null)}</code>
                    )}
                  </td>
                </tr>
              ))}
              <tr>
                <td>result</td>
                <td colSpan={2}>
                  <code>{short(explain.result)}</code>
                </td>
              </tr>
            </tbody>
          </table>
          {explain.error && (
            <p className="error-text">
              <CodedMessage message={explain.error} />
            </p>
          )}
        </div>
      )}
    </section>
  );
}
