//! Delivery throughput and latency to a loopback receiver, each against a baseline in the
//! same run: `cargo bench -p unifield-webhooks --bench delivery`.
//!
//! - baseline: the same signed POSTs sent directly by the client, one sender per endpoint
//!   (no store, no worker): what the HTTP path alone allows.
//! - outbox: the worker over the in-memory store draining a backlog, in order per endpoint.
//! - latency: events queued at a steady rate; time from queuing (the commit) to the
//!   receiver's first sight of each event, p50 / p99 / max.
//!
//! Bounded: a fixed number of events, loopback only.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use unifield_webhooks::events::{payload, EventType};
use unifield_webhooks::receiver::{Receiver, ReceiverConfig};
use unifield_webhooks::{
    DeliveryClient, DeliveryClientConfig, DeliveryWorker, DestinationPolicy, MemoryStore, Message,
    SigningSecret, Verifier, WorkerConfig,
};

const ENDPOINTS: usize = 16;
const BACKLOG: usize = 8_000;
const RATE_PER_SEC: usize = 2_000;
const LATENCY_SECONDS: usize = 3;

fn client() -> DeliveryClient {
    DeliveryClient::new(DeliveryClientConfig {
        policy: DestinationPolicy::allowing_insecure_loopback(),
        ..DeliveryClientConfig::default()
    })
    .expect("client")
}

fn body(seq: usize) -> Vec<u8> {
    payload(
        EventType::WorkOrderUpdated,
        Utc::now(),
        serde_json::json!({"connection_id": "con_bench", "seq": seq, "record": {"key": format!("WO-{seq}"), "title": "Replace filter", "status": "open"}}),
    )
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

async fn baseline(url: &str, secret: &SigningSecret) -> f64 {
    let client = client();
    let started = Instant::now();
    let mut senders = Vec::new();
    for endpoint in 0..ENDPOINTS {
        let client = client.clone();
        let url = url.to_owned();
        let secret = secret.clone();
        senders.push(tokio::spawn(async move {
            for seq in (endpoint..BACKLOG).step_by(ENDPOINTS) {
                let id = format!("base_{seq}");
                let body = body(seq);
                let message = Message {
                    id: &id,
                    payload: &body,
                    timestamp: Utc::now().timestamp(),
                };
                let outcome = client.send(&url, message, &[&secret]).await;
                assert!(outcome.delivered(), "{outcome:?}");
            }
        }));
    }
    for sender in senders {
        sender.await.expect("sender");
    }
    BACKLOG as f64 / started.elapsed().as_secs_f64()
}

fn worker_config() -> WorkerConfig {
    WorkerConfig {
        max_in_flight: 64,
        poll_interval: Duration::from_millis(200),
        ..WorkerConfig::default()
    }
}

async fn outbox(url: &str, secret: &SigningSecret) -> f64 {
    let store = Arc::new(MemoryStore::new());
    for endpoint in 0..ENDPOINTS {
        store.add_endpoint(&format!("whe_{endpoint}"), url, vec![secret.clone()]);
    }
    let now = Utc::now();
    for seq in 0..BACKLOG {
        store.enqueue(
            &format!("whe_{}", seq % ENDPOINTS),
            &format!("evt_{seq}"),
            body(seq),
            now,
        );
    }
    let worker = DeliveryWorker::new(Arc::clone(&store), client(), worker_config());
    let started = Instant::now();
    let task = tokio::spawn(worker.run(std::future::pending()));
    let deadline = started + Duration::from_secs(120);
    while store.pending_count() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = started.elapsed();
    task.abort();
    assert_eq!(
        store.pending_count(),
        0,
        "the backlog drained within the bound"
    );
    BACKLOG as f64 / elapsed.as_secs_f64()
}

async fn latency(receiver: &Receiver, secret: &SigningSecret) -> (Vec<Duration>, usize) {
    let store = Arc::new(MemoryStore::new());
    for endpoint in 0..ENDPOINTS {
        store.add_endpoint(
            &format!("lat_{endpoint}"),
            &receiver.url(),
            vec![secret.clone()],
        );
    }
    let worker = DeliveryWorker::new(Arc::clone(&store), client(), worker_config());
    let waker = worker.waker();
    let task = tokio::spawn(worker.run(std::future::pending()));
    let total = RATE_PER_SEC * LATENCY_SECONDS;
    let mut queued_at = HashMap::with_capacity(total);
    let tick = Duration::from_millis(5);
    let per_tick = RATE_PER_SEC * tick.as_millis() as usize / 1000;
    let started = Instant::now();
    let mut seq = 0;
    while seq < total {
        for _ in 0..per_tick {
            let id = format!("lat_evt_{seq}");
            queued_at.insert(id.clone(), Instant::now());
            store.enqueue(
                &format!("lat_{}", seq % ENDPOINTS),
                &id,
                body(seq),
                Utc::now(),
            );
            seq += 1;
        }
        // As the server's fan-out does after committing new deliveries.
        waker.notify_one();
        let next = started + tick * (seq / per_tick) as u32;
        tokio::time::sleep_until(next.into()).await;
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while store.pending_count() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    task.abort();
    let mut first_seen: HashMap<String, Instant> = HashMap::new();
    for delivery in receiver.received() {
        if let Some(id) = delivery.id {
            first_seen.entry(id).or_insert(delivery.arrived_at);
        }
    }
    let mut latencies: Vec<Duration> = queued_at
        .iter()
        .filter_map(|(id, at)| {
            first_seen
                .get(id)
                .map(|seen| seen.saturating_duration_since(*at))
        })
        .collect();
    latencies.sort();
    (latencies, total)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let secret = SigningSecret::generate();
        let receiver = Receiver::start(
            SocketAddr::from(([127, 0, 0, 1], 0)),
            ReceiverConfig::new(Verifier::new(vec![secret.clone()])),
            None,
        )
        .await
        .expect("receiver");
        let url = receiver.url();
        // Warm up connections and code paths.
        let _ = baseline(&url, &secret).await;
        let direct = baseline(&url, &secret).await;
        let drained = outbox(&url, &secret).await;
        println!(
            "webhook delivery, {BACKLOG} events over {ENDPOINTS} endpoints to one loopback receiver (verifying every signature):"
        );
        println!("  baseline: direct signed POSTs, one sender per endpoint: {direct:.0} deliveries/s");
        println!(
            "  outbox:   worker + in-memory store draining the backlog, in order per endpoint: {drained:.0} deliveries/s ({:.2}x the baseline)",
            drained / direct
        );
        let (latencies, total) = latency(&receiver, &secret).await;
        println!(
            "  latency:  {total} events queued at {RATE_PER_SEC}/s for {LATENCY_SECONDS} s; queued → first arrival at the receiver: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} of {total} seen)",
            percentile(&latencies, 0.50).as_secs_f64() * 1000.0,
            percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
            latencies.last().copied().unwrap_or_default().as_secs_f64() * 1000.0,
            latencies.len()
        );
        receiver.stop().await;
    });
}
