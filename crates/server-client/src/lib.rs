//! A client of the Unifield connection server's HTTP API (`unifield serve`), shared by the
//! studio and `unifield push`: connections and their status, raw records page by page, the
//! active mapping with its version (ETag), pushes with `If-Match` (a stale push is a typed
//! [`Error::Conflict`] carrying the version now active), versions, rollback, unified records
//! and webhook deliveries.
//!
//! The server's URL follows the same rule as a Corrigo base URL (https, or http on this
//! machine only): the API key travels in every request's `Authorization` header. The key is
//! held in an [`ApiKey`] whose `Debug` is redacted, and no error ever quotes it. Redirects are
//! never followed (they would carry the header elsewhere); answers and waits are bounded.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Duration;
use unifield_connection_rules::BaseUrl;

/// One request's bound, end to end (the server bounds its own work to 60 s).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(65);
/// The most a single answer may weigh (a raw page of 500 records is a few megabytes).
pub const ANSWER_LIMIT: usize = 64 << 20;
/// The most records one raw page asks for (the server's own maximum).
pub const RAW_PAGE_LIMIT: usize = 500;

/// The unified entities, as the model names them and as the unified API's URLs spell them.
pub const COLLECTIONS: [(&str, &str); 8] = [
    ("WorkOrder", "work-orders"),
    ("Asset", "assets"),
    ("Location", "locations"),
    ("Site", "sites"),
    ("User", "users"),
    ("Vendor", "vendors"),
    ("Customer", "customers"),
    ("Part", "parts"),
];

/// Where a connection's Corrigo answers: a region (`am`, `emea`, `apac`: the server finds
/// the company's API host through Corrigo's locator) or a base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorrigoEndpoint {
    Region(String),
    BaseUrl(String),
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("server URL: {0}")]
    Url(#[from] unifield_connection_rules::RuleError),
    #[error("the API key is empty or not printable text")]
    InvalidKey,
    #[error("`{0}` is not a unified entity (WorkOrder, Asset, Location, Site, User, Vendor, Customer, Part)")]
    UnknownEntity(String),
    /// No HTTP answer came: `cause` says why, for the person to act on; `reason` is the
    /// lowest-level error's text (an OS or TLS message: never the URL's path, never the key).
    #[error("cannot reach the server at {url}: {} ({reason})", cause.words())]
    Unreachable {
        url: String,
        cause: Unreachability,
        reason: String,
    },
    #[error("the server refused the API key (401): check the key, or whether it was revoked")]
    Unauthorized,
    #[error("not found on the server: {0}")]
    NotFound(String),
    /// Someone pushed (or rolled back) since the version the push was made against.
    #[error("the mapping changed on the server: version {active} is active, not {expected}")]
    Conflict { expected: i64, active: i64 },
    /// The server refused the mapping (422): every problem located.
    #[error("the server refused the mapping: {message}")]
    Invalid {
        message: String,
        problems: Vec<Problem>,
    },
    /// Corrigo refused the new credentials; the server changed nothing.
    #[error("Corrigo refused the new credentials; nothing changed: {0}")]
    CredentialsRefused(String),
    #[error("the server answered {status}: {message} [{code}]")]
    Server {
        status: u16,
        code: String,
        message: String,
    },
    #[error("the server's answer is not what its API describes: {0}")]
    Protocol(String),
}

impl Error {
    /// A stable code the UI and the CLI branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Url(rule) => rule.code(),
            Error::InvalidKey => "invalid_api_key",
            Error::UnknownEntity(_) => "unknown_entity",
            Error::Unreachable { .. } => "server_unreachable",
            Error::Unauthorized => "server_unauthorized",
            Error::NotFound(_) => "server_not_found",
            Error::Conflict { .. } => "version_mismatch",
            Error::Invalid { .. } => "invalid_mapping",
            Error::CredentialsRefused(_) => "credentials_refused",
            Error::Server { .. } => "server_error",
            Error::Protocol(_) => "server_protocol",
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a request got no HTTP answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unreachability {
    /// The host refused the connection: nothing listens on that port (or a firewall rejects it).
    Refused,
    /// The host name does not resolve (a typo, or no network / DNS).
    UnknownHost,
    /// The TLS handshake failed: the port does not speak https, or its certificate is not trusted.
    Tls,
    /// No answer in time (a firewall dropping packets, or a server that hangs).
    Timeout,
    /// Anything else (the connection dropped mid-answer, ...).
    Other,
}

impl Unreachability {
    /// A stable code the UI branches on (the studio prefixes `server_`).
    pub fn code(self) -> &'static str {
        match self {
            Unreachability::Refused => "connection_refused",
            Unreachability::UnknownHost => "unknown_host",
            Unreachability::Tls => "tls_failed",
            Unreachability::Timeout => "timeout",
            Unreachability::Other => "unreachable",
        }
    }

    /// The cause in words, for the error's text.
    pub fn words(self) -> &'static str {
        match self {
            Unreachability::Refused => "the connection was refused",
            Unreachability::UnknownHost => "the host name does not resolve",
            Unreachability::Tls => "the TLS (https) handshake failed",
            Unreachability::Timeout => "no answer in time",
            Unreachability::Other => "the connection failed",
        }
    }

    /// The cause of a request's failure, and the lowest-level error's text, read from the
    /// error's chain of sources by type (an OS error's kind, a rustls error), not from words,
    /// except hyper's resolver error, which is typed privately and named "dns error".
    fn of(error: &reqwest::Error) -> (Unreachability, String) {
        let mut cause = if error.is_timeout() {
            Some(Unreachability::Timeout)
        } else {
            None
        };
        let mut deepest = without_url_text(error);
        // An OS error's source() skips the error it wraps (hyper wraps tokio-rustls' io error,
        // which wraps the rustls error), so each io error's inner error is walked as well.
        let mut next: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(error);
        while let Some(at) = next {
            deepest = at.to_string();
            if at.downcast_ref::<rustls::Error>().is_some() {
                cause = cause.or(Some(Unreachability::Tls));
            }
            if at.to_string().starts_with("dns error") {
                cause = cause.or(Some(Unreachability::UnknownHost));
            }
            next = match at.downcast_ref::<std::io::Error>() {
                Some(io) => {
                    cause = cause.or(match io.kind() {
                        std::io::ErrorKind::ConnectionRefused => Some(Unreachability::Refused),
                        std::io::ErrorKind::TimedOut => Some(Unreachability::Timeout),
                        _ => None,
                    });
                    match io.get_ref() {
                        Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
                        None => at.source(),
                    }
                }
                None => at.source(),
            };
        }
        (cause.unwrap_or(Unreachability::Other), deepest)
    }
}

/// reqwest's own text without its URL (the lowest-level text, when its error has no source).
fn without_url_text(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    if let Some(url) = error.url() {
        text = text
            .replace(&format!(" ({url})"), "")
            .replace(url.as_str(), "");
    }
    text
}

/// A located problem of a refused mapping, as the server reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub line: Option<u64>,
    #[serde(default)]
    pub field: Option<String>,
    #[serde(default)]
    pub step: Option<u64>,
}

/// An organization's API key. `Debug` never shows it.
#[derive(Clone)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: &str) -> Result<ApiKey> {
        let key = key.trim();
        if key.is_empty() || key.len() > 200 || !key.chars().all(|c| c.is_ascii_graphic()) {
            return Err(Error::InvalidKey);
        }
        Ok(ApiKey(key.to_string()))
    }

    /// The key itself, for the keyring.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    pub id: String,
    pub name: String,
    pub company: String,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub base_url: Option<String>,
    pub client_id: String,
    /// `ok`, `syncing`, `reauthorization_required` or `error`.
    pub status: String,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastSync {
    pub started_at: String,
    #[serde(default)]
    pub finished_at: Option<String>,
    pub status: String,
    pub records: i64,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectionStatus {
    pub connection_id: String,
    pub status: String,
    #[serde(default)]
    pub reason: Option<String>,
    /// What to do about it, when something is needed.
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub last_sync: Option<LastSync>,
    #[serde(default)]
    pub next_sync_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RawPage {
    pub data: Vec<Value>,
    /// Pass back for the next page; none at the end.
    #[serde(default)]
    pub next_cursor: Option<String>,
    /// The Corrigo PropertySet every cached record of this entity holds (`*`, `Items.*`,
    /// …); empty from a server that does not say (older than this field). A server from
    /// before `sync_properties` said what its syncs ask for here, which records synced
    /// under an earlier mapping may lack.
    #[serde(default)]
    pub properties: Vec<String>,
    /// The PropertySet the server's syncs ask for now: more than `properties` while a
    /// sync pulling the entity whole (after a push of a mapping that reads more) is due.
    /// Empty from a server that does not say.
    #[serde(default)]
    pub sync_properties: Vec<String>,
}

/// A mapping file as the server holds it, with its version.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionedMapping {
    pub text: String,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MappingSummary {
    pub entity: String,
    pub active_version: i64,
    pub content_hash: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Version {
    pub version: i64,
    pub created_at: String,
    #[serde(default)]
    pub key_name: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    pub content_hash: String,
    #[serde(default)]
    pub rolled_back_to: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Published {
    pub entity: String,
    pub version: i64,
    pub previous_version: i64,
    pub content_hash: String,
}

/// One unified record as the server serves it, with the mapping version that made it.
#[derive(Debug, Clone, PartialEq)]
pub struct UnifiedRecord {
    pub data: Value,
    pub mapping_version: i64,
}

/// The URL segment of a unified entity (`WorkOrder` → `work-orders`).
pub fn collection_of(entity: &str) -> Result<&'static str> {
    COLLECTIONS
        .iter()
        .find(|(name, _)| *name == entity)
        .map(|(_, segment)| *segment)
        .ok_or_else(|| Error::UnknownEntity(entity.to_string()))
}

fn check_entity(entity: &str) -> Result<&str> {
    collection_of(entity).map(|_| entity)
}

/// A path segment taken from input (an id, a Corrigo entity, a record key), percent-encoded
/// so that it cannot change the path it is put in.
fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn version_of_etag(value: Option<&reqwest::header::HeaderValue>) -> Option<i64> {
    value?
        .to_str()
        .ok()?
        .trim()
        .trim_start_matches("W/")
        .trim_matches('"')
        .parse()
        .ok()
}

/// A client of one server with one organization's API key.
#[derive(Clone)]
pub struct ServerClient {
    base: BaseUrl,
    key: ApiKey,
    http: reqwest::Client,
}

impl std::fmt::Debug for ServerClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerClient")
            .field("base", &self.base.as_str())
            .field("key", &self.key)
            .finish()
    }
}

struct Answer {
    status: u16,
    etag: Option<i64>,
    body: Vec<u8>,
}

impl ServerClient {
    /// A client of the server at `url` (https, or http on loopback).
    pub fn new(url: &str, key: ApiKey) -> Result<ServerClient> {
        Self::with_timeout(url, key, REQUEST_TIMEOUT)
    }

    /// [`Self::new`] with each request bounded by `timeout` instead of [`REQUEST_TIMEOUT`]
    /// (connecting, by 10 s at most).
    pub fn with_timeout(url: &str, key: ApiKey, timeout: Duration) -> Result<ServerClient> {
        let base = unifield_connection_rules::parse_base_url(url)?;
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(10).min(timeout))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Unreachable {
                url: base.to_string(),
                cause: Unreachability::Other,
                reason: format!("cannot build the HTTP client: {e}"),
            })?;
        Ok(ServerClient { base, key, http })
    }

    pub fn url(&self) -> &str {
        self.base.as_str()
    }

    fn unreachable(&self, error: reqwest::Error) -> Error {
        // reqwest's text names the URL, never the headers, and the sources below it are OS
        // and TLS errors: the key cannot appear here.
        let (cause, reason) = Unreachability::of(&error);
        Error::Unreachable {
            url: self.base.to_string(),
            cause,
            reason,
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Answer> {
        let mut response = request
            .bearer_auth(&self.key.0)
            .send()
            .await
            .map_err(|e| self.unreachable(e))?;
        let status = response.status().as_u16();
        let etag = version_of_etag(response.headers().get(reqwest::header::ETAG));
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.unreachable(e))? {
            if body.len() + chunk.len() > ANSWER_LIMIT {
                return Err(Error::Protocol(format!(
                    "an answer larger than {} MiB",
                    ANSWER_LIMIT >> 20
                )));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer { status, etag, body })
    }

    /// The answer's JSON when it is a 2xx; the server's error, typed, otherwise.
    async fn json<T: serde::de::DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        what: &str,
    ) -> Result<(T, Option<i64>)> {
        let answer = self.send(request).await?;
        let answer = check(answer, what)?;
        let value = serde_json::from_slice(&answer.body)
            .map_err(|e| Error::Protocol(format!("{what}: {e}")))?;
        Ok((value, answer.etag))
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.get(format!("{}{path}", self.base))
    }

    /// The organization's connections.
    pub async fn connections(&self) -> Result<Vec<Connection>> {
        Ok(self
            .json(self.get("/api/connections"), "connections")
            .await?
            .0)
    }

    pub async fn status(&self, connection: &str) -> Result<ConnectionStatus> {
        let path = format!("/api/connections/{}/status", segment(connection));
        Ok(self.json(self.get(&path), "connection status").await?.0)
    }

    /// Asks for a sync now (202; a sync already running is a 409 server error).
    pub async fn sync(&self, connection: &str) -> Result<()> {
        let url = format!("{}/api/connections/{}/sync", self.base, segment(connection));
        let _: (Value, _) = self.json(self.http.post(url), "sync").await?;
        Ok(())
    }

    /// Reconnect: the server tests the new Corrigo credentials first and keeps them (and
    /// resumes syncing) only when Corrigo accepts them. The secret travels in the body only.
    /// `moved_to`: where the connection's Corrigo now answers, a region or a base URL, when
    /// it moved (none: where it was).
    pub async fn reconnect(
        &self,
        connection: &str,
        client_id: &str,
        client_secret: &str,
        moved_to: Option<&CorrigoEndpoint>,
    ) -> Result<ConnectionStatus> {
        let url = format!(
            "{}/api/connections/{}/credentials",
            self.base,
            segment(connection)
        );
        let mut body = serde_json::json!({
            "client_id": client_id,
            "client_secret": client_secret,
        });
        match moved_to {
            Some(CorrigoEndpoint::Region(region)) => {
                body["region"] = Value::String(region.clone());
            }
            Some(CorrigoEndpoint::BaseUrl(base_url)) => {
                body["base_url"] = Value::String(base_url.clone());
            }
            None => {}
        }
        let request = self.http.put(url).json(&body);
        let answer = self.send(request).await?;
        if answer.status == 422 {
            let body: Value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
            let message = body
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("refused")
                .chars()
                .take(500)
                .collect();
            return Err(Error::CredentialsRefused(message));
        }
        let answer = check(answer, "connection")?;
        serde_json::from_slice(&answer.body).map_err(|e| Error::Protocol(format!("reconnect: {e}")))
    }

    /// One page of a connection's cached raw Corrigo records of `entity` (`WorkOrder`,
    /// `Location`, …), from `cursor` (none: the first page).
    pub async fn raw_page(
        &self,
        connection: &str,
        corrigo_entity: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<RawPage> {
        let limit = limit.clamp(1, RAW_PAGE_LIMIT).to_string();
        let mut query = vec![("limit", limit.as_str())];
        if let Some(cursor) = cursor {
            query.push(("cursor", cursor));
        }
        let path = format!(
            "/api/connections/{}/raw/{}",
            segment(connection),
            segment(corrigo_entity)
        );
        Ok(self
            .json(self.get(&path).query(&query), "raw records")
            .await?
            .0)
    }

    pub async fn mappings(&self, connection: &str) -> Result<Vec<MappingSummary>> {
        let path = format!("/api/connections/{}/mappings", segment(connection));
        Ok(self.json(self.get(&path), "mappings").await?.0)
    }

    /// The active mapping of a unified entity and its version (the ETag).
    pub async fn active_mapping(&self, connection: &str, entity: &str) -> Result<VersionedMapping> {
        let path = format!(
            "/api/connections/{}/mappings/{}",
            segment(connection),
            check_entity(entity)?
        );
        let answer = check(self.send(self.get(&path)).await?, "active mapping")?;
        let version = answer
            .etag
            .ok_or_else(|| Error::Protocol("the active mapping came without an ETag".into()))?;
        let text = String::from_utf8(answer.body)
            .map_err(|_| Error::Protocol("the active mapping is not UTF-8".into()))?;
        Ok(VersionedMapping { text, version })
    }

    pub async fn versions(&self, connection: &str, entity: &str) -> Result<Vec<Version>> {
        let path = format!(
            "/api/connections/{}/mappings/{}/versions",
            segment(connection),
            check_entity(entity)?
        );
        Ok(self.json(self.get(&path), "versions").await?.0)
    }

    pub async fn version(
        &self,
        connection: &str,
        entity: &str,
        version: i64,
    ) -> Result<VersionedMapping> {
        let path = format!(
            "/api/connections/{}/mappings/{}/versions/{version}",
            segment(connection),
            check_entity(entity)?
        );
        let answer = check(self.send(self.get(&path)).await?, "mapping version")?;
        let text = String::from_utf8(answer.body)
            .map_err(|_| Error::Protocol("the mapping version is not UTF-8".into()))?;
        Ok(VersionedMapping { text, version })
    }

    /// Pushes `text` as the entity's new version, made against version `if_match`. When
    /// another version became active meanwhile: [`Error::Conflict`] with it.
    pub async fn push(
        &self,
        connection: &str,
        entity: &str,
        text: &str,
        if_match: i64,
        note: Option<&str>,
    ) -> Result<Published> {
        let url = format!(
            "{}/api/connections/{}/mappings/{}",
            self.base,
            segment(connection),
            check_entity(entity)?
        );
        let mut request = self
            .http
            .put(url)
            .header(reqwest::header::IF_MATCH, format!("\"{if_match}\""))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(text.to_string());
        if let Some(note) = note {
            request = request.query(&[("note", note)]);
        }
        let answer = self.send(request).await?;
        if answer.status == 412 {
            return Err(conflict(if_match, &answer));
        }
        let answer = check(answer, "push")?;
        serde_json::from_slice(&answer.body).map_err(|e| Error::Protocol(format!("push: {e}")))
    }

    /// Makes a new version equal to `version`.
    pub async fn rollback(
        &self,
        connection: &str,
        entity: &str,
        version: i64,
    ) -> Result<Published> {
        let url = format!(
            "{}/api/connections/{}/mappings/{}/rollback",
            self.base,
            segment(connection),
            check_entity(entity)?
        );
        let request = self
            .http
            .post(url)
            .json(&serde_json::json!({ "version": version }));
        let answer = self.send(request).await?;
        if answer.status == 412 {
            return Err(conflict(version, &answer));
        }
        let answer = check(answer, "rollback")?;
        serde_json::from_slice(&answer.body).map_err(|e| Error::Protocol(format!("rollback: {e}")))
    }

    /// The unified record `key` of `entity` as the connection serves it now.
    pub async fn unified_record(
        &self,
        connection: &str,
        entity: &str,
        key: &str,
    ) -> Result<UnifiedRecord> {
        let path = format!(
            "/api/connections/{}/eam/{}/{}",
            segment(connection),
            collection_of(entity)?,
            segment(key)
        );
        let (mut envelope, _): (Value, _) = self.json(self.get(&path), "unified record").await?;
        let mapping_version = envelope
            .pointer("/meta/mapping_version")
            .and_then(Value::as_i64)
            .ok_or_else(|| {
                Error::Protocol("a unified record without meta.mapping_version".into())
            })?;
        let data = envelope
            .get_mut("data")
            .map(Value::take)
            .ok_or_else(|| Error::Protocol("a unified record without data".into()))?;
        Ok(UnifiedRecord {
            data,
            mapping_version,
        })
    }

    /// The organization's webhook endpoints, as the server describes them.
    pub async fn webhooks(&self) -> Result<Vec<Value>> {
        Ok(self.json(self.get("/api/webhooks"), "webhooks").await?.0)
    }

    /// An endpoint's recent deliveries, newest first, each with its attempts.
    pub async fn deliveries(&self, webhook: &str, limit: usize) -> Result<Vec<Value>> {
        let path = format!("/api/webhooks/{}/deliveries", segment(webhook));
        let limit = limit.clamp(1, 100).to_string();
        Ok(self
            .json(self.get(&path).query(&[("limit", limit)]), "deliveries")
            .await?
            .0)
    }
}

fn conflict(expected: i64, answer: &Answer) -> Error {
    match answer.etag {
        Some(active) => Error::Conflict { expected, active },
        None => server_error(answer),
    }
}

fn check(answer: Answer, what: &str) -> Result<Answer> {
    match answer.status {
        200..=299 => Ok(answer),
        401 => Err(Error::Unauthorized),
        404 => Err(Error::NotFound(what.to_string())),
        422 => {
            let body: Value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
            let message = body
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("the mapping does not load")
                .to_string();
            let problems = body
                .get("problems")
                .and_then(|p| serde_json::from_value(p.clone()).ok())
                .unwrap_or_default();
            Err(Error::Invalid { message, problems })
        }
        _ => Err(server_error(&answer)),
    }
}

fn server_error(answer: &Answer) -> Error {
    let body: Value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
    let text = |name: &str| {
        body.get(name)
            .and_then(Value::as_str)
            .map(|s| s.chars().take(500).collect::<String>())
    };
    Error::Server {
        status: answer.status,
        code: text("code").unwrap_or_else(|| "unknown".into()),
        message: text("message").unwrap_or_else(|| "no description".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_cannot_change_the_path() {
        assert_eq!(segment("abc-1_2.x"), "abc-1_2.x");
        assert_eq!(segment("../x?y#z"), "..%2Fx%3Fy%23z");
    }

    #[test]
    fn the_key_is_never_shown() {
        let key = ApiKey::new(" uf_secret123 ").unwrap();
        assert_eq!(key.expose(), "uf_secret123");
        let client = ServerClient::new("http://127.0.0.1:1", key).unwrap();
        assert!(!format!("{client:?}").contains("secret123"));
        assert!(ApiKey::new("").is_err());
        assert!(ApiKey::new("with space").is_err());
    }

    #[test]
    fn cleartext_is_refused_off_this_machine() {
        let key = ApiKey::new("k").unwrap();
        let error = ServerClient::new("http://example.com", key.clone()).unwrap_err();
        assert_eq!(error.code(), "insecure_url");
        assert!(ServerClient::new("https://example.com", key.clone()).is_ok());
        assert_eq!(
            ServerClient::new("https://u:p@example.com", key)
                .unwrap_err()
                .code(),
            "url_with_credentials"
        );
    }
}
