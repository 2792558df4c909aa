//! The workspace store on real SQLite files in temporary directories.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use unifield_store::{ConnectionSettings, Endpoint, PullStatus, Region, Store, StoreError};

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

fn work_orders(ids: std::ops::Range<u64>, status: &str) -> Vec<(String, Value)> {
    ids.map(|id| {
        (
            id.to_string(),
            json!({"Id": id, "StatusId": status, "Number": format!("ASN{id:07}")}),
        )
    })
    .collect()
}

#[test]
fn the_migrated_schema_is_what_the_migrations_say() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.schema_version().unwrap(), 3);
    insta::assert_snapshot!("schema", store.schema_sql().unwrap());
}

#[test]
fn reopening_keeps_data_and_a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    Store::open(dir.path())
        .unwrap()
        .add_connection(&sandbox("acme"), at(0))
        .unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(
        store.connections().unwrap().len(),
        1,
        "migrations run once; data stays"
    );
    drop(store);
    let raw = rusqlite_like_raw(dir.path());
    raw(&["PRAGMA user_version = 99"]);
    let error = Store::open(dir.path())
        .err()
        .expect("a newer schema must not open");
    assert_eq!(error.code(), "workspace_too_new");
    assert!(error.to_string().contains("schema 99"), "{error}");
}

/// Runs SQL against a workspace file through the store's own SQLite, as another program would.
fn rusqlite_like_raw(dir: &Path) -> impl Fn(&[&str]) {
    let path = dir.join(Store::FILE);
    move |statements: &[&str]| {
        let db = rusqlite::Connection::open(&path).unwrap();
        for sql in statements {
            db.execute_batch(sql).unwrap();
        }
    }
}

#[test]
fn connections_are_unique_by_name_and_validated() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let added = store.add_connection(&sandbox("acme"), at(0)).unwrap();
    assert_eq!(added.settings, sandbox("acme"));
    assert_eq!(added.created_at, "2026-11-26T12:00:00.000Z");
    assert_eq!(
        store
            .add_connection(&sandbox("acme"), at(1))
            .unwrap_err()
            .code(),
        "duplicate_connection"
    );
    let regional = ConnectionSettings {
        endpoint: Endpoint::Region(Region::Emea),
        ..sandbox("eu")
    };
    store.add_connection(&regional, at(2)).unwrap();
    let bad = ConnectionSettings {
        endpoint: Endpoint::BaseUrl("ftp://x".into()),
        ..sandbox("bad")
    };
    assert_eq!(
        store.add_connection(&bad, at(3)).unwrap_err().code(),
        "invalid_url"
    );
    let names: Vec<String> = store
        .connections()
        .unwrap()
        .into_iter()
        .map(|c| c.settings.name)
        .collect();
    assert_eq!(names, ["acme", "eu"]);
    assert_eq!(
        store.connection("eu").unwrap().settings.endpoint,
        Endpoint::Region(Region::Emea)
    );
    assert!(matches!(
        store.connection("nope"),
        Err(StoreError::UnknownConnection(_))
    ));
}

#[test]
fn pages_upsert_without_duplicates_and_report_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.add_connection(&sandbox("acme"), at(0)).unwrap();
    let run = store.begin_pull("acme", "WorkOrder", None, at(1)).unwrap();
    let first = store
        .commit_page(run.id, &work_orders(1..101, "New"), Some("100"), at(2))
        .unwrap();
    assert_eq!(
        (first.inserted, first.updated, first.unchanged),
        (100, 0, 0)
    );
    let mut second_page = work_orders(51..151, "New");
    second_page[0].1["StatusId"] = json!("Completed");
    let second = store
        .commit_page(run.id, &second_page, Some("150"), at(3))
        .unwrap();
    assert_eq!(
        (second.inserted, second.updated, second.unchanged),
        (50, 1, 49)
    );
    assert_eq!(store.record_count("acme", "WorkOrder").unwrap(), 150);
    let changed = store.record("acme", "WorkOrder", "51").unwrap().unwrap();
    assert_eq!(changed.value["StatusId"], "Completed");
    assert_eq!(changed.fetched_at, "2026-11-26T12:03:00.000Z");
    let unchanged = store.record("acme", "WorkOrder", "52").unwrap().unwrap();
    assert_eq!(
        unchanged.fetched_at, "2026-11-26T12:02:00.000Z",
        "an unchanged record is not rewritten"
    );
    let run = store
        .finish_pull(run.id, PullStatus::Completed, None, at(4))
        .unwrap();
    assert_eq!(
        (run.pages, run.records, run.cursor.as_deref()),
        (2, 200, Some("150"))
    );
    assert_eq!(
        store
            .commit_page(run.id, &work_orders(1..2, "New"), None, at(5))
            .unwrap_err()
            .code(),
        "pull_not_running"
    );
    assert_eq!(
        store.record_count("acme", "WorkOrder").unwrap(),
        150,
        "a finished run commits nothing"
    );
}

#[test]
fn an_interrupted_pull_resumes_from_its_cursor() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut store = Store::open(dir.path()).unwrap();
        store.add_connection(&sandbox("acme"), at(0)).unwrap();
        let run = store
            .begin_pull("acme", "WorkOrder", Some("2026-11-01T00:00:00Z"), at(1))
            .unwrap();
        store
            .commit_page(run.id, &work_orders(1..51, "New"), Some("50"), at(2))
            .unwrap();
        // The process dies here: no finish_pull.
    }
    let mut store = Store::open(dir.path()).unwrap();
    let unfinished = store
        .unfinished_pull("acme", "WorkOrder")
        .unwrap()
        .expect("the pull is still running");
    assert_eq!(
        (
            unfinished.cursor.as_deref(),
            unfinished.pages,
            unfinished.since.as_deref()
        ),
        (Some("50"), 1, Some("2026-11-01T00:00:00Z"))
    );
    store.claim_pull(unfinished.id, at(3)).unwrap();
    store
        .commit_page(
            unfinished.id,
            &work_orders(51..81, "New"),
            Some("80"),
            at(3),
        )
        .unwrap();
    store
        .finish_pull(unfinished.id, PullStatus::Completed, None, at(4))
        .unwrap();
    assert!(store
        .unfinished_pull("acme", "WorkOrder")
        .unwrap()
        .is_none());
    assert_eq!(store.record_count("acme", "WorkOrder").unwrap(), 80);
    let mut seen = Vec::new();
    store
        .for_each_record("acme", "WorkOrder", |r| {
            seen.push(r.source_id);
            seen.len() < 3
        })
        .unwrap();
    assert_eq!(
        seen,
        ["1", "10", "11"],
        "source-id order, and `false` stops early"
    );
}

#[test]
fn removing_a_connection_removes_its_records_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.add_connection(&sandbox("acme"), at(0)).unwrap();
    let run = store.begin_pull("acme", "WorkOrder", None, at(1)).unwrap();
    store
        .commit_page(run.id, &work_orders(1..11, "New"), None, at(2))
        .unwrap();
    store.remove_connection("acme").unwrap();
    store.add_connection(&sandbox("acme"), at(3)).unwrap();
    assert_eq!(store.record_count("acme", "WorkOrder").unwrap(), 0);
    assert!(store.pull_runs("acme").unwrap().is_empty());
    assert_eq!(
        store.remove_connection("ghost").unwrap_err().code(),
        "unknown_connection"
    );
}

#[test]
fn mapping_history_is_append_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let v1 = store
        .save_mapping("corrigo/work_order", "{\"v\": 1}\n", Some("first"), at(0))
        .unwrap();
    let v2 = store
        .save_mapping("corrigo/work_order", "{\"v\": 2}\n", None, at(1))
        .unwrap();
    let same = store
        .save_mapping(
            "corrigo/work_order",
            "{\"v\": 2}\n",
            Some("no change"),
            at(2),
        )
        .unwrap();
    assert_eq!((v1.version, v2.version), (1, 2));
    assert_eq!(same, v2, "saving identical text makes no new version");
    let history: Vec<u32> = store
        .mapping_history("corrigo/work_order")
        .unwrap()
        .iter()
        .map(|v| v.version)
        .collect();
    assert_eq!(history, [2, 1]);
    assert_eq!(
        store
            .mapping_version("corrigo/work_order", 1)
            .unwrap()
            .message
            .as_deref(),
        Some("first")
    );
    assert_eq!(store.latest_mappings().unwrap(), vec![v2]);
    assert_eq!(
        store
            .mapping_version("corrigo/work_order", 7)
            .unwrap_err()
            .code(),
        "unknown_mapping_version"
    );
    drop(store);
    let db = rusqlite::Connection::open(dir.path().join(Store::FILE)).unwrap();
    for sql in [
        "UPDATE mapping_versions SET text = 'x'",
        "DELETE FROM mapping_versions",
    ] {
        let error = db.execute(sql, []).unwrap_err().to_string();
        assert!(
            error.contains("mapping versions are immutable"),
            "{sql}: {error}"
        );
    }
}

#[test]
fn test_cases_are_saved_per_mapping_and_replaced_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.save_mapping("wo", "{}", None, at(0)).unwrap();
    store
        .save_test_case(
            "wo",
            "new order",
            &json!({"Id": 1}),
            &json!({"key": "1"}),
            at(1),
        )
        .unwrap();
    store
        .save_test_case(
            "wo",
            "new order",
            &json!({"Id": 2}),
            &json!({"key": "2"}),
            at(2),
        )
        .unwrap();
    let cases = store.test_cases("wo").unwrap();
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].record, json!({"Id": 2}));
    assert_eq!(
        store
            .save_test_case("nope", "x", &json!({}), &json!({}), at(3))
            .unwrap_err()
            .code(),
        "unknown_mapping"
    );
}

#[test]
fn a_record_given_twice_in_one_page_is_inserted_then_updated() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.add_connection(&sandbox("acme"), at(0)).unwrap();
    let run = store.begin_pull("acme", "WorkOrder", None, at(1)).unwrap();
    let mut page = work_orders(1..4, "New");
    page.extend(work_orders(2..3, "Completed"));
    page.extend(work_orders(3..4, "New"));
    let outcome = store.commit_page(run.id, &page, None, at(2)).unwrap();
    assert_eq!(
        (outcome.inserted, outcome.updated, outcome.unchanged),
        (3, 1, 1)
    );
    let record = store.record("acme", "WorkOrder", "2").unwrap().unwrap();
    assert_eq!(record.value["StatusId"], "Completed", "the later one stays");
    assert_eq!(store.record_count("acme", "WorkOrder").unwrap(), 3);
}

/// A workspace file as earlier builds left it, with one cached record and its SHA-256
/// `content_hash` (no longer read or written: '' for records written now).
fn version_3_workspace(dir: &Path) {
    let db = rusqlite::Connection::open(dir.join(Store::FILE)).unwrap();
    db.execute_batch("PRAGMA journal_mode = WAL").unwrap();
    for sql in [
        include_str!("../migrations/0001_initial.sql"),
        include_str!("../migrations/0002_pull_lease.sql"),
        include_str!("../migrations/0003_pull_properties.sql"),
    ] {
        db.execute_batch(sql).unwrap();
    }
    db.execute_batch(
        "INSERT INTO connections (name, company, base_url, client_id, created_at)
           VALUES ('acme', 'Asurion', 'http://127.0.0.1:8080', 'client-1', '2026-11-26T12:00:00.000Z');
         PRAGMA user_version = 3;",
    )
    .unwrap();
    // The text a pull of work order 1 stores, as `commit_page` writes it.
    let text = serde_json::to_string(&work_orders(1..2, "New")[0].1).unwrap();
    db.execute(
        "INSERT INTO records (connection_id, entity, source_id, json, content_hash, fetched_at)
           VALUES (1, 'WorkOrder', '1', ?1, 'c0ffee', '2026-11-26T12:00:00.000Z')",
        [text],
    )
    .unwrap();
}

#[test]
fn a_workspace_of_earlier_builds_is_opened_as_it_is_and_its_records_compared_by_text() {
    let dir = tempfile::tempdir().unwrap();
    version_3_workspace(dir.path());
    let mut store = Store::open(dir.path()).unwrap();
    // No migration: the records table is not rewritten on open (a big cache would take
    // seconds and twice its disk, locking every other opener out meanwhile).
    assert_eq!(store.schema_version().unwrap(), 3);
    insta::assert_snapshot!("schema", store.schema_sql().unwrap());
    let run = store.begin_pull("acme", "WorkOrder", None, at(1)).unwrap();
    // The same text as cached: unchanged (whatever hash the old file held for it).
    let outcome = store
        .commit_page(run.id, &work_orders(1..2, "New"), None, at(2))
        .unwrap();
    assert_eq!(
        (outcome.inserted, outcome.updated, outcome.unchanged),
        (0, 0, 1)
    );
    let outcome = store
        .commit_page(run.id, &work_orders(1..3, "Completed"), None, at(3))
        .unwrap();
    assert_eq!(
        (outcome.inserted, outcome.updated, outcome.unchanged),
        (1, 1, 0)
    );
    let record = store.record("acme", "WorkOrder", "1").unwrap().unwrap();
    assert_eq!(
        (
            record.value["StatusId"].as_str(),
            record.fetched_at.as_str()
        ),
        (Some("Completed"), "2026-11-26T12:03:00.000Z")
    );
    assert_eq!(store.integrity_check().unwrap(), "ok");
}

#[test]
fn a_finished_pull_leaves_its_pages_in_the_file_not_only_in_the_wal() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.add_connection(&sandbox("acme"), at(0)).unwrap();
    let run = store.begin_pull("acme", "WorkOrder", None, at(1)).unwrap();
    // Bulky records, well under SQLite's own checkpoint at 1,000 pages.
    let note = "x".repeat(2_000);
    for first in (1..=600u64).step_by(200) {
        let page: Vec<(String, Value)> = (first..first + 200)
            .map(|id| (id.to_string(), json!({"Id": id, "Note": note})))
            .collect();
        store.commit_page(run.id, &page, None, at(2)).unwrap();
    }
    let file = dir.path().join(Store::FILE);
    let size = || std::fs::metadata(&file).unwrap().len();
    assert!(
        size() < 200_000,
        "the pages are in the WAL so far: {}",
        size()
    );
    store
        .finish_pull(run.id, PullStatus::Completed, None, at(3))
        .unwrap();
    // The handle stays open (as the studio's does): the file holds the 1.2 MB of records.
    assert!(size() > 1_200_000, "checkpointed at the end: {}", size());
    assert_eq!(store.record_count("acme", "WorkOrder").unwrap(), 600);
}

/// The page size of a workspace file, read as another program would.
fn page_size(dir: &Path) -> i64 {
    rusqlite::Connection::open(dir.join(Store::FILE))
        .unwrap()
        .query_row("PRAGMA page_size", [], |row| row.get(0))
        .unwrap()
}

#[test]
fn a_new_workspace_has_16_kib_pages_and_an_older_file_keeps_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.add_connection(&sandbox("acme"), at(0)).unwrap();
    let run = store.begin_pull("acme", "WorkOrder", None, at(1)).unwrap();
    store
        .commit_page(run.id, &work_orders(1..101, "New"), Some("100"), at(2))
        .unwrap();
    drop(store);
    assert_eq!(page_size(dir.path()), 16_384);

    // A workspace made with SQLite's default 4 KiB pages (every workspace before this
    // change): WAL mode fixes its page size, and the store works on it as it is.
    let older = tempfile::tempdir().unwrap();
    rusqlite_like_raw(older.path())(&[
        "PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; PRAGMA user_version = 0",
    ]);
    assert_eq!(page_size(older.path()), 4096);
    let mut store = Store::open(older.path()).unwrap();
    store.add_connection(&sandbox("acme"), at(0)).unwrap();
    let run = store.begin_pull("acme", "WorkOrder", None, at(1)).unwrap();
    store
        .commit_page(run.id, &work_orders(1..101, "New"), Some("100"), at(2))
        .unwrap();
    assert_eq!(store.record_count("acme", "WorkOrder").unwrap(), 100);
    assert_eq!(store.integrity_check().unwrap(), "ok");
    drop(store);
    assert_eq!(page_size(older.path()), 4096);
}

const WRITER: &str = "UNIFIELD_STORE_KILL_TEST_WRITER";
const PAGE: u64 = 200;

/// In the child: pull forever (bounded), one page per transaction, until killed.
fn write_until_killed(dir: &Path) {
    let mut store = Store::open(dir).unwrap();
    let run = store.begin_pull("acme", "WorkOrder", None, at(1)).unwrap();
    let started = Instant::now();
    for page in 0..10_000u64 {
        if started.elapsed() > Duration::from_secs(30) {
            break;
        }
        let first = page * PAGE + 1;
        store
            .commit_page(
                run.id,
                &work_orders(first..first + PAGE, "New"),
                Some(&(first + PAGE - 1).to_string()),
                at(2),
            )
            .unwrap();
    }
}

#[test]
fn kill_minus_9_mid_pull_leaves_every_committed_page() {
    if let Ok(dir) = std::env::var(WRITER) {
        write_until_killed(Path::new(&dir));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    Store::open(dir.path())
        .unwrap()
        .add_connection(&sandbox("acme"), at(0))
        .unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "kill_minus_9_mid_pull_leaves_every_committed_page",
            "--nocapture",
        ])
        .env(WRITER, dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until a few pages are in, then kill mid-write (SIGKILL: no cleanup at all).
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let pages = Store::open(dir.path())
            .ok()
            .and_then(|s| s.pull_runs("acme").ok())
            .and_then(|runs| runs.first().map(|r| r.pages))
            .unwrap_or(0);
        if pages >= 5 || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let mut store = Store::open(dir.path()).expect("the killed workspace opens");
    assert_eq!(store.integrity_check().unwrap(), "ok");
    let run = store
        .unfinished_pull("acme", "WorkOrder")
        .unwrap()
        .expect("the killed run is resumable");
    assert!(
        run.pages >= 5,
        "the child committed pages before the kill ({})",
        run.pages
    );
    let cached = store.record_count("acme", "WorkOrder").unwrap();
    assert_eq!(
        cached,
        run.pages * PAGE,
        "exactly the committed pages are cached: no partial page"
    );
    assert_eq!(
        run.cursor,
        Some(cached.to_string()),
        "the cursor matches the last committed page"
    );
    // Resume from the cursor: the rest arrives with no duplicates. The killed owner's
    // lease has not run out, but its process is gone, so the run can be claimed.
    store.claim_pull(run.id, at(3)).unwrap();
    let next = cached + 1;
    store
        .commit_page(
            run.id,
            &work_orders(next..next + PAGE, "New"),
            Some(&(next + PAGE - 1).to_string()),
            at(3),
        )
        .unwrap();
    store
        .finish_pull(run.id, PullStatus::Completed, None, at(4))
        .unwrap();
    assert_eq!(
        store.record_count("acme", "WorkOrder").unwrap(),
        cached + PAGE
    );
}
