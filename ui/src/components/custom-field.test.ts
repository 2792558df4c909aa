import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { checkCustomName } from "../custom-name";
import { AddCustomField } from "./MappingCanvas";

const noop = () => undefined;
const render = (name: string, existing: string[] = [], canAdd = true) =>
  renderToStaticMarkup(
    createElement(AddCustomField, {
      name,
      check: checkCustomName(name, existing, ["key", "status"]),
      canAdd,
      onName: noop,
      onAdd: noop,
    }),
  );

const input = (html: string) => /<input[^>]*>/.exec(html)?.[0] ?? "";
const button = (html: string) => /<button[^>]*>/.exec(html)?.[0] ?? "";
const note = (html: string) => /<p [^>]*id="custom-name-note"[^>]*>(.*?)<\/p>/.exec(html);

describe("the new custom field's name, checked as it is typed", () => {
  it("a refused name: the reason under the box, tied to it, and Add off", () => {
    const html = render("1st_visit");
    expect(input(html)).toContain('aria-invalid="true"');
    expect(input(html)).toContain('aria-describedby="custom-name-note"');
    expect(button(html)).toContain("disabled");
    expect(note(html)?.[0]).toContain("error-text");
    expect(note(html)?.[0]).toContain('aria-live="polite"');
    expect(note(html)?.[1]).toBe("A custom field name cannot start with a digit");
  });

  it("a name the mapping has already is refused the same way", () => {
    const html = render("timeZone", ["timeZone"]);
    expect(input(html)).toContain('aria-invalid="true"');
    expect(button(html)).toContain("disabled");
    expect(note(html)?.[1]).toBe("There is a custom field named timeZone already");
  });

  it("an empty box: nothing said, Add off, the note there but empty", () => {
    const html = render("");
    expect(input(html)).toContain('aria-invalid="false"');
    expect(input(html)).not.toContain("aria-describedby");
    expect(button(html)).toContain("disabled");
    expect(note(html)?.[1]).toBe("");
  });

  it("a good name: Add on, nothing said", () => {
    const html = render("timeZone");
    expect(input(html)).toContain('aria-invalid="false"');
    expect(input(html)).not.toContain("aria-describedby");
    expect(button(html)).not.toContain("disabled");
    expect(note(html)?.[1]).toBe("");
  });

  it("a model field's name: Add on, the engine's warning said under the box", () => {
    const html = render("status");
    expect(input(html)).toContain('aria-invalid="false"');
    expect(input(html)).toContain('aria-describedby="custom-name-note"');
    expect(button(html)).not.toContain("disabled");
    expect(note(html)?.[0]).toContain("warning");
    expect(note(html)?.[1]).toMatch(/^status is a model field already/);
  });

  it("no mapping document to add to: Add off even for a good name", () => {
    expect(button(render("timeZone", [], false))).toContain("disabled");
  });
});
