//! Accepting and serving HTTP/1 connections. `axum::serve` sets no timer on hyper, so
//! hyper's header read timeout never applied: a client that sent part of a request line or
//! headers (or kept an idle keep-alive open) held its connection, and a file descriptor,
//! forever, before any authentication or body deadline could start. Here every connection
//! gets tokio's timer and [`Settings::header_read_timeout`](crate::service::Settings),
//! which also bounds an idle keep-alive's wait for its next request, and the connections
//! open at once are capped ([`Settings::max_open_connections`](crate::service::Settings)).

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// How connections are served.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnectionLimits {
    /// A request's line and headers must arrive within this after the connection is
    /// ready to read one (at its opening, or after the previous answer on a keep-alive);
    /// else the connection is closed.
    pub header_read_timeout: Duration,
    /// Connections open at once; beyond it the server accepts no more until one closes
    /// (new clients wait in the listen backlog).
    pub max_open_connections: usize,
}

/// Serves `app` on `listener` until `shutdown` ends; then accepts nothing more, lets
/// requests in flight end (idle connections close at once) and returns when every
/// connection is closed.
pub(crate) async fn serve(
    listener: TcpListener,
    app: axum::Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(limits.max_open_connections.max(1)));
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) if is_connection_error(&error) => continue,
                Err(error) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    eprintln!("unifield-server: accept: {error}");
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                        () = &mut shutdown => break,
                    }
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let connection =
            builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A client that times out or goes away is no error of the server's.
            let _ = connection.await;
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Errors of one connection, not of the listener (as axum::serve tells them apart).
fn is_connection_error(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}
