//! Webhook delivery from the server's outbox (SQLite, the real worker) to a verifying
//! loopback receiver, against a baseline in the same run: the same number of signed POSTs
//! sent directly with the same client, one sender per endpoint.
//!
//! - throughput: events committed to the outbox in batches of 100, each fanned out to every
//!   endpoint; deliveries per second until the receiver has them all.
//! - latency: events committed one at a time at a steady rate (× endpoints = deliveries/s);
//!   time from the commit to the receiver's first sight of each delivery, p50 / p99 / max.
//!
//! `cargo bench -p unifield-server --bench webhooks`. Bounded: fixed counts, loopback only.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use unifield_server::service::Settings;
use unifield_server::storage::NewEvent;
use unifield_server::{MasterKey, MasterKeySource, Service, Storage};
use unifield_webhooks::receiver::{Receiver, ReceiverConfig};
use unifield_webhooks::{
    DeliveryClient, DeliveryClientConfig, DestinationPolicy, Message, SigningSecret, Verifier,
};

const ENDPOINTS: usize = 16;
const THROUGHPUT_EVENTS: usize = 500; // × 16 endpoints = 8,000 deliveries
const LATENCY_EVENTS_PER_SEC: usize = 125; // × 16 endpoints = 2,000 deliveries/s
const LATENCY_SECONDS: usize = 3;

fn payload(seq: usize) -> String {
    json!({"type": "work_order.updated", "timestamp": "2026-11-30T07:00:00.000Z",
           "data": {"connection_id": "con_bench", "record": {"key": format!("WO-{seq}"), "title": "Replace filter", "status": "open"}}})
    .to_string()
}

fn new_event(org: &str, id: String, seq: usize) -> NewEvent {
    NewEvent {
        id,
        org_id: org.to_owned(),
        connection_id: Some("con_bench".into()),
        kind: "work_order.updated".into(),
        payload: payload(seq),
        created_at: unifield_server::storage::timestamp(chrono::Utc::now()),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[(((sorted.len() - 1) as f64) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

async fn wait_for(receiver: &Receiver, count: usize, within: Duration) -> Duration {
    let started = Instant::now();
    while receiver.received().len() < count && started.elapsed() < within {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(
        receiver.received().len() >= count,
        "{} of {count} arrived within {within:?}",
        receiver.received().len()
    );
    started.elapsed()
}

async fn baseline(url: &str, secret: &SigningSecret, total: usize) -> f64 {
    let client = DeliveryClient::new(DeliveryClientConfig {
        policy: DestinationPolicy::allowing_insecure_loopback(),
        ..DeliveryClientConfig::default()
    })
    .unwrap();
    let started = Instant::now();
    let mut senders = Vec::new();
    for sender in 0..ENDPOINTS {
        let (client, url, secret) = (client.clone(), url.to_owned(), secret.clone());
        senders.push(tokio::spawn(async move {
            for seq in (sender..total).step_by(ENDPOINTS) {
                let id = format!("base_{seq}");
                let body = payload(seq);
                let message = Message {
                    id: &id,
                    payload: body.as_bytes(),
                    timestamp: chrono::Utc::now().timestamp(),
                };
                assert!(client.send(&url, message, &[&secret]).await.delivered());
            }
        }));
    }
    for sender in senders {
        sender.await.unwrap();
    }
    total as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::open(&dir.path().join("data")).unwrap();
        let key = MasterKey::load(&MasterKeySource::DemoFile(dir.path().join("master.key"))).unwrap();
        let mut settings = Settings::default();
        settings.webhooks.allow_insecure = true;
        settings.webhooks.max_in_flight = 64;
        let service = Arc::new(Service::new(storage, Some(key), settings));
        let org = service.add_org("bench").unwrap();

        // One receiver for every endpoint, holding every endpoint's secret.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let url = format!("http://127.0.0.1:{port}/hooks");
        let mut secrets = Vec::new();
        for n in 0..ENDPOINTS {
            let created = service
                .create_webhook(
                    &org,
                    unifield_server::webhooks::WebhookInput {
                        url: url.clone(),
                        events: vec!["*".into()],
                        description: Some(format!("bench {n}")),
                    },
                )
                .unwrap();
            secrets.push(SigningSecret::parse(&created.secret).unwrap());
        }
        let receiver = Receiver::start(
            SocketAddr::from(([127, 0, 0, 1], port)),
            ReceiverConfig::new(Verifier::new(secrets.clone())),
            None,
        )
        .await
        .unwrap();
        let server = unifield_server::start_with(
            Arc::clone(&service),
            SocketAddr::from(([127, 0, 0, 1], 0)),
            false,
        )
        .await
        .unwrap();

        let total = THROUGHPUT_EVENTS * ENDPOINTS;
        // Warm up connections, then the baseline.
        let _ = baseline(&receiver.url(), &secrets[0], 1000).await;
        let direct = baseline(&receiver.url(), &secrets[0], total).await;
        let before = receiver.received().len();

        let started = Instant::now();
        for batch in 0..THROUGHPUT_EVENTS / 100 {
            let events: Vec<NewEvent> = (0..100)
                .map(|i| {
                    let seq = batch * 100 + i;
                    new_event(&org, format!("evt_t{seq:06}"), seq)
                })
                .collect();
            service.storage.append_events(&events).unwrap();
        }
        let drained = wait_for(&receiver, before + total, Duration::from_secs(120)).await;
        let _ = started;
        let outbox = total as f64 / drained.as_secs_f64();

        // Latency at a steady rate.
        let events = LATENCY_EVENTS_PER_SEC * LATENCY_SECONDS;
        let before = receiver.received().len();
        let tick = Duration::from_secs(1) / LATENCY_EVENTS_PER_SEC as u32;
        let mut committed_at = HashMap::with_capacity(events);
        let started = Instant::now();
        for seq in 0..events {
            let id = format!("evt_l{seq:06}");
            service.storage.append_events(&[new_event(&org, id.clone(), seq)]).unwrap();
            committed_at.insert(id, Instant::now());
            tokio::time::sleep_until((started + tick * (seq as u32 + 1)).into()).await;
        }
        wait_for(&receiver, before + events * ENDPOINTS, Duration::from_secs(60)).await;
        let mut latencies: Vec<Duration> = receiver
            .received()
            .iter()
            .skip(before)
            .filter_map(|d| {
                let at = committed_at.get(d.id.as_deref()?)?;
                Some(d.arrived_at.saturating_duration_since(*at))
            })
            .collect();
        latencies.sort();
        let verified = receiver.received().iter().all(|d| d.verified.is_ok());

        println!("webhook delivery from the server's SQLite outbox, {ENDPOINTS} endpoints, one verifying loopback receiver:");
        println!("  baseline: {total} direct signed POSTs, {ENDPOINTS} senders: {direct:.0} deliveries/s");
        println!(
            "  outbox:   {THROUGHPUT_EVENTS} events committed in batches of 100, fanned out to {total} deliveries: {outbox:.0} deliveries/s ({:.2}x the baseline)",
            outbox / direct
        );
        println!(
            "  latency:  {events} events committed one by one at {LATENCY_EVENTS_PER_SEC}/s (= {} deliveries/s): commit → arrival p50 {}, p99 {}, max {} ({} deliveries)",
            LATENCY_EVENTS_PER_SEC * ENDPOINTS,
            ms(percentile(&latencies, 0.5)),
            ms(percentile(&latencies, 0.99)),
            ms(latencies.last().copied().unwrap_or_default()),
            latencies.len()
        );
        println!("  every delivery verified: {verified}");
        server.stop().await;
        receiver.stop().await;
    });
}
