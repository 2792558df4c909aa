//! Webhook soak, end to end: `unifield serve` as a real process syncing a sandbox of work
//! orders (one `work_order.created` event each) to three verifying receivers on loopback —
//! one healthy, one failing 30% of requests and sometimes answering after the timeout, one
//! down at first — while the server is killed with SIGKILL twice and started again on the
//! same data directory. Every receiver ends with every event at least once, exactly once
//! after deduping by webhook-id, first arrivals in creation order; nothing is left in the
//! outbox. `UNIFIELD_SOAK_EVENTS` sets the number of work orders (default 10,000, the
//! issue's soak). Bounded: every wait has a deadline; loopback only.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use unifield_webhooks::receiver::{ReceivedDelivery, Receiver, ReceiverConfig};
use unifield_webhooks::{SigningSecret, Verifier};

const SUBSCRIBED: [&str; 4] = [
    "work_order.created",
    "work_order.updated",
    "sync.completed",
    "sync.failed",
];

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn key_file(dir: &Path) -> std::path::PathBuf {
    use std::os::unix::fs::OpenOptionsExt;
    let path = dir.join("master.key");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .unwrap();
    file.write_all(b"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")
        .unwrap();
    path
}

fn unifield(data: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_unifield"))
        .arg("server")
        .arg("--data")
        .arg(data)
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// Starts `unifield serve` on `port`; returns once it printed its URL.
fn serve(data: &Path, key: &Path, port: u16) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_unifield"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--data")
        .arg(data)
        .args([
            "--allow-loopback-connections",
            "--allow-insecure-webhooks",
            "--webhook-retry",
            "first=2ms,max=20ms,until=10m",
            "--webhook-timeout",
            "250ms",
        ])
        .env("UNIFIELD_SERVER_KEY_FILE", key)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(
        line.starts_with("http://127.0.0.1:"),
        "the server's URL: {line:?}"
    );
    child
}

fn kill(mut child: Child) {
    // std's kill is SIGKILL on Unix: no shutdown code runs.
    let _ = child.kill();
    let _ = child.wait();
}

async fn api(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    key: &str,
    body: Value,
) -> Value {
    let response = http
        .request(method, url)
        .bearer_auth(key)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(status.is_success(), "{status}: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

fn distinct(received: &[ReceivedDelivery]) -> usize {
    received
        .iter()
        .filter_map(|d| d.id.as_deref())
        .collect::<HashSet<_>>()
        .len()
}

async fn wait_until(within: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    done()
}

#[test]
fn three_receivers_get_every_event_once_in_order_across_two_server_kills() {
    let work_orders: usize = std::env::var("UNIFIELD_SOAK_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let key = key_file(dir.path());
    unifield(&data, &["org", "add", "acme"]);
    let api_key = unifield(&data, &["key", "create", "--org", "acme"])
        .lines()
        .next()
        .unwrap()
        .trim()
        .to_owned();

    let began = Instant::now();
    runtime.block_on(async {
        let sandbox_config = unifield_corrigo_sandbox::Config {
            work_orders,
            ..Default::default()
        };
        let sandbox = unifield_corrigo_sandbox::start(
            sandbox_config.clone(),
            SocketAddr::from(([127, 0, 0, 1], 0)),
        )
        .await
        .unwrap();
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let mut server = serve(&data, &key, port);
        let http = reqwest::Client::new();

        // Three endpoints; the receivers' ports are chosen now, the late one listens later.
        let ports = [free_port(), free_port(), free_port()];
        let mut secrets = Vec::new();
        for port in ports {
            let created = api(
                &http,
                reqwest::Method::POST,
                format!("{base}/api/webhooks"),
                &api_key,
                json!({"url": format!("http://127.0.0.1:{port}/hooks"), "events": SUBSCRIBED}),
            )
            .await;
            secrets.push(SigningSecret::parse(created["secret"].as_str().unwrap()).unwrap());
        }
        let start = |index: usize, fail: f64, slow: f64| {
            let mut config = ReceiverConfig::new(Verifier::new(vec![secrets[index].clone()]));
            config.fail_ratio = fail;
            config.slow_ratio = slow;
            config.slow_delay = Duration::from_millis(400); // past the 250 ms timeout
            Receiver::start(
                SocketAddr::from(([127, 0, 0, 1], ports[index])),
                config,
                None,
            )
        };
        let healthy = start(0, 0.0, 0.0).await.unwrap();
        let flaky = start(1, 0.3, 0.005).await.unwrap();

        // Adding the connection starts its first sync, which emits one event per work order.
        api(
            &http,
            reqwest::Method::POST,
            format!("{base}/api/connections"),
            &api_key,
            json!({
                "name": "soak",
                "company": sandbox_config.company,
                "base_url": sandbox.base_url,
                "client_id": sandbox_config.client_id,
                "client_secret": sandbox_config.client_secret,
            }),
        )
        .await;

        // Down at first: the third receiver listens after 3 s.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let late = start(2, 0.0, 0.0).await.unwrap();

        // The sync has committed every work order's event before the kills (a sync cut short
        // by a kill is the server's business, not the webhooks').
        let storage = unifield_server::Storage::open(&data).unwrap();
        let committed = || {
            storage
                .events_after(0, 1_000_000)
                .unwrap()
                .iter()
                .filter(|e| e.kind == "sync.completed")
                .count()
        };
        assert!(
            wait_until(Duration::from_secs(120), || committed() >= 1).await,
            "the first sync completed"
        );
        println!(
            "{:>6.1} s  the first sync completed",
            began.elapsed().as_secs_f64()
        );

        // Two SIGKILLs while the flaky receiver is a third and two thirds through.
        for third in [1, 2] {
            let target = work_orders * third / 3;
            let reached = wait_until(Duration::from_secs(120), || {
                distinct(&flaky.received()) >= target
            })
            .await;
            assert!(
                reached,
                "progress to {target}: {}",
                distinct(&flaky.received())
            );
            kill(server);
            println!(
                "{:>6.1} s  server killed (SIGKILL), the flaky receiver at {target}",
                began.elapsed().as_secs_f64()
            );
            server = serve(&data, &key, port);
        }

        // Done when the outbox has nothing left to fan out or send, and stays so.
        let idle = || {
            let far = unifield_server::storage::timestamp(
                chrono::Utc::now() + chrono::Duration::days(365),
            );
            !storage.webhook_work_waiting(&far).unwrap()
        };
        let mut settled = false;
        let deadline = Instant::now() + Duration::from_secs(240);
        while Instant::now() < deadline {
            if idle() {
                tokio::time::sleep(Duration::from_secs(1)).await;
                if idle() {
                    settled = true;
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        kill(server);
        println!(
            "{:>6.1} s  the outbox drained",
            began.elapsed().as_secs_f64()
        );
        assert!(settled, "the outbox drained");
        assert_eq!(
            storage.pending_webhook_deliveries().unwrap(),
            0,
            "nothing left in the outbox"
        );

        let expected: Vec<String> = storage
            .events_after(0, 1_000_000)
            .unwrap()
            .into_iter()
            .filter(|e| SUBSCRIBED.contains(&e.kind.as_str()))
            .map(|e| e.id)
            .collect();
        assert!(
            expected.len() >= work_orders,
            "one event per work order at least: {}",
            expected.len()
        );
        for (name, receiver) in [("healthy", &healthy), ("flaky", &flaky), ("late", &late)] {
            let received = receiver.received();
            assert!(
                received.iter().all(|d| d.verified.is_ok()),
                "{name}: every delivery verifies"
            );
            let mut seen = HashSet::new();
            let first_arrivals: Vec<String> = received
                .iter()
                .filter_map(|d| d.id.clone())
                .filter(|id| seen.insert(id.clone()))
                .collect();
            assert_eq!(
                first_arrivals.len(),
                expected.len(),
                "{name}: every event once after dedupe"
            );
            assert!(
                first_arrivals == expected,
                "{name}: first arrivals in creation order"
            );
        }
        let flaky_failures = flaky
            .received()
            .iter()
            .filter(|d| d.answered != 200)
            .count();
        assert!(
            flaky_failures > work_orders / 10,
            "the flaky receiver failed often: {flaky_failures}"
        );
        sandbox.stop().await;
    });
}
