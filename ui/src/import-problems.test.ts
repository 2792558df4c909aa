import { describe, expect, it } from "vitest";
import type { ProblemInfo, ServiceError } from "./bindings";
import { fileName, importProblems, importToastLine, problemPlace } from "./import-problems";

const problem = (over: Partial<ProblemInfo>): ProblemInfo => ({
  severity: "error",
  code: "invalid_path",
  message: "invalid JSONPath",
  file: "/tmp/w/two.json",
  line: null,
  column: null,
  field: null,
  step: null,
  ...over,
});

const refused = (problems: ProblemInfo[]): ServiceError => ({
  code: "invalid_mapping",
  message: "the mapping has 2 errors; the first: …",
  location: { file: "/tmp/w/two.json", line: 22, column: null, field: "code", step: null },
  problems,
});

describe("a refused import lists every problem", () => {
  it("keeps all of them, errors first and each group by line", () => {
    const found = importProblems(
      refused([
        problem({ line: 29, field: "title" }),
        problem({ severity: "warning", code: "unused", line: 3 }),
        problem({ line: 22, field: "code" }),
      ]),
    );
    expect(found?.file).toBe("/tmp/w/two.json");
    expect(found?.errors).toBe(2);
    expect(found?.problems.map((p) => [p.severity, p.line, p.field])).toEqual([
      ["error", 22, "code"],
      ["error", 29, "title"],
      ["warning", 3, null],
    ]);
  });
  it("the toast is short and points to the list", () => {
    const two = importProblems(refused([problem({ line: 29 }), problem({ line: 22 })]));
    expect(two && importToastLine(two)).toBe("two.json: 2 errors — see the list");
    const one = importProblems(refused([problem({ line: 29 })]));
    expect(one && importToastLine(one)).toBe("two.json: 1 error — see the list");
  });
  it("a failure without problems has no list", () => {
    expect(
      importProblems({ code: "unreadable_file", message: "cannot read x", location: null, problems: [] }),
    ).toBeNull();
    expect(importProblems({ ...refused([]), problems: [] })).toBeNull();
  });
  it("names the place of each problem from what is known", () => {
    expect(problemPlace(problem({ line: 29, field: "title" }))).toEqual({ line: "line 29", field: "title" });
    expect(problemPlace(problem({ line: 4, column: 7, field: "status", step: 2 }))).toEqual({
      line: "line 4:7",
      field: "status, step 2",
    });
    expect(problemPlace(problem({}))).toEqual({ line: "", field: "" });
  });
  it("a file's name is the last part of its path", () => {
    expect(fileName("/home/me/wo.json")).toBe("wo.json");
    expect(fileName("C:\\Users\\me\\wo.json")).toBe("wo.json");
    expect(fileName("wo.json")).toBe("wo.json");
  });
});
