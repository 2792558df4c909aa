//! The real system keyring. `make test` runs these inside a private D-Bus session with an
//! unlocked gnome-keyring (scripts/with-keyring); outside one they say so and fail, rather
//! than pass against a mock.

use unifield_secrets::{Keyring, MemorySecrets, SecretStore};

fn round_trip(store: &dyn SecretStore, connection: &str) {
    let secret = "s3cr3t-ü-🔑";
    store.delete(connection).unwrap();
    assert_eq!(store.get(connection).unwrap(), None);
    store.set(connection, secret).unwrap();
    assert_eq!(store.get(connection).unwrap().as_deref(), Some(secret));
    store.set(connection, "rotated").unwrap();
    assert_eq!(store.get(connection).unwrap().as_deref(), Some("rotated"));
    store.delete(connection).unwrap();
    assert_eq!(store.get(connection).unwrap(), None);
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
