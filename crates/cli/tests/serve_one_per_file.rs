//! Two `unifield serve` on one SQLite data directory: the second is refused at start, with
//! the lock file and the first server's process named (`storage_in_use`), and leaves the
//! first serving; once the first has stopped, a new one starts.

mod common;

use common::{exits_within, master_key_in, unifield_command, Served};
use std::time::Duration;

#[test]
fn a_second_serve_on_the_same_sqlite_file_is_refused_while_the_first_runs() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = master_key_in(dir.path());
    let data = dir.path().join("data");
    let args = [
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--data",
        data.to_str().unwrap(),
    ];
    let env = [("UNIFIELD_SERVER_KEY_FILE", key_file.to_str().unwrap())];
    let mut first = Served::start(&args, &env);
    let lock_file = data.join("server.sqlite.lock");
    let holder = std::fs::read_to_string(&lock_file).unwrap();

    let second = exits_within(
        unifield_command(&args, &env),
        Duration::from_secs(60),
        "a second unifield serve on the same data directory",
    );
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success(), "{stderr}");
    assert!(stderr.contains("[storage_in_use]"), "{stderr}");
    assert!(
        stderr.contains(&lock_file.display().to_string()),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("process {}", holder.trim())),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");

    // The first still serves.
    assert_eq!(
        health_status(&first.url),
        "HTTP/1.1 200 OK",
        "{}",
        first.log()
    );

    let (code, _) = first.terminate(Duration::from_secs(60));
    assert_eq!(code, Some(0), "{}", first.log());
    let mut next = Served::start(&args, &env);
    assert_eq!(
        health_status(&next.url),
        "HTTP/1.1 200 OK",
        "{}",
        next.log()
    );
}

/// The status line `GET /api/health` is answered with (bounded: 10 s).
fn health_status(url: &str) -> String {
    use std::io::{BufRead, BufReader, Write};
    let address = url.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut status = String::new();
    BufReader::new(stream).read_line(&mut status).unwrap();
    status.trim_end().to_string()
}
