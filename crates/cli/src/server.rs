//! `unifield serve`, `unifield server org|key` and `unifield push`: thin wrappers over
//! unifield-server (serve, administration) and its HTTP API (push).

use crate::{Failure, Outcome};
use clap::Subcommand;
use serde_json::Value;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// The environment variable `push` reads the API key from (never an argument).
pub(crate) const API_KEY_ENV: &str = "UNIFIELD_API_KEY";
/// The keyring entry `push` falls back to.
const API_KEY_ENTRY: &str = "unifield-server-api-key";

#[derive(Subcommand)]
pub(crate) enum ServerCommand {
    /// Organizations
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// API keys of an organization (a new key is printed once; the server keeps a hash)
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
}

#[derive(Subcommand)]
pub(crate) enum OrgCommand {
    Add { name: String },
    List,
}

#[derive(Subcommand)]
pub(crate) enum KeyCommand {
    Create {
        #[arg(long)]
        org: String,
        /// A label for the key (shown in lists and in mapping history)
        #[arg(long, default_value = "api key")]
        name: String,
    },
    List {
        #[arg(long)]
        org: String,
    },
    /// Revoke a key by id; it stops working on the next request
    Revoke {
        #[arg(long)]
        org: String,
        id: String,
    },
}

fn data_dir(data: Option<&Path>) -> Result<PathBuf, Failure> {
    match data {
        Some(dir) => Ok(dir.to_path_buf()),
        None => unifield_server::default_data_dir()
            .ok_or_else(|| Failure::usage("no data directory on this system: pass --data DIR")),
    }
}

fn server_failure(error: unifield_server::Error) -> Failure {
    Failure {
        message: format!("{error} [{}]", error.code()),
        code: 1,
    }
}

/// The longest interval a flag takes: a year (a larger number of hours would overflow
/// seconds, and timestamps long before that).
const LONGEST_INTERVAL_SECONDS: u64 = 366 * 24 * 3600;

/// `15m`, `30s`, `2h` or a number of seconds, from 1s to 366 days.
pub(crate) fn parse_interval(text: &str) -> Result<Duration, String> {
    let (number, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => text.split_at(at),
        None => (text, "s"),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not an interval such as 15m, 30s or 1h"))?;
    let seconds = match unit {
        "s" => Some(n),
        "m" => n.checked_mul(60),
        "h" => n.checked_mul(3600),
        _ => return Err(format!("`{text}`: the unit must be s, m or h")),
    };
    let seconds = seconds
        .filter(|s| *s <= LONGEST_INTERVAL_SECONDS)
        .ok_or_else(|| format!("`{text}`: an interval can be at most 366 days (8784h)"))?;
    if seconds == 0 {
        return Err("an interval must be at least 1s".into());
    }
    Ok(Duration::from_secs(seconds))
}

/// `--body-read-timeout` and `--header-read-timeout`: an interval from 1s to 60s (the
/// request timeout; a body or headers allowed longer could hold a slot or a connection for
/// the whole request).
pub(crate) fn parse_read_timeout(text: &str) -> Result<Duration, String> {
    let timeout = parse_interval(text)?;
    if timeout > Duration::from_secs(60) {
        return Err(format!("`{text}`: from 1s to 60s"));
    }
    Ok(timeout)
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::usage(format!("cannot start the async runtime: {e}")))
}

/// `serve`'s limits and where connections may send requests.
pub(crate) struct ServeLimits {
    pub allow_loopback_connections: bool,
    pub max_concurrent_requests: usize,
    pub max_concurrent_requests_per_org: Option<usize>,
    pub server_timing_load: bool,
    pub body_read_timeout: Duration,
    pub header_read_timeout: Duration,
    pub max_open_connections: usize,
    pub max_concurrent_syncs_per_org: usize,
    pub max_connections_per_org: usize,
    pub max_tokens_per_org: usize,
    /// How long work in flight gets to end after SIGTERM or SIGINT.
    pub shutdown_grace: Duration,
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn serve(
    listen: SocketAddr,
    data: Option<&Path>,
    database: Option<&str>,
    database_pool_size: Option<usize>,
    // --allow-plaintext-database; UNIFIELD_DATABASE_ALLOW_PLAINTEXT is read besides.
    allow_plaintext_database: bool,
    sync_interval: Duration,
    sync_lease: Duration,
    // Some(work orders) with --demo.
    demo: Option<usize>,
    webhooks: unifield_server::webhooks::WebhookSettings,
    limits: ServeLimits,
) -> Outcome {
    let database_pool_size = match database_pool_size {
        Some(n) => Some(n),
        None => unifield_server::database_pool_size_from_env().map_err(Failure::usage)?,
    };
    if demo.is_some() {
        // Before anything is made: the demo is for this machine only.
        unifield_server::demo::check_listen(listen)
            .map_err(|error| Failure::usage(format!("{error} [{}]", error.code())))?;
    }
    unifield_server::demo::check_development_flags(
        listen,
        limits.allow_loopback_connections,
        webhooks.allow_insecure,
    )
    .map_err(|error| Failure::usage(format!("{error} [{}]", error.code())))?;
    if let Some(url) = database {
        unifield_server::check_database_argument(url).map_err(Failure::usage)?;
        if demo.is_some() {
            return Err(Failure::usage(
                "--demo keeps its data in SQLite; leave --database out",
            ));
        }
    }
    let settings = unifield_server::Settings {
        sync_interval,
        sync_lease,
        webhooks,
        allow_loopback_connections: limits.allow_loopback_connections,
        max_concurrent_requests: limits.max_concurrent_requests.max(1),
        max_concurrent_requests_per_org: limits.max_concurrent_requests_per_org,
        server_timing_load: limits.server_timing_load,
        body_read_timeout: limits.body_read_timeout,
        header_read_timeout: limits.header_read_timeout,
        max_open_connections: limits.max_open_connections,
        max_concurrent_syncs_per_org: limits.max_concurrent_syncs_per_org,
        max_connections_per_org: limits.max_connections_per_org,
        max_tokens_per_org: limits.max_tokens_per_org,
        ..Default::default()
    };
    let grace = limits.shutdown_grace;
    let runtime = runtime()?;
    let served = runtime.block_on(async {
        // Listened for before the server starts, so an early signal is not lost.
        let signals = unifield_server::TerminationSignals::install()
            .map_err(|e| Failure::usage(format!("cannot listen for SIGTERM/SIGINT: {e}")))?;
        let mut out = std::io::stdout().lock();
        if let Some(work_orders) = demo {
            let demo = unifield_server::demo::start_demo_with(listen, data.map(Path::to_path_buf), settings, work_orders)
                .await
                .map_err(server_failure)?;
            let url = &demo.server.url;
            let _ = writeln!(out, "{url}");
            let _ = writeln!(out, "Unifield server (demo): an in-process Corrigo sandbox at {}, organization `{}`,", demo.sandbox.base_url, unifield_server::demo::ORG);
            let _ = writeln!(out, "one connection ({}) synced: {} records.", demo.connection_id, demo.synced_records);
            let _ = writeln!(out, "  data:       {}", demo.data_dir.display());
            let _ = writeln!(out, "  master key: {} (a demo key file, 0600: no keyring is used)", demo.key_file.display());
            let _ = writeln!(out, "  API key:    {} (shown once)", demo.api_key);
            let _ = writeln!(out, "Try:");
            let _ = writeln!(
                out,
                "  curl -s -H 'Authorization: Bearer {}' '{url}/api/connections/{}/eam/work-orders?per_page=2'",
                demo.api_key, demo.connection_id
            );
            let _ = writeln!(out, "  {url}/api/openapi.json describes the whole API. Ctrl-C stops it.");
            let _ = out.flush();
            drop(out);
            let sandbox = demo.sandbox;
            let code = stop_on_signal(signals, demo.server, grace).await;
            sandbox.stop().await;
            return Ok(code);
        }
        let mut config = unifield_server::ServerConfig::new(listen, data_dir(data)?);
        config.settings = settings;
        if let Some(url) = database {
            config.database = Some(url.to_string());
        }
        config.database_pool_size = database_pool_size;
        config.allow_plaintext_database |= allow_plaintext_database;
        let server = unifield_server::start(config.clone()).await.map_err(server_failure)?;
        let _ = writeln!(out, "{}", server.url);
        let place = if config.database.is_some() {
            "data in PostgreSQL".to_string()
        } else {
            format!("data in {}", config.data_dir.display())
        };
        let _ = writeln!(out, "Unifield server: {place}; OpenAPI at {}/api/openapi.json; Ctrl-C stops it", server.url);
        let _ = out.flush();
        drop(out);
        Ok(stop_on_signal(signals, server, grace).await)
    });
    // Blocking work left after the shutdown (a storage call in hand) is not waited for
    // beyond this: the node has released its leases already.
    runtime.shutdown_timeout(Duration::from_secs(2));
    served
}

/// Serves until SIGTERM or SIGINT, then shuts the node down gracefully within `grace` and
/// says on stderr what it did: exit 0. A second signal meanwhile stops it at once (exit 1):
/// what is in flight is dropped and its leases expire on their own.
async fn stop_on_signal(
    mut signals: unifield_server::TerminationSignals,
    server: unifield_server::RunningServer,
    grace: Duration,
) -> ExitCode {
    let signal = signals.wait().await;
    eprintln!(
        "unifield serve: {signal}: no new requests; up to {} s for requests, syncs and webhook attempts in flight (signal again to stop at once)",
        grace.as_secs_f64()
    );
    let report = tokio::select! {
        report = server.shutdown(grace) => report,
        again = signals.wait() => {
            eprintln!(
                "unifield serve: {again} again: stopped at once; what was in flight is dropped, its leases expire on their own"
            );
            return ExitCode::FAILURE;
        }
    };
    eprintln!(
        "unifield serve: stopped: requests in flight {}; {} sync(s) stopped after their page, {} not ended (lease released); {} webhook delivery lease(s) released",
        if report.requests_finished {
            "answered"
        } else {
            "cut off at the grace period"
        },
        report.syncs_stopped,
        report.syncs_abandoned.len(),
        report.deliveries_released
    );
    ExitCode::SUCCESS
}

pub(crate) fn admin(
    command: ServerCommand,
    data: Option<&Path>,
    database: Option<&str>,
    allow_plaintext_database: bool,
) -> Outcome {
    if let Some(url) = database {
        unifield_server::check_database_argument(url).map_err(Failure::usage)?;
    }
    let service = unifield_server::open_admin_with(
        database,
        allow_plaintext_database || unifield_server::allow_plaintext_database_from_env(),
        &data_dir(data)?,
    )
    .map_err(server_failure)?;
    let mut out = std::io::stdout().lock();
    match command {
        ServerCommand::Org {
            command: OrgCommand::Add { name },
        } => {
            let id = service.add_org(&name).map_err(server_failure)?;
            let _ = writeln!(out, "organization `{name}` added ({id})");
        }
        ServerCommand::Org {
            command: OrgCommand::List,
        } => {
            for (id, name) in service
                .storage
                .orgs()
                .map_err(|e| server_failure(e.into()))?
            {
                let _ = writeln!(out, "{id}\t{name}");
            }
        }
        ServerCommand::Key {
            command: KeyCommand::Create { org, name },
        } => {
            let key = service.create_key(&org, &name).map_err(server_failure)?;
            let _ = writeln!(out, "{}", key.secret);
            eprintln!(
                "key {} (`{}`) for `{org}`: shown once, the server keeps only its hash",
                key.id, key.name
            );
        }
        ServerCommand::Key {
            command: KeyCommand::List { org },
        } => {
            for key in service.keys(&org).map_err(server_failure)? {
                let state = key
                    .revoked_at
                    .map_or("live".to_string(), |at| format!("revoked {at}"));
                let _ = writeln!(
                    out,
                    "{}\t{}\t{}…\t{}\t{state}",
                    key.id, key.name, key.prefix, key.created_at
                );
            }
        }
        ServerCommand::Key {
            command: KeyCommand::Revoke { org, id },
        } => {
            service.revoke_key(&org, &id).map_err(server_failure)?;
            let _ = writeln!(out, "key {id} revoked");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn api_key() -> Result<String, Failure> {
    if let Ok(key) = std::env::var(API_KEY_ENV) {
        if !key.trim().is_empty() {
            return Ok(key.trim().to_string());
        }
    }
    use unifield_secrets::SecretStore;
    match unifield_secrets::Keyring.get(API_KEY_ENTRY) {
        Ok(Some(key)) => Ok(key),
        _ => Err(Failure::usage(format!(
            "no API key: set {API_KEY_ENV} (or store one in the keyring as `{API_KEY_ENTRY}`)"
        ))),
    }
}

/// The field-level differences between two mapping files: `+`, `-`, `~` per field.
pub(crate) fn field_diff(old: &Value, new: &Value) -> Vec<String> {
    let mut lines = Vec::new();
    for section in ["fields", "custom"] {
        let empty = serde_json::Map::new();
        let before = old
            .get(section)
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let after = new
            .get(section)
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let label = |name: &str| {
            if section == "custom" {
                format!("custom.{name}")
            } else {
                name.to_string()
            }
        };
        for (name, value) in after {
            match before.get(name) {
                None => lines.push(format!("+ {}", label(name))),
                Some(previous) if previous != value => lines.push(format!("~ {}", label(name))),
                Some(_) => {}
            }
        }
        for name in before.keys().filter(|n| !after.contains_key(*n)) {
            lines.push(format!("- {}", label(name)));
        }
    }
    for top in ["source", "target", "name", "description"] {
        if old.get(top) != new.get(top) {
            lines.push(format!("~ {top}"));
        }
    }
    lines
}

/// The client's error as the CLI says it: problems of a refused mapping one a line.
fn client_failure(error: unifield_server_client::Error) -> Failure {
    let mut message = format!("{error} [{}]", error.code());
    if let unifield_server_client::Error::Invalid { problems, .. } = &error {
        for problem in problems {
            let line = problem
                .line
                .map(|l| format!(" line {l}"))
                .unwrap_or_default();
            let field = problem
                .field
                .as_deref()
                .map(|f| format!(" field `{f}`"))
                .unwrap_or_default();
            let step = problem
                .step
                .map(|s| format!(" step {s}"))
                .unwrap_or_default();
            let code = problem.code.as_deref().unwrap_or("");
            message.push_str(&format!(
                "\n  -{line}{field}{step}: {} [{code}]",
                problem.message
            ));
        }
    }
    Failure { message, code: 1 }
}

pub(crate) fn push(
    server: &str,
    connection: &str,
    mapping: &Path,
    note: Option<&str>,
    if_version: Option<i64>,
) -> Outcome {
    let key = api_key()?;
    let text = std::fs::read_to_string(mapping)
        .map_err(|e| Failure::usage(format!("cannot read {}: {e}", mapping.display())))?;
    let document: Value = serde_json::from_str(&text)
        .map_err(|e| Failure::usage(format!("{} is not JSON: {e}", mapping.display())))?;
    let entity = document
        .pointer("/target/entity")
        .and_then(Value::as_str)
        .ok_or_else(|| Failure::usage(format!("{} has no target.entity", mapping.display())))?
        .to_string();
    let key = unifield_server_client::ApiKey::new(&key).map_err(client_failure)?;
    let client = unifield_server_client::ServerClient::new(server, key)
        .map_err(|e| Failure::usage(format!("--server: {e} [{}]", e.code())))?;
    runtime()?.block_on(async {
        let active = client
            .active_mapping(connection, &entity)
            .await
            .map_err(client_failure)?;
        let expected = if_version.unwrap_or(active.version);
        let outcome = client
            .push(connection, &entity, &text, expected, note)
            .await
            .map_err(client_failure)?;
        let active: Value = serde_json::from_str(&active.text).unwrap_or(Value::Null);
        let mut out = std::io::stdout().lock();
        let diff = field_diff(&active, &document);
        if diff.is_empty() {
            let _ = writeln!(out, "no field changed against version {expected}");
        }
        for line in diff {
            let _ = writeln!(out, "{line}");
        }
        let _ = writeln!(
            out,
            "{entity}: version {} is active (was {expected})",
            outcome.version
        );
        Ok(ExitCode::SUCCESS)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_read_their_unit_and_stay_within_a_year() {
        assert_eq!(parse_interval("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_interval("90"), Ok(Duration::from_secs(90)));
        assert_eq!(
            parse_interval("8784h"),
            Ok(Duration::from_secs(366 * 86_400))
        );
        for too_long in ["8785h", "5124095576030432h", "18446744073709551615m"] {
            let e = parse_interval(too_long).unwrap_err();
            assert!(e.contains("at most 366 days"), "{too_long}: {e}");
        }
        assert!(parse_interval("0s").unwrap_err().contains("at least 1s"));
        assert!(parse_interval("5d")
            .unwrap_err()
            .contains("the unit must be"));
        assert!(parse_interval("99999999999999999999")
            .unwrap_err()
            .contains("is not an interval"));
    }
}
