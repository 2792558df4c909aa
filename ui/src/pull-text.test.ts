import { describe, expect, it } from "vitest";
import type { PullEntityReport, PullInfo } from "./bindings";
import { cachedText, lastPullText, pulledThroughText } from "./pull-text";

const entity = (
  name: string,
  records: number,
  status = "completed",
  error: string | null = null,
): PullEntityReport => ({
  entity: name,
  status,
  records,
  inserted: records,
  updated: 0,
  unchanged: 0,
  error,
});

describe("a pull through a server says how many records of each entity it brought", () => {
  it("names every entity with its count", () => {
    const report = {
      cancelled: false,
      entities: [entity("WorkOrder", 1000), entity("Location", 12), entity("Product", 3)],
    };
    expect(pulledThroughText("demo", report)).toBe("Pulled through demo: WorkOrder 1,000 · Location 12 · Product 3.");
  });
  it("says which entity failed and why, beside what came", () => {
    const report = {
      cancelled: false,
      entities: [entity("WorkOrder", 1000), entity("Product", 0, "reauthorization_required", "Corrigo refused")],
    };
    expect(pulledThroughText("demo", report)).toBe(
      "Pulled through demo: WorkOrder 1,000; Product reauthorization required after 0 records (Corrigo refused).",
    );
  });
  it("says a cancelled pull kept what it had", () => {
    const report = { cancelled: true, entities: [entity("WorkOrder", 400, "cancelled")] };
    expect(pulledThroughText("demo", report)).toBe(
      "Cancelled: WorkOrder 400 so far, pulled through demo (kept; the next pull resumes).",
    );
  });
});

describe("a connection's last pull is the whole pull, not its last entity", () => {
  const run = (e: string, records: number, status = "completed", error: string | null = null): PullInfo => ({
    entity: e,
    status,
    records,
    error,
    startedAt: "2026-11-30T12:00:00Z",
  });
  it("names the work orders first, as the pull ran them", () => {
    expect(lastPullText([run("WorkOrder", 1000), run("Location", 4), run("Product", 3)])).toBe(
      "last pull: WorkOrder 1,000 · Location 4 · Product 3",
    );
  });
  it("says what failed", () => {
    expect(lastPullText([run("WorkOrder", 20), run("Product", 0, "failed", "timed out")])).toBe(
      "last pull: WorkOrder 20; Product failed after 0 records (timed out)",
    );
  });
  it("says nothing before the first pull", () => {
    expect(lastPullText([])).toBeNull();
  });
});

describe("what a connection has cached is counted as its last pull is", () => {
  it("groups thousands the same way (review: `WorkOrder 10000` beside `WorkOrder 10,000`)", () => {
    expect(
      cachedText([
        { entity: "WorkOrder", records: 10000 },
        { entity: "Location", records: 12 },
      ]),
    ).toBe("cached: WorkOrder 10,000, Location 12");
    const run: PullInfo = {
      entity: "WorkOrder",
      status: "completed",
      records: 10000,
      error: null,
      startedAt: "2026-11-30T12:00:00Z",
    };
    expect(lastPullText([run])).toBe("last pull: WorkOrder 10,000");
  });
});
