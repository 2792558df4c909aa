import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { leaveJsonArg, shownJsonArg, typeJsonArg, UNTOUCHED } from "../json-arg";
import { JsonArgField } from "./FieldEditor";

describe("a step argument typed as JSON", () => {
  it("keeps invalid JSON as typed, applies nothing, and says why", () => {
    const { state, apply } = typeJsonArg('{"7": "low"', "table");
    expect(apply).toBeNull();
    expect(state.error).toBe("not JSON (table)");
    expect(shownJsonArg(state, { "1": "high" })).toBe('{"7": "low"');
  });
  it("still shows what was typed after the box loses focus", () => {
    const typed = typeJsonArg("[1, 2,", "list").state;
    const left = leaveJsonArg(typed);
    expect(left).toEqual(typed);
    expect(shownJsonArg(left, [1])).toBe("[1, 2,");
  });
  it("applies valid JSON and, once left, shows it as the mapping holds it", () => {
    const { state, apply } = typeJsonArg('{ "7" : "low" }', "table");
    expect(apply).toEqual({ value: { "7": "low" } });
    expect(state.error).toBeNull();
    expect(shownJsonArg(leaveJsonArg(state), { "7": "low" })).toBe('{"7":"low"}');
  });
  it("clears the argument when the box is emptied", () => {
    expect(typeJsonArg("  ", "table").apply).toEqual({ value: undefined });
    expect(shownJsonArg(UNTOUCHED, undefined)).toBe("");
  });
  it("shows the error beside the box, tied to it for assistive technology", () => {
    const noop = () => undefined;
    const html = renderToStaticMarkup(
      createElement(JsonArgField, {
        id: "arg-map",
        shown: '{"7": "low"',
        error: "not JSON (table)",
        onType: noop,
        onLeave: noop,
      }),
    );
    expect(html).toContain('value="{&quot;7&quot;: &quot;low&quot;"');
    expect(html).toContain('aria-invalid="true"');
    expect(html).toContain('aria-describedby="arg-map-error"');
    // The error is the box's next sibling, inside the same argument.
    expect(html).toMatch(
      /<input[^>]*id="arg-map"[^>]*\/><span class="error-text" id="arg-map-error"[^>]*>not JSON \(table\): kept as typed, not applied<\/span><\/span>$/,
    );
    const fine = renderToStaticMarkup(
      createElement(JsonArgField, { id: "arg-map", shown: "{}", error: null, onType: noop, onLeave: noop }),
    );
    expect(fine).not.toContain("error-text");
    expect(fine).toContain('aria-invalid="false"');
  });
});
