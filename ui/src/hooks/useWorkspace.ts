// The open workspace (sources, mappings, the unified model, the transforms), refetched
// after anything that changes it, and what the selected mapping targets.

import { useCallback, useMemo, useState } from "react";
import { api } from "../api";
import type { WorkspaceInfo } from "../bindings";
import type { MappingDoc } from "../mapping";
import { useLatest } from "./useLatest";
import type { Report } from "./useToasts";

export function useWorkspace(report: Report) {
  const [version, setVersion] = useState(0);
  const info: WorkspaceInfo | null = useLatest(() => api.workspaceInfo(), [version], report);
  const refresh = useCallback(() => setVersion((v) => v + 1), []);
  return { info, refresh };
}

/** The mapping's summary, its target entity's fields, and every field label (custom ones too). */
export function useTarget(info: WorkspaceInfo | null, mapping: string, doc: MappingDoc | null) {
  const summary = info?.mappings.find((m) => m.name === mapping) ?? null;
  const fields = useMemo(
    () => info?.model.find((e) => e.name === summary?.targetEntity)?.fields ?? [],
    [info, summary],
  );
  const labels = [...fields.map((f) => f.name), ...Object.keys(doc?.custom ?? {}).map((n) => `custom.${n}`)];
  /** The label `by` places after `from` (clamped to the list). */
  const next = (from: string | null, by: 1 | -1) => {
    const at = from === null ? -1 : labels.indexOf(from);
    return labels[Math.min(Math.max(at + by, 0), labels.length - 1)] ?? null;
  };
  return { summary, fields, next };
}
