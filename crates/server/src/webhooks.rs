//! Webhook subscriptions and their delivery, on top of the `events` outbox.
//!
//! - Endpoints belong to an organization; each has a `whsec_` signing secret, shown at
//!   creation and at rotation only, stored sealed with the master key (as connection
//!   secrets are). A rotation keeps the old secret signing for 24 hours.
//! - The delivery worker (unifield-webhooks) runs over [`ServerDeliveries`]: each pass fans
//!   new outbox events out into `webhook_deliveries` and claims due heads of line. Sending,
//!   signing, the URL policy and the retry schedule are the webhooks crate's.
//! - URLs are checked when saved (scheme, credentials, literal addresses) and again, by
//!   address, on every connection the worker makes.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use unifield_webhooks::policy::HostLookup;
use unifield_webhooks::{
    AttemptRecord, DeliveryClient, DeliveryClientConfig, DeliveryStore, DeliveryWorker,
    DestinationPolicy, DueDelivery, EventType, NextStep, RetrySchedule, SigningSecret, StoreError,
    WorkerConfig,
};

use crate::error::{Error, Result};
use crate::service::{event, now, Service};
use crate::storage::{
    timestamp, ClaimedWebhookDelivery, WebhookAttemptRow, WebhookEndpointChange,
    WebhookEndpointRow, WebhookNext,
};

/// How long a rotated-out secret keeps signing.
pub const PREVIOUS_SECRET_GRACE: Duration = Duration::from_secs(24 * 3600);
/// Bounds on what an organization can subscribe.
pub const MAX_ENDPOINTS_PER_ORG: usize = 50;
pub const MAX_DESCRIPTION_CHARS: usize = 500;
pub const MAX_EVENTS_PER_ENDPOINT: usize = 32;
/// Deliveries listed per request at most.
pub const MAX_DELIVERIES_LISTED: usize = 500;
/// Events fanned out per worker pass.
const FAN_OUT_BATCH: usize = 1000;
/// How often, and how much at a time, finished deliveries past retention are deleted.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
const PRUNE_BATCH: usize = 10_000;

/// How deliveries are made.
/// A host-name resolver for deliveries, shareable inside [`WebhookSettings`].
#[derive(Clone)]
pub struct SharedLookup(pub Arc<dyn HostLookup>);

impl std::fmt::Debug for SharedLookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedLookup")
    }
}

#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// `--allow-insecure-webhooks`: http:// and loopback receivers (local development).
    pub allow_insecure: bool,
    pub schedule: RetrySchedule,
    /// What a receiver has to answer within.
    pub timeout: Duration,
    /// How often an idle worker looks for work (new events are found within this).
    pub poll_interval: Duration,
    pub max_in_flight: usize,
    /// Finished deliveries (and their attempts) are deleted this long after they finished.
    pub retention: Duration,
    /// How deliveries resolve names: the system's resolver when `None`. Tests that must
    /// never look a generated name up give one that resolves nothing.
    pub lookup: Option<SharedLookup>,
    /// Endpoints one organization may have ([`MAX_ENDPOINTS_PER_ORG`] by default; 409
    /// `webhook_limit_reached` beyond).
    pub max_endpoints_per_org: usize,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            allow_insecure: false,
            schedule: RetrySchedule::default(),
            timeout: unifield_webhooks::send::DEFAULT_TIMEOUT,
            poll_interval: Duration::from_millis(50),
            max_in_flight: 32,
            retention: Duration::from_secs(30 * 24 * 3600),
            lookup: None,
            max_endpoints_per_org: MAX_ENDPOINTS_PER_ORG,
        }
    }
}

impl WebhookSettings {
    fn policy(&self) -> DestinationPolicy {
        DestinationPolicy {
            allow_insecure_loopback: self.allow_insecure,
        }
    }
}

/// `POST /api/webhooks`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    /// Where deliveries are POSTed: https:// (http:// only to loopback on a server started
    /// with --allow-insecure-webhooks).
    pub url: String,
    /// Event types to receive, or `*` for all of them.
    pub events: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// `PATCH /api/webhooks/{id}`: the fields given change.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub description: Option<String>,
    /// `true` re-enables a disabled endpoint (its held deliveries resume, in order).
    pub enabled: Option<bool>,
}

/// An endpoint as the API shows it (never with its secret).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WebhookView {
    pub id: String,
    pub url: String,
    pub description: String,
    pub events: Vec<String>,
    pub enabled: bool,
    /// Why the endpoint was disabled (the end of the retry schedule, or a refused URL).
    pub disabled_reason: Option<String>,
    /// When it was disabled. On the database's clock (PostgreSQL), as every node reads it;
    /// with SQLite, the server's.
    pub disabled_at: Option<String>,
    /// Until when the secret before the last rotation still signs. On the database's clock (PostgreSQL), as every node reads it; with SQLite, the server's.
    pub previous_secret_expires_at: Option<String>,
    /// Only events made after it are sent to it. On the database's clock (PostgreSQL), as every node reads it; with SQLite, the server's.
    pub created_at: String,
    pub updated_at: String,
}

/// An endpoint with its signing secret: only in the answer to creation and rotation.
#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct WebhookWithSecret {
    pub endpoint: WebhookView,
    /// `whsec_…`: shown this once; verify deliveries with it (Standard Webhooks).
    pub secret: String,
}

/// Redacted: a `{:?}` in a log line or an error must not print the signing secret.
impl std::fmt::Debug for WebhookWithSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookWithSecret")
            .field("endpoint", &self.endpoint)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// One attempt of a delivery.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttemptView {
    pub attempt: i64,
    /// When the attempt started. On the database's clock (PostgreSQL), as every node reads it; with SQLite, the server's.
    pub started_at: String,
    /// The receiver's status; null when no answer came (refused, unreachable, timeout).
    pub status: Option<i64>,
    pub latency_ms: i64,
    /// The first 1 KB of the response body.
    pub response: String,
    pub error_code: Option<String>,
    pub error: Option<String>,
}

/// One event queued for an endpoint, with its attempts.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeliveryView {
    pub id: i64,
    /// The `webhook-id` of every attempt.
    pub event_id: String,
    pub event_type: String,
    /// pending | delivered | failed
    pub state: String,
    /// When the event was queued for the endpoint. On the database's clock (PostgreSQL), as every node reads it; with SQLite, the server's.
    pub created_at: String,
    /// When the next attempt is due (pending deliveries). On the database's clock (PostgreSQL), as every node reads it; with SQLite, the server's.
    pub next_attempt_at: Option<String>,
    /// When it was delivered or given up. On the database's clock (PostgreSQL), as every node reads it; with SQLite, the server's.
    pub finished_at: Option<String>,
    pub attempts: Vec<AttemptView>,
}

fn view(row: &WebhookEndpointRow) -> WebhookView {
    WebhookView {
        id: row.id.clone(),
        url: row.url.clone(),
        description: row.description.clone(),
        events: serde_json::from_str(&row.events).unwrap_or_default(),
        enabled: row.enabled,
        disabled_reason: row.disabled_reason.clone(),
        disabled_at: row.disabled_at.clone(),
        previous_secret_expires_at: row.previous_expires_at.clone(),
        created_at: row.created_at.clone(),
        updated_at: row.updated_at.clone(),
    }
}

fn not_found(id: &str) -> Error {
    Error::NotFound(format!("webhook endpoint `{id}`"))
}

fn check_url(settings: &WebhookSettings, url: &str) -> Result<String> {
    settings
        .policy()
        .check_url(url.trim())
        .map(|url| url.to_string())
        .map_err(|error| Error::bad_request(error.code(), format!("url: {error}")))
}

/// Known event types (or `*`), deduplicated, in the order given.
fn check_events(events: &[String]) -> Result<String> {
    if events.is_empty() {
        return Err(Error::bad_request(
            "events_empty",
            "events: name at least one event type, or \"*\" for all",
        ));
    }
    if events.len() > MAX_EVENTS_PER_ENDPOINT {
        return Err(Error::bad_request(
            "events_too_many",
            format!("events: at most {MAX_EVENTS_PER_ENDPOINT}"),
        ));
    }
    let mut kept: Vec<&str> = Vec::new();
    for name in events {
        if name != "*" {
            name.parse::<EventType>()
                .map_err(|error| Error::bad_request(error.code(), format!("events: {error}")))?;
        }
        if !kept.contains(&name.as_str()) {
            kept.push(name);
        }
    }
    Ok(serde_json::to_string(&kept).unwrap_or_else(|_| "[]".into()))
}

fn check_description(description: Option<String>) -> Result<String> {
    let description = description.unwrap_or_default();
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(Error::bad_request(
            "description_too_long",
            format!("description: at most {MAX_DESCRIPTION_CHARS} characters"),
        ));
    }
    Ok(description)
}

fn later(at: DateTime<Utc>, by: Duration) -> String {
    timestamp(at + chrono::Duration::from_std(by).unwrap_or(chrono::Duration::zero()))
}

impl Service {
    fn seal_webhook_secret(&self, endpoint_id: &str, secret: &SigningSecret) -> Result<Vec<u8>> {
        self.key()?.seal(endpoint_id, &secret.expose())
    }

    fn open_webhook_secret(&self, endpoint_id: &str, sealed: &[u8]) -> Result<SigningSecret> {
        let text = self.key()?.open(endpoint_id, sealed)?;
        SigningSecret::parse(&text).map_err(|error| {
            Error::Internal(format!(
                "a stored webhook secret is unusable ({})",
                error.code()
            ))
        })
    }

    fn owned_endpoint(&self, org_id: &str, id: &str) -> Result<WebhookEndpointRow> {
        self.storage
            .webhook_endpoint(org_id, id)?
            .ok_or_else(|| not_found(id))
    }

    pub fn create_webhook(&self, org_id: &str, input: WebhookInput) -> Result<WebhookWithSecret> {
        let settings = &self.settings.webhooks;
        let url = check_url(settings, &input.url)?;
        let events = check_events(&input.events)?;
        let description = check_description(input.description)?;
        let id = crate::crypto::new_id("whe")?;
        let secret = SigningSecret::generate();
        let now = now();
        let row = WebhookEndpointRow {
            id: id.clone(),
            org_id: org_id.to_owned(),
            url,
            description,
            events,
            sealed_secret: self.seal_webhook_secret(&id, &secret)?,
            sealed_previous_secret: None,
            previous_expires_at: None,
            enabled: true,
            disabled_reason: None,
            disabled_at: None,
            created_at: now.clone(),
            updated_at: now,
        };
        // Counted and written in one transaction (under the organization's row lock on
        // PostgreSQL): creations at once, on any node, cannot pass the cap.
        if !self
            .storage
            .add_webhook_endpoint_within(&row, self.settings.webhooks.max_endpoints_per_org)?
        {
            return Err(Error::LimitReached {
                code: "webhook_limit_reached",
                message: format!(
                    "an organization has at most {} webhook endpoints",
                    self.settings.webhooks.max_endpoints_per_org
                ),
            });
        }
        // As stored: on PostgreSQL its times are the database's, not this node's.
        let stored = self.owned_endpoint(org_id, &id)?;
        Ok(WebhookWithSecret {
            endpoint: view(&stored),
            secret: secret.expose(),
        })
    }

    pub fn webhooks(&self, org_id: &str) -> Result<Vec<WebhookView>> {
        Ok(self
            .storage
            .webhook_endpoints(org_id)?
            .iter()
            .map(view)
            .collect())
    }

    pub fn webhook(&self, org_id: &str, id: &str) -> Result<WebhookView> {
        Ok(view(&self.owned_endpoint(org_id, id)?))
    }

    pub fn update_webhook(
        &self,
        org_id: &str,
        id: &str,
        patch: WebhookPatch,
    ) -> Result<WebhookView> {
        let current = self.owned_endpoint(org_id, id)?;
        let settings = &self.settings.webhooks;
        let change = WebhookEndpointChange {
            url: match patch.url {
                Some(url) => check_url(settings, &url)?,
                None => current.url.clone(),
            },
            description: match patch.description {
                Some(description) => check_description(Some(description))?,
                None => current.description.clone(),
            },
            events: match patch.events {
                Some(events) => check_events(&events)?,
                None => current.events.clone(),
            },
            enabled: patch.enabled.unwrap_or(current.enabled),
        };
        if !self
            .storage
            .update_webhook_endpoint(org_id, id, &change, &now())?
        {
            return Err(not_found(id));
        }
        self.webhook(org_id, id)
    }

    pub fn delete_webhook(&self, org_id: &str, id: &str) -> Result<()> {
        if self.storage.delete_webhook_endpoint(org_id, id)? {
            Ok(())
        } else {
            Err(not_found(id))
        }
    }

    /// A new secret, shown once; the old one keeps signing for [`PREVIOUS_SECRET_GRACE`].
    pub fn rotate_webhook_secret(&self, org_id: &str, id: &str) -> Result<WebhookWithSecret> {
        self.owned_endpoint(org_id, id)?;
        let secret = SigningSecret::generate();
        let sealed = self.seal_webhook_secret(id, &secret)?;
        // The grace is kept as a length: storage ends it on the clock claims check it on
        // (the database's, on PostgreSQL), so a node whose clock is skewed neither drops
        // the old secret early nor signs with it after the grace.
        if !self.storage.rotate_webhook_secret(
            org_id,
            id,
            &sealed,
            PREVIOUS_SECRET_GRACE,
            &now(),
        )? {
            return Err(not_found(id));
        }
        Ok(WebhookWithSecret {
            endpoint: self.webhook(org_id, id)?,
            secret: secret.expose(),
        })
    }

    /// Queues a `ping` for this endpoint through the outbox; returns the event id.
    pub fn ping_webhook(&self, org_id: &str, id: &str) -> Result<String> {
        let endpoint = self.owned_endpoint(org_id, id)?;
        if !endpoint.enabled {
            return Err(Error::Conflict(format!(
                "webhook endpoint `{id}` is disabled; enable it with PATCH {{\"enabled\": true}} first"
            )));
        }
        let ping = event(
            org_id,
            None,
            EventType::Ping.as_str(),
            json!({"endpoint_id": id}),
        )?;
        let event_id = ping.id.clone();
        self.storage.append_events(&[ping])?;
        Ok(event_id)
    }

    pub fn webhook_deliveries(
        &self,
        org_id: &str,
        id: &str,
        limit: usize,
    ) -> Result<Vec<DeliveryView>> {
        self.owned_endpoint(org_id, id)?;
        let rows = self
            .storage
            .webhook_deliveries(id, limit.clamp(1, MAX_DELIVERIES_LISTED))?;
        Ok(rows
            .into_iter()
            .map(|(delivery, attempts)| DeliveryView {
                next_attempt_at: (delivery.state == "pending").then_some(delivery.next_attempt_at),
                id: delivery.id,
                event_id: delivery.event_id,
                event_type: delivery.event_type,
                state: delivery.state,
                created_at: delivery.created_at,
                finished_at: delivery.finished_at,
                attempts: attempts
                    .into_iter()
                    .map(|a| AttemptView {
                        attempt: a.attempt,
                        started_at: a.started_at,
                        status: a.status,
                        latency_ms: a.latency_ms,
                        response: a.response,
                        error_code: a.error_code,
                        error: a.error,
                    })
                    .collect(),
            })
            .collect())
    }

    /// Queues one delivery's event again for its endpoint; the new delivery's id.
    pub fn redeliver_webhook(&self, org_id: &str, id: &str, delivery_id: i64) -> Result<i64> {
        let endpoint = self.owned_endpoint(org_id, id)?;
        if !endpoint.enabled {
            return Err(Error::Conflict(format!(
                "webhook endpoint `{id}` is disabled; enable it with PATCH {{\"enabled\": true}} first"
            )));
        }
        self.storage
            .redeliver_webhook(id, delivery_id, &now())?
            .ok_or_else(|| {
                Error::NotFound(format!("delivery {delivery_id} of webhook endpoint `{id}`"))
            })
    }
}

/// The worker's storage: the server's database and master key.
pub struct ServerDeliveries {
    service: Arc<Service>,
}

fn store_error(error: Error) -> StoreError {
    // Storage and key errors are logged by code; their text may quote SQL, not secrets.
    StoreError::new(error.code(), error.to_string())
}

async fn off_thread<T: Send + 'static>(
    service: &Arc<Service>,
    work: impl FnOnce(&Service) -> Result<T> + Send + 'static,
) -> std::result::Result<T, StoreError> {
    let service = Arc::clone(service);
    tokio::task::spawn_blocking(move || work(&service))
        .await
        .map_err(|error| StoreError::new("task_failed", error.to_string()))?
        .map_err(store_error)
}

impl Service {
    /// One pass of the worker's claim: fan out, then lease due heads of line.
    fn claim_webhook_work(
        &self,
        at: DateTime<Utc>,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<DueDelivery>> {
        let now = timestamp(at);
        if !self.storage.webhook_work_waiting(&now)? {
            return Ok(Vec::new());
        }
        self.storage.fan_out_webhook_events(FAN_OUT_BATCH, &now)?;
        let rows =
            self.storage
                .claim_webhook_deliveries(&self.node, &now, &later(at, lease), limit)?;
        // A row whose secret does not open (the master key was replaced) is left leased and
        // logged by code; the others still go out.
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let delivery_id = row.delivery_id;
                self.due_delivery(row)
                    .map_err(|error| {
                        eprintln!(
                            "unifield-server: webhook delivery {delivery_id} cannot be signed [{}]",
                            error.code()
                        )
                    })
                    .ok()
            })
            .collect())
    }

    /// A claimed row with its secrets opened: the current one, and the previous one while
    /// it is still valid (storage leaves it out after its grace, on its clock).
    fn due_delivery(&self, row: ClaimedWebhookDelivery) -> Result<DueDelivery> {
        let mut secrets = vec![self.open_webhook_secret(&row.endpoint_id, &row.sealed_secret)?];
        if let Some(sealed) = &row.sealed_previous_secret {
            secrets.push(self.open_webhook_secret(&row.endpoint_id, sealed)?);
        }
        Ok(DueDelivery {
            delivery_id: row.delivery_id,
            endpoint_id: row.endpoint_id,
            url: row.url,
            secrets,
            event_id: row.event_id,
            payload: row.payload.into_bytes(),
            attempts: row.attempts.max(0) as u32,
            first_attempt_at: row
                .first_attempt_at
                .as_deref()
                .and_then(|first| on_this_clock(first, &row.claimed_at, Utc::now())),
        })
    }

    fn finish_webhook_work(
        &self,
        record: AttemptRecord,
        next: NextStep,
        then_claim: Option<(DateTime<Utc>, Duration)>,
    ) -> Result<Option<DueDelivery>> {
        let attempt = WebhookAttemptRow {
            delivery_id: record.delivery_id,
            attempt: i64::from(record.attempt),
            started_at: timestamp(record.started_at),
            status: record.status.map(i64::from),
            latency_ms: record.latency_ms.min(i64::MAX as u64) as i64,
            response: record.response_prefix,
            error_code: record.error_code.map(str::to_owned),
            error: record.error_message,
        };
        let next = match next {
            NextStep::Delivered => WebhookNext::Delivered,
            // The worker's retry time is on this node's clock: what is kept is its distance
            // from now, and storage puts it on the clock every node reads due times by
            // (the database's, on PostgreSQL), so a skewed node neither retries early nor
            // makes a delivery wait for its own clock.
            NextStep::RetryAt(at) => {
                WebhookNext::RetryAfter((at - Utc::now()).to_std().unwrap_or_default())
            }
            NextStep::GiveUp { reason } => {
                let org_id = self
                    .storage
                    .webhook_endpoint_org(&record.endpoint_id)?
                    .unwrap_or_default();
                let disabled = event(
                    &org_id,
                    None,
                    EventType::WebhookDisabled.as_str(),
                    json!({"endpoint_id": record.endpoint_id, "reason": reason}),
                )?;
                WebhookNext::GiveUp {
                    reason,
                    event: disabled,
                }
            }
        };
        let claim = then_claim.map(|(at, lease)| (timestamp(at), later(at, lease)));
        let handed_over = self.storage.finish_webhook_attempt(
            &self.node,
            &attempt,
            &next,
            &now(),
            claim
                .as_ref()
                .map(|(at, until)| (at.as_str(), until.as_str())),
        )?;
        match (handed_over, claim) {
            (Some(row), Some(_)) => Ok(Some(self.due_delivery(row)?)),
            _ => Ok(None),
        }
    }
}

/// A time `at` on the storage's clock, which read `storage_now` at the claim, as this
/// node's clock puts it (`node_now` less the same age): the worker compares it with its
/// own clock to decide when to give up. `at` as it is when `storage_now` does not parse.
fn on_this_clock(at: &str, storage_now: &str, node_now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let at = DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&Utc);
    match DateTime::parse_from_rfc3339(storage_now) {
        Ok(storage_now) => node_now.checked_sub_signed(storage_now.with_timezone(&Utc) - at),
        Err(_) => Some(at),
    }
}

impl DeliveryStore for ServerDeliveries {
    fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: usize,
    ) -> impl std::future::Future<Output = std::result::Result<Vec<DueDelivery>, StoreError>> + Send
    {
        let service = Arc::clone(&self.service);
        async move {
            // A node shutting down takes no new work (its leases are released after).
            if service.is_stopping() {
                return Ok(Vec::new());
            }
            off_thread(&service, move |s| s.claim_webhook_work(now, lease, limit)).await
        }
    }

    fn finish_attempt(
        &self,
        record: AttemptRecord,
        next: NextStep,
        then_claim: Option<(DateTime<Utc>, Duration)>,
    ) -> impl std::future::Future<Output = std::result::Result<Option<DueDelivery>, StoreError>> + Send
    {
        let service = Arc::clone(&self.service);
        // A node shutting down records the attempt in hand but claims no next delivery.
        let then_claim = then_claim.filter(|_| !service.is_stopping());
        async move {
            off_thread(&service, move |s| {
                s.finish_webhook_work(record, next, then_claim)
            })
            .await
        }
    }
}

/// Starts the delivery worker on the current runtime; it runs until `shutdown` completes
/// (then attempts in flight get to end, see [`crate::RunningServer::shutdown`]) or the
/// task is aborted. On SQLite, leases left by a previous process on the file are dropped
/// first (one server per file), so deliveries it was attempting when killed go out again
/// at once. On PostgreSQL only this node's own leases would be dropped (none, it has just
/// started): a dead node's leases expire and another node takes those deliveries over; a
/// node shut down gracefully releases its leases itself.
pub fn start_worker(
    service: Arc<Service>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<tokio::task::JoinHandle<()>> {
    service.storage.release_webhook_leases(&service.node)?;
    let settings = service.settings.webhooks.clone();
    let mut client_config = DeliveryClientConfig {
        policy: settings.policy(),
        timeout: settings.timeout,
        ..DeliveryClientConfig::default()
    };
    if let Some(SharedLookup(lookup)) = &settings.lookup {
        client_config.lookup = Arc::clone(lookup);
    }
    let client = DeliveryClient::new(client_config)
        .map_err(|error| Error::Internal(format!("the webhook client: {error}")))?;
    let pruning = Arc::clone(&service);
    let worker = DeliveryWorker::new(
        Arc::new(ServerDeliveries { service }),
        client,
        WorkerConfig {
            max_in_flight: settings.max_in_flight,
            poll_interval: settings.poll_interval,
            lease: settings.timeout + Duration::from_secs(30),
            schedule: settings.schedule,
        },
    );
    let retention = settings.retention;
    Ok(tokio::spawn(async move {
        // Pruning stops with the worker.
        tokio::select! {
            () = worker.run(shutdown) => {}
            () = prune_history(Arc::clone(&pruning), retention) => {}
        }
    }))
}

/// Deletes finished deliveries past `retention`, a batch every [`PRUNE_EVERY`], so the
/// delivery log stays bounded.
async fn prune_history(service: Arc<Service>, retention: Duration) {
    loop {
        let owner = Arc::clone(&service);
        let pruned = tokio::task::spawn_blocking(move || {
            owner
                .storage
                .prune_webhook_deliveries(retention, &now(), PRUNE_BATCH)
        })
        .await;
        if let Ok(Err(error)) = pruned {
            eprintln!(
                "unifield-server: pruning webhook deliveries failed [{}]",
                error.code()
            );
        }
        tokio::time::sleep(PRUNE_EVERY).await;
    }
}

#[cfg(test)]
mod clock_tests {
    use super::*;

    /// A first attempt 10 minutes before the database's now is 10 minutes before this
    /// node's now, whichever way the node's clock is off.
    #[test]
    fn a_first_attempt_reads_as_the_same_age_on_a_skewed_node() {
        let node_now = Utc::now();
        for skew in [-3600, 0, 3600] {
            let storage_now = node_now + chrono::Duration::seconds(skew);
            let first = storage_now - chrono::Duration::minutes(10);
            let seen = on_this_clock(
                &crate::storage::timestamp(first),
                &crate::storage::timestamp(storage_now),
                node_now,
            )
            .unwrap();
            let age = node_now - seen;
            assert!(
                (age - chrono::Duration::minutes(10))
                    .num_milliseconds()
                    .abs()
                    <= 1,
                "skew {skew}: {age}"
            );
        }
        let first = "2026-01-01T00:00:00.000Z";
        assert_eq!(
            on_this_clock(first, "not a time", node_now),
            Some(
                DateTime::parse_from_rfc3339(first)
                    .unwrap()
                    .with_timezone(&Utc)
            )
        );
    }
}
