import { describe, expect, it } from "vitest";
import { located } from "./useToasts";

const at = (o: Partial<{ file: string; line: number; field: string; step: number }>) => ({
  file: o.file ?? null,
  line: o.line ?? null,
  column: null,
  field: o.field ?? null,
  step: o.step ?? null,
});

describe("an error's location is said once", () => {
  it("adds only what the message does not already name", () => {
    expect(located("fields.title step 2: unknown function `uper`", at({ field: "title", step: 2 }))).toBe(
      "fields.title step 2: unknown function `uper`",
    );
    expect(located("unknown function `uper`", at({ field: "title", step: 2 }))).toBe(
      "unknown function `uper` (title, step 2)",
    );
    expect(located("trailing characters at line 3", at({ line: 3, file: "a.json" }))).toBe(
      "trailing characters at line 3 (a.json)",
    );
    expect(located("bad", null)).toBe("bad");
  });
});
