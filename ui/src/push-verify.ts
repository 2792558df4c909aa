// Which record verify compares after a push, apart from the component so that it is testable
// without a window. A ✓ on a record the change leaves as it was proves nothing: verify takes
// a record the change affects (the selected one when it is, else an impact example) and says
// so when that is not the selected record.

import type { PushPreview } from "./bindings";

export interface VerifyChoice {
  /** The record to compare, or null when there is none to compare. */
  recordId: string | null;
  /** Why it is not simply the selected record (shown beside verify's answer). */
  note: string | null;
}

export function verifyChoice(
  preview: Pick<PushPreview, "impact" | "selectedAffected">,
  selected: string | null,
): VerifyChoice {
  if (selected !== null && preview.selectedAffected === true) {
    return { recordId: selected, note: null };
  }
  const example = preview.impact.flatMap((f) => f.examples)[0]?.recordId ?? null;
  if (example !== null) {
    const why =
      selected === null
        ? "No record is selected"
        : preview.selectedAffected === false
          ? `The change leaves the selected record ${selected} as it was`
          : `The selected record ${selected} is not among the records the change is measured on (a filter skips it, or it is not cached)`;
    return { recordId: example, note: `${why}: verified record ${example}, one the change affects.` };
  }
  if (selected === null) {
    return { recordId: null, note: null };
  }
  return {
    recordId: selected,
    note: `The change affects none of the cached records: verified the selected record ${selected}, which it leaves as it was.`,
  };
}
