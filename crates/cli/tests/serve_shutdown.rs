//! `unifield serve` stopped with SIGTERM: a slow request in flight gets its answer, the
//! process exits 0 within the grace period it was given, and it says what it released. A
//! webhook delivery it was still attempting is not held up until its lease expires
//! (webhook timeout + 30 s): on PostgreSQL a second node sends it again at once, with the
//! same `webhook-id`. A slow loopback Corrigo keeps a sync and the request in flight.

mod common;

use common::{add_endpoint_and_ping, master_key_in, unifield_command, Served};
use serde_json::{json, Value};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};
use unifield_test_support::webhook_receiver::holding_receiver;

/// The receiver's hold on each delivery before it answers: past the grace period.
const HOLD: Duration = Duration::from_secs(8);
const GRACE_SECONDS: u64 = 3;
const CLIENT_SECRET: &str = "sandbox-secret";

fn wait_until(within: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    done()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// An organization `acme` and its key, written by `unifield server` (`place`: `--data DIR`
/// or `--database URL`).
fn acme_key(place: &[&str]) -> String {
    let mut add = vec!["server"];
    add.extend_from_slice(place);
    add.extend_from_slice(&["org", "add", "acme"]);
    assert!(unifield_command(&add, &[])
        .output()
        .unwrap()
        .status
        .success());
    let mut create = vec!["server"];
    create.extend_from_slice(place);
    create.extend_from_slice(&["key", "create", "--org", "acme"]);
    let created = unifield_command(&create, &[]).output().unwrap();
    assert!(created.status.success(), "{created:?}");
    String::from_utf8_lossy(&created.stdout).trim().to_string()
}

/// Serves on `place` with a slow Corrigo connection syncing and a delivery held by the
/// receiver; sends SIGTERM while a slow request is in flight and checks that request's
/// answer, the exit (0, within the grace period and a margin) and the summary. The
/// receiver's ids, for the PostgreSQL takeover check.
fn serve_then_sigterm(place: &[&str], key_env: &[(&str, &str)]) -> Arc<Mutex<Vec<String>>> {
    let key = acme_key(place);
    let rt = runtime();
    let sandbox = rt
        .block_on(unifield_corrigo_sandbox::start(
            unifield_corrigo_sandbox::Config {
                work_orders: 2000,
                client_secret: CLIENT_SECRET.into(),
                faults: "latency-ms=300".parse().unwrap(),
                ..Default::default()
            },
            "127.0.0.1:0".parse().unwrap(),
        ))
        .unwrap();
    let grace = format!("{GRACE_SECONDS}s");
    let mut args = vec![
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--allow-loopback-connections",
        "--allow-insecure-webhooks",
        "--webhook-timeout",
        "10s",
        "--shutdown-grace",
        &grace,
    ];
    args.extend_from_slice(place);
    let mut served = Served::start(&args, key_env);
    let base = served.url.clone();
    let http = client();
    let post = |path: &str, body: Value| {
        let request = http
            .post(format!("{base}{path}"))
            .bearer_auth(&key)
            .json(&body);
        rt.block_on(async {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        })
    };
    // The scheduler syncs a new connection at once: slowly, 2,000 work orders at 300 ms
    // a call.
    let (status, connection) = post(
        "/api/connections",
        json!({"name": "slow", "company": "Unifield Sandbox", "base_url": sandbox.base_url,
               "client_id": "ceapiclient.1.sandbox.0001", "client_secret": CLIENT_SECRET}),
    );
    assert_eq!(status, 201, "{connection}");
    let connection = connection["id"].as_str().unwrap().to_string();
    let (hook_url, received) = holding_receiver(HOLD);
    add_endpoint_and_ping(post, &hook_url);
    assert!(
        wait_until(Duration::from_secs(30), || received.lock().unwrap().len()
            == 1),
        "the receiver got the ping:\n{}",
        served.log()
    );

    // A slow request (a reconnect asks Corrigo twice before it answers), then SIGTERM.
    let request = http
        .put(format!("{base}/api/connections/{connection}/credentials"))
        .bearer_auth(&key)
        .json(&json!({"client_id": "ceapiclient.1.sandbox.0001", "client_secret": CLIENT_SECRET}));
    let (answer_tx, answer) = mpsc::channel();
    let handle = rt.handle().clone();
    std::thread::spawn(move || {
        let status = handle.block_on(async { request.send().await.map(|r| r.status().as_u16()) });
        let _ = answer_tx.send(status.map_err(|e| e.to_string()));
    });
    std::thread::sleep(Duration::from_millis(150));
    let (code, took) = served.terminate(Duration::from_secs(GRACE_SECONDS + 20));
    assert_eq!(code, Some(0), "{}", served.log());
    let answered = answer
        .recv_timeout(Duration::from_secs(5))
        .expect("the request ended");
    assert_eq!(answered, Ok(200), "the request in flight got its answer");
    let log = served.log();
    assert!(log.contains("SIGTERM"), "{log}");
    assert!(log.contains("requests in flight answered"), "{log}");
    assert!(
        log.contains("1 webhook delivery lease(s) released"),
        "the held delivery's lease: {log}"
    );
    assert!(log.contains("1 sync(s) stopped after their page"), "{log}");
    // Within the grace period, plus the start-up of the exit (generous for a loaded host).
    assert!(took < Duration::from_secs(GRACE_SECONDS + 10), "{took:?}");
    rt.block_on(sandbox.stop());
    received
}

#[test]
fn sigterm_lets_a_slow_request_finish_and_exits_0_within_the_grace_period() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    let data = data.to_str().unwrap();
    let key_file = master_key_in(dir.path());
    serve_then_sigterm(
        &["--data", data],
        &[("UNIFIELD_SERVER_KEY_FILE", key_file.to_str().unwrap())],
    );
}

#[test]
fn on_postgres_a_second_node_sends_the_delivery_a_stopped_node_held_at_once() {
    let Some(cluster) = unifield_test_support::or_skipped(
        unifield_test_support::postgres::PgCluster::shared(),
        "PostgreSQL",
    ) else {
        return;
    };
    let url = cluster.database().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let key_file = master_key_in(dir.path());
    let key_env = [("UNIFIELD_SERVER_KEY_FILE", key_file.to_str().unwrap())];
    let received = serve_then_sigterm(&["--database", &url], &key_env);

    // Node B on the same database: the delivery goes out again now, not after the first
    // node's lease (10 s + 30 s) expires.
    let started = Instant::now();
    let _node_b = Served::start(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--allow-insecure-webhooks",
            "--database",
            &url,
        ],
        &key_env,
    );
    assert!(
        wait_until(Duration::from_secs(25), || received.lock().unwrap().len()
            == 2),
        "node B sent the delivery again"
    );
    assert!(started.elapsed() < Duration::from_secs(40));
    let ids = received.lock().unwrap().clone();
    assert_eq!(ids[0], ids[1], "the same delivery (webhook-id)");
}
