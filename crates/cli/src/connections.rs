//! Workspace commands: connections (secrets to the keyring only) and cached records.

use crate::{Failure, Outcome};
use clap::Subcommand;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use unifield_workspace::{ConnectionSettings, Endpoint, Keyring, Region, Store, Workspace};

/// The environment variable `connection add` and `connection set-secret` read the client
/// secret from.
const SECRET_VARIABLE: &str = "UNIFIELD_CLIENT_SECRET";

#[derive(Subcommand)]
pub(crate) enum ConnectionCommand {
    /// Add a Corrigo connection; the client secret goes to the system keyring
    Add {
        name: String,
        /// The Corrigo company name (sent as the CompanyName header)
        #[arg(long)]
        company: String,
        /// Corrigo's regional cluster; the API host is discovered from it
        #[arg(long, value_parser = ["am", "emea", "apac"], required_unless_present = "base_url", conflicts_with = "base_url")]
        region: Option<String>,
        /// A fixed API base URL instead of a region (the local sandbox, a proxy)
        #[arg(long)]
        base_url: Option<String>,
        #[arg(long)]
        client_id: String,
        /// Read the client secret from the first line of standard input
        /// (otherwise from the UNIFIELD_CLIENT_SECRET variable; never an argument)
        #[arg(long)]
        client_secret_stdin: bool,
    },
    /// Set or replace the client secret of an existing connection (a secret rotated in
    /// Corrigo, or one the keyring lost); the connection's settings and cached records stay
    SetSecret {
        name: String,
        /// Read the client secret from the first line of standard input
        /// (otherwise from the UNIFIELD_CLIENT_SECRET variable; never an argument)
        #[arg(long)]
        client_secret_stdin: bool,
    },
    /// List the workspace's connections
    List,
    /// Sign in, find the API host and run a one-record query
    Test { name: String },
    /// Remove a connection, its cached records and its secret
    Remove { name: String },
}

#[derive(Subcommand)]
pub(crate) enum RecordsCommand {
    /// Print cached records as JSON Lines, in source-id order
    List {
        connection: String,
        #[arg(long)]
        entity: String,
        /// At most this many
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Print one cached record
    Show {
        connection: String,
        #[arg(long)]
        entity: String,
        /// The record's id in the source
        #[arg(long)]
        id: String,
    },
    /// Print how many records are cached (the number is the last line)
    Count {
        connection: String,
        #[arg(long)]
        entity: String,
    },
}

fn directory(workspace: Option<&Path>) -> Result<PathBuf, Failure> {
    match workspace {
        Some(dir) => Ok(dir.to_path_buf()),
        None => unifield_workspace::default_directory().map_err(|e| Failure::usage(e.to_string())),
    }
}

/// The workspace's store alone, for commands that need no secrets.
pub(crate) fn open_store(workspace: Option<&Path>) -> Result<Store, Failure> {
    Store::open(&directory(workspace)?).map_err(|e| Failure::usage(e.to_string()))
}

fn open_workspace(workspace: Option<&Path>) -> Result<Workspace, Failure> {
    Workspace::open(&directory(workspace)?, std::sync::Arc::new(Keyring))
        .map_err(|e| Failure::usage(e.to_string()))
}

fn read_secret(from_stdin: bool) -> Result<String, Failure> {
    let secret = if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| Failure::usage(format!("cannot read the secret: {e}")))?;
        line.trim_end_matches(['\r', '\n']).to_string()
    } else {
        std::env::var(SECRET_VARIABLE).map_err(|_| {
            Failure::usage(format!("give the client secret on standard input with --client-secret-stdin, or in {SECRET_VARIABLE}"))
        })?
    };
    Ok(secret)
}

pub(crate) fn connection(command: ConnectionCommand, workspace: Option<&Path>) -> Outcome {
    match command {
        ConnectionCommand::Add {
            name,
            company,
            region,
            base_url,
            client_id,
            client_secret_stdin,
        } => {
            let endpoint = match (region.as_deref().and_then(Region::parse), base_url) {
                (Some(region), _) => Endpoint::Region(region),
                (None, Some(url)) => Endpoint::BaseUrl(url),
                (None, None) => return Err(Failure::usage("give --region or --base-url")),
            };
            let secret = read_secret(client_secret_stdin)?;
            let settings = ConnectionSettings {
                name,
                company,
                endpoint,
                client_id,
            };
            open_workspace(workspace)?
                .add_connection(&settings, &secret)
                .map_err(|e| Failure::usage(e.to_string()))?;
            println!(
                "added connection `{}`; its secret is in the system keyring",
                settings.name
            );
        }
        ConnectionCommand::SetSecret {
            name,
            client_secret_stdin,
        } => {
            let secret = read_secret(client_secret_stdin)?;
            // The workspace's errors (unknown_connection, empty_secret, the keyring's own)
            // name the connection but never the secret; the code lets scripts tell them apart.
            open_workspace(workspace)?
                .set_secret(&name, &secret)
                .map_err(|e| Failure::usage(format!("{e} [{}]", e.code())))?;
            println!("set the secret of connection `{name}`; it is in the system keyring");
        }
        ConnectionCommand::List => {
            let mut out = std::io::stdout().lock();
            for info in open_workspace(workspace)?
                .connections()
                .map_err(|e| Failure::usage(e.to_string()))?
            {
                let settings = &info.connection.settings;
                let endpoint = match &settings.endpoint {
                    Endpoint::Region(region) => format!("region {}", region.as_str()),
                    Endpoint::BaseUrl(url) => url.clone(),
                };
                let secret = if info.has_secret {
                    "secret in keyring"
                } else {
                    "NO SECRET: set it with `unifield connection set-secret`"
                };
                let _ = writeln!(
                    out,
                    "{}\t{}\t{endpoint}\tclient {}\t{secret}",
                    settings.name, settings.company, settings.client_id
                );
            }
        }
        ConnectionCommand::Test { name } => {
            let workspace = open_workspace(workspace)?;
            // A missing secret is the usual cause here: its code says so to scripts.
            let client = workspace
                .client(&name)
                .map_err(|e| Failure::usage(format!("{e} [{}]", e.code())))?;
            let started = std::time::Instant::now();
            let checked = runtime()?.block_on(Workspace::check(&client));
            match checked {
                Ok(host) => println!(
                    "ok: `{name}` signed in; API host {host}; answered in {} ms",
                    started.elapsed().as_millis()
                ),
                Err(error) => {
                    return Err(Failure {
                        message: format!("`{name}`: {error} [{}]", error.code()),
                        code: 1,
                    })
                }
            }
        }
        ConnectionCommand::Remove { name } => {
            open_workspace(workspace)?
                .remove_connection(&name)
                .map_err(|e| Failure::usage(e.to_string()))?;
            println!("removed connection `{name}`, its cached records and its secret");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn records(command: RecordsCommand, workspace: Option<&Path>) -> Outcome {
    let store = open_store(workspace)?;
    let fail = |e: unifield_workspace::StoreError| Failure::usage(e.to_string());
    match command {
        RecordsCommand::List {
            connection,
            entity,
            limit,
        } => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let mut shown = 0;
            store
                .for_each_record(&connection, &entity, |record| {
                    if shown == limit {
                        return false;
                    }
                    shown += 1;
                    let _ = writeln!(out, "{}", record.value);
                    true
                })
                .map_err(fail)?;
        }
        RecordsCommand::Show {
            connection,
            entity,
            id,
        } => {
            let record = store
                .record(&connection, &entity, &id)
                .map_err(fail)?
                .ok_or_else(|| Failure {
                    message: format!("no cached {entity} with id {id} for `{connection}`"),
                    code: 1,
                })?;
            println!(
                "{}",
                serde_json::to_string_pretty(&record.value).expect("JSON values serialize")
            );
        }
        RecordsCommand::Count { connection, entity } => {
            println!(
                "{}",
                store.record_count(&connection, &entity).map_err(fail)?
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::usage(format!("cannot start the async runtime: {e}")))
}

pub(crate) fn pull(
    connection: &str,
    entities: &[String],
    options: &unifield_workspace::PullOptions,
    workspace: Option<&Path>,
) -> Outcome {
    use std::io::IsTerminal;
    let mut workspace = open_workspace(workspace)?;
    let entities: Vec<String> = if entities.is_empty() {
        unifield_bundle::source_entities()
    } else {
        entities.to_vec()
    };
    let runtime = runtime()?;
    let show_bar = std::io::stderr().is_terminal();
    for entity in &entities {
        let started = std::time::Instant::now();
        let bar = if show_bar {
            indicatif::ProgressBar::new_spinner()
        } else {
            indicatif::ProgressBar::hidden()
        };
        bar.set_message(format!("{entity}: starting"));
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        let result =
            runtime.block_on(
                workspace.pull(connection, entity, options, |pages, records| {
                    bar.set_message(format!("{entity}: {records} records in {pages} pages"));
                    true
                }),
            );
        bar.finish_and_clear();
        match result {
            Ok(summary) => println!(
                "pulled {} {entity} records in {} pages ({} new, {} changed, {} unchanged) in {:.1} s; run {} {}{}",
                summary.records,
                summary.pages,
                summary.outcome.inserted,
                summary.outcome.updated,
                summary.outcome.unchanged,
                started.elapsed().as_secs_f64(),
                summary.run_id,
                summary.status.as_str(),
                if summary.resumed { " (resumed)" } else { "" }
            ),
            Err(error) => {
                let cached = workspace.store.record_count(connection, entity).unwrap_or(0);
                return Err(Failure {
                    message: format!("pulling {entity} from `{connection}` failed: {error} [{}]; {cached} {entity} records are cached", error.code()),
                    code: 1,
                });
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
