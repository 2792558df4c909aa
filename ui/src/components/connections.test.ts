import { describe, expect, it } from "vitest";
import { connectionRow, formProblems, secretProblem } from "./ConnectionsDialog";

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

describe("a connection's row offers what can work for where its records come from", () => {
  it("a direct connection is tested and pulled, and says when its secret is missing", () => {
    expect(connectionRow({ server: null, serverRemoved: false, hasSecret: true })).toEqual({
      note: null,
      missingSecret: false,
      direct: true,
      pullThroughServer: false,
      secretAction: "Replace secret…",
    });
    expect(connectionRow({ server: null, serverRemoved: false, hasSecret: false })).toMatchObject({
      missingSecret: true,
      secretAction: "Set secret…",
    });
  });
  it("a server's cache offers no secret to set (the server holds its credentials)", () => {
    expect(connectionRow({ server: "demo", serverRemoved: false, hasSecret: false }).secretAction).toBeNull();
    expect(connectionRow({ server: "demo", serverRemoved: true, hasSecret: false }).secretAction).toBeNull();
  });
  it("the set-secret form asks for a secret before sending it", () => {
    expect(secretProblem("")).toBe("Enter the API client secret.");
    expect(secretProblem(" \n")).toBe("Enter the API client secret.");
    expect(secretProblem("s3cret")).toBeNull();
  });
  it("a server's cache is pulled through the server, never directly", () => {
    const row = connectionRow({ server: "demo", serverRemoved: false, hasSecret: false });
    expect(row).toMatchObject({ missingSecret: false, direct: false, pullThroughServer: true });
    expect(row.note).toContain("A connection of server demo");
  });
  it("the cache of a removed server says so and offers neither Test nor a pull", () => {
    const row = connectionRow({ server: "demo", serverRemoved: true, hasSecret: false });
    expect(row).toMatchObject({ missingSecret: false, direct: false, pullThroughServer: false });
    expect(row.note).toMatch(/^Pulled through server demo \(removed\)/);
    expect(row.note).not.toContain("keyring");
  });
});
