//! Connections (settings and their sealed secret), their sync runs and status.

use super::events::{append_events, NewEvent};
use super::{Result, Sqlite};
use rusqlite::{params, OptionalExtension, Row};

pub struct NewConnection {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub company: String,
    pub region: Option<String>,
    pub base_url: Option<String>,
    pub client_id: String,
    pub sealed_secret: Vec<u8>,
    /// Kept on SQLite; on PostgreSQL the database's time at the insert is kept instead
    /// (connections are listed by it; its bundled default mappings are dated by it).
    pub created_at: String,
}

/// A stored connection. `sealed_secret` is the encrypted client secret: only the sync
/// and credential code open it, and no response type carries it.
#[derive(Clone)]
pub struct ConnectionRow {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub company: String,
    pub region: Option<String>,
    pub base_url: Option<String>,
    pub client_id: String,
    pub sealed_secret: Vec<u8>,
    pub status: String,
    pub status_reason: Option<String>,
    pub next_sync_at: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SyncRunRow {
    pub id: i64,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub status: String,
    pub records: i64,
    pub error: Option<String>,
    pub reason: Option<String>,
}

const COLUMNS: &str = "id, org_id, name, company, region, base_url, client_id, sealed_secret, status, status_reason, next_sync_at, created_at";

fn connection(r: &Row<'_>) -> rusqlite::Result<ConnectionRow> {
    Ok(ConnectionRow {
        id: r.get(0)?,
        org_id: r.get(1)?,
        name: r.get(2)?,
        company: r.get(3)?,
        region: r.get(4)?,
        base_url: r.get(5)?,
        client_id: r.get(6)?,
        sealed_secret: r.get(7)?,
        status: r.get(8)?,
        status_reason: r.get(9)?,
        next_sync_at: r.get(10)?,
        created_at: r.get(11)?,
    })
}

/// Writes a new connection and its version-0 mappings (`(entity, body, hash)`) in the
/// caller's transaction (for add_connection and add_connection_within).
fn insert_connection(
    tx: &rusqlite::Connection,
    new: &NewConnection,
    default_mappings: &[(String, String, String)],
) -> Result<()> {
    tx.execute(
        "INSERT INTO connections (id, org_id, name, company, region, base_url, client_id, sealed_secret, status, next_sync_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'ok', ?9, ?9)",
        params![new.id, new.org_id, new.name, new.company, new.region, new.base_url, new.client_id, new.sealed_secret, new.created_at],
    )?;
    for (entity, body, hash) in default_mappings {
        tx.execute(
            "INSERT INTO mapping_versions (connection_id, entity, version, body, content_hash, note, created_at)
             VALUES (?1, ?2, 0, ?3, ?4, 'bundled default', ?5)",
            params![new.id, entity, body, hash, new.created_at],
        )?;
    }
    Ok(())
}

fn sync_run(r: &Row<'_>) -> rusqlite::Result<SyncRunRow> {
    Ok(SyncRunRow {
        id: r.get(0)?,
        started_at: r.get(1)?,
        finished_at: r.get(2)?,
        status: r.get(3)?,
        records: r.get(4)?,
        error: r.get(5)?,
        reason: r.get(6)?,
    })
}

impl Sqlite {
    /// Adds a connection with its version-0 mappings (`(entity, body, hash)`), in one
    /// transaction.
    pub fn add_connection(
        &self,
        new: &NewConnection,
        default_mappings: &[(String, String, String)],
    ) -> Result<()> {
        let mut db = self.write();
        let tx = db.transaction()?;
        insert_connection(&tx, new, default_mappings)?;
        tx.commit()?;
        Ok(())
    }

    /// [`Sqlite::add_connection`] unless the organization already has `cap` connections
    /// (false then, nothing written). Counted and written in one transaction under the
    /// writer lock, so requests at once cannot both take the last place.
    pub fn add_connection_within(
        &self,
        new: &NewConnection,
        default_mappings: &[(String, String, String)],
        cap: usize,
    ) -> Result<bool> {
        let mut db = self.write();
        let tx = db.transaction()?;
        let held = "SELECT count(*) FROM connections WHERE org_id = ?1";
        if !super::has_room(&tx, &new.org_id, held, cap)? {
            return Ok(false);
        }
        insert_connection(&tx, new, default_mappings)?;
        tx.commit()?;
        Ok(true)
    }

    /// The organization's connection; `None` for unknown ids and other organizations'.
    pub fn connection(&self, org_id: &str, id: &str) -> Result<Option<ConnectionRow>> {
        Ok(self
            .read()
            .query_row(
                &format!("SELECT {COLUMNS} FROM connections WHERE org_id = ?1 AND id = ?2"),
                [org_id, id],
                connection,
            )
            .optional()?)
    }

    pub fn connections(&self, org_id: &str) -> Result<Vec<ConnectionRow>> {
        let db = self.read();
        let mut statement = db.prepare(&format!(
            "SELECT {COLUMNS} FROM connections WHERE org_id = ?1 ORDER BY created_at, id"
        ))?;
        let rows = statement.query_map([org_id], connection)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Connections whose next sync is due at `now` and that may sync (not waiting for
    /// reauthorization).
    pub fn due_connections(&self, now: &str) -> Result<Vec<ConnectionRow>> {
        let db = self.read();
        let mut statement = db.prepare(&format!(
            "SELECT {COLUMNS} FROM connections
             WHERE status != 'reauthorization_required' AND next_sync_at IS NOT NULL AND next_sync_at <= ?1
             ORDER BY next_sync_at"
        ))?;
        let rows = statement.query_map([now], connection)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Deletes a connection with everything it owns; false when there is none.
    pub fn delete_connection(&self, org_id: &str, id: &str) -> Result<bool> {
        let deleted = self.write().execute(
            "DELETE FROM connections WHERE org_id = ?1 AND id = ?2",
            [org_id, id],
        )? == 1;
        self.record_counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|(connection, _), _| connection != id);
        self.page_starts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|(connection, _), _| connection != id);
        Ok(deleted)
    }

    /// Sets the status (and its reason), with the events that announce it.
    pub fn set_status(
        &self,
        org_id: &str,
        id: &str,
        status: &str,
        reason: Option<&str>,
        events: &[NewEvent],
    ) -> Result<bool> {
        let mut db = self.write();
        let tx = db.transaction()?;
        let changed = tx.execute(
            "UPDATE connections SET status = ?3, status_reason = ?4 WHERE org_id = ?1 AND id = ?2",
            params![org_id, id, status, reason],
        )?;
        append_events(&tx, events)?;
        tx.commit()?;
        Ok(changed == 1)
    }

    /// Makes the connection's next sync due at `now` (this process's clock, which is the
    /// database's: one process per SQLite file).
    pub fn set_sync_due_now(&self, id: &str, now: &str) -> Result<()> {
        self.write().execute(
            "UPDATE connections SET next_sync_at = ?2 WHERE id = ?1",
            params![id, now],
        )?;
        Ok(())
    }

    /// Stores tested credentials and sets the connection `ok`, due for a sync now.
    #[allow(clippy::too_many_arguments)]
    pub fn replace_credentials(
        &self,
        org_id: &str,
        id: &str,
        client_id: &str,
        region: Option<&str>,
        base_url: Option<&str>,
        sealed_secret: &[u8],
        now: &str,
        events: &[NewEvent],
    ) -> Result<bool> {
        let mut db = self.write();
        let tx = db.transaction()?;
        let changed = tx.execute(
            "UPDATE connections SET client_id = ?3, region = ?4, base_url = ?5, sealed_secret = ?6,
                    status = 'ok', status_reason = NULL, next_sync_at = ?7
             WHERE org_id = ?1 AND id = ?2",
            params![org_id, id, client_id, region, base_url, sealed_secret, now],
        )?;
        if changed == 1 {
            append_events(&tx, events)?;
        }
        tx.commit()?;
        Ok(changed == 1)
    }

    /// Starts a sync run and marks the connection `syncing`.
    pub fn begin_sync(&self, id: &str, now: &str, events: &[NewEvent]) -> Result<i64> {
        let mut db = self.write();
        let tx = db.transaction()?;
        tx.execute(
            "INSERT INTO sync_runs (connection_id, started_at, status) VALUES (?1, ?2, 'running')",
            params![id, now],
        )?;
        let run = tx.last_insert_rowid();
        tx.execute(
            "UPDATE connections SET status = 'syncing', status_reason = NULL WHERE id = ?1",
            [id],
        )?;
        append_events(&tx, events)?;
        tx.commit()?;
        Ok(run)
    }

    /// Ends a sync run and sets the connection's status, next sync (`next_sync_after` the
    /// `now` given; none when None) and events, when the run is still running. A run another node's take-over already failed is left as
    /// it is, and so are the connection (the new holder's to set) and the events: a node
    /// that stalled past its lease cannot end the sync that replaced its own.
    #[allow(clippy::too_many_arguments)]
    pub fn finish_sync(
        &self,
        connection_id: &str,
        run: i64,
        run_status: &str,
        error: Option<&str>,
        reason: Option<&str>,
        connection_status: &str,
        next_sync_after: Option<std::time::Duration>,
        now: &str,
        events: &[NewEvent],
    ) -> Result<()> {
        let next_sync_at = next_sync_after.map(|delay| super::after(now, delay));
        let mut db = self.write();
        let tx = db.transaction()?;
        let ended = tx.execute(
            "UPDATE sync_runs SET status = ?2, error = ?3, reason = ?4, finished_at = ?5
             WHERE id = ?1 AND status = 'running'",
            params![run, run_status, error, reason, now],
        )?;
        if ended == 0 {
            return Ok(());
        }
        tx.execute(
            "UPDATE connections SET status = ?2, status_reason = ?3, next_sync_at = ?4 WHERE id = ?1",
            params![connection_id, connection_status, reason, next_sync_at],
        )?;
        append_events(&tx, events)?;
        tx.commit()?;
        Ok(())
    }

    /// Runs left `running` by a server that stopped mid-sync are failed on start, and
    /// their connections set back from `syncing`.
    pub fn fail_interrupted_syncs(&self, now: &str) -> Result<usize> {
        let mut db = self.write();
        let tx = db.transaction()?;
        let runs = tx.execute(
            "UPDATE sync_runs SET status = 'failed', error = 'the server stopped during the sync', finished_at = ?1 WHERE status = 'running'",
            [now],
        )?;
        tx.execute(
            "UPDATE connections SET status = 'error', status_reason = 'the server stopped during the sync', next_sync_at = ?1 WHERE status = 'syncing'",
            [now],
        )?;
        // The process that held these leases is gone (one process per SQLite file).
        tx.execute(
            "UPDATE connections SET sync_node = NULL, sync_lease_until = NULL WHERE sync_node IS NOT NULL",
            [],
        )?;
        tx.commit()?;
        Ok(runs)
    }

    /// Takes (or renews) the connection's sync lease for `node` until `until`, when it is
    /// free, expired at `now`, or already this node's. Taking a lease this node did not
    /// hold (another node's expired one, or one released) fails the run left `running`, in
    /// the same transaction. The times
    /// are the node's: one process serves a SQLite file, so its clock is the only one
    /// (PostgreSQL, shared by nodes, takes its own clock's, see `Postgres::lease_sync`).
    pub fn lease_sync(&self, id: &str, node: &str, now: &str, until: &str) -> Result<bool> {
        let mut db = self.write();
        let tx = db.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let before: Option<(Option<String>, Option<String>)> = tx
            .query_row(
                "SELECT sync_node, sync_lease_until FROM connections WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((holder, lease_until)) = before else {
            return Ok(false);
        };
        let free = match (&holder, &lease_until) {
            (Some(holder), Some(until)) => holder == node || until.as_str() <= now,
            _ => true,
        };
        if !free {
            return Ok(false);
        }
        // Any holder but this node, none included: a lease released while its run was
        // still running (a node shutting down gives up the syncs it could not stop)
        // leaves that run to be failed here, or the stalled node could still write.
        if holder.as_deref() != Some(node) {
            tx.execute(
                "UPDATE sync_runs SET status = 'failed', error = 'the node syncing it stopped', finished_at = ?2
                 WHERE connection_id = ?1 AND status = 'running'",
                params![id, now],
            )?;
        }
        tx.execute(
            "UPDATE connections SET sync_node = ?2, sync_lease_until = ?3 WHERE id = ?1",
            params![id, node, until],
        )?;
        tx.commit()?;
        Ok(true)
    }

    /// Gives the lease up if `node` holds it.
    pub fn release_sync_lease(&self, id: &str, node: &str) -> Result<()> {
        self.write().execute(
            "UPDATE connections SET sync_node = NULL, sync_lease_until = NULL WHERE id = ?1 AND sync_node = ?2",
            params![id, node],
        )?;
        Ok(())
    }

    pub fn last_sync(&self, connection_id: &str) -> Result<Option<SyncRunRow>> {
        Ok(self
            .read()
            .query_row(
                "SELECT id, started_at, finished_at, status, records, error, reason FROM sync_runs
                 WHERE connection_id = ?1 ORDER BY id DESC LIMIT 1",
                [connection_id],
                sync_run,
            )
            .optional()?)
    }

    pub fn watermark(&self, connection_id: &str, entity: &str) -> Result<Option<Option<String>>> {
        Ok(self
            .watermark_row(connection_id, entity)?
            .map(|(since, _)| since))
    }

    /// The entity's watermark row, (since, properties): None without one.
    fn watermark_row(
        &self,
        connection_id: &str,
        entity: &str,
    ) -> Result<Option<(Option<String>, Option<String>)>> {
        Ok(self
            .read()
            .query_row(
                "SELECT since, properties FROM sync_watermarks
                 WHERE connection_id = ?1 AND entity = ?2",
                [connection_id, entity],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    pub fn set_watermark(
        &self,
        connection_id: &str,
        entity: &str,
        since: Option<&str>,
    ) -> Result<()> {
        self.write().execute(
            "INSERT INTO sync_watermarks (connection_id, entity, since) VALUES (?1, ?2, ?3)
             ON CONFLICT(connection_id, entity) DO UPDATE SET since = excluded.since",
            params![connection_id, entity, since],
        )?;
        Ok(())
    }

    /// The PropertySet every cached record of the entity holds, as stored (JSON text):
    /// None without a watermark row, Some(None) for a row from before the column.
    pub fn cached_properties(
        &self,
        connection_id: &str,
        entity: &str,
    ) -> Result<Option<Option<String>>> {
        Ok(self
            .watermark_row(connection_id, entity)?
            .map(|(_, properties)| properties))
    }

    /// Sets what every cached record of the entity holds (the watermark row is made, with
    /// no watermark, when there is none).
    pub fn set_cached_properties(
        &self,
        connection_id: &str,
        entity: &str,
        properties: &str,
    ) -> Result<()> {
        self.write().execute(
            "INSERT INTO sync_watermarks (connection_id, entity, since, properties) VALUES (?1, ?2, NULL, ?3)
             ON CONFLICT(connection_id, entity) DO UPDATE SET properties = excluded.properties",
            params![connection_id, entity, properties],
        )?;
        Ok(())
    }
}
