import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import type { ProblemInfo } from "../bindings";
import { ImportProblemsDialog } from "./ImportProblemsDialog";

const problem = (over: Partial<ProblemInfo>): ProblemInfo => ({
  severity: "error",
  code: "invalid_path",
  message: "invalid JSONPath `$.Foo[` at position 6: unclosed bracket",
  file: "/tmp/w/two.json",
  line: 22,
  column: null,
  field: "code",
  step: null,
  ...over,
});

describe("the import's problems read as sentences with their codes apart", () => {
  const found = {
    file: "/tmp/w/two.json",
    errors: 1,
    problems: [
      problem({}),
      problem({
        severity: "warning",
        code: "unused_source",
        message: "source `x` is never read [unused_source]",
        line: 30,
        field: "",
      }),
    ],
  };
  const html = renderToStaticMarkup(createElement(ImportProblemsDialog, { found, onClose: () => {} }));
  const cells = [...html.matchAll(/<tr data-severity="[a-z]+" data-testid="import-problem">(.*?)<\/tr>/g)].map(
    (m) => m[1],
  );

  it("lists each problem with a capital first letter and the code muted, in a title", () => {
    expect(cells).toHaveLength(2);
    expect(cells[0]).toContain(
      '<td>Invalid JSONPath `$.Foo[` at position 6: unclosed bracket <span class="problem-code" title="Error code: invalid_path">invalid_path</span></td>',
    );
  });
  it("keeps a warning's label, and shows a code the message ends with once, apart", () => {
    expect(cells[1]).toContain(
      '<strong>Warning: </strong>Source `x` is never read <span class="problem-code" title="Error code: unused_source">unused_source</span>',
    );
  });
  it("has no [code] left in the text", () => {
    expect(html).not.toMatch(/\[[a-z_]+\]/);
  });
});
