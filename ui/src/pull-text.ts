// What a pull did, in words, apart from the components so that it is testable without a
// window: the pull through a server just made (Connections, Servers) and a connection's last
// pull (each entity's last run, in the order the pull ran them).

import type { PullInfo, PullReport } from "./bindings";

const count = (n: number) => n.toLocaleString("en");

/** `WorkOrder 1,000 · Location 12`, then what failed or stopped, with why. */
function perEntity(runs: readonly { entity: string; status: string; records: number; error: string | null }[]) {
  const done = runs.filter((r) => r.status === "completed");
  const other = runs.filter((r) => r.status !== "completed");
  const parts = [done.map((r) => `${r.entity} ${count(r.records)}`).join(" · ")].filter((p) => p !== "");
  for (const r of other) {
    if (r.status === "cancelled") {
      parts.push(`${r.entity} ${count(r.records)} so far`);
      continue;
    }
    parts.push(
      `${r.entity} ${r.status.replaceAll("_", " ")} after ${count(r.records)} records${r.error ? ` (${r.error})` : ""}`,
    );
  }
  return parts.join("; ");
}

/** What a pull through `server` brought, per entity: "Pulled through demo: WorkOrder 1,000 · Product 3." */
export function pulledThroughText(server: string, report: PullReport): string {
  if (report.entities.length === 0) {
    return report.cancelled
      ? `Cancelled before anything was pulled through ${server}.`
      : `Nothing to pull through ${server}.`;
  }
  const what = perEntity(report.entities);
  return report.cancelled
    ? `Cancelled: ${what}, pulled through ${server} (kept; the next pull resumes).`
    : `Pulled through ${server}: ${what}.`;
}

/** A connection's last pull, every entity it ran (not only the last one, which named `Product` after a work-order pull). */
export function lastPullText(runs: readonly PullInfo[]): string | null {
  return runs.length === 0 ? null : `last pull: ${perEntity(runs)}`;
}

/** What a connection has cached, its counts written as the last pull's are: `cached: WorkOrder 10,000, Location 12`. */
export function cachedText(counts: readonly { entity: string; records: number }[]): string {
  return `cached: ${counts.map((n) => `${n.entity} ${count(n.records)}`).join(", ")}`;
}
