//! The server's storage: the only module with SQL. Everything above it talks in typed
//! rows through `Storage` (dispatch.rs), an enum over two backends: SQLite (this file and
//! its siblings, the default) and PostgreSQL (postgres.rs).
//!
//! SQLite in WAL mode: one writer connection (SQLite serialises writers anyway) and a few
//! reader connections, so reads never wait for a sync's page commit. Every change that
//! emits an event writes the event row in the same transaction (see `events.rs`).

mod connections;
mod dispatch;
mod events;
mod mappings;
mod orgs;
mod postgres;
mod records;
pub(crate) mod serving_lock;
mod webhooks;

pub use connections::{ConnectionRow, NewConnection, SyncRunRow};
pub use dispatch::{Storage, DEFAULT_POSTGRES_POOL_SIZE, NOT_ON_POSTGRES};
pub use events::{EventRow, NewEvent};
pub use mappings::MappingVersionRow;
pub use orgs::{ApiKeyRow, Principal, TokenRow};
pub(crate) use postgres::carries_password;
pub use records::{PageChange, RawRecord};
pub use serving_lock::LOCK_FILE;
pub use webhooks::{
    ClaimedWebhookDelivery, WebhookAttemptRow, WebhookDeliveryRow, WebhookEndpointChange,
    WebhookEndpointRow, WebhookNext,
};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// Forward-only migrations; `PRAGMA user_version` counts how many have run. Each feature
/// area adds its own file (webhooks adds one after these).
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_server.sql"),
    include_str!("../../migrations/0002_webhooks.sql"),
    include_str!("../../migrations/0003_sync_lease.sql"),
    include_str!("../../migrations/0004_sync_properties.sql"),
];

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("cannot open the server database at {path}: {reason}")]
    Open { path: String, reason: String },
    #[error("the server database at {path} is at schema {found}, newer than this build knows ({known}); upgrade the server")]
    TooNew {
        path: String,
        found: usize,
        known: usize,
    },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    /// A SQLite-only operation asked of PostgreSQL; nothing was done.
    #[error("`{operation}` is for a SQLite database only; it is not supported on postgres")]
    NotSupported { operation: &'static str },
    /// A page of a sync run that is no longer running (another node took its lease over
    /// and failed it, or it was ended): nothing was written.
    #[error("sync run {run} is no longer running (its lease passed to another node, or it was ended); the page was not written")]
    SyncRunEnded { run: i64 },
    /// A PostgreSQL error (the server's message, never the values of the statement).
    #[error("postgres: {0}")]
    Postgres(String),
    /// A PostgreSQL database on another machine with `sslmode=disable`, refused before
    /// connecting: anyone on the path could read the cached records and alter answers (a
    /// connection's base URL, say).
    #[error("the PostgreSQL database at host `{host}` is not on this machine, and with sslmode=disable the connection to it is not encrypted; use TLS (leave sslmode out or set verify-full, with sslrootcert=<CA file> for a private CA), or pass --allow-plaintext-database (UNIFIELD_DATABASE_ALLOW_PLAINTEXT=1) to use it unencrypted on a trusted network")]
    PlaintextRemoteDatabase { host: String },
    /// `sslmode` or `sslrootcert` in the database URL cannot be used as given.
    #[error("the database URL's TLS settings: {reason}")]
    DatabaseTlsSetting { reason: String },
    /// The `sslrootcert` file cannot be read or holds no usable CA certificate.
    #[error("the CA file {path} (sslrootcert) cannot be used: {reason}")]
    DatabaseCaFile { path: String, reason: String },
    /// No `sslrootcert` and no trusted roots in the system's store.
    #[error("no trusted CA certificates to check the PostgreSQL server's certificate with ({reason}); give sslrootcert=<CA file> in the database URL")]
    DatabaseNoTrustedRoots { reason: String },
    /// The PostgreSQL server's certificate does not chain to a trusted root (or has
    /// expired); nothing was sent over the connection.
    #[error(
        "the PostgreSQL server at `{host}` presented a certificate that is not trusted: {reason}"
    )]
    DatabaseCertificateUntrusted { host: String, reason: String },
    /// The certificate is trusted but issued for other names than the host connected to.
    #[error("the PostgreSQL server at `{host}` presented a certificate for {presented}, not for `{host}` (sslmode=verify-full); connect by a name on the certificate (hostaddr= can give its address), or use sslmode=verify-ca with sslrootcert=<your own CA file>")]
    DatabaseHostNameMismatch { host: String, presented: String },
    /// Another process serves from this SQLite database: it holds the exclusive lock on
    /// `lock_file`. Two servers on one file would each fail the other's running syncs at
    /// start and release its webhook leases (both right only for the one process on it).
    #[error("the server database in {dir} is in use by another `unifield serve`{holder}: it holds the lock file {lock_file}; stop that server first (one server per SQLite file; several nodes share a PostgreSQL database, --database)")]
    DatabaseInUse {
        dir: String,
        lock_file: String,
        /// ` (process N)` when the lock file names its holder, else empty.
        holder: String,
    },
    /// TLS was required and the server answered that it has none.
    #[error("the PostgreSQL server at `{host}` does not offer TLS; turn ssl on in its postgresql.conf, or (on loopback or a trusted network) set sslmode=disable with --allow-plaintext-database")]
    DatabaseTlsUnsupported { host: String },
}

impl StorageError {
    pub fn code(&self) -> &'static str {
        match self {
            StorageError::Open { .. } => "storage_unavailable",
            StorageError::TooNew { .. } => "storage_too_new",
            StorageError::Sql(_) | StorageError::Postgres(_) => "storage_error",
            StorageError::NotSupported { .. } => "storage_not_supported",
            StorageError::SyncRunEnded { .. } => "sync_run_ended",
            StorageError::PlaintextRemoteDatabase { .. } => "plaintext_remote_database",
            StorageError::DatabaseTlsSetting { .. } => "database_tls_setting_invalid",
            StorageError::DatabaseCaFile { .. } => "database_ca_file_invalid",
            StorageError::DatabaseNoTrustedRoots { .. } => "database_no_trusted_roots",
            StorageError::DatabaseCertificateUntrusted { .. } => "database_certificate_untrusted",
            StorageError::DatabaseHostNameMismatch { .. } => "database_host_name_mismatch",
            StorageError::DatabaseTlsUnsupported { .. } => "database_tls_unsupported",
            StorageError::DatabaseInUse { .. } => "storage_in_use",
        }
    }
}

pub type Result<T> = std::result::Result<T, StorageError>;

/// Offset → storage id, per (connection, entity).
pub(crate) type PageStarts =
    std::collections::HashMap<(String, String), std::collections::BTreeMap<usize, i64>>;

/// Reader connections kept open beside the writer.
const READERS: usize = 4;

pub(crate) struct Sqlite {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    /// Cached record counts per (connection, entity): COUNT(*) walks the whole index
    /// (3 ms at 100,000 records). Kept exact by `commit_page` and connection deletion,
    /// which this process alone performs on this file (records.rs).
    pub(crate) record_counts: Mutex<std::collections::HashMap<(String, String), usize>>,
    /// Storage ids found at page offsets per (connection, entity), so a page seeks from
    /// the nearest known offset instead of walking the index from the start. Exact
    /// forever: records are never deleted one by one and new ones get higher ids.
    pub(crate) page_starts: Mutex<PageStarts>,
    path: PathBuf,
}

impl Sqlite {
    pub const FILE: &'static str = "server.sqlite";

    /// Opens (creating if needed) the database in `dir`, private to this user (directory
    /// 0700, files 0600), and brings its schema up to date.
    pub fn open(dir: &Path) -> Result<Sqlite> {
        let fail = |reason: String| StorageError::Open {
            path: dir.display().to_string(),
            reason,
        };
        std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
        restrict(dir, 0o700).map_err(|e| fail(e.to_string()))?;
        let path = dir.join(Self::FILE);
        // Create the file 0600 before SQLite does, so it is never readable by others.
        create_private(&path).map_err(|e| fail(e.to_string()))?;
        let writer = open_connection(&path).map_err(|e| fail(e.to_string()))?;
        let mode: String = writer.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(fail(format!("journal mode is {mode}, not WAL")));
        }
        let storage_path = path.clone();
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            readers.push(Mutex::new(
                open_connection(&path).map_err(|e| fail(e.to_string()))?,
            ));
        }
        let storage = Sqlite {
            writer: Mutex::new(writer),
            readers,
            next_reader: AtomicUsize::new(0),
            record_counts: Mutex::new(std::collections::HashMap::new()),
            page_starts: Mutex::new(PageStarts::new()),
            path: storage_path,
        };
        storage.migrate()?;
        // SQLite creates the WAL and shared-memory files with the database's mode, but
        // restrict them anyway in case they existed from an older run.
        for suffix in ["-wal", "-shm"] {
            let side = PathBuf::from(format!("{}{suffix}", path.display()));
            if side.exists() {
                restrict(&side, 0o600).map_err(|e| fail(e.to_string()))?;
            }
        }
        Ok(storage)
    }

    pub(crate) fn write(&self) -> MutexGuard<'_, Connection> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn read(&self) -> MutexGuard<'_, Connection> {
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        // Take a free reader if there is one, else wait for the next in turn.
        for k in 0..self.readers.len() {
            if let Ok(guard) = self.readers[(start + k) % self.readers.len()].try_lock() {
                return guard;
            }
        }
        self.readers[start % self.readers.len()]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// SQLite's own consistency check: "ok" when the file is sound.
    pub fn integrity_check(&self) -> Result<String> {
        Ok(self
            .read()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }

    pub fn schema_version(&self) -> Result<u32> {
        Ok(self
            .read()
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    fn migrate(&self) -> Result<()> {
        let mut db = self.write();
        let current: u32 = db.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let current = current as usize;
        if current > MIGRATIONS.len() {
            return Err(StorageError::TooNew {
                path: self.path.display().to_string(),
                found: current,
                known: MIGRATIONS.len(),
            });
        }
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(current) {
            // IMMEDIATE: two servers starting on one file take turns instead of both
            // running the same migration.
            let tx = db.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let now: u32 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            if now as usize > index {
                continue;
            }
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (index + 1) as i64)?;
            tx.commit()?;
        }
        Ok(())
    }
}

/// Whether the organization holds fewer than `cap` of what `count` counts (SQL with the
/// organization's id as `?1`), asked in the caller's write transaction: the one write
/// connection makes additions at once count one after the other.
fn has_room(tx: &rusqlite::Transaction<'_>, org_id: &str, count: &str, cap: usize) -> Result<bool> {
    let held: i64 = tx.query_row(count, [org_id], |r| r.get(0))?;
    Ok((held as u64) < cap as u64)
}

fn open_connection(path: &Path) -> rusqlite::Result<Connection> {
    let db = Connection::open(path)?;
    db.busy_timeout(Duration::from_secs(5))?;
    db.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")?;
    Ok(db)
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn restrict(_path: &Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn create_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    restrict(path, 0o600)
}

#[cfg(not(unix))]
fn create_private(path: &Path) -> std::io::Result<()> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map(|_| ())
}

/// How times are written: RFC 3339 UTC, to the millisecond.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The stored timestamp `length` before the stored timestamp `now` (this process's clock
/// now when `now` does not parse); None when the length reaches before any time there is.
pub(crate) fn before(now: &str, length: std::time::Duration) -> Option<String> {
    let end = DateTime::parse_from_rfc3339(now)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|_| Utc::now());
    let earlier = end.checked_sub_signed(chrono::Duration::from_std(length).ok()?)?;
    Some(timestamp(earlier))
}

/// The stored timestamp `delay` after the stored timestamp `now` (`now` itself when the
/// delay is too long to add; this process's clock now when `now` does not parse).
pub(crate) fn after(now: &str, delay: std::time::Duration) -> String {
    let start = DateTime::parse_from_rfc3339(now)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|_| Utc::now());
    let later = chrono::Duration::from_std(delay)
        .ok()
        .and_then(|delay| start.checked_add_signed(delay))
        .unwrap_or(start);
    timestamp(later)
}
