//! `unifield serve` refuses limits out of range before it starts anything: a
//! `--max-concurrent-requests` above tokio's semaphore bound used to panic at start, and a
//! per-organization cap of billions is a typo that switches the cap off.

mod common;

use common::{exits_within, master_key_in, unifield_command, Served};
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
        ("--header-read-timeout", "61s", "from 1s to 60s"),
        ("--header-read-timeout", "0", "at least 1s"),
        ("--max-open-connections", "0", "1 to 1000000"),
        ("--max-open-connections", "1000001", "1 to 1000000"),
        ("--max-concurrent-syncs-per-org", "0", "1 to 8"),
        ("--max-concurrent-syncs-per-org", "9", "1 to 8"),
        ("--max-tokens-per-org", "99999999999", "1 to 1000000"),
        ("--max-tokens-per-org", "0", "1 to 1000000"),
    ] {
        let stderr = serve_refused(&[flag, value]);
        assert!(stderr.contains(flag), "{flag} {value}: {stderr}");
        assert!(stderr.contains(range), "{flag} {value}: {stderr}");
        assert!(stderr.contains(value), "{flag} {value}: {stderr}");
    }
}

/// `--header-read-timeout` reaches the running server: a connection whose headers never end
/// is closed after it (the default, 10 s, would keep it open past this test's 6 s wait).
#[test]
fn serve_closes_a_connection_whose_headers_never_end_after_the_header_read_timeout() {
    use std::io::{Read, Write};
    use std::time::Instant;
    let dir = tempfile::tempdir().unwrap();
    let key_file = master_key_in(dir.path());
    let data = dir.path().join("data");
    let served = Served::start(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data",
            data.to_str().unwrap(),
            "--header-read-timeout",
            "1s",
        ],
        &[("UNIFIELD_SERVER_KEY_FILE", key_file.to_str().unwrap())],
    );
    let address = served
        .url
        .trim_start_matches("http://")
        .trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(6)))
        .unwrap();
    let sent = Instant::now();
    let mut buffer = [0u8; 512];
    let read = stream.read(&mut buffer);
    let waited = sent.elapsed();
    assert!(
        matches!(read, Ok(0))
            || matches!(&read, Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset),
        "the connection is closed, not {read:?} after {waited:?}"
    );
    assert!(
        waited >= Duration::from_millis(500),
        "closed only once the timeout passed, not after {waited:?}"
    );
}
