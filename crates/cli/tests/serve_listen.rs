//! `unifield serve` refuses a non-loopback `--listen` (plain HTTP would carry API keys and
//! Corrigo client secrets in clear) unless `--behind-tls-proxy` says TLS ends in front.
//! The address used is TEST-NET-1 (192.0.2.1), which this machine does not have, so no
//! run of this test ever listens on a real interface.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn serve_refuses_a_non_loopback_listen_without_a_tls_proxy() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut child = Command::new(env!("CARGO_BIN_EXE_unifield"))
        .args(["serve", "--listen", "192.0.2.1:8787", "--data"])
        .arg(&data)
        .env("UNIFIELD_SERVER_KEY_FILE", dir.path().join("absent.key"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("`unifield serve --listen 192.0.2.1:8787` kept running");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("--behind-tls-proxy"), "{stderr}");
    assert!(stderr.contains("plain HTTP"), "{stderr}");
    assert!(
        !data.exists(),
        "the data directory was made before the refusal"
    );
}

/// `--demo` lets connections reach this machine and prints a key to a fresh organization:
/// it is refused off loopback, even with `--behind-tls-proxy`, before anything is made.
#[test]
fn serve_refuses_the_demo_off_loopback_even_behind_a_tls_proxy() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let mut child = Command::new(env!("CARGO_BIN_EXE_unifield"))
        .args([
            "serve",
            "--demo",
            "--demo-work-orders",
            "5",
            "--behind-tls-proxy",
            "--listen",
            "192.0.2.1:8787",
            "--data",
        ])
        .arg(&data)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("`unifield serve --demo --listen 192.0.2.1:8787` kept running");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("[demo_off_loopback]"), "{stderr}");
    assert!(stderr.contains("192.0.2.1:8787"), "{stderr}");
    assert!(
        !data.exists(),
        "the demo's data directory was made before the refusal"
    );
}
