//! A node shut down gracefully (`RunningServer::shutdown`, what `unifield serve` does on
//! SIGTERM or SIGINT): a request in flight gets its answer, a sync stops after its page in
//! hand (its run recorded as failed, the next sync due at once), a webhook attempt still
//! in flight when the grace period ends is dropped and its lease released, and the sync
//! lease too, so another node takes both over at once instead of after the leases expire
//! (webhook timeout + 30 s). On PostgreSQL a second, real node sends the delivery again.

mod common;

use common::{database_on, http_client, key_file, loopback, wait_until, Db, CLIENT_SECRET};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};
use unifield_server::{MasterKeySource, ServerConfig};
use unifield_test_support::webhook_receiver::holding_receiver;

/// The webhook receiver's hold on each request before it answers 200: longer than the
/// grace period, so the first attempt is in flight when the node stops.
const HOLD: Duration = Duration::from_secs(4);
const GRACE: Duration = Duration::from_millis(2500);
/// A webhook attempt's timeout: its lease is this plus 30 s.
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);

fn node_config(dir: &std::path::Path, data: &str, database: Option<String>) -> ServerConfig {
    let mut config = ServerConfig::new(loopback(), dir.join(data));
    config.database = database;
    config.key_source = MasterKeySource::File(dir.join("master.key"));
    config.settings = common::fast_settings();
    config.settings.webhooks.allow_insecure = true;
    config.settings.webhooks.timeout = WEBHOOK_TIMEOUT;
    config.settings.webhooks.poll_interval = Duration::from_millis(20);
    config.scheduler = false;
    config
}

fn timestamp(at: chrono::DateTime<chrono::Utc>) -> String {
    unifield_server::storage::timestamp(at)
}

async fn a_shutdown_answers_requests_stops_syncs_and_releases_leases(db: Db) {
    let Some(database) = database_on(db) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    key_file(dir.path());
    // A slow Corrigo: every call takes 300 ms, so a sync of 1,000 work orders (pages of
    // 100) is in flight for seconds, and a reconnect (sign-in, locator, one query) too.
    let (sandbox, sandbox_config) = common::start_sandbox(1000, "latency-ms=300").await;
    let server = unifield_server::start(node_config(dir.path(), "data", database.clone()))
        .await
        .unwrap();
    let service = Arc::clone(&server.service);
    let http = http_client();
    let base = server.url.clone();
    let org = service.add_org("acme").unwrap();
    let key = service.create_key("acme", "acme key").unwrap().secret;
    let post = |path: &str, body: Value| {
        http.post(format!("{base}{path}"))
            .bearer_auth(&key)
            .json(&body)
            .send()
    };
    let connection_body = json!({
        "name": "slow",
        "company": sandbox_config.company,
        "base_url": sandbox.base_url,
        "client_id": sandbox_config.client_id,
        "client_secret": CLIENT_SECRET,
    });
    let created: Value = post("/api/connections", connection_body)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let connection = created["id"].as_str().unwrap().to_string();

    // A delivery in flight: the receiver holds it longer than the grace period.
    let (hook_url, received) = holding_receiver(HOLD);
    let endpoint: Value = post(
        "/api/webhooks",
        json!({"url": hook_url, "events": ["ping"], "description": "holds"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let endpoint_id = endpoint["endpoint"]["id"].as_str().unwrap().to_string();
    let pinged = post(&format!("/api/webhooks/{endpoint_id}/test"), json!({}))
        .await
        .unwrap();
    assert!(pinged.status().is_success(), "{pinged:?}");
    assert!(
        wait_until(Duration::from_secs(20), || received.lock().unwrap().len()
            == 1)
        .await,
        "the receiver got the ping"
    );

    // A sync in flight.
    let syncing = {
        let service = Arc::clone(&service);
        let (org, connection) = (org.clone(), connection.clone());
        tokio::spawn(async move { service.sync_connection(&org, &connection).await })
    };
    assert!(
        wait_until(Duration::from_secs(20), || service.is_syncing(&connection)).await,
        "the sync started"
    );
    tokio::time::sleep(Duration::from_millis(700)).await;

    // A slow request in flight: a reconnect asks Corrigo before it answers.
    let reconnect = {
        let request = http
            .put(format!("{base}/api/connections/{connection}/credentials"))
            .bearer_auth(&key)
            .json(&json!({"client_id": sandbox_config.client_id, "client_secret": CLIENT_SECRET}));
        tokio::spawn(async move { request.send().await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;

    let started = Instant::now();
    let report = server.shutdown(GRACE).await;
    let took = started.elapsed();

    let answered = reconnect.await.unwrap().expect("the request got an answer");
    assert_eq!(answered.status(), StatusCode::OK);
    assert!(report.requests_finished, "{report:?}");
    // Bounded: the grace period and the lease releases (generous for a loaded machine).
    assert!(took < GRACE + Duration::from_secs(10), "{took:?}");
    // The node no longer listens.
    assert!(http.get(format!("{base}/api/health")).send().await.is_err());

    // The sync stopped after its page in hand: a failed run that says why, pages kept,
    // the connection not marked in error, the next sync due now, the lease free.
    let outcome = syncing.await.unwrap().unwrap();
    assert_eq!(outcome.status, "failed", "{outcome:?}");
    assert_eq!(
        outcome.error.as_deref(),
        Some(unifield_server::service::SYNC_STOPPED)
    );
    assert!(outcome.records > 0 && outcome.records < 1000, "{outcome:?}");
    assert_eq!(report.syncs_stopped, 1, "{report:?}");
    assert!(report.syncs_abandoned.is_empty(), "{report:?}");
    let row = service
        .storage
        .connection(&org, &connection)
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "ok");
    let now = chrono::Utc::now();
    assert!(
        service
            .storage
            .due_connections(&timestamp(now))
            .unwrap()
            .iter()
            .any(|r| r.id == connection),
        "the next sync is due at once"
    );

    // The delivery was still in flight when the grace period ended: its lease is released.
    assert_eq!(report.deliveries_released, 1, "{report:?}");

    match database {
        None => {
            // One node per SQLite file: another claimant takes both leases at once.
            assert!(service
                .storage
                .lease_sync(
                    &connection,
                    "another-node",
                    &timestamp(now),
                    &timestamp(now + chrono::Duration::minutes(2))
                )
                .unwrap());
            let claimed = service
                .storage
                .claim_webhook_deliveries(
                    "another-node",
                    &timestamp(now),
                    &timestamp(now + chrono::Duration::minutes(1)),
                    10,
                )
                .unwrap();
            assert_eq!(claimed.len(), 1, "the delivery is free to claim");
        }
        Some(database) => {
            // A second node on the same database sends the delivery again now, long
            // before the first node's lease (webhook timeout + 30 s) would have expired,
            // and may take the connection's sync at once.
            let node_b = unifield_server::start(node_config(dir.path(), "data-b", Some(database)))
                .await
                .unwrap();
            let resent = Instant::now();
            assert!(
                wait_until(Duration::from_secs(20), || received.lock().unwrap().len()
                    == 2)
                .await,
                "node B sent the delivery again"
            );
            let resent_after = resent.elapsed();
            assert!(
                resent_after < WEBHOOK_TIMEOUT + Duration::from_secs(30),
                "{resent_after:?}"
            );
            let ids = received.lock().unwrap().clone();
            assert_eq!(ids[0], ids[1], "the same delivery, the same webhook-id");
            let outcome = node_b
                .service
                .sync_connection(&org, &connection)
                .await
                .unwrap();
            assert_eq!(outcome.status, "completed", "{outcome:?}");
            node_b.stop().await;
        }
    }
    sandbox.stop().await;
}

on_both_backends!(a_shutdown_answers_requests_stops_syncs_and_releases_leases);
