//! `unifield serve` refuses a non-loopback `--listen` (plain HTTP would carry API keys and
//! Corrigo client secrets in clear) unless `--behind-tls-proxy` says TLS ends in front.
//! The address used is TEST-NET-1 (192.0.2.1), which this machine does not have, so no
//! run of this test ever listens on a real interface.

mod common;

use common::{exits_within, unifield_command};
use std::time::Duration;

/// `unifield serve FLAGS --listen 192.0.2.1:8787 --data <a fresh directory>` run to its end,
/// its master key file pointed at one that does not exist: its exit code and stderr. Asserts
/// the data directory was not made, so the refusal came before anything was.
fn serve_off_loopback(flags: &[&str]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let absent_key = dir.path().join("absent.key");
    let mut args = vec!["serve"];
    args.extend(flags);
    args.extend([
        "--listen",
        "192.0.2.1:8787",
        "--data",
        data.to_str().unwrap(),
    ]);
    let output = exits_within(
        unifield_command(
            &args,
            &[("UNIFIELD_SERVER_KEY_FILE", absent_key.to_str().unwrap())],
        ),
        Duration::from_secs(60),
        &format!("unifield {}", args[..args.len() - 2].join(" ")),
    );
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(
        !data.exists(),
        "{flags:?}: the data directory was made before the refusal: {stderr}"
    );
    (output.status.code(), stderr)
}

#[test]
fn serve_refuses_a_non_loopback_listen_without_a_tls_proxy() {
    let (code, stderr) = serve_off_loopback(&[]);
    assert_ne!(code, Some(0), "{stderr}");
    assert!(stderr.contains("--behind-tls-proxy"), "{stderr}");
    assert!(stderr.contains("plain HTTP"), "{stderr}");
}

/// `--demo` lets connections reach this machine and prints a key to a fresh organization:
/// it is refused off loopback, even with `--behind-tls-proxy`, before anything is made.
#[test]
fn serve_refuses_the_demo_off_loopback_even_behind_a_tls_proxy() {
    let (code, stderr) =
        serve_off_loopback(&["--demo", "--demo-work-orders", "5", "--behind-tls-proxy"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("[demo_off_loopback]"), "{stderr}");
    assert!(stderr.contains("192.0.2.1:8787"), "{stderr}");
}

/// `--allow-loopback-connections` and `--allow-insecure-webhooks` switch the address policy
/// off for local development: each is refused off loopback, even with `--behind-tls-proxy`,
/// before anything is made.
#[test]
fn serve_refuses_the_development_flags_off_loopback() {
    for flag in ["--allow-loopback-connections", "--allow-insecure-webhooks"] {
        let (code, stderr) = serve_off_loopback(&[flag, "--behind-tls-proxy"]);
        assert_eq!(code, Some(2), "{flag}: {stderr}");
        assert!(
            stderr.contains("[development_flag_off_loopback]"),
            "{stderr}"
        );
        assert!(stderr.contains(flag), "{stderr}");
    }
}
