//! Setting the secret of an existing connection, against the real system keyring (`make
//! test` runs the tests inside scripts/with-keyring; outside one they say so and fail,
//! rather than pass against a mock) and a real workspace file.

use std::sync::Arc;
use unifield_workspace::{
    ConnectionSettings, Endpoint, Keyring, PullStatus, Region, SecretStore, Store, Workspace,
    WorkspaceError,
};

fn require_keyring() {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        panic!("no D-Bus session: run the tests through `make test` (scripts/with-keyring)");
    }
}

/// Deletes the named keyring entry when the test ends, passed or not.
struct KeyringEntry(String);

impl Drop for KeyringEntry {
    fn drop(&mut self) {
        let _ = Keyring.delete(&self.0);
    }
}

fn at(minute: u32) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(&format!("2026-11-30T10:{minute:02}:00Z"))
        .unwrap()
        .into()
}

/// Every byte of the workspace's SQLite files (database, WAL), to look for a secret in.
fn database_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("workspace.sqlite"))
        {
            bytes.extend(std::fs::read(&path).unwrap());
        }
    }
    bytes
}

/// A new workspace (in the temp dir returned) with one connection, `<prefix>-<pid>`, whose
/// secret `secret` is in the real keyring (removed again when the entry is dropped).
fn with_a_connection(
    prefix: &str,
    secret: &str,
) -> (tempfile::TempDir, String, KeyringEntry, Workspace) {
    require_keyring();
    let dir = tempfile::tempdir().unwrap();
    let name = format!("{prefix}-{}", std::process::id());
    let entry = KeyringEntry(name.clone());
    let workspace = Workspace::open(dir.path(), Arc::new(Keyring)).unwrap();
    let settings = ConnectionSettings {
        name: name.clone(),
        company: "Asurion".into(),
        endpoint: Endpoint::Region(Region::Am),
        client_id: "client".into(),
    };
    workspace.add_connection(&settings, secret).unwrap();
    (dir, name, entry, workspace)
}

#[test]
fn setting_the_secret_of_a_connection_whose_secret_went_missing_stores_it_in_the_keyring_only() {
    let (dir, name, _entry, workspace) = with_a_connection("set-secret", "first-secret");
    // Cached records and a finished pull run, which setting the secret must leave alone.
    let mut store = Store::open(dir.path()).unwrap();
    let run = store.begin_pull(&name, "WorkOrder", None, at(1)).unwrap();
    let page: Vec<(String, serde_json::Value)> = (1..=3)
        .map(|id| (id.to_string(), serde_json::json!({ "Id": id })))
        .collect();
    store.commit_page(run.id, &page, None, at(2)).unwrap();
    store
        .finish_pull(run.id, PullStatus::Completed, None, at(3))
        .unwrap();
    let before = store.connection(&name).unwrap();
    let runs_before = store.pull_runs(&name).unwrap().len();

    // The keyring lost the secret (a new keyring, another machine): the dead end of before.
    Keyring.delete(&name).unwrap();
    let listed = workspace.connections().unwrap();
    assert!(
        !listed
            .iter()
            .find(|c| c.connection.settings.name == name)
            .unwrap()
            .has_secret
    );
    assert_eq!(
        workspace
            .client(&name)
            .err()
            .expect("no client without a secret")
            .code(),
        "missing_secret"
    );

    let secret = "replaced-s3cr3t-\u{fc}";
    workspace
        .set_secret(&name, &format!("  {secret}\n"))
        .unwrap();

    // Read back through the keyring itself (another handle), trimmed as add stores it.
    assert_eq!(Keyring.get(&name).unwrap().as_deref(), Some(secret));
    let listed = workspace.connections().unwrap();
    assert!(
        listed
            .iter()
            .find(|c| c.connection.settings.name == name)
            .unwrap()
            .has_secret
    );
    workspace
        .client(&name)
        .expect("a client signs in with the new secret");
    // The connection, its cached records and its pull runs are as they were.
    let after = store.connection(&name).unwrap();
    assert_eq!(
        (after.id, &after.settings, &after.created_at),
        (before.id, &before.settings, &before.created_at)
    );
    assert_eq!(store.record_count(&name, "WorkOrder").unwrap(), 3);
    assert_eq!(store.pull_runs(&name).unwrap().len(), runs_before);
    // Never in the workspace's database.
    drop(store);
    let bytes = database_bytes(dir.path());
    assert!(!bytes.is_empty());
    assert!(
        !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
        "the secret is in the workspace's SQLite files"
    );

    // Replacing it again (a secret rotated in Corrigo) overwrites the entry.
    workspace.set_secret(&name, "rotated").unwrap();
    assert_eq!(Keyring.get(&name).unwrap().as_deref(), Some("rotated"));
}

#[test]
fn setting_the_secret_of_an_unknown_connection_is_a_typed_error_and_stores_nothing() {
    require_keyring();
    let dir = tempfile::tempdir().unwrap();
    let name = format!("set-secret-unknown-{}", std::process::id());
    let _entry = KeyringEntry(name.clone());
    let workspace = Workspace::open(dir.path(), Arc::new(Keyring)).unwrap();

    let error = workspace.set_secret(&name, "a-secret").unwrap_err();
    assert_eq!(error.code(), "unknown_connection");
    let message = error.to_string();
    assert!(message.contains(&name), "names the connection: {message}");
    assert!(!message.contains("a-secret"), "never the secret: {message}");
    assert_eq!(
        Keyring.get(&name).unwrap(),
        None,
        "no keyring entry was made"
    );
}

#[test]
fn an_empty_secret_is_refused_and_keeps_the_one_in_the_keyring() {
    let (_dir, name, _entry, workspace) = with_a_connection("set-secret-empty", "kept");

    let error = workspace.set_secret(&name, " \n").unwrap_err();
    assert!(matches!(error, WorkspaceError::EmptySecret), "{error:?}");
    assert_eq!(error.code(), "empty_secret");
    assert_eq!(Keyring.get(&name).unwrap().as_deref(), Some("kept"));
}
