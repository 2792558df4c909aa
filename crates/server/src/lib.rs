//! The Unifield connection server: organizations and API keys, Corrigo connections with
//! sealed secrets, syncs of their records, per-connection versioned mappings, and a
//! unified read API shaped like Makini's EAM API, described by an OpenAPI 3.1 document.
//!
//! Layers: `http` (thin handlers) → `service` (behaviour, no HTTP) → `storage` (the only
//! SQL). `start` runs the HTTP server and the sync scheduler on the current tokio runtime.

mod accept;
pub mod crypto;
pub mod demo;
pub mod error;
pub mod http;
pub mod service;
pub mod storage;
pub mod webhooks;

pub use crypto::{MasterKey, MasterKeySource};
pub use error::{Error, ErrorBody, Result};
pub use service::{Service, Settings};
pub use storage::Storage;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// What `unifield serve` starts.
#[derive(Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// A PostgreSQL URL (`--database`, `UNIFIELD_DATABASE_URL`); None: SQLite in `data_dir`.
    pub database: Option<String>,
    /// Database connections this node may hold (`--database-pool-size`,
    /// `UNIFIELD_DATABASE_POOL_SIZE`); None: [`storage::DEFAULT_POSTGRES_POOL_SIZE`].
    /// PostgreSQL only.
    pub database_pool_size: Option<usize>,
    /// Open a PostgreSQL database on another machine without TLS when its URL says
    /// `sslmode=disable` (`--allow-plaintext-database`, `UNIFIELD_DATABASE_ALLOW_PLAINTEXT=1`).
    pub allow_plaintext_database: bool,
    pub key_source: MasterKeySource,
    pub settings: Settings,
    /// Run the sync scheduler (tests that drive syncs themselves turn it off).
    pub scheduler: bool,
}

impl ServerConfig {
    pub fn new(listen: SocketAddr, data_dir: PathBuf) -> ServerConfig {
        ServerConfig {
            listen,
            data_dir,
            database: std::env::var(DATABASE_URL_ENV)
                .ok()
                .filter(|url| !url.is_empty()),
            database_pool_size: None,
            allow_plaintext_database: allow_plaintext_database_from_env(),
            key_source: MasterKeySource::from_env(),
            settings: Settings::default(),
            scheduler: true,
        }
    }
}

/// `database` is shown without its password: `UNIFIELD_DATABASE_URL` is where the password
/// goes, and a `{:?}` of the configuration must not put it in a log line.
impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let database = self
            .database
            .as_deref()
            .map(|url| match url::Url::parse(url) {
                Ok(mut parsed) => {
                    if parsed.password().is_some() {
                        let _ = parsed.set_password(Some("***"));
                    }
                    parsed.to_string()
                }
                Err(_) => "(unparsable URL)".to_string(),
            });
        f.debug_struct("ServerConfig")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("database", &database)
            .field("database_pool_size", &self.database_pool_size)
            .field("allow_plaintext_database", &self.allow_plaintext_database)
            .field("key_source", &self.key_source)
            .field("settings", &self.settings)
            .field("scheduler", &self.scheduler)
            .finish()
    }
}

/// The environment variable naming a PostgreSQL database to serve from.
pub const DATABASE_URL_ENV: &str = "UNIFIELD_DATABASE_URL";

/// The environment variable giving `--database-pool-size` when the flag is absent.
pub const DATABASE_POOL_SIZE_ENV: &str = "UNIFIELD_DATABASE_POOL_SIZE";

/// The most database connections one node may be given: far above what one PostgreSQL
/// serves well (its default max_connections is 100), a bound against a typo.
pub const MAX_DATABASE_POOL_SIZE: usize = 1000;

/// Checks a database pool size (`--database-pool-size` or `UNIFIELD_DATABASE_POOL_SIZE`):
/// a whole number from 1 to [`MAX_DATABASE_POOL_SIZE`].
pub fn parse_database_pool_size(text: &str) -> std::result::Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_DATABASE_POOL_SIZE).contains(&n) => Ok(n),
        _ => Err(format!(
            "database pool size: a whole number from 1 to {MAX_DATABASE_POOL_SIZE} is expected, not {text:?}"
        )),
    }
}

/// The pool size from `UNIFIELD_DATABASE_POOL_SIZE` (None when unset or empty).
pub fn database_pool_size_from_env() -> std::result::Result<Option<usize>, String> {
    match std::env::var(DATABASE_POOL_SIZE_ENV) {
        Ok(text) if !text.trim().is_empty() => parse_database_pool_size(&text)
            .map(Some)
            .map_err(|e| format!("{DATABASE_POOL_SIZE_ENV}: {e}")),
        _ => Ok(None),
    }
}

/// Set to `1` (or `true`, `yes`) to open a PostgreSQL database on another machine
/// without TLS; the same as `--allow-plaintext-database`.
pub const DATABASE_ALLOW_PLAINTEXT_ENV: &str = "UNIFIELD_DATABASE_ALLOW_PLAINTEXT";

/// Whether `UNIFIELD_DATABASE_ALLOW_PLAINTEXT` says yes (`1`, `true`, `yes`). Anything
/// else, unset included, keeps the refusal: the safe side.
pub fn allow_plaintext_database_from_env() -> bool {
    std::env::var(DATABASE_ALLOW_PLAINTEXT_ENV).is_ok_and(|value| {
        matches!(
            value.trim().to_ascii_lowercase().as_str(),
            "1" | "true" | "yes"
        )
    })
}

/// The database a configuration names: PostgreSQL at its URL, else SQLite in its data dir.
/// A PostgreSQL database on another machine over verified TLS (its URL's `sslmode`), or
/// without TLS only with `UNIFIELD_DATABASE_ALLOW_PLAINTEXT`.
pub fn open_storage(database: Option<&str>, data_dir: &std::path::Path) -> Result<Storage> {
    open_storage_pooled(
        database,
        None,
        allow_plaintext_database_from_env(),
        data_dir,
    )
}

/// [`open_storage`] with at most `pool_size` PostgreSQL connections (None: the default;
/// SQLite ignores it), and with `allow_plaintext_database` a PostgreSQL database on
/// another machine without TLS too (`sslmode=disable`).
pub fn open_storage_pooled(
    database: Option<&str>,
    pool_size: Option<usize>,
    allow_plaintext_database: bool,
    data_dir: &std::path::Path,
) -> Result<Storage> {
    Ok(match database {
        Some(url) => Storage::open_postgres_with(
            url,
            pool_size.unwrap_or(storage::DEFAULT_POSTGRES_POOL_SIZE),
            allow_plaintext_database,
        )?,
        None => Storage::open(data_dir)?,
    })
}

/// The default data directory: `~/.local/share/unifield-server` (the platform's data dir).
pub fn default_data_dir() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("unifield-server"))
}

/// Opens the database and the master key.
pub fn open_service(config: &ServerConfig) -> Result<Service> {
    // A SQLite file is served by one process at a time: it is locked for this one's life.
    let storage = match config.database.as_deref() {
        None => Storage::open_serving(&config.data_dir)?,
        database => open_storage_pooled(
            database,
            config.database_pool_size,
            config.allow_plaintext_database,
            &config.data_dir,
        )?,
    };
    let key = MasterKey::load(&config.key_source)?;
    // One process per SQLite file: runs left `running` died with their process. Several
    // nodes share a PostgreSQL database, where another node may be syncing right now:
    // there the sync lease decides (a dead node's run is failed when its lease expires
    // and another node takes the connection over), so nothing is failed here.
    if storage.backend_name() == "sqlite" {
        storage.fail_interrupted_syncs(&service::now_text())?;
    }
    Ok(Service::new(storage, Some(key), config.settings.clone()))
}

/// Opens the database only, for organization and key administration (no secret opened):
/// PostgreSQL when `database` (or else `UNIFIELD_DATABASE_URL`) names one, else SQLite in
/// `data_dir`.
pub fn open_admin_on(database: Option<&str>, data_dir: &std::path::Path) -> Result<Service> {
    open_admin_with(database, allow_plaintext_database_from_env(), data_dir)
}

/// [`open_admin_on`], and with `allow_plaintext_database` (`--allow-plaintext-database`)
/// a PostgreSQL database on another machine without TLS too (`sslmode=disable`).
pub fn open_admin_with(
    database: Option<&str>,
    allow_plaintext_database: bool,
    data_dir: &std::path::Path,
) -> Result<Service> {
    let from_env = std::env::var(DATABASE_URL_ENV)
        .ok()
        .filter(|url| !url.is_empty());
    let storage = open_storage_pooled(
        database.or(from_env.as_deref()),
        None,
        allow_plaintext_database,
        data_dir,
    )?;
    Ok(Service::new(storage, None, Settings::default()))
}

/// [`open_admin_on`] with the database from `UNIFIELD_DATABASE_URL` or `data_dir`.
pub fn open_admin(data_dir: &std::path::Path) -> Result<Service> {
    open_admin_on(None, data_dir)
}

/// Checks a `--database` argument: a PostgreSQL URL without a password (a command line is
/// visible to every user of the machine; a password goes in `UNIFIELD_DATABASE_URL`).
pub fn check_database_argument(url: &str) -> std::result::Result<(), String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("--database: not a URL ({e})"))?;
    if !matches!(parsed.scheme(), "postgres" | "postgresql") {
        return Err(format!(
            "--database: a postgres:// URL is expected, not {}://",
            parsed.scheme()
        ));
    }
    // As the driver reads it (it splits `user:password@` at the first `@`, where a URL
    // parser may see a port), and a `password` parameter too.
    let password_parameter = parsed
        .query_pairs()
        .any(|(key, _)| key.eq_ignore_ascii_case("password"));
    if parsed.password().is_some() || password_parameter || storage::carries_password(url) {
        return Err(format!(
            "--database: the URL carries a password, which every user of this machine can read in the process list; put the URL in {DATABASE_URL_ENV} instead [database_password_on_command_line]"
        ));
    }
    Ok(())
}

/// Checks a `--listen` address. The server speaks plain HTTP, and its requests carry API
/// keys, connection tokens and Corrigo client secrets: it listens on loopback only, unless
/// the operator states that a TLS-terminating proxy or load balancer is in front of it.
pub fn check_listen(listen: SocketAddr, behind_tls_proxy: bool) -> std::result::Result<(), String> {
    if listen.ip().is_loopback() || behind_tls_proxy {
        return Ok(());
    }
    Err(format!(
        "--listen {listen}: not a loopback address, and the server speaks plain HTTP (API keys and Corrigo client secrets would cross the network in clear); listen on 127.0.0.1, or put a TLS-terminating proxy in front and pass --behind-tls-proxy"
    ))
}

/// A running server. Dropping it stops the HTTP server and the scheduler.
pub struct RunningServer {
    pub url: String,
    pub addr: SocketAddr,
    pub service: Arc<Service>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    scheduler: Option<tokio::task::JoinHandle<()>>,
    /// The webhook delivery worker.
    webhooks: Option<tokio::task::JoinHandle<()>>,
    /// Tells the webhook worker to stop claiming (attempts in flight end first).
    webhooks_stop: Option<tokio::sync::oneshot::Sender<()>>,
}

/// What a graceful shutdown did ([`RunningServer::shutdown`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Every request in flight got its answer within the grace period.
    pub requests_finished: bool,
    /// Syncs still running when the grace period ended (their leases released).
    pub syncs_abandoned: Vec<String>,
    /// Syncs stopped after their page in hand (each run recorded as failed, the next
    /// sync due at once).
    pub syncs_stopped: usize,
    /// Webhook deliveries whose lease this node released, so another node (or this one
    /// when it is back) sends them at once.
    pub deliveries_released: usize,
}

/// How long `unifield serve` lets requests, syncs and webhook attempts in flight end
/// after SIGTERM or SIGINT unless told otherwise.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// SIGTERM and SIGINT (Ctrl-C), listened for from when this is made (inside a runtime), so
/// one that arrives while the server starts is not lost.
pub struct TerminationSignals {
    terminate: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
}

impl TerminationSignals {
    pub fn install() -> std::io::Result<TerminationSignals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(TerminationSignals {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    /// Waits for either; its name. Again after the first: a second signal during the
    /// grace period is the operator asking to stop at once.
    pub async fn wait(&mut self) -> &'static str {
        tokio::select! {
            _ = self.terminate.recv() => "SIGTERM",
            _ = self.interrupt.recv() => "SIGINT",
        }
    }
}

impl RunningServer {
    /// Shuts the node down gracefully: it stops accepting connections and starts no sync
    /// or webhook attempt; requests, syncs (up to the end of their page in hand) and
    /// webhook attempts in flight get up to `grace` to end; then this node's sync and
    /// webhook delivery leases are released, so another node takes that work over at once
    /// instead of after the leases expire. Whatever has not ended by then is dropped.
    pub async fn shutdown(mut self, grace: Duration) -> ShutdownReport {
        let deadline = tokio::time::Instant::now() + grace;
        let service = Arc::clone(&self.service);
        service.begin_stopping();
        let syncing_before = service.syncing_now().len();
        if let Some(scheduler) = self.scheduler.take() {
            scheduler.abort();
            // Gone, with its hold on the service, before this returns (see `stop`).
            let _ = scheduler.await;
        }
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(tx) = self.webhooks_stop.take() {
            let _ = tx.send(());
        }
        let mut requests_finished = true;
        if let Some(mut task) = self.task.take() {
            if tokio::time::timeout_at(deadline, &mut task).await.is_err() {
                requests_finished = false;
                task.abort();
            }
        }
        if let Some(mut webhooks) = self.webhooks.take() {
            if tokio::time::timeout_at(deadline, &mut webhooks)
                .await
                .is_err()
            {
                webhooks.abort();
                let _ = webhooks.await;
            }
        }
        // Syncs stop after their page in hand and release their own leases.
        while !service.syncing_now().is_empty() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let syncs_abandoned = service.syncing_now();
        let owner = Arc::clone(&service);
        let abandoned = syncs_abandoned.clone();
        let released = tokio::task::spawn_blocking(move || {
            for id in &abandoned {
                if let Err(error) = owner.storage.release_sync_lease(id, &owner.node) {
                    eprintln!(
                        "unifield-server: sync lease not released: {error} [{}]",
                        error.code()
                    );
                }
            }
            owner.storage.release_webhook_leases(&owner.node)
        })
        .await;
        let deliveries_released = match released {
            Ok(Ok(n)) => n,
            Ok(Err(error)) => {
                eprintln!(
                    "unifield-server: webhook leases not released (they expire on their own): {error} [{}]",
                    error.code()
                );
                0
            }
            Err(_) => 0,
        };
        ShutdownReport {
            requests_finished,
            syncs_stopped: syncing_before.saturating_sub(syncs_abandoned.len()),
            syncs_abandoned,
            deliveries_released,
        }
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        // Awaited once aborted, so that their hold on the service (and, on SQLite, the
        // file's serving lock) is gone when this returns: a server started next in this
        // process on the same file is not refused.
        if let Some(webhooks) = self.webhooks.take() {
            webhooks.abort();
            let _ = webhooks.await;
        }
        if let Some(scheduler) = self.scheduler.take() {
            scheduler.abort();
            let _ = scheduler.await;
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Serves until the process ends.
    pub async fn wait(mut self) {
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(webhooks) = self.webhooks.take() {
            webhooks.abort();
        }
        if let Some(scheduler) = self.scheduler.take() {
            scheduler.abort();
        }
    }
}

/// Starts the server on `config.listen` (port 0 picks one).
pub async fn start(config: ServerConfig) -> Result<RunningServer> {
    let service = Arc::new(open_service(&config)?);
    start_with(service, config.listen, config.scheduler).await
}

/// Starts the HTTP server (and, if asked, the scheduler) over an opened service.
pub async fn start_with(
    service: Arc<Service>,
    listen: SocketAddr,
    scheduler: bool,
) -> Result<RunningServer> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| Error::Internal(format!("cannot listen on {listen}: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::Internal(e.to_string()))?;
    let app = http::router(service.clone());
    let limits = accept::ConnectionLimits {
        header_read_timeout: service.settings.header_read_timeout,
        max_open_connections: service.settings.max_open_connections,
    };
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        accept::serve(listener, app, limits, async {
            let _ = rx.await;
        })
        .await;
    });
    let scheduler = scheduler.then(|| tokio::spawn(run_scheduler(service.clone())));
    // Every node runs a delivery worker; on PostgreSQL the nodes share the outbox through
    // leased claims (storage/postgres/webhooks.rs).
    let (webhooks_stop, stop_webhooks) = tokio::sync::oneshot::channel::<()>();
    let webhooks = Some(webhooks::start_worker(service.clone(), async {
        let _ = stop_webhooks.await;
    })?);
    Ok(RunningServer {
        url: format!("http://{addr}"),
        addr,
        service,
        shutdown: Some(tx),
        task: Some(task),
        scheduler,
        webhooks,
        webhooks_stop: Some(webhooks_stop),
    })
}

/// Starts due syncs every few seconds, and at once when a sync is asked for.
async fn run_scheduler(service: Arc<Service>) {
    loop {
        if let Err(error) = service.start_due_syncs() {
            eprintln!("unifield-server: scheduler: {error} [{}]", error.code());
        }
        // Wake at least every 5 s, or every sync interval when it is shorter.
        let tick = service
            .settings
            .sync_interval
            .clamp(Duration::from_millis(200), Duration::from_secs(5));
        let _ = tokio::time::timeout(tick, service.wake.notified()).await;
    }
}
