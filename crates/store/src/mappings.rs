//! Mappings and their immutable history; saved test cases.

use crate::{timestamp, Result, Store, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row};
use serde_json::Value;

/// One saved version of a mapping (canonical JSON text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingVersion {
    pub mapping: String,
    pub version: u32,
    pub text: String,
    pub message: Option<String>,
    pub saved_at: String,
}

/// A source record and the unified output a mapping must give for it.
#[derive(Debug, Clone, PartialEq)]
pub struct TestCase {
    pub name: String,
    pub record: Value,
    pub expected: Value,
    pub saved_at: String,
}

fn version_from_row(row: &Row) -> rusqlite::Result<MappingVersion> {
    Ok(MappingVersion {
        mapping: row.get("name")?,
        version: row.get("version")?,
        text: row.get("text")?,
        message: row.get("message")?,
        saved_at: row.get("saved_at")?,
    })
}

const VERSION_COLUMNS: &str = "SELECT m.name, v.version, v.text, v.message, v.saved_at FROM mapping_versions v JOIN mappings m ON m.id = v.mapping_id";

impl Store {
    /// Saves `text` as the mapping's next version, creating the mapping on first save.
    /// Saving the same text as the latest version changes nothing and returns it.
    pub fn save_mapping(
        &mut self,
        name: &str,
        text: &str,
        message: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<MappingVersion> {
        let saved_at = timestamp(at);
        let tx = self.db.transaction()?;
        tx.execute(
            "INSERT OR IGNORE INTO mappings (name, created_at) VALUES (?1, ?2)",
            params![name, saved_at],
        )?;
        let mapping_id: i64 =
            tx.query_row("SELECT id FROM mappings WHERE name = ?1", [name], |row| {
                row.get(0)
            })?;
        let latest: Option<(u32, String)> = tx
            .query_row(
                "SELECT version, text FROM mapping_versions WHERE mapping_id = ?1 ORDER BY version DESC LIMIT 1",
                [mapping_id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let version = match latest {
            Some((version, latest_text)) if latest_text == text => {
                tx.commit()?;
                return self.mapping_version(name, version);
            }
            Some((version, _)) => version + 1,
            None => 1,
        };
        tx.execute(
            "INSERT INTO mapping_versions (mapping_id, version, text, message, saved_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![mapping_id, version, text, message, saved_at],
        )?;
        tx.commit()?;
        self.mapping_version(name, version)
    }

    pub fn mapping_version(&self, name: &str, version: u32) -> Result<MappingVersion> {
        self.db
            .query_row(
                &format!("{VERSION_COLUMNS} WHERE m.name = ?1 AND v.version = ?2"),
                params![name, version],
                version_from_row,
            )
            .optional()?
            .ok_or_else(|| StoreError::UnknownVersion(name.to_string(), version))
    }

    /// Every version of a mapping, newest first.
    pub fn mapping_history(&self, name: &str) -> Result<Vec<MappingVersion>> {
        let mut statement = self.db.prepare(&format!(
            "{VERSION_COLUMNS} WHERE m.name = ?1 ORDER BY v.version DESC"
        ))?;
        let versions: Vec<MappingVersion> = statement
            .query_map([name], version_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        if versions.is_empty() {
            return Err(StoreError::UnknownMapping(name.to_string()));
        }
        Ok(versions)
    }

    /// The latest version of every mapping, by name.
    pub fn latest_mappings(&self) -> Result<Vec<MappingVersion>> {
        let mut statement = self.db.prepare(&format!(
            "{VERSION_COLUMNS} WHERE v.version = (SELECT MAX(version) FROM mapping_versions WHERE mapping_id = m.id) ORDER BY m.name"
        ))?;
        let rows = statement.query_map([], version_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Saves (or replaces) a named test case of a mapping.
    pub fn save_test_case(
        &self,
        mapping: &str,
        name: &str,
        record: &Value,
        expected: &Value,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mapping_id: i64 = self
            .db
            .query_row(
                "SELECT id FROM mappings WHERE name = ?1",
                [mapping],
                |row| row.get(0),
            )
            .optional()?
            .ok_or_else(|| StoreError::UnknownMapping(mapping.to_string()))?;
        self.db.execute(
            "INSERT INTO test_cases (mapping_id, name, record, expected, saved_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (mapping_id, name) DO UPDATE SET record = excluded.record, expected = excluded.expected, saved_at = excluded.saved_at",
            params![mapping_id, name, serde_json::to_string(record)?, serde_json::to_string(expected)?, timestamp(at)],
        )?;
        Ok(())
    }

    pub fn test_cases(&self, mapping: &str) -> Result<Vec<TestCase>> {
        let mut statement = self.db.prepare(
            "SELECT t.name, t.record, t.expected, t.saved_at FROM test_cases t JOIN mappings m ON m.id = t.mapping_id WHERE m.name = ?1 ORDER BY t.name",
        )?;
        let rows = statement.query_map([mapping], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (name, record, expected, saved_at) = row?;
            out.push(TestCase {
                name,
                record: serde_json::from_str(&record)?,
                expected: serde_json::from_str(&expected)?,
                saved_at,
            });
        }
        Ok(out)
    }
}
