//! Syncing a connection: every Corrigo entity its active mappings read, page by page,
//! each page committed with its run's count and its events in one transaction, so a
//! failed sync keeps what it committed. After the first complete run an entity is pulled
//! incrementally from the highest `LastActionDateUtc` it has seen.
//!
//! An incremental sync re-fetches only changed records, so the server keeps, per entity,
//! the PropertySet every cached record holds (`sync_watermarks.properties`). When the
//! active mappings read something it lacks (a push of a mapping that reads more), the
//! entity is pulled whole again, and the push asks for that sync at once; until it
//! completes the raw endpoint says the smaller set.

use super::{event, now, Service};
use crate::crypto::sha256_hex;
use crate::error::{Error, Result};
use crate::storage::{ConnectionRow, NewEvent, PageChange};
use serde::Serialize;
use serde_json::{json, Value};
use std::sync::Arc;
use unifield_corrigo_client::{
    property_set_covers, pull_property_set, ClientError, Filter, Operator, QueryExpression,
    RecordText,
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

/// Whether records pulled with PropertySet `set` hold what the PropertySet entry
/// `property` asks for (`*`, `X.*` or a dot path).
fn set_holds(set: &[String], property: &str) -> bool {
    if property == "*" {
        return set.iter().any(|p| p == "*");
    }
    let (path, whole) = match property.strip_suffix(".*") {
        Some(path) => (path, true),
        None => (property, false),
    };
    let names: Vec<String> = path.split('.').map(String::from).collect();
    property_set_covers(set, &names, whole)
}

/// What records pulled with `a` and records pulled with `b` all hold: the entries of
/// either set that both sets cover (`[*, Items.*]` and `[*, Items.Id]` give `[*, Items.Id]`).
pub(crate) fn property_set_meet(a: &[String], b: &[String]) -> Vec<String> {
    let mut meet: Vec<String> = Vec::new();
    for property in a.iter().chain(b) {
        if set_holds(a, property)
            && set_holds(b, property)
            && !meet.iter().any(|m| m.eq_ignore_ascii_case(property))
        {
            meet.push(property.clone());
        }
    }
    meet
}

/// What the active mappings of a connection make its syncs pull.
pub(crate) struct SyncPlan {
    /// The Corrigo entities the mappings read, each once, in pull order.
    pub entities: Vec<String>,
    /// What the mappings of each Corrigo entity read.
    pub reads: Vec<(String, MemberRead)>,
    /// The active work order mapping (it makes the `work_order.*` events).
    pub work_orders: Option<Arc<Mapping>>,
}

impl SyncPlan {
    /// The PropertySet a sync asks Corrigo for when it pulls `entity`: `*` plus what the
    /// mappings of that source read (collections, members of references).
    pub fn properties(&self, entity: &str) -> Vec<String> {
        pull_property_set(
            self.reads_of(entity)
                .map(|read| (read.names.as_slice(), read.whole)),
        )
    }

    fn reads_of<'a>(&'a self, entity: &'a str) -> impl Iterator<Item = &'a MemberRead> + 'a {
        self.reads
            .iter()
            .filter(move |(source, _)| source == entity)
            .map(|(_, read)| read)
    }

    /// Whether records holding `cached` lack something the mappings of `entity` read.
    pub fn lacks(&self, entity: &str, cached: &[String]) -> bool {
        self.reads_of(entity)
            .any(|read| !property_set_covers(cached, &read.names, read.whole))
    }
}

impl Service {
    /// What the connection's active mappings make its syncs pull.
    pub(crate) fn sync_plan(&self, connection_id: &str) -> Result<SyncPlan> {
        let mut plan = SyncPlan {
            entities: Vec::new(),
            reads: Vec::new(),
            work_orders: None,
        };
        for mapping in self.storage.active_mappings(connection_id)? {
            let compiled = self.compiled(
                connection_id,
                &mapping.entity,
                mapping.version,
                &mapping.body,
            )?;
            if mapping.entity == "WorkOrder" {
                plan.work_orders = Some(Arc::clone(&compiled));
            }
            let source = compiled.doc.source.entity.clone();
            // A mapping whose paths can reach anywhere (`$..Id`) adds nothing to `*`:
            // `*` alone leaves out collections and references' members.
            for read in compiled.member_reads().unwrap_or_default() {
                plan.reads.push((source.clone(), read));
            }
            if !plan.entities.contains(&source) {
                plan.entities.push(source);
            }
        }
        // Work orders first (what integrators read most), then the bundle's order.
        let order = unifield_bundle::source_entities();
        plan.entities
            .sort_by_key(|e| order.iter().position(|o| o == e).unwrap_or(order.len()));
        Ok(plan)
    }

    /// The active mapping version of each entity.
    fn active_versions(&self, connection_id: &str) -> Result<Vec<(String, i64)>> {
        Ok(self
            .storage
            .active_mappings(connection_id)?
            .into_iter()
            .map(|m| (m.entity, m.version))
            .collect())
    }

    /// The PropertySet every cached record of `entity` holds; None when nothing of it is
    /// cached. Records cached before the server kept this count as `*` (every sync asked
    /// for at least that).
    pub(crate) fn cached_properties(
        &self,
        connection_id: &str,
        entity: &str,
    ) -> Result<Option<Vec<String>>> {
        let star = || vec!["*".to_string()];
        Ok(
            match self.storage.cached_properties(connection_id, entity)? {
                Some(Some(text)) => Some(serde_json::from_str(&text).unwrap_or_else(|_| star())),
                Some(None) => Some(star()),
                None if self.storage.raw_count(connection_id, entity)? > 0 => Some(star()),
                None => None,
            },
        )
    }

    /// The Corrigo entities whose cached records lack something the active mappings read:
    /// their next sync pulls them whole.
    pub fn entities_behind(&self, connection_id: &str) -> Result<Vec<String>> {
        let plan = self.sync_plan(connection_id)?;
        let mut behind = Vec::new();
        for entity in &plan.entities {
            if let Some(cached) = self.cached_properties(connection_id, entity)? {
                if plan.lacks(entity, &cached) {
                    behind.push(entity.clone());
                }
            }
        }
        Ok(behind)
    }

    /// After a push or a sync: when the active mappings read something cached records
    /// lack, the connection's next sync (which pulls those entities whole) is due now.
    /// Not for a connection whose credentials Corrigo refused (a reconnect syncs it).
    pub(crate) fn sync_now_if_behind(&self, org_id: &str, connection_id: &str) -> Result<bool> {
        if self.entities_behind(connection_id)?.is_empty() {
            return Ok(false);
        }
        let Some(row) = self.storage.connection(org_id, connection_id)? else {
            return Ok(false);
        };
        if row.status == "reauthorization_required" {
            return Ok(false);
        }
        self.storage.set_sync_due_now(connection_id, &now())?;
        self.wake.notify_one();
        Ok(true)
    }

    /// What the raw endpoint says of `entity`: the PropertySet every cached record holds
    /// (what the syncs ask for when nothing is cached), and what the syncs ask for now.
    pub fn raw_properties(
        &self,
        connection_id: &str,
        entity: &str,
    ) -> Result<(Vec<String>, Vec<String>)> {
        let asked = self.sync_plan(connection_id)?.properties(entity);
        let held = self
            .cached_properties(connection_id, entity)?
            .unwrap_or_else(|| asked.clone());
        Ok((held, asked))
    }

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
        self.storage.set_sync_due_now(connection_id, &now())?;
        self.wake.notify_one();
        Ok(())
    }

    /// Whether this node is shutting down (it starts no sync, and stops those running
    /// after the page in hand).
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Marks this node as shutting down.
    pub(crate) fn begin_stopping(&self) {
        self.stopping
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// The connections with a sync in flight on this node.
    pub fn syncing_now(&self) -> Vec<String> {
        self.syncing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .cloned()
            .collect()
    }

    /// Starts syncs of every due connection not already syncing; returns how many began.
    pub fn start_due_syncs(self: &Arc<Self>) -> Result<usize> {
        if self.is_stopping() {
            return Ok(0);
        }
        let due = self.storage.due_connections(&now())?;
        let per_org = self.settings.syncs_per_org();
        let mut started = 0;
        // Each sync is entered in `syncing` here, before its task runs, so the limits below
        // count the syncs this call starts too.
        let mut syncing = self.syncing.lock().unwrap_or_else(|p| p.into_inner());
        for row in due {
            if syncing.contains_key(&row.id) {
                continue;
            }
            // At most MAX_CONCURRENT_SYNCS at once; the rest stay due for the next tick.
            if syncing.len() >= MAX_CONCURRENT_SYNCS {
                break;
            }
            // And at most `per_org` of one organization's: one whose pushes keep making
            // whole pulls due cannot take every slot from the others.
            if syncing.values().filter(|org| **org == row.org_id).count() >= per_org {
                continue;
            }
            syncing.insert(row.id.clone(), row.org_id.clone());
            started += 1;
            let service = Arc::clone(self);
            tokio::spawn(async move {
                if let Err(error) = service.sync_entered(row).await {
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
            .contains_key(connection_id)
    }

    /// Syncs one connection now and returns how it ended.
    pub async fn sync_connection(&self, org_id: &str, connection_id: &str) -> Result<SyncOutcome> {
        let row = self.connection_row(org_id, connection_id)?;
        self.sync(row).await
    }

    async fn sync(&self, row: ConnectionRow) -> Result<SyncOutcome> {
        if self.is_stopping() {
            return Err(Error::Conflict(
                "this node is shutting down; another node (or this one when it is back) syncs"
                    .into(),
            ));
        }
        {
            let mut syncing = self.syncing.lock().unwrap_or_else(|p| p.into_inner());
            if syncing.contains_key(&row.id) {
                return Err(Error::Conflict(
                    "a sync of this connection is running".into(),
                ));
            }
            syncing.insert(row.id.clone(), row.org_id.clone());
        }
        self.sync_entered(row).await
    }

    /// Syncs a connection this node has entered in `syncing` (removed when this ends).
    async fn sync_entered(&self, row: ConnectionRow) -> Result<SyncOutcome> {
        // Taken before the lease: however this ends (the lease refused or not taken at
        // all), the id leaves `syncing`, or this node would never sync it again and its
        // shutdown would wait for it. Releasing a lease another node holds changes nothing.
        let _in_flight = InFlight {
            service: self,
            id: row.id.clone(),
        };
        if !self.renew_sync_lease(&row.id)? {
            return Err(Error::Conflict(
                "a sync of this connection is running on another node".into(),
            ));
        }
        // The connection's status before this sync (one left `syncing` counts as ok).
        let settled_before = if row.status == "syncing" {
            "ok".to_string()
        } else {
            row.status.clone()
        };
        let versions_at_start = self.active_versions(&row.id).ok();
        let run = self.storage.begin_sync(&row.id, &now(), &[])?;
        let mut records = 0u64;
        let result = self.pull_all(&row, run, &mut records).await;
        // The next sync is kept as a length from now: storage puts it on the clock every
        // node reads due times by (the database's, on PostgreSQL), so a node whose clock
        // is skewed neither syncs early nor makes a connection wait for its own clock.
        let interval = self.settings.sync_interval;
        let (run_status, connection_status, error, next_sync) = match &result {
            Ok(()) => ("completed", "ok", None, Some(interval)),
            Err(SyncFailure::Refused(reason)) => (
                "reauthorization_required",
                "reauthorization_required",
                Some(reason.clone()),
                None,
            ),
            Err(SyncFailure::Other(reason)) => {
                ("failed", "error", Some(reason.clone()), Some(interval))
            }
            // Not the connection's fault: its status stays, and the next sync is due at
            // once (this node released the lease, so any node may take it).
            Err(SyncFailure::Stopped) => (
                "failed",
                settled_before.as_str(),
                Some(STOPPED.to_string()),
                Some(std::time::Duration::ZERO),
            ),
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
        // A push while this sync ran may read more than it asked for: the next sync is
        // then due now (checked after the run is finished, which set the next sync). Only
        // then: a sync that failed keeps its interval (no retry storm against a failing
        // Corrigo), and one that completed under unchanged mappings left nothing behind.
        let pushed_meanwhile = self.active_versions(&row.id).ok() != versions_at_start;
        if run_status == "completed" && pushed_meanwhile {
            if let Err(error) = self.sync_now_if_behind(&row.org_id, &row.id) {
                eprintln!(
                    "unifield-server: next sync not brought forward: {error} [{}]",
                    error.code()
                );
            }
        }
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
        let plan = self
            .sync_plan(&row.id)
            .map_err(|e| SyncFailure::Other(e.to_string()))?;
        for entity in &plan.entities {
            let properties = plan.properties(entity);
            let cached = self.cached_properties(&row.id, entity).map_err(failed)?;
            // Records cached without something the mappings now read are re-fetched: the
            // entity is pulled whole, not from its watermark.
            let whole = cached
                .as_ref()
                .is_some_and(|cached| plan.lacks(entity, cached));
            // Said before the first page commits: meanwhile the cache holds records pulled
            // with either set, so the raw endpoint never says more than they all hold.
            let held = match &cached {
                Some(cached) => property_set_meet(cached, &properties),
                None => properties.clone(),
            };
            if cached.as_ref() != Some(&held) {
                self.storage
                    .set_cached_properties(&row.id, entity, &json!(held).to_string())
                    .map_err(failed)?;
            }
            let watermark = if whole {
                None
            } else {
                self.storage.watermark(&row.id, entity).map_err(failed)?
            };
            let since = watermark.clone().flatten();
            let mut criteria = Filter::and();
            if let Some(since) = since.as_deref() {
                criteria = criteria.condition(CHANGED_AT, Operator::GreaterOrEqual, &[since]);
            }
            let asked: Vec<&str> = properties.iter().map(String::as_str).collect();
            let expression = QueryExpression::default()
                .properties(&asked)
                .criteria(criteria);
            let mut highest: Option<String> = since.clone();
            let mut seen_changed_at = watermark.is_some() && since.is_some();
            let mut commit_error: Option<String> = None;
            let mut stopped = false;
            let event_mapping = plan
                .work_orders
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
                        // The node shuts down: the page is kept, the rest is left to the
                        // next sync.
                        Ok(()) if self.is_stopping() => {
                            *records += rows.len() as u64;
                            stopped = true;
                            false
                        }
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
            if stopped || self.is_stopping() {
                return Err(SyncFailure::Stopped);
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
            let next_since = if seen_changed_at { highest } else { None };
            self.storage
                .set_watermark(&row.id, entity, next_since.as_deref())
                .map_err(failed)?;
            // A whole pull re-fetched every record Corrigo has: they all hold what it
            // asked for now.
            if since.is_none() && held != properties {
                self.storage
                    .set_cached_properties(&row.id, entity, &json!(properties).to_string())
                    .map_err(failed)?;
            }
        }
        Ok(())
    }
}

enum SyncFailure {
    /// Corrigo refused the credentials.
    Refused(String),
    /// This node shut down (the pages committed are kept).
    Stopped,
    Other(String),
}

/// A sync run's error when its node shut down.
pub const STOPPED: &str =
    "the node syncing it shut down; the next sync is due at once, on any node";

/// A failure other than Corrigo refusing the credentials, with its reason.
fn failed(error: impl std::fmt::Display) -> SyncFailure {
    SyncFailure::Other(error.to_string())
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
    fn the_meet_of_two_property_sets_is_what_records_pulled_with_either_hold() {
        let set = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let meet = |a: &[&str], b: &[&str]| property_set_meet(&set(a), &set(b));
        assert_eq!(
            meet(&["*", "Items.*"], &["*", "Items.Id"]),
            set(&["*", "Items.Id"])
        );
        assert_eq!(meet(&["*", "Items.*"], &["*"]), set(&["*"]));
        assert_eq!(
            meet(&["*", "MainAsset.TypeId"], &["*", "MainAsset.*", "Items.*"]),
            set(&["*", "MainAsset.TypeId"])
        );
        // `*` gives references' Ids: a set naming one holds nothing more than `*` does.
        assert_eq!(
            meet(&["*"], &["*", "Customer.Id"]),
            set(&["*", "Customer.Id"])
        );
        assert_eq!(
            meet(&["*", "items.*"], &["*", "Items.*"]),
            set(&["*", "items.*"])
        );
    }

    /// What a sync asks for holds everything its mappings read, so a whole pull leaves an
    /// entity not behind (else every sync would pull it whole again).
    #[test]
    fn the_set_a_sync_asks_for_holds_what_every_bundled_mapping_reads() {
        for default in &unifield_bundle::MAPPINGS {
            let mapping = unifield_engine::load(default.text, None).unwrap();
            let reads = mapping.member_reads().unwrap_or_default();
            let plan = SyncPlan {
                entities: vec![default.source_entity.to_string()],
                reads: reads
                    .into_iter()
                    .map(|read| (default.source_entity.to_string(), read))
                    .collect(),
                work_orders: None,
            };
            let asked = plan.properties(default.source_entity);
            assert!(
                !plan.lacks(default.source_entity, &asked),
                "{}: {asked:?}",
                default.source_entity
            );
            // And a set that leaves out one of its entries lacks something.
            if asked.len() > 1 {
                assert!(plan.lacks(default.source_entity, &asked[..asked.len() - 1]));
            }
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
