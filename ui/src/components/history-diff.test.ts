import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import type { MappingDiff } from "../bindings";
import { versionName } from "../version-name";
import { HistoryDiff } from "./HistoryDialog";

const render = (diff: MappingDiff) => renderToStaticMarkup(createElement(HistoryDiff, { diff }));
const heads = (html: string) => [...html.matchAll(/<th scope="col">([^<]*)<\/th>/g)].map((m) => m[1]);
const changed = [{ change: "changed", at: "fields.title", before: { path: "$.A" }, after: { path: "$.B" } }];

describe("History names the versions it compares, not Before and After", () => {
  it("names saved versions as its list does, and version 0 as the bundled default", () => {
    expect(versionName(3)).toBe("v3");
    expect(versionName(12)).toBe("v12");
    expect(versionName(0)).toBe("bundled default");
  });

  it("heads the columns with the two versions, older first as picked", () => {
    const html = render({ from: 2, to: 3, changes: changed });
    expect(heads(html)).toEqual(["Change", "Field", "v2", "v3"]);
    expect(html).toContain('<figcaption>v2</figcaption><pre aria-label="v2" tabindex="0">');
    expect(html).toContain('<figcaption>v3</figcaption><pre aria-label="v3" tabindex="0">');
    expect(html).not.toMatch(/>\s*(Before|After)\s*</);
  });

  it("names the bundled default, on either side", () => {
    expect(heads(render({ from: 0, to: 4, changes: changed }))).toEqual(["Change", "Field", "bundled default", "v4"]);
    expect(heads(render({ from: 5, to: 0, changes: changed }))).toEqual(["Change", "Field", "v5", "bundled default"]);
  });

  it("keeps the testids the journey reads", () => {
    const html = render({ from: 1, to: 2, changes: changed });
    expect(html).toContain('data-testid="diff"');
    expect(html).toContain('data-testid="diff-row" data-at="fields.title.path"');
  });
});
