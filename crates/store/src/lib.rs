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
mod mappings;
mod records;

pub use connections::{ConnectionSettings, Endpoint, Region, StoredConnection};
pub use error::StoreError;
pub use mappings::{MappingVersion, TestCase};
pub use records::{PageOutcome, PullRun, PullStatus, StoredRecord};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::Connection;
use std::path::{Path, PathBuf};

pub type Result<T> = std::result::Result<T, StoreError>;

/// Forward-only migrations; `PRAGMA user_version` counts how many have run.
const MIGRATIONS: &[&str] = &[include_str!("../migrations/0001_initial.sql")];

/// An open workspace.
pub struct Store {
    db: Connection,
    path: PathBuf,
}

impl Store {
    /// The database file's name inside a workspace directory.
    pub const FILE: &'static str = "workspace.sqlite";

    /// Opens (creating if needed) the workspace in `dir` and brings its schema up to date.
    pub fn open(dir: &Path) -> Result<Store> {
        let open_error = |source| StoreError::Open {
            path: dir.display().to_string(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Directory {
            path: dir.display().to_string(),
            source: e,
        })?;
        let path = dir.join(Self::FILE);
        let db = Connection::open(&path).map_err(open_error)?;
        // First, so that opening while another process writes (the studio during a pull)
        // waits for the lock instead of failing at once with SQLITE_BUSY.
        db.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(open_error)?;
        // WAL: readers (the studio) never block the pull that writes. NORMAL sync in WAL
        // mode keeps every committed transaction through a crash of the process.
        let mode: String = db
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(open_error)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Open {
                path: path.display().to_string(),
                source: rusqlite::Error::InvalidQuery,
            });
        }
        db.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
            .map_err(open_error)?;
        let mut store = Store { db, path };
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

    fn migrate(&mut self) -> Result<()> {
        let current = self.schema_version()? as usize;
        if current > MIGRATIONS.len() {
            return Err(StoreError::TooNew {
                path: self.path.display().to_string(),
                found: current,
                known: MIGRATIONS.len(),
            });
        }
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(current) {
            let tx = self.db.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (index + 1) as i64)?;
            tx.commit()?;
        }
        Ok(())
    }
}

/// How times are written: RFC 3339 UTC, to the millisecond.
pub(crate) fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}
