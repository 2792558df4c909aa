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

const render = (props: Parameters<typeof DiffView>[0]) => renderToStaticMarkup(createElement(DiffView, props));

describe("a diff is one table with a header saying which side is which", () => {
  const html = render({
    changes: [
      { change: "changed", at: "fields.description", before: { path: "$.A" }, after: { path: "$.B" } },
      { change: "removed", at: "custom.fromElsewhere", before: { const: "x" }, after: null },
      { change: "added", at: "custom.e2ePushed", before: null, after: { path: "$.WorkOrderCost" } },
    ],
    testId: "push-changes",
    beforeLabel: "Version 3 (active)",
    afterLabel: "This push",
  });

  it("has one table (columns line up across changes), a row group per change", () => {
    expect(html.match(/<table/g)).toHaveLength(1);
    expect(html.match(/<tbody/g)).toHaveLength(3);
    expect(html).toContain('<tbody class="diff-change" aria-label="removed: custom.fromElsewhere">');
  });

  it("heads the columns change, field, before and after (with the labels given)", () => {
    const heads = [...html.matchAll(/<th scope="col">([^<]*)<\/th>/g)].map((m) => m[1]);
    expect(heads).toEqual(["Change", "Field", "Version 3 (active)", "This push"]);
  });

  it("puts a removed value under before and an added one under after; a missing side is a dash read as none", () => {
    const row = (at: string) => {
      const m = html.match(new RegExp(`<tr class="[a-z]+" data-testid="diff-row" data-at="${at}">([\\s\\S]*?)</tr>`));
      return m?.[1] ?? "";
    };
    const absent =
      '<td class="diff-value diff-absent"><span aria-hidden="true">—</span><span class="diff-absent-label">none</span></td>';
    const removed = row("custom.fromElsewhere");
    expect(removed).toContain(
      '<code title="{\n  &quot;const&quot;: &quot;x&quot;\n}">{&quot;const&quot;:&quot;x&quot;}</code></td>' + absent,
    );
    const added = row("custom.e2ePushed");
    expect(added).toContain(`</code></td>${absent}<td class="diff-value"><code`);
    expect(html).not.toMatch(/<code[^>]*><\/code>/); // no empty chip
  });

  it("keeps the full before and after of a changed field in the same table, under the same labels, shown", () => {
    expect(html).toContain('<tr class="diff-full-row"><td colSpan="4"><details class="diff-full">');
    expect(html).toContain(
      '<figure class="diff-side"><figcaption>Version 3 (active)</figcaption><pre aria-label="Version 3 (active)" tabindex="0">',
    );
    expect(html).toContain(
      '<figure class="diff-side"><figcaption>This push</figcaption><pre aria-label="This push" tabindex="0">',
    );
  });

  it("says only the names it is given: no bare Before or After", () => {
    expect(html).not.toMatch(/>\s*(Before|After)\s*</);
    const plain = render({
      changes: [{ change: "added", at: "x", before: null, after: 1 }],
      beforeLabel: "v1",
      afterLabel: "v2",
    });
    expect(plain).toContain('<th scope="col">v1</th><th scope="col">v2</th>');
    expect(plain).toContain('data-testid="diff"');
  });
});

describe("a diff's kind and path cells keep their words whole (960x600: no 'cha/nge/d')", () => {
  const html = render({
    changes: [{ change: "changed", at: "fields.description", before: { path: "$.A" }, after: { path: "$.B" } }],
    beforeLabel: "v1",
    afterLabel: "v2",
  });

  it("marks the kind and path cells; a path may break only between its parts", () => {
    expect(html).toContain('<td class="diff-kind">changed</td>');
    expect(html).toContain(
      '<td class="diff-path"><code title="fields.description.path">fields.<wbr/>description.<wbr/>path</code></td>',
    );
  });

  it("never wraps the kind, breaks a path inside a name only as a last resort, wraps values anywhere", () => {
    const kind = ruleFor(".diff-view td.diff-kind");
    expect(kind).toMatch(/white-space:\s*nowrap/);
    expect(kind).toMatch(/overflow-wrap:\s*normal/);
    expect(ruleFor(".diff-view td.diff-path")).toMatch(/overflow-wrap:\s*break-word/);
    expect(ruleFor(".diff-view td")).toMatch(/overflow-wrap:\s*anywhere/);
    expect(ruleFor(".diff-view table")).toMatch(/table-layout:\s*fixed/);
  });

  it("lets a full side's long line scroll inside its half (a figure in the grid may shrink)", () => {
    expect(ruleFor(".diff-side")).toMatch(/min-width:\s*0/);
    expect(ruleFor(".diff-sides pre")).toMatch(/overflow:\s*auto/);
  });
});
