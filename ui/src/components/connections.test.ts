import { describe, expect, it } from "vitest";
import { formProblems } from "./ConnectionsDialog";

const form = { name: "", company: "", region: "am", baseUrl: "", clientId: "", secret: "", custom: false };

describe("the connection form says every problem at once, by field", () => {
  it("an empty form names each required field", () => {
    expect(Object.keys(formProblems(form)).sort()).toEqual(["clientId", "company", "name", "secret"]);
    expect(Object.keys(formProblems({ ...form, custom: true }))).toContain("baseUrl");
  });
  it("a complete form has none", () => {
    const full = { ...form, name: "sb", company: "Acme", clientId: "id", secret: "s" };
    expect(formProblems(full)).toEqual({});
    expect(formProblems({ ...full, custom: true, baseUrl: " " })).toEqual({ baseUrl: "Enter the API base URL." });
  });
});
