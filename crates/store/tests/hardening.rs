//! The store's file safety and its locks (issue 10): private files, migrations that two
//! processes can race, and pull runs that only one pull at a time can own.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;
use std::path::Path;
use unifield_store::{ConnectionSettings, Endpoint, PullStatus, Store, PULL_LEASE};

fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 12, minute, 0).unwrap()
}

fn sandbox(name: &str) -> ConnectionSettings {
    ConnectionSettings {
        name: name.into(),
        company: "Asurion".into(),
        endpoint: Endpoint::BaseUrl("http://127.0.0.1:8080".into()),
        client_id: "client-1".into(),
    }
}

fn page(ids: std::ops::Range<u64>) -> Vec<(String, serde_json::Value)> {
    ids.map(|id| (id.to_string(), json!({"Id": id}))).collect()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[test]
fn a_new_workspace_is_private_to_its_user() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("workspace");
    let mut store = Store::open(&dir).unwrap();
    store.add_connection(&sandbox("acme"), at(0)).unwrap();
    let run = store.begin_pull("acme", "WorkOrder", None, at(1)).unwrap();
    store
        .commit_page(run.id, &page(1..11), None, at(2))
        .unwrap();
    assert_eq!(mode(&dir), 0o700, "the workspace directory");
    for file in [
        "workspace.sqlite",
        "workspace.sqlite-wal",
        "workspace.sqlite-shm",
    ] {
        let path = dir.join(file);
        assert!(path.exists(), "{file} exists while the store is open");
        assert_eq!(mode(&path), 0o600, "{file}");
    }
}

#[cfg(unix)]
#[test]
fn an_existing_workspace_is_tightened_when_it_opens() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path()).unwrap());
    let db = dir.path().join(Store::FILE);
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let _store = Store::open(dir.path()).unwrap();
    assert_eq!(mode(dir.path()), 0o700);
    assert_eq!(mode(&db), 0o600);
}

#[test]
fn two_handles_opening_a_new_workspace_together_both_succeed() {
    // Each round races two openers on a fresh directory; before the migration took the
    // write lock first, one of them could run the migration again and fail.
    for round in 0..20 {
        let dir = tempfile::tempdir().unwrap();
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
        let openers: Vec<_> = (0..2)
            .map(|_| {
                let dir = dir.path().to_path_buf();
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    barrier.wait();
                    Store::open(&dir).map(|s| s.schema_version().unwrap())
                })
            })
            .collect();
        for opener in openers {
            let version = opener
                .join()
                .unwrap()
                .unwrap_or_else(|e| panic!("round {round}: {e}"));
            assert!(version >= 2, "every migration ran: {version}");
        }
    }
}

#[test]
fn two_pulls_cannot_both_resume_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = Store::open(dir.path()).unwrap();
    first.add_connection(&sandbox("acme"), at(0)).unwrap();
    let run = first.begin_pull("acme", "WorkOrder", None, at(1)).unwrap();
    first
        .commit_page(run.id, &page(1..11), Some("10"), at(2))
        .unwrap();

    // A second handle (the studio while the CLI pulls) finds the run unfinished.
    let mut second = Store::open(dir.path()).unwrap();
    let unfinished = second
        .unfinished_pull("acme", "WorkOrder")
        .unwrap()
        .unwrap();
    assert_eq!(unfinished.id, run.id);
    let refused = second.claim_pull(run.id, at(3)).unwrap_err();
    assert_eq!(refused.code(), "pull_in_progress", "{refused}");
    assert_eq!(
        second
            .begin_pull("acme", "WorkOrder", None, at(3))
            .unwrap_err()
            .code(),
        "pull_in_progress",
        "nor start a second pull of the entity beside it"
    );
    assert_eq!(
        second
            .commit_page(run.id, &page(11..21), Some("20"), at(3))
            .unwrap_err()
            .code(),
        "pull_not_owned"
    );
    // Another entity is another run.
    second.begin_pull("acme", "Location", None, at(3)).unwrap();

    // Once the lease runs out with no page committed, the second may take the run over,
    // and the first then stops at its next page instead of writing beside it.
    let later = at(2) + PULL_LEASE + chrono::TimeDelta::seconds(1);
    second.claim_pull(run.id, later).unwrap();
    assert_eq!(
        first
            .commit_page(run.id, &page(11..21), Some("20"), later)
            .unwrap_err()
            .code(),
        "pull_not_owned"
    );
    second
        .commit_page(run.id, &page(11..21), Some("20"), later)
        .unwrap();
    assert_eq!(
        first
            .finish_pull(run.id, PullStatus::Failed, None, later)
            .unwrap_err()
            .code(),
        "pull_in_progress"
    );
    let done = second
        .finish_pull(run.id, PullStatus::Completed, None, later)
        .unwrap();
    assert_eq!((done.pages, done.records), (2, 20));
}

#[test]
fn a_run_dropped_mid_pull_is_free_to_resume_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = Store::open(dir.path()).unwrap();
    first.add_connection(&sandbox("acme"), at(0)).unwrap();
    let run = first.begin_pull("acme", "WorkOrder", None, at(1)).unwrap();
    first
        .commit_page(run.id, &page(1..11), Some("10"), at(2))
        .unwrap();
    drop(first);
    let second = Store::open(dir.path()).unwrap();
    let claimed = second.claim_pull(run.id, at(3)).unwrap();
    assert_eq!(claimed.cursor.as_deref(), Some("10"));
    // A handle that resumed the run (claimed, not begun) releases it on drop too.
    drop(second);
    let third = Store::open(dir.path()).unwrap();
    let claimed = third.claim_pull(run.id, at(4)).unwrap();
    assert_eq!(claimed.cursor.as_deref(), Some("10"));
}

/// A second connection to the workspace holding SQLite's write lock in the middle of a
/// page commit (a record written, the run's progress moved, nothing committed yet), as
/// another process's `unifield pull` does for most of a pull.
fn mid_page_commit(dir: &Path, run_id: i64) -> rusqlite::Connection {
    let db = rusqlite::Connection::open(dir.join(Store::FILE)).unwrap();
    // Nothing else holds the lock when it is taken; the short wait only keeps a broken
    // test from hanging.
    db.busy_timeout(std::time::Duration::from_millis(100))
        .unwrap();
    db.execute_batch("BEGIN IMMEDIATE").unwrap();
    db.execute(
        "INSERT INTO records (connection_id, entity, source_id, json, content_hash, fetched_at) \
         SELECT connection_id, entity, '11', '{\"Id\":11}', '', '2026-11-26T12:03:00Z' FROM pull_runs WHERE id = ?1",
        [run_id],
    )
    .unwrap();
    db.execute(
        "UPDATE pull_runs SET cursor = '11', pages = pages + 1, records = records + 1 WHERE id = ?1",
        [run_id],
    )
    .unwrap();
    db
}

#[test]
fn an_up_to_date_workspace_opens_and_reads_while_a_pull_holds_the_write_lock() {
    let dir = tempfile::tempdir().unwrap();
    let mut pull = Store::open(dir.path()).unwrap();
    pull.add_connection(&sandbox("acme"), at(0)).unwrap();
    let run = pull.begin_pull("acme", "WorkOrder", None, at(1)).unwrap();
    pull.commit_page(run.id, &page(1..11), Some("10"), at(2))
        .unwrap();
    let writer = mid_page_commit(dir.path(), run.id);

    // The studio opening the workspace meanwhile: before the migration check read the
    // version without the write lock, this waited out the 5 s busy timeout and failed
    // with "database is locked".
    let studio = Store::open(dir.path())
        .unwrap_or_else(|e| panic!("opening beside a pull's page commit: {e}"));
    assert_eq!(studio.schema_version().unwrap(), 3);
    let runs = studio.pull_runs("acme").unwrap();
    assert_eq!(
        (runs[0].pages, runs[0].cursor.as_deref()),
        (1, Some("10")),
        "the studio reads the last committed page, not the one being written"
    );
    assert_eq!(studio.record_count("acme", "WorkOrder").unwrap(), 10);
    // It only read, so its drop asks for no lock either.
    drop(studio);

    writer.execute_batch("COMMIT").unwrap();
    let after = Store::open(dir.path()).unwrap();
    assert_eq!(after.record_count("acme", "WorkOrder").unwrap(), 11);
    assert_eq!(after.pull_runs("acme").unwrap()[0].pages, 2);
}

#[test]
fn a_workspace_that_needs_a_migration_still_waits_for_the_write_lock_to_migrate() {
    // The read-first check must not let a migration run beside another writer: an old
    // file opened while another connection holds the write lock is not migrated behind
    // its back, and opens once the lock is free.
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path()).unwrap());
    let path = dir.path().join(Store::FILE);
    let writer = rusqlite::Connection::open(&path).unwrap();
    writer
        .execute_batch("PRAGMA user_version = 2; BEGIN IMMEDIATE; ALTER TABLE pull_runs DROP COLUMN properties;")
        .unwrap();
    let refused = Store::open(dir.path())
        .err()
        .expect("a migration needs the write lock the other connection holds");
    assert!(
        refused.to_string().contains("locked"),
        "the lock is named: {refused}"
    );
    writer.execute_batch("COMMIT").unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(
        store.schema_version().unwrap(),
        3,
        "migrated once the lock was free"
    );
}
