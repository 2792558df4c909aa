//! `unifield serve` refuses a non-loopback `--listen` (plain HTTP would carry API keys and
//! Corrigo client secrets in clear) unless `--behind-tls-proxy` says TLS ends in front.
//! The address used is TEST-NET-1 (192.0.2.1), which this machine does not have, so no
//! run of this test ever listens on a real interface.

mod common;

use common::{exits_within, unifield_command};
use std::time::Duration;

#[test]
fn serve_refuses_a_non_loopback_listen_without_a_tls_proxy() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let absent_key = dir.path().join("absent.key");
    let output = exits_within(
        unifield_command(
            &[
                "serve",
                "--listen",
                "192.0.2.1:8787",
                "--data",
                data.to_str().unwrap(),
            ],
            &[("UNIFIELD_SERVER_KEY_FILE", absent_key.to_str().unwrap())],
        ),
        Duration::from_secs(60),
        "unifield serve --listen 192.0.2.1:8787",
    );
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
    let output = exits_within(
        unifield_command(
            &[
                "serve",
                "--demo",
                "--demo-work-orders",
                "5",
                "--behind-tls-proxy",
                "--listen",
                "192.0.2.1:8787",
                "--data",
                data.to_str().unwrap(),
            ],
            &[],
        ),
        Duration::from_secs(60),
        "unifield serve --demo --listen 192.0.2.1:8787",
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("[demo_off_loopback]"), "{stderr}");
    assert!(stderr.contains("192.0.2.1:8787"), "{stderr}");
    assert!(
        !data.exists(),
        "the demo's data directory was made before the refusal"
    );
}

/// `--allow-loopback-connections` and `--allow-insecure-webhooks` switch the address policy
/// off for local development: each is refused off loopback, even with `--behind-tls-proxy`,
/// before anything is made.
#[test]
fn serve_refuses_the_development_flags_off_loopback() {
    for flag in ["--allow-loopback-connections", "--allow-insecure-webhooks"] {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let absent_key = dir.path().join("absent.key");
        let output = exits_within(
            unifield_command(
                &[
                    "serve",
                    flag,
                    "--behind-tls-proxy",
                    "--listen",
                    "192.0.2.1:8787",
                    "--data",
                    data.to_str().unwrap(),
                ],
                &[("UNIFIELD_SERVER_KEY_FILE", absent_key.to_str().unwrap())],
            ),
            Duration::from_secs(60),
            &format!("unifield serve {flag} --listen 192.0.2.1:8787"),
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{flag}: {stderr}");
        assert!(
            stderr.contains("[development_flag_off_loopback]"),
            "{stderr}"
        );
        assert!(stderr.contains(flag), "{stderr}");
        assert!(
            !data.exists(),
            "{flag}: the data directory was made before the refusal"
        );
    }
}
