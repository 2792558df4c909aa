//! A database on another machine is never reached in plaintext unless the operator allows
//! it: with `sslmode=disable` a host that is not loopback or a Unix socket directory is
//! refused before any connection is made (`--allow-plaintext-database` allows it); without
//! `sslmode` it is dialled over TLS (verify-full). No PostgreSQL server is needed: the
//! refusal comes before connecting, and the other URLs point at ports where nothing listens
//! (port 1; 192.0.2.1 is TEST-NET-1, never routed), with a `connect_timeout` bounding the
//! wait. TLS against a real server: tests/database_tls.rs.

use unifield_server::storage::{Storage, StorageError};

fn open(url: &str, allow_plaintext: bool) -> StorageError {
    match Storage::open_postgres_with(url, 1, allow_plaintext) {
        Ok(_) => panic!("{url}: nothing listens there, yet it opened"),
        Err(error) => error,
    }
}

#[test]
fn a_database_on_another_machine_is_refused_without_the_flag_naming_the_host_and_the_flag() {
    for (url, host) in [
        (
            "postgres://unifield@db.internal/unifield?sslmode=disable",
            "db.internal",
        ),
        (
            "postgres://u@192.0.2.1:1/db?connect_timeout=2&sslmode=disable",
            "192.0.2.1",
        ),
        (
            "postgresql://u@[2001:db8::1]:5432/db?sslmode=disable",
            "2001:db8::1",
        ),
        (
            "host=db.internal user=u dbname=db sslmode=disable",
            "db.internal",
        ),
        // Every host of a list counts, not only the first.
        (
            "postgres://u@127.0.0.1:1,db.internal:5432/db?sslmode=disable",
            "db.internal",
        ),
        // The driver dials hostaddr instead of the host name.
        (
            "host=localhost hostaddr=192.0.2.1 user=u sslmode=disable",
            "192.0.2.1",
        ),
    ] {
        let error = open(url, false);
        match &error {
            StorageError::PlaintextRemoteDatabase { host: named } => {
                assert_eq!(named, host, "{url}")
            }
            other => panic!("{url}: not the plaintext refusal: {other}"),
        }
        assert_eq!(error.code(), "plaintext_remote_database");
        let message = error.to_string();
        assert!(message.contains(host), "{message}");
        assert!(message.contains("--allow-plaintext-database"), "{message}");
        assert!(
            message.contains("UNIFIELD_DATABASE_ALLOW_PLAINTEXT"),
            "{message}"
        );
        assert!(message.contains("not encrypted"), "{message}");
    }
}

#[test]
fn loopback_and_unix_socket_hosts_are_not_refused_they_fail_to_connect_where_nothing_listens() {
    for url in [
        "postgres://u@127.0.0.1:1/db?connect_timeout=5",
        "postgres://u@127.8.9.10:1/db?connect_timeout=5",
        "postgres://u@localhost:1/db?connect_timeout=5",
        "postgres://u@[::1]:1/db?connect_timeout=5",
        "host=/nonexistent-unifield-socket-dir port=1 user=u connect_timeout=5",
        "postgres:///db?host=/nonexistent-unifield-socket-dir&port=1&user=u&connect_timeout=5",
        "host=db.internal hostaddr=127.0.0.1 port=1 user=u connect_timeout=5",
    ] {
        match open(url, false) {
            StorageError::Open { reason, .. } => {
                assert!(
                    !reason.contains("--allow-plaintext-database"),
                    "{url}: {reason}"
                );
                // A URL the driver cannot read is an Open error too: not this one.
                assert!(!reason.contains("not a PostgreSQL URL"), "{url}: {reason}");
            }
            other => panic!("{url}: not a connection failure: {other}"),
        }
    }
}

#[test]
fn with_the_flag_a_database_on_another_machine_is_dialled_and_fails_as_a_connection_error() {
    let url = "postgres://u@192.0.2.1:1/db?connect_timeout=2&sslmode=disable";
    match open(url, true) {
        StorageError::Open { path, reason } => {
            assert!(path.contains("192.0.2.1"), "{path}");
            assert!(!reason.contains("--allow-plaintext-database"), "{reason}");
            assert!(!reason.contains("not a PostgreSQL URL"), "{reason}");
        }
        other => panic!("not a connection failure: {other}"),
    }
}

#[test]
fn over_tls_a_database_on_another_machine_is_dialled_without_the_flag() {
    // A CA file so that the system's store does not matter here.
    let dir = tempfile::tempdir().unwrap();
    let certificates = unifield_test_support::postgres::TestCertificates::issue("db.internal");
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &certificates.ca_pem).unwrap();
    let ca_file = ca_file.display().to_string();
    for query in [
        // No sslmode: verify-full for a remote host.
        format!("connect_timeout=2&sslrootcert={ca_file}"),
        format!("connect_timeout=2&sslmode=verify-full&sslrootcert={ca_file}"),
        format!("connect_timeout=2&sslmode=verify-ca&sslrootcert={ca_file}"),
        format!("connect_timeout=2&sslmode=require&sslrootcert={ca_file}"),
        // prefer on a remote host requires TLS: not refused as plaintext either.
        format!("connect_timeout=2&sslmode=prefer&sslrootcert={ca_file}"),
    ] {
        let url = format!("postgres://u@192.0.2.1:1/db?{query}");
        match open(&url, false) {
            StorageError::Open { path, reason } => {
                assert!(path.contains("192.0.2.1"), "{path}");
                assert!(!reason.contains("--allow-plaintext-database"), "{reason}");
                assert!(!reason.contains("not a PostgreSQL URL"), "{reason}");
            }
            other => panic!("{url}: not a connection failure: {other}"),
        }
    }
}
