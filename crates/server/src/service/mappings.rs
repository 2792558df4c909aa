//! Each connection's mappings: version 0 is the bundled default; pushes and rollbacks
//! append versions; the highest is active and the next read uses it.

use super::{check_entity, event, now, Service};
use crate::crypto::sha256_hex;
use crate::error::{Error, Result};
use crate::storage::MappingVersionRow;
use serde::Serialize;
use serde_json::{json, Value};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MappingSummary {
    /// The unified entity, as the model names it (`WorkOrder`).
    pub entity: String,
    pub active_version: i64,
    pub content_hash: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VersionView {
    pub version: i64,
    /// When the version was published. On the database's clock (PostgreSQL), as every node reads it; with SQLite, the server's.
    pub created_at: String,
    /// The name of the API key that pushed it (none for the bundled default).
    pub key_name: Option<String>,
    pub note: Option<String>,
    /// SHA-256 of the mapping text.
    pub content_hash: String,
    /// For a rollback: the version it restored.
    pub rolled_back_to: Option<i64>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PublishOutcome {
    pub entity: String,
    pub version: i64,
    pub previous_version: i64,
    pub content_hash: String,
}

impl From<&MappingVersionRow> for VersionView {
    fn from(row: &MappingVersionRow) -> VersionView {
        VersionView {
            version: row.version,
            created_at: row.created_at.clone(),
            key_name: row.key_name.clone(),
            note: row.note.clone(),
            content_hash: row.content_hash.clone(),
            rolled_back_to: row.rolled_back_to,
        }
    }
}

/// The version an `If-Match` names: `"3"`, `W/"3"` or `3`.
pub fn parse_if_match(value: &str) -> Result<i64> {
    value
        .trim()
        .trim_start_matches("W/")
        .trim_matches('"')
        .parse::<i64>()
        .ok()
        .filter(|v| *v >= 0)
        .ok_or_else(|| {
            Error::bad_request(
                "invalid_if_match",
                format!("If-Match `{value}` is not a mapping version such as \"3\""),
            )
        })
}

impl Service {
    pub fn mappings(&self, org_id: &str, connection_id: &str) -> Result<Vec<MappingSummary>> {
        self.connection_row(org_id, connection_id)?;
        Ok(self
            .storage
            .active_mappings(connection_id)?
            .into_iter()
            .map(|row| MappingSummary {
                entity: row.entity,
                active_version: row.version,
                content_hash: row.content_hash,
                updated_at: row.created_at,
            })
            .collect())
    }

    /// The active mapping of an entity.
    pub fn mapping(
        &self,
        org_id: &str,
        connection_id: &str,
        entity: &str,
    ) -> Result<MappingVersionRow> {
        self.connection_row(org_id, connection_id)?;
        let entity = check_entity(entity)?;
        self.storage
            .active_mapping(connection_id, entity)?
            .ok_or_else(|| Error::NotFound(format!("a {entity} mapping on this connection")))
    }

    /// Loads `body` with the engine (the CLI's and studio's loader) and, when it loads
    /// cleanly and `if_match` is the active version, appends it as the new version.
    #[allow(clippy::too_many_arguments)]
    pub fn publish(
        &self,
        org_id: &str,
        connection_id: &str,
        entity: &str,
        if_match: Option<&str>,
        body: &str,
        key_name: Option<&str>,
        note: Option<&str>,
    ) -> Result<PublishOutcome> {
        self.connection_row(org_id, connection_id)?;
        let entity = check_entity(entity)?;
        let expected = parse_if_match(if_match.ok_or(Error::IfMatchRequired)?)?;
        if let Some(note) = note {
            if note.len() > 2000 {
                return Err(Error::bad_request(
                    "invalid_note",
                    "a note is at most 2000 bytes",
                ));
            }
        }
        let file = format!("{entity}.json");
        let mapping = unifield_engine::load(body, Some(&file)).map_err(|e| {
            Error::InvalidMapping(
                e.problems
                    .iter()
                    .map(|p| serde_json::to_value(p).unwrap_or(Value::Null))
                    .collect(),
            )
        })?;
        if mapping.doc.target.entity != entity {
            return Err(Error::InvalidMapping(vec![json!({
                "severity": "error",
                "code": "wrong_target_entity",
                "message": format!("the mapping targets `{}`, but it was pushed as the {entity} mapping", mapping.doc.target.entity),
                "file": file,
            })]));
        }
        let hash = sha256_hex(body);
        let published = self.storage.publish_mapping(
            connection_id,
            entity,
            expected,
            body,
            &hash,
            key_name,
            note,
            None,
            &now(),
            |version| {
                event(
                    org_id,
                    Some(connection_id),
                    "mapping.published",
                    json!({"entity": entity, "version": version, "previous_version": expected,
                           "content_hash": hash, "key_name": key_name, "note": note}),
                )
                .into_iter()
                .collect()
            },
        )?;
        match published {
            Ok(version) => {
                self.resync_after_push(org_id, connection_id);
                Ok(PublishOutcome {
                    entity: entity.to_string(),
                    version,
                    previous_version: expected,
                    content_hash: hash,
                })
            }
            Err(stale) => Err(Error::Stale {
                active: stale.active,
            }),
        }
    }

    /// A mapping now active that reads what the cached records lack (collections,
    /// references' members) makes the connection's next sync, which pulls those entities
    /// whole, due now. The push is kept either way: when this fails, the next scheduled
    /// sync does the same.
    fn resync_after_push(&self, org_id: &str, connection_id: &str) {
        if let Err(error) = self.sync_now_if_behind(org_id, connection_id) {
            eprintln!(
                "unifield-server: re-sync after a push not scheduled: {error} [{}]",
                error.code()
            );
        }
    }

    pub fn versions(
        &self,
        org_id: &str,
        connection_id: &str,
        entity: &str,
    ) -> Result<Vec<VersionView>> {
        self.connection_row(org_id, connection_id)?;
        let entity = check_entity(entity)?;
        Ok(self
            .storage
            .mapping_versions(connection_id, entity)?
            .iter()
            .map(VersionView::from)
            .collect())
    }

    pub fn version(
        &self,
        org_id: &str,
        connection_id: &str,
        entity: &str,
        version: i64,
    ) -> Result<MappingVersionRow> {
        self.connection_row(org_id, connection_id)?;
        let entity = check_entity(entity)?;
        self.storage
            .mapping_version(connection_id, entity, version)?
            .ok_or_else(|| Error::NotFound(format!("{entity} mapping version {version}")))
    }

    /// Appends a new version equal to `version`.
    pub fn rollback(
        &self,
        org_id: &str,
        connection_id: &str,
        entity: &str,
        version: i64,
        key_name: Option<&str>,
    ) -> Result<PublishOutcome> {
        let target = self.version(org_id, connection_id, entity, version)?;
        let entity = check_entity(entity)?;
        let active = self
            .storage
            .active_version(connection_id, entity)?
            .unwrap_or(0);
        let note = format!("rollback to version {version}");
        let published = self.storage.publish_mapping(
            connection_id,
            entity,
            active,
            &target.body,
            &target.content_hash,
            key_name,
            Some(&note),
            Some(version),
            &now(),
            |new_version| {
                event(
                    org_id,
                    Some(connection_id),
                    "mapping.rolled_back",
                    json!({"entity": entity, "version": new_version, "previous_version": active,
                           "restored_version": version, "content_hash": target.content_hash,
                           "key_name": key_name}),
                )
                .into_iter()
                .collect()
            },
        )?;
        match published {
            Ok(new_version) => {
                self.resync_after_push(org_id, connection_id);
                Ok(PublishOutcome {
                    entity: entity.to_string(),
                    version: new_version,
                    previous_version: active,
                    content_hash: target.content_hash.clone(),
                })
            }
            Err(stale) => Err(Error::Stale {
                active: stale.active,
            }),
        }
    }
}
