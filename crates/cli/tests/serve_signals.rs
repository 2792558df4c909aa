//! `unifield serve` shutting down on SIGTERM waits up to its grace period for what is in
//! flight; a second SIGTERM meanwhile stops it at once (exit 1), as an operator who sends
//! it again expects. A webhook receiver that holds its answer keeps the shutdown waiting.

mod common;

use common::{add_endpoint_and_ping, master_key_in, unifield_command};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use unifield_test_support::webhook_receiver::holding_receiver;

/// The receiver's hold on the delivery: the attempt (and so the shutdown) lasts this long.
const HOLD: Duration = Duration::from_secs(50);

/// Kills the server if the test fails before it exits.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn signal(child: &Child, name: &str) {
    let sent = std::process::Command::new("kill")
        .args([name, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}

/// The first line (stdout or stderr) that passes `test`, within 120 s.
fn wait_for(
    lines: &mpsc::Receiver<String>,
    seen: &mut Vec<String>,
    test: impl Fn(&str) -> bool,
) -> String {
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if let Ok(line) = lines.recv_timeout(Duration::from_millis(200)) {
            seen.push(line.clone());
            if test(&line) {
                return line;
            }
        }
    }
    panic!("never printed; it printed:\n{}", seen.join("\n"));
}

#[test]
fn a_second_sigterm_during_the_grace_period_stops_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    let data = data.to_str().unwrap();
    let key_file = master_key_in(dir.path());
    let key_env = [("UNIFIELD_SERVER_KEY_FILE", key_file.to_str().unwrap())];
    assert!(
        unifield_command(&["server", "--data", data, "org", "add", "acme"], &[])
            .output()
            .unwrap()
            .status
            .success()
    );
    let created = unifield_command(
        &["server", "--data", data, "key", "create", "--org", "acme"],
        &[],
    )
    .output()
    .unwrap();
    assert!(created.status.success(), "{created:?}");
    let key = String::from_utf8_lossy(&created.stdout).trim().to_string();

    let mut command = unifield_command(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data",
            data,
            "--allow-insecure-webhooks",
            "--webhook-timeout",
            "60s",
            "--shutdown-grace",
            "120s",
        ],
        &key_env,
    );
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut server = Killed(command.spawn().unwrap());
    let (tx, lines) = mpsc::channel();
    let out = server.0.stdout.take().unwrap();
    let err = server.0.stderr.take().unwrap();
    for reader in [Box::new(out) as Box<dyn Read + Send>, Box::new(err)] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(reader).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
    }
    let mut seen = Vec::new();
    let base = wait_for(&lines, &mut seen, |l| l.starts_with("http://"));

    // A delivery the receiver holds for HOLD: the graceful shutdown waits for it.
    let (hook_url, received) = holding_receiver(HOLD);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let post = |path: &str, body: Value| {
        rt.block_on(async {
            let response = http
                .post(format!("{base}{path}"))
                .bearer_auth(&key)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        })
    };
    add_endpoint_and_ping(post, &hook_url);
    let deadline = Instant::now() + Duration::from_secs(30);
    while received.lock().unwrap().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        received.lock().unwrap().len(),
        1,
        "the receiver got the ping"
    );

    signal(&server.0, "-TERM");
    wait_for(&lines, &mut seen, |l| {
        l.contains("SIGTERM: no new requests")
    });
    signal(&server.0, "-TERM");
    // Well before the held attempt ends (HOLD) or the grace period (120 s).
    let sent = Instant::now();
    let exit = loop {
        if let Some(exit) = server.0.try_wait().unwrap() {
            break exit;
        }
        assert!(
            sent.elapsed() < Duration::from_secs(20),
            "still shutting down 20 s after the second SIGTERM:\n{}",
            seen.join("\n")
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(exit.code(), Some(1), "{}", seen.join("\n"));
    wait_for(&lines, &mut seen, |l| {
        l.contains("SIGTERM again: stopped at once")
    });
}
