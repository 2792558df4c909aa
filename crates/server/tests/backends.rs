//! The storage interface's suite, run unchanged on both backends: a real SQLite file in a
//! temporary directory and a real PostgreSQL database on a throwaway loopback cluster
//! (crates/test-support). Each case below is one function over `&Storage`; the
//! `on_both!` list makes a `sqlite::case` and a `postgres::case` test of it. Without
//! PostgreSQL installed the postgres tests print SKIPPED (scripts/setup installs it).

use chrono::Utc;
use unifield_server::storage::{
    timestamp, ApiKeyRow, ClaimedWebhookDelivery, NewEvent, PageChange, Principal, Storage,
    TokenRow, WebhookAttemptRow, WebhookEndpointRow, WebhookNext,
};
use unifield_server::{Service, Settings};

/// A backend under test, kept alive (its directory or database) for the test's length.
struct Backend {
    storage: Storage,
    _dir: Option<tempfile::TempDir>,
    url: Option<String>,
}

impl Backend {
    /// Another handle on the same database: a second node.
    fn second_node(&self) -> Storage {
        match (&self._dir, &self.url) {
            (Some(dir), _) => Storage::open(&dir.path().join("data")).unwrap(),
            (None, Some(url)) => Storage::open_postgres(url).unwrap(),
            (None, None) => unreachable!("a backend has a directory or a URL"),
        }
    }
}

fn sqlite() -> Backend {
    let dir = tempfile::tempdir().unwrap();
    Backend {
        storage: Storage::open(&dir.path().join("data")).unwrap(),
        _dir: Some(dir),
        url: None,
    }
}

/// A fresh database on the process's shared cluster; None (after saying SKIPPED) when
/// PostgreSQL cannot be started here.
fn postgres_url() -> Option<String> {
    let cluster = unifield_test_support::or_skipped(
        unifield_test_support::postgres::PgCluster::shared(),
        "PostgreSQL backend test",
    )?;
    Some(cluster.database().unwrap())
}

fn postgres() -> Option<Backend> {
    postgres_url().map(|url| Backend {
        storage: Storage::open_postgres(&url).unwrap(),
        _dir: None,
        url: Some(url),
    })
}

macro_rules! on_both {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $case() { super::$case(super::sqlite()) } )*
        }
        mod postgres {
            $( #[test] fn $case() {
                if let Some(backend) = super::postgres() {
                    assert_eq!(backend.storage.backend_name(), "postgres");
                    super::$case(backend)
                }
            } )*
        }
    };
}

on_both!(
    organizations_are_unique_by_name,
    api_keys_authenticate_until_revoked,
    tokens_of_an_unknown_connection_authenticate_nobody,
    events_come_back_in_order_after_a_sequence_number,
    the_schema_is_at_the_latest_version,
    the_service_creates_authenticates_and_revokes_keys,
    one_node_at_a_time_holds_a_connections_sync_lease,
    record_counts_and_pages_follow_every_commit_and_deletion,
    a_retried_delivery_is_due_after_its_delay,
    a_connections_next_sync_is_due_after_its_interval,
    a_rotated_out_secret_signs_until_its_grace_ends,
);

fn connection(id: &str) -> unifield_server::storage::NewConnection {
    unifield_server::storage::NewConnection {
        id: id.into(),
        org_id: "org_a".into(),
        name: id.into(),
        company: "Co".into(),
        region: None,
        base_url: Some("http://127.0.0.1:1".into()),
        client_id: "client".into(),
        sealed_secret: vec![1, 2, 3],
        created_at: "2026-01-01T00:00:00.000Z".into(),
    }
}

/// `(source id, body, hash)` records `from..to`, their hash carrying `version`.
fn records(from: usize, to: usize, version: u32) -> Vec<(String, String, String)> {
    (from..to)
        .map(|n| {
            (
                format!("wo-{n:04}"),
                format!("{{\"Id\":{n},\"v\":{version}}}"),
                format!("hash-{n}-{version}"),
            )
        })
        .collect()
}

/// The total a unified list shows (`raw_count`) and its pages (`raw_slice`) agree with the
/// records actually stored, in storage order, after creates, updates, unchanged repeats,
/// other entities and connections, and a connection's deletion; a second node reads the
/// same. (On PostgreSQL the count is kept by triggers and the page read by a deferred join.)
fn record_counts_and_pages_follow_every_commit_and_deletion(backend: Backend) {
    let a = &backend.storage;
    a.add_org("org_a", "alpha", "2026-01-01T00:00:00.000Z")
        .unwrap();
    a.add_connection(&connection("con_1"), &[]).unwrap();
    a.add_connection(&connection("con_2"), &[]).unwrap();
    let now = "2026-01-01T00:01:00.000Z";
    let run = a.begin_sync("con_1", now, &[]).unwrap();
    assert_eq!(a.raw_count("con_1", "WorkOrder").unwrap(), 0);
    assert!(a
        .raw_slice("con_1", "WorkOrder", 0, 100)
        .unwrap()
        .is_empty());
    for page in records(0, 250, 1).chunks(100) {
        a.commit_page("con_1", "WorkOrder", run, page, now, |_| Vec::new())
            .unwrap();
    }
    a.commit_page("con_1", "Asset", run, &records(0, 5, 1), now, |_| {
        Vec::new()
    })
    .unwrap();
    a.commit_page("con_2", "WorkOrder", run, &records(0, 7, 1), now, |_| {
        Vec::new()
    })
    .unwrap();
    assert_eq!(a.raw_count("con_1", "WorkOrder").unwrap(), 250);
    // A page of 40 unchanged, 30 updated and 30 new records counts only the new ones.
    let mut mixed = records(100, 140, 1);
    mixed.extend(records(140, 170, 2));
    mixed.extend(records(250, 280, 1));
    let changes = a
        .commit_page("con_1", "WorkOrder", run, &mixed, now, |_| Vec::new())
        .unwrap();
    let created = changes
        .iter()
        .filter(|c| **c == PageChange::Created)
        .count();
    assert_eq!(created, 30);
    assert_eq!(a.raw_count("con_1", "WorkOrder").unwrap(), 280);
    assert_eq!(a.raw_count("con_1", "Asset").unwrap(), 5);
    assert_eq!(a.raw_count("con_2", "WorkOrder").unwrap(), 7);
    assert_eq!(a.raw_count("con_2", "Asset").unwrap(), 0);
    // A source id twice in one page: created once, then updated to the later body; the
    // page's other new record follows it in storage order.
    let mut repeated = records(0, 1, 1);
    repeated[0].0 = "wo-dup".into();
    repeated.extend(repeated.clone());
    repeated[1].1 = "{\"dup\":2}".into();
    repeated[1].2 = "hash-dup-2".into();
    repeated.push(("wo-after".into(), "{}".into(), "hash-after".into()));
    let changes = a
        .commit_page("con_2", "WorkOrder", run, &repeated, now, |_| Vec::new())
        .unwrap();
    assert_eq!(
        changes,
        [
            PageChange::Created,
            PageChange::Updated,
            PageChange::Created
        ]
    );
    assert_eq!(a.raw_count("con_2", "WorkOrder").unwrap(), 9);
    let last = a.raw_slice("con_2", "WorkOrder", 7, 10).unwrap();
    assert_eq!(last.len(), 2);
    assert_eq!(
        (last[0].source_id.as_str(), last[0].body.as_str()),
        ("wo-dup", "{\"dup\":2}")
    );
    assert_eq!(last[1].source_id, "wo-after");

    let mut stored = Vec::new();
    a.each_raw("con_1", "WorkOrder", |r| stored.push(r))
        .unwrap();
    assert_eq!(stored.len(), 280);
    assert!(stored.windows(2).all(|w| w[0].id < w[1].id));
    let b = backend.second_node();
    for node in [a, &b] {
        assert_eq!(node.raw_count("con_1", "WorkOrder").unwrap(), 280);
        for (offset, limit) in [
            (0, 100),
            (100, 100),
            (200, 100),
            (139, 3),
            (279, 100),
            (280, 100),
            (5000, 100),
            (0, 1),
        ] {
            let page = node.raw_slice("con_1", "WorkOrder", offset, limit).unwrap();
            let expected: Vec<_> = stored.iter().skip(offset).take(limit).cloned().collect();
            assert_eq!(page, expected, "offset {offset}, limit {limit}");
        }
    }
    // The updated records' new bodies are what a page reads.
    let page = a.raw_slice("con_1", "WorkOrder", 140, 1).unwrap();
    assert_eq!(page[0].source_id, "wo-0140");
    assert_eq!(page[0].body, "{\"Id\":140,\"v\":2}");

    assert!(a.delete_connection("org_a", "con_1").unwrap());
    assert_eq!(a.raw_count("con_1", "WorkOrder").unwrap(), 0);
    assert_eq!(a.raw_count("con_1", "Asset").unwrap(), 0);
    assert!(a
        .raw_slice("con_1", "WorkOrder", 0, 100)
        .unwrap()
        .is_empty());
    assert_eq!(a.raw_count("con_2", "WorkOrder").unwrap(), 9);
    // A connection made again under the same id starts from nothing.
    a.add_connection(&connection("con_1"), &[]).unwrap();
    let run = a.begin_sync("con_1", now, &[]).unwrap();
    a.commit_page("con_1", "WorkOrder", run, &records(0, 3, 1), now, |_| {
        Vec::new()
    })
    .unwrap();
    assert_eq!(a.raw_count("con_1", "WorkOrder").unwrap(), 3);
    // SQLite serves one process per file (its count is cached in the process); on
    // PostgreSQL the other node sees the deletion and the new records at once.
    if backend.url.is_some() {
        assert_eq!(b.raw_count("con_1", "WorkOrder").unwrap(), 3);
    }
}

/// `open_postgres_pooled(url, n)` holds at most n database connections at once: readers
/// holding a connection (each_raw's callback runs while its rows stream) are never more
/// than n together with a pool of 2, and are more than 2 with a pool of 6 (the control).
#[test]
fn on_postgres_a_nodes_pool_size_bounds_its_connections_at_once() {
    let Some(url) = postgres_url() else { return };
    let setup = Storage::open_postgres(&url).unwrap();
    setup
        .add_org("org_a", "alpha", "2026-01-01T00:00:00.000Z")
        .unwrap();
    setup.add_connection(&connection("con_1"), &[]).unwrap();
    let run = setup
        .begin_sync("con_1", "2026-01-01T00:01:00.000Z", &[])
        .unwrap();
    setup
        .commit_page(
            "con_1",
            "WorkOrder",
            run,
            &records(0, 1, 1),
            "2026-01-01T00:01:00.000Z",
            |_| Vec::new(),
        )
        .unwrap();
    let most_at_once = |pool_size: usize| {
        let storage = Storage::open_postgres_pooled(&url, pool_size).unwrap();
        let inside = std::sync::atomic::AtomicUsize::new(0);
        let most = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..6 {
                scope.spawn(|| {
                    storage
                        .each_raw("con_1", "WorkOrder", |_| {
                            use std::sync::atomic::Ordering::SeqCst;
                            let now = inside.fetch_add(1, SeqCst) + 1;
                            most.fetch_max(now, SeqCst);
                            std::thread::sleep(std::time::Duration::from_millis(300));
                            inside.fetch_sub(1, SeqCst);
                        })
                        .unwrap();
                });
            }
        });
        most.into_inner()
    };
    let small = most_at_once(2);
    assert!((1..=2).contains(&small), "pool of 2: {small} at once");
    let large = most_at_once(6);
    assert!(large > 2, "pool of 6: only {large} at once");
}

/// A PostgreSQL database from before the record counts (schema version 3, records cached)
/// is upgraded at start with each entity's count taken from its records; records deleted or
/// truncated by hand afterwards are subtracted by the triggers too.
#[test]
fn on_postgres_record_counts_are_backfilled_on_upgrade_and_follow_hand_deletes() {
    let Some(url) = postgres_url() else { return };
    let migrations = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
    let psql = |args: &[&str]| {
        let out = std::process::Command::new("psql")
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &url])
            .args(args)
            .output()
            .expect("psql comes with PostgreSQL");
        assert!(out.status.success(), "{out:?}");
    };
    let file = |name: &str| migrations.join(name).to_string_lossy().into_owned();
    psql(&[
        "-c",
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
        "-f",
        &file("0001_server.sql"),
        "-f",
        &file("0002_sync_lease.sql"),
        "-f",
        &file("0003_webhooks.sql"),
        "-c",
        "INSERT INTO schema_migrations (version) VALUES (1), (2), (3);
         INSERT INTO organizations (id, name, created_at) VALUES ('org_a', 'alpha', '2026-01-01T00:00:00.000Z');
         INSERT INTO connections (id, org_id, name, company, client_id, sealed_secret, status, created_at)
             SELECT 'con_' || n, 'org_a', 'c' || n, 'Co', 'client', '\\x01', 'active',
                    '2026-01-01T00:00:00.000Z'
             FROM generate_series(1, 2) AS n;
         INSERT INTO raw_records (connection_id, entity, source_id, body, content_hash, updated_at)
             SELECT 'con_1', 'WorkOrder', 'wo-' || n, '{}', 'h', '2026-01-01T00:00:00.000Z'
             FROM generate_series(1, 1234) AS n;
         INSERT INTO raw_records (connection_id, entity, source_id, body, content_hash, updated_at)
             SELECT 'con_2', 'Asset', 'a-' || n, '{}', 'h', '2026-01-01T00:00:00.000Z'
             FROM generate_series(1, 5) AS n",
    ]);
    let storage = Storage::open_postgres(&url).unwrap();
    // Upgraded through 0004 (the counts' backfill) and whatever came after it.
    assert!(storage.schema_version().unwrap() >= 4);
    assert_eq!(storage.raw_count("con_1", "WorkOrder").unwrap(), 1234);
    assert_eq!(storage.raw_count("con_2", "Asset").unwrap(), 5);
    assert_eq!(
        storage
            .raw_slice("con_1", "WorkOrder", 1230, 100)
            .unwrap()
            .len(),
        4
    );
    psql(&[
        "-c",
        "DELETE FROM raw_records WHERE connection_id = 'con_1' AND source_id LIKE 'wo-1%'",
    ]);
    // wo-1, wo-10..19, wo-100..199, wo-1000..1234: 1 + 10 + 100 + 235.
    assert_eq!(storage.raw_count("con_1", "WorkOrder").unwrap(), 1234 - 346);
    assert_eq!(storage.raw_count("con_2", "Asset").unwrap(), 5);
    psql(&["-c", "TRUNCATE raw_records"]);
    assert_eq!(storage.raw_count("con_1", "WorkOrder").unwrap(), 0);
    assert_eq!(storage.raw_count("con_2", "Asset").unwrap(), 0);
}

fn one_node_at_a_time_holds_a_connections_sync_lease(backend: Backend) {
    let a = &backend.storage;
    let b = backend.second_node();
    a.add_org("org_a", "alpha", "2026-01-01T00:00:00.000Z")
        .unwrap();
    a.add_connection(&connection("con_1"), &[]).unwrap();
    // Real times: on PostgreSQL leases run on the database's clock (the times a node
    // passes give a lease's length only), so a lease ends when real time has passed.
    let start = chrono::Utc::now();
    let t = |ms: i64| timestamp(start + chrono::Duration::milliseconds(ms));
    assert!(a.lease_sync("con_1", "node-a", &t(0), &t(1500)).unwrap());
    assert!(
        !b.lease_sync("con_1", "node-b", &t(100), &t(1600)).unwrap(),
        "held by a"
    );
    assert!(
        a.lease_sync("con_1", "node-a", &t(200), &t(1700)).unwrap(),
        "a renews"
    );
    let run = a.begin_sync("con_1", &t(200), &[]).unwrap();
    assert!(
        !b.lease_sync("con_1", "node-b", &t(300), &t(1800)).unwrap(),
        "renewed"
    );
    // a stops renewing (it died): after its lease, b takes the connection over and the
    // run a left running is failed.
    let after = (t(1900).parse::<chrono::DateTime<chrono::Utc>>().unwrap() - chrono::Utc::now())
        .to_std()
        .unwrap_or_default();
    std::thread::sleep(after);
    let now = chrono::Utc::now();
    let n = |ms: i64| timestamp(now + chrono::Duration::milliseconds(ms));
    assert!(b.lease_sync("con_1", "node-b", &n(0), &n(60_000)).unwrap());
    let last = b.last_sync("con_1").unwrap().unwrap();
    assert_eq!(last.id, run);
    assert_eq!(last.status, "failed");
    assert_eq!(last.error.as_deref(), Some("the node syncing it stopped"));
    assert!(
        !a.lease_sync("con_1", "node-a", &n(100), &n(60_000))
            .unwrap(),
        "a lost it"
    );
    // Releasing is the holder's alone.
    a.release_sync_lease("con_1", "node-a").unwrap();
    assert!(!a
        .lease_sync("con_1", "node-a", &n(100), &n(60_000))
        .unwrap());
    b.release_sync_lease("con_1", "node-b").unwrap();
    assert!(a
        .lease_sync("con_1", "node-a", &n(100), &n(60_000))
        .unwrap());
    assert!(!a
        .lease_sync("con_missing", "node-a", &n(100), &n(60_000))
        .unwrap());
}

fn organizations_are_unique_by_name(backend: Backend) {
    let storage = &backend.storage;
    assert_eq!(
        storage
            .add_org("org_b", "beta", "2026-01-01T00:00:00.000Z")
            .unwrap(),
        Some(())
    );
    assert_eq!(
        storage
            .add_org("org_a", "alpha", "2026-01-01T00:00:00.000Z")
            .unwrap(),
        Some(())
    );
    // The name is taken: nothing is added, no error.
    assert_eq!(
        storage
            .add_org("org_c", "beta", "2026-01-02T00:00:00.000Z")
            .unwrap(),
        None
    );
    assert_eq!(
        storage.org_by_name("beta").unwrap().as_deref(),
        Some("org_b")
    );
    assert_eq!(storage.org_by_name("gamma").unwrap(), None);
    assert_eq!(
        storage.orgs().unwrap(),
        vec![
            ("org_a".to_string(), "alpha".to_string()),
            ("org_b".to_string(), "beta".to_string())
        ]
    );
}

fn key(id: &str, org: &str, at: &str) -> ApiKeyRow {
    ApiKeyRow {
        id: id.into(),
        org_id: org.into(),
        name: format!("{id} name"),
        prefix: "ufk_abc".into(),
        created_at: at.into(),
        revoked_at: None,
    }
}

fn api_keys_authenticate_until_revoked(backend: Backend) {
    let storage = &backend.storage;
    storage
        .add_org("org_a", "alpha", "2026-01-01T00:00:00.000Z")
        .unwrap();
    storage
        .add_org("org_b", "beta", "2026-01-01T00:00:00.000Z")
        .unwrap();
    storage
        .add_api_key(&key("key_2", "org_a", "2026-01-02T00:00:00.000Z"), "hash-2")
        .unwrap();
    storage
        .add_api_key(&key("key_1", "org_a", "2026-01-01T00:00:00.000Z"), "hash-1")
        .unwrap();
    storage
        .add_api_key(&key("key_3", "org_b", "2026-01-01T00:00:00.000Z"), "hash-3")
        .unwrap();
    // A hash is unique: a second key with it is refused.
    assert!(storage
        .add_api_key(&key("key_4", "org_b", "2026-01-01T00:00:00.000Z"), "hash-3")
        .is_err());

    let listed: Vec<String> = storage
        .api_keys("org_a")
        .unwrap()
        .into_iter()
        .map(|k| k.id)
        .collect();
    assert_eq!(listed, ["key_1", "key_2"], "ordered by creation");
    assert_eq!(
        storage.principal("hash-1").unwrap(),
        Some(Principal::Organization {
            org_id: "org_a".into(),
            key_name: "key_1 name".into()
        })
    );
    assert_eq!(storage.principal("nope").unwrap(), None);

    // Another organization's key id is not revoked through this one.
    assert!(!storage
        .revoke_api_key("org_b", "key_1", "2026-01-03T00:00:00.000Z")
        .unwrap());
    assert!(storage
        .revoke_api_key("org_a", "key_1", "2026-01-03T00:00:00.000Z")
        .unwrap());
    assert!(!storage
        .revoke_api_key("org_a", "key_1", "2026-01-04T00:00:00.000Z")
        .unwrap());
    assert_eq!(storage.principal("hash-1").unwrap(), None);
    let keys = storage.api_keys("org_a").unwrap();
    assert_eq!(
        keys[0].revoked_at.as_deref(),
        Some("2026-01-03T00:00:00.000Z")
    );
    assert!(storage.principal("hash-2").unwrap().is_some());
}

fn tokens_of_an_unknown_connection_authenticate_nobody(backend: Backend) {
    let storage = &backend.storage;
    storage
        .add_org("org_a", "alpha", "2026-01-01T00:00:00.000Z")
        .unwrap();
    let token = TokenRow {
        id: "tok_1".into(),
        connection_id: "con_missing".into(),
        name: "t".into(),
        prefix: "uft_abc".into(),
        created_at: "2026-01-01T00:00:00.000Z".into(),
        revoked_at: None,
    };
    // The connection must exist (a foreign key on both backends).
    assert!(storage.add_token("org_a", &token, "token-hash").is_err());
    assert_eq!(storage.principal("token-hash").unwrap(), None);
    assert!(storage.tokens("org_a", "con_missing").unwrap().is_empty());
    assert!(!storage
        .revoke_token("org_a", "con_missing", "tok_1", "2026-01-02T00:00:00.000Z")
        .unwrap());
}

fn event(n: usize) -> NewEvent {
    NewEvent {
        id: format!("evt_{n:04}"),
        org_id: "org_a".into(),
        connection_id: (n % 2 == 0).then(|| "con_1".to_string()),
        kind: "ping".into(),
        payload: format!(r#"{{"type":"ping","timestamp":"t","data":{{"n":{n}}}}}"#),
        created_at: "2026-01-01T00:00:00.000Z".into(),
    }
}

fn events_come_back_in_order_after_a_sequence_number(backend: Backend) {
    let storage = &backend.storage;
    assert!(storage.events_after(0, 10).unwrap().is_empty());
    storage
        .append_events(&(0..5).map(event).collect::<Vec<_>>())
        .unwrap();
    storage.append_events(&[]).unwrap();
    storage
        .append_events(&(5..8).map(event).collect::<Vec<_>>())
        .unwrap();
    let all = storage.events_after(0, 100).unwrap();
    let ids: Vec<&str> = all.iter().map(|e| e.id.as_str()).collect();
    let expected: Vec<String> = (0..8).map(|n| format!("evt_{n:04}")).collect();
    assert_eq!(ids, expected);
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(all[3].payload, event(3).payload, "payload kept exactly");
    assert_eq!(all[1].connection_id, None);
    assert_eq!(all[2].connection_id.as_deref(), Some("con_1"));

    let after = storage.events_after(all[4].seq, 2).unwrap();
    assert_eq!(
        after.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
        ["evt_0005", "evt_0006"]
    );
    // An event id is unique: a batch repeating one writes nothing at all.
    assert!(storage.append_events(&[event(8), event(0)]).is_err());
    assert_eq!(storage.events_after(0, 100).unwrap().len(), 8);
}

fn the_schema_is_at_the_latest_version(backend: Backend) {
    let storage = &backend.storage;
    let version = storage.schema_version().unwrap();
    assert!(version >= 1, "{version}");
    assert_eq!(storage.integrity_check().unwrap(), "ok");
}

fn the_service_creates_authenticates_and_revokes_keys(backend: Backend) {
    // The calls `unifield server org add` / `key create|revoke` and every request's
    // authentication make, above the storage interface.
    let Backend { storage, _dir, .. } = backend;
    let service = Service::new(storage, None, Settings::default());
    let org = service.add_org("acme").unwrap();
    let created = service.create_key("acme", "ci").unwrap();
    let principal = service.authenticate(&created.secret).unwrap();
    assert_eq!(principal.org_id(), org);
    let keys = service.keys("acme").unwrap();
    assert_eq!(keys.len(), 1);
    service.revoke_key("acme", &keys[0].id).unwrap();
    let refused = service.authenticate(&created.secret).unwrap_err();
    assert_eq!(refused.code(), "unauthorized");
    // The database keeps the key's hash, never the key.
    assert_eq!(service.storage.principal(&created.secret).unwrap(), None);
}

/// Every storage operation exists on PostgreSQL except the one that is right for a
/// SQLite file only (failing every `running` sync at start: one process per file; on a
/// shared database the sync lease decides). Asked of PostgreSQL it is refused with a code
/// and a 501, and changes nothing.
#[test]
fn on_postgres_the_sqlite_only_operation_is_refused_with_a_code() {
    assert_eq!(
        unifield_server::storage::NOT_ON_POSTGRES,
        ["fail_interrupted_syncs"]
    );
    let Some(backend) = postgres() else { return };
    let error = backend
        .storage
        .fail_interrupted_syncs("2026-01-01T00:00:00.000Z")
        .expect_err("SQLite only");
    assert_eq!(error.code(), "storage_not_supported");
    assert_eq!(
        error.to_string(),
        "`fail_interrupted_syncs` is for a SQLite database only; it is not supported on postgres"
    );
    // Through the service layer it is a 501 with that sentence, not a 500.
    let wrapped = unifield_server::Error::from(error);
    assert_eq!(wrapped.status().as_u16(), 501);
    assert!(wrapped.body().message.contains("not supported on postgres"));
}

#[test]
fn two_nodes_starting_together_migrate_once() {
    let Some(url) = postgres_url() else { return };
    let nodes: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || Storage::open_postgres(&url))
        })
        .collect();
    let opened: Vec<Storage> = nodes
        .into_iter()
        .map(|n| n.join().unwrap().unwrap())
        .collect();
    for storage in &opened {
        assert!(storage.schema_version().unwrap() >= 1);
    }
    // Every migration ran once: the applied list has no repeat and no gap, and the first
    // migration's tables exist once (a second run would have failed on CREATE TABLE).
    let output = std::process::Command::new("psql")
        .args([
            "-X",
            "-A",
            "-t",
            "-d",
            &url,
            "-c",
            "SELECT string_agg(version::text, ',' ORDER BY version) || '/' || count(*) FROM schema_migrations",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let applied = String::from_utf8_lossy(&output.stdout).trim().to_string();
    let version = opened[0].schema_version().unwrap();
    let expected: Vec<String> = (1..=version).map(|v| v.to_string()).collect();
    assert_eq!(applied, format!("{}/{version}", expected.join(",")));
}

// Several nodes on one PostgreSQL database: two storage handles are two nodes (each has
// its own connection pool, as two server processes do).

fn webhook_endpoint(id: &str, org: &str, at: &str) -> WebhookEndpointRow {
    WebhookEndpointRow {
        id: id.into(),
        org_id: org.into(),
        url: format!("https://receiver.example/{id}"),
        description: String::new(),
        events: r#"["*"]"#.into(),
        sealed_secret: vec![7; 40],
        sealed_previous_secret: None,
        previous_expires_at: None,
        enabled: true,
        disabled_reason: None,
        disabled_at: None,
        created_at: at.into(),
        updated_at: at.into(),
    }
}

fn sync_completed(n: usize, at: &str) -> NewEvent {
    NewEvent {
        id: format!("evt_{n:05}"),
        org_id: "org_a".into(),
        connection_id: None,
        kind: "sync.completed".into(),
        payload: format!(r#"{{"type":"sync.completed","timestamp":"{at}","data":{{"n":{n}}}}}"#),
        created_at: at.into(),
    }
}

fn delivered(delivery_id: i64, attempt: i64, at: &str) -> WebhookAttemptRow {
    WebhookAttemptRow {
        delivery_id,
        attempt,
        started_at: at.into(),
        status: Some(200),
        latency_ms: 1,
        response: "ok".into(),
        error_code: None,
        error: None,
    }
}

fn later(seconds: f64) -> String {
    timestamp(Utc::now() + chrono::Duration::milliseconds((seconds * 1000.0) as i64))
}

/// Two nodes fan the same events out at once, then drain every delivery at once, each
/// claiming heads of line (`FOR UPDATE SKIP LOCKED`) and chaining to the endpoint's next
/// delivery as the worker does: every (endpoint, event) is queued once, every delivery is
/// claimed exactly once while leases are live, and each endpoint's deliveries are claimed
/// in event order. Then a node dies holding leases: the other node gets nothing until they
/// expire (a 1 s lease), then takes every one over; the dead node's late finish changes
/// nothing.
#[test]
fn on_postgres_two_nodes_claim_each_delivery_once_and_take_over_expired_leases() {
    let Some(backend) = postgres() else { return };
    let nodes = [
        std::sync::Arc::new(backend.second_node()),
        std::sync::Arc::new(backend.second_node()),
    ];
    let storage = &backend.storage;
    let created = timestamp(Utc::now() - chrono::Duration::seconds(10));
    storage.add_org("org_a", "alpha", &created).unwrap();
    const ENDPOINTS: usize = 8;
    const EVENTS: usize = 30;
    let endpoints: Vec<String> = (0..ENDPOINTS).map(|n| format!("whe_{n}")).collect();
    for id in &endpoints {
        storage
            .add_webhook_endpoint(&webhook_endpoint(id, "org_a", &created))
            .unwrap();
    }
    // In batches, as syncs append them.
    for batch in (0..EVENTS).collect::<Vec<_>>().chunks(5) {
        let events: Vec<NewEvent> = batch.iter().map(|&n| sync_completed(n, &created)).collect();
        storage.append_events(&events).unwrap();
    }

    // Fan-out from both nodes at once, a few events per pass.
    let start = std::sync::Arc::new(std::sync::Barrier::new(2));
    let fanning: Vec<_> = nodes
        .iter()
        .map(|node| {
            let (node, start) = (node.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                for _ in 0..40 {
                    node.fan_out_webhook_events(3, &later(0.0)).unwrap();
                }
            })
        })
        .collect();
    for thread in fanning {
        thread.join().unwrap();
    }
    while storage.fan_out_webhook_events(100, &later(0.0)).unwrap() > 0 {}
    assert_eq!(
        storage.pending_webhook_deliveries().unwrap(),
        (ENDPOINTS * EVENTS) as i64,
        "one delivery per endpoint and event"
    );
    let events = storage.events_after(0, 1000).unwrap();
    for endpoint in &endpoints {
        let queued = storage.webhook_deliveries(endpoint, 500).unwrap();
        // Newest first: reversed, ids and event seqs both ascend, each event once.
        let seqs: Vec<i64> = queued.iter().rev().map(|(d, _)| d.event_seq).collect();
        let expected: Vec<i64> = events.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, expected, "{endpoint}: each event once, in order");
        assert!(queued.windows(2).all(|w| w[0].0.id > w[1].0.id));
    }

    // Both nodes drain everything at once, each from two threads (a node's worker claims
    // while its tasks finish and chain). Each claim is stamped from one counter right
    // after it returns, before its delivery is finished.
    let stamp = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = std::sync::Arc::new(std::sync::Barrier::new(4));
    let draining: Vec<_> = (0..4)
        .map(|t| {
            let node = nodes[t % 2].clone();
            let (stamp, start) = (stamp.clone(), start.clone());
            std::thread::spawn(move || {
                let name = format!("node-{}", t % 2);
                let mut claimed: Vec<(usize, String, i64)> = Vec::new();
                let mut take = |c: &ClaimedWebhookDelivery| {
                    let at = stamp.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    claimed.push((at, c.endpoint_id.clone(), c.delivery_id));
                };
                start.wait();
                for _ in 0..2000 {
                    let batch = node
                        .claim_webhook_deliveries(&name, &later(0.0), &later(60.0), 3)
                        .unwrap();
                    if batch.is_empty() {
                        if node.pending_webhook_deliveries().unwrap() == 0 {
                            break;
                        }
                        std::thread::sleep(std::time::Duration::from_millis(2));
                        continue;
                    }
                    for first in batch {
                        take(&first);
                        let mut current = Some(first);
                        // Chain on the endpoint, a few at a time, as the worker does.
                        for _ in 0..3 {
                            let Some(due) = current.take() else { break };
                            let now = later(0.0);
                            current = node
                                .finish_webhook_attempt(
                                    &name,
                                    &delivered(due.delivery_id, due.attempts + 1, &now),
                                    &WebhookNext::Delivered,
                                    &now,
                                    Some((&now, &later(60.0))),
                                )
                                .unwrap();
                            if let Some(next) = &current {
                                take(next);
                            }
                        }
                        if let Some(due) = current {
                            let now = later(0.0);
                            node.finish_webhook_attempt(
                                &name,
                                &delivered(due.delivery_id, due.attempts + 1, &now),
                                &WebhookNext::Delivered,
                                &now,
                                None,
                            )
                            .unwrap();
                        }
                    }
                }
                claimed
            })
        })
        .collect();
    let per_node: Vec<Vec<(usize, String, i64)>> =
        draining.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(
        storage.pending_webhook_deliveries().unwrap(),
        0,
        "all delivered"
    );
    let mut all: Vec<(usize, String, i64)> = per_node.concat();
    let mut ids: Vec<i64> = all.iter().map(|c| c.2).collect();
    ids.sort();
    let before = ids.len();
    ids.dedup();
    assert_eq!(before, ids.len(), "no delivery was claimed twice");
    assert_eq!(ids.len(), ENDPOINTS * EVENTS, "every delivery was claimed");
    all.sort();
    for endpoint in &endpoints {
        let order: Vec<i64> = all
            .iter()
            .filter(|c| &c.1 == endpoint)
            .map(|c| c.2)
            .collect();
        assert!(
            order.windows(2).all(|w| w[0] < w[1]),
            "{endpoint}: claimed in event order: {order:?}"
        );
        for (delivery, attempts) in storage.webhook_deliveries(endpoint, 500).unwrap() {
            assert_eq!(delivery.state, "delivered");
            assert_eq!(attempts.len(), 1, "attempted once: {delivery:?}");
        }
    }
    eprintln!(
        "claims per node: {:?}",
        per_node.iter().map(Vec::len).collect::<Vec<_>>()
    );

    // A node dies holding leases (1 s).
    storage
        .append_events(&[sync_completed(EVENTS, &created)])
        .unwrap();
    storage.fan_out_webhook_events(100, &later(0.0)).unwrap();
    let dying = backend.second_node();
    let held = dying
        .claim_webhook_deliveries("node-dead", &later(0.0), &later(1.0), 100)
        .unwrap();
    assert_eq!(held.len(), ENDPOINTS, "one head per endpoint");
    drop(dying);
    let survivor = &nodes[0];
    assert!(
        survivor
            .claim_webhook_deliveries("node-0", &later(0.0), &later(60.0), 100)
            .unwrap()
            .is_empty(),
        "leases still live"
    );
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let taken = survivor
        .claim_webhook_deliveries("node-0", &later(0.0), &later(60.0), 100)
        .unwrap();
    let mut taken_ids: Vec<i64> = taken.iter().map(|c| c.delivery_id).collect();
    let mut held_ids: Vec<i64> = held.iter().map(|c| c.delivery_id).collect();
    taken_ids.sort();
    held_ids.sort();
    assert_eq!(taken_ids, held_ids, "the expired leases were taken over");
    // The dead node's attempt ends late (it was only slow): its attempt is recorded, the
    // delivery stays with the node that took it over, leased, so no third node sends it.
    let now = later(0.0);
    let late = nodes[1]
        .finish_webhook_attempt(
            "node-dead",
            &delivered(held_ids[0], 1, &now),
            &WebhookNext::RetryAfter(std::time::Duration::ZERO),
            &now,
            Some((&now, &later(60.0))),
        )
        .unwrap();
    assert_eq!(late, None, "nothing handed to a node that lost its lease");
    assert!(nodes[1]
        .claim_webhook_deliveries("node-1", &later(0.0), &later(60.0), 100)
        .unwrap()
        .is_empty());
    for due in &taken {
        let now = later(0.0);
        survivor
            .finish_webhook_attempt(
                "node-0",
                &delivered(due.delivery_id, due.attempts + 1, &now),
                &WebhookNext::Delivered,
                &now,
                None,
            )
            .unwrap();
    }
    assert_eq!(storage.pending_webhook_deliveries().unwrap(), 0);
    let (row, attempts) = storage
        .webhook_deliveries(&taken[0].endpoint_id, 1)
        .unwrap()
        .remove(0);
    assert_eq!(row.state, "delivered");
    assert_eq!(
        attempts.len(),
        2,
        "the late attempt and the one that delivered"
    );
}

/// Writers on two nodes append events at once through the storage's write path (which
/// takes the events advisory lock from insert to commit) while a reader follows the
/// outbox with `events_after(cursor)`, as fan-out does: it sees every event exactly once,
/// in `seq` order. Without the lock a `seq` taken earlier can commit later than a higher
/// one the reader already passed, and the reader never sees it.
#[test]
fn on_postgres_a_reader_following_the_outbox_sees_every_concurrent_event_once_in_order() {
    let Some(backend) = postgres() else { return };
    const WRITERS: usize = 8;
    const BATCHES: usize = 60;
    const PER_BATCH: usize = 3;
    let nodes = [
        std::sync::Arc::new(backend.second_node()),
        std::sync::Arc::new(backend.second_node()),
    ];
    let at = timestamp(Utc::now());
    let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = std::sync::Arc::new(std::sync::Barrier::new(WRITERS + 1));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let node = nodes[w % 2].clone();
            let (done, start, at) = (done.clone(), start.clone(), at.clone());
            std::thread::spawn(move || {
                start.wait();
                for b in 0..BATCHES {
                    let batch: Vec<NewEvent> = (0..PER_BATCH)
                        .map(|k| sync_completed((w * BATCHES + b) * PER_BATCH + k, &at))
                        .collect();
                    node.append_events(&batch).unwrap();
                }
                done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            })
        })
        .collect();
    let reader = backend.second_node();
    let mut seen: Vec<(i64, String)> = Vec::new();
    let mut cursor = 0;
    start.wait();
    let total = WRITERS * BATCHES * PER_BATCH;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let writers_done = done.load(std::sync::atomic::Ordering::SeqCst) == WRITERS;
        let page = reader.events_after(cursor, 50).unwrap();
        if let Some(last) = page.last() {
            cursor = last.seq;
        }
        let empty = page.is_empty();
        seen.extend(page.into_iter().map(|e| (e.seq, e.id)));
        // Read on until a pass after every writer finished finds nothing new.
        if (writers_done && empty) || std::time::Instant::now() > deadline {
            break;
        }
    }
    for writer in writers {
        writer.join().unwrap();
    }
    assert!(seen.windows(2).all(|w| w[0].0 < w[1].0), "in seq order");
    let mut ids: Vec<&str> = seen.iter().map(|(_, id)| id.as_str()).collect();
    ids.sort();
    let read = ids.len();
    ids.dedup();
    assert_eq!(read, ids.len(), "no event read twice");
    let all = backend.storage.events_after(0, 100_000).unwrap();
    assert_eq!(all.len(), total, "every event was written");
    let missed: Vec<i64> = all
        .iter()
        .filter(|e| ids.binary_search(&e.id.as_str()).is_err())
        .map(|e| e.seq)
        .collect();
    assert!(
        missed.is_empty(),
        "the reader following the outbox never saw {} events: seq {missed:?}",
        missed.len()
    );
}

/// A PostgreSQL database served before webhooks were on PostgreSQL (schema version 2, with
/// events in its outbox) is upgraded at start: the webhook tables appear, and the fan-out
/// cursor starts after the events already there, so an endpoint is sent only what happens
/// after the upgrade (as on SQLite, where webhooks came in the same way).
#[test]
fn on_postgres_a_database_from_before_webhooks_is_upgraded_without_sending_old_events() {
    let Some(url) = postgres_url() else { return };
    let migrations = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
    let old = std::process::Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &url])
        .args([
            "-c",
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
        ])
        .arg("-f")
        .arg(migrations.join("0001_server.sql"))
        .arg("-f")
        .arg(migrations.join("0002_sync_lease.sql"))
        .args([
            "-c",
            "INSERT INTO schema_migrations (version) VALUES (1), (2);
             INSERT INTO organizations (id, name, created_at) VALUES ('org_a', 'alpha', '2026-01-01T00:00:00.000Z');
             INSERT INTO events (id, org_id, type, payload, created_at)
                 SELECT 'evt_old_' || n, 'org_a', 'sync.completed', '{}', '2026-01-02T00:00:00.000Z'
                 FROM generate_series(1, 3) AS n",
        ])
        .output()
        .expect("psql comes with PostgreSQL");
    assert!(old.status.success(), "{old:?}");

    let storage = Storage::open_postgres(&url).unwrap();
    assert!(storage.schema_version().unwrap() >= 3);
    assert_eq!(storage.events_after(0, 10).unwrap().len(), 3);
    // An endpoint dated before the old events: had they been fanned out, it would get them.
    storage
        .add_webhook_endpoint(&webhook_endpoint(
            "whe_1",
            "org_a",
            "2026-01-01T00:00:00.000Z",
        ))
        .unwrap();
    assert_eq!(
        storage
            .fan_out_webhook_events(100, "2026-01-03T00:00:00.000Z")
            .unwrap(),
        0
    );
    storage
        .append_events(&[sync_completed(1, "2026-01-03T00:00:00.000Z")])
        .unwrap();
    assert_eq!(
        storage
            .fan_out_webhook_events(100, "2026-01-03T00:00:00.000Z")
            .unwrap(),
        1
    );
    let queued = storage.webhook_deliveries("whe_1", 10).unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].0.event_id, "evt_00001");
}

/// Delivery leases run on the database's clock: a node whose clock runs an hour ahead
/// (by which a live 60 s lease looks long expired) takes nothing another node holds; the
/// times a node passes give the lease's length only.
#[test]
fn on_postgres_a_node_whose_clock_runs_ahead_cannot_take_a_leased_delivery() {
    let Some(backend) = postgres() else { return };
    let storage = &backend.storage;
    let skewed = backend.second_node();
    one_queued_delivery(storage, &later(0.0));
    let held = storage
        .claim_webhook_deliveries("node-a", &later(0.0), &later(60.0), 10)
        .unwrap();
    assert_eq!(held.len(), 1);
    let hour = 3600.0;
    let taken = skewed
        .claim_webhook_deliveries("node-b", &later(hour), &later(hour + 60.0), 10)
        .unwrap();
    assert!(
        taken.is_empty(),
        "a skewed clock took a live lease: {taken:?}"
    );
}

/// One endpoint with one `sync.completed` event fanned out by `node` at its `now`: one
/// pending delivery.
fn one_queued_delivery(storage: &Storage, node_now: &str) {
    let created = timestamp(Utc::now() - chrono::Duration::seconds(10));
    storage.add_org("org_a", "alpha", &created).unwrap();
    storage
        .add_webhook_endpoint(&webhook_endpoint("whe_1", "org_a", &created))
        .unwrap();
    storage
        .append_events(&[sync_completed(1, &created)])
        .unwrap();
    while storage.fan_out_webhook_events(100, node_now).unwrap() > 0 {}
}

/// A failed attempt of `delivery_id` by `node`, recorded at its `node_now`, to be retried
/// `delay` later.
fn retry_later(storage: &Storage, node: &str, delivery_id: i64, node_now: &str, delay: f64) {
    let mut attempt = delivered(delivery_id, 1, node_now);
    attempt.status = Some(503);
    let handed = storage
        .finish_webhook_attempt(
            node,
            &attempt,
            &WebhookNext::RetryAfter(std::time::Duration::from_secs_f64(delay)),
            node_now,
            None,
        )
        .unwrap();
    assert_eq!(handed, None);
}

/// A delivery to be retried 1 s later is not claimed before then, and is claimed once
/// the second has passed (SQLite: on the process's clock; PostgreSQL: the database's).
fn a_retried_delivery_is_due_after_its_delay(backend: Backend) {
    let storage = &backend.storage;
    one_queued_delivery(storage, &later(0.0));
    let first = storage
        .claim_webhook_deliveries("node-a", &later(0.0), &later(60.0), 10)
        .unwrap();
    assert_eq!(first.len(), 1);
    let started = std::time::Instant::now();
    retry_later(storage, "node-a", first[0].delivery_id, &later(0.0), 1.0);
    let early = storage
        .claim_webhook_deliveries("node-a", &later(0.0), &later(60.0), 10)
        .unwrap();
    if started.elapsed() < std::time::Duration::from_millis(900) {
        assert!(
            early.is_empty(),
            "claimed before its retry was due: {early:?}"
        );
        assert!(!storage.webhook_work_waiting(&later(0.0)).unwrap());
    }
    std::thread::sleep(std::time::Duration::from_millis(1200));
    assert!(storage.webhook_work_waiting(&later(0.0)).unwrap());
    let retried = storage
        .claim_webhook_deliveries("node-a", &later(0.0), &later(60.0), 10)
        .unwrap();
    assert_eq!(
        retried.iter().map(|c| c.delivery_id).collect::<Vec<_>>(),
        vec![first[0].delivery_id]
    );
}

/// Due times run on the database's clock, as leases do: a node whose clock runs an hour
/// ahead queues deliveries that a node with a right clock sends at once (not an hour
/// later), cannot retry early what it was told to retry a second later, and a node whose
/// clock runs an hour behind sends that retry once the second has passed (not an hour
/// later); a redelivery asked on the fast node is due at once too.
#[test]
fn on_postgres_a_node_with_a_skewed_clock_neither_sends_early_nor_delays_due_deliveries() {
    let Some(backend) = postgres() else { return };
    let right = &backend.storage;
    let ahead = backend.second_node();
    let behind = backend.second_node();
    let hour = 3600.0;
    one_queued_delivery(&ahead, &later(hour));
    assert!(right.webhook_work_waiting(&later(0.0)).unwrap());
    let first = right
        .claim_webhook_deliveries("node-right", &later(0.0), &later(60.0), 10)
        .unwrap();
    assert_eq!(first.len(), 1, "a delivery the fast node queued is due now");
    // The right node's attempt fails, to be retried at once; the fast node takes it and
    // fails too, to be retried a second later.
    retry_later(right, "node-right", first[0].delivery_id, &later(0.0), 0.0);
    let taken = ahead
        .claim_webhook_deliveries("node-ahead", &later(hour), &later(hour + 60.0), 10)
        .unwrap();
    assert_eq!(taken.len(), 1);
    let started = std::time::Instant::now();
    retry_later(
        &ahead,
        "node-ahead",
        taken[0].delivery_id,
        &later(hour),
        1.0,
    );
    let early = ahead
        .claim_webhook_deliveries("node-ahead", &later(hour), &later(hour + 60.0), 10)
        .unwrap();
    if started.elapsed() < std::time::Duration::from_millis(900) {
        assert!(early.is_empty(), "the fast node retried early: {early:?}");
        assert!(!ahead.webhook_work_waiting(&later(hour)).unwrap());
    }
    std::thread::sleep(std::time::Duration::from_millis(1200));
    assert!(behind.webhook_work_waiting(&later(-hour)).unwrap());
    let retried = behind
        .claim_webhook_deliveries("node-behind", &later(-hour), &later(-hour + 60.0), 10)
        .unwrap();
    assert_eq!(
        retried.iter().map(|c| c.delivery_id).collect::<Vec<_>>(),
        vec![first[0].delivery_id],
        "the slow node sends the retry once it is due"
    );
    let now = later(-hour);
    behind
        .finish_webhook_attempt(
            "node-behind",
            &delivered(first[0].delivery_id, 3, &now),
            &WebhookNext::Delivered,
            &now,
            None,
        )
        .unwrap();
    let again = ahead
        .redeliver_webhook("whe_1", first[0].delivery_id, &later(hour))
        .unwrap()
        .expect("the delivery exists");
    let redelivered = behind
        .claim_webhook_deliveries("node-behind", &later(-hour), &later(-hour + 60.0), 10)
        .unwrap();
    assert_eq!(
        redelivered
            .iter()
            .map(|c| c.delivery_id)
            .collect::<Vec<_>>(),
        vec![again],
        "a redelivery the fast node asked for is due now"
    );
}

/// The first attempt's start is kept on the database's clock too: a node an hour ahead
/// makes the first attempt, and the node that claims the retry reads it as just now (the
/// age the give-up time is counted from), not an hour in the future.
#[test]
fn on_postgres_the_first_attempt_of_a_node_with_a_skewed_clock_is_kept_on_the_database_clock() {
    let Some(backend) = postgres() else { return };
    let right = &backend.storage;
    let ahead = backend.second_node();
    let hour = 3600.0;
    one_queued_delivery(right, &later(0.0));
    let taken = ahead
        .claim_webhook_deliveries("node-ahead", &later(hour), &later(hour + 60.0), 10)
        .unwrap();
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].first_attempt_at, None);
    retry_later(
        &ahead,
        "node-ahead",
        taken[0].delivery_id,
        &later(hour),
        0.0,
    );
    let retried = right
        .claim_webhook_deliveries("node-right", &later(0.0), &later(60.0), 10)
        .unwrap();
    assert_eq!(retried.len(), 1);
    let parse = |at: &str| {
        chrono::DateTime::parse_from_rfc3339(at)
            .unwrap()
            .with_timezone(&Utc)
    };
    let first = parse(retried[0].first_attempt_at.as_deref().unwrap());
    let claimed = parse(&retried[0].claimed_at);
    // The database runs on this machine's clock: both are now, give or take a minute.
    for (what, at) in [("first attempt", first), ("claim", claimed)] {
        let off = (at - Utc::now()).num_seconds().abs();
        assert!(
            off < 60,
            "the {what} is {off} s off the database's clock: {at}"
        );
    }
}

/// The ids of the connections due for a sync, asked by a node at its `node_now`.
fn due_ids(storage: &Storage, node_now: &str) -> Vec<String> {
    storage
        .due_connections(node_now)
        .unwrap()
        .into_iter()
        .map(|row| row.id)
        .collect()
}

/// A sync of `con_1` by a node at its `node_now`, ended as `status` with the next one
/// `next_after` seconds later (none when None).
fn synced(storage: &Storage, node_now: &str, status: &str, next_after: Option<f64>) {
    let run = storage.begin_sync("con_1", node_now, &[]).unwrap();
    storage
        .finish_sync(
            "con_1",
            run,
            status,
            None,
            None,
            status,
            next_after.map(std::time::Duration::from_secs_f64),
            node_now,
            &[],
        )
        .unwrap();
}

/// New credentials for `con_1`, given on a node at its `node_now`.
fn credentials_replaced(storage: &Storage, node_now: &str) {
    let replaced = storage
        .replace_credentials(
            "org_a",
            "con_1",
            "client-2",
            None,
            Some("http://127.0.0.1:1"),
            &[4, 5, 6],
            node_now,
            &[],
        )
        .unwrap();
    assert!(replaced);
}

/// A new connection is due for a sync at once; after a sync it is due again the interval
/// later (not before, and once it has passed); a sync asked for and new credentials make
/// it due at once; one waiting for reauthorization is not due. (SQLite: on the process's
/// clock; PostgreSQL: the database's.)
fn a_connections_next_sync_is_due_after_its_interval(backend: Backend) {
    let storage = &backend.storage;
    let hour = 3600.0;
    storage.add_org("org_a", "alpha", &later(0.0)).unwrap();
    storage.add_connection(&connection("con_1"), &[]).unwrap();
    assert_eq!(due_ids(storage, &later(0.0)), ["con_1"], "a new connection");
    let started = std::time::Instant::now();
    synced(storage, &later(0.0), "ok", Some(1.0));
    if started.elapsed() < std::time::Duration::from_millis(900) {
        let early = due_ids(storage, &later(0.0));
        assert!(early.is_empty(), "due before its interval: {early:?}");
    }
    std::thread::sleep(std::time::Duration::from_millis(1200));
    assert_eq!(due_ids(storage, &later(0.0)), ["con_1"], "once it passed");
    synced(storage, &later(0.0), "ok", Some(hour));
    assert!(due_ids(storage, &later(0.0)).is_empty());
    storage.set_sync_due_now("con_1", &later(0.0)).unwrap();
    assert_eq!(due_ids(storage, &later(0.0)), ["con_1"], "a sync asked for");
    synced(storage, &later(0.0), "ok", Some(hour));
    credentials_replaced(storage, &later(0.0));
    assert_eq!(due_ids(storage, &later(0.0)), ["con_1"], "new credentials");
    synced(storage, &later(0.0), "reauthorization_required", None);
    assert!(due_ids(storage, &later(0.0)).is_empty());
}

/// Next syncs run on the database's clock, as webhook due times do: a connection a node
/// whose clock runs an hour ahead adds is due at once for a node with a right clock and
/// for one an hour behind (not an hour later); the fast node does not sync early what is
/// due a second (or an hour) later, and the slow node syncs it once the second has passed
/// (not an hour later); a sync the fast node asks for, and credentials it replaces, make
/// the connection due at once for the others.
#[test]
fn on_postgres_a_node_with_a_skewed_clock_neither_syncs_early_nor_delays_due_syncs() {
    let Some(backend) = postgres() else { return };
    let right = &backend.storage;
    let ahead = backend.second_node();
    let behind = backend.second_node();
    let hour = 3600.0;
    right.add_org("org_a", "alpha", &later(0.0)).unwrap();
    let mut added = connection("con_1");
    added.created_at = later(hour);
    ahead.add_connection(&added, &[]).unwrap();
    assert_eq!(
        due_ids(right, &later(0.0)),
        ["con_1"],
        "a connection the fast node added is due now"
    );
    assert_eq!(
        due_ids(&behind, &later(-hour)),
        ["con_1"],
        "the slow node leaves a due connection waiting"
    );
    let started = std::time::Instant::now();
    synced(&ahead, &later(hour), "ok", Some(1.0));
    if started.elapsed() < std::time::Duration::from_millis(900) {
        let early = due_ids(&ahead, &later(hour));
        assert!(early.is_empty(), "the fast node syncs early: {early:?}");
    }
    std::thread::sleep(std::time::Duration::from_millis(1200));
    assert_eq!(
        due_ids(&behind, &later(-hour)),
        ["con_1"],
        "the slow node syncs it once its second has passed"
    );
    synced(&behind, &later(-hour), "ok", Some(hour));
    let early = due_ids(&ahead, &later(hour));
    assert!(
        early.is_empty(),
        "the fast node syncs an hour early what the slow node synced: {early:?}"
    );
    ahead.set_sync_due_now("con_1", &later(hour)).unwrap();
    assert_eq!(
        due_ids(right, &later(0.0)),
        ["con_1"],
        "a sync the fast node asked for is due now"
    );
    synced(right, &later(0.0), "ok", Some(hour));
    assert!(due_ids(right, &later(0.0)).is_empty());
    credentials_replaced(&ahead, &later(hour));
    assert_eq!(
        due_ids(right, &later(0.0)),
        ["con_1"],
        "credentials the fast node replaced make it due now"
    );
}

/// `whe_1`'s secret rotated on a node at its `node_now`, the old one kept `kept_for`
/// seconds.
fn rotated(storage: &Storage, node_now: &str, new_secret: u8, kept_for: f64) {
    let rotated = storage
        .rotate_webhook_secret(
            "org_a",
            "whe_1",
            &[new_secret; 40],
            std::time::Duration::from_secs_f64(kept_for),
            node_now,
        )
        .unwrap();
    assert!(rotated);
}

/// The rotated-out secret a claim of the one pending delivery offers, by `node` whose
/// clock is `skew` seconds off; the delivery is then put back, due at once, for the next
/// claim.
fn previous_secret_claimed(storage: &Storage, node: &str, skew: f64) -> Option<Vec<u8>> {
    let claimed = storage
        .claim_webhook_deliveries(node, &later(skew), &later(skew + 60.0), 10)
        .unwrap();
    assert_eq!(claimed.len(), 1, "the delivery is claimed");
    retry_later(storage, node, claimed[0].delivery_id, &later(skew), 0.0);
    claimed[0].sealed_previous_secret.clone()
}

/// After a rotation a claim offers the old secret as well (receivers still holding it
/// verify) until its grace ends, and not after. (SQLite: on the process's clock;
/// PostgreSQL: the database's.)
fn a_rotated_out_secret_signs_until_its_grace_ends(backend: Backend) {
    let storage = &backend.storage;
    one_queued_delivery(storage, &later(0.0));
    assert_eq!(previous_secret_claimed(storage, "node-a", 0.0), None);
    let started = std::time::Instant::now();
    rotated(storage, &later(0.0), 8, 1.0);
    let within = previous_secret_claimed(storage, "node-a", 0.0);
    if started.elapsed() < std::time::Duration::from_millis(900) {
        assert_eq!(within, Some(vec![7; 40]), "within its grace");
    }
    std::thread::sleep(std::time::Duration::from_millis(1200));
    assert_eq!(
        previous_secret_claimed(storage, "node-a", 0.0),
        None,
        "after its grace"
    );
}

/// A rotated-out secret's grace runs on the database's clock: one a node an hour behind
/// keeps for half an hour is still offered by a node with a right clock (not over half an
/// hour ago) and by a node an hour ahead (past its end by that node's clock only); one
/// the fast node keeps for a second is not offered a second later by the slow node (not
/// an hour later).
#[test]
fn on_postgres_a_node_with_a_skewed_clock_keeps_a_rotated_out_secret_for_its_grace_only() {
    let Some(backend) = postgres() else { return };
    let right = &backend.storage;
    let ahead = backend.second_node();
    let behind = backend.second_node();
    let hour = 3600.0;
    one_queued_delivery(right, &later(0.0));
    rotated(&behind, &later(-hour), 8, hour / 2.0);
    assert_eq!(
        previous_secret_claimed(right, "node-right", 0.0),
        Some(vec![7; 40]),
        "the slow node's rotation kept the old secret for its grace"
    );
    assert_eq!(
        previous_secret_claimed(&ahead, "node-ahead", hour),
        Some(vec![7; 40]),
        "the fast node dropped the old secret within its grace"
    );
    rotated(&ahead, &later(hour), 9, 1.0);
    std::thread::sleep(std::time::Duration::from_millis(1200));
    assert_eq!(
        previous_secret_claimed(&behind, "node-behind", -hour),
        None,
        "the slow node signs with the old secret after its grace"
    );
}

/// How far `at` (a stored time) is from this machine's clock, which the database's runs
/// on, in whole seconds.
fn seconds_off_now(at: &str) -> i64 {
    let at = chrono::DateTime::parse_from_rfc3339(at)
        .unwrap_or_else(|e| panic!("`{at}` is not a stored time: {e}"))
        .with_timezone(&Utc);
    (at - Utc::now()).num_seconds().abs()
}

/// Webhook attempts, a delivery's end and an endpoint's disabling are kept on the
/// database's clock: a node an hour ahead makes the first attempt and a node an hour
/// behind the second, and both read back as just now and in the order they were made (not
/// the second an hour before the first); the delivery's end too; a node an hour ahead
/// pruning deliveries kept for half an hour prunes none finished just now; a node an hour
/// ahead giving up a redelivery disables its endpoint at the database's now.
#[test]
fn on_postgres_a_node_with_a_skewed_clock_records_webhook_attempts_on_the_database_clock() {
    let Some(backend) = postgres() else { return };
    let ahead = backend.second_node();
    let behind = backend.second_node();
    let hour = 3600.0;
    one_queued_delivery(&backend.storage, &later(0.0));
    let taken = ahead
        .claim_webhook_deliveries("node-ahead", &later(hour), &later(hour + 60.0), 10)
        .unwrap();
    assert_eq!(taken.len(), 1);
    let delivery_id = taken[0].delivery_id;
    retry_later(&ahead, "node-ahead", delivery_id, &later(hour), 0.0);
    std::thread::sleep(std::time::Duration::from_millis(20));
    let retried = behind
        .claim_webhook_deliveries("node-behind", &later(-hour), &later(-hour + 60.0), 10)
        .unwrap();
    assert_eq!(retried.len(), 1);
    let now = later(-hour);
    behind
        .finish_webhook_attempt(
            "node-behind",
            &delivered(delivery_id, 2, &now),
            &WebhookNext::Delivered,
            &now,
            None,
        )
        .unwrap();
    let listed = backend.storage.webhook_deliveries("whe_1", 10).unwrap();
    assert_eq!(listed.len(), 1);
    let (delivery, attempts) = &listed[0];
    assert_eq!(attempts.len(), 2);
    for attempt in attempts {
        let off = seconds_off_now(&attempt.started_at);
        assert!(
            off < 60,
            "attempt {} started {off} s off the database's clock: {}",
            attempt.attempt,
            attempt.started_at
        );
    }
    assert!(
        attempts[0].started_at < attempts[1].started_at,
        "the attempts read out of order: {} then {}",
        attempts[0].started_at,
        attempts[1].started_at
    );
    let finished = delivery.finished_at.as_deref().expect("delivered");
    assert!(
        seconds_off_now(finished) < 60,
        "the delivery finished off the database's clock: {finished}"
    );
    assert_eq!(
        ahead
            .prune_webhook_deliveries(std::time::Duration::from_secs(1800), &later(hour), 100)
            .unwrap(),
        0,
        "the fast node pruned a delivery finished just now"
    );
    assert_eq!(
        backend
            .storage
            .webhook_deliveries("whe_1", 10)
            .unwrap()
            .len(),
        1
    );

    let again = behind
        .redeliver_webhook("whe_1", delivery_id, &later(-hour))
        .unwrap()
        .expect("the delivery exists");
    let taken = ahead
        .claim_webhook_deliveries("node-ahead", &later(hour), &later(hour + 60.0), 10)
        .unwrap();
    assert_eq!(
        taken.iter().map(|c| c.delivery_id).collect::<Vec<_>>(),
        [again]
    );
    let now = later(hour);
    let mut refused = delivered(again, 1, &now);
    refused.status = Some(410);
    ahead
        .finish_webhook_attempt(
            "node-ahead",
            &refused,
            &WebhookNext::GiveUp {
                reason: "gone".into(),
                event: sync_completed(2, &now),
            },
            &now,
            None,
        )
        .unwrap();
    let endpoint = backend
        .storage
        .webhook_endpoint("org_a", "whe_1")
        .unwrap()
        .expect("the endpoint");
    assert!(!endpoint.enabled);
    let disabled = endpoint.disabled_at.as_deref().expect("disabled");
    assert!(
        seconds_off_now(disabled) < 60,
        "the endpoint was disabled off the database's clock: {disabled}"
    );
    let listed = backend.storage.webhook_deliveries("whe_1", 10).unwrap();
    let (failed, attempts) = &listed[0];
    assert_eq!(failed.id, again);
    assert!(seconds_off_now(failed.finished_at.as_deref().expect("failed")) < 60);
    assert!(seconds_off_now(&attempts[0].started_at) < 60);
}

/// Mapping versions are made at the database's time: versions pushed through a node an
/// hour ahead and then through a node an hour behind read back as just now, the later
/// version the later time (not an hour before the one it replaced).
#[test]
fn on_postgres_a_node_with_a_skewed_clock_records_mapping_versions_on_the_database_clock() {
    let Some(backend) = postgres() else { return };
    let ahead = backend.second_node();
    let behind = backend.second_node();
    let hour = 3600.0;
    backend
        .storage
        .add_org("org_a", "alpha", &later(0.0))
        .unwrap();
    backend
        .storage
        .add_connection(&connection("con_1"), &[])
        .unwrap();
    let publish = |node: &Storage, expected: i64, node_now: &str| {
        node.publish_mapping(
            "con_1",
            "WorkOrder",
            expected,
            "{}",
            "hash",
            Some("key"),
            None,
            None,
            node_now,
            |_| Vec::new(),
        )
        .unwrap()
        .expect("not stale")
    };
    let first = publish(&ahead, -1, &later(hour));
    std::thread::sleep(std::time::Duration::from_millis(20));
    let second = publish(&behind, first, &later(-hour));
    let versions = backend
        .storage
        .mapping_versions("con_1", "WorkOrder")
        .unwrap();
    assert_eq!(
        versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        [first, second]
    );
    for version in &versions {
        let off = seconds_off_now(&version.created_at);
        assert!(
            off < 60,
            "version {} was made {off} s off the database's clock: {}",
            version.version,
            version.created_at
        );
    }
    assert!(
        versions[0].created_at < versions[1].created_at,
        "the versions read out of order: {} then {}",
        versions[0].created_at,
        versions[1].created_at
    );
}

/// Events and endpoints are made at the database's time, which fanning out compares: an
/// endpoint added on a node an hour ahead gets an event made just after it on a node with
/// a right clock (not only events an hour later), and one added on a node an hour behind
/// does not get an event made just before it. An event's stored time is the database's
/// whichever node appends it; its payload is kept exactly.
#[test]
fn on_postgres_an_endpoint_added_on_a_node_with_a_skewed_clock_gets_the_events_made_after_it() {
    let Some(backend) = postgres() else { return };
    let right = &backend.storage;
    let ahead = backend.second_node();
    let behind = backend.second_node();
    let hour = 3600.0;
    right.add_org("org_a", "alpha", &later(0.0)).unwrap();
    ahead
        .add_webhook_endpoint(&webhook_endpoint("whe_ahead", "org_a", &later(hour)))
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    right
        .append_events(&[sync_completed(1, &later(0.0))])
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    behind
        .add_webhook_endpoint(&webhook_endpoint("whe_behind", "org_a", &later(-hour)))
        .unwrap();
    while right.fan_out_webhook_events(100, &later(0.0)).unwrap() > 0 {}
    assert_eq!(
        right.webhook_deliveries("whe_ahead", 10).unwrap().len(),
        1,
        "the endpoint the fast node added missed an event made after it"
    );
    assert_eq!(
        right.webhook_deliveries("whe_behind", 10).unwrap().len(),
        0,
        "the endpoint the slow node added got an event made before it"
    );
    for id in ["whe_ahead", "whe_behind"] {
        let endpoint = right
            .webhook_endpoint("org_a", id)
            .unwrap()
            .expect("the endpoint");
        assert!(
            seconds_off_now(&endpoint.created_at) < 60,
            "{} was created off the database's clock: {}",
            endpoint.id,
            endpoint.created_at
        );
    }
    let appended = sync_completed(2, &later(hour));
    ahead
        .append_events(std::slice::from_ref(&appended))
        .unwrap();
    let events = right.events_after(0, 10).unwrap();
    assert_eq!(events.len(), 2);
    for event in &events {
        assert!(
            seconds_off_now(&event.created_at) < 60,
            "{} was made off the database's clock: {}",
            event.id,
            event.created_at
        );
    }
    assert_eq!(events[1].payload, appended.payload, "payload kept exactly");
}

/// A sync run starts and ends at the database's time: a run of a node an hour ahead and
/// then one of a node an hour behind read back as just now, the later run after the
/// earlier (as a run another node fails on taking its lease over ends on that clock).
#[test]
fn on_postgres_a_node_with_a_skewed_clock_records_sync_runs_on_the_database_clock() {
    let Some(backend) = postgres() else { return };
    let ahead = backend.second_node();
    let behind = backend.second_node();
    let hour = 3600.0;
    backend
        .storage
        .add_org("org_a", "alpha", &later(0.0))
        .unwrap();
    backend
        .storage
        .add_connection(&connection("con_1"), &[])
        .unwrap();
    let mut runs = Vec::new();
    for (node, skew) in [(&ahead, hour), (&behind, -hour)] {
        synced(node, &later(skew), "ok", None);
        let run = backend.storage.last_sync("con_1").unwrap().expect("a run");
        let finished = run.finished_at.clone().expect("finished");
        for (what, at) in [("started", &run.started_at), ("finished", &finished)] {
            let off = seconds_off_now(at);
            assert!(
                off < 60,
                "the run of the node {skew} s off {what} {off} s off the database's clock: {at}"
            );
        }
        assert!(
            run.started_at <= finished,
            "{} > {finished}",
            run.started_at
        );
        runs.push((run.started_at, finished));
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        runs[0].1 <= runs[1].0,
        "the later run started before the earlier ended: {runs:?}"
    );
}

/// A connection is made at the database's time, with its bundled default mappings: one
/// added on a node an hour ahead is listed before one added after it on a node with a
/// right clock (not an hour after), and its default version reads as just now, before a
/// version pushed later through a node an hour behind.
#[test]
fn on_postgres_a_connection_added_on_a_node_with_a_skewed_clock_is_dated_by_the_database() {
    let Some(backend) = postgres() else { return };
    let right = &backend.storage;
    let ahead = backend.second_node();
    let behind = backend.second_node();
    let hour = 3600.0;
    right.add_org("org_a", "alpha", &later(0.0)).unwrap();
    let mut first = connection("con_2");
    first.created_at = later(hour);
    let defaults = [(
        "WorkOrder".to_string(),
        "{}".to_string(),
        "hash-default".to_string(),
    )];
    ahead.add_connection(&first, &defaults).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let mut second = connection("con_1");
    second.created_at = later(0.0);
    right.add_connection(&second, &[]).unwrap();
    let listed = right.connections("org_a").unwrap();
    assert_eq!(
        listed.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        ["con_2", "con_1"],
        "connections listed out of the order they were added"
    );
    for row in &listed {
        assert!(
            seconds_off_now(&row.created_at) < 60,
            "{} was added off the database's clock: {}",
            row.id,
            row.created_at
        );
    }
    std::thread::sleep(std::time::Duration::from_millis(20));
    behind
        .publish_mapping(
            "con_2",
            "WorkOrder",
            0,
            "{}",
            "hash",
            Some("key"),
            None,
            None,
            &later(-hour),
            |_| Vec::new(),
        )
        .unwrap()
        .expect("not stale");
    let versions = right.mapping_versions("con_2", "WorkOrder").unwrap();
    assert_eq!(
        versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        [0, 1]
    );
    assert!(
        seconds_off_now(&versions[0].created_at) < 60,
        "the default version is dated off the database's clock: {}",
        versions[0].created_at
    );
    assert!(
        versions[0].created_at < versions[1].created_at,
        "the versions read out of order: {} then {}",
        versions[0].created_at,
        versions[1].created_at
    );
}
