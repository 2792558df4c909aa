import { describe, expect, it } from "vitest";
import { bindNeeds } from "./bind-needs";

describe("the bind shortcut names only what is not selected", () => {
  it("a field but no source node", () => {
    const line = bindNeeds(null, "title");
    expect(line).toBe("Select a source node in the record tree to bind to title first");
    expect(line).not.toContain("target field");
  });
  it("a source node but no field", () => {
    const line = bindNeeds("$.Id", null);
    expect(line).toBe("Select a target field to bind $.Id to first");
    expect(line).not.toContain("source node");
  });
  it("neither", () => {
    expect(bindNeeds(null, null)).toBe("Select a source node in the record tree and a target field first");
  });
});
