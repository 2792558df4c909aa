// Generated from crates/studio-service by `UPDATE_BINDINGS=1 cargo test -p unifield-studio-service --test bindings`.
// Do not edit: change the Rust types instead.

export type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]: JsonValue } | null;

export type ServiceError = { code: string, message: string, 
/**
 * The first located problem, when there is one.
 */
location: Location | null, 
/**
 * Every problem, for errors that carry several (an invalid mapping).
 */
problems: Array<ProblemInfo>, };

export type Location = { file: string | null, line: number | null, column: number | null, field: string | null, step: number | null, };

export type RecordSource = { "kind": "samples" } | { "kind": "connection", name: string, };

export type WorkspaceInfo = { dir: string, sources: Array<RecordSourceInfo>, mappings: Array<MappingSummary>, model: Array<TargetEntity>, transforms: Array<TransformInfo>, };

export type RecordSourceInfo = { source: RecordSource, label: string, counts: Array<EntityCount>, };

export type EntityCount = { entity: string, records: number, };

export type MappingSummary = { 
/**
 * `work_order`: the mapping's name in the workspace and its file stem.
 */
name: string, title: string, 
/**
 * The Corrigo entity it reads (`WorkOrder`).
 */
sourceEntity: string, 
/**
 * The unified entity it fills (`WorkOrder`).
 */
targetEntity: string, 
/**
 * The latest saved version; none while only the bundled default exists.
 */
version: number | null, hasDraft: boolean, };

export type TargetEntity = { name: string, description: string, fields: Array<TargetField>, };

export type TargetField = { name: string, 
/**
 * `datetime`, `enum`, `key`…
 */
kind: string, 
/**
 * `key → Site`, `enum (open, …)`.
 */
type: string, required: boolean, description: string, enumValues: Array<EnumValueInfo>, };

export type EnumValueInfo = { name: string, description: string, };

export type TransformInfo = { name: string, doc: string, 
/**
 * The kinds of input it accepts, in words.
 */
accepts: string, 
/**
 * An example step as written in a mapping file.
 */
example: string, params: Array<ParamInfo>, };

export type ParamInfo = { name: string, 
/**
 * `string`, `array of strings`, `JSONPath`…
 */
kind: string, required: boolean, doc: string, };

export type RecordList = { 
/**
 * Records of the entity in the source.
 */
total: number, 
/**
 * The records that match the search, in source order.
 */
rows: Array<RecordRow>, };

export type RecordPage = { 
/**
 * Records of the entity in the source.
 */
total: number, 
/**
 * Records that match the search.
 */
matches: number, 
/**
 * Position of `rows[0]` among the matches.
 */
offset: number, 
/**
 * The matches from `offset`, in source order.
 */
rows: Array<RecordRow>, 
/**
 * The first match's id.
 */
first: string | null, 
/**
 * Where the record asked about is among the matches (none when it does not match).
 */
selectedAt: number | null, };

export type RecordRow = { id: string, label: string, };

export type RecordTree = { id: string, 
/**
 * Records the fill rates are computed over.
 */
records: number, nodes: Array<TreeNode>, };

export type TreeNode = { 
/**
 * This node's JSONPath in this record (`$.Items[0].Asset.Id`).
 */
path: string, 
/**
 * The path across records, array items as `[*]`: what fill rates are counted on.
 */
pattern: string, 
/**
 * Member name or `[index]`; `$` for the root.
 */
name: string, depth: number, 
/**
 * `string`, `integer`, `object`, `null`…
 */
kind: string, 
/**
 * Scalars only; containers show their size in `children`.
 */
value: JsonValue | null, children: number, 
/**
 * Share of cached records where the pattern holds a non-null value, 0–1.
 */
fillRate: number, 
/**
 * A few distinct values seen at the pattern across the records.
 */
samples: Array<JsonValue>, 
/**
 * False for paths that other records have and this one lacks (listed after the
 * record's own nodes, with `path` equal to `pattern`), so they can be bound too.
 */
present: boolean, };

export type MappingState = { name: string, 
/**
 * The latest saved version's text, or the bundled default.
 */
savedText: string, version: number | null, 
/**
 * Unsaved work from an earlier session (kept across a crash or a kill).
 */
draft: string | null, };

export type ProblemInfo = { 
/**
 * `error` or `warning`.
 */
severity: string, code: string, message: string, file: string | null, line: number | null, column: number | null, field: string | null, step: number | null, };

export type VersionInfo = { version: number, message: string | null, savedAt: string, };

export type MappingDiff = { from: number, to: number, changes: Array<Change>, };

export type Change = { 
/**
 * `fields.status`, `custom.timeZone`, `source`, `name`…
 */
at: string, 
/**
 * `added`, `removed` or `changed`.
 */
change: string, before: JsonValue | null, after: JsonValue | null, };

export type Preview = { 
/**
 * Load problems (errors stop the preview; warnings do not).
 */
problems: Array<ProblemInfo>, recordId: string, 
/**
 * False when the mapping's source filter skips this record.
 */
taken: boolean, 
/**
 * The unified record, when the mapping loads.
 */
output: JsonValue | null, fields: Array<FieldResult>, 
/**
 * Load and apply time, microseconds.
 */
micros: number, };

export type FieldResult = { field: string, 
/**
 * `filled`, `null` or `error`.
 */
outcome: string, value: JsonValue, error: string | null, code: string | null, step: number | null, };

export type CoverageReport = { records: number, skipped: number, recordsWithErrors: number, fields: Array<FieldCoverageInfo>, 
/**
 * Referential coverage: for each key field, how many values name a record that the
 * target entity's default mapping produces from the same source.
 */
keys: Array<KeyCoverageInfo>, 
/**
 * What the mapping reads that some cached records were pulled without (as Corrigo's
 * PropertySet names it: `Items.*`, `MainAsset.TypeId`): those records predate the
 * mapping, so their coverage is understated until the next pull, which asks for
 * what the mappings read, unsaved drafts included. Always empty for the bundled
 * samples.
 */
unpulled: Array<string>, 
/**
 * Set when those records came through a server (its name): they hold what every
 * record the server caches holds, so a pull through the server brings nothing more
 * until a mapping that reads it is pushed there (the server then re-syncs the entity
 * whole at once).
 */
unpulledServer: string | null, 
/**
 * That server was removed from the studio since: no pull through it is possible, and
 * what the records lack comes only from a new pull (the server added again, or a
 * direct connection).
 */
unpulledServerRemoved: boolean, millis: number, };

export type FieldCoverageInfo = { field: string, type: string, required: boolean, filled: number, null: number, error: number, topValues: Array<ValueCount>, 
/**
 * Source values no value map or lookup covered.
 */
unmapped: Array<ValueCount>, };

export type KeyCoverageInfo = { 
/**
 * `assetKey`, `siteKeys`.
 */
field: string, 
/**
 * The entity the key points to.
 */
target: string, 
/**
 * Key values seen (each item of a key array counts).
 */
values: number, resolved: number, dangling: number, 
/**
 * Up to five dangling values with their counts.
 */
danglingExamples: Array<ValueCount>, 
/**
 * False when the source holds no records of the target's source entity.
 */
checked: boolean, };

export type ValueCount = { value: JsonValue, count: number, };

export type ExplainInfo = { field: string, recordId: string, paths: Array<PathMatch>, start: JsonValue, steps: Array<StepInfo>, result: JsonValue, error: string | null, filteredOut: boolean, };

export type PathMatch = { path: string, matches: Array<Located>, };

export type Located = { path: string, value: JsonValue, };

export type StepInfo = { step: number, function: string, 
/**
 * Null input passed through without running the function.
 */
skipped: boolean, input: JsonValue | null, output: JsonValue | null, error: string | null, code: string | null, };

export type Suggestion = { field: string, bindings: Array<SuggestedBinding>, };

export type SuggestedBinding = { path: string, steps: Array<string>, 
/**
 * 0–1, higher fits better.
 */
score: number, reason: string, };

export type ConnectionInfo = { name: string, company: string, 
/**
 * `am`, `emea`, `apac`, or the custom base URL.
 */
endpoint: string, clientId: string, hasSecret: boolean, 
/**
 * Set when this caches a connection of a server (`<server>/<connection>`): the
 * server's name. It has no secret here and is pulled through the server.
 */
server: string | null, 
/**
 * The server above was removed since the records were pulled: they stay usable as a
 * source, but cannot be pulled again (nor tested: the server held the credentials).
 */
serverRemoved: boolean, counts: Array<EntityCount>, 
/**
 * The last pull of each entity, in the order they ran: a pull goes through every
 * entity the mappings read, so its last run alone (`Product`) does not say what a
 * work-order pull did. Empty before the first pull.
 */
lastPull: Array<PullInfo>, };

export type PullInfo = { entity: string, status: string, records: number, error: string | null, startedAt: string, };

export type NewConnection = { name: string, company: string, 
/**
 * `am`, `emea` or `apac`; exactly one of region and base URL.
 */
region: string | null, baseUrl: string | null, clientId: string, secret: string, };

export type Health = { 
/**
 * `ok`, `reauthorization_required` or `error`.
 */
status: string, code: string | null, reason: string | null, action: string | null, 
/**
 * The API host the locator gave.
 */
host: string | null, millis: number, };

export type PullProgress = { job: number, entity: string, 
/**
 * Entities finished before this one, of `of`.
 */
done: number, of: number, pages: number, records: number, };

export type PullReport = { cancelled: boolean, entities: Array<PullEntityReport>, };

export type PullEntityReport = { entity: string, status: string, records: number, inserted: number, updated: number, unchanged: number, error: string | null, };

export type CoverageProgress = { job: number, done: number, of: number, };

export type ImportedMapping = { 
/**
 * The workspace mapping it replaces (by its target entity).
 */
name: string, 
/**
 * Canonical text.
 */
text: string, };

export type Exported = { path: string, bytes: number, };

export type ServerInfo = { name: string, url: string, 
/**
 * Whether the keyring holds its API key.
 */
hasKey: boolean, };

export type NewServer = { name: string, url: string, apiKey: string, };

export type ServerConnectionInfo = { id: string, name: string, company: string, 
/**
 * `ok`, `syncing`, `reauthorization_required` or `error`.
 */
status: string, reason: string | null, 
/**
 * What to do, when something is needed.
 */
action: string | null, lastSync: ServerSyncInfo | null, nextSyncAt: string | null, 
/**
 * Whether the server holds any of the connection's records, asked only while it needs
 * reauthorization (it cannot sync): `false` means a preview through it has nothing
 * to show until it is reconnected and synced. None when not asked.
 */
recordsHeld: boolean | null, };

export type ServerSyncInfo = { startedAt: string, finishedAt: string | null, status: string, records: number, error: string | null, };

export type PushPreview = { entity: string, 
/**
 * The version the diff was made against: what the push sends as `If-Match`.
 */
activeVersion: number, changes: Array<Change>, 
/**
 * Fields whose values change on at least one cached record.
 */
impact: Array<FieldImpact>, 
/**
 * Cached records the impact was measured on.
 */
records: number, 
/**
 * Of those, records the studio's mapping's source filter skips (they are not served;
 * the impact counts only records both versions map).
 */
skipped: number, 
/**
 * Records the active version's filter skips (when it differs, records start or stop
 * being served).
 */
skippedBefore: number, 
/**
 * Of the records both versions map, those on which at least one field changes.
 */
affected: number, 
/**
 * The record the studio has selected (when one was named): true when the change affects
 * it, false when both versions map it and every field stays as it was, null when it is
 * not among the cached records or a source filter skips it (there is nothing to verify
 * on it). Verify picks a record the change affects: this one, or an impact example.
 */
selectedAffected: boolean | null, 
/**
 * Every problem of the studio's mapping, located.
 */
problems: Array<ProblemInfo>, 
/**
 * True when the mapping has errors: it cannot be pushed.
 */
blocked: boolean, micros: number, };

export type FieldImpact = { field: string, 
/**
 * Records whose value differs.
 */
changed: number, 
/**
 * Records whose value was set and becomes null.
 */
becameNull: number, 
/**
 * Records on which the field did not fail and now does.
 */
startFailing: number, examples: Array<ImpactExample>, };

export type ImpactExample = { recordId: string, before: JsonValue, after: JsonValue, };

export type PushResult = { "kind": "pushed", version: number, previousVersion: number, } | { "kind": "conflict", expected: number, preview: PushPreview, };

export type VerifyReport = { recordId: string, key: string, mappingVersion: number, 
/**
 * True when every field the studio shows is what the server serves.
 */
matches: boolean, differences: Array<FieldDifference>, };

export type FieldDifference = { field: string, studio: JsonValue, server: JsonValue, };

export type ServerVersionInfo = { version: number, createdAt: string, keyName: string | null, note: string | null, rolledBackTo: number | null, };

export type ServerPull = { source: RecordSource, report: PullReport, };

export type DeliveryInfo = { endpoint: string, eventType: string, 
/**
 * `pending`, `delivered` or `failed`.
 */
state: string, attempts: number, 
/**
 * The receiver's status on the last attempt; none when no answer came.
 */
lastStatus: number | null, lastError: string | null, createdAt: string, };

export type PaneSizes = { 
/**
 * The records and source tree column.
 */
left: number | null, 
/**
 * The preview, coverage and suggestions column.
 */
right: number | null, 
/**
 * The selected field's editor under the field list.
 */
editor: number | null, };
