//! `unifield webhook listen|verify`: the webhook workbench. Thin: the receiver and the
//! verifier live in unifield-webhooks.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Subcommand;
use unifield_webhooks::receiver::{Receiver, ReceiverConfig};
use unifield_webhooks::schedule::{parse_duration, ScheduleError};
use unifield_webhooks::signature::parse_headers_text;
use unifield_webhooks::{ReceivedHeaders, SigningSecret, Verifier};

use crate::{Failure, Outcome};

/// Where `--secret` is read from when it is not given (keeps it out of shell history).
const SECRET_ENV: &str = "UNIFIELD_WEBHOOK_SECRET";
/// Bounds on `unifield serve --webhook-timeout`.
const MIN_TIMEOUT: Duration = Duration::from_millis(100);
const MAX_TIMEOUT: Duration = Duration::from_secs(60);
/// Largest headers or body file `verify` reads.
const MAX_FILE_BYTES: u64 = 1024 * 1024;

#[derive(Subcommand)]
pub(crate) enum WebhookCommand {
    /// Receive deliveries on 127.0.0.1: verify each, print it, answer 200 (or rehearse
    /// failures). The first line printed is the URL to subscribe.
    Listen {
        /// Port on 127.0.0.1 (0 picks a free one)
        #[arg(long, default_value_t = 8788)]
        port: u16,
        /// The endpoint's signing secret, whsec_… (default: $UNIFIELD_WEBHOOK_SECRET);
        /// give it twice to accept a rotated-out secret too
        #[arg(long)]
        secret: Vec<String>,
        /// Answer this share of deliveries with 500 (0 to 1), to rehearse a flaky receiver
        #[arg(long, default_value_t = 0.0)]
        fail: f64,
        /// Wait this long before every answer (at most 60000)
        #[arg(long, default_value_t = 0)]
        delay_ms: u64,
        /// Stop after this many deliveries
        #[arg(long)]
        max_deliveries: Option<usize>,
    },
    /// Verify one captured delivery: exit 0 when it verifies, 1 when it does not
    Verify {
        /// The signing secret, whsec_… (default: $UNIFIELD_WEBHOOK_SECRET)
        #[arg(long)]
        secret: Option<String>,
        /// The request's headers: `Name: value` lines (curl -v style) or a JSON object
        #[arg(long)]
        headers: PathBuf,
        /// The request's body, byte for byte
        #[arg(long)]
        body: PathBuf,
        /// Check the timestamp against this Unix time instead of now (for old captures)
        #[arg(long, value_name = "UNIX_SECONDS")]
        at: Option<i64>,
    },
}

pub(crate) fn run(command: WebhookCommand) -> Outcome {
    match command {
        WebhookCommand::Listen {
            port,
            secret,
            fail,
            delay_ms,
            max_deliveries,
        } => listen(port, secret, fail, delay_ms, max_deliveries),
        WebhookCommand::Verify {
            secret,
            headers,
            body,
            at,
        } => verify(secret, &headers, &body, at),
    }
}

fn secrets(given: Vec<String>) -> Result<Vec<SigningSecret>, Failure> {
    let texts = if given.is_empty() {
        match std::env::var(SECRET_ENV) {
            Ok(text) => vec![text],
            Err(_) => {
                return Err(Failure::usage(format!(
                    "give the endpoint's signing secret with --secret or {SECRET_ENV}"
                )))
            }
        }
    } else {
        given
    };
    texts
        .iter()
        .map(|text| {
            SigningSecret::parse(text)
                .map_err(|error| Failure::usage(format!("--secret ({}): {error}", error.code())))
        })
        .collect()
}

fn listen(
    port: u16,
    secret: Vec<String>,
    fail: f64,
    delay_ms: u64,
    max_deliveries: Option<usize>,
) -> Outcome {
    let mut config = ReceiverConfig::new(Verifier::new(secrets(secret)?));
    config.fail_ratio = fail;
    config.delay = Duration::from_millis(delay_ms);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::usage(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let (sink, mut deliveries) = tokio::sync::mpsc::channel(64);
        let receiver = Receiver::start(SocketAddr::from(([127, 0, 0, 1], port)), config, Some(sink))
            .await
            .map_err(|error| Failure::usage(format!("{} ({})", error, error.code())))?;
        // Write errors are ignored: a reader that went away must not stop the receiver.
        let mut out = std::io::stdout();
        let _ = writeln!(out, "{}", receiver.url());
        let _ = writeln!(
            out,
            "verifying Standard Webhooks deliveries (fail {fail}, delay {delay_ms} ms); Ctrl-C stops"
        );
        let _ = out.flush();
        let mut count = 0usize;
        while let Some(delivery) = deliveries.recv().await {
            count += 1;
            let verdict = match delivery.verified {
                Ok(()) => "verified".to_owned(),
                Err(code) => format!(
                    "NOT VERIFIED ({code}: {})",
                    delivery.verify_message.as_deref().unwrap_or("")
                ),
            };
            let _ = writeln!(
                out,
                "{} {} {} → {}",
                delivery.id.as_deref().unwrap_or("(no webhook-id)"),
                delivery.event_type().as_deref().unwrap_or("(no type)"),
                verdict,
                delivery.answered
            );
            let _ = writeln!(out, "  {}", String::from_utf8_lossy(&delivery.body));
            let _ = out.flush();
            if max_deliveries.is_some_and(|max| count >= max) {
                break;
            }
        }
        receiver.stop().await;
        Ok(ExitCode::SUCCESS)
    })
}

fn read_bounded(path: &Path, what: &str) -> Result<Vec<u8>, Failure> {
    let metadata = std::fs::metadata(path)
        .map_err(|e| Failure::usage(format!("{what} {}: {e}", path.display())))?;
    if metadata.len() > MAX_FILE_BYTES {
        return Err(Failure::usage(format!(
            "{what} {} is larger than {MAX_FILE_BYTES} bytes",
            path.display()
        )));
    }
    std::fs::read(path).map_err(|e| Failure::usage(format!("{what} {}: {e}", path.display())))
}

fn verify(secret: Option<String>, headers: &Path, body: &Path, at: Option<i64>) -> Outcome {
    let verifier = Verifier::new(secrets(secret.into_iter().collect())?);
    let header_text = String::from_utf8(read_bounded(headers, "--headers")?)
        .map_err(|_| Failure::usage(format!("--headers {} is not UTF-8", headers.display())))?;
    let body = read_bounded(body, "--body")?;
    let pairs = parse_headers_text(&header_text)
        .map_err(|error| Failure::usage(format!("--headers {}: {error}", headers.display())))?;
    let now = at.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs() as i64)
    });
    let checked = ReceivedHeaders::from_pairs(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())))
        .and_then(|received| verifier.verify(&received, &body, now).map(|()| received));
    match checked {
        Ok(received) => {
            println!("verified: webhook-id {}", received.id);
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            println!("not verified ({}): {error}", error.code());
            Ok(ExitCode::from(1))
        }
    }
}

/// `unifield serve`'s webhook flags as the server's settings.
pub(crate) fn settings(
    allow_insecure: bool,
    retry: Option<&str>,
    timeout: &str,
) -> Result<unifield_server::webhooks::WebhookSettings, Failure> {
    let mut settings = unifield_server::webhooks::WebhookSettings {
        allow_insecure,
        ..Default::default()
    };
    if let Some(retry) = retry {
        settings.schedule = retry.parse().map_err(|error: ScheduleError| {
            Failure::usage(format!("--webhook-retry ({}): {error}", error.code()))
        })?;
    }
    settings.timeout = parse_duration(timeout)
        .ok()
        .filter(|t| (MIN_TIMEOUT..=MAX_TIMEOUT).contains(t))
        .ok_or_else(|| {
            Failure::usage(format!(
                "--webhook-timeout {timeout:?}: a duration from {} ms to {} s, such as 10s",
                MIN_TIMEOUT.as_millis(),
                MAX_TIMEOUT.as_secs()
            ))
        })?;
    Ok(settings)
}
