//! `unifield`: the mapping engine on the command line. Thin: every behaviour is in the
//! library crates; this file parses arguments and prints.
//!
//! Exit codes: 0 success; 1 records or mappings with errors (`--allow-errors` forgives
//! record errors); 2 bad usage or unusable input (an invalid selector, an unreadable or
//! invalid mapping file).

mod connections;
mod files;
mod records;
mod sandbox;
mod server;
mod show;
mod webhook;

use clap::{Parser, Subcommand};

// mimalloc, not glibc's malloc: mapping a record builds and drops dozens of small values,
// and glibc's malloc/free/consolidate took a quarter of `apply` (perf, issue 14); mimalloc
// cuts apply's time by about a fifth on every default mapping, and serve and pull too.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "unifield",
    version,
    about = "Map CMMS records onto the unified maintenance model"
)]
struct Cli {
    /// The workspace directory (default: the user's data directory, ~/.local/share/unifield)
    #[arg(long, global = true, value_name = "DIR")]
    workspace: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

/// Where `apply` and `coverage` read records: a file, or a connection's cache.
#[derive(clap::Args)]
pub(crate) struct RecordsFrom {
    /// JSON array, JSON Lines or a Corrigo response ('-' for standard input)
    #[arg(
        long,
        required_unless_present = "connection",
        conflicts_with = "connection"
    )]
    pub input: Option<PathBuf>,
    /// Read the records cached for this connection instead of a file (with --entity)
    #[arg(long, requires = "entity")]
    pub connection: Option<String>,
    /// The cached entity to read, such as WorkOrder
    #[arg(long, requires = "connection")]
    pub entity: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Print the JSON array of values a JSONPath selects from a document
    Path {
        /// An RFC 9535 JSONPath, such as '$.Entities[*].Data.Number'
        selector: String,
        /// The JSON document ('-' for standard input)
        #[arg(long)]
        input: PathBuf,
    },
    /// Map records; unified records go out as JSON Lines, diagnostics to stderr
    Apply {
        #[arg(long)]
        mapping: PathBuf,
        #[command(flatten)]
        from: RecordsFrom,
        /// Write the records here instead of standard output
        #[arg(long)]
        output: Option<PathBuf>,
        /// Exit 0 even when some records had errors
        #[arg(long)]
        allow_errors: bool,
        /// Records of another entity for `lookup` steps: ENTITY=FILE (keyed by their Id)
        #[arg(long, value_name = "ENTITY=FILE")]
        related: Vec<String>,
    },
    /// Check mapping files: syntax, paths, functions, arguments, types and the model
    Validate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print problems as JSON
        #[arg(long)]
        json: bool,
    },
    /// Per target field: % filled, null and error, top values, and unmapped source values
    Coverage {
        #[arg(long)]
        mapping: PathBuf,
        #[command(flatten)]
        from: RecordsFrom,
        #[arg(long, value_name = "ENTITY=FILE")]
        related: Vec<String>,
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
    },
    /// Show what each path matched and each step did, for one record and one field
    Explain {
        #[arg(long)]
        mapping: PathBuf,
        #[arg(long)]
        input: PathBuf,
        /// 1-based number of the record in the input
        #[arg(long)]
        record: usize,
        /// The target field, such as status or custom.display
        #[arg(long)]
        field: String,
        #[arg(long, value_name = "ENTITY=FILE")]
        related: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// List the unified model's entities, or show one entity's fields
    Model {
        name: Option<String>,
        /// Print the entity's JSON Schema
        #[arg(long)]
        json: bool,
    },
    /// Rewrite mapping files in canonical form (stable order, two-space indent)
    Fmt {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Only check; exit 1 if a file would change
        #[arg(long)]
        check: bool,
    },
    /// Regenerate docs/transforms.md and the JSON Schemas under mappings/
    Docs {
        /// The repository root
        #[arg(long, default_value = ".")]
        root: PathBuf,
        #[arg(long)]
        check: bool,
    },
    /// Regenerate the bundled sample records under mappings/corrigo/samples
    Samples {
        #[arg(long, default_value = ".")]
        root: PathBuf,
        #[arg(long)]
        check: bool,
    },
    /// Print generated Corrigo records of one entity as JSON Lines
    Generate {
        /// WorkOrder, Location, WorkZone, Employee, Customer or Product
        entity: String,
        #[arg(long, default_value_t = 400)]
        count: usize,
        #[arg(long, default_value_t = unifield_bundle::SAMPLE_SEED)]
        seed: u64,
    },
    /// Apply every default mapping to the bundled samples and print coverage
    Demo,
    /// Serve a local Corrigo sandbox: token, locator, base reads and queries over seeded data
    Sandbox {
        /// Port on 127.0.0.1 (0 picks a free one)
        #[arg(long, default_value_t = 8765)]
        port: u16,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        #[arg(long, default_value_t = 1000)]
        work_orders: usize,
        #[arg(long)]
        client_id: Option<String>,
        #[arg(long)]
        client_secret: Option<String>,
        #[arg(long)]
        company: Option<String>,
        /// Faults, such as 429=0.10,500=0.05,truncate=0.01,latency-ms=20,token-ttl-s=30,revoke-after=5000
        #[arg(long, default_value = "")]
        faults: String,
    },
    /// Pull records from a connection into the workspace cache
    Pull {
        connection: String,
        /// Entities to pull (default: every entity the default mappings read)
        #[arg(long = "entity")]
        entities: Vec<String>,
        /// Only records changed at or after this UTC time (LastActionDateUtc)
        #[arg(long)]
        since: Option<String>,
        /// At most this many records per entity
        #[arg(long)]
        limit: Option<usize>,
        /// Finish the entity's interrupted pull from its last committed page
        #[arg(long)]
        resume: bool,
        #[arg(long, default_value_t = 500)]
        page_size: usize,
        /// Pages fetched at once (1 to 32)
        #[arg(long, default_value_t = 4, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=unifield_corrigo_client::MAX_PULL_CONCURRENCY as u64))]
        concurrency: usize,
    },
    /// Corrigo connections of the workspace (secrets go to the system keyring only)
    Connection {
        #[command(subcommand)]
        command: connections::ConnectionCommand,
    },
    /// Records cached in the workspace
    Records {
        #[command(subcommand)]
        command: connections::RecordsCommand,
    },
    /// The webhook workbench: a verifying local receiver, and a verifier for one delivery
    Webhook {
        #[command(subcommand)]
        command: webhook::WebhookCommand,
    },
    /// Run the connection server: Corrigo connections, syncs, versioned mappings, unified API
    Serve {
        #[arg(long, default_value = "127.0.0.1:8787")]
        listen: std::net::SocketAddr,
        /// The server's data directory (default: the user's data directory)
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
        /// Serve from PostgreSQL instead of SQLite: postgres://user@host/db (a password goes
        /// in UNIFIELD_DATABASE_URL, which is read when this is absent). TLS as the URL's
        /// sslmode says: a host on another machine defaults to verify-full (certificate and
        /// host name checked against the system's roots, or the CA file in
        /// sslrootcert=PATH); also verify-ca (with sslrootcert), require, prefer, disable.
        /// Loopback and Unix sockets default to plaintext
        #[arg(long, value_name = "URL")]
        database: Option<String>,
        /// PostgreSQL connections this node may hold at once (default 16;
        /// UNIFIELD_DATABASE_POOL_SIZE is read when this is absent)
        #[arg(long, value_name = "N", value_parser = unifield_server::parse_database_pool_size)]
        database_pool_size: Option<usize>,
        /// Use a --database on another machine without TLS (sslmode=disable, or prefer
        /// falling back): only on a private, trusted network or through a tunnel. Without
        /// it a remote database is reached over verified TLS only
        /// (UNIFIELD_DATABASE_ALLOW_PLAINTEXT=1 is the same)
        #[arg(long)]
        allow_plaintext_database: bool,
        /// Time between a connection's syncs: 15m, 30s, 1h
        #[arg(long, default_value = "15m", value_parser = server::parse_interval)]
        sync_interval: std::time::Duration,
        /// How long a node's claim on a connection's sync lasts without renewal (renewed
        /// after every page): another node takes a dead node's sync over after it
        #[arg(long, default_value = "2m", value_parser = server::parse_interval)]
        sync_lease: std::time::Duration,
        /// On SIGTERM or SIGINT: how long requests, syncs (to the end of their page in
        /// hand) and webhook attempts in flight get to end before the node exits; its sync
        /// and webhook leases are then released so another node takes over at once
        #[arg(long, default_value = "30s", value_name = "DURATION", value_parser = server::parse_interval)]
        shutdown_grace: std::time::Duration,
        /// With an in-process Corrigo sandbox, an organization and a synced connection
        #[arg(long)]
        demo: bool,
        /// Work orders the demo's sandbox holds (1 to 100000; default 1000)
        #[arg(long, value_name = "N", requires = "demo", value_parser = unifield_server::demo::parse_work_orders)]
        demo_work_orders: Option<usize>,
        /// Let webhooks go to http:// loopback receivers (local development only)
        #[arg(long)]
        allow_insecure_webhooks: bool,
        /// Let connections use an http:// base URL on this machine (a local Corrigo
        /// sandbox). Without it a connection's host must be a public https host, checked
        /// when saved and at every request (on with --demo)
        #[arg(long)]
        allow_loopback_connections: bool,
        /// Requests served at once (1 to 100000); more are answered 503 `overloaded` with
        /// Retry-After
        #[arg(long, default_value_t = 256, value_name = "N", value_parser = unifield_server::service::parse_max_concurrent_requests)]
        max_concurrent_requests: usize,
        /// Requests one organization may have in progress at once (1 to 100000; default
        /// half of --max-concurrent-requests); more are answered 429 `too_many_requests`
        /// with Retry-After, so one tenant cannot take every slot
        #[arg(long, value_name = "N", value_parser = unifield_server::service::parse_max_concurrent_requests)]
        max_concurrent_requests_per_org: Option<usize>,
        /// Server-Timing also names `auth`, `db` and `queue`: they show the whole node's
        /// load to any authenticated caller (for diagnosing a node; off by default)
        #[arg(long)]
        server_timing_load: bool,
        /// How long a request body may take to arrive once its caller is authenticated
        /// (1s to 60s); a slower one is answered 408 `body_timeout` and frees its slot
        #[arg(long, default_value = "10s", value_name = "DURATION", value_parser = server::parse_read_timeout)]
        body_read_timeout: std::time::Duration,
        /// How long a request's line and headers may take to arrive, and an idle keep-alive
        /// may wait for its next request (1s to 60s); then the connection is closed
        #[arg(long, default_value = "10s", value_name = "DURATION", value_parser = server::parse_read_timeout)]
        header_read_timeout: std::time::Duration,
        /// HTTP connections open at once (1 to 1000000); more wait in the listen backlog
        /// until one closes, so connections cannot use up the file descriptors
        #[arg(long, default_value_t = 512, value_name = "N", value_parser = unifield_server::service::parse_max_open_connections)]
        max_open_connections: usize,
        /// Syncs of one organization's connections run at once on this node (1 to 8, of
        /// the node's 8); its other due syncs wait, so one tenant cannot take every slot
        #[arg(long, default_value_t = 2, value_name = "N", value_parser = unifield_server::service::parse_max_concurrent_syncs_per_org)]
        max_concurrent_syncs_per_org: usize,
        /// Connections one organization may have (1 to 1000000; 409
        /// `connection_limit_reached` beyond)
        #[arg(long, default_value_t = 100, value_name = "N", value_parser = unifield_server::service::parse_per_org_limit)]
        max_connections_per_org: usize,
        /// Live connection tokens one organization may have (1 to 1000000; 409
        /// `token_limit_reached` beyond)
        #[arg(long, default_value_t = 1000, value_name = "N", value_parser = unifield_server::service::parse_per_org_limit)]
        max_tokens_per_org: usize,
        /// Allow a non-loopback --listen: a TLS-terminating proxy or load balancer is in
        /// front (the server itself speaks plain HTTP)
        #[arg(long)]
        behind_tls_proxy: bool,
        /// Webhook retries: first=30s,max=6h,until=24h[,jitter=0.2] (the default)
        #[arg(long, value_name = "SCHEDULE")]
        webhook_retry: Option<String>,
        /// What a webhook receiver has to answer within
        #[arg(long, default_value = "10s", value_name = "DURATION")]
        webhook_timeout: String,
    },
    /// Administer the connection server's database: organizations and API keys
    Server {
        /// The server's data directory (default: the user's data directory)
        #[arg(long, value_name = "DIR", global = true)]
        data: Option<PathBuf>,
        /// The server's PostgreSQL database instead (see `serve --database`)
        #[arg(long, value_name = "URL", global = true)]
        database: Option<String>,
        /// Use a --database on another machine without TLS (see `serve
        /// --allow-plaintext-database`)
        #[arg(long, global = true)]
        allow_plaintext_database: bool,
        #[command(subcommand)]
        command: server::ServerCommand,
    },
    /// Push a mapping to a connection on a server (API key from UNIFIELD_API_KEY)
    Push {
        /// The server's URL, such as http://127.0.0.1:8787
        #[arg(long)]
        server: String,
        #[arg(long)]
        connection: String,
        #[arg(long)]
        mapping: PathBuf,
        /// A note kept with the version
        #[arg(long)]
        note: Option<String>,
        /// The version this edit is based on (default: the active one); a stale one fails
        #[arg(long)]
        if_version: Option<i64>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Path { selector, input } => records::path(&selector, &input),
        Command::Apply {
            mapping,
            from,
            output,
            allow_errors,
            related,
        } => records::apply(
            &mapping,
            &source(&from, cli.workspace.as_deref()),
            output.as_deref(),
            allow_errors,
            &related,
        ),
        Command::Validate { files, json } => files::validate(&files, json),
        Command::Coverage {
            mapping,
            from,
            related,
            json,
        } => records::coverage(
            &mapping,
            &source(&from, cli.workspace.as_deref()),
            &related,
            json,
        ),
        Command::Explain {
            mapping,
            input,
            record,
            field,
            related,
            json,
        } => records::explain(&mapping, &input, record, &field, &related, json),
        Command::Model { name, json } => show::model(name.as_deref(), json),
        Command::Fmt { files, check } => files::fmt(&files, check),
        Command::Docs { root, check } => files::docs(&root, check),
        Command::Samples { root, check } => files::samples(&root, check),
        Command::Generate {
            entity,
            count,
            seed,
        } => records::generate(&entity, count, seed),
        Command::Demo => records::demo(),
        Command::Sandbox {
            port,
            seed,
            work_orders,
            client_id,
            client_secret,
            company,
            faults,
        } => sandbox::serve(
            port,
            seed,
            work_orders,
            client_id,
            client_secret,
            company,
            &faults,
        ),
        Command::Pull {
            connection,
            entities,
            since,
            limit,
            resume,
            page_size,
            concurrency,
        } => {
            let options = unifield_workspace::PullOptions {
                since,
                limit,
                resume,
                page_size,
                concurrency,
                cancel: None,
            };
            connections::pull(&connection, &entities, &options, cli.workspace.as_deref())
        }
        Command::Connection { command } => {
            connections::connection(command, cli.workspace.as_deref())
        }
        Command::Records { command } => connections::records(command, cli.workspace.as_deref()),
        Command::Webhook { command } => webhook::run(command),
        Command::Serve {
            listen,
            data,
            database,
            database_pool_size,
            allow_plaintext_database,
            sync_interval,
            sync_lease,
            demo,
            demo_work_orders,
            allow_insecure_webhooks,
            allow_loopback_connections,
            max_concurrent_requests,
            max_concurrent_requests_per_org,
            server_timing_load,
            body_read_timeout,
            header_read_timeout,
            max_open_connections,
            max_concurrent_syncs_per_org,
            max_connections_per_org,
            max_tokens_per_org,
            behind_tls_proxy,
            webhook_retry,
            webhook_timeout,
            shutdown_grace,
        } => unifield_server::check_listen(listen, behind_tls_proxy)
            .map_err(Failure::usage)
            .and_then(|()| {
                webhook::settings(
                    allow_insecure_webhooks,
                    webhook_retry.as_deref(),
                    &webhook_timeout,
                )
                .and_then(|webhooks| {
                    server::serve(
                        listen,
                        data.as_deref(),
                        database.as_deref(),
                        database_pool_size,
                        allow_plaintext_database,
                        sync_interval,
                        sync_lease,
                        demo.then(|| {
                            demo_work_orders.unwrap_or(unifield_server::demo::WORK_ORDERS)
                        }),
                        webhooks,
                        server::ServeLimits {
                            allow_loopback_connections,
                            max_concurrent_requests,
                            max_concurrent_requests_per_org,
                            server_timing_load,
                            body_read_timeout,
                            header_read_timeout,
                            max_open_connections,
                            max_concurrent_syncs_per_org,
                            max_connections_per_org,
                            max_tokens_per_org,
                            shutdown_grace,
                        },
                    )
                })
            }),
        Command::Server {
            data,
            database,
            allow_plaintext_database,
            command,
        } => server::admin(
            command,
            data.as_deref(),
            database.as_deref(),
            allow_plaintext_database,
        ),
        Command::Push {
            server,
            connection,
            mapping,
            note,
            if_version,
        } => server::push(&server, &connection, &mapping, note.as_deref(), if_version),
    };
    match result {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("unifield: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

/// A command that could not run: its message and exit code.
pub(crate) struct Failure {
    pub message: String,
    pub code: u8,
}

impl Failure {
    /// Bad usage or unusable input: exit 2.
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            code: 2,
        }
    }
}

pub(crate) type Outcome = Result<ExitCode, Failure>;

fn source(from: &RecordsFrom, workspace: Option<&std::path::Path>) -> records::Source {
    match (&from.input, &from.connection, &from.entity) {
        (_, Some(connection), Some(entity)) => records::Source::Cached {
            workspace: workspace.map(std::path::Path::to_path_buf),
            connection: connection.clone(),
            entity: entity.clone(),
        },
        (Some(input), _, _) => records::Source::File(input.clone()),
        // clap requires --input or both --connection and --entity.
        _ => records::Source::File(PathBuf::from("-")),
    }
}
