import { describe, expect, it } from "vitest";
import { cacheName, connectionForCache, sourceAfterRemoval, switchedBackText } from "./server-source";

describe("sourceAfterRemoval", () => {
  it("goes back to the bundled samples when the removed server's records were the source", () => {
    expect(sourceAfterRemoval({ kind: "connection", name: "demo/Sandbox" }, "demo")).toEqual({ kind: "samples" });
  });
  it("keeps another server's records, a direct connection and the samples", () => {
    expect(sourceAfterRemoval({ kind: "connection", name: "demo2/Sandbox" }, "demo")).toBeNull();
    expect(sourceAfterRemoval({ kind: "connection", name: "acme" }, "demo")).toBeNull();
    expect(sourceAfterRemoval({ kind: "connection", name: "demo" }, "demo")).toBeNull();
    expect(sourceAfterRemoval({ kind: "samples" }, "demo")).toBeNull();
  });
});

describe("switchedBackText", () => {
  it("names what was the source and where the records went", () => {
    expect(switchedBackText("demo", "demo/Sandbox")).toBe(
      "The preview source was demo/Sandbox, pulled through demo: it is the bundled samples again (the cached records stay under Connections).",
    );
  });
});

describe("cacheName and connectionForCache", () => {
  it("name the cache as the service does: server/connection, control characters out, 40 characters", () => {
    expect(cacheName("demo", "Sandbox")).toBe("demo/Sandbox");
    expect(cacheName("demo", "San\u0007dbox")).toBe("demo/Sandbox");
    expect(cacheName("demo", "x".repeat(50))).toBe(`demo/${"x".repeat(40)}`);
  });
  it("find the server connection a cache holds", () => {
    const list = [
      { name: "Revoked", id: "con_1" },
      { name: "Sandbox", id: "con_2" },
    ];
    expect(connectionForCache("demo/Sandbox", "demo", list)?.id).toBe("con_2");
    expect(connectionForCache("demo/Gone", "demo", list)).toBeNull();
    expect(connectionForCache("other/Sandbox", "demo", list)).toBeNull();
  });
});
