//! Connection servers (`unifield serve`): add one (its URL in the workspace, its API key in
//! the keyring), list its connections with their status, pull a connection's raw records
//! through the server into the workspace cache, and the push loop: a preview of what a push
//! changes (field-level diff against the connection's active version and the impact on the
//! cached records), the push itself with `If-Match`, verify (the server's unified record
//! against the studio's preview) and the connection's versions with rollback.
//!
//! The network parts are async free functions over a [`ServerClient`] (so a shell calls them
//! without holding the studio); what needs the held records is a `Studio` method.

use crate::bounded_file::BoundedReadError;
use crate::error::{Result, ServiceError};
use crate::types::{Change, ProblemInfo, PullEntityReport, PullProgress, PullReport, RecordSource};
use crate::{Cancel, Studio};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Instant;
use ts_rs::TS;
use unifield_engine::FieldOutcome;
use unifield_server_client::{
    ApiKey, CorrigoEndpoint, Error as ClientError, ServerClient, VersionedMapping,
};
use unifield_store::files::{self, Readers};
use unifield_workspace::{ConnectionSettings, Endpoint, PullStatus, Workspace};

/// The file (in the workspace directory, 0600) that lists the servers: names and URLs only.
const SERVERS_FILE: &str = "servers.json";
/// The keyring entry of a server's API key (beside connection secrets, under its own prefix).
fn key_entry(server: &str) -> String {
    format!("unifield-server-api-key:{server}")
}
/// Before → after examples kept per changed field.
const EXAMPLES_PER_FIELD: usize = 3;
/// Raw records asked for per page when pulling through a server.
const PULL_PAGE: usize = 500;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ServerInfo {
    pub name: String,
    pub url: String,
    /// Whether the keyring holds its API key.
    pub has_key: bool,
}

#[derive(Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NewServer {
    pub name: String,
    pub url: String,
    pub api_key: String,
}

/// Redacted: the API key goes to the keyring only, never into a `{:?}` of a log line.
impl std::fmt::Debug for NewServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewServer")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("api_key", &"<redacted>")
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ServerSyncInfo {
    pub started_at: String,
    pub finished_at: Option<String>,
    pub status: String,
    #[ts(type = "number")]
    pub records: i64,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ServerConnectionInfo {
    pub id: String,
    pub name: String,
    pub company: String,
    /// `ok`, `syncing`, `reauthorization_required` or `error`.
    pub status: String,
    pub reason: Option<String>,
    /// What to do, when something is needed.
    pub action: Option<String>,
    pub last_sync: Option<ServerSyncInfo>,
    pub next_sync_at: Option<String>,
    /// Whether the server holds any of the connection's records, asked only while it needs
    /// reauthorization (it cannot sync): `false` means a preview through it has nothing
    /// to show until it is reconnected and synced. None when not asked.
    pub records_held: Option<bool>,
}

/// One field's effect on the cached records when the studio's mapping replaces the active one.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FieldImpact {
    pub field: String,
    /// Records whose value differs.
    pub changed: u32,
    /// Records whose value was set and becomes null.
    pub became_null: u32,
    /// Records on which the field did not fail and now does.
    pub start_failing: u32,
    pub examples: Vec<ImpactExample>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ImpactExample {
    pub record_id: String,
    pub before: Value,
    pub after: Value,
}

/// What a push would do, before anything is sent.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PushPreview {
    pub entity: String,
    /// The version the diff was made against: what the push sends as `If-Match`.
    #[ts(type = "number")]
    pub active_version: i64,
    pub changes: Vec<Change>,
    /// Fields whose values change on at least one cached record.
    pub impact: Vec<FieldImpact>,
    /// Cached records the impact was measured on.
    pub records: u32,
    /// Of those, records the studio's mapping's source filter skips (they are not served;
    /// the impact counts only records both versions map).
    pub skipped: u32,
    /// Records the active version's filter skips (when it differs, records start or stop
    /// being served).
    pub skipped_before: u32,
    /// Of the records both versions map, those on which at least one field changes.
    pub affected: u32,
    /// The record the studio has selected (when one was named): true when the change affects
    /// it, false when both versions map it and every field stays as it was, null when it is
    /// not among the cached records or a source filter skips it (there is nothing to verify
    /// on it). Verify picks a record the change affects: this one, or an impact example.
    pub selected_affected: Option<bool>,
    /// Every problem of the studio's mapping, located.
    pub problems: Vec<ProblemInfo>,
    /// True when the mapping has errors: it cannot be pushed.
    pub blocked: bool,
    #[ts(type = "number")]
    pub micros: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum PushResult {
    #[serde(rename_all = "camelCase")]
    Pushed {
        #[ts(type = "number")]
        version: i64,
        #[ts(type = "number")]
        previous_version: i64,
    },
    /// Someone pushed in between: nothing was sent; this is the diff against the new version.
    #[serde(rename_all = "camelCase")]
    Conflict {
        #[ts(type = "number")]
        expected: i64,
        preview: PushPreview,
    },
}

/// A pull through a server: the source its records are cached as, and how it went.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ServerPull {
    pub source: RecordSource,
    pub report: PullReport,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FieldDifference {
    pub field: String,
    pub studio: Value,
    pub server: Value,
}

/// The server's unified record against the studio's preview of the same record.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct VerifyReport {
    pub record_id: String,
    pub key: String,
    #[ts(type = "number")]
    pub mapping_version: i64,
    /// True when every field the studio shows is what the server serves.
    pub matches: bool,
    pub differences: Vec<FieldDifference>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ServerVersionInfo {
    #[ts(type = "number")]
    pub version: i64,
    pub created_at: String,
    pub key_name: Option<String>,
    pub note: Option<String>,
    #[ts(type = "number | null")]
    pub rolled_back_to: Option<i64>,
}

impl From<ClientError> for ServiceError {
    fn from(e: ClientError) -> ServiceError {
        // No answer: the code says why (`server_connection_refused`, `server_unknown_host`,
        // `server_tls_failed`, `server_timeout`, else `server_unreachable`), for the studio
        // to say what to do next.
        let code = match &e {
            ClientError::Unreachable { cause, .. } => format!("server_{}", cause.code()),
            _ => e.code().to_string(),
        };
        let mut error = ServiceError::new(&code, e.to_string());
        if let ClientError::Invalid { problems, .. } = &e {
            error.problems = problems
                .iter()
                .map(|p| ProblemInfo {
                    severity: "error".into(),
                    code: p.code.clone().unwrap_or_default(),
                    message: p.message.clone(),
                    file: None,
                    line: p.line.map(|n| n as u32),
                    column: None,
                    field: p.field.clone(),
                    step: p.step.map(|n| n as u32),
                })
                .collect();
        }
        error
    }
}

fn invalid(field: &str, message: impl Into<String>) -> ServiceError {
    ServiceError::new("invalid_server", message).at(crate::Location {
        field: Some(field.to_string()),
        ..Default::default()
    })
}

fn check_name(name: &str) -> Result<&str> {
    let name = name.trim();
    if name.is_empty()
        || name.len() > 40
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
    {
        return Err(invalid(
            "name",
            "a server name is 1 to 40 letters, digits, `-`, `_` or `.`",
        ));
    }
    Ok(name)
}

/// The workspace connection a server connection's records are cached under.
pub fn cache_name(server: &str, connection_name: &str) -> String {
    let name: String = connection_name
        .chars()
        .filter(|c| !c.is_control())
        .take(40)
        .collect();
    format!("{server}/{name}")
}

/// The server a workspace connection caches a connection of ([`cache_name`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CacheOrigin {
    pub server: String,
    /// The server was removed from the studio since: the cache still came through it (it
    /// has no Corrigo secret here), but nothing can be pulled through it any more.
    pub removed: bool,
}

/// The server a workspace connection caches a connection of ([`cache_name`]): named
/// `<server>/…` and pointing at that server's URL, a server added now or one removed since
/// (servers.json keeps the removed ones' names and URLs). Such a cache has no Corrigo secret
/// here (the server alone holds it), so it is pulled through the server, never tested or
/// pulled directly.
pub(crate) fn server_of_cache(dir: &Path, settings: &ConnectionSettings) -> Option<CacheOrigin> {
    let Endpoint::BaseUrl(url) = &settings.endpoint else {
        return None;
    };
    let caches = |s: &&StoredServer| {
        &s.url == url
            && settings
                .name
                .strip_prefix(s.name.as_str())
                .is_some_and(|rest| rest.starts_with('/'))
    };
    let file = read_servers(dir).ok()?;
    if let Some(live) = file.servers.iter().find(caches) {
        return Some(CacheOrigin {
            server: live.name.clone(),
            removed: false,
        });
    }
    file.removed.iter().find(caches).map(|s| CacheOrigin {
        server: s.name.clone(),
        removed: true,
    })
}

/// Refuses direct Corrigo work (test, pull) on a server connection's cache, saying what
/// to do instead (rather than failing on the secret it never had).
pub(crate) fn refuse_direct(dir: &Path, store: &unifield_store::Store, name: &str) -> Result<()> {
    let Ok(connection) = store.connection(name) else {
        return Ok(());
    };
    match server_of_cache(dir, &connection.settings) {
        Some(CacheOrigin {
            server,
            removed: false,
        }) => Err(ServiceError::new(
            "server_connection",
            format!(
                "`{name}` is a connection of server `{server}`, which holds its Corrigo credentials: \
                 pull it through the server (Servers → Preview through the server), not directly"
            ),
        )),
        Some(CacheOrigin {
            server,
            removed: true,
        }) => Err(ServiceError::new(
            "server_connection",
            format!(
                "`{name}` was pulled through server `{server}`, which was removed: the Corrigo \
                 credentials stay on that server, so its cached records can be used as a source \
                 but not pulled again (add the server again to pull through it)"
            ),
        )),
        None => Ok(()),
    }
}

fn servers_path(dir: &Path) -> PathBuf {
    dir.join(SERVERS_FILE)
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct ServersFile {
    servers: Vec<StoredServer>,
    /// Servers removed from the studio, most recent last: the records cached through them
    /// stay, and still say where they came from ([`server_of_cache`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    removed: Vec<StoredServer>,
}

/// The most removed servers servers.json remembers (the oldest are forgotten first).
const MAX_REMOVED_SERVERS: usize = 100;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredServer {
    name: String,
    url: String,
}

/// The most a servers file may hold: a name and a URL per server, far below this.
const MAX_SERVERS_FILE_BYTES: u64 = 1024 * 1024;

fn read_servers(dir: &Path) -> Result<ServersFile> {
    let path = servers_path(dir);
    let not_a_servers_file = |why: String| {
        ServiceError::new(
            "invalid_servers_file",
            format!("{} is not a servers file: {why}", path.display()),
        )
    };
    match crate::bounded_file::read_regular_file(&path, MAX_SERVERS_FILE_BYTES) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| not_a_servers_file(e.to_string())),
        Err(BoundedReadError::NotFound) => Ok(ServersFile::default()),
        Err(BoundedReadError::Io(e)) => Err(ServiceError::new(
            "io_error",
            format!("cannot read {}: {e}", path.display()),
        )),
        Err(why) => Err(not_a_servers_file(why.to_string())),
    }
}

fn write_servers(dir: &Path, servers: &ServersFile) -> Result<()> {
    let path = servers_path(dir);
    let text = serde_json::to_vec_pretty(servers).expect("servers serialize");
    files::write_atomically(&path, &text, Readers::Owner)
        .map_err(|e| ServiceError::new("io_error", format!("cannot write {}: {e}", path.display())))
}

/// Whether a server not added yet answers and accepts its key: it lists its connections.
/// Asks a server not added yet for its connections: it must answer and accept the key. A
/// refusal is placed at the field to change: no answer at `url`, a refused key at `apiKey`.
pub async fn probe_server(client: &ServerClient) -> Result<()> {
    let field = |e: &ClientError| match e {
        ClientError::Unreachable { .. } => Some("url"),
        ClientError::Unauthorized => Some("apiKey"),
        _ => None,
    };
    match client.connections().await {
        Ok(_) => Ok(()),
        Err(e) => {
            let at = field(&e);
            let error = ServiceError::from(e);
            Err(match at {
                Some(field) => error.at(crate::Location {
                    field: Some(field.to_string()),
                    ..Default::default()
                }),
                None => error,
            })
        }
    }
}

fn duplicate_server(name: &str) -> ServiceError {
    ServiceError::new(
        "duplicate_server",
        format!("a server named `{name}` exists already"),
    )
}

fn secret_error(e: unifield_workspace::SecretError) -> ServiceError {
    ServiceError::new(e.code(), e.to_string())
}

/// The servers' list and keys, without the studio: keyring calls can wait on the user
/// (an unlock prompt), so a shell makes them beside the studio's lock (see
/// [`Studio::server_access`]).
#[derive(Clone)]
pub struct ServerAccess {
    dir: PathBuf,
    secrets: std::sync::Arc<dyn unifield_workspace::SecretStore>,
}

impl ServerAccess {
    pub fn servers(&self) -> Result<Vec<ServerInfo>> {
        read_servers(&self.dir)?
            .servers
            .into_iter()
            .map(|s| {
                let has_key = self
                    .secrets
                    .exists(&key_entry(&s.name))
                    .map_err(secret_error)?;
                Ok(ServerInfo {
                    name: s.name,
                    url: s.url,
                    has_key,
                })
            })
            .collect()
    }

    /// Adds a server: its URL (https, or http on this machine) to the workspace, its API key
    /// to the keyring. Checked before anything is kept: the name, the URL and the key's form,
    /// then the server itself (it answers, and accepts the key, by listing its connections).
    /// A server that fails a check is not kept, so the list never holds one that cannot work.
    /// A shell that keeps keyring calls off its async workers runs the three steps itself,
    /// in this order: [`Self::check_new_server`], [`probe_server`], [`Self::keep_server`].
    pub async fn add_server(&self, new: &NewServer) -> Result<ServerInfo> {
        let client = self.check_new_server(new)?;
        probe_server(&client).await?;
        self.keep_server(new)
    }

    /// A client of a server not added yet, when its name, URL and key pass the checks.
    pub fn check_new_server(&self, new: &NewServer) -> Result<ServerClient> {
        let name = check_name(&new.name)?;
        let key = ApiKey::new(&new.api_key).map_err(|e| invalid("apiKey", e.to_string()))?;
        let client = ServerClient::new(&new.url, key).map_err(|e| invalid("url", e.to_string()))?;
        if read_servers(&self.dir)?
            .servers
            .iter()
            .any(|s| s.name == name)
        {
            return Err(duplicate_server(name));
        }
        Ok(client)
    }

    /// Keeps a checked server: its key in the keyring, then its entry in servers.json.
    pub fn keep_server(&self, new: &NewServer) -> Result<ServerInfo> {
        let name = check_name(&new.name)?;
        let key = ApiKey::new(&new.api_key).map_err(|e| invalid("apiKey", e.to_string()))?;
        let client =
            ServerClient::new(&new.url, key.clone()).map_err(|e| invalid("url", e.to_string()))?;
        // Read again: another add may have kept the name while this one was being checked.
        let mut file = read_servers(&self.dir)?;
        if file.servers.iter().any(|s| s.name == name) {
            return Err(duplicate_server(name));
        }
        self.secrets
            .set(&key_entry(name), key.expose())
            .map_err(secret_error)?;
        file.servers.push(StoredServer {
            name: name.to_string(),
            url: client.url().to_string(),
        });
        write_servers(&self.dir, &file)?;
        Ok(ServerInfo {
            name: name.to_string(),
            url: client.url().to_string(),
            has_key: true,
        })
    }

    /// Removes the server and its key. Records cached through it stay, as a connection that
    /// still says which server it came through (servers.json remembers the removed server).
    pub fn remove_server(&self, name: &str) -> Result<()> {
        let mut file = read_servers(&self.dir)?;
        let Some(at) = file.servers.iter().position(|s| s.name == name) else {
            return Err(unknown_server(name));
        };
        let removed = file.servers.remove(at);
        file.removed
            .retain(|s| !(s.name == removed.name && s.url == removed.url));
        file.removed.push(removed);
        let excess = file.removed.len().saturating_sub(MAX_REMOVED_SERVERS);
        file.removed.drain(..excess);
        write_servers(&self.dir, &file)?;
        self.secrets
            .delete(&key_entry(name))
            .map_err(secret_error)?;
        Ok(())
    }

    /// A client of the named server, its key read from the keyring.
    pub fn server_client(&self, name: &str) -> Result<ServerClient> {
        let file = read_servers(&self.dir)?;
        let server = file
            .servers
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| unknown_server(name))?;
        let key = self
            .secrets
            .get(&key_entry(name))
            .map_err(secret_error)?
            .ok_or_else(|| {
                ServiceError::new(
                    "missing_api_key",
                    format!("the keyring holds no API key for server `{name}`: remove the server and add it again"),
                )
            })?;
        let key = ApiKey::new(&key)?;
        Ok(ServerClient::new(&server.url, key)?)
    }
}

impl Studio {
    pub fn server_access(&self) -> ServerAccess {
        ServerAccess {
            dir: self.dir.clone(),
            secrets: std::sync::Arc::clone(&self.secrets),
        }
    }

    pub fn servers(&self) -> Result<Vec<ServerInfo>> {
        self.server_access().servers()
    }

    pub async fn add_server(&self, new: &NewServer) -> Result<ServerInfo> {
        self.server_access().add_server(new).await
    }

    pub fn remove_server(&self, name: &str) -> Result<()> {
        self.server_access().remove_server(name)
    }

    pub fn server_client(&self, name: &str) -> Result<ServerClient> {
        self.server_access().server_client(name)
    }

    /// A pull of a server connection's raw records into the workspace cache (under
    /// [`cache_name`]), on its own handle of the workspace.
    /// `client` is the named server's ([`ServerAccess::server_client`]).
    pub fn server_pull_job(
        &self,
        client: ServerClient,
        server: &str,
        connection_id: &str,
        entities: &[String],
    ) -> Result<ServerPullJob> {
        let known = unifield_bundle::source_entities();
        if let Some(unknown) = entities.iter().find(|e| !known.contains(e)) {
            return Err(ServiceError::new(
                "unknown_entity",
                format!("`{unknown}` is not an entity the mappings read"),
            ));
        }
        Ok(ServerPullJob {
            workspace: self.workspace.reopen()?,
            client,
            server: server.to_string(),
            connection_id: connection_id.to_string(),
            entities: if entities.is_empty() {
                known
            } else {
                entities.to_vec()
            },
        })
    }

    /// What pushing `text` to the connection would do, against `active` (the connection's
    /// active mapping of the same entity, from [`active_mapping`]), measured on the records
    /// of `source` (the connection's cache). `selected` is the record the studio has
    /// selected: the preview says whether the change affects it.
    pub fn push_preview(
        &mut self,
        source: &RecordSource,
        text: &str,
        active: &VersionedMapping,
        selected: Option<&str>,
    ) -> Result<PushPreview> {
        let started = Instant::now();
        let after_doc: Value = serde_json::from_str(text).map_err(|e| {
            ServiceError::new("invalid_json", format!("the mapping is not JSON: {e}"))
        })?;
        let before_doc: Value = serde_json::from_str(&active.text).unwrap_or(Value::Null);
        let changes = crate::mappings::diff_documents(&before_doc, &after_doc);
        let entity = after_doc
            .pointer("/target/entity")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let after = match unifield_engine::load(text, None) {
            Ok(mapping) => mapping,
            Err(error) => {
                return Ok(PushPreview {
                    entity,
                    active_version: active.version,
                    changes,
                    impact: Vec::new(),
                    records: 0,
                    skipped: 0,
                    skipped_before: 0,
                    affected: 0,
                    selected_affected: None,
                    problems: error.problems.iter().map(ProblemInfo::from).collect(),
                    blocked: true,
                    micros: started.elapsed().as_micros() as u64,
                })
            }
        };
        let problems: Vec<ProblemInfo> = after.problems.iter().map(ProblemInfo::from).collect();
        let blocked = problems.iter().any(|p| p.severity == "error");
        // The active version loaded on the server, so it loads here (same engine); if it
        // somehow does not, every field counts as new.
        let before = unifield_engine::load(&active.text, None).ok();
        let source_entity = after.doc.source.entity.clone();
        let set = self.records(source, &source_entity)?;
        let related_after = self.related(source, &after);
        let related_before = before.as_ref().map(|m| self.related(source, m));
        let labels: Vec<String> = after.fields.iter().map(|f| f.label()).collect();
        let before_index: Vec<Option<usize>> = labels
            .iter()
            .map(|label| {
                before
                    .as_ref()
                    .and_then(|m| m.fields.iter().position(|f| &f.label() == label))
            })
            .collect();
        let mut impact: Vec<FieldImpact> = labels
            .iter()
            .map(|field| FieldImpact {
                field: field.clone(),
                changed: 0,
                became_null: 0,
                start_failing: 0,
                examples: Vec::new(),
            })
            .collect();
        let mut records = 0u32;
        let (mut skipped, mut skipped_before) = (0u32, 0u32);
        let mut affected = 0u32;
        let mut selected_affected = None;
        for record in set.parsed(None) {
            records += 1;
            let is_selected =
                selected.is_some_and(|wanted| crate::records::record_id(&record) == wanted);
            let now = after.apply(&record, &related_after);
            let was = match (&before, &related_before) {
                (Some(m), Some(related)) => Some(m.apply(&record, related)),
                _ => None,
            };
            let taken_before = was.as_ref().is_none_or(|w| w.taken);
            if !taken_before {
                skipped_before += 1;
            }
            if !now.taken {
                skipped += 1;
            }
            // A record either version's filter skips has no field values to compare: it is
            // counted above, not as every field becoming null.
            if !now.taken || !taken_before {
                continue;
            }
            let mut record_changed = false;
            for (at, field) in impact.iter_mut().enumerate() {
                let after_value = now.values.get(at).unwrap_or(&Value::Null);
                let after_failed = matches!(now.outcomes.get(at), Some(FieldOutcome::Error));
                let (before_value, before_failed) = match (&was, before_index[at]) {
                    (Some(was), Some(b)) => (
                        was.values.get(b).unwrap_or(&Value::Null),
                        matches!(was.outcomes.get(b), Some(FieldOutcome::Error)),
                    ),
                    _ => (&Value::Null, false),
                };
                if after_failed && !before_failed {
                    field.start_failing += 1;
                } else if after_value.is_null() && !before_value.is_null() && !after_failed {
                    field.became_null += 1;
                }
                if after_value != before_value || after_failed != before_failed {
                    field.changed += 1;
                    record_changed = true;
                    if field.examples.len() < EXAMPLES_PER_FIELD {
                        field.examples.push(ImpactExample {
                            record_id: crate::records::record_id(&record),
                            before: before_value.clone(),
                            after: after_value.clone(),
                        });
                    }
                }
            }
            if record_changed {
                affected += 1;
            }
            if is_selected {
                selected_affected = Some(record_changed);
            }
        }
        impact.retain(|f| f.changed > 0);
        Ok(PushPreview {
            entity,
            active_version: active.version,
            changes,
            impact,
            records,
            skipped,
            skipped_before,
            affected,
            selected_affected,
            problems,
            blocked,
            micros: started.elapsed().as_micros() as u64,
        })
    }

    /// The studio's unified record for `record_id`, to compare with the server's.
    pub fn studio_record(
        &mut self,
        source: &RecordSource,
        text: &str,
        record_id: &str,
    ) -> Result<Value> {
        let preview = self.preview(source, text, record_id)?;
        if preview.problems.iter().any(|p| p.severity == "error") {
            return Err(ServiceError::new(
                "invalid_mapping",
                "the studio's mapping has errors: there is nothing to verify against",
            ));
        }
        preview.output.ok_or_else(|| {
            ServiceError::new(
                "record_skipped",
                format!("the mapping's source filter skips record `{record_id}`"),
            )
        })
    }
}

fn unknown_server(name: &str) -> ServiceError {
    ServiceError::new("unknown_server", format!("no server named `{name}`"))
}

/// The server's connections, each with its status.
pub async fn server_connections(client: &ServerClient) -> Result<Vec<ServerConnectionInfo>> {
    let mut out = Vec::new();
    for connection in client.connections().await? {
        let status = client.status(&connection.id).await?;
        let records_held = if status.status == "reauthorization_required" {
            Some(holds_records(client, &connection.id).await?)
        } else {
            None
        };
        out.push(ServerConnectionInfo {
            id: connection.id,
            name: connection.name,
            company: connection.company,
            status: status.status,
            reason: status.reason,
            action: status.action,
            last_sync: status.last_sync.map(|s| ServerSyncInfo {
                started_at: s.started_at,
                finished_at: s.finished_at,
                status: s.status,
                records: s.records,
                error: s.error,
            }),
            next_sync_at: status.next_sync_at,
            records_held,
        });
    }
    Ok(out)
}

/// Whether the server caches at least one record of the connection, of any entity the
/// mappings read (one record asked for per entity, until one is there).
async fn holds_records(client: &ServerClient, connection_id: &str) -> Result<bool> {
    for entity in unifield_bundle::source_entities() {
        if !client
            .raw_page(connection_id, &entity, None, 1)
            .await?
            .data
            .is_empty()
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Reconnect a connection that needs reauthorization: new Corrigo credentials, tested by the
/// server before it keeps them (refused ones change nothing). The connection as listed after.
/// `moved_to`: where the connection's Corrigo answers now, when it moved (none or blank:
/// where it was): a region (`am`, `emea`, `apac`, any case) or a base URL (https, or http on
/// this machine), checked before anything is sent.
pub async fn reconnect(
    client: &ServerClient,
    connection_id: &str,
    client_id: &str,
    client_secret: &str,
    moved_to: Option<&str>,
) -> Result<ServerConnectionInfo> {
    if client_id.trim().is_empty() || client_secret.trim().is_empty() {
        return Err(ServiceError::new(
            "invalid_credentials",
            "the client id and the client secret are both needed",
        ));
    }
    let moved_to = match moved_to.map(str::trim).filter(|u| !u.is_empty()) {
        Some(text) if unifield_workspace::Region::parse(text).is_some() => {
            Some(CorrigoEndpoint::Region(text.to_ascii_lowercase()))
        }
        Some(url) => Some(CorrigoEndpoint::BaseUrl(
            unifield_connection_rules::parse_base_url(url)
                .map_err(|e| {
                    ServiceError::new(
                        e.code(),
                        format!("base URL (or a region: am, emea, apac): {e}"),
                    )
                    .at(crate::Location {
                        field: Some("baseUrl".into()),
                        ..Default::default()
                    })
                })?
                .to_string(),
        )),
        None => None,
    };
    client
        .reconnect(
            connection_id,
            client_id.trim(),
            client_secret.trim(),
            moved_to.as_ref(),
        )
        .await
        .map_err(|e| reconnect_error(e, moved_to.is_some()))?;
    server_connections(client)
        .await?
        .into_iter()
        .find(|c| c.id == connection_id)
        .ok_or_else(|| ServiceError::new("server_not_found", "the connection vanished"))
}

/// A refused reconnect in the studio's words. The server checks the new region or base URL
/// before it keeps anything; when Corrigo does not answer there it says so with its retry
/// details (502 `corrigo_unavailable`), which read as a fault of the server rather than of
/// the address the user typed.
fn reconnect_error(e: ClientError, moved: bool) -> ServiceError {
    match &e {
        ClientError::Server { code, .. } if code == "corrigo_unavailable" => {
            let where_ = if moved {
                "that region/base URL"
            } else {
                "the connection's region/base URL"
            };
            let error = ServiceError::new(
                "corrigo_unavailable",
                format!(
                    "Nothing changed: Corrigo did not answer at {where_}. \
                     Check the region or base URL and try again."
                ),
            );
            if moved {
                error.at(crate::Location {
                    field: Some("baseUrl".into()),
                    ..Default::default()
                })
            } else {
                error
            }
        }
        _ => e.into(),
    }
}

/// The connection's active mapping of `entity` (a unified entity, `WorkOrder`) and its version.
pub async fn active_mapping(
    client: &ServerClient,
    connection_id: &str,
    entity: &str,
) -> Result<VersionedMapping> {
    Ok(client.active_mapping(connection_id, entity).await?)
}

/// Pushes `text` made against version `if_match` (the preview's `active_version`). A
/// mapping with errors is refused here, before anything is sent. On a conflict nothing is
/// sent: the caller makes a new preview against the version now active
/// ([`Studio::push_preview`]) and shows it.
pub async fn push(
    client: &ServerClient,
    connection_id: &str,
    text: &str,
    if_match: i64,
    note: Option<&str>,
) -> std::result::Result<(i64, i64), PushRefusal> {
    let mapping = crate::mappings::checked(text, None).map_err(PushRefusal::Error)?;
    let entity = mapping.doc.target.entity.clone();
    match client
        .push(connection_id, &entity, text, if_match, note)
        .await
    {
        Ok(published) => Ok((published.version, published.previous_version)),
        Err(ClientError::Conflict { expected, .. }) => {
            let active = client
                .active_mapping(connection_id, &entity)
                .await
                .map_err(|e| PushRefusal::Error(e.into()))?;
            Err(PushRefusal::Conflict { expected, active })
        }
        Err(other) => Err(PushRefusal::Error(other.into())),
    }
}

/// Why [`push`] sent nothing.
#[derive(Debug)]
pub enum PushRefusal {
    /// Another version is active: the new one, to diff against.
    Conflict {
        expected: i64,
        active: VersionedMapping,
    },
    Error(ServiceError),
}

/// Compares the server's unified record with the studio's, field by field (members whose
/// names start with `_`, such as `_source`, are the server's own and not compared).
pub async fn verify(
    client: &ServerClient,
    connection_id: &str,
    entity: &str,
    record_id: &str,
    studio: &Value,
) -> Result<VerifyReport> {
    let key = studio
        .get("key")
        .and_then(|k| match k {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .ok_or_else(|| {
            ServiceError::new(
                "no_record_key",
                "the studio's record has no key to ask the server for",
            )
        })?;
    let served = client.unified_record(connection_id, entity, &key).await?;
    let differences = compare(studio, &served.data);
    Ok(VerifyReport {
        record_id: record_id.to_string(),
        key,
        mapping_version: served.mapping_version,
        matches: differences.is_empty(),
        differences,
    })
}

/// The studio's record keeps custom fields under `custom`; the unified API under
/// `customFields` (Makini's name). A member absent on one side counts as null.
fn compare(studio: &Value, server: &Value) -> Vec<FieldDifference> {
    let mut studio = studio.clone();
    if let Some(object) = studio.as_object_mut() {
        if let Some(custom) = object.remove("custom") {
            object.insert("customFields".into(), custom);
        }
    }
    compare_members(&studio, server)
}

fn compare_members(studio: &Value, server: &Value) -> Vec<FieldDifference> {
    let empty = serde_json::Map::new();
    let ours = studio.as_object().unwrap_or(&empty);
    let theirs = server.as_object().unwrap_or(&empty);
    let mut names: Vec<&String> = ours.keys().collect();
    names.extend(theirs.keys().filter(|k| !ours.contains_key(*k)));
    let mut out = Vec::new();
    for name in names.into_iter().filter(|n| !n.starts_with('_')) {
        let a = ours.get(name).unwrap_or(&Value::Null);
        let b = theirs.get(name).unwrap_or(&Value::Null);
        if name == "customFields" {
            for difference in compare_members(a, b) {
                out.push(FieldDifference {
                    field: format!("customFields.{}", difference.field),
                    ..difference
                });
            }
        } else if a != b {
            out.push(FieldDifference {
                field: name.clone(),
                studio: a.clone(),
                server: b.clone(),
            });
        }
    }
    out
}

pub async fn server_versions(
    client: &ServerClient,
    connection_id: &str,
    entity: &str,
) -> Result<Vec<ServerVersionInfo>> {
    Ok(client
        .versions(connection_id, entity)
        .await?
        .into_iter()
        .map(|v| ServerVersionInfo {
            version: v.version,
            created_at: v.created_at,
            key_name: v.key_name,
            note: v.note,
            rolled_back_to: v.rolled_back_to,
        })
        .collect())
}

/// The changes from version `from` to version `to` of the connection's mapping of `entity`.
pub async fn server_version_diff(
    client: &ServerClient,
    connection_id: &str,
    entity: &str,
    from: i64,
    to: i64,
) -> Result<Vec<Change>> {
    let parse = |m: VersionedMapping| -> Result<Value> {
        serde_json::from_str(&m.text).map_err(|e| {
            ServiceError::new(
                "server_protocol",
                format!("version {} is not JSON: {e}", m.version),
            )
        })
    };
    let before = parse(client.version(connection_id, entity, from).await?)?;
    let after = parse(client.version(connection_id, entity, to).await?)?;
    Ok(crate::mappings::diff_documents(&before, &after))
}

/// The text of version `version` of the connection's mapping of `entity`: what the studio
/// previews to verify a rollback to it (the server then serves that version, not the
/// studio's mapping).
pub async fn version_text(
    client: &ServerClient,
    connection_id: &str,
    entity: &str,
    version: i64,
) -> Result<String> {
    Ok(client.version(connection_id, entity, version).await?.text)
}

/// Rolls the connection back to `version` (a new version equal to it): the new version.
pub async fn rollback(
    client: &ServerClient,
    connection_id: &str,
    entity: &str,
    version: i64,
) -> Result<i64> {
    Ok(client
        .rollback(connection_id, entity, version)
        .await?
        .version)
}

/// One webhook delivery of the organization, for the events panel.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryInfo {
    pub endpoint: String,
    pub event_type: String,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    pub attempts: u32,
    /// The receiver's status on the last attempt; none when no answer came.
    pub last_status: Option<u32>,
    pub last_error: Option<String>,
    pub created_at: String,
}

/// The organization's most recent webhook deliveries over every endpoint, newest first.
pub async fn recent_deliveries(client: &ServerClient, limit: usize) -> Result<Vec<DeliveryInfo>> {
    let limit = limit.clamp(1, 100);
    let text = |v: &Value, name: &str| {
        v.get(name)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let mut out = Vec::new();
    for endpoint in client.webhooks().await? {
        let id = text(&endpoint, "id");
        let url = text(&endpoint, "url");
        for delivery in client.deliveries(&id, limit).await? {
            let attempts = delivery
                .get("attempts")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let last = attempts
                .iter()
                .max_by_key(|a| a.get("attempt").and_then(Value::as_i64));
            out.push(DeliveryInfo {
                endpoint: url.clone(),
                event_type: text(&delivery, "event_type"),
                state: text(&delivery, "state"),
                attempts: attempts.len() as u32,
                last_status: last
                    .and_then(|a| a.get("status"))
                    .and_then(Value::as_u64)
                    .map(|s| s as u32),
                last_error: last
                    .and_then(|a| a.get("error"))
                    .and_then(Value::as_str)
                    .map(String::from),
                created_at: text(&delivery, "created_at"),
            });
        }
    }
    out.sort_by(|a, b| b.created_at.cmp(&a.created_at));
    out.truncate(limit);
    Ok(out)
}

/// See [`Studio::server_pull_job`].
pub struct ServerPullJob {
    workspace: Workspace,
    client: ServerClient,
    server: String,
    connection_id: String,
    entities: Vec<String>,
}

impl ServerPullJob {
    /// Pages each entity's raw records from the server into the cache, every page committed
    /// with its cursor: a cancel keeps the pages so far and the next run resumes after them.
    /// Returns the cache's connection name with the report.
    pub async fn run(
        mut self,
        job: u32,
        cancel: Cancel,
        mut progress: impl FnMut(PullProgress) + Send,
    ) -> Result<(String, PullReport)> {
        let connection = self
            .client
            .connections()
            .await?
            .into_iter()
            .find(|c| c.id == self.connection_id)
            .ok_or_else(|| {
                ServiceError::new(
                    "server_not_found",
                    format!("the server has no connection `{}`", self.connection_id),
                )
            })?;
        let name = cache_name(&self.server, &connection.name);
        let store = &mut self.workspace.store;
        if store.connection(&name).is_err() {
            // The cache is a workspace connection with no secret: its records came through
            // the server, which alone holds the Corrigo credentials.
            store.add_connection(
                &ConnectionSettings {
                    name: name.clone(),
                    company: connection.company.clone(),
                    endpoint: Endpoint::BaseUrl(self.client.url().to_string()),
                    client_id: connection.client_id.clone(),
                },
                chrono::Utc::now(),
            )?;
        }
        let mut report = PullReport {
            cancelled: false,
            entities: Vec::new(),
        };
        let of = self.entities.len() as u32;
        for (done, entity) in self.entities.iter().enumerate() {
            if cancel.is_cancelled() {
                report.cancelled = true;
                break;
            }
            let run = match store.unfinished_pull(&name, entity)? {
                Some(run) => store.claim_pull(run.id, chrono::Utc::now())?,
                None => store.begin_pull(&name, entity, None, chrono::Utc::now())?,
            };
            // What every record this run wrote holds: the server's `properties` of each page
            // it read, met (a sync on the server may narrow them between two pages).
            let mut held = store.run_properties(run.id)?;
            let mut cursor = run.cursor.clone();
            let mut pages = run.pages as u32;
            let mut records = run.records as u32;
            let mut entity_report = PullEntityReport {
                entity: entity.clone(),
                status: "completed".into(),
                records: 0,
                inserted: 0,
                updated: 0,
                unchanged: 0,
                error: None,
            };
            loop {
                progress(PullProgress {
                    job,
                    entity: entity.clone(),
                    done: done as u32,
                    of,
                    pages,
                    records,
                });
                if cancel.is_cancelled() {
                    store.finish_pull(run.id, PullStatus::Cancelled, None, chrono::Utc::now())?;
                    entity_report.status = PullStatus::Cancelled.as_str().into();
                    report.cancelled = true;
                    break;
                }
                let page = match self
                    .client
                    .raw_page(&self.connection_id, entity, cursor.as_deref(), PULL_PAGE)
                    .await
                {
                    Ok(page) => page,
                    Err(error) => {
                        let error = ServiceError::from(error);
                        store.finish_pull(
                            run.id,
                            PullStatus::Failed,
                            Some(&error.message),
                            chrono::Utc::now(),
                        )?;
                        entity_report.status = error.code.clone();
                        entity_report.error = Some(error.message);
                        break;
                    }
                };
                // What the server's cached records hold: the coverage panel compares it
                // with what the mapping reads. A server that does not say leaves the run's
                // set unknown, which counts as `*`.
                if !page.properties.is_empty() {
                    let now_held: Vec<String> = match held.take() {
                        Some(before) => before
                            .into_iter()
                            .filter(|p| page.properties.contains(p))
                            .collect(),
                        None => page.properties.clone(),
                    };
                    store.set_pull_properties(run.id, &now_held)?;
                    held = Some(now_held);
                }
                let rows: Vec<(String, Value)> = page
                    .data
                    .into_iter()
                    .map(|record| (crate::records::record_id(&record), record))
                    .collect();
                let outcome = store.commit_page(
                    run.id,
                    &rows,
                    page.next_cursor.as_deref(),
                    chrono::Utc::now(),
                )?;
                pages += 1;
                records += rows.len() as u32;
                entity_report.records += rows.len() as u32;
                entity_report.inserted += outcome.inserted as u32;
                entity_report.updated += outcome.updated as u32;
                entity_report.unchanged += outcome.unchanged as u32;
                match page.next_cursor {
                    Some(next) => cursor = Some(next),
                    None => {
                        store.finish_pull(
                            run.id,
                            PullStatus::Completed,
                            None,
                            chrono::Utc::now(),
                        )?;
                        break;
                    }
                }
            }
            report.entities.push(entity_report);
            if report.cancelled {
                break;
            }
        }
        Ok((name, report))
    }
}
