//! The Unifield workspace store: one SQLite file per workspace holding connections
//! (non-secret settings), records pulled from them, pull runs and their progress, mappings
//! with every saved version, and saved test cases.
//!
//! Durability is the point: every page of a pull commits in one transaction together with
//! the run's cursor and counts, so a pull killed at any moment leaves a database that opens
//! clean, holds every committed page, and knows where to resume.
//! Secrets are not stored here; they live in the operating system's keyring.

mod connections;
mod error;
pub mod files;
mod mappings;
mod pull_properties;
mod records;

pub use connections::{ConnectionSettings, Endpoint, Region, StoredConnection};
pub use error::StoreError;
pub use mappings::{MappingVersion, TestCase};
pub use records::{PageOutcome, PullRun, PullStatus, StoredRecord, PULL_LEASE};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::Connection;
use std::path::{Path, PathBuf};

pub type Result<T> = std::result::Result<T, StoreError>;

/// Forward-only migrations; `PRAGMA user_version` counts how many have run.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_initial.sql"),
    include_str!("../migrations/0002_pull_lease.sql"),
    include_str!("../migrations/0003_pull_properties.sql"),
];

/// The page size of a new workspace file. Cached records are kilobytes of JSON each: at
/// SQLite's default 4 KiB a page holds two or three, and a pull's writes (WAL frames, their
/// checkpoint into the file, b-tree splits) go a page at a time. 16 KiB pages took a third
/// off a pull's store CPU (40,000 work orders: 175 ms to 115 ms; 8 KiB 125 ms, 32 and
/// 64 KiB no better than 16), and keep the file a tenth smaller.
const PAGE_SIZE: i64 = 16 * 1024;

/// An open workspace.
pub struct Store {
    db: Connection,
    path: PathBuf,
    /// This handle's name in `pull_runs.owner`: the process id (so a dead owner is seen)
    /// and a number unique to the handle.
    owner: String,
    /// Whether this handle has begun or claimed a pull run (set before the write that
    /// names it owner): only then has its drop something to release. A handle that only
    /// read (the studio opening the workspace while a pull commits pages) then never asks
    /// for the write lock, so it never queues behind the pull for the busy timeout.
    may_own_runs: std::cell::Cell<bool>,
}

impl Store {
    /// The database file's name inside a workspace directory.
    pub const FILE: &'static str = "workspace.sqlite";

    /// Opens (creating if needed) the workspace in `dir` and brings its schema up to date.
    /// The directory is made 0700 and the database with its WAL 0600 (cached records are
    /// personal data), including those of a workspace made before this rule.
    pub fn open(dir: &Path) -> Result<Store> {
        let open_error = |source| StoreError::Open {
            path: dir.display().to_string(),
            source,
        };
        let directory_error = |e| StoreError::Directory {
            path: dir.display().to_string(),
            source: e,
        };
        files::create_private_dir(dir).map_err(directory_error)?;
        let path = dir.join(Self::FILE);
        // Created 0600 before SQLite opens it: SQLite gives its -wal and -shm files the
        // database file's mode.
        private_file(&path).map_err(directory_error)?;
        for companion in ["-wal", "-shm", "-journal"] {
            let mut name = path.clone().into_os_string();
            name.push(companion);
            files::restrict(Path::new(&name), 0o600).map_err(directory_error)?;
        }
        let db = Connection::open(&path).map_err(open_error)?;
        // First, so that opening while another process writes (the studio during a pull)
        // waits for the lock instead of failing at once with SQLITE_BUSY.
        db.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(open_error)?;
        // Before the first write, so that only a new file takes it (an existing one keeps
        // the page size it was made with: in WAL mode it cannot change).
        db.pragma_update(None, "page_size", PAGE_SIZE)
            .map_err(open_error)?;
        // WAL: readers (the studio) never block the pull that writes. NORMAL sync in WAL
        // mode keeps every committed transaction through a crash of the process.
        let mode = wal_mode(&db).map_err(open_error)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Open {
                path: path.display().to_string(),
                source: rusqlite::Error::InvalidQuery,
            });
        }
        db.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
            .map_err(open_error)?;
        let mut store = Store {
            db,
            path,
            owner: records::new_owner(),
            may_own_runs: std::cell::Cell::new(false),
        };
        store.migrate()?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version this file is at.
    pub fn schema_version(&self) -> Result<u32> {
        Ok(self
            .db
            .query_row("PRAGMA user_version", [], |row| row.get(0))?)
    }

    /// SQLite's own consistency check: "ok" when the file is sound.
    pub fn integrity_check(&self) -> Result<String> {
        Ok(self
            .db
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))?)
    }

    /// The schema as SQL, in a stable order (for the migration snapshot test).
    pub fn schema_sql(&self) -> Result<String> {
        let mut statement = self.db.prepare(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY type, name",
        )?;
        let rows = statement.query_map([], |row| row.get::<_, String>(0))?;
        let mut out = String::new();
        for sql in rows {
            out.push_str(&sql?);
            out.push_str(";\n");
        }
        Ok(out)
    }

    /// Runs the missing migrations. The version is read first without any lock beyond a
    /// WAL read: opening an up-to-date workspace (the studio, `unifield pull`, a watcher)
    /// must not queue for the write lock behind another process's page commits. Only
    /// when a migration is due does it take the write lock and read the version again
    /// inside that transaction: two processes opening a new workspace at once then
    /// migrate one after the other, and the second finds nothing left to do.
    fn migrate(&mut self) -> Result<()> {
        if migrations_due(&self.path, &self.db)?.is_none() {
            return Ok(());
        }
        let tx = self
            .db
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let Some(current) = migrations_due(&self.path, &tx)? else {
            return Ok(());
        };
        for sql in &MIGRATIONS[current..] {
            tx.execute_batch(sql)?;
        }
        tx.pragma_update(None, "user_version", MIGRATIONS.len() as i64)?;
        tx.commit()?;
        Ok(())
    }
}

impl Drop for Store {
    /// Releases the runs this handle still owns (a pull dropped mid-way), so the next pull
    /// resumes them at once instead of waiting out the lease. A killed process releases
    /// nothing; its runs are claimable once its process is gone or its lease ends. A
    /// handle that never began or claimed a run owns none and writes nothing.
    fn drop(&mut self) {
        if !self.may_own_runs.get() {
            return;
        }
        let _ = self.db.execute(
            "UPDATE pull_runs SET owner = NULL, lease_until = NULL WHERE owner = ?1",
            [&self.owner],
        );
    }
}

/// The schema version the file is at when migrations are due (`None` when it is up to
/// date), read through `db` (the connection, or a transaction on it).
fn migrations_due(path: &Path, db: &Connection) -> Result<Option<usize>> {
    let current: u32 = db.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let current = current as usize;
    if current > MIGRATIONS.len() {
        return Err(StoreError::TooNew {
            path: path.display().to_string(),
            found: current,
            known: MIGRATIONS.len(),
        });
    }
    Ok((current < MIGRATIONS.len()).then_some(current))
}

/// Switches the database to WAL. Switching needs a moment of exclusive access, and SQLite
/// answers BUSY at once (without its busy handler) while another connection opens the same
/// new file, so it is retried, for at most the busy timeout.
fn wal_mode(db: &Connection) -> rusqlite::Result<String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match db.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0)) {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            other => return other,
        }
    }
}

/// Creates `path` empty with mode 0600 if it does not exist, and tightens it if it does.
fn private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?;
    files::restrict(path, 0o600)
}

/// How times are written: RFC 3339 UTC, to the millisecond.
pub(crate) fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// Whether a drop writes is decided by `may_own_runs` alone; what it costs when it
    /// should not (the drop waiting out the busy timeout behind another writer's lock, then
    /// failing silently) shows only as time, so the flag is checked here: reading never
    /// sets it, beginning or claiming a run does.
    #[test]
    fn only_a_handle_that_began_or_claimed_a_run_releases_on_drop() {
        let at = |minute| Utc.with_ymd_and_hms(2026, 11, 26, 12, minute, 0).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let settings = ConnectionSettings {
            name: "acme".into(),
            company: "Asurion".into(),
            endpoint: Endpoint::BaseUrl("http://127.0.0.1:8080".into()),
            client_id: "client-1".into(),
        };
        let mut pull = Store::open(dir.path()).unwrap();
        pull.add_connection(&settings, at(0)).unwrap();
        assert!(!pull.may_own_runs.get(), "adding a connection owns no run");
        let run = pull.begin_pull("acme", "WorkOrder", None, at(1)).unwrap();
        assert!(pull.may_own_runs.get(), "a begun run");
        pull.commit_page(
            run.id,
            &[("1".into(), serde_json::json!({"Id": 1}))],
            None,
            at(2),
        )
        .unwrap();
        drop(pull);

        let reader = Store::open(dir.path()).unwrap();
        reader.schema_version().unwrap();
        reader.pull_runs("acme").unwrap();
        reader.unfinished_pull("acme", "WorkOrder").unwrap();
        reader.record_count("acme", "WorkOrder").unwrap();
        assert!(!reader.may_own_runs.get(), "a handle that only read");
        reader.claim_pull(run.id, at(3)).unwrap();
        assert!(reader.may_own_runs.get(), "a claimed run");
    }
}
