//! The unified read API: a connection's cached raw records mapped with the active
//! mapping version, read in the same request (a pushed version changes the very next
//! response). Filters and sorts on unified fields evaluate the mapping over every cached
//! record of the entity (correct first; see the README for the measured cost); a plain
//! page with no filter, sort or source filter maps only the records of the page.

use super::{check_entity, Service};
use crate::error::{Error, Result};
use crate::storage::RawRecord;
use serde_json::{json, Map, Value};
use std::cmp::Ordering;
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};
use std::sync::Arc;
use unifield_engine::mapping::SourceDoc;
use unifield_engine::{Applied, Mapping, Related};

/// Records read from storage at a time by a filter or sort scan (one query each, so a
/// cancelled scan stops reading within one page).
const SCAN_PAGE: usize = 1000;

/// Set once the request a scan serves has ended (timed out, or its client went away):
/// the scan stops at its next record instead of mapping the rest of the cache for nobody.
#[derive(Debug, Clone, Default)]
pub struct ScanCancel(Arc<AtomicBool>);

impl ScanCancel {
    pub fn cancel(&self) {
        self.0.store(true, AtomicOrdering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(AtomicOrdering::Relaxed)
    }

    /// A guard that cancels when dropped. The HTTP handler holds it in the request's
    /// future, which the timeout drops; the scan itself runs on a blocking thread that
    /// nothing else could stop.
    pub fn on_drop(&self) -> CancelOnDrop {
        CancelOnDrop(self.clone())
    }
}

pub struct CancelOnDrop(ScanCancel);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

pub const MAX_PER_PAGE: usize = 500;
const DEFAULT_PER_PAGE: usize = 100;
/// Filters and sorts accepted in one request.
const MAX_CONDITIONS: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterOp {
    Eq,
    Neq,
    Contains,
    StartsWith,
    Gt,
    Gteq,
    Lt,
    Lteq,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldFilter {
    /// A unified field (`status`) or a custom one (`customFields.timeZone`).
    pub field: String,
    pub op: FilterOp,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    pub page: usize,
    pub per_page: usize,
    pub filters: Vec<FieldFilter>,
    /// `filterMatch=any`: a record passes when one filter does (default: all).
    pub match_any: bool,
    /// `(field, descending)`, in order of precedence.
    pub sort: Vec<(String, bool)>,
}

impl Default for ListQuery {
    fn default() -> ListQuery {
        ListQuery {
            page: 1,
            per_page: DEFAULT_PER_PAGE,
            filters: Vec::new(),
            match_any: false,
            sort: Vec::new(),
        }
    }
}

impl ListQuery {
    /// Makini's list parameters: `page`, `per_page`, `filter[field]`, `filter[field:op]`,
    /// `filterMatch`, `sort[field]=0|1`. Unknown parameters are refused, so a typo is not
    /// silently ignored.
    pub fn parse(pairs: &[(String, String)]) -> Result<ListQuery> {
        let mut query = ListQuery::default();
        let bad = |message: String| Error::bad_request("invalid_query", message);
        for (name, value) in pairs {
            match name.as_str() {
                "page" => {
                    query.page = value
                        .parse::<usize>()
                        .ok()
                        .filter(|p| (1..=1_000_000).contains(p))
                        .ok_or_else(|| {
                            bad(format!("page must be a whole number from 1, not `{value}`"))
                        })?;
                }
                "per_page" => {
                    query.per_page = value
                        .parse::<usize>()
                        .ok()
                        .filter(|p| (1..=MAX_PER_PAGE).contains(p))
                        .ok_or_else(|| {
                            bad(format!(
                                "per_page must be 1 to {MAX_PER_PAGE}, not `{value}`"
                            ))
                        })?;
                }
                "filterMatch" => {
                    query.match_any = match value.as_str() {
                        "any" => true,
                        "all" => false,
                        other => {
                            return Err(bad(format!(
                                "filterMatch must be any or all, not `{other}`"
                            )))
                        }
                    };
                }
                _ => {
                    if let Some(inner) = bracketed(name, "filter") {
                        let (field, op) = match inner.split_once(':') {
                            Some((field, op)) => (field, parse_op(op).ok_or_else(|| {
                                bad(format!("unknown filter operator `{op}` (known: contains, startsWith, gt, gteq, lt, lted, lteq, neq)"))
                            })?),
                            None => (inner, FilterOp::Eq),
                        };
                        if field.is_empty() {
                            return Err(bad(format!("`{name}` names no field")));
                        }
                        query.filters.push(FieldFilter {
                            field: field.to_string(),
                            op,
                            value: value.clone(),
                        });
                    } else if let Some(field) = bracketed(name, "sort") {
                        let descending = match value.as_str() {
                            "1" => true,
                            "0" => false,
                            other => return Err(bad(format!("sort[{field}] must be 1 (descending) or 0 (ascending), not `{other}`"))),
                        };
                        if field.is_empty() {
                            return Err(bad(format!("`{name}` names no field")));
                        }
                        query.sort.push((field.to_string(), descending));
                    } else {
                        return Err(bad(format!(
                            "unknown parameter `{name}` (known: page, per_page, filter[field], filter[field:op], filterMatch, sort[field])"
                        )));
                    }
                }
            }
        }
        if query.filters.len() + query.sort.len() > MAX_CONDITIONS {
            return Err(bad(format!(
                "at most {MAX_CONDITIONS} filters and sorts together"
            )));
        }
        Ok(query)
    }
}

fn bracketed<'a>(name: &'a str, head: &str) -> Option<&'a str> {
    name.strip_prefix(head)?
        .strip_prefix('[')?
        .strip_suffix(']')
}

fn parse_op(op: &str) -> Option<FilterOp> {
    Some(match op {
        "eq" => FilterOp::Eq,
        "neq" => FilterOp::Neq,
        "contains" => FilterOp::Contains,
        "startsWith" => FilterOp::StartsWith,
        "gt" => FilterOp::Gt,
        "gteq" => FilterOp::Gteq,
        "lt" => FilterOp::Lt,
        // Makini spells ≤ `lted`; `lteq` is accepted too.
        "lted" | "lteq" => FilterOp::Lteq,
        _ => return None,
    })
}

/// One page of unified records.
#[derive(Debug, Clone)]
pub struct UnifiedPage {
    pub data: Vec<Value>,
    pub total: usize,
    pub page: usize,
    pub per_page: usize,
    pub mapping_version: i64,
    /// Where the page's time went (the HTTP layer sends it as `Server-Timing`).
    pub timing: PageTiming,
}

/// Where a page's time went inside the service: mapping records (the engine applying the
/// mapping, filters included) and everything else, which is the database's reads (the
/// connection and mapping rows, the count, the page or the scan) and little besides.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PageTiming {
    pub database: std::time::Duration,
    pub mapping: std::time::Duration,
}

/// The unified record as served: model fields, `customFields`, `_source`, and
/// `_diagnostics` when a field failed (that field is null; the record is still served).
/// Built straight from the applied values (moved, not copied).
pub(crate) fn unified_record(mapping: &Mapping, applied: Applied) -> Option<Value> {
    if !applied.taken {
        return None;
    }
    let mut record = Map::with_capacity(mapping.fields.len() + 3);
    let mut custom = Map::new();
    for (field, value) in mapping.fields.iter().zip(applied.values) {
        if field.is_custom() {
            custom.insert(field.name.clone(), value);
        } else {
            record.insert(field.name.clone(), value);
        }
    }
    record.insert("customFields".into(), Value::Object(custom));
    let source = &mapping.doc.source;
    let mut origin = Map::with_capacity(3);
    origin.insert("system".into(), json!(source.system));
    origin.insert("entity".into(), json!(source.entity));
    if let Some(id) = applied.source_id {
        origin.insert("id".into(), Value::String(id));
    }
    record.insert("_source".into(), Value::Object(origin));
    if !applied.diagnostics.is_empty() {
        record.insert(
            "_diagnostics".into(),
            serde_json::to_value(&applied.diagnostics).unwrap_or(Value::Null),
        );
    }
    Some(Value::Object(record))
}

/// A source record that is not JSON (it came from Corrigo, so this is unexpected) is
/// served as a record of diagnostics rather than dropped. Only the members the mapping
/// reads are parsed, straight from the text (`Mapping::apply_text`: parse then apply,
/// errors included, without building an object for the record), as `unifield apply`
/// reads them.
fn map_text(mapping: &Mapping, source_id: &str, body: &str, related: &Related) -> Option<Value> {
    match mapping.apply_text(body, related) {
        Ok(applied) => unified_record(mapping, applied),
        Err(error) => Some(json!({
            "key": source_id,
            "customFields": {},
            "_source": {"system": mapping.doc.source.system, "entity": mapping.doc.source.entity, "id": source_id},
            "_diagnostics": [{"field": "", "code": "unreadable_source", "message": format!("the cached record is not JSON: {error}")}],
        })),
    }
}

fn field_value<'a>(record: &'a Value, field: &str) -> Option<&'a Value> {
    match field.split_once('.') {
        Some((head, rest)) => record.get(head)?.get(rest),
        None => record.get(field),
    }
}

fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        other => Some(other.to_string()),
    }
}

/// Numbers compare as numbers, everything else as text (RFC 3339 UTC times sort as text).
fn compare_text(left: &str, right: &str) -> Ordering {
    match (left.parse::<f64>(), right.parse::<f64>()) {
        (Ok(l), Ok(r)) => l.partial_cmp(&r).unwrap_or(Ordering::Equal),
        _ => left.cmp(right),
    }
}

/// Each of `fields` (API names: `status`, `customFields.NAME`) of a cached record as
/// the filter and sort read it from its unified record (`field_value`, then `text_of`),
/// without building that record: from the applied values, at `indexes` (each field's
/// place in `mapping.fields`). `None` when the mapping's source filter skips the record.
/// A record that is not JSON is read from the record of diagnostics it is served as.
fn field_texts(
    mapping: &Mapping,
    raw: &RawRecord,
    related: &Related,
    fields: &[&str],
    indexes: &[Option<usize>],
) -> Option<Vec<Option<String>>> {
    match mapping.apply_text(&raw.body, related) {
        Ok(applied) => applied.taken.then(|| {
            indexes
                .iter()
                .map(|at| at.and_then(|at| applied.values.get(at)).and_then(text_of))
                .collect()
        }),
        Err(_) => {
            let record = map_text(mapping, &raw.source_id, &raw.body, related)?;
            Some(
                fields
                    .iter()
                    .map(|field| field_value(&record, field).and_then(text_of))
                    .collect(),
            )
        }
    }
}

/// Where `field` (an API name) is in `mapping.fields`, as `unified_record` places it.
fn field_index(mapping: &Mapping, field: &str) -> Option<usize> {
    match field.strip_prefix("customFields.") {
        Some(custom) => mapping
            .fields
            .iter()
            .position(|f| f.is_custom() && f.name == custom),
        // `field_value` reads `a.b` as member `b` of member `a`: no model field has a dot.
        None if field.contains('.') => None,
        None => mapping
            .fields
            .iter()
            .position(|f| !f.is_custom() && f.name == field),
    }
}

fn passes(value: Option<&String>, filter: &FieldFilter) -> bool {
    let Some(value) = value else {
        return filter.op == FilterOp::Neq;
    };
    match filter.op {
        FilterOp::Eq => *value == filter.value,
        FilterOp::Neq => *value != filter.value,
        FilterOp::Contains => value.to_lowercase().contains(&filter.value.to_lowercase()),
        FilterOp::StartsWith => value
            .to_lowercase()
            .starts_with(&filter.value.to_lowercase()),
        FilterOp::Gt => compare_text(value, &filter.value) == Ordering::Greater,
        FilterOp::Gteq => compare_text(value, &filter.value) != Ordering::Less,
        FilterOp::Lt => compare_text(value, &filter.value) == Ordering::Less,
        FilterOp::Lteq => compare_text(value, &filter.value) != Ordering::Greater,
    }
}

/// Nulls sort last either way. `a` and `b` hold the text of each sort field, in order.
fn compare_records(
    a: &[Option<String>],
    b: &[Option<String>],
    sort: &[(String, bool)],
) -> Ordering {
    for ((left, right), (_, descending)) in a.iter().zip(b).zip(sort) {
        let order = match (left, right) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => return Ordering::Greater,
            (Some(_), None) => return Ordering::Less,
            (Some(l), Some(r)) => {
                let o = compare_text(l, r);
                if *descending {
                    o.reverse()
                } else {
                    o
                }
            }
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    Ordering::Equal
}

impl Service {
    /// The active mapping of an entity, compiled, with its version; read in one query.
    pub(crate) fn active_compiled(
        &self,
        connection_id: &str,
        entity: &str,
    ) -> Result<(i64, Arc<Mapping>)> {
        let row = self
            .storage
            .active_mapping(connection_id, entity)?
            .ok_or_else(|| Error::NotFound(format!("a {entity} mapping on this connection")))?;
        let mapping = self.compiled(connection_id, entity, row.version, &row.body)?;
        Ok((row.version, mapping))
    }

    /// Records for the mapping's `lookup` steps: the connection's cached records of each
    /// entity they name, keyed by `Id` (as `unifield apply --related` keys them). Entities
    /// not cached are simply absent, and the lookups report it per record. Built per
    /// request, and only for mappings that have lookups (the defaults have none).
    pub(crate) fn related_for(&self, connection_id: &str, mapping: &Mapping) -> Result<Related> {
        self.related_until(connection_id, mapping, &ScanCancel::default())
    }

    /// [`Service::related_for`] for a request: reading the related entities stops once
    /// `cancel` is set, as a filter's scan does.
    fn related_until(
        &self,
        connection_id: &str,
        mapping: &Mapping,
        cancel: &ScanCancel,
    ) -> Result<Related> {
        let mut related = Related::default();
        let entities = mapping.related_entities();
        if entities.is_empty() {
            return Ok(related);
        }
        let id = unifield_engine::path::Selector::parse("$.Id")
            .map_err(|e| Error::Internal(format!("the Id selector: {e}")))?;
        for entity in entities {
            let mut records = Vec::new();
            self.scan(connection_id, entity, cancel, |raw| {
                if let Ok(record) = serde_json::from_str::<Value>(&raw.body) {
                    records.push(record);
                }
            })?;
            related.add(entity, &id, records);
        }
        Ok(related)
    }

    /// Checks the fields a query names exist in the mapping's output.
    fn check_fields(mapping: &Mapping, query: &ListQuery) -> Result<()> {
        let known = |field: &str| -> bool {
            if let Some(custom) = field.strip_prefix("customFields.") {
                return mapping
                    .fields
                    .iter()
                    .any(|f| f.is_custom() && f.name == custom);
            }
            mapping.entity.field(field).is_some()
        };
        for name in query
            .filters
            .iter()
            .map(|f| f.field.as_str())
            .chain(query.sort.iter().map(|(f, _)| f.as_str()))
        {
            if !known(name) {
                return Err(Error::bad_request(
                    "unknown_field",
                    format!(
                        "`{name}` is not a field of the unified {} (custom fields are named customFields.NAME)",
                        mapping.entity.name
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Every cached record of `entity`, a page of [`SCAN_PAGE`] at a time, until `cancel`
    /// is set (checked before each page and each record): then `Error::Timeout`.
    fn scan(
        &self,
        connection_id: &str,
        entity: &str,
        cancel: &ScanCancel,
        mut each: impl FnMut(RawRecord),
    ) -> Result<()> {
        let stopped = || {
            self.scans_cancelled
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Err(Error::Timeout)
        };
        self.scans_started
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut after = 0;
        loop {
            if cancel.is_cancelled() {
                return stopped();
            }
            let page = self
                .storage
                .raw_page(connection_id, entity, after, SCAN_PAGE)?;
            let full = page.len() == SCAN_PAGE;
            for raw in page {
                if cancel.is_cancelled() {
                    return stopped();
                }
                after = raw.id;
                each(raw);
            }
            if !full {
                return Ok(());
            }
        }
    }

    /// Scans of a whole entity's cache this service started, and how many of them stopped
    /// early because their request had ended: `(started, cancelled)`.
    pub fn scan_counts(&self) -> (u64, u64) {
        (
            self.scans_started
                .load(std::sync::atomic::Ordering::Relaxed),
            self.scans_cancelled
                .load(std::sync::atomic::Ordering::Relaxed),
        )
    }

    pub fn list_unified(
        &self,
        org_id: &str,
        connection_id: &str,
        entity: &str,
        query: &ListQuery,
    ) -> Result<UnifiedPage> {
        self.list_unified_until(org_id, connection_id, entity, query, &ScanCancel::default())
    }

    /// [`Service::list_unified`], stopping a filter or sort scan once `cancel` is set.
    pub fn list_unified_until(
        &self,
        org_id: &str,
        connection_id: &str,
        entity: &str,
        query: &ListQuery,
        cancel: &ScanCancel,
    ) -> Result<UnifiedPage> {
        let started = std::time::Instant::now();
        let mapping_time = std::cell::Cell::new(std::time::Duration::ZERO);
        let timing = || PageTiming {
            database: started.elapsed().saturating_sub(mapping_time.get()),
            mapping: mapping_time.get(),
        };
        let timed = |mapping: &Mapping, raw: &RawRecord, related: &Related| {
            let at = std::time::Instant::now();
            let record = map_text(mapping, &raw.source_id, &raw.body, related);
            mapping_time.set(mapping_time.get() + at.elapsed());
            record
        };
        self.connection_row(org_id, connection_id)?;
        let entity = check_entity(entity)?;
        let (version, mapping) = self.active_compiled(connection_id, entity)?;
        Self::check_fields(&mapping, query)?;
        let source = mapping.doc.source.entity.as_str();
        let related = self.related_until(connection_id, &mapping, cancel)?;
        let offset = (query.page - 1).saturating_mul(query.per_page);
        let plain = query.filters.is_empty()
            && query.sort.is_empty()
            && mapping.doc.source.filter.is_none();
        if plain {
            let total = self.storage.raw_count(connection_id, source)?;
            let data = self
                .storage
                .raw_slice(connection_id, source, offset, query.per_page)?
                .iter()
                .filter_map(|r| timed(&mapping, r, &related))
                .collect();
            return Ok(UnifiedPage {
                data,
                total,
                page: query.page,
                per_page: query.per_page,
                mapping_version: version,
                timing: timing(),
            });
        }
        // Filtering and sorting read only the fields they name: a mapping narrowed to
        // them decides which records match (each parsed projected onto the members those
        // fields read), and only the page's records are then mapped whole.
        // Each scanned record gives only the text of the fields filtered and sorted on
        // (no unified record is built for it), and a match keeps its sort fields' texts.
        let narrow = self.narrowed(connection_id, entity, version, &mapping, query)?;
        let fields: Vec<&str> = query
            .filters
            .iter()
            .map(|f| f.field.as_str())
            .chain(query.sort.iter().map(|(f, _)| f.as_str()))
            .collect();
        let indexes: Vec<Option<usize>> = fields.iter().map(|f| field_index(&narrow, f)).collect();
        let filtered = query.filters.len();
        let mut matched: Vec<(i64, Vec<Option<String>>)> = Vec::new();
        self.scan(connection_id, source, cancel, |raw| {
            let at = std::time::Instant::now();
            let texts = field_texts(&narrow, &raw, &related, &fields, &indexes);
            mapping_time.set(mapping_time.get() + at.elapsed());
            let Some(mut texts) = texts else {
                return;
            };
            let mut tested = query.filters.iter().zip(&texts);
            let keep = query.filters.is_empty()
                || if query.match_any {
                    tested.any(|(f, value)| passes(value.as_ref(), f))
                } else {
                    tested.all(|(f, value)| passes(value.as_ref(), f))
                };
            if keep {
                texts.drain(..filtered);
                matched.push((raw.id, texts));
            }
        })?;
        if !query.sort.is_empty() {
            matched.sort_by(|a, b| compare_records(&a.1, &b.1, &query.sort));
        }
        let total = matched.len();
        let page_ids: Vec<i64> = matched
            .iter()
            .skip(offset)
            .take(query.per_page)
            .map(|(id, _)| *id)
            .collect();
        drop(matched);
        let data = self
            .storage
            .raw_by_ids(connection_id, source, &page_ids)?
            .iter()
            .filter_map(|r| timed(&mapping, r, &related))
            .collect();
        Ok(UnifiedPage {
            data,
            total,
            page: query.page,
            per_page: query.per_page,
            mapping_version: version,
            timing: timing(),
        })
    }

    /// The active mapping cut down to the fields a query filters and sorts on (and its
    /// source filter), compiled once per version and field set.
    fn narrowed(
        &self,
        connection_id: &str,
        entity: &str,
        version: i64,
        mapping: &Mapping,
        query: &ListQuery,
    ) -> Result<Arc<Mapping>> {
        let mut names: Vec<&str> = query
            .filters
            .iter()
            .map(|f| f.field.as_str())
            .chain(query.sort.iter().map(|(f, _)| f.as_str()))
            .collect();
        names.sort_unstable();
        names.dedup();
        // The engine names custom fields `custom.NAME`; the API, `customFields.NAME`.
        let labels: Vec<String> = names
            .iter()
            .map(|n| match n.strip_prefix("customFields.") {
                Some(custom) => format!("custom.{custom}"),
                None => n.to_string(),
            })
            .collect();
        let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
        let doc = mapping.doc.narrowed(&labels);
        let label = format!("{entity}#{}", names.join(","));
        self.compiled(connection_id, &label, version, &doc.to_canonical_json())
    }

    /// One unified record by its `key`, with the mapping version it was made with.
    pub fn get_unified(
        &self,
        org_id: &str,
        connection_id: &str,
        entity: &str,
        key: &str,
    ) -> Result<(Value, i64)> {
        self.get_unified_until(org_id, connection_id, entity, key, &ScanCancel::default())
    }

    /// [`Service::get_unified`]. The raw cache is keyed by the source record's id, which
    /// is the unified key under every bundled mapping (`key` = `$.Id` → `to_string`): the
    /// record is read by that key and only it is mapped, so a miss costs one lookup. A
    /// pushed mapping that makes keys some other way is searched like `filter[key]=…`
    /// (the mapping narrowed to `key`, stopped once `cancel` is set).
    pub fn get_unified_until(
        &self,
        org_id: &str,
        connection_id: &str,
        entity: &str,
        key: &str,
        cancel: &ScanCancel,
    ) -> Result<(Value, i64)> {
        self.connection_row(org_id, connection_id)?;
        let entity = check_entity(entity)?;
        let (version, mapping) = self.active_compiled(connection_id, entity)?;
        let source = mapping.doc.source.entity.as_str();
        let not_found = || Error::NotFound(format!("{entity} `{key}`"));
        if let Some(raw) = self.storage.raw_by_source_id(connection_id, source, key)? {
            let related = self.related_until(connection_id, &mapping, cancel)?;
            if let Some(record) = map_text(&mapping, &raw.source_id, &raw.body, &related) {
                if record.get("key").and_then(text_of).as_deref() == Some(key) {
                    return Ok((record, version));
                }
            }
        }
        if key_is_source_id(&mapping) {
            return Err(not_found());
        }
        let query = ListQuery {
            per_page: 1,
            filters: vec![FieldFilter {
                field: "key".into(),
                op: FilterOp::Eq,
                value: key.to_string(),
            }],
            ..ListQuery::default()
        };
        let page = self.list_unified_until(org_id, connection_id, entity, &query, cancel)?;
        let version = page.mapping_version;
        page.data
            .into_iter()
            .next()
            .map(|record| (record, version))
            .ok_or_else(not_found)
    }

    /// The names of the active mapping's custom fields.
    pub fn custom_fields(
        &self,
        org_id: &str,
        connection_id: &str,
        entity: &str,
    ) -> Result<(Vec<String>, i64)> {
        self.connection_row(org_id, connection_id)?;
        let entity = check_entity(entity)?;
        let (version, mapping) = self.active_compiled(connection_id, entity)?;
        Ok((
            mapping
                .fields
                .iter()
                .filter(|f| f.is_custom())
                .map(|f| f.name.clone())
                .collect(),
            version,
        ))
    }

    /// The status catalog the active work-order mapping produces: each source status a
    /// `map_values` step of `status` names, and the unified status it becomes.
    pub fn work_order_statuses(
        &self,
        org_id: &str,
        connection_id: &str,
    ) -> Result<(Vec<Value>, i64)> {
        self.connection_row(org_id, connection_id)?;
        let (version, mapping) = self.active_compiled(connection_id, "WorkOrder")?;
        let mut statuses = Vec::new();
        if let Some((_, binding)) = mapping.doc.fields.iter().find(|(name, _)| name == "status") {
            for step in binding.steps.iter().filter(|s| s.function == "map_values") {
                if let Some(Value::Object(map)) = step.args.get("map") {
                    for (source, unified) in map {
                        statuses.push(json!({"key": source, "name": source, "status": unified}));
                    }
                }
            }
        }
        Ok((statuses, version))
    }

    /// Cached raw records of a Corrigo entity after `cursor`, and the next cursor.
    pub fn raw_records(
        &self,
        org_id: &str,
        connection_id: &str,
        entity: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<Value>, Option<String>)> {
        self.connection_row(org_id, connection_id)?;
        if !unifield_corrigo_seed::ENTITIES.contains(&entity) {
            return Err(Error::NotFound(format!(
                "Corrigo entity `{entity}` (known: {})",
                unifield_corrigo_seed::ENTITIES.join(", ")
            )));
        }
        let after = match cursor {
            None | Some("") => 0,
            Some(c) => c.parse::<i64>().ok().filter(|c| *c >= 0).ok_or_else(|| {
                Error::bad_request(
                    "invalid_cursor",
                    format!("cursor `{c}` is not one this endpoint gave"),
                )
            })?,
        };
        let rows = self
            .storage
            .raw_page(connection_id, entity, after, limit + 1)?;
        let more = rows.len() > limit;
        let rows = &rows[..rows.len().min(limit)];
        let next = if more {
            rows.last().map(|r| r.id.to_string())
        } else {
            None
        };
        let records = rows
            .iter()
            .map(|r| serde_json::from_str(&r.body).unwrap_or(Value::Null))
            .collect();
        Ok((records, next))
    }
}

/// Whether a mapping's `key` is the source record's id as text (`$.Id`, then at most
/// `to_string`): the id the raw cache is keyed by, so a key not cached is no record's.
fn key_is_source_id(mapping: &Mapping) -> bool {
    mapping.doc.fields.iter().any(|(name, binding)| {
        name == "key"
            && binding.source == SourceDoc::Path("$.Id".into())
            && binding
                .steps
                .iter()
                .all(|step| step.function == "to_string")
    })
}

/// `{"data", "links", "meta"}` as Makini's list envelope, plus `meta.mapping_version`.
/// Links keep the request's other parameters (`kept`: filters, sorts, filterMatch).
pub fn envelope(page: UnifiedPage, path: &str, kept: &[(String, String)]) -> Value {
    let last_page = page.total.div_ceil(page.per_page).max(1);
    let from = (page.page - 1) * page.per_page + 1;
    let to = from + page.data.len().saturating_sub(1);
    let (from, to) = if page.data.is_empty() {
        (Value::Null, Value::Null)
    } else {
        (json!(from), json!(to))
    };
    let link = |p: usize| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in kept.iter().filter(|(n, _)| n != "page" && n != "per_page") {
            query.append_pair(name, value);
        }
        query.append_pair("page", &p.to_string());
        query.append_pair("per_page", &page.per_page.to_string());
        format!("{path}?{}", query.finish())
    };
    let mut meta = Map::new();
    meta.insert("current_page".into(), json!(page.page));
    meta.insert("from".into(), from);
    meta.insert("last_page".into(), json!(last_page));
    meta.insert("path".into(), json!(path));
    meta.insert("per_page".into(), json!(page.per_page));
    meta.insert("to".into(), to);
    meta.insert("total".into(), json!(page.total));
    meta.insert("mapping_version".into(), json!(page.mapping_version));
    json!({
        "data": page.data,
        "links": {
            "first": link(1),
            "last": link(last_page),
            "prev": (page.page > 1).then(|| link(page.page - 1)),
            "next": (page.page < last_page).then(|| link(page.page + 1)),
        },
        "meta": meta,
    })
}
