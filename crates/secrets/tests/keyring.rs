//! The real system keyring. `make test` runs these inside a private D-Bus session with an
//! unlocked gnome-keyring (scripts/with-keyring); outside one they say so and fail, rather
//! than pass against a mock.

use unifield_secrets::{require_persistent, Keyring, MemorySecrets, SecretStore};

fn round_trip(store: &dyn SecretStore, connection: &str) {
    let secret = "s3cr3t-ü-🔑";
    store.delete(connection).unwrap();
    assert_eq!(store.get(connection).unwrap(), None);
    assert!(!store.exists(connection).unwrap());
    store.set(connection, secret).unwrap();
    assert!(store.exists(connection).unwrap());
    assert_eq!(store.get(connection).unwrap().as_deref(), Some(secret));
    store.set(connection, "rotated").unwrap();
    assert_eq!(store.get(connection).unwrap().as_deref(), Some("rotated"));
    store.delete(connection).unwrap();
    assert_eq!(store.get(connection).unwrap(), None);
    assert!(!store.exists(connection).unwrap());
    store.delete(connection).unwrap();
}

#[test]
fn the_system_keyring_stores_reads_and_forgets_a_secret() {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        panic!("no D-Bus session: run the tests through `make test` (scripts/with-keyring)");
    }
    round_trip(&Keyring, &format!("test-{}", std::process::id()));
}

#[test]
fn a_secret_set_through_one_handle_is_read_through_another() {
    let connection = format!("test-shared-{}", std::process::id());
    Keyring.set(&connection, "shared").unwrap();
    assert_eq!(
        Keyring.get(&connection).unwrap().as_deref(),
        Some("shared"),
        "not a per-entry mock"
    );
    Keyring.delete(&connection).unwrap();
}

#[test]
fn the_memory_store_behaves_like_the_keyring() {
    round_trip(&MemorySecrets::default(), "memory");
}

#[test]
fn a_store_that_forgets_is_refused_naming_the_missing_native_store() {
    let error = require_persistent(keyring::mock::default_credential_builder().as_ref())
        .expect_err("keyring's mock keeps secrets only in memory");
    assert_eq!(error.code(), "keyring_not_persistent");
    let message = error.to_string();
    let expected = if cfg!(target_os = "macos") {
        "apple-native"
    } else if cfg!(target_os = "windows") {
        "windows-native"
    } else {
        "Secret Service"
    };
    assert!(message.contains(expected), "{message}");
}

#[test]
fn this_builds_keyring_keeps_secrets_until_deleted() {
    // Fails on any platform whose native store is not enabled in Cargo.toml: keyring then
    // falls back to its mock, whose secrets vanish with the process.
    require_persistent(keyring::default::default_credential_builder().as_ref())
        .expect("the native store of this platform is enabled");
    Keyring.ensure_persistent().unwrap();
}
