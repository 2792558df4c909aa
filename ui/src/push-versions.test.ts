import { describe, expect, it } from "vitest";
import type { ServerVersionInfo } from "./bindings";
import { isActiveVersion, skippedText, versionLabel, versionsBehind } from "./push-versions";

const version = (v: Partial<ServerVersionInfo>): ServerVersionInfo => ({
  version: 0,
  createdAt: "2026-11-30T07:47:43Z",
  keyName: null,
  note: null,
  rolledBackTo: null,
  ...v,
});

describe("versionLabel", () => {
  it("does not repeat the bundled default as its note", () => {
    expect(versionLabel(version({ note: "bundled default" }))).toBe("bundled default");
  });
  it("says a rollback once", () => {
    const v = version({ version: 2, keyName: "demo key", note: "rollback to version 0", rolledBackTo: 0 });
    expect(versionLabel(v)).toBe("demo key · rollback to 0");
  });
  it("keeps a note of the user's own", () => {
    expect(versionLabel(version({ version: 1, keyName: "demo key", note: "adds e2ePushed" }))).toBe(
      "demo key · adds e2ePushed",
    );
  });
});

describe("isActiveVersion", () => {
  it("is the newest version, whatever the order", () => {
    const all = [version({ version: 2 }), version({ version: 0 }), version({ version: 1 })];
    expect(all.filter((v) => isActiveVersion(v, all)).map((v) => v.version)).toEqual([2]);
  });
});

describe("skippedText", () => {
  it("says how many records the filter skips, and how many the active version skipped", () => {
    expect(skippedText(312, 0)).toBe(
      "312 of them skipped by this mapping's source filter (0 by the active version): not served, and not counted in the impact.",
    );
    expect(skippedText(5, 5)).toBe(
      "5 of them skipped by this mapping's source filter (as by the active version): not served, and not counted in the impact.",
    );
  });
});

describe("versionsBehind", () => {
  const listed = [version({ version: 0 }), version({ version: 1 }), version({ version: 2 })];
  it("is stale when a preview was made against a version pushed after the list was read", () => {
    // The conflict path: the list was read at version 2, someone pushed version 3.
    expect(versionsBehind(listed, 3)).toBe(true);
  });
  it("is current when the list has that version", () => {
    expect(versionsBehind(listed, 2)).toBe(false);
    expect(versionsBehind(listed, 0)).toBe(false);
  });
  it("a list not read yet is not stale", () => {
    expect(versionsBehind([], 3)).toBe(false);
  });
});
