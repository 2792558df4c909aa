//! Where a connection may send Corrigo requests (the security review's SSRF finding): an
//! organization key holder chooses a connection's base URL, and the server sends its
//! client secret there from inside the operator's network. Without
//! `--allow-loopback-connections` connection hosts get the webhook address policy, when a
//! connection is saved and, by resolved address, at every request. A "service on the
//! server's own host" here is a listener on 127.0.0.1 that counts the connections it gets:
//! it must get none.

mod common;

use common::{fast_settings, Db, Harness, CLIENT_SECRET};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use unifield_server::webhooks::SharedLookup;
use unifield_server::{MasterKeySource, ServerConfig, Settings};
use unifield_webhooks::policy::{HostLookup, LookupFuture};

/// A listener on 127.0.0.1 standing for a service on the server's host: it counts the
/// connections it accepts and closes them.
struct HostService {
    port: u16,
    accepted: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl HostService {
    async fn start() -> HostService {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&accepted);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                drop(stream);
            }
        });
        HostService {
            port,
            accepted,
            task,
        }
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for HostService {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A name table a test can change while the server runs (DNS rebinding).
#[derive(Clone, Default)]
struct ChangingLookup(Arc<Mutex<HashMap<String, Vec<IpAddr>>>>);

impl ChangingLookup {
    fn set(&self, host: &str, address: &str) {
        self.0
            .lock()
            .unwrap()
            .insert(host.to_string(), vec![address.parse().unwrap()]);
    }
}

impl HostLookup for ChangingLookup {
    fn lookup(&self, host: &str) -> LookupFuture {
        let found = self.0.lock().unwrap().get(host).cloned();
        Box::pin(async move { found.ok_or_else(|| "not in the test's table".to_string()) })
    }
}

/// The settings of `unifield serve` without `--allow-loopback-connections`.
fn strict_settings(lookup: &ChangingLookup) -> Settings {
    let mut settings = fast_settings();
    settings.allow_loopback_connections = false;
    settings.connection_lookup = Some(SharedLookup(Arc::new(lookup.clone())));
    settings
}

fn body_with(h: &Harness, base_url: &str) -> Value {
    let mut body = h.connection_body("target");
    body["base_url"] = json!(base_url);
    body
}

/// Adds a connection to `base_url` over the API: the status and the answer.
async fn add_connection(h: &Harness, key: &str, base_url: &str) -> (StatusCode, Value) {
    let (status, _, answer) = h
        .send(
            Method::POST,
            "/api/connections",
            Some(key),
            Some(&body_with(h, base_url)),
        )
        .await;
    (status, answer)
}

/// Reconnects connection `id` with `credentials` over the API: the status and the answer.
async fn reconnect(h: &Harness, key: &str, id: &str, credentials: &Value) -> (StatusCode, Value) {
    let (status, _, answer) = h
        .send(
            Method::PUT,
            &format!("/api/connections/{id}/credentials"),
            Some(key),
            Some(credentials),
        )
        .await;
    (status, answer)
}

/// A refusal located at `base_url`, with its codes.
fn assert_refused(status: StatusCode, answer: &Value, code: &str, problem: &str) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    common::assert_error(answer, code);
    assert_eq!(answer["problems"][0]["field"], "base_url", "{answer}");
    assert_eq!(answer["problems"][0]["code"], problem, "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .starts_with("base_url: "),
        "{answer}"
    );
}

on_both_backends!(
    without_the_operators_flag_connections_reach_only_public_https_hosts,
    a_name_that_turns_into_loopback_after_it_was_saved_is_refused_at_request_time,
    a_loopback_connection_saved_while_allowed_is_refused_once_the_server_runs_without_the_flag,
);

async fn without_the_operators_flag_connections_reach_only_public_https_hosts(db: Db) {
    let lookup = ChangingLookup::default();
    lookup.set("intranet.test", "10.0.0.7");
    lookup.set("public.test", "93.184.216.34");
    let Some((h, _)) = Harness::start_with_settings(db, 1, "", strict_settings(&lookup)).await
    else {
        return;
    };
    let host = HostService::start().await;
    let (_, key) = h.org("acme");
    let port = host.port;
    let refused = [
        // The sandbox's own kind of URL: http to this machine.
        (
            format!("http://127.0.0.1:{port}"),
            "insecure_base_url",
            "url_insecure",
        ),
        (
            format!("http://localhost:{port}"),
            "insecure_base_url",
            "url_insecure",
        ),
        (
            format!("https://127.0.0.1:{port}"),
            "base_url_address_refused",
            "address_refused",
        ),
        (
            format!("https://[::1]:{port}"),
            "base_url_address_refused",
            "address_refused",
        ),
        (
            format!("https://[::ffff:127.0.0.1]:{port}"),
            "base_url_address_refused",
            "address_refused",
        ),
        (
            "https://169.254.169.254".to_string(),
            "base_url_address_refused",
            "address_refused",
        ),
        (
            "https://10.1.2.3".to_string(),
            "base_url_address_refused",
            "address_refused",
        ),
        // A name is refused by what it resolves to.
        (
            format!("https://intranet.test:{port}"),
            "base_url_address_refused",
            "address_refused",
        ),
        (
            "https://user:pw@public.test".to_string(),
            "invalid_base_url",
            "url_credentials",
        ),
        (
            "ftp://public.test".to_string(),
            "invalid_base_url",
            "url_scheme",
        ),
    ];
    for (url, code, problem) in &refused {
        let (status, answer) = add_connection(&h, &key, url).await;
        assert_refused(status, &answer, code, problem);
    }
    // The message says what the operator can do about loopback, and names the address.
    let (_, answer) = add_connection(&h, &key, &format!("http://127.0.0.1:{port}")).await;
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("--allow-loopback-connections"),
        "{answer}"
    );
    let (_, answer) = add_connection(&h, &key, "https://169.254.169.254").await;
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("169.254.169.254 is a cloud metadata address;"),
        "{answer}"
    );
    // A name is refused by the class of what it resolves to, and the address stays in the
    // server's log: an organization key holder does not learn the internal network's map.
    let (_, answer) = add_connection(&h, &key, &format!("https://intranet.test:{port}")).await;
    let message = answer["message"].as_str().unwrap();
    assert!(
        message.contains("intranet.test resolves to a private address;"),
        "{answer}"
    );
    assert!(!answer.to_string().contains("10.0.0.7"), "{answer}");
    let (status, listed) = h.get("/api/connections", &key).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed, json!([]), "nothing was saved");

    // A public https host is saved (nothing is sent to it until a sync).
    let (status, created) = add_connection(&h, &key, "https://public.test").await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap();

    // Reconnecting to a host on this machine is refused before anything is sent.
    let credentials = json!({
        "client_id": h.sandbox_config.client_id,
        "client_secret": CLIENT_SECRET,
        "base_url": format!("https://127.0.0.1:{port}"),
    });
    let (status, answer) = reconnect(&h, &key, id, &credentials).await;
    assert_refused(
        status,
        &answer,
        "base_url_address_refused",
        "address_refused",
    );
    assert_eq!(host.accepted(), 0, "a request reached the host's service");
    let (_, view) = h.get(&format!("/api/connections/{id}"), &key).await;
    assert_eq!(view["base_url"], "https://public.test", "nothing changed");
}

/// A server whose connection to `rebind.test` (public when saved) is then rebound to
/// 127.0.0.1, where a counting service stands for one on the server's own host; None when
/// the backend is missing (skipped).
async fn a_connection_rebound_to_loopback(
    db: Db,
) -> Option<(Harness, HostService, String, String, String)> {
    let lookup = ChangingLookup::default();
    lookup.set("rebind.test", "93.184.216.34");
    let (h, _) = Harness::start_with_settings(db, 1, "", strict_settings(&lookup)).await?;
    let host = HostService::start().await;
    let (org, key) = h.org("acme");
    let url = format!("https://rebind.test:{}", host.port);
    let (status, created) = add_connection(&h, &key, &url).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    lookup.set("rebind.test", "127.0.0.1");
    Some((h, host, org, key, id))
}

/// Syncs the connection and checks the sync failed because the resolver refused the
/// loopback address; the sync's error text.
async fn sync_refused_as_loopback(h: &Harness, org: &str, id: &str) -> String {
    let outcome = h.server.service.sync_connection(org, id).await.unwrap();
    assert_eq!(outcome.status, "failed", "{outcome:?}");
    let error = outcome.error.unwrap_or_default();
    assert!(
        error.contains("rebind.test resolves to a loopback address;")
            && error.contains("[address_refused]"),
        "the policy did not refuse the target: {error}"
    );
    assert!(
        !error.contains("127.0.0.1"),
        "the address is logged, not told: {error}"
    );
    error
}

async fn a_name_that_turns_into_loopback_after_it_was_saved_is_refused_at_request_time(db: Db) {
    let Some((h, host, org, key, id)) = a_connection_rebound_to_loopback(db).await else {
        return;
    };
    // The name now points at this machine: the sync's token request is refused by the
    // resolver it connects through, at once (not retried), and nothing connects.
    let error = sync_refused_as_loopback(&h, &org, &id).await;
    assert!(
        !error.contains("gave up after"),
        "a refusal is not retried: {error}"
    );
    let (status, view) = h.get(&format!("/api/connections/{id}/status"), &key).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(view["status"], "error", "{view}");
    assert!(
        view["reason"].as_str().unwrap().contains("loopback"),
        "{view}"
    );

    // Reconnecting to the same name is refused by what it resolves to now.
    let credentials = json!({
        "client_id": h.sandbox_config.client_id,
        "client_secret": CLIENT_SECRET,
    });
    let (status, answer) = reconnect(&h, &key, &id, &credentials).await;
    assert_refused(
        status,
        &answer,
        "base_url_address_refused",
        "address_refused",
    );
    assert_eq!(host.accepted(), 0, "a request reached the host's service");
}

/// An HTTP proxy in the server's environment does not switch the address policy off: the
/// checking resolver would only ever see the proxy's address, so a connection client with
/// it goes direct. The "proxy" is a counting listener on 127.0.0.1: it must get nothing.
/// Storage plays no part, so SQLite only. nextest runs each test in its own process, so
/// the environment set here reaches no other test.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_proxy_in_the_environment_does_not_bypass_the_address_policy() {
    let proxy = HostService::start().await;
    let proxy_url = format!("http://127.0.0.1:{}", proxy.port);
    for name in [
        "ALL_PROXY",
        "all_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
    ] {
        std::env::set_var(name, &proxy_url);
    }
    // The test's own client talks to the server on 127.0.0.1 directly; the connection's
    // host (rebind.test) is not excluded.
    std::env::set_var("NO_PROXY", "127.0.0.1,localhost");
    std::env::set_var("no_proxy", "127.0.0.1,localhost");

    let Some((h, host, org, _, id)) = a_connection_rebound_to_loopback(Db::Sqlite).await else {
        return;
    };
    sync_refused_as_loopback(&h, &org, &id).await;
    assert_eq!(
        proxy.accepted(),
        0,
        "the connection client went through the proxy"
    );
    assert_eq!(host.accepted(), 0, "a request reached the host's service");
}

async fn a_loopback_connection_saved_while_allowed_is_refused_once_the_server_runs_without_the_flag(
    db: Db,
) {
    // Allowed (the harness runs as `serve --allow-loopback-connections`).
    let Some((h, database)) = Harness::start_on_database(db, 1, "").await else {
        return;
    };
    let host = HostService::start().await;
    let (org, key) = h.org("acme");
    let (status, created) =
        add_connection(&h, &key, &format!("http://127.0.0.1:{}", host.port)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_string();

    // The operator restarts without the flag, over the same database: the first server
    // stops first (a SQLite file is served by one process at a time).
    h.server.shutdown(std::time::Duration::from_secs(5)).await;
    let lookup = ChangingLookup::default();
    let mut config = ServerConfig::new(common::loopback(), h.dir.path().join("data"));
    config.database = database;
    config.key_source = MasterKeySource::File(h.dir.path().join("master.key"));
    config.settings = strict_settings(&lookup);
    config.scheduler = false;
    let strict = unifield_server::start(config).await.unwrap();

    let outcome = strict.service.sync_connection(&org, &id).await.unwrap();
    assert_eq!(outcome.status, "failed", "{outcome:?}");
    let error = outcome.error.unwrap_or_default();
    assert!(
        error.starts_with("base_url: ") && error.contains("--allow-loopback-connections"),
        "{error}"
    );
    let response = h
        .http
        .put(format!("{}/api/connections/{id}/credentials", strict.url))
        .bearer_auth(&key)
        .json(&json!({"client_id": h.sandbox_config.client_id, "client_secret": CLIENT_SECRET}))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let answer: Value = response.json().await.unwrap();
    assert_refused(status, &answer, "insecure_base_url", "url_insecure");
    assert_eq!(host.accepted(), 0, "a request reached the host's service");
    strict.stop().await;
}
