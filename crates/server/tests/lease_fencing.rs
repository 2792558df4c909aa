//! The security review's finding on sync leases: they were not checked where pages are
//! written, and each node compared them on its own clock.
//! - A page is written only while its sync run is running, checked inside the page's
//!   transaction: a node that stalled past its lease, whose run the node taking over has
//!   failed, cannot commit another page (`sync_run_ended`, nothing written).
//! - On PostgreSQL leases are taken and compared on the database's clock: a node whose
//!   clock runs an hour ahead cannot take over a live lease. SQLite has one node per file,
//!   whose clock is the only one (its leases stay on it).

mod common;

use common::{page, Db, Harness};
use unifield_server::storage::timestamp;

on_both_backends!(
    a_node_whose_run_was_taken_over_cannot_commit_another_page,
    a_node_whose_clock_runs_ahead_cannot_take_a_live_lease_on_postgres,
);

/// A connection of a new organization: (organization id, connection id).
async fn connection(h: &Harness) -> (String, String) {
    let (org, key) = h.org("acme");
    (org, h.add_connection(&key, "sandbox").await)
}

async fn a_node_whose_run_was_taken_over_cannot_commit_another_page(db: Db) {
    let Some(h) = Harness::start_on(db, 1, "").await else {
        return;
    };
    let (org, id) = connection(&h).await;
    let storage = &h.server.service.storage;
    let start = chrono::Utc::now();
    let at = |seconds: i64| timestamp(start + chrono::Duration::seconds(seconds));
    // Node A takes a short lease and starts a run.
    assert!(storage.lease_sync(&id, "node-a", &at(0), &at(1)).unwrap());
    let run = storage.begin_sync(&id, &at(0), &[]).unwrap();
    storage
        .commit_page(&id, "WorkOrder", run, &page(0, 3), &at(0), |_| Vec::new())
        .unwrap();
    // A stalls past its lease; node B takes the connection over, which fails A's run.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let later = timestamp(chrono::Utc::now());
    let until = timestamp(chrono::Utc::now() + chrono::Duration::seconds(120));
    assert!(storage.lease_sync(&id, "node-b", &later, &until).unwrap());
    // A wakes up and writes its next page: refused, nothing written.
    let refused = storage
        .commit_page(&id, "WorkOrder", run, &page(3, 3), &later, |_| Vec::new())
        .unwrap_err();
    assert_eq!(refused.code(), "sync_run_ended", "{refused}");
    assert_eq!(storage.raw_count(&id, "WorkOrder").unwrap(), 3);
    let last = storage.last_sync(&id).unwrap().unwrap();
    assert_eq!(last.id, run);
    assert_eq!(last.status, "failed", "{last:?}");
    assert_eq!(last.records, 3, "the refused page is not counted");
    // B starts its run; A, seeing its page refused, ends its own sync as failed: that
    // changes neither its run (failed by the take-over), nor the connection B now syncs,
    // nor does it announce anything.
    let run_b = storage.begin_sync(&id, &later, &[]).unwrap();
    let status_before = storage.connection(&org, &id).unwrap().unwrap().status;
    let events_before = storage.events_after(0, 1000).unwrap().len();
    storage
        .finish_sync(
            &id,
            run,
            "failed",
            Some("the page was refused"),
            Some("the page was refused"),
            "error",
            None,
            &later,
            &[sync_failed(&org, &id, &later)],
        )
        .unwrap();
    let ended = storage.last_sync(&id).unwrap().unwrap();
    assert_eq!(ended.id, run_b, "B's run is the last");
    assert_eq!(
        storage.connection(&org, &id).unwrap().unwrap().status,
        status_before
    );
    assert_eq!(storage.events_after(0, 1000).unwrap().len(), events_before);
    // B's own run writes.
    storage
        .commit_page(&id, "WorkOrder", run_b, &page(3, 3), &later, |_| Vec::new())
        .unwrap();
    assert_eq!(storage.raw_count(&id, "WorkOrder").unwrap(), 6);
}

async fn a_node_whose_clock_runs_ahead_cannot_take_a_live_lease_on_postgres(db: Db) {
    let Some(h) = Harness::start_on(db, 1, "").await else {
        return;
    };
    let (_, id) = connection(&h).await;
    let storage = &h.server.service.storage;
    let now = chrono::Utc::now();
    let minutes = |m: i64| timestamp(now + chrono::Duration::minutes(m));
    // Node A holds a two-minute lease.
    assert!(storage
        .lease_sync(&id, "node-a", &minutes(0), &minutes(2))
        .unwrap());
    // Node B's clock runs an hour ahead: by its own clock A's lease ended long ago.
    let taken = storage
        .lease_sync(&id, "node-b", &minutes(60), &minutes(62))
        .unwrap();
    match db {
        // One clock, the database's: A's lease has two minutes to run.
        Db::Postgres => assert!(!taken, "a skewed clock took a live lease"),
        // One node per file: its clock is the only one there is.
        Db::Sqlite => assert!(taken),
    }
}

fn sync_failed(org: &str, connection: &str, at: &str) -> unifield_server::storage::NewEvent {
    unifield_server::storage::NewEvent {
        id: format!("evt_stale_{connection}"),
        org_id: org.to_string(),
        connection_id: Some(connection.to_string()),
        kind: "sync.failed".into(),
        payload: format!(r#"{{"type":"sync.failed","timestamp":"{at}","data":{{}}}}"#),
        created_at: at.to_string(),
    }
}
