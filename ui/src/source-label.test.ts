import { describe, expect, it } from "vitest";
import type { RecordSourceInfo } from "./bindings";
import { sourceKey, sourceLabel, unlisted } from "./source-label";

const sources: RecordSourceInfo[] = [
  { source: { kind: "samples" }, label: "Bundled samples (offline)", counts: [] },
  {
    source: { kind: "connection", name: "acme-production-east" },
    label: "acme-production-east (Acme Facilities Production, East Region)",
    counts: [],
  },
];

describe("sourceLabel", () => {
  it("is the listed label of the chosen source, whole however long", () => {
    expect(sourceLabel(sources, { kind: "samples" })).toBe("Bundled samples (offline)");
    expect(sourceLabel(sources, { kind: "connection", name: "acme-production-east" })).toBe(
      "acme-production-east (Acme Facilities Production, East Region)",
    );
  });

  it("names a source the list does not hold (chosen through a server) by its kind and name", () => {
    expect(sourceLabel(sources, { kind: "connection", name: "demo/Sandbox" })).toBe("Connection demo/Sandbox");
    expect(sourceLabel([], { kind: "samples" })).toBe("Bundled samples");
  });
});

describe("unlisted", () => {
  it("tells a source missing from the list from a listed one", () => {
    expect(unlisted(sources, { kind: "connection", name: "demo/Sandbox" })).toBe(true);
    expect(unlisted(sources, { kind: "connection", name: "acme-production-east" })).toBe(false);
    expect(unlisted(sources, { kind: "samples" })).toBe(false);
  });
});

describe("sourceKey", () => {
  it("is empty for the samples and the name for a connection", () => {
    expect(sourceKey({ kind: "samples" })).toBe("");
    expect(sourceKey({ kind: "connection", name: "x" })).toBe("x");
  });
});
