//! `unifield serve --database` and `unifield server --database` as processes on a
//! throwaway PostgreSQL cluster (crates/test-support): administration writes the
//! organization and key there, the server answers with them and says in /api/health that
//! it runs on PostgreSQL. Without PostgreSQL the test prints SKIPPED.

mod common;

use common::{master_key_in, unifield, Served};
use std::io::{Read, Write};
use std::time::Duration;

/// One HTTP/1.1 GET on loopback; (status, body).
fn get(base: &str, path: &str, key: Option<&str>) -> (u16, String) {
    let address = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let auth = key
        .map(|k| format!("Authorization: Bearer {k}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\n{auth}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn a_database_argument_with_a_password_is_refused_before_anything_starts() {
    let out = unifield(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database",
            "postgres://u:Pw-9f2k@127.0.0.1:1/db",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("UNIFIELD_DATABASE_URL"), "{stderr}");
    assert!(
        !stderr.contains("Pw-9f2k"),
        "the password is not repeated: {stderr}"
    );
}

/// With `sslmode=disable` the connection is not encrypted: `serve` and `server` refuse a
/// database on another machine, naming its host and the flag, unless told so by the flag
/// or the environment; then the host is dialled (192.0.2.1, TEST-NET-1, never answers:
/// `connect_timeout` bounds the wait) and the failure is a connection failure.
#[test]
fn a_database_on_another_machine_is_refused_unless_plaintext_is_allowed() {
    let remote = "postgres://unifield@192.0.2.1:1/unifield?connect_timeout=2&sslmode=disable";
    let refused = [
        vec!["serve", "--listen", "127.0.0.1:0", "--database", remote],
        vec!["server", "--database", remote, "org", "list"],
    ];
    for args in &refused {
        let out = unifield(args, &[]);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("192.0.2.1"), "{args:?}: {stderr}");
        assert!(stderr.contains("--allow-plaintext-database"), "{stderr}");
        assert!(stderr.contains("[plaintext_remote_database]"), "{stderr}");
    }
    // The same URL from the environment is refused the same way.
    for args in [
        vec!["serve", "--listen", "127.0.0.1:0"],
        vec!["server", "org", "list"],
    ] {
        let out = unifield(&args, &[("UNIFIELD_DATABASE_URL", remote)]);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("[plaintext_remote_database]"),
            "{args:?} from the environment: {stderr}"
        );
    }
    let allowed = [
        (
            vec![
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--allow-plaintext-database",
                "--database",
                remote,
            ],
            vec![],
        ),
        (
            vec!["serve", "--listen", "127.0.0.1:0", "--database", remote],
            vec![("UNIFIELD_DATABASE_ALLOW_PLAINTEXT", "1")],
        ),
        (
            vec![
                "server",
                "--database",
                remote,
                "--allow-plaintext-database",
                "org",
                "list",
            ],
            vec![],
        ),
    ];
    for (args, env) in &allowed {
        let out = unifield(args, env);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("[storage_unavailable]"),
            "{args:?} {env:?}: a connection failure is expected: {stderr}"
        );
        assert!(!stderr.contains("plaintext_remote_database"), "{stderr}");
    }
}

#[test]
fn a_database_pool_size_out_of_range_is_refused_from_the_flag_and_the_environment() {
    for size in ["0", "1001", "many"] {
        let out = unifield(
            &[
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--database-pool-size",
                size,
            ],
            &[],
        );
        assert_eq!(out.status.code(), Some(2), "{size}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("from 1 to 1000"), "{size}: {stderr}");
    }
    let out = unifield(
        &["serve", "--listen", "127.0.0.1:0"],
        &[("UNIFIELD_DATABASE_POOL_SIZE", "0")],
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("UNIFIELD_DATABASE_POOL_SIZE") && stderr.contains("from 1 to 1000"),
        "{stderr}"
    );
}

#[test]
fn serve_and_server_administration_run_on_postgres() {
    let Some(cluster) = unifield_test_support::or_skipped(
        unifield_test_support::postgres::PgCluster::start(),
        "PostgreSQL",
    ) else {
        return;
    };
    let url = cluster.database().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let key_file = master_key_in(dir.path());
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let added = unifield(&["server", "--database", &url, "org", "add", "acme"], &[]);
    assert!(added.status.success(), "{added:?}");
    let created = unifield(
        &[
            "server",
            "--database",
            &url,
            "key",
            "create",
            "--org",
            "acme",
            "--name",
            "ci",
        ],
        &[],
    );
    assert!(created.status.success(), "{created:?}");
    let key = String::from_utf8_lossy(&created.stdout).trim().to_string();
    // Nothing went to a SQLite file: the data directory was never made.
    assert!(!std::path::Path::new(data).exists());

    let mut served = Served::start(
        &["serve", "--listen", "127.0.0.1:0", "--data", data],
        &[
            ("UNIFIELD_DATABASE_URL", &url),
            ("UNIFIELD_DATABASE_POOL_SIZE", "4"),
            ("UNIFIELD_SERVER_KEY_FILE", key_file.to_str().unwrap()),
        ],
    );
    let base = served.url.clone();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");

    let (status, body) = get(&base, "/api/health", None);
    assert_eq!(status, 200, "{body}");
    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["database"], "postgres", "{body}");
    assert_eq!(health["status"], "ok", "{body}");
    // The key created by the administration command authenticates on the server.
    let (status, body) = get(&base, "/api/connections", Some(&key));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body.trim(), "[]");
    let (status, _) = get(&base, "/api/connections", Some("ufk_not-a-key"));
    assert_eq!(status, 401);
    served.kill();
    assert!(!std::path::Path::new(data).exists());
}

/// A cluster serving TLS with a certificate for `db.unifield.test` from a CA made here:
/// `server` and `serve` reach it with `sslmode=verify-full`, trusting the system's roots
/// (here `SSL_CERT_FILE`, which names the CA) or the URL's `sslrootcert`; a root store
/// without that CA, an empty one, or a host name not on the certificate fails with its code.
#[test]
fn server_and_serve_reach_postgres_over_verified_tls() {
    use unifield_test_support::postgres::{PgCluster, TestCertificates};
    let certificates = TestCertificates::issue("db.unifield.test");
    let Some(cluster) = unifield_test_support::or_skipped(
        PgCluster::start_with_tls(&certificates.server),
        "PostgreSQL with TLS",
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (ca, other_ca) = certificates.write_ca_files(dir.path());
    let (ca, other_ca) = (ca.to_str().unwrap(), other_ca.to_str().unwrap());
    let database = cluster.database_named().unwrap();
    let port = cluster.port();
    let url = format!(
        "postgres://unifield@db.unifield.test:{port}/{database}?hostaddr=127.0.0.1&sslmode=verify-full"
    );
    // rustls-native-certs reads SSL_CERT_FILE (and SSL_CERT_DIR, emptied here) instead of
    // the distribution's bundle.
    let system_roots = |file: &str| {
        vec![
            ("SSL_CERT_FILE", file.to_string()),
            ("SSL_CERT_DIR", String::new()),
        ]
    };
    let run = |args: &[&str], env: &[(&str, String)]| {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        unifield(args, &env)
    };

    let added = run(
        &["server", "--database", &url, "org", "add", "acme"],
        &system_roots(ca),
    );
    assert!(added.status.success(), "{added:?}");
    let refused = run(
        &["server", "--database", &url, "org", "list"],
        &system_roots(other_ca),
    );
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("[database_certificate_untrusted]"),
        "{stderr}"
    );
    // No trusted roots at all (an empty store) and no sslrootcert: said so, with its code.
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    let no_roots = run(
        &["server", "--database", &url, "org", "list"],
        &system_roots(empty.to_str().unwrap()),
    );
    assert_eq!(no_roots.status.code(), Some(1), "{no_roots:?}");
    let stderr = String::from_utf8_lossy(&no_roots.stderr);
    assert!(stderr.contains("[database_no_trusted_roots]"), "{stderr}");
    assert!(stderr.contains("sslrootcert"), "{stderr}");
    let by_address = format!(
        "postgres://unifield@127.0.0.1:{port}/{database}?sslmode=verify-full&sslrootcert={ca}"
    );
    let mismatch = run(&["server", "--database", &by_address, "org", "list"], &[]);
    assert_eq!(mismatch.status.code(), Some(1), "{mismatch:?}");
    let stderr = String::from_utf8_lossy(&mismatch.stderr);
    assert!(stderr.contains("[database_host_name_mismatch]"), "{stderr}");
    assert!(stderr.contains("db.unifield.test"), "{stderr}");

    let key_file = master_key_in(dir.path());
    let data = dir.path().join("data");
    let mut served = Served::start(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data",
            data.to_str().unwrap(),
        ],
        &[
            ("UNIFIELD_DATABASE_URL", &format!("{url}&sslrootcert={ca}")),
            ("UNIFIELD_SERVER_KEY_FILE", key_file.to_str().unwrap()),
        ],
    );
    let base = served.url.clone();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    let (status, body) = get(&base, "/api/health", None);
    served.kill();
    assert_eq!(status, 200, "{body}");
    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["database"], "postgres", "{body}");
    // The organization added over TLS is in the database.
    assert_eq!(
        cluster
            .query(
                &format!("postgres://unifield@127.0.0.1:{port}/{database}"),
                "SELECT name FROM organizations"
            )
            .unwrap(),
        "acme\n"
    );
}
