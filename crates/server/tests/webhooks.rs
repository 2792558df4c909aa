//! Webhooks on the running server: subscriptions over the API, events from real syncs and
//! pushes delivered signed and in order to verifying receivers on loopback, rotation,
//! redelivery, disabling at the end of a (compressed) schedule, tenant isolation, and the
//! secret kept out of the database file. Bounded: seconds, 127.0.0.1 only.

mod common;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Duration;

use common::{database_on, fast_settings, loopback, wait_until, Db, Harness};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use unifield_server::{MasterKeySource, ServerConfig, Settings};
use unifield_webhooks::receiver::{ReceivedDelivery, Receiver, ReceiverConfig};
use unifield_webhooks::{RetrySchedule, SigningSecret, Verifier};

/// A server node's configuration: data in `dir/data`, the master key in `dir` (made by
/// `key_file`), deliveries to http:// loopback receivers allowed, retries on a compressed
/// schedule that gives up after `give_up_after`.
fn node_config(
    dir: &std::path::Path,
    data: &str,
    database: Option<String>,
    give_up_after: Duration,
) -> ServerConfig {
    let mut config = ServerConfig::new(loopback(), dir.join(data));
    config.database = database;
    config.key_source = MasterKeySource::File(dir.join("master.key"));
    config.settings = node_settings(give_up_after);
    config.scheduler = false;
    config
}

/// [`fast_settings`] with deliveries to http:// loopback receivers allowed and retries on a
/// compressed schedule that gives up after `give_up_after`.
fn node_settings(give_up_after: Duration) -> Settings {
    let mut settings = fast_settings();
    settings.webhooks.allow_insecure = true;
    settings.webhooks.timeout = Duration::from_secs(2);
    settings.webhooks.poll_interval = Duration::from_millis(20);
    settings.webhooks.schedule = RetrySchedule {
        first_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
        give_up_after,
        jitter: 0.2,
    };
    settings
}

/// A harness on `db` whose server may deliver to http:// loopback receivers, retrying on
/// a compressed schedule that gives up after `give_up_after`, with the PostgreSQL URL it
/// serves from; None (after printing SKIPPED) when PostgreSQL cannot be started here.
async fn harness_on(db: Db, give_up_after: Duration) -> Option<(Harness, Option<String>)> {
    let database = database_on(db)?;
    let harness =
        Harness::start_serving_from(database.clone(), 20, "", node_settings(give_up_after)).await;
    Some((harness, database))
}

async fn harness(db: Db, give_up_after: Duration) -> Option<Harness> {
    harness_on(db, give_up_after).await.map(|(h, _)| h)
}

on_both_backends!(
    a_sync_and_a_push_arrive_signed_and_in_order_and_can_be_redelivered,
    after_a_rotation_both_secrets_sign_and_the_secret_is_shown_only_twice,
    a_receiver_that_never_answers_2xx_is_disabled_and_an_event_says_so,
    subscriptions_are_checked_and_belong_to_their_organization,
    the_openapi_document_describes_every_event_delivery,
    finished_deliveries_past_retention_are_pruned_and_pending_ones_kept,
);

fn free_port() -> u16 {
    std::net::TcpListener::bind(loopback())
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn receiver(port: u16, secrets: Vec<SigningSecret>, fail_ratio: f64) -> Receiver {
    let mut config = ReceiverConfig::new(Verifier::new(secrets));
    config.fail_ratio = fail_ratio;
    Receiver::start(SocketAddr::from(([127, 0, 0, 1], port)), config, None)
        .await
        .unwrap()
}

/// Creates an endpoint; returns (id, secret).
async fn subscribe(h: &Harness, key: &str, url: &str, events: Value) -> (String, SigningSecret) {
    let (status, _, body) = h
        .send(
            Method::POST,
            "/api/webhooks",
            Some(key),
            Some(&json!({"url": url, "events": events, "description": "test receiver"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let secret = SigningSecret::parse(body["secret"].as_str().unwrap()).unwrap();
    (body["endpoint"]["id"].as_str().unwrap().to_owned(), secret)
}

fn event_type(delivery: &ReceivedDelivery) -> String {
    delivery.event_type().unwrap_or_default()
}

async fn a_sync_and_a_push_arrive_signed_and_in_order_and_can_be_redelivered(db: Db) {
    let Some(h) = harness(db, Duration::from_secs(60)).await else {
        return;
    };
    let (org, key) = h.org("acme");
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/hooks");
    let (endpoint, secret) = subscribe(&h, &key, &url, json!(["*"])).await;
    // The receiver comes up after the events exist: the first attempts fail to connect
    // and are retried.
    let connection = h.synced_connection(&key, &org).await;
    let (mapping, etag) = h.mapping(&key, &connection, "WorkOrder").await;
    h.push_accepted(&key, &connection, "WorkOrder", &etag, &mapping.to_string())
        .await;
    let (status, _, ping) = h
        .send(
            Method::POST,
            &format!("/api/webhooks/{endpoint}/test"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{ping}");
    let ping_id = ping["event_id"].as_str().unwrap().to_owned();
    // The receiver starts once the first delivery was attempted (and refused): how soon
    // the worker gets there depends on the machine and the backend.
    let storage = &h.server.service.storage;
    let refused_once = wait_until(Duration::from_secs(10), || {
        storage
            .webhook_deliveries(&endpoint, 500)
            .unwrap()
            .last()
            .is_some_and(|(_, attempts)| !attempts.is_empty())
    })
    .await;
    assert!(refused_once, "the first delivery was attempted");
    let receiver = receiver(port, vec![secret], 0.0).await;

    let done = wait_until(Duration::from_secs(30), || {
        receiver
            .received()
            .iter()
            .any(|d| d.id.as_deref() == Some(ping_id.as_str()))
            && storage.pending_webhook_deliveries().unwrap() == 0
    })
    .await;
    assert!(
        done,
        "everything delivered; {} pending",
        storage.pending_webhook_deliveries().unwrap()
    );

    let received = receiver.received();
    assert!(
        received.iter().all(|d| d.verified.is_ok()),
        "every delivery verifies"
    );
    // Exactly the organization's events, in outbox order, each once.
    let expected: Vec<String> = storage
        .events_after(0, 100_000)
        .unwrap()
        .into_iter()
        .filter(|e| e.org_id == org)
        .map(|e| e.id)
        .collect();
    let got: Vec<String> = received.iter().map(|d| d.id.clone().unwrap()).collect();
    assert_eq!(got, expected, "each event once, in creation order");
    let types: HashSet<String> = received.iter().map(event_type).collect();
    for kind in [
        "sync.completed",
        "work_order.created",
        "mapping.published",
        "ping",
    ] {
        assert!(types.contains(kind), "{kind} arrived: {types:?}");
    }
    let work_order = received
        .iter()
        .find(|d| event_type(d) == "work_order.created")
        .unwrap();
    let body: Value = serde_json::from_slice(&work_order.body).unwrap();
    assert_eq!(body["data"]["connection_id"], connection.as_str());
    assert!(
        body["data"]["record"]["_source"].is_object(),
        "the unified record: {body}"
    );

    // The delivery log: attempts with status, latency and the response's start.
    let (status, deliveries) = h
        .get(
            &format!("/api/webhooks/{endpoint}/deliveries?limit=500"),
            &key,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let deliveries = deliveries.as_array().unwrap();
    assert_eq!(deliveries.len(), expected.len());
    assert!(deliveries.iter().all(|d| d["state"] == "delivered"));
    let first = deliveries.last().unwrap();
    let attempts = first["attempts"].as_array().unwrap();
    assert!(
        attempts.len() >= 2,
        "the first event was retried while the receiver was down: {first}"
    );
    assert_eq!(attempts[0]["error_code"], "connect");
    assert_eq!(attempts.last().unwrap()["status"], 200);
    assert_eq!(attempts.last().unwrap()["response"], "ok\n");

    // Redelivery: the same webhook-id again.
    let ping_delivery = deliveries[0]["id"].as_i64().unwrap();
    assert_eq!(deliveries[0]["event_id"], ping_id.as_str());
    let (status, _, queued) = h
        .send(
            Method::POST,
            &format!("/api/webhooks/{endpoint}/deliveries/{ping_delivery}/redeliver"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{queued}");
    let again = wait_until(Duration::from_secs(10), || {
        receiver
            .received()
            .iter()
            .filter(|d| d.id.as_deref() == Some(ping_id.as_str()))
            .count()
            == 2
    })
    .await;
    assert!(
        again,
        "the ping arrived a second time, with the same webhook-id"
    );
    let (status, _, missing) = h
        .send(
            Method::POST,
            &format!("/api/webhooks/{endpoint}/deliveries/999999/redeliver"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
}

async fn after_a_rotation_both_secrets_sign_and_the_secret_is_shown_only_twice(db: Db) {
    let Some((h, database)) = harness_on(db, Duration::from_secs(60)).await else {
        return;
    };
    let (_, key) = h.org("acme");
    let port = free_port();
    let (endpoint, old) = subscribe(
        &h,
        &key,
        &format!("http://127.0.0.1:{port}/"),
        json!(["ping"]),
    )
    .await;

    let (status, _, rotated) = h
        .send(
            Method::POST,
            &format!("/api/webhooks/{endpoint}/rotate-secret"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new = SigningSecret::parse(rotated["secret"].as_str().unwrap()).unwrap();
    assert_ne!(new, old);
    assert!(rotated["endpoint"]["previous_secret_expires_at"].is_string());

    // A receiver that still holds only the old secret, then one that holds only the new.
    for secret in [old.clone(), new.clone()] {
        let receiver = receiver(port, vec![secret], 0.0).await;
        let (status, _, ping) = h
            .send(
                Method::POST,
                &format!("/api/webhooks/{endpoint}/test"),
                Some(&key),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED);
        let id = ping["event_id"].as_str().unwrap().to_owned();
        let arrived = wait_until(Duration::from_secs(10), || {
            receiver
                .received()
                .iter()
                .any(|d| d.id.as_deref() == Some(id.as_str()))
        })
        .await;
        assert!(arrived);
        let delivery = receiver
            .received()
            .into_iter()
            .find(|d| d.id.as_deref() == Some(id.as_str()))
            .unwrap();
        assert_eq!(delivery.verified, Ok(()), "verified with either secret");
        receiver.stop().await;
    }

    // Neither secret is ever shown again, nor stored in clear.
    let (_, listed) = h.get("/api/webhooks", &key).await;
    let (_, one) = h.get(&format!("/api/webhooks/{endpoint}"), &key).await;
    for secret in [&old, &new] {
        let text = secret.expose();
        assert!(!listed.to_string().contains(&text));
        assert!(!one.to_string().contains(&text));
        let encoded = &text["whsec_".len()..];
        for file in ["server.sqlite", "server.sqlite-wal"] {
            let path = h.dir.path().join("data").join(file);
            if let Ok(bytes) = std::fs::read(&path) {
                let found = bytes
                    .windows(encoded.len())
                    .any(|w| w == encoded.as_bytes());
                assert!(!found, "a signing secret is in {file} in clear");
            }
        }
        if let Some(url) = &database {
            // The whole database as pg_dump writes it (bytea as hex): neither the secret's
            // text nor its bytes appear, and the endpoint's row is there.
            let dump = std::process::Command::new("pg_dump")
                .args(["--data-only", "--no-owner", "-d", url])
                .output()
                .expect("pg_dump comes with PostgreSQL");
            assert!(dump.status.success(), "{dump:?}");
            let dump = String::from_utf8_lossy(&dump.stdout);
            assert!(
                dump.contains(endpoint.as_str()),
                "the endpoint row is dumped"
            );
            let hex: String = text.bytes().map(|b| format!("{b:02x}")).collect();
            assert!(
                !dump.contains(encoded),
                "a signing secret is in the database in clear"
            );
            assert!(
                !dump.contains(&hex),
                "a signing secret is in a bytea in clear"
            );
        }
    }
}

async fn a_receiver_that_never_answers_2xx_is_disabled_and_an_event_says_so(db: Db) {
    let Some(h) = harness(db, Duration::from_millis(800)).await else {
        return;
    };
    let (_, key) = h.org("acme");
    let failing_port = free_port();
    let watcher_port = free_port();
    let (failing, failing_secret) = subscribe(
        &h,
        &key,
        &format!("http://127.0.0.1:{failing_port}/"),
        json!(["ping"]),
    )
    .await;
    let (_, watcher_secret) = subscribe(
        &h,
        &key,
        &format!("http://127.0.0.1:{watcher_port}/"),
        json!(["webhook.disabled"]),
    )
    .await;
    let failing_receiver = receiver(failing_port, vec![failing_secret], 1.0).await;
    let watcher = receiver(watcher_port, vec![watcher_secret], 0.0).await;

    let (status, _, _) = h
        .send(
            Method::POST,
            &format!("/api/webhooks/{failing}/test"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let told = wait_until(Duration::from_secs(15), || {
        watcher
            .received()
            .iter()
            .any(|d| event_type(d) == "webhook.disabled")
    })
    .await;
    assert!(told, "the organization's other endpoint heard about it");
    let notice = watcher
        .received()
        .into_iter()
        .find(|d| event_type(d) == "webhook.disabled")
        .unwrap();
    assert_eq!(notice.verified, Ok(()));
    let notice: Value = serde_json::from_slice(&notice.body).unwrap();
    assert_eq!(notice["data"]["endpoint_id"], failing.as_str());

    let (_, endpoint) = h.get(&format!("/api/webhooks/{failing}"), &key).await;
    assert_eq!(endpoint["enabled"], false);
    let reason = endpoint["disabled_reason"].as_str().unwrap();
    assert!(
        reason.contains("no 2xx answer") && reason.contains("500"),
        "{reason}"
    );
    assert!(
        failing_receiver.received().len() >= 2,
        "retried before giving up"
    );
    let (_, deliveries) = h
        .get(&format!("/api/webhooks/{failing}/deliveries"), &key)
        .await;
    assert_eq!(deliveries[0]["state"], "failed");
    assert!(deliveries[0]["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["status"] == 500));

    // Disabled: no ping, no redelivery, until it is enabled again.
    let (status, _, body) = h
        .send(
            Method::POST,
            &format!("/api/webhooks/{failing}/test"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, _, body) = h
        .send(
            Method::PATCH,
            &format!("/api/webhooks/{failing}"),
            Some(&key),
            Some(&json!({"enabled": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["disabled_reason"], Value::Null);
}

async fn subscriptions_are_checked_and_belong_to_their_organization(db: Db) {
    let Some(h) = harness(db, Duration::from_secs(60)).await else {
        return;
    };
    let (org_a, key_a) = h.org("alpha");
    let (_, key_b) = h.org("beta");
    let (endpoint, _) = subscribe(
        &h,
        &key_a,
        "https://hooks.example.com/in",
        json!(["sync.completed"]),
    )
    .await;

    let refused = [
        (
            json!({"url": "http://hooks.example.com/in", "events": ["ping"]}),
            "url_insecure",
        ),
        (
            json!({"url": "https://10.0.0.7/in", "events": ["ping"]}),
            "address_refused",
        ),
        (
            json!({"url": "https://169.254.169.254/latest", "events": ["ping"]}),
            "address_refused",
        ),
        (
            json!({"url": "https://user:pw@hooks.example.com/", "events": ["ping"]}),
            "url_credentials",
        ),
        (
            json!({"url": "ftp://hooks.example.com/", "events": ["ping"]}),
            "url_scheme",
        ),
        (
            json!({"url": "https://hooks.example.com/", "events": []}),
            "events_empty",
        ),
        (
            json!({"url": "https://hooks.example.com/", "events": ["sync.exploded"]}),
            "event_type_unknown",
        ),
        (
            json!({"url": "https://hooks.example.com/", "events": ["ping"], "secret": "mine"}),
            "invalid_body",
        ),
    ];
    for (body, code) in refused {
        let (status, _, answer) = h
            .send(Method::POST, "/api/webhooks", Some(&key_a), Some(&body))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        common::assert_error(&answer, code);
    }

    let (status, _, patched) = h
        .send(
            Method::PATCH,
            &format!("/api/webhooks/{endpoint}"),
            Some(&key_a),
            Some(&json!({"events": ["mapping.published", "mapping.published", "sync.failed"], "description": "ops"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(
        patched["events"],
        json!(["mapping.published", "sync.failed"])
    );
    assert_eq!(patched["description"], "ops");
    assert!(patched.get("secret").is_none());

    // Another organization's key finds nothing, whatever the operation.
    let paths = [
        (Method::GET, format!("/api/webhooks/{endpoint}")),
        (Method::PATCH, format!("/api/webhooks/{endpoint}")),
        (Method::DELETE, format!("/api/webhooks/{endpoint}")),
        (
            Method::POST,
            format!("/api/webhooks/{endpoint}/rotate-secret"),
        ),
        (Method::POST, format!("/api/webhooks/{endpoint}/test")),
        (Method::GET, format!("/api/webhooks/{endpoint}/deliveries")),
        (
            Method::POST,
            format!("/api/webhooks/{endpoint}/deliveries/1/redeliver"),
        ),
    ];
    for (method, path) in &paths {
        let body = (*method == Method::PATCH).then(|| json!({"enabled": false}));
        let (status, _, answer) = h
            .send(method.clone(), path, Some(&key_b), body.as_ref())
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {answer}");
        common::assert_error(&answer, "not_found");
    }
    let (_, listed_b) = h.get("/api/webhooks", &key_b).await;
    assert_eq!(listed_b, json!([]));
    let (_, still) = h.get(&format!("/api/webhooks/{endpoint}"), &key_a).await;
    assert_eq!(still["enabled"], true, "beta's PATCH changed nothing");

    // A connection token cannot manage webhooks.
    let connection = h.synced_connection(&key_a, &org_a).await;
    let (_, _, token) = h
        .send(
            Method::POST,
            &format!("/api/connections/{connection}/tokens"),
            Some(&key_a),
            None,
        )
        .await;
    let (status, _) = h
        .get("/api/webhooks", token["secret"].as_str().unwrap())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, _, answer) = h
        .send(
            Method::GET,
            &format!("/api/webhooks/{endpoint}/deliveries?limit=0"),
            Some(&key_a),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    common::assert_error(&answer, "invalid_limit");

    let (status, _, _) = h
        .send(
            Method::DELETE,
            &format!("/api/webhooks/{endpoint}"),
            Some(&key_a),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = h.get(&format!("/api/webhooks/{endpoint}"), &key_a).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn the_openapi_document_describes_every_event_delivery(db: Db) {
    let Some(h) = harness(db, Duration::from_secs(60)).await else {
        return;
    };
    let (_, key) = h.org("acme");
    let (status, document) = h.get("/api/openapi.json", &key).await;
    assert_eq!(status, StatusCode::OK);
    let section = document["webhooks"]
        .as_object()
        .expect("a webhooks section");
    let documented: HashSet<&str> = section.keys().map(String::as_str).collect();
    let known: HashSet<&str> = unifield_webhooks::EVENT_TYPES
        .iter()
        .map(|event| event.as_str())
        .collect();
    assert_eq!(documented, known, "every event type, and only those");
    for (kind, item) in section {
        let schema = &item["post"]["requestBody"]["content"]["application/json"]["schema"];
        assert_eq!(schema["properties"]["type"]["const"], kind.as_str());
        assert!(
            schema["properties"]["data"]["properties"].is_object(),
            "{kind}"
        );
        let headers: Vec<&str> = item["post"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            headers,
            ["webhook-id", "webhook-timestamp", "webhook-signature"]
        );
    }
}

async fn finished_deliveries_past_retention_are_pruned_and_pending_ones_kept(db: Db) {
    let Some(h) = harness(db, Duration::from_secs(60)).await else {
        return;
    };
    let (_, key) = h.org("acme");
    let port = free_port();
    let (delivered_to, secret) = subscribe(
        &h,
        &key,
        &format!("http://127.0.0.1:{port}/"),
        json!(["ping"]),
    )
    .await;
    // Nobody listens here: its ping stays pending, retried.
    let (pending_to, _) = subscribe(
        &h,
        &key,
        &format!("http://127.0.0.1:{}/", free_port()),
        json!(["ping"]),
    )
    .await;
    let receiver = receiver(port, vec![secret], 0.0).await;
    for endpoint in [&delivered_to, &pending_to] {
        let (status, _, _) = h
            .send(
                Method::POST,
                &format!("/api/webhooks/{endpoint}/test"),
                Some(&key),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    assert!(wait_until(Duration::from_secs(10), || !receiver.received().is_empty()).await);
    let storage = &h.server.service.storage;
    // The receiver's answer is recorded after it arrives, and the second ping may not be
    // fanned out yet: wait for the delivered state itself, not only the pending count.
    assert!(
        wait_until(Duration::from_secs(10), || {
            let delivered = storage
                .webhook_deliveries(&delivered_to, 10)
                .unwrap()
                .iter()
                .any(|(delivery, _)| delivery.state == "delivered");
            delivered && storage.pending_webhook_deliveries().unwrap() == 1
        })
        .await,
        "one delivered, one pending"
    );

    let now = unifield_server::storage::timestamp(chrono::Utc::now());
    let day = Duration::from_secs(24 * 3600);
    assert_eq!(
        storage.prune_webhook_deliveries(day, &now, 100).unwrap(),
        0,
        "nothing is that old"
    );
    // Finished at least a few milliseconds ago on every clock that stores it.
    std::thread::sleep(Duration::from_millis(5));
    let now = unifield_server::storage::timestamp(chrono::Utc::now());
    assert_eq!(
        storage
            .prune_webhook_deliveries(Duration::ZERO, &now, 100)
            .unwrap(),
        1,
        "the delivered one"
    );
    let (_, delivered) = h
        .get(&format!("/api/webhooks/{delivered_to}/deliveries"), &key)
        .await;
    assert_eq!(delivered, json!([]));
    let (_, pending) = h
        .get(&format!("/api/webhooks/{pending_to}/deliveries"), &key)
        .await;
    assert_eq!(pending.as_array().unwrap().len(), 1);
    assert_eq!(pending[0]["state"], "pending");
    assert_eq!(storage.pending_webhook_deliveries().unwrap(), 1);
}

/// Two server nodes on one PostgreSQL database, both running their delivery worker:
/// pings made on either node to four endpoints each arrive exactly once, verified, and in
/// the order they were made per endpoint (each node claims heads of line with
/// `FOR UPDATE SKIP LOCKED`; nothing is delivered twice while leases are live).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_postgres_two_nodes_deliver_every_event_once_in_order() {
    let Some((h, database)) = harness_on(Db::Postgres, Duration::from_secs(60)).await else {
        return;
    };
    let node_b = unifield_server::start(node_config(
        h.dir.path(),
        "data-b",
        database,
        Duration::from_secs(60),
    ))
    .await
    .unwrap();
    let (_, key) = h.org("acme");
    const ENDPOINTS: usize = 4;
    const PINGS: usize = 30;
    let mut endpoints = Vec::new();
    let mut receivers = Vec::new();
    for _ in 0..ENDPOINTS {
        let port = free_port();
        let (endpoint, secret) = subscribe(
            &h,
            &key,
            &format!("http://127.0.0.1:{port}/"),
            json!(["ping"]),
        )
        .await;
        receivers.push(receiver(port, vec![secret], 0.0).await);
        endpoints.push(endpoint);
    }
    // Pings made alternately through node A and node B, so both workers find work.
    let mut made: Vec<Vec<String>> = vec![Vec::new(); ENDPOINTS];
    for n in 0..PINGS * ENDPOINTS {
        let (which, endpoint) = (n % ENDPOINTS, &endpoints[n % ENDPOINTS]);
        let base = if n % 2 == 0 {
            &h.server.url
        } else {
            &node_b.url
        };
        let response = h
            .http
            .post(format!("{base}/api/webhooks/{endpoint}/test"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        let body: Value = response.json().await.unwrap();
        made[which].push(body["event_id"].as_str().unwrap().to_owned());
    }
    let storage = &h.server.service.storage;
    let all_arrived = wait_until(Duration::from_secs(60), || {
        receivers
            .iter()
            .zip(&made)
            .all(|(r, ids)| r.received().len() >= ids.len())
            && storage.pending_webhook_deliveries().unwrap() == 0
    })
    .await;
    assert!(
        all_arrived,
        "every ping delivered; {} pending",
        storage.pending_webhook_deliveries().unwrap()
    );
    for ((receiver, ids), endpoint) in receivers.iter().zip(&made).zip(&endpoints) {
        let received = receiver.received();
        assert!(received.iter().all(|d| d.verified.is_ok()), "{endpoint}");
        let got: Vec<String> = received.iter().map(|d| d.id.clone().unwrap()).collect();
        assert_eq!(&got, ids, "{endpoint}: each ping once, in the order made");
    }
    node_b.stop().await;
}
