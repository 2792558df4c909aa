//! What the delivery worker needs from storage, and an in-memory implementation.
//!
//! The worker never sees SQL: the server implements [`DeliveryStore`] over its SQLite file
//! (and later PostgreSQL). The contract each implementation keeps:
//! - Deliveries to one endpoint are ordered by the event's creation order (`seq`).
//! - `claim_due` hands out only the head of each enabled endpoint's queue (its oldest pending
//!   delivery), only when due, and only when no lease on that endpoint is live. So event n+1
//!   is never attempted before event n was delivered or given up, even with several workers.
//! - A claim is a lease: a worker that dies mid-attempt loses it when it expires, and the
//!   delivery is attempted again (at least once; receivers dedupe on `webhook-id`).
//! - `finish_attempt` records the attempt and applies the next step in one transaction;
//!   asked to, it also leases the endpoint's next due delivery in that transaction and
//!   returns it, so a busy endpoint costs one transaction per delivery, not two.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::secret::SigningSecret;

/// A storage failure; the worker logs its code and tries again on its next pass.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("webhook storage: {message}")]
pub struct StoreError {
    pub code: &'static str,
    pub message: String,
}

impl StoreError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        StoreError {
            code,
            message: message.into(),
        }
    }

    pub fn code(&self) -> &'static str {
        self.code
    }
}

/// A delivery handed to a worker, with everything needed to send it.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub delivery_id: i64,
    pub endpoint_id: String,
    pub url: String,
    /// Every secret valid now: the current one first, then a rotated-out one still in its
    /// grace period.
    pub secrets: Vec<SigningSecret>,
    /// The event's id, sent as `webhook-id`.
    pub event_id: String,
    /// The event's exact JSON bytes.
    pub payload: Vec<u8>,
    /// Attempts made before this one.
    pub attempts: u32,
    /// When the first attempt was made; `None` before it.
    pub first_attempt_at: Option<DateTime<Utc>>,
}

/// One attempt as it is recorded (`GET …/deliveries` shows these).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRecord {
    pub delivery_id: i64,
    pub endpoint_id: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    pub started_at: DateTime<Utc>,
    pub status: Option<u16>,
    pub latency_ms: u64,
    pub response_prefix: String,
    pub error_code: Option<&'static str>,
    pub error_message: Option<String>,
}

/// What happens to a delivery after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextStep {
    /// A 2xx: done.
    Delivered,
    /// Try again at this time.
    RetryAt(DateTime<Utc>),
    /// The schedule is used up (or the destination is refused for good): the delivery is
    /// failed and the endpoint disabled with this reason; its later deliveries wait, in
    /// order, until the owner enables it again.
    GiveUp { reason: String },
}

/// What the worker needs from storage. Methods return `Send` futures so one worker type
/// runs over a synchronous SQLite store and an asynchronous PostgreSQL pool alike.
pub trait DeliveryStore: Send + Sync + 'static {
    /// Leases up to `limit` due heads of line (see the module doc) until `now + lease`.
    fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<DueDelivery>, StoreError>> + Send;

    /// Records one attempt and applies `next` atomically; releases the lease. With
    /// `then_claim = Some((now, lease))`, also leases and returns the endpoint's next due
    /// delivery (its new head of line), if there is one.
    fn finish_attempt(
        &self,
        record: AttemptRecord,
        next: NextStep,
        then_claim: Option<(DateTime<Utc>, Duration)>,
    ) -> impl Future<Output = Result<Option<DueDelivery>, StoreError>> + Send;
}

/// A delivery's state in [`MemoryStore`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    Pending,
    Delivered,
    Failed,
}

#[derive(Debug, Clone)]
struct MemoryDelivery {
    id: i64,
    event_id: String,
    payload: Arc<Vec<u8>>,
    attempts: u32,
    first_attempt_at: Option<DateTime<Utc>>,
    next_attempt_at: DateTime<Utc>,
    leased_until: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
struct MemoryEndpoint {
    url: String,
    secrets: Vec<SigningSecret>,
    disabled_reason: Option<String>,
}

#[derive(Debug, Default)]
struct MemoryState {
    next_id: i64,
    endpoints: HashMap<String, MemoryEndpoint>,
    // Per endpoint, its pending deliveries by id (ids grow with enqueue order, so the first
    // entry is the head of line).
    queues: HashMap<String, BTreeMap<i64, MemoryDelivery>>,
    // Per endpoint, finished deliveries: (id, event id, final state).
    finished: HashMap<String, Vec<(i64, String, DeliveryState)>>,
    attempts: Vec<AttemptRecord>,
}

/// The worker's storage contract kept in memory: for tests, benchmarks, and as the
/// executable description of what a database implementation must do.
#[derive(Debug, Default, Clone)]
pub struct MemoryStore {
    state: Arc<Mutex<MemoryState>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        MemoryStore::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MemoryState> {
        // A panic while holding the lock leaves plain data behind; keep using it.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn add_endpoint(&self, endpoint_id: &str, url: &str, secrets: Vec<SigningSecret>) {
        let mut state = self.lock();
        state.endpoints.insert(
            endpoint_id.to_owned(),
            MemoryEndpoint {
                url: url.to_owned(),
                secrets,
                disabled_reason: None,
            },
        );
        state.queues.entry(endpoint_id.to_owned()).or_default();
    }

    /// Queues an event for an endpoint, due at `now`; returns the delivery id.
    pub fn enqueue(
        &self,
        endpoint_id: &str,
        event_id: &str,
        payload: Vec<u8>,
        now: DateTime<Utc>,
    ) -> i64 {
        let mut state = self.lock();
        state.next_id += 1;
        let id = state.next_id;
        state
            .queues
            .entry(endpoint_id.to_owned())
            .or_default()
            .insert(
                id,
                MemoryDelivery {
                    id,
                    event_id: event_id.to_owned(),
                    payload: Arc::new(payload),
                    attempts: 0,
                    first_attempt_at: None,
                    next_attempt_at: now,
                    leased_until: None,
                },
            );
        id
    }

    pub fn disabled_reason(&self, endpoint_id: &str) -> Option<String> {
        self.lock()
            .endpoints
            .get(endpoint_id)
            .and_then(|endpoint| endpoint.disabled_reason.clone())
    }

    pub fn enable(&self, endpoint_id: &str) {
        if let Some(endpoint) = self.lock().endpoints.get_mut(endpoint_id) {
            endpoint.disabled_reason = None;
        }
    }

    /// (event id, state) of every delivery to an endpoint, in event order.
    pub fn deliveries(&self, endpoint_id: &str) -> Vec<(String, DeliveryState)> {
        let state = self.lock();
        let mut all: Vec<(i64, String, DeliveryState)> =
            state.finished.get(endpoint_id).cloned().unwrap_or_default();
        if let Some(queue) = state.queues.get(endpoint_id) {
            all.extend(queue.values().map(|delivery| {
                (
                    delivery.id,
                    delivery.event_id.clone(),
                    DeliveryState::Pending,
                )
            }));
        }
        all.sort_by_key(|(id, _, _)| *id);
        all.into_iter()
            .map(|(_, event_id, state)| (event_id, state))
            .collect()
    }

    pub fn pending_count(&self) -> usize {
        self.lock().queues.values().map(BTreeMap::len).sum()
    }

    pub fn attempts(&self) -> Vec<AttemptRecord> {
        self.lock().attempts.clone()
    }
}

/// Leases an endpoint's head of line when it is due and free.
fn claim_head(
    endpoints: &HashMap<String, MemoryEndpoint>,
    endpoint_id: &str,
    queue: &mut BTreeMap<i64, MemoryDelivery>,
    now: DateTime<Utc>,
    lease: chrono::Duration,
) -> Option<DueDelivery> {
    let endpoint = endpoints.get(endpoint_id)?;
    if endpoint.disabled_reason.is_some() {
        return None;
    }
    let head = queue.values_mut().next()?;
    let leased = head.leased_until.is_some_and(|until| until > now);
    if leased || head.next_attempt_at > now {
        return None;
    }
    head.leased_until = Some(now + lease);
    Some(DueDelivery {
        delivery_id: head.id,
        endpoint_id: endpoint_id.to_owned(),
        url: endpoint.url.clone(),
        secrets: endpoint.secrets.clone(),
        event_id: head.event_id.clone(),
        payload: head.payload.as_ref().clone(),
        attempts: head.attempts,
        first_attempt_at: head.first_attempt_at,
    })
}

impl DeliveryStore for MemoryStore {
    fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<DueDelivery>, StoreError>> + Send {
        let claimed = (|| {
            let lease = chrono::Duration::from_std(lease)
                .map_err(|_| StoreError::new("lease", "the lease is too long"))?;
            let mut state = self.lock();
            let MemoryState {
                endpoints, queues, ..
            } = &mut *state;
            let mut claimed = Vec::new();
            for (endpoint_id, queue) in queues.iter_mut() {
                if claimed.len() >= limit {
                    break;
                }
                if let Some(due) = claim_head(endpoints, endpoint_id, queue, now, lease) {
                    claimed.push(due);
                }
            }
            Ok(claimed)
        })();
        std::future::ready(claimed)
    }

    fn finish_attempt(
        &self,
        record: AttemptRecord,
        next: NextStep,
        then_claim: Option<(DateTime<Utc>, Duration)>,
    ) -> impl Future<Output = Result<Option<DueDelivery>, StoreError>> + Send {
        let finished = (|| {
            let mut state = self.lock();
            let MemoryState {
                endpoints,
                queues,
                finished,
                attempts,
                ..
            } = &mut *state;
            let queue = queues
                .get_mut(&record.endpoint_id)
                .ok_or_else(|| StoreError::new("not_found", "no such endpoint"))?;
            // A delivery already finished (by a worker whose lease outlived another's
            // attempt) only gets the attempt recorded.
            if let Some(delivery) = queue.get_mut(&record.delivery_id) {
                delivery.attempts = delivery.attempts.max(record.attempt);
                delivery.first_attempt_at.get_or_insert(record.started_at);
                delivery.leased_until = None;
                let final_state = match next {
                    NextStep::Delivered => Some(DeliveryState::Delivered),
                    NextStep::RetryAt(at) => {
                        delivery.next_attempt_at = at;
                        None
                    }
                    NextStep::GiveUp { reason } => {
                        if let Some(endpoint) = endpoints.get_mut(&record.endpoint_id) {
                            endpoint.disabled_reason = Some(reason);
                        }
                        Some(DeliveryState::Failed)
                    }
                };
                if let Some(final_state) = final_state {
                    if let Some(done) = queue.remove(&record.delivery_id) {
                        finished
                            .entry(record.endpoint_id.clone())
                            .or_default()
                            .push((done.id, done.event_id, final_state));
                    }
                }
            }
            let endpoint_id = record.endpoint_id.clone();
            attempts.push(record);
            let Some((now, lease)) = then_claim else {
                return Ok(None);
            };
            let lease = chrono::Duration::from_std(lease)
                .map_err(|_| StoreError::new("lease", "the lease is too long"))?;
            Ok(claim_head(endpoints, &endpoint_id, queue, now, lease))
        })();
        std::future::ready(finished)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(delivery_id: i64, endpoint: &str, attempt: u32) -> AttemptRecord {
        AttemptRecord {
            delivery_id,
            endpoint_id: endpoint.to_owned(),
            attempt,
            started_at: Utc::now(),
            status: Some(500),
            latency_ms: 1,
            response_prefix: String::new(),
            error_code: Some("status"),
            error_message: None,
        }
    }

    #[tokio::test]
    async fn only_the_head_of_each_endpoint_is_claimed_and_only_once() {
        let store = MemoryStore::new();
        let now = Utc::now();
        store.add_endpoint("a", "https://a.test/", vec![SigningSecret::generate()]);
        store.add_endpoint("b", "https://b.test/", vec![SigningSecret::generate()]);
        let a1 = store.enqueue("a", "evt_1", b"1".to_vec(), now);
        store.enqueue("a", "evt_2", b"2".to_vec(), now);
        store.enqueue("b", "evt_3", b"3".to_vec(), now);
        let lease = Duration::from_secs(30);
        let mut first: Vec<String> = store
            .claim_due(now, lease, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|d| d.event_id)
            .collect();
        first.sort();
        assert_eq!(first, ["evt_1", "evt_3"], "one head per endpoint");
        assert!(
            store.claim_due(now, lease, 10).await.unwrap().is_empty(),
            "leased heads are not claimed twice"
        );

        // A retry in the future keeps the head (and so evt_2) waiting.
        let later = now + chrono::Duration::seconds(60);
        store
            .finish_attempt(record(a1, "a", 1), NextStep::RetryAt(later), None)
            .await
            .unwrap();
        assert!(store.claim_due(now, lease, 10).await.unwrap().is_empty());
        // (evt_3's lease has run out by then too: it was never finished.)
        let retried: Vec<_> = store
            .claim_due(later, lease, 10)
            .await
            .unwrap()
            .into_iter()
            .filter(|d| d.endpoint_id == "a")
            .collect();
        assert_eq!(retried.len(), 1);
        assert_eq!(
            (retried[0].event_id.as_str(), retried[0].attempts),
            ("evt_1", 1)
        );

        // An expired lease (a worker died) makes the head claimable again.
        let after_lease = later + chrono::Duration::seconds(31);
        let reclaimed = store.claim_due(after_lease, lease, 10).await.unwrap();
        assert!(
            reclaimed.iter().any(|d| d.event_id == "evt_1"),
            "{reclaimed:?}"
        );

        store
            .finish_attempt(record(a1, "a", 2), NextStep::Delivered, None)
            .await
            .unwrap();
        let next = store.claim_due(after_lease, lease, 10).await.unwrap();
        assert!(
            next.iter().any(|d| d.event_id == "evt_2"),
            "evt_2 follows evt_1: {next:?}"
        );
    }

    #[tokio::test]
    async fn giving_up_disables_the_endpoint_and_holds_its_queue() {
        let store = MemoryStore::new();
        let now = Utc::now();
        store.add_endpoint("a", "https://a.test/", vec![SigningSecret::generate()]);
        let first = store.enqueue("a", "evt_1", b"1".to_vec(), now);
        store.enqueue("a", "evt_2", b"2".to_vec(), now);
        store
            .claim_due(now, Duration::from_secs(1), 10)
            .await
            .unwrap();
        let next = store
            .finish_attempt(
                record(first, "a", 9),
                NextStep::GiveUp {
                    reason: "gone".into(),
                },
                Some((now, Duration::from_secs(1))),
            )
            .await
            .unwrap();
        assert!(
            next.is_none(),
            "a disabled endpoint hands out nothing: {next:?}"
        );
        assert_eq!(store.disabled_reason("a").as_deref(), Some("gone"));
        assert!(store
            .claim_due(now, Duration::from_secs(1), 10)
            .await
            .unwrap()
            .is_empty());
        store.enable("a");
        let resumed = store
            .claim_due(now, Duration::from_secs(1), 10)
            .await
            .unwrap();
        assert_eq!(resumed[0].event_id, "evt_2");
        assert_eq!(
            store.deliveries("a"),
            [
                ("evt_1".to_owned(), DeliveryState::Failed),
                ("evt_2".to_owned(), DeliveryState::Pending)
            ]
        );
    }

    #[tokio::test]
    async fn finishing_an_attempt_can_lease_the_endpoints_next_delivery() {
        let store = MemoryStore::new();
        let now = Utc::now();
        store.add_endpoint("a", "https://a.test/", vec![SigningSecret::generate()]);
        let first = store.enqueue("a", "evt_1", b"1".to_vec(), now);
        store.enqueue("a", "evt_2", b"2".to_vec(), now);
        let lease = Duration::from_secs(30);
        store.claim_due(now, lease, 10).await.unwrap();
        let next = store
            .finish_attempt(
                record(first, "a", 1),
                NextStep::Delivered,
                Some((now, lease)),
            )
            .await
            .unwrap()
            .expect("the next head is handed over");
        assert_eq!(next.event_id, "evt_2");
        assert!(
            store.claim_due(now, lease, 10).await.unwrap().is_empty(),
            "and it is leased"
        );
        let after_retry = store
            .finish_attempt(
                record(next.delivery_id, "a", 1),
                NextStep::RetryAt(now + chrono::Duration::seconds(5)),
                Some((now, lease)),
            )
            .await
            .unwrap();
        assert!(
            after_retry.is_none(),
            "a retry keeps its place and is not due yet"
        );
    }
}
