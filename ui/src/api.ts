// Typed calls to the studio's Tauri commands. The argument and result types come from
// bindings.ts, generated from the Rust service: the two sides cannot drift.

import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import type {
  ConnectionInfo,
  CoverageProgress,
  CoverageReport,
  ExplainInfo,
  Exported,
  Health,
  ImportedMapping,
  MappingDiff,
  MappingState,
  NewConnection,
  Preview,
  PullProgress,
  PullReport,
  RecordList,
  RecordTree,
  ServiceError,
  Source,
  Suggestion,
  VersionInfo,
  WorkspaceInfo,
} from "./bindings";

export function isServiceError(e: unknown): e is ServiceError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

/** Any failure as a ServiceError: IPC-level failures get the code `ipc`. */
export function asServiceError(e: unknown): ServiceError {
  if (isServiceError(e)) {
    return e;
  }
  return { code: "ipc", message: String(e), location: null, problems: [] };
}

let nextJob = 1;
/** A job id for a cancellable call (pull, coverage). */
export const newJob = () => nextJob++;

export const api = {
  workspaceInfo: () => invoke<WorkspaceInfo>("workspace_info"),
  listRecords: (source: Source, entity: string, query: string) =>
    invoke<RecordList>("list_records", { source, entity, query }),
  recordTree: (source: Source, entity: string, id: string) =>
    invoke<RecordTree>("record_tree", { source, entity, id }),
  getMapping: (name: string) => invoke<MappingState>("get_mapping", { name }),
  saveDraft: (name: string, text: string) => invoke<null>("save_draft", { name, text }),
  discardDraft: (name: string) => invoke<null>("discard_draft", { name }),
  saveMapping: (name: string, text: string, message: string | null) =>
    invoke<VersionInfo>("save_mapping", { name, text, message }),
  history: (name: string) => invoke<VersionInfo[]>("history", { name }),
  versionText: (name: string, version: number) => invoke<string>("version_text", { name, version }),
  diff: (name: string, from: number, to: number) => invoke<MappingDiff>("diff", { name, from, to }),
  restore: (name: string, version: number) => invoke<VersionInfo>("restore", { name, version }),
  preview: (source: Source, text: string, recordId: string) =>
    invoke<Preview>("preview", { source, text, recordId }),
  coverage: (source: Source, text: string, job: number) =>
    invoke<CoverageReport>("coverage", { source, text, job }),
  explain: (source: Source, text: string, recordId: string, field: string) =>
    invoke<ExplainInfo>("explain", { source, text, recordId, field }),
  suggestions: (source: Source, text: string) => invoke<Suggestion[]>("suggestions", { source, text }),
  exportMapping: (name: string, text: string) => invoke<Exported | null>("export_mapping", { name, text }),
  importMapping: () => invoke<ImportedMapping | null>("import_mapping"),
  listConnections: () => invoke<ConnectionInfo[]>("list_connections"),
  addConnection: (connection: NewConnection) => invoke<ConnectionInfo>("add_connection", { connection }),
  testConnection: (name: string) => invoke<Health>("test_connection", { name }),
  removeConnection: (name: string) => invoke<null>("remove_connection", { name }),
  pull: (connection: string, entities: string[], job: number) =>
    invoke<PullReport>("pull", { connection, entities, job }),
  cancel: (job: number) => invoke<boolean>("cancel", { job }),
  timings: () => invoke<number>("timings"),
};

export const onPullProgress = (f: (p: PullProgress) => void) =>
  listen<PullProgress>("pull-progress", (e) => f(e.payload));
export const onCoverageProgress = (f: (p: CoverageProgress) => void) =>
  listen<CoverageProgress>("coverage-progress", (e) => f(e.payload));
