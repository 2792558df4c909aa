//! The security review's finding on connections: hyper's header read timeout never applied
//! under `axum::serve` (no timer), so a client holding a connection with part of a request,
//! or an idle keep-alive, kept it (and a file descriptor) forever, before authentication.
//! Now (src/accept.rs) such a connection is closed after `Settings::header_read_timeout`,
//! and no more than `Settings::max_open_connections` are open at once.

mod common;

use common::{key_file, loopback};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use unifield_server::service::Settings;
use unifield_server::{MasterKeySource, RunningServer, ServerConfig};

/// The header read timeout the tests serve with.
const HEADER_TIMEOUT: Duration = Duration::from_secs(1);
/// The longest a test waits for the server to close a connection: well over the timeout.
const CLOSE_BOUND: Duration = Duration::from_secs(6);

async fn serve(dir: &std::path::Path, settings: Settings) -> RunningServer {
    let mut config = ServerConfig::new(loopback(), dir.join("data"));
    config.key_source = MasterKeySource::File(key_file(dir));
    config.settings = settings;
    config.scheduler = false;
    unifield_server::start(config).await.unwrap()
}

fn settings(header_read_timeout: Duration, max_open_connections: usize) -> Settings {
    let mut settings = common::fast_settings();
    settings.header_read_timeout = header_read_timeout;
    settings.max_open_connections = max_open_connections;
    settings
}

/// Reads until the server closes the connection (end of file or a reset), at most
/// [`CLOSE_BOUND`]; what it sent, and how long after `since` it closed. Panics when the
/// connection is still open after the bound.
async fn read_until_closed(stream: &mut TcpStream, since: Instant) -> (String, Duration) {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let read = tokio::time::timeout_at((since + CLOSE_BOUND).into(), stream.read(&mut buffer))
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "the connection is still open {CLOSE_BOUND:?} on; received {:?}",
                    String::from_utf8_lossy(&received)
                )
            });
        match read {
            Ok(0) | Err(_) => break,
            Ok(n) => received.extend_from_slice(&buffer[..n]),
        }
    }
    (
        String::from_utf8_lossy(&received).into_owned(),
        since.elapsed(),
    )
}

#[tokio::test]
async fn a_request_whose_headers_never_end_is_closed_after_the_header_read_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), settings(HEADER_TIMEOUT, 512)).await;

    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let since = Instant::now();
    stream
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        .await
        .unwrap();
    let (received, closed_after) = read_until_closed(&mut stream, since).await;
    assert!(
        received.is_empty() || received.starts_with("HTTP/1.1 408"),
        "{received:?}"
    );
    // Closed by the timeout, not at once for some other reason.
    assert!(closed_after >= HEADER_TIMEOUT / 2, "{closed_after:?}");

    // A connection that sends nothing at all is closed too.
    let mut silent = TcpStream::connect(server.addr).await.unwrap();
    let since = Instant::now();
    let (received, closed_after) = read_until_closed(&mut silent, since).await;
    assert!(received.is_empty(), "{received:?}");
    assert!(closed_after >= HEADER_TIMEOUT / 2, "{closed_after:?}");

    // Whole requests are still answered.
    let answer = reqwest::get(format!("{}/api/health", server.url))
        .await
        .unwrap();
    assert_eq!(answer.status(), reqwest::StatusCode::OK);
    server.stop().await;
}

#[tokio::test]
async fn an_idle_keep_alive_is_closed_after_the_header_read_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), settings(HEADER_TIMEOUT, 512)).await;

    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let since = Instant::now();
    // The answer arrives and the connection stays open for a next request (keep-alive),
    // until the timeout closes it.
    let (received, closed_after) = read_until_closed(&mut stream, since).await;
    assert!(received.starts_with("HTTP/1.1 200"), "{received:?}");
    assert!(closed_after >= HEADER_TIMEOUT / 2, "{closed_after:?}");
    server.stop().await;
}

#[tokio::test]
async fn no_more_connections_are_served_at_once_than_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    // A long header timeout: the held connections stay open for the whole test.
    let server = serve(dir.path(), settings(Duration::from_secs(60), 2)).await;
    let health = format!("{}/api/health", server.url);
    let fresh_client = || {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap()
    };

    let first = TcpStream::connect(server.addr).await.unwrap();
    let mut second = TcpStream::connect(server.addr).await.unwrap();
    second.write_all(b"GET /api/he").await.unwrap();
    // Two connections hold both places: a third waits in the backlog, unanswered.
    let refused = fresh_client().get(&health).send().await;
    assert!(
        refused.as_ref().is_err_and(|e| e.is_timeout()),
        "{refused:?}"
    );

    // One closes; its place is taken again by the next connection.
    drop(first);
    let answer = fresh_client().get(&health).send().await.unwrap();
    assert_eq!(answer.status(), reqwest::StatusCode::OK);
    drop(second);
    server.stop().await;
}
