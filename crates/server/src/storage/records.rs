//! Raw Corrigo records cached per connection. A sync commits each page in one
//! transaction with its run's progress and the events its changes cause.

use super::events::{append_events, NewEvent};
use super::{Result, Sqlite, StorageError};
use rusqlite::{params, OptionalExtension};

#[derive(Debug, Clone, PartialEq)]
pub struct RawRecord {
    /// Storage order; the raw paging cursor.
    pub id: i64,
    pub source_id: String,
    /// The record's JSON text, as Corrigo sent it.
    pub body: String,
}

/// What committing one record of a page did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageChange {
    Created,
    Updated,
    Unchanged,
}

impl Sqlite {
    /// Upserts a page of `(source id, JSON text, content hash)` records, adds them to the
    /// run's count and appends the events `events(changes)` makes, in one transaction,
    /// while the run is still running (else [`StorageError::SyncRunEnded`], nothing
    /// written): a run whose lease another node took over was failed by that take-over,
    /// so a stalled node cannot write another page over the new holder's.
    pub fn commit_page(
        &self,
        connection_id: &str,
        entity: &str,
        run: i64,
        records: &[(String, String, String)],
        now: &str,
        events: impl FnOnce(&[PageChange]) -> Vec<NewEvent>,
    ) -> Result<Vec<PageChange>> {
        let mut db = self.write();
        let tx = db.transaction()?;
        let running: bool = tx.query_row(
            "SELECT EXISTS(SELECT 1 FROM sync_runs WHERE id = ?1 AND status = 'running')",
            [run],
            |r| r.get(0),
        )?;
        if !running {
            return Err(StorageError::SyncRunEnded { run });
        }
        let mut changes = Vec::with_capacity(records.len());
        {
            let mut existing = tx.prepare_cached(
                "SELECT content_hash FROM raw_records WHERE connection_id = ?1 AND entity = ?2 AND source_id = ?3",
            )?;
            let mut upsert = tx.prepare_cached(
                "INSERT INTO raw_records (connection_id, entity, source_id, body, content_hash, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(connection_id, entity, source_id) DO UPDATE SET
                    body = excluded.body, content_hash = excluded.content_hash, updated_at = excluded.updated_at",
            )?;
            for (source_id, body, hash) in records {
                let before: Option<String> = existing
                    .query_row(params![connection_id, entity, source_id], |r| r.get(0))
                    .optional()?;
                let change = match before {
                    None => PageChange::Created,
                    Some(before) if &before != hash => PageChange::Updated,
                    Some(_) => PageChange::Unchanged,
                };
                if change != PageChange::Unchanged {
                    upsert.execute(params![connection_id, entity, source_id, body, hash, now])?;
                }
                changes.push(change);
            }
        }
        tx.execute(
            "UPDATE sync_runs SET records = records + ?2 WHERE id = ?1",
            params![run, records.len() as i64],
        )?;
        append_events(&tx, &events(&changes))?;
        tx.commit()?;
        let created = changes
            .iter()
            .filter(|c| **c == PageChange::Created)
            .count();
        if let Some(count) = self
            .record_counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(&(connection_id.to_string(), entity.to_string()))
        {
            *count += created;
        }
        Ok(changes)
    }

    /// Up to `limit` records stored after cursor `after` (0: from the start).
    pub fn raw_page(
        &self,
        connection_id: &str,
        entity: &str,
        after: i64,
        limit: usize,
    ) -> Result<Vec<RawRecord>> {
        let db = self.read();
        let mut statement = db.prepare_cached(
            "SELECT id, source_id, body FROM raw_records WHERE connection_id = ?1 AND entity = ?2 AND id > ?3
             ORDER BY id LIMIT ?4",
        )?;
        let rows =
            statement.query_map(params![connection_id, entity, after, limit as i64], |r| {
                Ok(RawRecord {
                    id: r.get(0)?,
                    source_id: r.get(1)?,
                    body: r.get(2)?,
                })
            })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// `limit` records from position `offset` in storage order. The offset is walked on
    /// the (connection, entity, id) index alone, from the nearest offset seen before, then
    /// the page read from there: paging through every page costs one page each.
    pub fn raw_slice(
        &self,
        connection_id: &str,
        entity: &str,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<RawRecord>> {
        let key = (connection_id.to_string(), entity.to_string());
        let known = self
            .page_starts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .and_then(|starts| starts.range(..=offset).next_back())
            .map(|(position, id)| (*position, *id));
        let (after, skip) = match known {
            Some((position, id)) => (id - 1, offset - position),
            None => (0, offset),
        };
        let first: Option<i64> = {
            let db = self.read();
            let mut statement = db.prepare_cached(
                "SELECT id FROM raw_records WHERE connection_id = ?1 AND entity = ?2 AND id > ?3
                 ORDER BY id LIMIT 1 OFFSET ?4",
            )?;
            statement
                .query_row(params![connection_id, entity, after, skip as i64], |r| {
                    r.get(0)
                })
                .optional()?
        };
        let Some(first) = first else {
            return Ok(Vec::new());
        };
        {
            let mut starts = self.page_starts.lock().unwrap_or_else(|p| p.into_inner());
            // Bounded: a few hundred thousand offsets at most, then start over.
            if starts.values().map(|s| s.len()).sum::<usize>() > 200_000 {
                starts.clear();
            }
            starts.entry(key).or_default().insert(offset, first);
        }
        self.raw_page(connection_id, entity, first - 1, limit)
    }

    pub fn raw_count(&self, connection_id: &str, entity: &str) -> Result<usize> {
        let key = (connection_id.to_string(), entity.to_string());
        if let Some(count) = self
            .record_counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return Ok(*count);
        }
        // Counted under the writer's lock, so no page commits between the count and
        // caching it.
        let db = self.write();
        let count: i64 = db.query_row(
            "SELECT COUNT(*) FROM raw_records WHERE connection_id = ?1 AND entity = ?2",
            [connection_id, entity],
            |r| r.get(0),
        )?;
        self.record_counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, count as usize);
        Ok(count as usize)
    }

    /// Calls `each` with every record of the entity in storage order.
    pub fn each_raw(
        &self,
        connection_id: &str,
        entity: &str,
        mut each: impl FnMut(RawRecord),
    ) -> Result<()> {
        let db = self.read();
        let mut statement = db.prepare_cached(
            "SELECT id, source_id, body FROM raw_records WHERE connection_id = ?1 AND entity = ?2 ORDER BY id",
        )?;
        let mut rows = statement.query([connection_id, entity])?;
        while let Some(r) = rows.next()? {
            each(RawRecord {
                id: r.get(0)?,
                source_id: r.get(1)?,
                body: r.get(2)?,
            });
        }
        Ok(())
    }

    /// The records with these storage ids, in the order given (missing ones skipped).
    pub fn raw_by_ids(
        &self,
        connection_id: &str,
        entity: &str,
        ids: &[i64],
    ) -> Result<Vec<RawRecord>> {
        let db = self.read();
        let mut statement = db.prepare_cached(
            "SELECT id, source_id, body FROM raw_records WHERE connection_id = ?1 AND entity = ?2 AND id = ?3",
        )?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let found = statement
                .query_row(params![connection_id, entity, id], |r| {
                    Ok(RawRecord {
                        id: r.get(0)?,
                        source_id: r.get(1)?,
                        body: r.get(2)?,
                    })
                })
                .optional()?;
            out.extend(found);
        }
        Ok(out)
    }

    pub fn raw_by_source_id(
        &self,
        connection_id: &str,
        entity: &str,
        source_id: &str,
    ) -> Result<Option<RawRecord>> {
        Ok(self
            .read()
            .query_row(
                "SELECT id, source_id, body FROM raw_records WHERE connection_id = ?1 AND entity = ?2 AND source_id = ?3",
                [connection_id, entity, source_id],
                |r| {
                    Ok(RawRecord {
                        id: r.get(0)?,
                        source_id: r.get(1)?,
                        body: r.get(2)?,
                    })
                },
            )
            .optional()?)
    }
}
