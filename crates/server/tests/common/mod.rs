//! What the server's tests share: a sandbox, a server on 127.0.0.1 over a real SQLite
//! file in a temporary directory, organizations with keys, and a small HTTP helper.
#![allow(dead_code)]

use reqwest::StatusCode;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use unifield_corrigo_sandbox as sandbox;
use unifield_server::{MasterKeySource, RunningServer, ServerConfig, Settings};

pub const CLIENT_SECRET: &str = "sandbox-secret-Zq7w3Kx9";

pub struct Harness {
    pub dir: tempfile::TempDir,
    pub server: RunningServer,
    pub sandbox: sandbox::Running,
    pub sandbox_config: sandbox::Config,
    pub http: reqwest::Client,
}

pub fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

pub fn key_file(dir: &std::path::Path) -> PathBuf {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let path = dir.join("master.key");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .unwrap();
    file.write_all(b"0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0")
        .unwrap();
    path
}

pub fn fast_settings() -> Settings {
    let mut settings = Settings {
        sync_interval: Duration::from_secs(3600),
        page_size: 100,
        ..Default::default()
    };
    settings.corrigo.attempts = 3;
    settings.corrigo.backoff_base = Duration::from_millis(10);
    settings.corrigo.backoff_cap = Duration::from_millis(50);
    settings.corrigo.timeout = Duration::from_secs(20);
    // Webhook deliveries in tests never look a name up (generated URLs must not reach out).
    settings.webhooks.lookup = Some(unifield_server::webhooks::SharedLookup(
        std::sync::Arc::new(unifield_webhooks::policy::StaticLookup::new()),
    ));
    // The sandbox is an http:// URL on 127.0.0.1 (as `serve --allow-loopback-connections`).
    settings.allow_loopback_connections = true;
    // Nor do connection hosts (tests that need a name give their own table).
    settings.connection_lookup = Some(unifield_server::webhooks::SharedLookup(
        std::sync::Arc::new(unifield_webhooks::policy::StaticLookup::new()),
    ));
    settings
}

pub async fn start_sandbox(
    work_orders: usize,
    faults: &str,
) -> (sandbox::Running, sandbox::Config) {
    let config = sandbox::Config {
        work_orders,
        client_secret: CLIENT_SECRET.into(),
        faults: faults.parse().unwrap(),
        ..Default::default()
    };
    let running = sandbox::start(config.clone(), loopback()).await.unwrap();
    (running, config)
}

/// The storage backend a test's server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    /// A SQLite file in the test's temporary directory.
    Sqlite,
    /// A fresh database on the process's throwaway PostgreSQL cluster.
    Postgres,
}

/// Makes `sqlite::case` and `postgres::case` tests of each `async fn case(db: Db)`: one
/// suite, both backends. Without PostgreSQL the postgres tests print SKIPPED.
#[macro_export]
macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
               async fn $case() { super::$case($crate::common::Db::Sqlite).await } )*
        }
        mod postgres {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
               async fn $case() { super::$case($crate::common::Db::Postgres).await } )*
        }
    };
}

/// Where a server on `db` keeps its data: None on SQLite (a file in its directory), a
/// fresh database on the process's throwaway PostgreSQL cluster otherwise; the outer None
/// (after printing SKIPPED) when PostgreSQL cannot be started on this machine.
pub fn database_on(db: Db) -> Option<Option<String>> {
    match db {
        Db::Sqlite => Some(None),
        Db::Postgres => {
            let cluster = unifield_test_support::or_skipped(
                unifield_test_support::postgres::PgCluster::shared(),
                "PostgreSQL backend",
            )?;
            Some(Some(cluster.database().unwrap()))
        }
    }
}

/// The HTTP client the tests talk to a server with (bounded: 60 s a request).
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

impl Harness {
    /// A server (scheduler off: tests drive syncs) and a sandbox of `work_orders`, on SQLite.
    pub async fn start(work_orders: usize, faults: &str) -> Harness {
        Harness::start_on(Db::Sqlite, work_orders, faults)
            .await
            .expect("SQLite is always there")
    }

    /// The same on the backend asked for; None (after printing SKIPPED) when PostgreSQL
    /// cannot be started on this machine.
    pub async fn start_on(db: Db, work_orders: usize, faults: &str) -> Option<Harness> {
        Harness::start_on_database(db, work_orders, faults)
            .await
            .map(|(harness, _)| harness)
    }

    /// [`Harness::start_on`], with the PostgreSQL URL it serves from (None on SQLite).
    pub async fn start_on_database(
        db: Db,
        work_orders: usize,
        faults: &str,
    ) -> Option<(Harness, Option<String>)> {
        Harness::start_with_settings(db, work_orders, faults, fast_settings()).await
    }

    /// [`Harness::start_on_database`] with these settings instead of [`fast_settings`].
    pub async fn start_with_settings(
        db: Db,
        work_orders: usize,
        faults: &str,
        settings: Settings,
    ) -> Option<(Harness, Option<String>)> {
        let database = database_on(db)?;
        let harness =
            Harness::start_serving_from(database.clone(), work_orders, faults, settings).await;
        Some((harness, database))
    }

    /// A server (scheduler off) with these settings on the PostgreSQL database at
    /// `database` (None: a SQLite file in its directory), and a sandbox of `work_orders`.
    pub async fn start_serving_from(
        database: Option<String>,
        work_orders: usize,
        faults: &str,
        settings: Settings,
    ) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let (sandbox, sandbox_config) = start_sandbox(work_orders, faults).await;
        let data = dir.path().join("data");
        let mut config = ServerConfig::new(loopback(), data);
        config.database = database;
        config.key_source = MasterKeySource::File(key_file(dir.path()));
        config.settings = settings;
        config.scheduler = false;
        let server = unifield_server::start(config).await.unwrap();
        Harness {
            dir,
            server,
            sandbox,
            sandbox_config,
            http: http_client(),
        }
    }

    /// Another server node on the PostgreSQL database at `database` (the one this harness
    /// serves from) with the same master key (scheduler off).
    pub async fn second_node(&self, database: &str) -> RunningServer {
        let database = database.to_string();
        let mut config = ServerConfig::new(loopback(), self.dir.path().join("data-b"));
        config.database = Some(database);
        config.key_source = MasterKeySource::File(self.dir.path().join("master.key"));
        config.settings = fast_settings();
        config.scheduler = false;
        unifield_server::start(config).await.unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url)
    }

    /// An organization and a key for it.
    pub fn org(&self, name: &str) -> (String, String) {
        let service = &self.server.service;
        let id = service.add_org(name).unwrap();
        let key = service.create_key(name, &format!("{name} key")).unwrap();
        (id, key.secret)
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        key: Option<&str>,
        body: Option<&Value>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let mut request = self.http.request(method, self.url(path));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, headers, value)
    }

    pub async fn get(&self, path: &str, key: &str) -> (StatusCode, Value) {
        let (status, _, body) = self.send(reqwest::Method::GET, path, Some(key), None).await;
        (status, body)
    }

    pub fn connection_body(&self, name: &str) -> Value {
        json!({
            "name": name,
            "company": self.sandbox_config.company,
            "base_url": self.sandbox.base_url,
            "client_id": self.sandbox_config.client_id,
            "client_secret": CLIENT_SECRET,
        })
    }

    /// Asks the API to add a connection named `name` to the harness's sandbox: the status
    /// and the answer (for tests about refusals).
    pub async fn post_connection(&self, key: &str, name: &str) -> (StatusCode, Value) {
        let (status, _, body) = self
            .send(
                reqwest::Method::POST,
                "/api/connections",
                Some(key),
                Some(&self.connection_body(name)),
            )
            .await;
        (status, body)
    }

    /// Adds a connection named `name` to the harness's sandbox through the API, asserting
    /// it was created (201): its id.
    pub async fn add_connection(&self, key: &str, name: &str) -> String {
        let (status, body) = self.post_connection(key, name).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_str().unwrap().to_string()
    }

    /// Asks the API for a token named "reader" of `connection`: the status and the answer.
    pub async fn post_token(&self, key: &str, connection: &str) -> (StatusCode, Value) {
        let (status, _, body) = self
            .send(
                reqwest::Method::POST,
                &format!("/api/connections/{connection}/tokens"),
                Some(key),
                Some(&json!({"name": "reader"})),
            )
            .await;
        (status, body)
    }

    /// Starts a reconnect of connection `id` with the sandbox's working credentials (a PUT
    /// of its credentials, which tests them against Corrigo and so holds its request slot
    /// while the sandbox's latency lasts): the status, `Retry-After` and the answer.
    pub fn spawn_reconnect(
        &self,
        key: &str,
        id: &str,
    ) -> tokio::task::JoinHandle<(StatusCode, Option<String>, Value)> {
        let request = self
            .http
            .put(self.url(&format!("/api/connections/{id}/credentials")))
            .bearer_auth(key)
            .json(
                &json!({"client_id": self.sandbox_config.client_id, "client_secret": CLIENT_SECRET}),
            );
        tokio::spawn(async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            let retry_after = response
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_string());
            let body: Value = response.json().await.unwrap();
            (status, retry_after, body)
        })
    }

    /// Adds a connection through the API and syncs it to the end.
    pub async fn synced_connection(&self, key: &str, org_id: &str) -> String {
        let id = self.add_connection(key, "sandbox").await;
        let outcome = self
            .server
            .service
            .sync_connection(org_id, &id)
            .await
            .unwrap();
        assert_eq!(outcome.status, "completed", "{outcome:?}");
        id
    }

    /// The mapping's text and version.
    pub async fn mapping(&self, key: &str, connection: &str, entity: &str) -> (Value, String) {
        let response = self
            .http
            .get(self.url(&format!("/api/connections/{connection}/mappings/{entity}")))
            .bearer_auth(key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let etag = response.headers()["etag"].to_str().unwrap().to_string();
        (response.json().await.unwrap(), etag)
    }

    pub async fn push(
        &self,
        key: &str,
        connection: &str,
        entity: &str,
        if_match: Option<&str>,
        body: &str,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .put(self.url(&format!("/api/connections/{connection}/mappings/{entity}")))
            .bearer_auth(key)
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(tag) = if_match {
            request = request.header("if-match", tag);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// [`Harness::push`] over the version `if_match`, asserting the server took it (200);
    /// the response body.
    pub async fn push_accepted(
        &self,
        key: &str,
        connection: &str,
        entity: &str,
        if_match: &str,
        body: &str,
    ) -> Value {
        let (status, pushed) = self
            .push(key, connection, entity, Some(if_match), body)
            .await;
        assert_eq!(status, StatusCode::OK, "{pushed}");
        pushed
    }

    /// Round `round` of the consistency checks: `base` with `custom.round` = `round`,
    /// pushed over version `round - 1` (each round's version is its number).
    pub async fn push_round(&self, key: &str, connection: &str, base: &Value, round: usize) {
        let mut mapping = base.clone();
        mapping["custom"] = serde_json::json!({"round": {"const": round}});
        self.push_accepted(
            key,
            connection,
            "WorkOrder",
            &format!("\"{}\"", round - 1),
            &mapping.to_string(),
        )
        .await;
    }
}

/// Awaits requests started by [`Harness::spawn_reconnect`]: how many were served (200),
/// and the `Retry-After` and answer of each refused with `refusal`. Any other status fails
/// the test.
pub async fn served_and_refused(
    requests: impl IntoIterator<Item = tokio::task::JoinHandle<(StatusCode, Option<String>, Value)>>,
    refusal: StatusCode,
) -> (usize, Vec<(Option<String>, Value)>) {
    let mut served = 0;
    let mut refused = Vec::new();
    for request in requests {
        let (status, retry_after, body) = request.await.unwrap();
        if status == StatusCode::OK {
            served += 1;
        } else if status == refusal {
            refused.push((retry_after, body));
        } else {
            panic!("{status}: {body}");
        }
    }
    (served, refused)
}

/// Whether `done` holds within `within` (asked every 20 ms, and once more at the end).
pub async fn wait_until(within: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + within;
    while std::time::Instant::now() < deadline {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    done()
}

/// Asserts the one error shape.
pub fn assert_error(body: &Value, code: &str) {
    assert_eq!(body["code"], code, "{body}");
    assert!(body["message"].is_string(), "{body}");
    assert!(body["problems"].is_array(), "{body}");
}

/// A page of raw records `Id` `from..from + count`, as `commit_page` takes them:
/// (source id, body, the body's SHA-256).
pub fn page(from: usize, count: usize) -> Vec<(String, String, String)> {
    (from..from + count)
        .map(|i| {
            let body = format!("{{\"Id\":{i}}}");
            let hash = unifield_server::crypto::sha256_hex(&body);
            (i.to_string(), body, hash)
        })
        .collect()
}

/// Caches `records` of `entity` for `connection` as a sync leaves them: one sync run, its
/// pages `page_size` records each, as `commit_page` takes them (source id `Id`, body, the
/// body's SHA-256).
pub fn cache_synced(
    storage: &unifield_server::Storage,
    connection: &str,
    entity: &str,
    records: impl Iterator<Item = Value>,
    page_size: usize,
) {
    let run = storage
        .begin_sync(connection, "2026-01-01T00:00:00.000Z", &[])
        .unwrap();
    let mut page = Vec::with_capacity(page_size);
    let mut records = records.peekable();
    while records.peek().is_some() {
        page.clear();
        for record in records.by_ref().take(page_size) {
            let text = record.to_string();
            let hash = unifield_server::crypto::sha256_hex(&text);
            page.push((record["Id"].to_string(), text, hash));
        }
        storage
            .commit_page(
                connection,
                entity,
                run,
                &page,
                "2026-01-01T00:00:00.000Z",
                |_| Vec::new(),
            )
            .unwrap();
    }
}
