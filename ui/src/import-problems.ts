// A mapping file the import refused: every problem it has, for a list that stays until it
// is dismissed, and the short toast that points to it (review item 9: a toast showed the
// first of several errors and went away).

import type { ProblemInfo, ServiceError } from "./bindings";

export interface ImportProblems {
  /** The file as the service named it (a full path). */
  file: string;
  /** Errors first, then warnings; each group in the file's order (by line). */
  problems: ProblemInfo[];
  errors: number;
}

/** The last part of a path (`/home/me/wo.json` → `wo.json`; Windows separators too). */
export function fileName(path: string): string {
  const parts = path.split(/[\\/]/).filter((p) => p !== "");
  return parts.at(-1) ?? path;
}

const rank = (p: ProblemInfo) => (p.severity === "error" ? 0 : 1);

/** The problems of a refused import, or null for a failure that has no list (an unreadable file). */
export function importProblems(err: ServiceError): ImportProblems | null {
  if (err.code !== "invalid_mapping" || err.problems.length === 0) {
    return null;
  }
  const problems = [...err.problems].sort(
    (a, b) => rank(a) - rank(b) || (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER),
  );
  const file = err.location?.file ?? problems.find((p) => p.file !== null)?.file ?? "the file";
  return { file, problems, errors: problems.filter((p) => p.severity === "error").length };
}

/** The toast beside the list: `wo.json: 2 errors — see the list`. */
export function importToastLine(found: ImportProblems): string {
  const n = found.errors;
  const what = n === 0 ? "problems" : n === 1 ? "1 error" : `${n} errors`;
  return `${fileName(found.file)}: ${what} — see the list`;
}

/** Where a problem is in the file, for its row: `line 29`, `title`, `step 2` (what is known). */
export function problemPlace(p: ProblemInfo): { line: string; field: string } {
  const line = p.line !== null ? `line ${p.line}` + (p.column !== null ? `:${p.column}` : "") : "";
  const field = [p.field, p.step !== null ? `step ${p.step}` : null].filter((s) => s !== null && s !== "").join(", ");
  return { line, field };
}
