//! What the raw endpoint's `properties` says is what the cached records hold. Incremental
//! syncs re-fetch only changed records, so after a push of a mapping that reads more, the
//! records synced before it lack what it added: the endpoint keeps saying the smaller set
//! (and `sync_properties` the larger one), the push makes the next sync due at once, and
//! that sync pulls the entity whole, after which every record holds the larger set.

mod common;

use common::Harness;
use reqwest::{Method, StatusCode};
use serde_json::Value;

const WORK_ORDERS: usize = 150;

/// The default work order mapping reads `Specialty.DisplayAs` (a reference's member, which
/// `*` leaves out); this one reads `TypeCategory` instead, so its syncs ask for less.
fn reading_less(mapping: &Value) -> String {
    let text = mapping.to_string();
    assert_eq!(text.matches("$.Specialty.DisplayAs").count(), 1, "{text}");
    text.replace("$.Specialty.DisplayAs", "$.TypeCategory")
}

/// Every cached work order, through the raw endpoint; and the two sets its last page said.
async fn raw_work_orders(h: &Harness, key: &str, connection: &str) -> (Vec<Value>, Value, Value) {
    let mut records = Vec::new();
    let mut cursor = String::new();
    for _ in 0..20 {
        let (status, page) = h
            .get(
                &format!("/api/connections/{connection}/raw/WorkOrder?limit=100&cursor={cursor}"),
                key,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        records.extend(page["data"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_string(),
            None => {
                return (
                    records,
                    page["properties"].clone(),
                    page["sync_properties"].clone(),
                )
            }
        }
    }
    panic!("more pages than records");
}

fn holding_display_as(records: &[Value]) -> usize {
    records
        .iter()
        .filter(|r| r["Specialty"]["DisplayAs"].is_string())
        .count()
}

/// Whether a PropertySet (as the raw endpoint says it) names `Specialty.DisplayAs`.
fn says_display_as(properties: &Value) -> bool {
    properties
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p == "Specialty.DisplayAs")
}

/// Pushes the work order mapping the connection serves now, made to read less.
async fn push_reading_less(h: &Harness, key: &str, connection: &str) {
    let (mapping, etag) = h.mapping(key, connection, "WorkOrder").await;
    h.push_accepted(key, connection, "WorkOrder", &etag, &reading_less(&mapping))
        .await;
}

/// Rolls the work order mapping back to version 0 (the default, which reads more).
async fn roll_back_to_the_default(h: &Harness, key: &str, connection: &str) {
    let (status, _, rolled) = h
        .send(
            Method::POST,
            &format!("/api/connections/{connection}/mappings/WorkOrder/rollback"),
            Some(key),
            Some(&serde_json::json!({"version": 0})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rolled}");
}

/// Syncs the connection now, asserting the sync completed.
async fn sync_completed(h: &Harness, org: &str, connection: &str) {
    let outcome = h
        .server
        .service
        .sync_connection(org, connection)
        .await
        .unwrap();
    assert_eq!(outcome.status, "completed", "{outcome:?}");
}

/// Whether the connection's next sync is due (the scheduler would start it now).
fn due(h: &Harness, connection: &str) -> bool {
    h.server
        .service
        .storage
        .due_connections(&unifield_server::storage::timestamp(chrono::Utc::now()))
        .unwrap()
        .iter()
        .any(|row| row.id == connection)
}

async fn a_push_reading_more_is_said_truthfully_and_pulls_the_entity_whole(db: common::Db) {
    let Some(h) = Harness::start_on(db, WORK_ORDERS, "").await else {
        return;
    };
    let (org, key) = h.org("acme");
    let connection = h.add_connection(&key, "sb").await;

    // Nothing cached: both say what the syncs ask for.
    let (records, held, asked) = raw_work_orders(&h, &key, &connection).await;
    assert!(records.is_empty());
    assert_eq!(held, asked);
    let full = asked.clone();
    assert!(says_display_as(&full), "{full}");

    // The first sync runs under a mapping that reads less.
    push_reading_less(&h, &key, &connection).await;
    sync_completed(&h, &org, &connection).await;
    let (records, held, asked) = raw_work_orders(&h, &key, &connection).await;
    assert_eq!(records.len(), WORK_ORDERS);
    assert_eq!(holding_display_as(&records), 0);
    assert_eq!(held, asked);
    assert!(!says_display_as(&held), "{held}");
    let less = held.clone();
    assert!(!due(&h, &connection), "the next sync is an interval away");

    // A push back to the default mapping reads more: the records cached lack it, and the
    // endpoint says so; the next sync is due at once.
    roll_back_to_the_default(&h, &key, &connection).await;
    let (records, held, asked) = raw_work_orders(&h, &key, &connection).await;
    assert_eq!(holding_display_as(&records), 0);
    assert_eq!(held, less, "what the cached records hold");
    assert_eq!(asked, full, "what the next sync asks for");
    assert!(due(&h, &connection), "the push made the next sync due now");

    // That sync pulls work orders whole although none changed in Corrigo: every record
    // now holds the member, and the endpoint says the larger set.
    sync_completed(&h, &org, &connection).await;
    let (records, held, asked) = raw_work_orders(&h, &key, &connection).await;
    assert_eq!(records.len(), WORK_ORDERS);
    assert_eq!(holding_display_as(&records), WORK_ORDERS);
    assert_eq!(held, full);
    assert_eq!(asked, full);
    assert!(!due(&h, &connection));

    // Back to reading less: nothing is due (the records hold more than it reads); the next
    // sync asks for less, and the endpoint says what every record is sure to hold.
    push_reading_less(&h, &key, &connection).await;
    assert!(!due(&h, &connection));
    let (_, held, asked) = raw_work_orders(&h, &key, &connection).await;
    assert_eq!(held, full);
    assert_eq!(asked, less);
    sync_completed(&h, &org, &connection).await;
    let (_, held, _) = raw_work_orders(&h, &key, &connection).await;
    assert_eq!(held, less);
}

/// A push while a sync runs: the push makes the next sync due, the running sync's end sets
/// the next sync an interval away, and the server brings it forward again (the running
/// sync asked for what the mappings read when it started).
async fn a_push_reading_more_during_a_sync_makes_the_next_one_due_when_it_ends(db: common::Db) {
    let Some(h) = Harness::start_on(db, WORK_ORDERS, "latency-ms=150").await else {
        return;
    };
    let (org, key) = h.org("acme");
    let connection = h.add_connection(&key, "sb").await;
    push_reading_less(&h, &key, &connection).await;
    let service = std::sync::Arc::clone(&h.server.service);
    sync_completed(&h, &org, &connection).await;
    assert!(!due(&h, &connection));

    let running = {
        let (service, org, connection) = (service.clone(), org.clone(), connection.clone());
        tokio::spawn(async move { service.sync_connection(&org, &connection).await })
    };
    // Pushed once the sync has committed a page (it planned what to ask for by then).
    let committed_a_page = || {
        service
            .storage
            .last_sync(&connection)
            .unwrap()
            .is_some_and(|run| run.status == "running" && run.records > 0)
    };
    for _ in 0..500 {
        if committed_a_page() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(committed_a_page(), "the sync is under way");
    roll_back_to_the_default(&h, &key, &connection).await;
    let outcome = running.await.unwrap().unwrap();
    assert_eq!(outcome.status, "completed", "{outcome:?}");
    assert!(
        due(&h, &connection),
        "the sync's end kept the next sync due"
    );
    sync_completed(&h, &org, &connection).await;
    let (records, held, asked) = raw_work_orders(&h, &key, &connection).await;
    assert_eq!(holding_display_as(&records), WORK_ORDERS);
    assert_eq!(held, asked);
    assert!(!due(&h, &connection));
}

/// A sync that fails while an entity is behind keeps its interval: the server does not
/// retry a failing Corrigo at every scheduler tick.
async fn a_failed_sync_while_behind_keeps_its_interval(db: common::Db) {
    let Some(h) = Harness::start_on(db, WORK_ORDERS, "").await else {
        return;
    };
    // The connection's own Corrigo, stopped later.
    let (corrigo, corrigo_config) = common::start_sandbox(WORK_ORDERS, "").await;
    let (org, key) = h.org("acme");
    let mut body = h.connection_body("sb");
    body["base_url"] = corrigo.base_url.clone().into();
    body["client_id"] = corrigo_config.client_id.clone().into();
    let (status, _, created) = h
        .send(Method::POST, "/api/connections", Some(&key), Some(&body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let connection = created["id"].as_str().unwrap().to_string();
    push_reading_less(&h, &key, &connection).await;
    let service = &h.server.service;
    sync_completed(&h, &org, &connection).await;
    roll_back_to_the_default(&h, &key, &connection).await;
    assert!(due(&h, &connection));

    corrigo.stop().await;
    let outcome = service.sync_connection(&org, &connection).await.unwrap();
    assert_eq!(outcome.status, "failed", "{outcome:?}");
    assert_eq!(
        service.entities_behind(&connection).unwrap(),
        vec!["WorkOrder".to_string()]
    );
    assert!(!due(&h, &connection), "the next try is an interval away");
}

on_both_backends!(
    a_push_reading_more_is_said_truthfully_and_pulls_the_entity_whole,
    a_push_reading_more_during_a_sync_makes_the_next_one_due_when_it_ends,
    a_failed_sync_while_behind_keeps_its_interval
);
