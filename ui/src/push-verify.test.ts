import { describe, expect, it } from "vitest";
import type { FieldImpact } from "./bindings";
import { verifyChoice } from "./push-verify";

const impact = (field: string, ...ids: string[]): FieldImpact => ({
  field,
  changed: ids.length,
  becameNull: 0,
  startFailing: 0,
  examples: ids.map((recordId) => ({ recordId, before: null, after: "x" })),
});

describe("verifyChoice", () => {
  it("verifies the selected record when the change affects it", () => {
    const preview = { impact: [impact("priority", "7", "9")], selectedAffected: true };
    expect(verifyChoice(preview, "12")).toEqual({ recordId: "12", note: null });
  });
  it("verifies an affected record instead of a selected one the change leaves alone, and says so", () => {
    const preview = { impact: [impact("custom.e2ePushed", "7", "9")], selectedAffected: false };
    const choice = verifyChoice(preview, "12");
    expect(choice.recordId).toBe("7");
    expect(choice.note).toBe(
      "The change leaves the selected record 12 as it was: verified record 7, one the change affects.",
    );
  });
  it("says why when the selected record is not measured (skipped or not cached)", () => {
    const preview = { impact: [impact("code"), impact("title", "3")], selectedAffected: null };
    const choice = verifyChoice(preview, "12");
    expect(choice.recordId).toBe("3");
    expect(choice.note).toContain("is not among the records the change is measured on");
  });
  it("takes an affected record when none is selected", () => {
    const choice = verifyChoice({ impact: [impact("title", "3")], selectedAffected: null }, null);
    expect(choice).toEqual({
      recordId: "3",
      note: "No record is selected: verified record 3, one the change affects.",
    });
  });
  it("says plainly that the record it verifies is unaffected when the change affects no cached record", () => {
    const choice = verifyChoice({ impact: [], selectedAffected: false }, "12");
    expect(choice.recordId).toBe("12");
    expect(choice.note).toBe(
      "The change affects none of the cached records: verified the selected record 12, which it leaves as it was.",
    );
  });
  it("has nothing to verify with no record selected and none affected", () => {
    expect(verifyChoice({ impact: [], selectedAffected: null }, null)).toEqual({ recordId: null, note: null });
  });
});
