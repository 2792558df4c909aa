//! One server per SQLite file: a second server on a data directory another server serves
//! from is refused before it touches the database (it would fail the first's running syncs
//! and drop its webhook leases at start), with `storage_in_use` naming the lock file and
//! the process holding it. Administration still opens the file beside a server; the lock
//! goes with the server, so the next one starts.

mod common;

use common::{fast_settings, key_file, loopback};
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;
use unifield_server::storage::{StorageError, LOCK_FILE};
use unifield_server::{MasterKeySource, ServerConfig, Storage};

fn config(dir: &std::path::Path) -> ServerConfig {
    let mut config = ServerConfig::new(loopback(), dir.join("data"));
    // SQLite in the data directory, whatever the environment says.
    config.database = None;
    config.key_source = MasterKeySource::File(dir.join("master.key"));
    config.settings = fast_settings();
    config.scheduler = false;
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_server_on_a_served_sqlite_file_is_refused_naming_the_lock_file() {
    let dir = tempfile::tempdir().unwrap();
    key_file(dir.path());
    let data = dir.path().join("data");
    let first = unifield_server::start(config(dir.path())).await.unwrap();
    let lock_file = data.join(LOCK_FILE);
    let mode = std::fs::metadata(&lock_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the lock file is private");

    let refused = match unifield_server::start(config(dir.path())).await {
        Ok(_) => panic!("a second server started on a served SQLite file"),
        Err(error) => error,
    };
    assert_eq!(refused.code(), "storage_in_use");
    let message = refused.to_string();
    assert!(
        message.contains(&lock_file.display().to_string()),
        "{message}"
    );
    assert!(
        message.contains(&format!("process {}", std::process::id())),
        "{message}"
    );
    assert!(message.contains("another `unifield serve`"), "{message}");

    // Administration opens the file beside the server (no lock), and the server sees it.
    let admin = unifield_server::open_admin_on(None, &data).unwrap();
    admin.add_org("acme").unwrap();
    first.service.org_id("acme").unwrap();
    drop(admin);

    // The first server's requests are unaffected by the refused start.
    let health = reqwest::get(format!("{}/api/health", first.url))
        .await
        .unwrap();
    assert!(health.status().is_success());

    // Stopped, it leaves the file to the next server.
    first.shutdown(Duration::from_secs(5)).await;
    let next = unifield_server::start(config(dir.path())).await;
    assert!(next.is_ok(), "{:?}", next.err().map(|e| e.to_string()));
}

#[test]
fn two_serving_opens_of_one_sqlite_file_exclude_each_other_until_the_first_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let first = Storage::open_serving(&data).unwrap();
    let refused = Storage::open_serving(&data).err().expect("refused");
    assert!(
        matches!(&refused, StorageError::DatabaseInUse { lock_file, .. }
            if lock_file == &data.join(LOCK_FILE).display().to_string()),
        "{refused}"
    );
    assert_eq!(refused.code(), "storage_in_use");
    // A plain open (administration, tests) is not refused.
    Storage::open(&data).unwrap();
    drop(first);
    Storage::open_serving(&data).unwrap();
}

/// The lock file is emptied and rewritten at start: a symbolic link planted in its place
/// must not have the server empty (or narrow the permissions of) the file it names.
#[test]
fn a_symbolic_link_in_place_of_the_lock_file_is_refused_and_its_target_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let victim = dir.path().join("precious.txt");
    std::fs::write(&victim, "precious\n").unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::os::unix::fs::symlink(&victim, data.join(LOCK_FILE)).unwrap();

    let refused = Storage::open_serving(&data).err().expect("refused");
    assert_eq!(refused.code(), "storage_unavailable", "{refused}");
    assert!(
        refused
            .to_string()
            .contains(&data.join(LOCK_FILE).display().to_string()),
        "{refused}"
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    let mode = std::fs::metadata(&victim).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644, "the link's target keeps its permissions");
}

#[test]
fn a_directory_in_place_of_the_lock_file_is_refused_saying_so() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(data.join(LOCK_FILE)).unwrap();
    let refused = Storage::open_serving(&data).err().expect("refused");
    assert!(refused.to_string().contains(LOCK_FILE), "{refused}");
}
