//! Syncing a connection: every Corrigo entity its active mappings read, page by page,
//! each page committed with its run's count and its events in one transaction, so a
//! failed sync keeps what it committed. After the first complete run an entity is pulled
//! incrementally from the highest `LastActionDateUtc` it has seen.

use super::{event, now, Service};
use crate::crypto::sha256_hex;
use crate::error::{Error, Result};
use crate::storage::{ConnectionRow, NewEvent, PageChange};
use serde::Serialize;
use serde_json::{json, Value};
use std::sync::Arc;
use unifield_corrigo_client::{
    pull_property_set, ClientError, Filter, Operator, QueryExpression, RecordText,
};
use unifield_engine::{Mapping, MemberRead, Related};

/// Syncs the scheduler runs at once on this node.
pub const MAX_CONCURRENT_SYNCS: usize = 8;

/// The member incremental syncs filter on.
const CHANGED_AT: &str = "LastActionDateUtc";

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SyncOutcome {
    /// `completed`, `failed` or `reauthorization_required`.
    pub status: String,
    pub records: u64,
    pub error: Option<String>,
}

/// Removes a connection from the in-flight set when the sync ends, however it ends.
struct InFlight<'a> {
    service: &'a Service,
    id: String,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if let Err(error) = self
            .service
            .storage
            .release_sync_lease(&self.id, &self.service.node)
        {
            // The lease then expires on its own.
            eprintln!(
                "unifield-server: sync lease not released: {error} [{}]",
                error.code()
            );
        }
        self.service
            .syncing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.id);
    }
}

/// The record's key in the cache: its `Id` as text (a string as is), empty without one.
fn source_id(record: &RecordText) -> String {
    match &record.id {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The record's `LastActionDateUtc` when it is a string, read from its text without
/// building the record (serde skips the other members).
fn changed_at(record: &RecordText) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct ChangedAt {
        #[serde(rename = "LastActionDateUtc", default)]
        at: Option<Value>,
    }
    let at = match serde_json::from_str::<ChangedAt>(&record.json) {
        Ok(read) => read.at,
        // A member named twice: the record as a value keeps the last, as before.
        Err(_) => serde_json::from_str::<Value>(&record.json)
            .ok()
            .and_then(|mut v| v.get_mut(CHANGED_AT).map(Value::take)),
    };
    match at {
        Some(Value::String(at)) => Some(at),
        _ => None,
    }
}

impl Service {
    /// Asks for a sync of the connection as soon as possible (the scheduler runs it).
    pub fn request_sync(&self, org_id: &str, connection_id: &str) -> Result<()> {
        let row = self.connection_row(org_id, connection_id)?;
        if row.status == "reauthorization_required" {
            return Err(Error::Forbidden {
                code: "reauthorization_required",
                message: "Corrigo refused this connection's credentials; send current ones with PUT …/credentials first".into(),
            });
        }
        if self.is_syncing(connection_id) {
            return Err(Error::Conflict(
                "a sync of this connection is running; follow it at …/status".into(),
            ));
        }
        self.storage.set_next_sync(connection_id, Some(&now()))?;
        self.wake.notify_one();
        Ok(())
    }

    /// Starts syncs of every due connection not already syncing; returns how many began.
    pub fn start_due_syncs(self: &Arc<Self>) -> Result<usize> {
        let due = self.storage.due_connections(&now())?;
        let mut started = 0;
        for row in due {
            let service = Arc::clone(self);
            if self.is_syncing(&row.id) {
                continue;
            }
            // At most MAX_CONCURRENT_SYNCS at once; the rest stay due for the next tick.
            if self.syncing.lock().unwrap_or_else(|p| p.into_inner()).len() >= MAX_CONCURRENT_SYNCS
            {
                break;
            }
            started += 1;
            tokio::spawn(async move {
                if let Err(error) = service.sync(row).await {
                    eprintln!(
                        "unifield-server: sync could not run: {error} [{}]",
                        error.code()
                    );
                }
            });
        }
        Ok(started)
    }

    /// Takes or renews this node's lease on the connection's sync; false when another
    /// node holds it.
    fn renew_sync_lease(&self, connection_id: &str) -> Result<bool> {
        let at = chrono::Utc::now();
        let lease = chrono::Duration::from_std(self.settings.sync_lease)
            .unwrap_or_else(|_| chrono::Duration::minutes(2));
        Ok(self.storage.lease_sync(
            connection_id,
            &self.node,
            &crate::storage::timestamp(at),
            &crate::storage::timestamp(at + lease),
        )?)
    }

    pub fn is_syncing(&self, connection_id: &str) -> bool {
        self.syncing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(connection_id)
    }

    /// Syncs one connection now and returns how it ended.
    pub async fn sync_connection(&self, org_id: &str, connection_id: &str) -> Result<SyncOutcome> {
        let row = self.connection_row(org_id, connection_id)?;
        self.sync(row).await
    }

    async fn sync(&self, row: ConnectionRow) -> Result<SyncOutcome> {
        {
            let mut syncing = self.syncing.lock().unwrap_or_else(|p| p.into_inner());
            if !syncing.insert(row.id.clone()) {
                return Err(Error::Conflict(
                    "a sync of this connection is running".into(),
                ));
            }
        }
        if !self.renew_sync_lease(&row.id)? {
            self.syncing
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&row.id);
            return Err(Error::Conflict(
                "a sync of this connection is running on another node".into(),
            ));
        }
        let _in_flight = InFlight {
            service: self,
            id: row.id.clone(),
        };
        let settled_before = row.status.clone();
        let run = self.storage.begin_sync(&row.id, &now(), &[])?;
        let mut records = 0u64;
        let result = self.pull_all(&row, run, &mut records).await;
        let interval = chrono::Duration::from_std(self.settings.sync_interval)
            .unwrap_or_else(|_| chrono::Duration::minutes(15));
        let next = crate::storage::timestamp(chrono::Utc::now() + interval);
        let (run_status, connection_status, error, next_sync) = match &result {
            Ok(()) => ("completed", "ok", None, Some(next.as_str())),
            Err(SyncFailure::Refused(reason)) => (
                "reauthorization_required",
                "reauthorization_required",
                Some(reason.clone()),
                None,
            ),
            Err(SyncFailure::Other(reason)) => {
                ("failed", "error", Some(reason.clone()), Some(next.as_str()))
            }
        };
        let mut events: Vec<NewEvent> = Vec::new();
        let data = json!({"sync_run": run, "records": records, "error": error});
        events.push(event(
            &row.org_id,
            Some(&row.id),
            if run_status == "completed" {
                "sync.completed"
            } else {
                "sync.failed"
            },
            data,
        )?);
        if connection_status == "reauthorization_required" {
            events.push(event(
                &row.org_id,
                Some(&row.id),
                "connection.reauthorization_required",
                json!({"reason": error, "action": "PUT /api/connections/{id}/credentials with current credentials"}),
            )?);
        }
        let settled_before = if settled_before == "syncing" {
            "ok".to_string()
        } else {
            settled_before
        };
        if settled_before != connection_status {
            events.push(event(
                &row.org_id,
                Some(&row.id),
                "connection.status_changed",
                json!({"from": settled_before, "to": connection_status, "reason": error}),
            )?);
        }
        self.storage.finish_sync(
            &row.id,
            run,
            run_status,
            error.as_deref(),
            error.as_deref(),
            connection_status,
            next_sync,
            &now(),
            &events,
        )?;
        Ok(SyncOutcome {
            status: run_status.to_string(),
            records,
            error,
        })
    }

    async fn pull_all(
        &self,
        row: &ConnectionRow,
        run: i64,
        records: &mut u64,
    ) -> std::result::Result<(), SyncFailure> {
        let client = Arc::new(
            self.client(row)
                .map_err(|e| SyncFailure::Other(e.to_string()))?,
        );
        let active = self
            .storage
            .active_mappings(&row.id)
            .map_err(|e| SyncFailure::Other(e.to_string()))?;
        // The Corrigo entities the mappings read, each once.
        let mut entities: Vec<String> = Vec::new();
        // What the mappings of each entity read: the sync asks Corrigo for exactly that
        // (`*` alone leaves out collections and references' members).
        let mut reads: Vec<(String, MemberRead)> = Vec::new();
        let mut work_orders: Option<Arc<Mapping>> = None;
        for mapping in &active {
            let compiled = self
                .compiled(&row.id, &mapping.entity, mapping.version, &mapping.body)
                .map_err(|e| SyncFailure::Other(e.to_string()))?;
            if mapping.entity == "WorkOrder" {
                work_orders = Some(Arc::clone(&compiled));
            }
            let source = compiled.doc.source.entity.clone();
            // A mapping whose paths can reach anywhere (`$..Id`) adds nothing to `*`.
            for read in compiled.member_reads().unwrap_or_default() {
                reads.push((source.clone(), read));
            }
            if !entities.contains(&source) {
                entities.push(source);
            }
        }
        // Work orders first (what integrators read most), then the bundle's order.
        let order = unifield_bundle::source_entities();
        entities.sort_by_key(|e| order.iter().position(|o| o == e).unwrap_or(order.len()));
        for entity in &entities {
            let watermark = self
                .storage
                .watermark(&row.id, entity)
                .map_err(|e| SyncFailure::Other(e.to_string()))?;
            let since = watermark.clone().flatten();
            let mut criteria = Filter::and();
            if let Some(since) = since.as_deref() {
                criteria = criteria.condition(CHANGED_AT, Operator::GreaterOrEqual, &[since]);
            }
            let properties = pull_property_set(
                reads
                    .iter()
                    .filter(|(source, _)| source == entity)
                    .map(|(_, read)| (read.names.as_slice(), read.whole)),
            );
            let properties: Vec<&str> = properties.iter().map(String::as_str).collect();
            let expression = QueryExpression::default()
                .properties(&properties)
                .criteria(criteria);
            let mut highest: Option<String> = since.clone();
            let mut seen_changed_at = watermark.is_some() && since.is_some();
            let mut commit_error: Option<String> = None;
            let event_mapping = work_orders
                .as_ref()
                .filter(|m| m.doc.source.entity == *entity)
                .cloned();
            // Lookups read what earlier syncs cached of the entities they name.
            let related = match &event_mapping {
                Some(mapping) => self
                    .related_for(&row.id, mapping)
                    .map_err(|e| SyncFailure::Other(e.to_string()))?,
                None => Related::default(),
            };
            let pulled = client
                // Records are stored as the text Corrigo sent (whitespace between tokens
                // taken out): only the changed work orders are parsed, for their events.
                .pull_text(entity, expression, self.settings.page_size, 2, |_, page| {
                    let mut rows = Vec::with_capacity(page.len());
                    for record in page {
                        if let Some(at) = changed_at(&record) {
                            seen_changed_at = true;
                            if highest.as_deref().is_none_or(|h| at.as_str() > h) {
                                highest = Some(at);
                            }
                        }
                        let hash = sha256_hex(&record.json);
                        rows.push((source_id(&record), record.json, hash));
                    }
                    let committed =
                        self.storage
                            .commit_page(&row.id, entity, run, &rows, &now(), |changes| {
                                work_order_events(
                                    row,
                                    event_mapping.as_deref(),
                                    &related,
                                    &rows,
                                    changes,
                                )
                            });
                    // Renewed after every page: a lease lost meanwhile (this node
                    // stalled past it and another took over) stops this sync.
                    let committed = committed.map_err(|e| e.to_string()).and_then(|_| {
                        match self.renew_sync_lease(&row.id) {
                            Ok(true) => Ok(()),
                            Ok(false) => Err("the sync lease passed to another node".to_string()),
                            Err(error) => Err(error.to_string()),
                        }
                    });
                    match committed {
                        Ok(()) => {
                            *records += rows.len() as u64;
                            true
                        }
                        Err(error) => {
                            commit_error = Some(error);
                            false
                        }
                    }
                })
                .await;
            if let Some(error) = commit_error {
                return Err(SyncFailure::Other(error));
            }
            match pulled {
                Ok(()) => {}
                Err(ClientError::ReauthorizationRequired(reason)) => {
                    return Err(SyncFailure::Refused(reason))
                }
                Err(other) => return Err(SyncFailure::Other(other.to_string())),
            }
            // Entities without the member are pulled whole every time (the content hash
            // still tells changed records from unchanged ones).
            let since = if seen_changed_at { highest } else { None };
            self.storage
                .set_watermark(&row.id, entity, since.as_deref())
                .map_err(|e| SyncFailure::Other(e.to_string()))?;
        }
        Ok(())
    }
}

enum SyncFailure {
    /// Corrigo refused the credentials.
    Refused(String),
    Other(String),
}

/// `work_order.created` / `work_order.updated` for the page's changed work orders, each
/// carrying the unified record made with the active mapping. `rows` are the page's
/// (source id, text, content hash), in the order of `changes`.
fn work_order_events(
    row: &ConnectionRow,
    mapping: Option<&Mapping>,
    related: &Related,
    rows: &[(String, String, String)],
    changes: &[PageChange],
) -> Vec<NewEvent> {
    let Some(mapping) = mapping else {
        return Vec::new();
    };
    let mut events = Vec::new();
    for ((_, text, _), change) in rows.iter().zip(changes) {
        let kind = match change {
            PageChange::Created => "work_order.created",
            PageChange::Updated => "work_order.updated",
            PageChange::Unchanged => continue,
        };
        // Checked JSON already (the client parsed the page), so this does not fail.
        let Ok(record) = serde_json::from_str::<Value>(text) else {
            continue;
        };
        let applied = mapping.apply(&record, related);
        let Some(unified) = super::unified::unified_record(mapping, applied) else {
            continue;
        };
        if let Ok(e) = event(&row.org_id, Some(&row.id), kind, json!({"record": unified})) {
            events.push(e);
        }
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(json: &str) -> RecordText {
        RecordText {
            id: serde_json::from_str::<Value>(json).unwrap()["Id"].clone(),
            json: json.to_string(),
        }
    }

    #[test]
    fn the_change_time_and_key_are_read_from_the_text_as_from_the_value() {
        let read = |json: &str| {
            let record = text(json);
            (changed_at(&record), source_id(&record))
        };
        assert_eq!(
            read(
                r#"{"Id":7,"LastActionDateUtc":"2026-01-02T03:04:05Z","Items":[{"LastActionDateUtc":"x"}]}"#
            ),
            (Some("2026-01-02T03:04:05Z".into()), "7".into())
        );
        // Only a string is a change time; a string Id is the key as is.
        assert_eq!(
            read(r#"{"Id":"A-9","LastActionDateUtc":5}"#),
            (None, "A-9".into())
        );
        assert_eq!(read(r#"{"Number":"no id"}"#), (None, String::new()));
        // A member named twice: the last, as the record's value has it.
        assert_eq!(
            read(r#"{"Id":1,"LastActionDateUtc":"a","LastActionDateUtc":"b"}"#).0,
            Some("b".into())
        );
    }
}
