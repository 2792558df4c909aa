//! Pulled records and pull runs. A page of records and the run's progress commit
//! together, in one transaction, or not at all.

use crate::{timestamp, Result, Store, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row};
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};

/// How long a pull run stays its owner's without a committed page. A page that takes
/// longer (throttling at its worst) loses the run only if another pull claims it meanwhile.
pub const PULL_LEASE: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

/// A name for a new store handle: `{process id}:{handle number}:{start time}`.
pub(crate) fn new_owner() -> String {
    static HANDLES: AtomicU64 = AtomicU64::new(0);
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{}:{}:{started}",
        std::process::id(),
        HANDLES.fetch_add(1, Ordering::Relaxed)
    )
}

/// Whether the process that wrote `owner` may still be running. Only a process on this
/// machine can be checked; any other answer keeps the lease.
fn owner_may_be_alive(owner: &str) -> bool {
    let Some(pid) = owner.split(':').next().and_then(|p| p.parse::<i32>().ok()) else {
        return true;
    };
    if pid as u32 == std::process::id() {
        return true;
    }
    #[cfg(unix)]
    {
        // SAFETY: kill(2) with signal 0 only checks that the process exists.
        let sent = unsafe { libc::kill(pid, 0) };
        sent == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    {
        true
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullStatus {
    Running,
    Completed,
    Failed,
    Cancelled,
    /// The source refused the credentials; the user must reconnect.
    ReauthorizationRequired,
}

impl PullStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PullStatus::Running => "running",
            PullStatus::Completed => "completed",
            PullStatus::Failed => "failed",
            PullStatus::Cancelled => "cancelled",
            PullStatus::ReauthorizationRequired => "reauthorization_required",
        }
    }

    fn parse(text: &str) -> PullStatus {
        match text {
            "completed" => PullStatus::Completed,
            "failed" => PullStatus::Failed,
            "cancelled" => PullStatus::Cancelled,
            "reauthorization_required" => PullStatus::ReauthorizationRequired,
            _ => PullStatus::Running,
        }
    }
}

/// One pull of one entity, with its progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRun {
    pub id: i64,
    pub connection_id: i64,
    pub entity: String,
    /// Incremental pulls: only records changed since this time.
    pub since: Option<String>,
    pub status: PullStatus,
    /// Where a resumed pull carries on (the puller's own token, such as the last Id).
    pub cursor: Option<String>,
    pub pages: u64,
    pub records: u64,
    pub error: Option<String>,
    pub started_at: String,
    pub finished_at: Option<String>,
}

/// SQLite counts are i64; a negative one cannot occur, so it reads as 0.
fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn run_from_row(row: &Row) -> rusqlite::Result<PullRun> {
    Ok(PullRun {
        id: row.get("id")?,
        connection_id: row.get("connection_id")?,
        entity: row.get("entity")?,
        since: row.get("since")?,
        status: PullStatus::parse(&row.get::<_, String>("status")?),
        cursor: row.get("cursor")?,
        pages: count(row.get("pages")?),
        records: count(row.get("records")?),
        error: row.get("error")?,
        started_at: row.get("started_at")?,
        finished_at: row.get("finished_at")?,
    })
}

/// What committing a page did to the cache.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageOutcome {
    pub inserted: u64,
    pub updated: u64,
    /// Already cached with the same content.
    pub unchanged: u64,
}

/// A cached record.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRecord {
    pub source_id: String,
    pub value: Value,
    pub fetched_at: String,
}

impl Store {
    /// Starts a pull of `entity` from the named connection, owned by this handle. Refused
    /// while another live pull of the same entity holds its lease.
    pub fn begin_pull(
        &self,
        connection: &str,
        entity: &str,
        since: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<PullRun> {
        let connection_id = self.connection(connection)?.id;
        // The write lock first, so two pulls cannot both see no live run and both begin.
        let tx = rusqlite::Transaction::new_unchecked(
            &self.db,
            rusqlite::TransactionBehavior::Immediate,
        )?;
        let running: Vec<(i64, Option<String>, Option<String>)> = {
            let mut statement = tx.prepare(
                "SELECT id, owner, lease_until FROM pull_runs WHERE connection_id = ?1 AND entity = ?2 AND status = 'running'",
            )?;
            let rows = statement.query_map(params![connection_id, entity], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        for (id, owner, lease_until) in running {
            self.refuse_if_held(id, owner.as_deref(), lease_until.as_deref(), at)?;
        }
        // Before the write, so that a drop releases the run whatever happens after it.
        self.may_own_runs.set(true);
        tx.execute(
            "INSERT INTO pull_runs (connection_id, entity, since, status, started_at, owner, lease_until) VALUES (?1, ?2, ?3, 'running', ?4, ?5, ?6)",
            params![connection_id, entity, since, timestamp(at), self.owner, timestamp(at + PULL_LEASE)],
        )?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        self.pull_run(id)
    }

    /// `Err(PullInProgress)` when another handle holds a live lease on the run.
    fn refuse_if_held(
        &self,
        run_id: i64,
        owner: Option<&str>,
        lease_until: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let (Some(owner), Some(lease_until)) = (owner, lease_until) else {
            return Ok(());
        };
        if owner == self.owner || lease_until <= timestamp(at).as_str() {
            return Ok(());
        }
        if !owner_may_be_alive(owner) {
            return Ok(());
        }
        Err(StoreError::PullInProgress {
            run: run_id,
            process: owner.split(':').next().unwrap_or("").to_string(),
            until: lease_until.to_string(),
        })
    }

    pub fn pull_run(&self, id: i64) -> Result<PullRun> {
        self.db
            .query_row("SELECT * FROM pull_runs WHERE id = ?1", [id], run_from_row)
            .optional()?
            .ok_or(StoreError::PullNotRunning(id))
    }

    /// The latest pull of `entity` that never finished (killed, crashed), to resume.
    /// The entity's latest pull that stopped before the end: interrupted while running,
    /// or cancelled by the user (see [`Store::resume_pull`]).
    pub fn unfinished_pull(&self, connection: &str, entity: &str) -> Result<Option<PullRun>> {
        let connection_id = self.connection(connection)?.id;
        Ok(self
            .db
            .query_row(
                "SELECT * FROM pull_runs WHERE connection_id = ?1 AND entity = ?2 AND status IN ('running', 'cancelled') ORDER BY id DESC LIMIT 1",
                params![connection_id, entity],
                run_from_row,
            )
            .optional()?)
    }

    /// Makes this handle the owner of an unfinished run (interrupted or cancelled), set
    /// running again with a fresh lease, so that a resumed pull can commit to it. Refused
    /// while another live pull holds the run's lease: two pulls never resume one run.
    pub fn claim_pull(&self, run_id: i64, at: DateTime<Utc>) -> Result<PullRun> {
        let tx = rusqlite::Transaction::new_unchecked(
            &self.db,
            rusqlite::TransactionBehavior::Immediate,
        )?;
        let (owner, lease_until): (Option<String>, Option<String>) = tx
            .query_row(
                "SELECT owner, lease_until FROM pull_runs WHERE id = ?1 AND status IN ('running', 'cancelled')",
                [run_id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?
            .ok_or(StoreError::PullNotRunning(run_id))?;
        self.refuse_if_held(run_id, owner.as_deref(), lease_until.as_deref(), at)?;
        self.may_own_runs.set(true);
        tx.execute(
            "UPDATE pull_runs SET status = 'running', finished_at = NULL, owner = ?2, lease_until = ?3 WHERE id = ?1",
            params![run_id, self.owner, timestamp(at + PULL_LEASE)],
        )?;
        tx.commit()?;
        self.pull_run(run_id)
    }

    /// Pull runs of a connection, newest first.
    pub fn pull_runs(&self, connection: &str) -> Result<Vec<PullRun>> {
        let connection_id = self.connection(connection)?.id;
        let mut statement = self
            .db
            .prepare("SELECT * FROM pull_runs WHERE connection_id = ?1 ORDER BY id DESC")?;
        let rows = statement.query_map([connection_id], run_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Caches one page of `(source id, record)` pairs and moves the run's cursor, in one
    /// transaction: after a crash either the whole page and its cursor are there or
    /// neither is. Re-committing a record replaces it only if its content changed.
    pub fn commit_page(
        &mut self,
        run_id: i64,
        page: &[(String, Value)],
        cursor: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<PageOutcome> {
        let page = page
            .iter()
            .map(|(source_id, record)| Ok((source_id.clone(), serde_json::to_string(record)?)))
            .collect::<Result<Vec<(String, String)>>>()?;
        self.commit_page_text(run_id, &page, cursor, at)
    }

    /// [`Store::commit_page`] for records that are already JSON text (`(source_id, json)`),
    /// as a pull receives them: stored as given, never parsed here.
    pub fn commit_page_text(
        &mut self,
        run_id: i64,
        page: &[(String, String)],
        cursor: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<PageOutcome> {
        let fetched_at = timestamp(at);
        let tx = self.db.transaction()?;
        // Statements a pull runs for every page are prepared once per handle (cached).
        let (connection_id, entity, owner): (i64, String, Option<String>) = tx
            .prepare_cached(
                "SELECT connection_id, entity, owner FROM pull_runs WHERE id = ?1 AND status = 'running'",
            )?
            .query_row([run_id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .optional()?
            .ok_or(StoreError::PullNotRunning(run_id))?;
        if owner.as_deref() != Some(self.owner.as_str()) {
            return Err(StoreError::PullNotOwned(run_id));
        }
        let mut outcome = PageOutcome::default();
        {
            // A new record is inserted by the first statement; one already cached is
            // rewritten by the second only when its text differs (compared as bytes).
            // One statement for a new record, two for a cached one, and no hash: a
            // look-up before every upsert and SHA-256 of every record's text were a
            // fifth of the store's CPU in a pull (40,000 records: 214 to 175 ms). An
            // upsert with RETURNING, to tell inserts from updates, cost more than both
            // (SQLite gathers RETURNING rows in a temporary table). `content_hash` is
            // no longer read and gets '': dropping it (or its NOT NULL) rewrites the whole
            // records table on first open — seconds and twice the disk for a big cache,
            // with every other opener locked out meanwhile.
            let mut insert = tx.prepare_cached(
                "INSERT INTO records (connection_id, entity, source_id, json, content_hash, fetched_at) VALUES (?1, ?2, ?3, ?4, '', ?5)
                 ON CONFLICT (connection_id, entity, source_id) DO NOTHING",
            )?;
            let mut update = tx.prepare_cached(
                "UPDATE records SET json = ?4, fetched_at = ?5
                 WHERE connection_id = ?1 AND entity = ?2 AND source_id = ?3 AND json <> ?4",
            )?;
            for (source_id, json) in page {
                let values = params![connection_id, entity, source_id, json, fetched_at];
                if insert.execute(values)? == 1 {
                    outcome.inserted += 1;
                } else if update.execute(values)? == 1 {
                    outcome.updated += 1;
                } else {
                    outcome.unchanged += 1;
                }
            }
        }
        tx.prepare_cached(
            "UPDATE pull_runs SET cursor = ?2, pages = pages + 1, records = records + ?3, lease_until = ?4 WHERE id = ?1",
        )?
        .execute(params![run_id, cursor, page.len() as i64, timestamp(at + PULL_LEASE)])?;
        tx.commit()?;
        Ok(outcome)
    }

    /// Ends a running pull with its final status, releasing its lease. The run must be
    /// this handle's, or abandoned (no live owner): a pull cannot end another's live run.
    pub fn finish_pull(
        &self,
        run_id: i64,
        status: PullStatus,
        error: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<PullRun> {
        let tx = rusqlite::Transaction::new_unchecked(
            &self.db,
            rusqlite::TransactionBehavior::Immediate,
        )?;
        let (owner, lease_until): (Option<String>, Option<String>) = tx
            .query_row(
                "SELECT owner, lease_until FROM pull_runs WHERE id = ?1 AND status = 'running'",
                [run_id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?
            .ok_or(StoreError::PullNotRunning(run_id))?;
        self.refuse_if_held(run_id, owner.as_deref(), lease_until.as_deref(), at)?;
        tx.execute(
            "UPDATE pull_runs SET status = ?2, error = ?3, finished_at = ?4, owner = NULL, lease_until = NULL WHERE id = ?1",
            params![run_id, status.as_str(), error, timestamp(at)],
        )?;
        tx.commit()?;
        // The pull's pages go from the WAL into the file now, in one checkpoint, instead of
        // staying in the WAL (up to 16 MiB: SQLite checkpoints every 1,000 pages) while the
        // handle stays open, as the studio's does, with every read going through the WAL's
        // index. PASSIVE never waits for readers; whatever they still hold is checkpointed
        // later, as before, so its outcome does not decide the pull's.
        let _ = self
            .db
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
        self.pull_run(run_id)
    }

    pub fn record_count(&self, connection: &str, entity: &str) -> Result<u64> {
        let connection_id = self.connection(connection)?.id;
        let n: i64 = self.db.query_row(
            "SELECT COUNT(*) FROM records WHERE connection_id = ?1 AND entity = ?2",
            params![connection_id, entity],
            |row| row.get(0),
        )?;
        Ok(count(n))
    }

    pub fn record(
        &self,
        connection: &str,
        entity: &str,
        source_id: &str,
    ) -> Result<Option<StoredRecord>> {
        let connection_id = self.connection(connection)?.id;
        let found = self
            .db
            .query_row(
                "SELECT source_id, json, fetched_at FROM records WHERE connection_id = ?1 AND entity = ?2 AND source_id = ?3",
                params![connection_id, entity, source_id],
                |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get(2)?)),
            )
            .optional()?;
        found
            .map(|(source_id, json, fetched_at)| {
                Ok(StoredRecord {
                    source_id,
                    value: serde_json::from_str(&json)?,
                    fetched_at,
                })
            })
            .transpose()
    }

    /// Calls `each(source_id, json)` with every cached record of `entity` as its stored
    /// JSON text, in source-id order, without parsing it. Stops early when `each` returns
    /// false.
    pub fn for_each_record_text(
        &self,
        connection: &str,
        entity: &str,
        mut each: impl FnMut(&str, &str) -> bool,
    ) -> Result<()> {
        let connection_id = self.connection(connection)?.id;
        let mut statement = self.db.prepare(
            "SELECT source_id, json FROM records WHERE connection_id = ?1 AND entity = ?2 ORDER BY source_id",
        )?;
        let mut rows = statement.query(params![connection_id, entity])?;
        while let Some(row) = rows.next()? {
            let text = |at: usize| {
                row.get_ref(at)?.as_str().map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(
                        at,
                        rusqlite::types::Type::Text,
                        Box::new(e),
                    )
                })
            };
            let (source_id, json) = (text(0)?, text(1)?);
            if !each(source_id, json) {
                break;
            }
        }
        Ok(())
    }

    /// Calls `each` with every cached record of `entity`, in source-id order, one at a
    /// time (memory does not grow with the cache). Stops early when `each` returns false.
    pub fn for_each_record(
        &self,
        connection: &str,
        entity: &str,
        mut each: impl FnMut(StoredRecord) -> bool,
    ) -> Result<()> {
        let connection_id = self.connection(connection)?.id;
        let mut statement = self.db.prepare(
            "SELECT source_id, json, fetched_at FROM records WHERE connection_id = ?1 AND entity = ?2 ORDER BY source_id",
        )?;
        let mut rows = statement.query(params![connection_id, entity])?;
        while let Some(row) = rows.next()? {
            let json: String = row.get(1)?;
            let record = StoredRecord {
                source_id: row.get(0)?,
                value: serde_json::from_str(&json)?,
                fetched_at: row.get(2)?,
            };
            if !each(record) {
                break;
            }
        }
        Ok(())
    }
}
