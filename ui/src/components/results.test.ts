import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import type { Preview } from "../bindings";
import { PreviewPanel } from "./Results";

const preview = (taken: boolean): Preview => ({
  problems: [],
  recordId: "4711",
  taken,
  output: taken ? { key: "4711" } : null,
  fields: [],
  micros: 120,
});

const render = (p: Preview) =>
  renderToStaticMarkup(createElement(PreviewPanel, { preview: p, stale: null, ms: 3, count: 1 }));

describe("the preview of a record the mapping's filter skips", () => {
  it("says why it is empty", () => {
    const html = render(preview(false));
    expect(html).toContain('data-testid="preview-skipped"');
    expect(html).toContain("Record #4711 is skipped: the mapping&#x27;s source filter does not take it.");
  });
  it("says nothing of the kind for a record the filter takes", () => {
    const html = render(preview(true));
    expect(html).not.toContain("preview-skipped");
    expect(html).toContain("&quot;key&quot;: &quot;4711&quot;");
  });
  it("lets the load errors speak instead when the mapping does not load", () => {
    const broken: Preview = {
      ...preview(false),
      problems: [
        {
          severity: "error",
          code: "invalid_json",
          message: "expected `,`",
          file: null,
          line: 3,
          column: 7,
          field: null,
          step: null,
        },
      ],
    };
    const html = render(broken);
    expect(html).not.toContain("preview-skipped");
    expect(html).toContain("line 3");
  });
});
