import { readFileSync } from "node:fs";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { DiffView } from "./DiffView";

const STYLES = readFileSync(new URL("../styles.css", import.meta.url), "utf8");

/** The declarations of the rule whose selector list names `selector`, or null. */
function ruleFor(selector: string): string | null {
  for (const [, list = "", body = ""] of STYLES.matchAll(/([^{}]+)\{([^}]*)\}/g)) {
    const selectors = list
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .split(",")
      .map((s) => s.trim());
    if (selectors.includes(selector)) {
      return body;
    }
  }
  return null;
}

describe("a diff's kind and path cells keep their words whole (960x600: no 'cha/nge/d')", () => {
  const html = renderToStaticMarkup(
    createElement(DiffView, {
      changes: [{ change: "changed", at: "fields.description", before: { path: "$.A" }, after: { path: "$.B" } }],
    }),
  );

  it("marks the kind and path cells", () => {
    expect(html).toContain('<td class="diff-kind">changed</td>');
    expect(html).toContain('<td class="diff-path"><code>fields.description.path</code></td>');
  });

  it("does not wrap them, while the value cells may wrap anywhere", () => {
    for (const cell of [".diff-view td.diff-kind", ".diff-view td.diff-path"]) {
      const rule = ruleFor(cell);
      expect(rule, cell).not.toBeNull();
      expect(rule).toMatch(/white-space:\s*nowrap/);
      expect(rule).toMatch(/overflow-wrap:\s*normal/);
    }
    expect(ruleFor(".diff-view td")).toMatch(/overflow-wrap:\s*anywhere/);
  });
});
