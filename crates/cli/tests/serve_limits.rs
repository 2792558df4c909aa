//! `unifield serve` refuses limits out of range before it starts anything: a
//! `--max-concurrent-requests` above tokio's semaphore bound used to panic at start, and a
//! per-organization cap of billions is a typo that switches the cap off.

mod common;

use common::{exits_within, unifield_command};
use std::time::Duration;

/// Runs `unifield serve` with `args` (bounded: 60 s) and returns its stderr; it must fail
/// without making its data directory.
fn serve_refused(args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let absent_key = dir.path().join("absent.key");
    let mut all = vec![
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--data",
        data.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    let output = exits_within(
        unifield_command(
            &all,
            &[("UNIFIELD_SERVER_KEY_FILE", absent_key.to_str().unwrap())],
        ),
        Duration::from_secs(60),
        &format!("unifield serve {args:?}"),
    );
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!output.status.success(), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    assert!(
        !data.exists(),
        "{args:?}: the data directory was made before the refusal"
    );
    stderr
}

#[test]
fn serve_refuses_limits_out_of_range_naming_the_flag() {
    for (flag, value, range) in [
        (
            "--max-concurrent-requests",
            "2305843009213693951",
            "1 to 100000",
        ),
        ("--max-concurrent-requests", "100001", "1 to 100000"),
        ("--max-concurrent-requests", "0", "1 to 100000"),
        ("--max-concurrent-requests-per-org", "0", "1 to 100000"),
        ("--max-concurrent-requests-per-org", "100001", "1 to 100000"),
        ("--max-connections-per-org", "1000001", "1 to 1000000"),
        ("--body-read-timeout", "2m", "from 1s to 60s"),
        ("--body-read-timeout", "0", "at least 1s"),
        ("--max-tokens-per-org", "99999999999", "1 to 1000000"),
        ("--max-tokens-per-org", "0", "1 to 1000000"),
    ] {
        let stderr = serve_refused(&[flag, value]);
        assert!(stderr.contains(flag), "{flag} {value}: {stderr}");
        assert!(stderr.contains(range), "{flag} {value}: {stderr}");
        assert!(stderr.contains(value), "{flag} {value}: {stderr}");
    }
}
