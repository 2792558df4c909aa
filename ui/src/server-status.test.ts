import { describe, expect, it } from "vitest";
import { connectionAction, lastSyncWords, previewOffer, serversToList, statusWords } from "./server-status";

describe("statusWords", () => {
  it("says a status in words", () => {
    expect(statusWords("reauthorization_required")).toBe("reauthorization required");
    expect(statusWords("ok")).toBe("ok");
  });
});

describe("connectionAction", () => {
  // What `unifield serve` advises for such a connection: right for an API client, not for the studio.
  const serverAdvice =
    "Corrigo refused the connection's credentials: send current ones with PUT /api/connections/con_1/credentials; syncing resumes once they work";

  it("points a connection that needs reauthorization at the Reconnect form, not the HTTP API", () => {
    const action = connectionAction({ status: "reauthorization_required", action: serverAdvice });
    expect(action).toContain("Reconnect");
    expect(action).toContain("region or base URL");
    expect(action).not.toContain("/api/");
  });

  it("keeps the server's advice for the other states", () => {
    expect(connectionAction({ status: "error", action: "check the base URL" })).toBe("check the base URL");
    expect(connectionAction({ status: "ok", action: null })).toBeNull();
  });
});

describe("serversToList", () => {
  it("lists every server's connections once, as soon as the server is listed", () => {
    const servers = [{ name: "demo" }, { name: "prod" }];
    expect(serversToList(servers, new Set())).toEqual(["demo", "prod"]);
    expect(serversToList(servers, new Set(["demo"]))).toEqual(["prod"]);
    expect(serversToList(servers, new Set(["demo", "prod"]))).toEqual([]);
  });
});

describe("previewOffer", () => {
  it("offers Reconnect, not a preview, for a connection needing reauthorization whose records the server lacks", () => {
    const offer = previewOffer({ status: "reauthorization_required", recordsHeld: false });
    expect(offer.preview).toBe(false);
    expect(offer.why).toContain("Reconnect");
    expect(offer.why).toContain("none of this connection's records");
  });
  it("offers a preview of the records the server holds, even while it needs reauthorization", () => {
    expect(previewOffer({ status: "reauthorization_required", recordsHeld: true })).toEqual({
      preview: true,
      why: null,
    });
    expect(previewOffer({ status: "ok", recordsHeld: null })).toEqual({ preview: true, why: null });
  });
});

describe("lastSyncWords", () => {
  it("keeps the sync's status, moment and count apart", () => {
    expect(lastSyncWords({ status: "completed", records: 1339 }, "05:41 PM (just now)")).toBe(
      "last sync completed 05:41 PM (just now) · 1,339 records",
    );
    expect(lastSyncWords({ status: "failed", records: 1 }, "05:41 PM (2 min ago)")).toBe(
      "last sync failed 05:41 PM (2 min ago) · 1 record",
    );
  });
});
