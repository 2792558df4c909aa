// What the coverage panel says about fields the cached records were pulled without, apart
// from the component so that it is testable without a window: what to do depends on where
// the records came from (a direct pull, a server, a server removed since).

import type { CoverageReport } from "./bindings";

export function unpulledText(
  report: Pick<CoverageReport, "unpulled" | "unpulledServer" | "unpulledServerRemoved">,
): string | null {
  if (report.unpulled.length === 0) {
    return null;
  }
  const lacked = report.unpulled.join(", ");
  if (report.unpulledServer === null) {
    return `Cached records were pulled without ${lacked}, which this mapping reads: pull again to fetch them.`;
  }
  const server = report.unpulledServer;
  if (report.unpulledServerRemoved) {
    return `The records pulled through server ${server} lack ${lacked}, which this mapping reads: its syncs did not ask Corrigo for them, and ${server} was removed from the studio, so they cannot be pulled through it. Add the server again and push a mapping that reads them there, or pull them over a direct connection.`;
  }
  return `The records server ${server} holds lack ${lacked}, which this mapping reads: its syncs did not ask Corrigo for them, and pulling through it again brings the same. Once a mapping that reads them is pushed there, the server syncs those records again in full at once; pull through it after that sync.`;
}
