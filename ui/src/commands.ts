// Generated from src-tauri/src/command_list.rs by `make generated`; do not edit.
// One typed function per studio command, with the argument keys Tauri expects.

import { invoke } from "@tauri-apps/api/core";
import type { ConnectionInfo, CoverageReport, ExplainInfo, Exported, Health, ImportedMapping, MappingDiff, MappingState, NewConnection, NewServer, Preview, PullReport, PushPreview, PushResult, RecordList, RecordSource, RecordTree, ServerConnectionInfo, ServerInfo, ServerPull, ServerVersionInfo, Suggestion, VerifyReport, VersionInfo, WorkspaceInfo } from "./bindings";

export const commands = {
  workspaceInfo: () => invoke<WorkspaceInfo>("workspace_info"),
  listRecords: (source: RecordSource, entity: string, query: string) => invoke<RecordList>("list_records", { source, entity, query }),
  recordTree: (source: RecordSource, entity: string, id: string) => invoke<RecordTree>("record_tree", { source, entity, id }),
  getMapping: (name: string) => invoke<MappingState>("get_mapping", { name }),
  saveDraft: (name: string, text: string) => invoke<null>("save_draft", { name, text }),
  discardDraft: (name: string) => invoke<null>("discard_draft", { name }),
  saveMapping: (name: string, text: string, message: string | null) => invoke<VersionInfo>("save_mapping", { name, text, message }),
  history: (name: string) => invoke<Array<VersionInfo>>("history", { name }),
  versionText: (name: string, version: number) => invoke<string>("version_text", { name, version }),
  diff: (name: string, from: number, to: number) => invoke<MappingDiff>("diff", { name, from, to }),
  restore: (name: string, version: number) => invoke<VersionInfo>("restore", { name, version }),
  canonicalText: (text: string) => invoke<string>("canonical_text", { text }),
  preview: (source: RecordSource, text: string, recordId: string) => invoke<Preview>("preview", { source, text, recordId }),
  coverage: (source: RecordSource, text: string, job: number) => invoke<CoverageReport>("coverage", { source, text, job }),
  explain: (source: RecordSource, text: string, recordId: string, field: string) => invoke<ExplainInfo>("explain", { source, text, recordId, field }),
  suggestions: (source: RecordSource, text: string) => invoke<Array<Suggestion>>("suggestions", { source, text }),
  exportMapping: (name: string, text: string) => invoke<Exported | null>("export_mapping", { name, text }),
  importMapping: () => invoke<ImportedMapping | null>("import_mapping"),
  listConnections: () => invoke<Array<ConnectionInfo>>("list_connections"),
  addConnection: (connection: NewConnection) => invoke<ConnectionInfo>("add_connection", { connection }),
  testConnection: (name: string) => invoke<Health>("test_connection", { name }),
  removeConnection: (name: string) => invoke<null>("remove_connection", { name }),
  pull: (connection: string, entities: Array<string>, job: number) => invoke<PullReport>("pull", { connection, entities, job }),
  cancel: (job: number) => invoke<boolean>("cancel", { job }),
  listServers: () => invoke<Array<ServerInfo>>("list_servers"),
  addServer: (server: NewServer) => invoke<ServerInfo>("add_server", { server }),
  removeServer: (name: string) => invoke<null>("remove_server", { name }),
  serverConnections: (server: string) => invoke<Array<ServerConnectionInfo>>("server_connections", { server }),
  reconnectServerConnection: (server: string, connectionId: string, clientId: string, clientSecret: string) => invoke<ServerConnectionInfo>("reconnect_server_connection", { server, connectionId, clientId, clientSecret }),
  pullThroughServer: (server: string, connectionId: string, entities: Array<string>, job: number) => invoke<ServerPull>("pull_through_server", { server, connectionId, entities, job }),
  pushPreview: (server: string, connectionId: string, source: RecordSource, text: string) => invoke<PushPreview>("push_preview", { server, connectionId, source, text }),
  pushMapping: (server: string, connectionId: string, source: RecordSource, text: string, version: number, note: string | null) => invoke<PushResult>("push_mapping", { server, connectionId, source, text, version, note }),
  verifyPush: (server: string, connectionId: string, source: RecordSource, text: string, recordId: string) => invoke<VerifyReport>("verify_push", { server, connectionId, source, text, recordId }),
  serverVersions: (server: string, connectionId: string, entity: string) => invoke<Array<ServerVersionInfo>>("server_versions", { server, connectionId, entity }),
  rollbackServer: (server: string, connectionId: string, entity: string, version: number) => invoke<number>("rollback_server", { server, connectionId, entity, version }),
  timings: () => invoke<number>("timings"),
};
