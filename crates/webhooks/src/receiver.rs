//! A local receiver on 127.0.0.1 that verifies every delivery: the workbench behind
//! `unifield webhook listen`, and the receivers the delivery tests run against.
//!
//! It answers 200 to a verified delivery, 401 to one that does not verify, and, to rehearse
//! a flaky receiver, 500 to a share of them (`fail_ratio`) and/or a late answer
//! (`delay`, or `slow_delay` for a share `slow_ratio`). Bodies, delays and the kept log are
//! bounded.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use rand::Rng;
use tokio::sync::{mpsc, oneshot};

use crate::signature::{ReceivedHeaders, Verifier};

/// Largest body accepted.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Longest delay a receiver may be asked for.
pub const MAX_DELAY: Duration = Duration::from_secs(60);
/// Deliveries kept in the receiver's log (older ones are dropped from it).
pub const MAX_LOGGED: usize = 200_000;

#[derive(Debug, Clone)]
pub struct ReceiverConfig {
    pub verifier: Verifier,
    /// Share of deliveries answered 500 (0 to 1).
    pub fail_ratio: f64,
    /// Added to every answer.
    pub delay: Duration,
    /// Share of deliveries answered only after `slow_delay`.
    pub slow_ratio: f64,
    pub slow_delay: Duration,
}

impl ReceiverConfig {
    pub fn new(verifier: Verifier) -> Self {
        ReceiverConfig {
            verifier,
            fail_ratio: 0.0,
            delay: Duration::ZERO,
            slow_ratio: 0.0,
            slow_delay: Duration::ZERO,
        }
    }
}

/// One request as the receiver saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedDelivery {
    pub id: Option<String>,
    pub body: Vec<u8>,
    /// `Ok` when the signature verified, else the verification error's code.
    pub verified: Result<(), &'static str>,
    pub verify_message: Option<String>,
    /// The status the receiver answered.
    pub answered: u16,
    /// When the request arrived (before any rehearsed delay).
    pub arrived_at: std::time::Instant,
}

impl ReceivedDelivery {
    /// The event's `type`, when the body is a JSON object that has one.
    pub fn event_type(&self) -> Option<String> {
        let value: serde_json::Value = serde_json::from_slice(&self.body).ok()?;
        value.get("type")?.as_str().map(str::to_owned)
    }
}

#[derive(Clone)]
struct Shared {
    config: Arc<ReceiverConfig>,
    log: Arc<Mutex<Vec<ReceivedDelivery>>>,
    sink: Option<mpsc::Sender<ReceivedDelivery>>,
}

/// A running receiver; dropping it (or [`Receiver::stop`]) stops it.
pub struct Receiver {
    address: SocketAddr,
    log: Arc<Mutex<Vec<ReceivedDelivery>>>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReceiverError {
    #[error("cannot listen on {address}: {reason}")]
    Bind { address: SocketAddr, reason: String },
    #[error("{0}")]
    Config(String),
}

impl ReceiverError {
    pub fn code(&self) -> &'static str {
        match self {
            ReceiverError::Bind { .. } => "bind",
            ReceiverError::Config(_) => "receiver_config",
        }
    }
}

impl Receiver {
    /// Listens on `address` (use port 0 for any free port). Each delivery is also sent to
    /// `sink` when given; the receiver waits for room in it, so a slow printer slows the
    /// answers down rather than losing lines.
    pub async fn start(
        address: SocketAddr,
        config: ReceiverConfig,
        sink: Option<mpsc::Sender<ReceivedDelivery>>,
    ) -> Result<Receiver, ReceiverError> {
        for (name, ratio) in [
            ("fail ratio", config.fail_ratio),
            ("slow ratio", config.slow_ratio),
        ] {
            if !(0.0..=1.0).contains(&ratio) {
                return Err(ReceiverError::Config(format!(
                    "the {name} is {ratio}; it must be between 0 and 1"
                )));
            }
        }
        for (name, delay) in [("delay", config.delay), ("slow delay", config.slow_delay)] {
            if delay > MAX_DELAY {
                return Err(ReceiverError::Config(format!(
                    "the {name} is {} ms; at most {} s",
                    delay.as_millis(),
                    MAX_DELAY.as_secs()
                )));
            }
        }
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|error| ReceiverError::Bind {
                address,
                reason: error.to_string(),
            })?;
        let address = listener.local_addr().map_err(|error| ReceiverError::Bind {
            address,
            reason: error.to_string(),
        })?;
        let log = Arc::new(Mutex::new(Vec::new()));
        let shared = Shared {
            config: Arc::new(config),
            log: Arc::clone(&log),
            sink,
        };
        let app = Router::new()
            .fallback(post(receive))
            .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
            .with_state(shared);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(Receiver {
            address,
            log,
            stop: Some(stop),
            task: Some(task),
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// `http://127.0.0.1:PORT/webhooks`.
    pub fn url(&self) -> String {
        format!("http://{}/webhooks", self.address)
    }

    /// Everything received so far, in arrival order.
    pub fn received(&self) -> Vec<ReceivedDelivery> {
        self.log
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Stops accepting and waits (bounded) for the server task to end.
    pub async fn stop(mut self) {
        self.shutdown().await;
    }

    async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            // A client holding a kept-alive connection would hold graceful shutdown open.
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(2), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

async fn receive(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let arrived_at = std::time::Instant::now();
    let config = &shared.config;
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
        .collect();
    let now = chrono::Utc::now().timestamp();
    let checked = ReceivedHeaders::from_pairs(pairs.iter().copied()).and_then(|received| {
        config
            .verifier
            .verify(&received, &body, now)
            .map(|()| received)
    });
    let id = ReceivedHeaders::from_pairs(pairs.iter().copied())
        .ok()
        .map(|received| received.id.to_owned())
        .or_else(|| {
            headers
                .get("webhook-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        });

    let (fail, slow) = {
        let mut rng = rand::thread_rng();
        (
            rng.gen_bool(config.fail_ratio),
            rng.gen_bool(config.slow_ratio),
        )
    };
    let mut delay = config.delay;
    if slow {
        delay += config.slow_delay;
    }
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let (status, text) = match (&checked, fail) {
        (Err(_), _) => (StatusCode::UNAUTHORIZED, "signature not verified\n"),
        (Ok(_), true) => (StatusCode::INTERNAL_SERVER_ERROR, "rehearsed failure\n"),
        (Ok(_), false) => (StatusCode::OK, "ok\n"),
    };
    let delivery = ReceivedDelivery {
        id,
        body: body.to_vec(),
        verified: checked.as_ref().map(|_| ()).map_err(|error| error.code()),
        verify_message: checked.as_ref().err().map(|error| error.to_string()),
        answered: status.as_u16(),
        arrived_at,
    };
    {
        let mut log = shared
            .log
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if log.len() >= MAX_LOGGED {
            log.remove(0);
        }
        log.push(delivery.clone());
    }
    if let Some(sink) = &shared.sink {
        let _ = sink.send(delivery).await;
    }
    (status, text)
}
