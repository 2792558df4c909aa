//! The storage interface's suite, run unchanged on both backends: a real SQLite file in a
//! temporary directory and a real PostgreSQL database on a throwaway loopback cluster
//! (crates/test-support). Each case below is one function over `&Storage`; the
//! `on_both!` list makes a `sqlite::case` and a `postgres::case` test of it. Without
//! PostgreSQL installed the postgres tests print SKIPPED (scripts/setup installs it).

use unifield_server::storage::{ApiKeyRow, NewEvent, Principal, Storage, TokenRow};
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
    match unifield_test_support::postgres::PgCluster::shared() {
        Ok(cluster) => Some(cluster.database().unwrap()),
        Err(reason) => {
            unifield_test_support::skipped(&format!("PostgreSQL backend test: {reason}"));
            None
        }
    }
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
);

fn one_node_at_a_time_holds_a_connections_sync_lease(backend: Backend) {
    let a = &backend.storage;
    let b = backend.second_node();
    a.add_org("org_a", "alpha", "2026-01-01T00:00:00.000Z")
        .unwrap();
    a.add_connection(
        &unifield_server::storage::NewConnection {
            id: "con_1".into(),
            org_id: "org_a".into(),
            name: "c".into(),
            company: "Co".into(),
            region: None,
            base_url: Some("http://127.0.0.1:1".into()),
            client_id: "client".into(),
            sealed_secret: vec![1, 2, 3],
            created_at: "2026-01-01T00:00:00.000Z".into(),
        },
        &[],
    )
    .unwrap();
    let t = |minute: u32| format!("2026-01-01T00:{minute:02}:00.000Z");
    assert!(a.lease_sync("con_1", "node-a", &t(0), &t(2)).unwrap());
    assert!(
        !b.lease_sync("con_1", "node-b", &t(1), &t(3)).unwrap(),
        "held by a"
    );
    assert!(
        a.lease_sync("con_1", "node-a", &t(1), &t(3)).unwrap(),
        "a renews"
    );
    let run = a.begin_sync("con_1", &t(1), &[]).unwrap();
    assert!(
        !b.lease_sync("con_1", "node-b", &t(2), &t(4)).unwrap(),
        "renewed to 3"
    );
    // a stops renewing (it died): after its lease, b takes the connection over and the
    // run a left running is failed.
    assert!(b.lease_sync("con_1", "node-b", &t(3), &t(5)).unwrap());
    let last = b.last_sync("con_1").unwrap().unwrap();
    assert_eq!(last.id, run);
    assert_eq!(last.status, "failed");
    assert_eq!(last.error.as_deref(), Some("the node syncing it stopped"));
    assert!(
        !a.lease_sync("con_1", "node-a", &t(4), &t(6)).unwrap(),
        "a lost it"
    );
    // Releasing is the holder's alone.
    a.release_sync_lease("con_1", "node-a").unwrap();
    assert!(!a.lease_sync("con_1", "node-a", &t(4), &t(6)).unwrap());
    b.release_sync_lease("con_1", "node-b").unwrap();
    assert!(a.lease_sync("con_1", "node-a", &t(4), &t(6)).unwrap());
    assert!(!a.lease_sync("con_missing", "node-a", &t(4), &t(6)).unwrap());
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
