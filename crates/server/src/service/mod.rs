//! The service layer: everything the HTTP handlers and the CLI ask for, with no HTTP in
//! it. Handlers parse, call one function here, and render its result or error.

mod connections;
mod mappings;
mod orgs;
mod sync;
mod unified;

pub use connections::{ConnectionInput, ConnectionView, CredentialsInput, StatusView, SyncView};
pub use mappings::{MappingSummary, PublishOutcome, VersionView};
pub use orgs::{CreatedKey, KeyView};
pub use sync::{SyncOutcome, STOPPED as SYNC_STOPPED};
pub use unified::{
    envelope, CancelOnDrop, FieldFilter, FilterOp, ListQuery, PageTiming, ScanCancel, UnifiedPage,
    MAX_PER_PAGE,
};

use crate::crypto::MasterKey;
use crate::error::{Error, Result};
use crate::storage::{timestamp, NewEvent, Principal, Storage};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use unifield_engine::Mapping;

/// Settings of a running service.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Time between a connection's syncs.
    pub sync_interval: Duration,
    /// Options of the Corrigo clients the syncs use.
    pub corrigo: unifield_corrigo_client::Options,
    /// Records per Corrigo page in a sync.
    pub page_size: usize,
    /// Webhook delivery: URL policy (--allow-insecure-webhooks), timeout, retry schedule.
    pub webhooks: crate::webhooks::WebhookSettings,
    /// How long a node's claim on a connection's sync lasts without renewal (it is renewed
    /// after every page); a dead node's sync is taken over after it.
    pub sync_lease: Duration,
    /// `--allow-loopback-connections`: connections may use an http:// base URL on this
    /// machine (the sandbox; on for `--demo`). Off, connection hosts get the webhook
    /// address policy: https only, public addresses only, checked when a connection is
    /// saved and at every connection Corrigo's client makes.
    pub allow_loopback_connections: bool,
    /// How connection hosts are resolved: the system's resolver when `None`. Tests give a
    /// fixed table (a name that turns into 127.0.0.1 between save and sync).
    pub connection_lookup: Option<crate::webhooks::SharedLookup>,
    /// Connections one organization may have (`connection_limit_reached`, 409, beyond).
    pub max_connections_per_org: usize,
    /// Live (unrevoked) connection tokens one organization may have over all its
    /// connections (`token_limit_reached`, 409, beyond).
    pub max_tokens_per_org: usize,
    /// Requests served at once; more are refused at once with 503 `overloaded` and
    /// `Retry-After` rather than queued.
    pub max_concurrent_requests: usize,
    /// Requests one organization (its keys and its connections' tokens together) may have
    /// in progress on this node at once, counted after authentication; more are answered
    /// 429 `too_many_requests` with `Retry-After`, so one tenant cannot take every slot of
    /// [`Settings::max_concurrent_requests`]. None: half of them (at least 1).
    pub max_concurrent_requests_per_org: Option<usize>,
    /// What `Retry-After` says on an `overloaded` answer.
    pub overload_retry_after: Duration,
    /// The whole request body must arrive within this (408 `body_timeout`), so a slow
    /// upload holds its request slot seconds, not the whole [`Settings::request_timeout`].
    pub body_read_timeout: Duration,
    /// A request's line and headers must arrive within this, counted from the connection's
    /// opening or, on a keep-alive, from the previous answer; else the connection is closed
    /// (see src/accept.rs). 10 s by default.
    pub header_read_timeout: Duration,
    /// HTTP connections open at once on this node; beyond it no more are accepted until one
    /// closes (clients wait in the listen backlog), so connections cannot use up the
    /// process's file descriptors. 512 by default.
    pub max_open_connections: usize,
    /// No request takes longer than this to answer (503 `timeout`); a filter still running
    /// then stops at its next record.
    pub request_timeout: Duration,
    /// `--server-timing-load`: `Server-Timing` also names `auth` (the key's lookup), `db`
    /// (database reads) and `queue` (the wait for a worker thread). They measure the whole
    /// node's load as much as the request, which any authenticated caller of any
    /// organization could then watch: off by default, for an operator diagnosing a node.
    /// `map` and `json` (this request's own mapping and serialisation) are always sent.
    pub server_timing_load: bool,
    /// A revoked connection token is listed (with `revoked_at`) this long, then deleted
    /// (see `Service::revoke_token`). 30 days by default.
    pub revoked_token_grace: Duration,
    /// A revoked API key is listed (with `revoked_at`) this long, then deleted by a later
    /// key revocation of its organization (see `Service::revoke_key`). 30 days by default.
    pub revoked_key_grace: Duration,
    /// Syncs of one organization's connections the scheduler runs at once on this node
    /// (of its `MAX_CONCURRENT_SYNCS`, 8); its other due syncs wait for a free place,
    /// so one organization cannot take every slot. 2 by default.
    pub max_concurrent_syncs_per_org: usize,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            sync_interval: Duration::from_secs(15 * 60),
            corrigo: unifield_corrigo_client::Options::default(),
            page_size: 500,
            webhooks: Default::default(),
            sync_lease: Duration::from_secs(120),
            allow_loopback_connections: false,
            connection_lookup: None,
            max_connections_per_org: 100,
            max_tokens_per_org: 1000,
            max_concurrent_requests: 256,
            max_concurrent_requests_per_org: None,
            overload_retry_after: Duration::from_secs(1),
            body_read_timeout: crate::http::BODY_READ_TIMEOUT,
            request_timeout: crate::http::REQUEST_TIMEOUT,
            header_read_timeout: Duration::from_secs(10),
            max_open_connections: 512,
            server_timing_load: false,
            revoked_token_grace: Duration::from_secs(30 * 24 * 3600),
            revoked_key_grace: Duration::from_secs(30 * 24 * 3600),
            max_concurrent_syncs_per_org: 2,
        }
    }
}

impl Settings {
    /// [`Settings::max_concurrent_syncs_per_org`], from 1 to the node's limit.
    pub fn syncs_per_org(&self) -> usize {
        self.max_concurrent_syncs_per_org
            .clamp(1, sync::MAX_CONCURRENT_SYNCS)
    }

    /// Requests one organization may have in progress at once on this node: the setting,
    /// else half of [`Settings::max_concurrent_requests`]; never 0 and never more than the
    /// node's limit.
    pub fn requests_per_org(&self) -> usize {
        let node = self.max_concurrent_requests.max(1);
        self.max_concurrent_requests_per_org
            .unwrap_or(node / 2)
            .clamp(1, node)
    }
}

/// The most requests a node may be told to serve at once (`--max-concurrent-requests`):
/// far below tokio's `Semaphore::MAX_PERMITS` (whose excess panics at start) and far above
/// what one node serves well, a bound against a typo.
pub const MAX_CONCURRENT_REQUESTS: usize = 100_000;

/// The most connections, and the most live connection tokens, one organization may be
/// allowed (`--max-connections-per-org`, `--max-tokens-per-org`): a bound against a typo
/// that would switch the per-organization caps off.
pub const MAX_PER_ORG_LIMIT: usize = 1_000_000;

/// Checks `--max-concurrent-requests`: a whole number from 1 to [`MAX_CONCURRENT_REQUESTS`].
pub fn parse_max_concurrent_requests(text: &str) -> std::result::Result<usize, String> {
    parse_bounded(text, MAX_CONCURRENT_REQUESTS)
}

/// Checks `--max-open-connections`: a whole number from 1 to [`MAX_PER_ORG_LIMIT`] (each
/// open connection holds a file descriptor; the process's limit is the real bound).
pub fn parse_max_open_connections(text: &str) -> std::result::Result<usize, String> {
    parse_bounded(text, MAX_PER_ORG_LIMIT)
}

/// Checks `--max-concurrent-syncs-per-org`: a whole number from 1 to the node's
/// `MAX_CONCURRENT_SYNCS` (8).
pub fn parse_max_concurrent_syncs_per_org(text: &str) -> std::result::Result<usize, String> {
    parse_bounded(text, sync::MAX_CONCURRENT_SYNCS)
}

/// Checks `--max-connections-per-org` and `--max-tokens-per-org`: a whole number from 1 to
/// [`MAX_PER_ORG_LIMIT`].
pub fn parse_per_org_limit(text: &str) -> std::result::Result<usize, String> {
    parse_bounded(text, MAX_PER_ORG_LIMIT)
}

fn parse_bounded(text: &str, most: usize) -> std::result::Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=most).contains(&n) => Ok(n),
        _ => Err(format!(
            "a whole number from 1 to {most} is expected, not {text:?}"
        )),
    }
}

/// Compiled mappings, keyed by the version they were compiled from: a reader looks the
/// active version up in the same request and can never be served an older compile.
type MappingCache = HashMap<(String, String, i64), Arc<Mapping>>;

pub struct Service {
    pub storage: Storage,
    /// None for administrative use (organizations and keys) that opens no secret.
    key: Option<MasterKey>,
    pub settings: Settings,
    compiled: Mutex<MappingCache>,
    /// Connections with a sync in flight on this node, each with its organization's id.
    syncing: Mutex<HashMap<String, String>>,
    /// Scans of every cached record of an entity (filters, sorts, lookups of a key that is
    /// not the source id, the records `lookup` steps read) started, and those stopped
    /// because their request had ended (see [`Service::scan_counts`]).
    pub(crate) scans_started: std::sync::atomic::AtomicU64,
    pub(crate) scans_cancelled: std::sync::atomic::AtomicU64,
    /// Wakes the scheduler (a sync was asked for).
    pub(crate) wake: tokio::sync::Notify,
    /// This node's name in sync leases: the health endpoint's name plus a random suffix,
    /// so that two services in one process are two nodes.
    pub node: String,
    /// Set when the node shuts down: syncs stop after the page in hand, the webhook worker
    /// claims nothing more (see [`crate::RunningServer::shutdown`]).
    pub(crate) stopping: std::sync::atomic::AtomicBool,
}

/// The unified entities served, as the model names them and as the URL spells them.
pub const ENTITIES: [(&str, &str); 8] = [
    ("WorkOrder", "work-orders"),
    ("Asset", "assets"),
    ("Location", "locations"),
    ("Site", "sites"),
    ("User", "users"),
    ("Vendor", "vendors"),
    ("Customer", "customers"),
    ("Part", "parts"),
];

/// The model entity a URL segment names (`work-orders` → `WorkOrder`).
pub fn entity_of_segment(segment: &str) -> Result<&'static str> {
    ENTITIES
        .iter()
        .find(|(_, s)| *s == segment)
        .map(|(e, _)| *e)
        .ok_or_else(|| {
            Error::NotFound(format!(
                "unified collection `{segment}` (known: {})",
                ENTITIES.map(|(_, s)| s).join(", ")
            ))
        })
}

/// A model entity name as given in a mapping URL (`WorkOrder`).
pub fn check_entity(entity: &str) -> Result<&'static str> {
    ENTITIES
        .iter()
        .find(|(e, _)| *e == entity)
        .map(|(e, _)| *e)
        .ok_or_else(|| {
            Error::NotFound(format!(
                "mapping entity `{entity}` (known: {})",
                ENTITIES.map(|(e, _)| e).join(", ")
            ))
        })
}

impl Service {
    pub fn new(storage: Storage, key: Option<MasterKey>, settings: Settings) -> Service {
        Service {
            storage,
            key,
            settings,
            compiled: Mutex::new(HashMap::new()),
            syncing: Mutex::new(HashMap::new()),
            scans_started: std::sync::atomic::AtomicU64::new(0),
            scans_cancelled: std::sync::atomic::AtomicU64::new(0),
            wake: tokio::sync::Notify::new(),
            node: format!(
                "{}/{}",
                crate::http::node_name(),
                crate::crypto::new_id("n")
                    .unwrap_or_else(|_| format!("{:?}", std::time::Instant::now()))
            ),
            stopping: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// The compiled mapping of a stored version (compiled once per version).
    pub(crate) fn compiled(
        &self,
        connection_id: &str,
        entity: &str,
        version: i64,
        body: &str,
    ) -> Result<Arc<Mapping>> {
        let key = (connection_id.to_string(), entity.to_string(), version);
        if let Some(found) = self
            .compiled
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return Ok(Arc::clone(found));
        }
        let mapping = unifield_engine::load(body, Some(entity)).map_err(|e| {
            Error::Internal(format!(
                "stored mapping {entity} v{version} of {connection_id} no longer loads: {e}"
            ))
        })?;
        let mapping = Arc::new(mapping);
        let mut cache = self.compiled.lock().unwrap_or_else(|p| p.into_inner());
        // Bounded: old versions are dropped wholesale when the cache grows large.
        if cache.len() > 512 {
            cache.clear();
        }
        cache.insert(key, Arc::clone(&mapping));
        Ok(mapping)
    }

    pub(crate) fn key(&self) -> Result<&MasterKey> {
        self.key.as_ref().ok_or_else(|| {
            Error::MasterKey("this process was opened without the master key".into())
        })
    }

    /// The principal a bearer credential names.
    pub fn authenticate(&self, bearer: &str) -> Result<Principal> {
        self.storage
            .principal(&crate::crypto::sha256_hex(bearer))?
            .ok_or(Error::Unauthorized)
    }
}

/// An event row for the outbox: payload `{"type","timestamp","data"}`, with
/// `data.connection_id` where there is a connection.
pub(crate) fn event(
    org_id: &str,
    connection_id: Option<&str>,
    kind: &str,
    mut data: Value,
) -> Result<NewEvent> {
    let now = timestamp(chrono::Utc::now());
    if let (Some(id), Some(object)) = (connection_id, data.as_object_mut()) {
        object.insert("connection_id".into(), json!(id));
    }
    let payload = json!({"type": kind, "timestamp": now, "data": data});
    Ok(NewEvent {
        id: crate::crypto::new_id("evt")?,
        org_id: org_id.to_string(),
        connection_id: connection_id.map(String::from),
        kind: kind.to_string(),
        payload: payload.to_string(),
        created_at: now,
    })
}

/// Now, as stored.
pub fn now_text() -> String {
    now()
}

pub(crate) fn now() -> String {
    timestamp(chrono::Utc::now())
}
