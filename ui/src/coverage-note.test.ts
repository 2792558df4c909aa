import { describe, expect, it } from "vitest";
import { unpulledText } from "./coverage-note";

describe("what coverage says about fields the records were pulled without", () => {
  it("says nothing when nothing is missing", () => {
    expect(unpulledText({ unpulled: [], unpulledServer: null, unpulledServerRemoved: false })).toBeNull();
  });
  it("asks for a pull again after a direct pull", () => {
    const text = unpulledText({ unpulled: ["Items.*"], unpulledServer: null, unpulledServerRemoved: false });
    expect(text).toContain("pull again");
  });
  it("points at a push, then a pull through the server, for a server's records", () => {
    const text = unpulledText({ unpulled: ["Items.*"], unpulledServer: "demo", unpulledServerRemoved: false });
    expect(text).toContain("pull through it after that sync");
  });
  it("does not offer a pull through a server that was removed", () => {
    const text = unpulledText({ unpulled: ["Items.*"], unpulledServer: "demo", unpulledServerRemoved: true }) ?? "";
    expect(text).toContain("demo was removed");
    expect(text).not.toContain("pulling through it again");
    expect(text).not.toContain("pull through it after");
  });
});
