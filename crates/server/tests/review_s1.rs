//! Findings of security review S1 (the server changes of 2026-11-30), each with the test
//! that failed before its fix:
//! - A sync lease released while its run was still running (a node shutting down gives up
//!   the syncs it could not stop) and then taken by another node fails that run, so the
//!   stalled node's next page is refused (`sync_run_ended`), on both backends.
//! - One organization's due syncs take at most `max_concurrent_syncs_per_org` of a node's
//!   sync slots: another organization's due sync starts in the same scheduler tick.
//! - A sync whose lease cannot be taken at all (a storage error) leaves the connection's
//!   in-flight mark behind on no exit: the node syncs it again once storage is back.

mod common;

use common::{page, Db, Harness};
use std::time::Duration;
use unifield_server::storage::timestamp;

on_both_backends!(
    a_released_lease_taken_by_another_node_fails_the_run_left_running,
    one_organization_cannot_take_every_sync_slot,
);

async fn a_released_lease_taken_by_another_node_fails_the_run_left_running(db: Db) {
    let Some(h) = Harness::start_on(db, 1, "").await else {
        return;
    };
    let (_, key) = h.org("acme");
    let id = h.add_connection(&key, "sandbox").await;
    let storage = &h.server.service.storage;
    let now = chrono::Utc::now();
    let until = timestamp(now + chrono::Duration::minutes(2));
    let now = timestamp(now);
    // Node A leases the connection, starts a run and writes a page.
    assert!(storage.lease_sync(&id, "node-a", &now, &until).unwrap());
    let run = storage.begin_sync(&id, &now, &[]).unwrap();
    storage
        .commit_page(&id, "WorkOrder", run, &page(0, 3), &now, |_| Vec::new())
        .unwrap();
    // A shuts down without stopping that sync: it releases the lease, the run still
    // running. Node B takes the free lease.
    storage.release_sync_lease(&id, "node-a").unwrap();
    assert!(storage.lease_sync(&id, "node-b", &now, &until).unwrap());
    let last = storage.last_sync(&id).unwrap().unwrap();
    assert_eq!(last.id, run);
    assert_eq!(last.status, "failed", "B's lease left A's run {last:?}");
    // A's sync, still going, writes its next page: refused, nothing written.
    let refused = storage
        .commit_page(&id, "WorkOrder", run, &page(3, 3), &now, |_| Vec::new())
        .unwrap_err();
    assert_eq!(refused.code(), "sync_run_ended", "{refused}");
    assert_eq!(storage.raw_count(&id, "WorkOrder").unwrap(), 3);
    // Renewing one's own lease fails nothing: B's run goes on.
    let run_b = storage.begin_sync(&id, &now, &[]).unwrap();
    assert!(storage.lease_sync(&id, "node-b", &now, &until).unwrap());
    assert_eq!(storage.last_sync(&id).unwrap().unwrap().status, "running");
    storage
        .commit_page(&id, "WorkOrder", run_b, &page(3, 3), &now, |_| Vec::new())
        .unwrap();
    assert_eq!(storage.raw_count(&id, "WorkOrder").unwrap(), 6);
}

async fn one_organization_cannot_take_every_sync_slot(db: Db) {
    let Some(h) = Harness::start_on(db, 5, "").await else {
        return;
    };
    let service = &h.server.service;
    assert_eq!(service.settings.max_concurrent_syncs_per_org, 2);
    // Organization A has more due connections than a node has sync slots (8); B has one,
    // added last, so it is the last due.
    let (_, key_a) = h.org("busy");
    let mut busy = Vec::new();
    for i in 0..9 {
        busy.push(h.add_connection(&key_a, &format!("busy {i}")).await);
    }
    let (_, key_b) = h.org("quiet");
    let quiet = h.add_connection(&key_b, "quiet").await;
    // One scheduler tick: two of A's syncs and B's start.
    let started = service.start_due_syncs().unwrap();
    assert_eq!(started, 3, "A's due syncs took more than their share");
    assert!(
        common::wait_until(Duration::from_secs(60), || service.syncing_now().is_empty()).await,
        "the syncs did not end: {:?}",
        service.syncing_now()
    );
    let synced = |id: &String| service.storage.last_sync(id).unwrap().is_some();
    assert!(synced(&quiet), "B's due sync did not start");
    assert_eq!(busy.iter().filter(|id| synced(id)).count(), 2);
    // A's other syncs are still due: the next ticks start them, two at a time.
    assert_eq!(service.start_due_syncs().unwrap(), 2);
}

/// On SQLite only: the storage error is a trigger on the file (the guard it tests is the
/// same code on both backends).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lease_that_cannot_be_taken_leaves_no_sync_in_flight() {
    let h = Harness::start(1, "").await;
    let (org, key) = h.org("acme");
    let id = h.add_connection(&key, "sandbox").await;
    let service = &h.server.service;
    // The server's file (storage::Sqlite::FILE, crate-private).
    let file = h.dir.path().join("data").join("server.sqlite");
    assert!(file.is_file(), "{}", file.display());
    let db = rusqlite::Connection::open(&file).unwrap();
    db.execute_batch(
        "CREATE TRIGGER no_lease BEFORE UPDATE OF sync_node ON connections
         BEGIN SELECT RAISE(ABORT, 'leases are down'); END;",
    )
    .unwrap();
    let error = service.sync_connection(&org, &id).await.unwrap_err();
    assert!(error.to_string().contains("leases are down"), "{error}");
    assert!(
        !service.is_syncing(&id),
        "the failed lease left the connection marked as syncing on this node"
    );
    // Storage back: this node syncs the connection.
    db.execute_batch("DROP TRIGGER no_lease;").unwrap();
    // (Ran, however it ended: not refused as one already running on this node.)
    service.sync_connection(&org, &id).await.unwrap();
    assert!(service.storage.last_sync(&id).unwrap().is_some());
}

/// PostgreSQL: `finish_sync` takes the connection's row before its run's, in the order
/// `lease_sync` takes them, so a take-over that holds the connection's row and then fails
/// the run never deadlocks with a node ending that run (before, each held the row the other
/// waited for, and PostgreSQL broke the deadlock by failing one of them).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ending_a_run_during_a_take_over_waits_instead_of_deadlocking() {
    let Some((h, Some(url))) = Harness::start_on_database(Db::Postgres, 1, "").await else {
        return;
    };
    let (org, key) = h.org("acme");
    let id = h.add_connection(&key, "sandbox").await;
    let service = std::sync::Arc::clone(&h.server.service);
    let now = timestamp(chrono::Utc::now());
    let until = timestamp(chrono::Utc::now() + chrono::Duration::minutes(2));
    assert!(service
        .storage
        .lease_sync(&id, "node-a", &now, &until)
        .unwrap());
    let run = service.storage.begin_sync(&id, &now, &[]).unwrap();
    // A take-over, by hand: the connection's row locked as lease_sync locks it.
    let (mut client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let take_over = client.transaction().await.unwrap();
    take_over
        .batch_execute("SET LOCAL lock_timeout = '30s'")
        .await
        .unwrap();
    take_over
        .execute("SELECT 1 FROM connections WHERE id = $1 FOR UPDATE", &[&id])
        .await
        .unwrap();
    // Node A ends its run meanwhile: it waits for a lock.
    let ending = {
        let (service, id, org, now) = (service.clone(), id.clone(), org.clone(), now.clone());
        tokio::task::spawn_blocking(move || {
            service.storage.finish_sync(
                &id,
                run,
                "completed",
                None,
                None,
                "ok",
                None,
                &now,
                &[sync_event(&org, &id, &now)],
            )
        })
    };
    let (watcher, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let mut waiting = false;
    for _ in 0..1000 {
        let row = watcher
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
                &[],
            )
            .await
            .unwrap();
        if row.get::<_, i64>(0) > 0 {
            waiting = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(waiting, "finish_sync never waited for the connection's row");
    // The take-over fails A's run, as lease_sync does, and commits: no deadlock.
    let failed = take_over
        .execute(
            "UPDATE sync_runs SET status = 'failed', error = 'the node syncing it stopped' WHERE connection_id = $1 AND status = 'running'",
            &[&id],
        )
        .await;
    let failed = failed.expect("the take-over deadlocked with finish_sync");
    assert_eq!(failed, 1);
    take_over.commit().await.unwrap();
    ending
        .await
        .unwrap()
        .expect("finish_sync deadlocked with the take-over");
    // A's ending found its run failed by the take-over and changed nothing.
    let last = service.storage.last_sync(&id).unwrap().unwrap();
    assert_eq!((last.id, last.status.as_str()), (run, "failed"));
}

fn sync_event(org: &str, connection: &str, at: &str) -> unifield_server::storage::NewEvent {
    unifield_server::storage::NewEvent {
        id: format!("evt_end_{connection}"),
        org_id: org.to_string(),
        connection_id: Some(connection.to_string()),
        kind: "sync.completed".into(),
        payload: format!(r#"{{"type":"sync.completed","timestamp":"{at}","data":{{}}}}"#),
        created_at: at.to_string(),
    }
}
