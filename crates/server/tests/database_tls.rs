//! TLS to a real PostgreSQL: a throwaway cluster (crates/test-support) serving `ssl=on`
//! with a certificate for `db.unifield.test` only, issued by a CA made here. The server
//! connects by that name with `hostaddr=127.0.0.1` (no DNS needed), verifies the chain
//! against `sslrootcert` and the name under `verify-full`; a certificate from another CA,
//! a name that is not on the certificate, a server without TLS and a bad CA file are each
//! refused with their own code and without the password. Without PostgreSQL installed the
//! tests print SKIPPED. The policy for remote hosts (TLS accepted, plaintext refused) is
//! unit-tested on the parsed configuration (src/storage/postgres/tls.rs) and in
//! plaintext_database.rs.

mod common;

use common::Harness;
use reqwest::StatusCode;
use serde_json::json;
use std::path::PathBuf;
use std::sync::OnceLock;
use unifield_server::storage::{Storage, StorageError};
use unifield_test_support::postgres::{PgCluster, TestCertificates};

/// The only name on the cluster's certificate (no IP address, no `localhost`).
const CERTIFICATE_NAME: &str = "db.unifield.test";
/// Given in every URL: it must never appear in an error.
const PASSWORD: &str = "pw-never-printed-Hx81";

struct TlsCluster {
    cluster: PgCluster,
    /// The CA that issued the cluster's certificate.
    ca_file: PathBuf,
    /// A CA that issued nothing the cluster shows.
    other_ca_file: PathBuf,
    _dir: tempfile::TempDir,
}

/// The process's TLS cluster, or None after printing SKIPPED.
fn tls_cluster() -> Option<&'static TlsCluster> {
    static SHARED: OnceLock<Result<TlsCluster, String>> = OnceLock::new();
    let shared =
        SHARED.get_or_init(|| TlsCluster::start(&TestCertificates::issue(CERTIFICATE_NAME)));
    unifield_test_support::or_skipped(shared.as_ref().map_err(Clone::clone), "PostgreSQL with TLS")
}

impl TlsCluster {
    /// A cluster serving `certificates.server`, with their CA files written beside it.
    fn start(certificates: &TestCertificates) -> Result<TlsCluster, String> {
        let dir = tempfile::tempdir().unwrap();
        let (ca_file, other_ca_file) = certificates.write_ca_files(dir.path());
        let cluster = PgCluster::start_with_tls(&certificates.server)?;
        Ok(TlsCluster {
            cluster,
            ca_file,
            other_ca_file,
            _dir: dir,
        })
    }

    /// A new database's name.
    fn database(&self) -> String {
        self.cluster.database_named().unwrap()
    }

    /// A URL of `database` on `host` (dialled at 127.0.0.1), with this query added.
    fn url(&self, host: &str, database: &str, query: &str) -> String {
        format!(
            "postgres://{}:{PASSWORD}@{host}:{}/{database}?hostaddr=127.0.0.1&{query}",
            unifield_test_support::postgres::ROLE,
            self.cluster.port()
        )
    }

    fn ca(&self) -> String {
        self.ca_file.display().to_string()
    }
}

fn refused(url: &str) -> StorageError {
    match Storage::open_postgres_with(url, 2, false) {
        Ok(_) => panic!("{url}: opened"),
        Err(error) => {
            let message = error.to_string();
            eprintln!("[{}] {message}", error.code());
            assert!(
                !message.contains(PASSWORD),
                "the password is printed: {message}"
            );
            error
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn verify_full_with_the_ca_connects_and_the_server_migrates_pushes_and_reads() {
    let Some(tls) = tls_cluster() else { return };
    let database = tls.database();
    let url = tls.url(
        CERTIFICATE_NAME,
        &database,
        &format!("sslmode=verify-full&sslrootcert={}", tls.ca()),
    );

    let h = Harness::start_serving_from(Some(url.clone()), 50, "", common::fast_settings()).await;
    assert_eq!(h.server.service.storage.backend_name(), "postgres");
    assert!(h.server.service.storage.schema_version().unwrap() >= 4);

    let (org, key) = h.org("acme");
    let connection = h.synced_connection(&key, &org).await;
    let (mut mapping, etag) = h.mapping(&key, &connection, "WorkOrder").await;
    mapping["custom"] = json!({"marker": {"const": "over-tls"}});
    let pushed = h
        .push_accepted(&key, &connection, "WorkOrder", &etag, &mapping.to_string())
        .await;
    assert_eq!(pushed["version"], 1);
    let list = format!("/api/connections/{connection}/eam/work-orders?per_page=5");
    let (status, page) = h.get(&list, &key).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["meta"]["total"], 50);
    assert_eq!(page["meta"]["mapping_version"], 1);
    for record in page["data"].as_array().unwrap() {
        assert_eq!(record["customFields"]["marker"], "over-tls", "{record}");
    }

    // Every connection the server holds open on this database is encrypted.
    let admin = tls.url(
        CERTIFICATE_NAME,
        "postgres",
        &format!("sslmode=verify-full&sslrootcert={}", tls.ca()),
    );
    let sessions = tls
        .cluster
        .query(
            &admin,
            &format!(
                "SELECT count(*), count(*) FILTER (WHERE s.ssl) FROM pg_stat_activity a \
                 JOIN pg_stat_ssl s USING (pid) WHERE a.datname = '{database}'"
            ),
        )
        .unwrap();
    let (all, encrypted) = sessions.trim().split_once('|').unwrap();
    assert!(all.parse::<u32>().unwrap() >= 1, "{sessions}");
    assert_eq!(all, encrypted, "sessions, encrypted: {sessions}");
}

#[test]
fn a_certificate_from_another_ca_is_refused_as_not_trusted() {
    let Some(tls) = tls_cluster() else { return };
    let database = tls.database();
    for mode in ["verify-full", "verify-ca", "require", "prefer"] {
        let url = tls.url(
            CERTIFICATE_NAME,
            &database,
            &format!("sslmode={mode}&sslrootcert={}", tls.other_ca_file.display()),
        );
        let error = refused(&url);
        assert_eq!(
            error.code(),
            "database_certificate_untrusted",
            "{mode}: {error}"
        );
        match &error {
            StorageError::DatabaseCertificateUntrusted { host, reason } => {
                assert_eq!(host, CERTIFICATE_NAME);
                assert!(reason.contains("UnknownIssuer"), "{reason}");
            }
            other => panic!("{mode}: {other}"),
        }
    }
}

#[test]
fn a_name_not_on_the_certificate_is_refused_under_verify_full_and_accepted_under_verify_ca() {
    let Some(tls) = tls_cluster() else { return };
    let database = tls.database();
    let ca = tls.ca();
    for host in ["127.0.0.1", "localhost"] {
        let url = tls.url(
            host,
            &database,
            &format!("sslmode=verify-full&sslrootcert={ca}"),
        );
        let error = refused(&url);
        assert_eq!(
            error.code(),
            "database_host_name_mismatch",
            "{host}: {error}"
        );
        match &error {
            StorageError::DatabaseHostNameMismatch {
                host: named,
                presented,
            } => {
                assert_eq!(named, host);
                assert!(presented.contains(CERTIFICATE_NAME), "{presented}");
            }
            other => panic!("{host}: {other}"),
        }
        // The chain alone: the operator's CA issued it, whatever the name.
        for mode in ["verify-ca", "require"] {
            let url = tls.url(host, &database, &format!("sslmode={mode}&sslrootcert={ca}"));
            let storage = Storage::open_postgres_with(&url, 2, false)
                .unwrap_or_else(|e| panic!("{host} {mode}: {e}"));
            assert_eq!(storage.integrity_check().unwrap(), "ok");
        }
    }
}

#[test]
fn tls_asked_of_a_server_without_it_is_refused_and_prefer_falls_back_on_loopback() {
    let Some(tls) = tls_cluster() else { return };
    let Some(plain) = unifield_test_support::or_skipped(PgCluster::shared(), "PostgreSQL") else {
        return;
    };
    let url = plain.database().unwrap();
    let with = |query: &str| {
        let url = url.replacen("@", &format!(":{PASSWORD}@"), 1);
        format!("{url}?{query}")
    };
    for mode in ["require", "verify-ca", "verify-full"] {
        let error = refused(&with(&format!("sslmode={mode}&sslrootcert={}", tls.ca())));
        assert_eq!(error.code(), "database_tls_unsupported", "{mode}: {error}");
        assert!(error.to_string().contains("127.0.0.1"), "{error}");
    }
    // On loopback prefer is libpq's prefer: plaintext when the server has no TLS.
    let storage = Storage::open_postgres_with(
        &with(&format!("sslmode=prefer&sslrootcert={}", tls.ca())),
        2,
        false,
    )
    .unwrap();
    assert_eq!(storage.integrity_check().unwrap(), "ok");
}

#[test]
fn a_ca_file_that_cannot_be_used_is_refused_naming_its_path() {
    let Some(tls) = tls_cluster() else { return };
    let database = tls.database();
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    let key_only = dir.path().join("key-only.pem");
    std::fs::write(
        &key_only,
        TestCertificates::issue(CERTIFICATE_NAME).server.key_pem,
    )
    .unwrap();
    for path in [dir.path().join("missing.pem"), empty, key_only] {
        let url = tls.url(
            CERTIFICATE_NAME,
            &database,
            &format!("sslmode=verify-full&sslrootcert={}", path.display()),
        );
        let error = refused(&url);
        assert_eq!(error.code(), "database_ca_file_invalid", "{error}");
        assert!(
            error.to_string().contains(&path.display().to_string()),
            "{error}"
        );
    }
}

/// A role that must log in with SCRAM-SHA-256 over TLS (the cluster's pg_hba): the server
/// authenticates with its password, channel binding required (tls-server-end-point, so a
/// relay holding another certificate could not pass the login on), migrates and answers;
/// a wrong password is refused without either password in the message.
#[test]
fn a_password_role_logs_in_with_scram_and_channel_binding_over_tls() {
    use unifield_test_support::postgres::SCRAM_ROLE;
    let Some(tls) = tls_cluster() else { return };
    let database = tls.database();
    let admin = tls.url(CERTIFICATE_NAME, &database, "sslmode=require");
    tls.cluster
        .query(
            &admin,
            &format!(
                "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{SCRAM_ROLE}') \
                 THEN CREATE ROLE {SCRAM_ROLE} LOGIN PASSWORD '{PASSWORD}'; END IF; END $$; \
                 ALTER DATABASE {database} OWNER TO {SCRAM_ROLE}"
            ),
        )
        .unwrap();
    let url = |password: &str, query: &str| {
        format!(
            "postgres://{SCRAM_ROLE}:{password}@{CERTIFICATE_NAME}:{}/{database}?hostaddr=127.0.0.1&{query}",
            tls.cluster.port()
        )
    };
    let verified = format!(
        "sslmode=verify-full&sslrootcert={}&channel_binding=require",
        tls.ca()
    );
    let storage = Storage::open_postgres_with(&url(PASSWORD, &verified), 2, false)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(storage.integrity_check().unwrap(), "ok");
    assert!(storage.schema_version().unwrap() >= 4);
    drop(storage);

    let wrong = "wrong-pw-Qz52";
    let error = refused(&url(wrong, &verified));
    assert_eq!(error.code(), "storage_unavailable", "{error}");
    let message = error.to_string();
    assert!(
        message.contains("password authentication failed"),
        "{message}"
    );
    assert!(!message.contains(wrong), "{message}");
    // The role may not log in without TLS (pg_hba), as the refusal above was not.
    let error = refused(&url(PASSWORD, "sslmode=disable"));
    assert!(error.to_string().contains("pg_hba.conf"), "{error}");
}

/// A certificate from the right CA that has expired is not trusted either (checked for the
/// chain under verify-ca too).
#[test]
fn an_expired_certificate_is_refused_as_not_trusted() {
    let certificates = TestCertificates::issue_expired(CERTIFICATE_NAME);
    let Some(tls) =
        unifield_test_support::or_skipped(TlsCluster::start(&certificates), "PostgreSQL with TLS")
    else {
        return;
    };
    let database = tls.database();
    for mode in ["verify-full", "verify-ca"] {
        let url = tls.url(
            CERTIFICATE_NAME,
            &database,
            &format!("sslmode={mode}&sslrootcert={}", tls.ca()),
        );
        let error = refused(&url);
        assert_eq!(
            error.code(),
            "database_certificate_untrusted",
            "{mode}: {error}"
        );
        assert!(error.to_string().contains("expired"), "{error}");
    }
}

/// Not only the first connection's TLS failures are typed: once the database serves a
/// certificate from another CA, the next connection the pool opens (its first one was
/// closed) fails with `database_certificate_untrusted`, as the first would have, not a
/// generic `storage_error`.
#[test]
fn a_later_pool_connection_failing_tls_gets_the_typed_code() {
    let Some(tls) = unifield_test_support::or_skipped(
        TlsCluster::start(&TestCertificates::issue(CERTIFICATE_NAME)),
        "PostgreSQL with TLS",
    ) else {
        return;
    };
    let cluster = &tls.cluster;
    let database = tls.database();
    let url = tls.url(
        CERTIFICATE_NAME,
        &database,
        &format!("sslmode=verify-full&sslrootcert={}", tls.ca()),
    );
    let storage = Storage::open_postgres_with(&url, 1, false).unwrap();
    storage
        .add_org("org_a", "alpha", "2026-01-01T00:00:00.000Z")
        .unwrap();

    // The database's certificate is replaced by one another CA issued, and the node's
    // open connection is closed: the pool must open a new one.
    let replacement = TestCertificates::issue(CERTIFICATE_NAME);
    cluster.replace_server_tls(&replacement.server).unwrap();
    cluster
        .query(
            &cluster.admin_url(),
            &format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}'"
            ),
        )
        .unwrap();
    // The pool may first hand out the closed connection (a generic error) before it sees
    // it closed; a new connection is then opened, and refused.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let error = loop {
        let error = storage
            .orgs()
            .expect_err("the replaced certificate is not trusted");
        if error.code() != "storage_error" || std::time::Instant::now() > deadline {
            break error;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert_eq!(error.code(), "database_certificate_untrusted", "{error}");
    let message = error.to_string();
    assert!(message.contains(CERTIFICATE_NAME), "{message}");
    assert!(!message.contains(PASSWORD), "{message}");
}
