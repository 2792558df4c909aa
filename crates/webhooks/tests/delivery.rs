//! Deliveries over real HTTP on loopback: the worker, the client, the retry schedule and
//! the in-memory store against receivers that are healthy, flaky, down, failing or
//! redirecting; and the destinations that must be refused. Every run is bounded in count
//! and time (seconds); only 127.0.0.1 is ever connected to.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use unifield_webhooks::events::{payload, EventType};
use unifield_webhooks::policy::StaticLookup;
use unifield_webhooks::receiver::{ReceivedDelivery, Receiver, ReceiverConfig};
use unifield_webhooks::store::DeliveryState;
use unifield_webhooks::{
    DeliveryClient, DeliveryClientConfig, DeliveryWorker, DestinationPolicy, MemoryStore, Message,
    RetrySchedule, SigningSecret, Verifier, WorkerConfig,
};

const LOOPBACK: [u8; 4] = [127, 0, 0, 1];

fn client(policy: DestinationPolicy, timeout: Duration) -> DeliveryClient {
    DeliveryClient::new(DeliveryClientConfig {
        policy,
        timeout,
        ..DeliveryClientConfig::default()
    })
    .unwrap()
}

fn client_with_lookup(policy: DestinationPolicy, lookup: StaticLookup) -> DeliveryClient {
    DeliveryClient::new(DeliveryClientConfig {
        policy,
        timeout: Duration::from_secs(2),
        lookup: Arc::new(lookup),
    })
    .unwrap()
}

fn event_body(seq: usize) -> Vec<u8> {
    payload(
        EventType::WorkOrderUpdated,
        Utc::now(),
        serde_json::json!({"connection_id": "con_1", "seq": seq}),
    )
}

fn seq_of(delivery: &ReceivedDelivery) -> usize {
    let value: serde_json::Value = serde_json::from_slice(&delivery.body).unwrap();
    value["data"]["seq"].as_u64().unwrap() as usize
}

/// A free port on loopback, closed again (for a receiver that comes up later).
fn free_port() -> u16 {
    std::net::TcpListener::bind(SocketAddr::from((LOOPBACK, 0)))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn wait_until(within: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    done()
}

/// Checks what one receiver got: every event at least once, each verified; after deduping
/// by webhook-id exactly the events sent; first arrivals in creation order; and each event
/// acknowledged with a 200 at least once (the answer the sender counted).
fn assert_complete_and_ordered(name: &str, received: &[ReceivedDelivery], events: usize) {
    assert!(
        received.iter().all(|d| d.verified.is_ok()),
        "{name}: every delivery verifies"
    );
    let mut first_seen = Vec::new();
    let mut seen = HashSet::new();
    for delivery in received {
        let id = delivery.id.clone().unwrap();
        if seen.insert(id.clone()) {
            first_seen.push(seq_of(delivery));
        }
    }
    assert_eq!(
        seen.len(),
        events,
        "{name}: exactly every event after dedupe"
    );
    assert_eq!(
        first_seen,
        (0..events).collect::<Vec<_>>(),
        "{name}: first arrivals are in creation order"
    );
    let acknowledged: HashSet<_> = received
        .iter()
        .filter(|d| d.answered == 200)
        .map(|d| d.id.clone().unwrap())
        .collect();
    assert_eq!(acknowledged.len(), events, "{name}: each event got a 200");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthy_flaky_and_late_receivers_get_every_event_once_in_order_despite_worker_crashes() {
    const EVENTS: usize = 150;
    let timeout = Duration::from_millis(300);
    let secrets: Vec<SigningSecret> = (0..3).map(|_| SigningSecret::generate()).collect();
    let verifier = |i: usize| Verifier::new(vec![secrets[i].clone()]);

    let healthy = Receiver::start(
        SocketAddr::from((LOOPBACK, 0)),
        ReceiverConfig::new(verifier(0)),
        None,
    )
    .await
    .unwrap();
    let mut flaky_config = ReceiverConfig::new(verifier(1));
    flaky_config.fail_ratio = 0.3;
    flaky_config.slow_ratio = 0.05;
    flaky_config.slow_delay = Duration::from_millis(450); // past the sender's timeout
    let flaky = Receiver::start(SocketAddr::from((LOOPBACK, 0)), flaky_config, None)
        .await
        .unwrap();
    let late_port = free_port();
    let late_url = format!("http://127.0.0.1:{late_port}/webhooks");

    let store = Arc::new(MemoryStore::new());
    store.add_endpoint("healthy", &healthy.url(), vec![secrets[0].clone()]);
    store.add_endpoint("flaky", &flaky.url(), vec![secrets[1].clone()]);
    store.add_endpoint("late", &late_url, vec![secrets[2].clone()]);
    let now = Utc::now();
    for seq in 0..EVENTS {
        let body = event_body(seq);
        for endpoint in ["healthy", "flaky", "late"] {
            store.enqueue(endpoint, &format!("evt_{seq:05}"), body.clone(), now);
        }
    }

    let config = WorkerConfig {
        max_in_flight: 16,
        poll_interval: Duration::from_millis(20),
        // Short, so a crashed worker's claims come back quickly.
        lease: Duration::from_millis(800),
        schedule: RetrySchedule {
            first_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(200),
            give_up_after: Duration::from_secs(120),
            jitter: 0.2,
        },
    };
    let start_worker = || {
        let worker = DeliveryWorker::new(
            Arc::clone(&store),
            client(DestinationPolicy::allowing_insecure_loopback(), timeout),
            config,
        );
        tokio::spawn(worker.run(std::future::pending()))
    };

    // The worker is killed twice mid-run (its task aborted, attempts in flight dropped) and
    // started again; the late receiver comes up after 1.5 s.
    let mut worker = start_worker();
    let total = EVENTS * 3;
    for crash_at in [total / 3, 2 * total / 3] {
        let reached = wait_until(Duration::from_secs(30), || {
            store.pending_count() <= total - crash_at
        })
        .await;
        assert!(reached, "progress to {crash_at} deliveries");
        worker.abort();
        let _ = worker.await;
        worker = start_worker();
    }
    let late = Receiver::start(
        SocketAddr::from((LOOPBACK, late_port)),
        ReceiverConfig::new(verifier(2)),
        None,
    )
    .await
    .unwrap();
    let finished = wait_until(Duration::from_secs(60), || store.pending_count() == 0).await;
    worker.abort();
    assert!(
        finished,
        "every delivery finished; {} pending",
        store.pending_count()
    );

    for endpoint in ["healthy", "flaky", "late"] {
        assert_eq!(
            store.disabled_reason(endpoint),
            None,
            "{endpoint} stays enabled"
        );
        assert!(
            store
                .deliveries(endpoint)
                .iter()
                .all(|(_, state)| *state == DeliveryState::Delivered),
            "{endpoint}: nothing left in the outbox"
        );
    }
    assert_complete_and_ordered("healthy", &healthy.received(), EVENTS);
    assert_complete_and_ordered("flaky", &flaky.received(), EVENTS);
    assert_complete_and_ordered("late", &late.received(), EVENTS);
    let flaky_failures = flaky
        .received()
        .iter()
        .filter(|d| d.answered != 200)
        .count();
    assert!(
        flaky_failures > 10,
        "the flaky receiver really failed: {flaky_failures}"
    );
    let late_attempts = store
        .attempts()
        .iter()
        .filter(|a| a.endpoint_id == "late" && a.error_code == Some("connect"))
        .count();
    assert!(late_attempts > 0, "the late receiver was tried while down");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_never_answers_2xx_is_disabled_at_the_end_of_the_schedule() {
    let secret = SigningSecret::generate();
    let mut failing_config = ReceiverConfig::new(Verifier::new(vec![secret.clone()]));
    failing_config.fail_ratio = 1.0;
    let failing = Receiver::start(SocketAddr::from((LOOPBACK, 0)), failing_config, None)
        .await
        .unwrap();
    let store = Arc::new(MemoryStore::new());
    store.add_endpoint("failing", &failing.url(), vec![secret]);
    for seq in 0..3 {
        store.enqueue(
            "failing",
            &format!("evt_{seq}"),
            event_body(seq),
            Utc::now(),
        );
    }
    let schedule = RetrySchedule::compressed(Duration::from_millis(20), Duration::from_millis(600));
    let worker = DeliveryWorker::new(
        Arc::clone(&store),
        client(
            DestinationPolicy::allowing_insecure_loopback(),
            Duration::from_secs(2),
        ),
        WorkerConfig {
            poll_interval: Duration::from_millis(10),
            schedule,
            ..WorkerConfig::default()
        },
    );
    let started = Instant::now();
    let task = tokio::spawn(worker.run(std::future::pending()));
    let disabled = wait_until(Duration::from_secs(10), || {
        store.disabled_reason("failing").is_some()
    })
    .await;
    let elapsed = started.elapsed();
    task.abort();
    assert!(disabled, "the endpoint is disabled");
    let reason = store.disabled_reason("failing").unwrap();
    assert!(reason.contains("no 2xx answer"), "{reason}");
    assert!(
        reason.contains("answered 500"),
        "the reason carries the last error: {reason}"
    );
    assert!(
        elapsed >= Duration::from_millis(600),
        "not before the schedule ends"
    );
    assert_eq!(
        store
            .deliveries("failing")
            .iter()
            .map(|(_, s)| *s)
            .collect::<Vec<_>>(),
        [
            DeliveryState::Failed,
            DeliveryState::Pending,
            DeliveryState::Pending
        ],
        "the first event failed; the later ones wait, in order, for the endpoint to be enabled"
    );
    let received = failing.received();
    assert!(
        received.len() >= 3,
        "retried several times: {}",
        received.len()
    );
    assert!(
        received.iter().all(|d| d.id.as_deref() == Some("evt_0")),
        "no later event was sent while the first was being retried"
    );
    let attempts = store.attempts();
    assert_eq!(attempts.len(), received.len());
    assert!(attempts
        .iter()
        .enumerate()
        .all(|(i, a)| a.attempt as usize == i + 1));
    assert!(attempts
        .iter()
        .all(|a| a.status == Some(500) && a.response_prefix == "rehearsed failure\n"));
}

#[tokio::test]
async fn refused_destinations_are_never_connected_to() {
    let secret = SigningSecret::generate();
    let message = Message {
        id: "evt_1",
        payload: b"{}",
        timestamp: Utc::now().timestamp(),
    };
    let strict = client(DestinationPolicy::strict(), Duration::from_secs(2));
    let loose = client(
        DestinationPolicy::allowing_insecure_loopback(),
        Duration::from_secs(2),
    );
    // A receiver that must see nothing: every refused URL below that could reach loopback
    // points at it.
    let witness = Receiver::start(
        SocketAddr::from((LOOPBACK, 0)),
        ReceiverConfig::new(Verifier::new(vec![secret.clone()])),
        None,
    )
    .await
    .unwrap();
    let port = witness.address().port();

    let cases: Vec<(&DeliveryClient, String, &str)> = vec![
        (
            &strict,
            "http://hooks.example.com/in".into(),
            "url_insecure",
        ),
        (&loose, "http://hooks.example.com/in".into(), "url_insecure"),
        (&strict, "https://10.0.0.7/in".into(), "address_refused"),
        (&strict, "https://192.168.1.20/in".into(), "address_refused"),
        (&strict, "https://172.20.0.1/in".into(), "address_refused"),
        (
            &strict,
            "https://169.254.169.254/latest/meta-data/".into(),
            "address_refused",
        ),
        (&strict, "https://[fe80::1]/in".into(), "address_refused"),
        (
            &strict,
            "https://[::ffff:10.0.0.7]/in".into(),
            "address_refused",
        ),
        (
            &strict,
            format!("http://127.0.0.1:{port}/in"),
            "url_insecure",
        ),
        (
            &strict,
            format!("http://localhost:{port}/in"),
            "url_insecure",
        ),
        (
            &strict,
            format!("https://127.0.0.1:{port}/in"),
            "address_refused",
        ),
        (&loose, "https://[ff02::1]/in".into(), "address_refused"),
        (&loose, "https://0.0.0.0/in".into(), "address_refused"),
    ];
    for (client, url, code) in cases {
        let outcome = client.send(&url, message, &[&secret]).await;
        assert_eq!(
            outcome.error.as_ref().map(|e| e.code()),
            Some(code),
            "{url}: {outcome:?}"
        );
        assert_eq!(outcome.status, None, "{url}: no request was made");
    }

    // Names are checked by address, inside the resolver the connection goes through.
    let lookup = StaticLookup::new()
        .with("hooks.internal.test", &[IpAddr::from(LOOPBACK)])
        .with(
            "rebound.test",
            &[
                "93.184.216.34".parse().unwrap(),
                "10.0.0.7".parse().unwrap(),
            ],
        )
        .with("metadata.test", &["169.254.169.254".parse().unwrap()])
        .with("localhost", &["10.0.0.7".parse().unwrap()]);
    let strict_names = client_with_lookup(DestinationPolicy::strict(), lookup.clone());
    let loose_names = client_with_lookup(DestinationPolicy::allowing_insecure_loopback(), lookup);
    let named: Vec<(&DeliveryClient, String)> = vec![
        // A name resolving to 127.0.0.1, without --allow-insecure-webhooks.
        (
            &strict_names,
            format!("https://hooks.internal.test:{port}/in"),
        ),
        // One private address among public ones refuses the name.
        (&strict_names, "https://rebound.test/in".into()),
        (&strict_names, "https://metadata.test/latest".into()),
        // Even "localhost" is judged by what it resolves to when the connection is made.
        (&loose_names, format!("http://localhost:{port}/in")),
    ];
    for (client, url) in named {
        let outcome = client.send(&url, message, &[&secret]).await;
        assert_eq!(
            outcome.error.as_ref().map(|e| e.code()),
            Some("address_refused"),
            "{url}: {outcome:?}"
        );
        // The class only: whoever chose the URL does not learn what the name resolves to
        // (the attempt's error is shown to the endpoint's organization).
        let told = outcome.error.as_ref().unwrap().to_string();
        assert!(told.contains("resolves to a "), "{url}: {told}");
        for address in ["127.0.0.1", "10.0.0.7", "169.254.169.254"] {
            assert!(!told.contains(address), "{url}: {told}");
        }
    }
    assert!(
        witness.received().is_empty(),
        "the witness receiver saw no request"
    );

    // With the flag, the same loopback receiver is reachable: the refusals above were the
    // policy, not a dead port.
    let outcome = loose.send(&witness.url(), message, &[&secret]).await;
    assert!(outcome.delivered(), "{outcome:?}");
}

#[tokio::test]
async fn redirects_are_not_followed_even_to_an_internal_address() {
    let secret = SigningSecret::generate();
    let internal = Receiver::start(
        SocketAddr::from((LOOPBACK, 0)),
        ReceiverConfig::new(Verifier::new(vec![secret.clone()])),
        None,
    )
    .await
    .unwrap();
    let target = internal.url();
    let app = axum::Router::new().fallback(move || {
        let target = target.clone();
        async move {
            (
                axum::http::StatusCode::TEMPORARY_REDIRECT,
                [(axum::http::header::LOCATION, target)],
                "moved",
            )
        }
    });
    let listener = tokio::net::TcpListener::bind(SocketAddr::from((LOOPBACK, 0)))
        .await
        .unwrap();
    let redirector = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let outcome = client(
        DestinationPolicy::allowing_insecure_loopback(),
        Duration::from_secs(2),
    )
    .send(
        &format!("http://{redirector}/hook"),
        Message {
            id: "evt_1",
            payload: b"{}",
            timestamp: Utc::now().timestamp(),
        },
        &[&secret],
    )
    .await;
    server.abort();
    assert_eq!(outcome.status, Some(307));
    assert_eq!(
        outcome.error.as_ref().map(|e| e.code()),
        Some("redirect"),
        "{outcome:?}"
    );
    assert_eq!(outcome.response_prefix, "moved");
    assert!(!outcome.delivered());
    assert!(
        internal.received().is_empty(),
        "the redirect target was never requested"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permanently_refused_url_disables_its_endpoint_at_once() {
    let store = Arc::new(MemoryStore::new());
    store.add_endpoint(
        "plain",
        "http://hooks.example.com/in",
        vec![SigningSecret::generate()],
    );
    store.enqueue("plain", "evt_1", event_body(0), Utc::now());
    let worker = DeliveryWorker::new(
        Arc::clone(&store),
        client(DestinationPolicy::strict(), Duration::from_secs(2)),
        WorkerConfig {
            poll_interval: Duration::from_millis(10),
            ..WorkerConfig::default()
        },
    );
    let task = tokio::spawn(worker.run(std::future::pending()));
    let disabled = wait_until(Duration::from_secs(5), || {
        store.disabled_reason("plain").is_some()
    })
    .await;
    task.abort();
    assert!(disabled);
    let reason = store.disabled_reason("plain").unwrap();
    assert!(reason.contains("url_insecure"), "{reason}");
    assert_eq!(
        store.attempts().len(),
        1,
        "no retries of a URL that cannot become valid"
    );
}

#[tokio::test]
async fn a_slow_receiver_times_out_and_only_the_first_kilobyte_is_kept() {
    let secret = SigningSecret::generate();
    let mut slow = ReceiverConfig::new(Verifier::new(vec![secret.clone()]));
    slow.delay = Duration::from_millis(600);
    let slow = Receiver::start(SocketAddr::from((LOOPBACK, 0)), slow, None)
        .await
        .unwrap();
    let message = Message {
        id: "evt_1",
        payload: b"{}",
        timestamp: Utc::now().timestamp(),
    };
    let outcome = client(
        DestinationPolicy::allowing_insecure_loopback(),
        Duration::from_millis(200),
    )
    .send(&slow.url(), message, &[&secret])
    .await;
    assert_eq!(
        outcome.error.as_ref().map(|e| e.code()),
        Some("timeout"),
        "{outcome:?}"
    );

    let big = "x".repeat(10_000);
    let app = axum::Router::new().fallback(move || {
        let big = big.clone();
        async move { (axum::http::StatusCode::ACCEPTED, big) }
    });
    let listener = tokio::net::TcpListener::bind(SocketAddr::from((LOOPBACK, 0)))
        .await
        .unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let outcome = client(
        DestinationPolicy::allowing_insecure_loopback(),
        Duration::from_secs(2),
    )
    .send(&format!("http://{address}/"), message, &[&secret])
    .await;
    server.abort();
    assert!(outcome.delivered(), "202 counts: {outcome:?}");
    assert_eq!(outcome.response_prefix.len(), 1024);
}
