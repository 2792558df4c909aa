import { createElement, createRef } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import type { ExplainInfo, Preview, ProblemInfo } from "../bindings";
import type { MappingDoc } from "../mapping";
import { CodedMessage } from "./CodedMessage";
import { FieldEditor } from "./FieldEditor";
import { PreviewPanel } from "./Results";

const render = (message: string, code: string | null) =>
  renderToStaticMarkup(createElement(CodedMessage, { message, code }));

describe("a failure's sentence with its code apart", () => {
  it("starts with a capital and has its code after it, muted and in a title", () => {
    expect(render("the path `$.Foo[` does not parse", "invalid_path")).toBe(
      'The path `$.Foo[` does not parse <span class="problem-code" title="Error code: invalid_path">invalid_path</span>',
    );
  });
  it("takes a trailing [code] out of the sentence (once, if it is also given)", () => {
    expect(render("no secret in the keyring [missing_secret]", "missing_secret")).toBe(
      'No secret in the keyring <span class="problem-code" title="Error code: missing_secret">missing_secret</span>',
    );
  });
  it("keeps a name the sentence starts with as written, and shows no code when there is none", () => {
    expect(render("fields.title step 2: expected a string", null)).toBe("fields.title step 2: expected a string");
  });
});

describe("the preview's problems and field errors read as sentences", () => {
  const preview: Preview = {
    problems: [
      {
        severity: "error",
        code: "invalid_path",
        message: "the path does not parse",
        file: null,
        line: null,
        column: null,
        field: "status",
        step: null,
      },
    ],
    recordId: "1",
    taken: true,
    output: null,
    fields: [
      { field: "title", outcome: "error", value: null, error: "expected a string, got 7", code: "wrong_type", step: 1 },
    ],
    micros: 10,
  };
  const html = renderToStaticMarkup(createElement(PreviewPanel, { preview, stale: null, ms: null, count: 1 }));
  it("has no [code] in the text", () => {
    expect(html).not.toMatch(/\[[a-z_]+\]/);
  });
  it("says each with a capital, its code apart", () => {
    expect(html).toContain(
      '<strong>status</strong>: The path does not parse <span class="problem-code" title="Error code: invalid_path">invalid_path</span>',
    );
    expect(html).toContain(
      'title (step 1): Expected a string, got 7 <span class="problem-code" title="Error code: wrong_type">wrong_type</span>',
    );
  });
});

describe("the field editor's problems and explain read as sentences", () => {
  const text = JSON.stringify({
    format: "unifield.mapping/v1",
    name: "t",
    source: { system: "corrigo", entity: "WorkOrder" },
    target: { model: "unified", version: "1", entity: "WorkOrder" },
    fields: { title: { path: "$.Foo[", steps: ["trim"] } },
  });
  const problem = (step: number | null, code: string, message: string): ProblemInfo => ({
    severity: "error",
    code,
    message,
    file: null,
    line: null,
    column: null,
    field: "title",
    step,
  });
  const explain: ExplainInfo = {
    field: "title",
    recordId: "1",
    paths: [],
    start: 7,
    steps: [
      {
        step: 1,
        function: "trim",
        skipped: false,
        input: 7,
        output: null,
        error: "expected a string, got 7",
        code: "wrong_type",
      },
    ],
    result: null,
    error: "the field failed at step 1",
    filteredOut: false,
  };
  const html = renderToStaticMarkup(
    createElement(FieldEditor, {
      label: "title",
      field: null,
      doc: JSON.parse(text) as MappingDoc,
      text,
      transforms: [{ name: "trim", doc: "Trims.", accepts: "string", example: '"trim"', params: [] }],
      problems: [
        problem(null, "invalid_path", "the path `$.Foo[` does not parse"),
        problem(1, "wrong_arg", "trim takes no arguments"),
      ],
      explain,
      onEdit: () => undefined,
      addStepRef: createRef<HTMLSelectElement>(),
    }),
  );
  it("has no [code] in the text", () => {
    expect(html).not.toMatch(/\[[a-z_]+\]/);
  });
  it("the path's and the step's problems, and the explained step's error, each with a capital and its code apart", () => {
    expect(html).toContain(
      'data-testid="path-problem">The path `$.Foo[` does not parse <span class="problem-code" title="Error code: invalid_path">invalid_path</span></p>',
    );
    expect(html).toContain(
      'Trim takes no arguments <span class="problem-code" title="Error code: wrong_arg">wrong_arg</span>',
    );
    expect(html).toContain(
      'Expected a string, got 7 <span class="problem-code" title="Error code: wrong_type">wrong_type</span>',
    );
    expect(html).toContain('<p class="error-text">The field failed at step 1</p>');
  });
});
