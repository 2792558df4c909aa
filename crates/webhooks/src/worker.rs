//! The delivery worker: claims due deliveries from a [`DeliveryStore`], sends each with the
//! [`DeliveryClient`], and records the outcome and the next step.
//!
//! Concurrency is across endpoints (at most `max_in_flight` attempts at once); within an
//! endpoint the store hands out one delivery at a time, so order holds. The worker wakes on
//! [`DeliveryWorker::waker`] (the fan-out calls it after queuing deliveries), when a task
//! ends, or every `poll_interval`, whichever comes first. A task that finishes an attempt
//! takes its endpoint's next due delivery straight from the store (same transaction), so a
//! busy endpoint does not wait for the claim loop between deliveries.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::Notify;
use tokio::task::JoinSet;

use crate::schedule::RetrySchedule;
use crate::send::{AttemptOutcome, DeliveryClient, Message};
use crate::store::{AttemptRecord, DeliveryStore, DueDelivery, NextStep};

#[derive(Debug, Clone, Copy)]
pub struct WorkerConfig {
    pub max_in_flight: usize,
    pub poll_interval: Duration,
    /// How long a claim is held; longer than an attempt can take (the client's timeout).
    pub lease: Duration,
    pub schedule: RetrySchedule,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            max_in_flight: 64,
            poll_interval: Duration::from_millis(200),
            lease: Duration::from_secs(60),
            schedule: RetrySchedule::default(),
        }
    }
}

pub struct DeliveryWorker<S> {
    store: Arc<S>,
    client: DeliveryClient,
    config: WorkerConfig,
    wake: Arc<Notify>,
}

impl<S: DeliveryStore> DeliveryWorker<S> {
    pub fn new(store: Arc<S>, client: DeliveryClient, config: WorkerConfig) -> Self {
        DeliveryWorker {
            store,
            client,
            config,
            wake: Arc::new(Notify::new()),
        }
    }

    /// Call `notify_one` on this after queuing deliveries, so they go out without waiting
    /// for the next poll.
    pub fn waker(&self) -> Arc<Notify> {
        Arc::clone(&self.wake)
    }

    /// Runs until `shutdown` completes; attempts in flight then get up to the lease to end.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let mut shutdown = std::pin::pin!(shutdown);
        let mut in_flight: JoinSet<()> = JoinSet::new();
        let max_in_flight = self.config.max_in_flight.max(1);
        loop {
            let free = max_in_flight.saturating_sub(in_flight.len());
            let mut store_failed = false;
            if free > 0 {
                match self
                    .store
                    .claim_due(Utc::now(), self.config.lease, free)
                    .await
                {
                    Ok(batch) => {
                        for due in batch {
                            let store = Arc::clone(&self.store);
                            let client = self.client.clone();
                            let config = self.config;
                            let wake = Arc::clone(&self.wake);
                            in_flight.spawn(async move {
                                endpoint_run(&*store, &client, &config, &wake, due).await;
                            });
                        }
                    }
                    Err(error) => {
                        eprintln!(
                            "webhooks: claiming deliveries failed ({}): {error}",
                            error.code()
                        );
                        store_failed = true;
                    }
                }
            }
            // A failing store is retried after the poll interval, not in a spin.
            tokio::select! {
                _ = &mut shutdown => break,
                Some(_) = in_flight.join_next(), if !in_flight.is_empty() && !store_failed => {}
                _ = self.wake.notified(), if !store_failed => {}
                _ = tokio::time::sleep(self.config.poll_interval) => {}
            }
        }
        let _ = tokio::time::timeout(self.config.lease, async {
            while in_flight.join_next().await.is_some() {}
        })
        .await;
        in_flight.abort_all();
    }
}

/// Deliveries one task sends to one endpoint in a row before it lets the claim loop decide.
const MAX_CHAIN: usize = 256;

/// Sends `due`, then keeps going on its endpoint while the store hands over the next due
/// delivery, up to [`MAX_CHAIN`] so other endpoints get their turn at the slots.
async fn endpoint_run<S: DeliveryStore>(
    store: &S,
    client: &DeliveryClient,
    config: &WorkerConfig,
    wake: &Notify,
    due: DueDelivery,
) {
    let mut due = Some(due);
    let mut chained = 0;
    while let Some(current) = due.take() {
        chained += 1;
        let continue_with = (chained < MAX_CHAIN).then(|| (Utc::now(), config.lease));
        let (next, retry_at) =
            attempt(store, client, &config.schedule, current, continue_with).await;
        due = next;
        // A retry due before the next poll is woken for at its time, so short (test)
        // schedules are not stretched to the poll interval.
        if let (None, Some(at)) = (&due, retry_at) {
            let wait = (at - Utc::now()).to_std().unwrap_or_default();
            if wait < config.poll_interval {
                tokio::time::sleep(wait).await;
                wake.notify_one();
            }
        }
    }
}

/// One attempt of one delivery, recorded with its next step; returns the endpoint's next
/// due delivery, leased, when `then_claim` asked for it and there is one, and when this
/// delivery is to be retried, if it is.
pub async fn attempt<S: DeliveryStore>(
    store: &S,
    client: &DeliveryClient,
    schedule: &RetrySchedule,
    due: DueDelivery,
    then_claim: Option<(chrono::DateTime<Utc>, Duration)>,
) -> (Option<DueDelivery>, Option<chrono::DateTime<Utc>>) {
    let started_at = Utc::now();
    let secrets: Vec<_> = due.secrets.iter().collect();
    let outcome = client
        .send(
            &due.url,
            Message {
                id: &due.event_id,
                payload: &due.payload,
                timestamp: started_at.timestamp(),
            },
            &secrets,
        )
        .await;
    let attempt_number = due.attempts + 1;
    let next = next_step(schedule, &due, &outcome, attempt_number, started_at);
    let record = AttemptRecord {
        delivery_id: due.delivery_id,
        endpoint_id: due.endpoint_id.clone(),
        attempt: attempt_number,
        started_at,
        status: outcome.status,
        latency_ms: outcome.latency.as_millis().min(u64::MAX as u128) as u64,
        response_prefix: outcome.response_prefix,
        error_code: outcome.error.as_ref().map(|error| error.code()),
        error_message: outcome.error.as_ref().map(|error| error.to_string()),
    };
    let retry_at = match &next {
        NextStep::RetryAt(at) => Some(*at),
        _ => None,
    };
    match store.finish_attempt(record, next, then_claim).await {
        Ok(next) => (next, retry_at),
        Err(error) => {
            // The lease runs out and the delivery is attempted again: at least once.
            eprintln!(
                "webhooks: recording delivery {} failed ({}): {error}",
                due.delivery_id,
                error.code()
            );
            (None, None)
        }
    }
}

fn next_step(
    schedule: &RetrySchedule,
    due: &DueDelivery,
    outcome: &AttemptOutcome,
    attempt_number: u32,
    started_at: chrono::DateTime<Utc>,
) -> NextStep {
    if outcome.delivered() {
        return NextStep::Delivered;
    }
    let last_error = outcome
        .error
        .as_ref()
        .map(|error| error.to_string())
        .unwrap_or_else(|| "no 2xx answer".to_owned());
    if let Some(error) = outcome.error.as_ref().filter(|error| error.is_permanent()) {
        return NextStep::GiveUp {
            reason: format!("the URL is refused ({}): {error}", error.code()),
        };
    }
    let first = due.first_attempt_at.unwrap_or(started_at);
    match schedule.next_attempt_at(attempt_number, first, Utc::now(), &mut rand::thread_rng()) {
        Some(at) => NextStep::RetryAt(at),
        None => NextStep::GiveUp {
            reason: format!(
                "no 2xx answer in {attempt_number} attempts over {} s; last: {last_error}",
                schedule.give_up_after.as_secs()
            ),
        },
    }
}
