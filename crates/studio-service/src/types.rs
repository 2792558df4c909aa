//! The values the studio's UI sends and receives. Each derives `TS`: the TypeScript in
//! `ui/src/bindings.ts` is generated from these (see `crate::typescript`) and a test fails
//! when the committed file is stale.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

// The connection servers' types live beside their code; the shell names every type from here.
pub use crate::servers::{
    DeliveryInfo, FieldDifference, FieldImpact, ImpactExample, NewServer, PushPreview, PushResult,
    ServerConnectionInfo, ServerInfo, ServerPull, ServerSyncInfo, ServerVersionInfo, VerifyReport,
};
// As are the splitters' pane sizes.
pub use crate::layout::PaneSizes;

/// Where records come from: the bundled samples or a connection's cache.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum RecordSource {
    Samples,
    Connection { name: String },
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceInfo {
    pub dir: String,
    pub sources: Vec<RecordSourceInfo>,
    pub mappings: Vec<MappingSummary>,
    pub model: Vec<TargetEntity>,
    pub transforms: Vec<TransformInfo>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RecordSourceInfo {
    pub source: RecordSource,
    pub label: String,
    pub counts: Vec<EntityCount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct EntityCount {
    pub entity: String,
    pub records: u32,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MappingSummary {
    /// `work_order`: the mapping's name in the workspace and its file stem.
    pub name: String,
    pub title: String,
    /// The Corrigo entity it reads (`WorkOrder`).
    pub source_entity: String,
    /// The unified entity it fills (`WorkOrder`).
    pub target_entity: String,
    /// The latest saved version; none while only the bundled default exists.
    pub version: Option<u32>,
    pub has_draft: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TargetEntity {
    pub name: String,
    pub description: String,
    pub fields: Vec<TargetField>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TargetField {
    pub name: String,
    /// `datetime`, `enum`, `key`…
    pub kind: String,
    /// `key → Site`, `enum (open, …)`.
    #[serde(rename = "type")]
    #[ts(rename = "type")]
    pub ty: String,
    pub required: bool,
    pub description: String,
    pub enum_values: Vec<EnumValueInfo>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct EnumValueInfo {
    pub name: String,
    pub description: String,
}

/// A function of the transform registry, for the step forms.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TransformInfo {
    pub name: String,
    pub doc: String,
    /// The kinds of input it accepts, in words.
    pub accepts: String,
    /// An example step as written in a mapping file.
    pub example: String,
    pub params: Vec<ParamInfo>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ParamInfo {
    pub name: String,
    /// `string`, `array of strings`, `JSONPath`…
    pub kind: String,
    pub required: bool,
    pub doc: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct RecordList {
    /// Records of the entity in the source.
    pub total: u32,
    /// The records that match the search, in source order.
    pub rows: Vec<RecordRow>,
}

/// One window of a search's matches, as the record list scrolls: the page holds the rows
/// on screen, the records stay in the studio's process.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RecordPage {
    /// Records of the entity in the source.
    pub total: u32,
    /// Records that match the search.
    pub matches: u32,
    /// Position of `rows[0]` among the matches.
    pub offset: u32,
    /// The matches from `offset`, in source order.
    pub rows: Vec<RecordRow>,
    /// The first match's id.
    pub first: Option<String>,
    /// Where the record asked about is among the matches (none when it does not match).
    pub selected_at: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct RecordRow {
    pub id: String,
    pub label: String,
}

/// One record as a tree, parents before children.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RecordTree {
    pub id: String,
    /// Records the fill rates are computed over.
    pub records: u32,
    pub nodes: Vec<TreeNode>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TreeNode {
    /// This node's JSONPath in this record (`$.Items[0].Asset.Id`).
    pub path: String,
    /// The path across records, array items as `[*]`: what fill rates are counted on.
    pub pattern: String,
    /// Member name or `[index]`; `$` for the root.
    pub name: String,
    pub depth: u32,
    /// `string`, `integer`, `object`, `null`…
    pub kind: String,
    /// Scalars only; containers show their size in `children`.
    pub value: Option<Value>,
    pub children: u32,
    /// Share of cached records where the pattern holds a non-null value, 0–1.
    pub fill_rate: f64,
    /// A few distinct values seen at the pattern across the records.
    pub samples: Vec<Value>,
    /// False for paths that other records have and this one lacks (listed after the
    /// record's own nodes, with `path` equal to `pattern`), so they can be bound too.
    pub present: bool,
}

/// A mapping as the editor opens it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MappingState {
    pub name: String,
    /// The latest saved version's text, or the bundled default.
    pub saved_text: String,
    pub version: Option<u32>,
    /// Unsaved work from an earlier session (kept across a crash or a kill).
    pub draft: Option<String>,
}

/// One problem with a mapping, located.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ProblemInfo {
    /// `error` or `warning`.
    pub severity: String,
    pub code: String,
    pub message: String,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub field: Option<String>,
    pub step: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct VersionInfo {
    pub version: u32,
    pub message: Option<String>,
    pub saved_at: String,
}

/// What changed between two versions, field by field.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct MappingDiff {
    pub from: u32,
    pub to: u32,
    pub changes: Vec<Change>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Change {
    /// `fields.status`, `custom.timeZone`, `source`, `name`…
    pub at: String,
    /// `added`, `removed` or `changed`.
    pub change: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// The selected record through the edited mapping.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    /// Load problems (errors stop the preview; warnings do not).
    pub problems: Vec<ProblemInfo>,
    pub record_id: String,
    /// False when the mapping's source filter skips this record.
    pub taken: bool,
    /// The unified record, when the mapping loads.
    pub output: Option<Value>,
    pub fields: Vec<FieldResult>,
    /// Load and apply time, microseconds.
    #[ts(type = "number")]
    pub micros: u64,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct FieldResult {
    pub field: String,
    /// `filled`, `null` or `error`.
    pub outcome: String,
    pub value: Value,
    pub error: Option<String>,
    pub code: Option<String>,
    pub step: Option<u32>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CoverageReport {
    pub records: u32,
    pub skipped: u32,
    pub records_with_errors: u32,
    pub fields: Vec<FieldCoverageInfo>,
    /// Referential coverage: for each key field, how many values name a record that the
    /// target entity's default mapping produces from the same source.
    pub keys: Vec<KeyCoverageInfo>,
    /// What the mapping reads that some cached records were pulled without (as Corrigo's
    /// PropertySet names it: `Items.*`, `MainAsset.TypeId`): those records predate the
    /// mapping, so their coverage is understated until the next pull, which asks for
    /// what the mappings read, unsaved drafts included. Always empty for the bundled
    /// samples.
    pub unpulled: Vec<String>,
    /// Set when those records came through a server (its name): they hold what every
    /// record the server caches holds, so a pull through the server brings nothing more
    /// until a mapping that reads it is pushed there (the server then re-syncs the entity
    /// whole at once).
    pub unpulled_server: Option<String>,
    /// That server was removed from the studio since: no pull through it is possible, and
    /// what the records lack comes only from a new pull (the server added again, or a
    /// direct connection).
    pub unpulled_server_removed: bool,
    #[ts(type = "number")]
    pub millis: u64,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FieldCoverageInfo {
    pub field: String,
    #[serde(rename = "type")]
    #[ts(rename = "type")]
    pub ty: String,
    pub required: bool,
    pub filled: u32,
    pub null: u32,
    pub error: u32,
    pub top_values: Vec<ValueCount>,
    /// Source values no value map or lookup covered.
    pub unmapped: Vec<ValueCount>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct KeyCoverageInfo {
    /// `assetKey`, `siteKeys`.
    pub field: String,
    /// The entity the key points to.
    pub target: String,
    /// Key values seen (each item of a key array counts).
    pub values: u32,
    pub resolved: u32,
    pub dangling: u32,
    /// Up to five dangling values with their counts.
    pub dangling_examples: Vec<ValueCount>,
    /// False when the source holds no records of the target's source entity.
    pub checked: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ValueCount {
    pub value: Value,
    pub count: u32,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExplainInfo {
    pub field: String,
    pub record_id: String,
    pub paths: Vec<PathMatch>,
    pub start: Value,
    pub steps: Vec<StepInfo>,
    pub result: Value,
    pub error: Option<String>,
    pub filtered_out: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct PathMatch {
    pub path: String,
    pub matches: Vec<Located>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Located {
    pub path: String,
    pub value: Value,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct StepInfo {
    pub step: u32,
    pub function: String,
    /// Null input passed through without running the function.
    pub skipped: bool,
    pub input: Option<Value>,
    pub output: Option<Value>,
    pub error: Option<String>,
    pub code: Option<String>,
}

/// Suggested bindings for one unbound field, best first.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Suggestion {
    pub field: String,
    pub bindings: Vec<SuggestedBinding>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct SuggestedBinding {
    pub path: String,
    pub steps: Vec<String>,
    /// 0–1, higher fits better.
    pub score: f64,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionInfo {
    pub name: String,
    pub company: String,
    /// `am`, `emea`, `apac`, or the custom base URL.
    pub endpoint: String,
    pub client_id: String,
    pub has_secret: bool,
    /// Set when this caches a connection of a server (`<server>/<connection>`): the
    /// server's name. It has no secret here and is pulled through the server.
    pub server: Option<String>,
    /// The server above was removed since the records were pulled: they stay usable as a
    /// source, but cannot be pulled again (nor tested: the server held the credentials).
    pub server_removed: bool,
    pub counts: Vec<EntityCount>,
    /// The last pull of each entity, in the order they ran: a pull goes through every
    /// entity the mappings read, so its last run alone (`Product`) does not say what a
    /// work-order pull did. Empty before the first pull.
    pub last_pull: Vec<PullInfo>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PullInfo {
    pub entity: String,
    pub status: String,
    pub records: u32,
    pub error: Option<String>,
    pub started_at: String,
}

/// A connection as the add form sends it. The secret goes to the keyring only; `Debug`
/// never shows it (a logged command argument must not leak it).
#[derive(Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NewConnection {
    pub name: String,
    pub company: String,
    /// `am`, `emea` or `apac`; exactly one of region and base URL.
    pub region: Option<String>,
    pub base_url: Option<String>,
    pub client_id: String,
    pub secret: String,
}

impl std::fmt::Debug for NewConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewConnection")
            .field("name", &self.name)
            .field("company", &self.company)
            .field("region", &self.region)
            .field("base_url", &self.base_url)
            .field("client_id", &self.client_id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// A connection's health, with what to do about it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Health {
    /// `ok`, `reauthorization_required` or `error`.
    pub status: String,
    pub code: Option<String>,
    pub reason: Option<String>,
    pub action: Option<String>,
    /// The API host the locator gave.
    pub host: Option<String>,
    #[ts(type = "number")]
    pub millis: u64,
}

/// Sent while a pull runs (Tauri event `pull-progress`).
#[derive(Debug, Clone, Serialize, TS)]
pub struct PullProgress {
    pub job: u32,
    pub entity: String,
    /// Entities finished before this one, of `of`.
    pub done: u32,
    pub of: u32,
    pub pages: u32,
    pub records: u32,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct PullReport {
    pub cancelled: bool,
    pub entities: Vec<PullEntityReport>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct PullEntityReport {
    pub entity: String,
    pub status: String,
    pub records: u32,
    pub inserted: u32,
    pub updated: u32,
    pub unchanged: u32,
    pub error: Option<String>,
}

/// Sent while coverage runs (Tauri event `coverage-progress`).
#[derive(Debug, Clone, Serialize, TS)]
pub struct CoverageProgress {
    pub job: u32,
    pub done: u32,
    pub of: u32,
}

/// A mapping read from a file, checked.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ImportedMapping {
    /// The workspace mapping it replaces (by its target entity).
    pub name: String,
    /// Canonical text.
    pub text: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Exported {
    pub path: String,
    pub bytes: u32,
}
