//! Each connection's mapping versions: append-only; the active version of an entity is
//! its highest. Callers check the connection belongs to the organization first.

use super::events::{append_events, NewEvent};
use super::{Result, Sqlite};
use rusqlite::{params, OptionalExtension, Row};

#[derive(Debug, Clone, PartialEq)]
pub struct MappingVersionRow {
    pub entity: String,
    pub version: i64,
    pub body: String,
    pub content_hash: String,
    pub key_name: Option<String>,
    pub note: Option<String>,
    pub rolled_back_to: Option<i64>,
    pub created_at: String,
}

const COLUMNS: &str =
    "entity, version, body, content_hash, key_name, note, rolled_back_to, created_at";

fn version_row(r: &Row<'_>) -> rusqlite::Result<MappingVersionRow> {
    Ok(MappingVersionRow {
        entity: r.get(0)?,
        version: r.get(1)?,
        body: r.get(2)?,
        content_hash: r.get(3)?,
        key_name: r.get(4)?,
        note: r.get(5)?,
        rolled_back_to: r.get(6)?,
        created_at: r.get(7)?,
    })
}

/// A publish that found another version active than the caller expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    pub active: i64,
}

impl Sqlite {
    /// The active version of every entity of a connection.
    pub fn active_mappings(&self, connection_id: &str) -> Result<Vec<MappingVersionRow>> {
        let db = self.read();
        let mut statement = db.prepare(&format!(
            "SELECT {COLUMNS} FROM mapping_versions m
             WHERE connection_id = ?1 AND version = (SELECT MAX(version) FROM mapping_versions
                  WHERE connection_id = m.connection_id AND entity = m.entity)
             ORDER BY entity"
        ))?;
        let rows = statement.query_map([connection_id], version_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn active_mapping(
        &self,
        connection_id: &str,
        entity: &str,
    ) -> Result<Option<MappingVersionRow>> {
        Ok(self
            .read()
            .query_row(
                &format!(
                    "SELECT {COLUMNS} FROM mapping_versions WHERE connection_id = ?1 AND entity = ?2
                     ORDER BY version DESC LIMIT 1"
                ),
                [connection_id, entity],
                version_row,
            )
            .optional()?)
    }

    /// The active version number alone (cheap: the primary key).
    pub fn active_version(&self, connection_id: &str, entity: &str) -> Result<Option<i64>> {
        Ok(self.read().query_row(
            "SELECT MAX(version) FROM mapping_versions WHERE connection_id = ?1 AND entity = ?2",
            [connection_id, entity],
            |r| r.get(0),
        )?)
    }

    pub fn mapping_versions(
        &self,
        connection_id: &str,
        entity: &str,
    ) -> Result<Vec<MappingVersionRow>> {
        let db = self.read();
        let mut statement = db.prepare(&format!(
            "SELECT {COLUMNS} FROM mapping_versions WHERE connection_id = ?1 AND entity = ?2 ORDER BY version"
        ))?;
        let rows = statement.query_map([connection_id, entity], version_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn mapping_version(
        &self,
        connection_id: &str,
        entity: &str,
        version: i64,
    ) -> Result<Option<MappingVersionRow>> {
        Ok(self
            .read()
            .query_row(
                &format!(
                    "SELECT {COLUMNS} FROM mapping_versions WHERE connection_id = ?1 AND entity = ?2 AND version = ?3"
                ),
                params![connection_id, entity, version],
                version_row,
            )
            .optional()?)
    }

    /// Appends a version after `expected` (the active version the caller saw), with the
    /// events `events(new_version)` makes, in one transaction. `Err(Stale)` when another
    /// version became active meanwhile; nothing is written then.
    #[allow(clippy::too_many_arguments)]
    pub fn publish_mapping(
        &self,
        connection_id: &str,
        entity: &str,
        expected: i64,
        body: &str,
        content_hash: &str,
        key_name: Option<&str>,
        note: Option<&str>,
        rolled_back_to: Option<i64>,
        now: &str,
        events: impl FnOnce(i64) -> Vec<NewEvent>,
    ) -> Result<std::result::Result<i64, Stale>> {
        let mut db = self.write();
        let tx = db.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let active: Option<i64> = tx.query_row(
            "SELECT MAX(version) FROM mapping_versions WHERE connection_id = ?1 AND entity = ?2",
            [connection_id, entity],
            |r| r.get(0),
        )?;
        let active = active.unwrap_or(-1);
        if active != expected {
            return Ok(Err(Stale { active }));
        }
        let version = active + 1;
        tx.execute(
            "INSERT INTO mapping_versions (connection_id, entity, version, body, content_hash, key_name, note, rolled_back_to, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![connection_id, entity, version, body, content_hash, key_name, note, rolled_back_to, now],
        )?;
        append_events(&tx, &events(version))?;
        tx.commit()?;
        Ok(Ok(version))
    }
}
