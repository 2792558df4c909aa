//! The event outbox. Rows are written by the other storage functions inside the
//! transaction of the change they describe, so a rolled-back change never emits and a
//! crash never loses an event. Webhook delivery reads them in `seq` order.

use super::{Result, Sqlite};
use rusqlite::{params, Transaction};

/// An event to append: `payload` is the exact JSON `{"type","timestamp","data"}`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub id: String,
    pub org_id: String,
    pub connection_id: Option<String>,
    pub kind: String,
    pub payload: String,
    /// When it was made: kept on SQLite (one process per file, its clock); on PostgreSQL
    /// the database's time at the append is kept instead, the clock every node compares
    /// event times on.
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    pub seq: i64,
    pub id: String,
    pub org_id: String,
    pub connection_id: Option<String>,
    pub kind: String,
    pub payload: String,
    pub created_at: String,
}

/// Appends events inside the caller's transaction.
pub(crate) fn append_events(tx: &Transaction<'_>, events: &[NewEvent]) -> Result<()> {
    let mut statement = tx.prepare_cached(
        "INSERT INTO events (id, org_id, connection_id, type, payload, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for event in events {
        statement.execute(params![
            event.id,
            event.org_id,
            event.connection_id,
            event.kind,
            event.payload,
            event.created_at
        ])?;
    }
    Ok(())
}

impl Sqlite {
    /// Appends events in a transaction of their own (for changes with no other row).
    pub fn append_events(&self, events: &[NewEvent]) -> Result<()> {
        let mut db = self.write();
        let tx = db.transaction()?;
        append_events(&tx, events)?;
        tx.commit()?;
        Ok(())
    }

    /// Up to `limit` events after `seq`, oldest first.
    pub fn events_after(&self, seq: i64, limit: usize) -> Result<Vec<EventRow>> {
        let db = self.read();
        let mut statement = db.prepare(
            "SELECT seq, id, org_id, connection_id, type, payload, created_at FROM events
             WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = statement.query_map(params![seq, limit as i64], |r| {
            Ok(EventRow {
                seq: r.get(0)?,
                id: r.get(1)?,
                org_id: r.get(2)?,
                connection_id: r.get(3)?,
                kind: r.get(4)?,
                payload: r.get(5)?,
                created_at: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
