//! What the mapping being edited does: the selected record's preview, coverage over every
//! held record, explain for one field, and binding suggestions for unbound fields.

use crate::error::{Result, ServiceError};
use crate::mappings::checked;
use crate::types::{
    CoverageReport, ExplainInfo, FieldCoverageInfo, FieldResult, KeyCoverageInfo, Located,
    PathMatch, Preview, ProblemInfo, RecordSource, StepInfo, SuggestedBinding, Suggestion,
    ValueCount,
};
use crate::{Cancel, RecordSet, Studio};
use serde_json::Value;
use std::sync::Arc;
use std::time::Instant;
use unifield_corrigo_client::{property_set, property_set_covers};
use unifield_engine::input::parse_record;
use unifield_engine::path::Selector;
use unifield_engine::{Coverage, FieldOutcome, Mapping, Related};

/// Records between two progress reports (and cancellation checks) of a coverage run.
const COVERAGE_CHUNK: usize = 1_000;

impl Studio {
    /// Records of other entities that the mapping's `lookup` steps read, from the same
    /// source, built once per source and set of entities. An entity the source lacks is
    /// left out: its lookups report it per record.
    pub(crate) fn related(&mut self, source: &RecordSource, mapping: &Mapping) -> Arc<Related> {
        let entities: Vec<String> = mapping
            .related_entities()
            .into_iter()
            .map(str::to_string)
            .collect();
        let key = (source.clone(), entities.join(","));
        if let Some(related) = self.related.get(&key) {
            return Arc::clone(related);
        }
        let mut related = Related::default();
        let id = Selector::parse("$.Id").expect("valid selector");
        for entity in &entities {
            if let Ok(set) = self.records(source, entity) {
                related.add(entity, &id, set.parsed(None));
            }
        }
        let related = Arc::new(related);
        self.related.insert(key, Arc::clone(&related));
        related
    }

    /// Applies `text` to one record. A mapping that does not load gives its problems and no
    /// output (that is a result to show, not an error).
    pub fn preview(
        &mut self,
        source: &RecordSource,
        text: &str,
        record_id: &str,
    ) -> Result<Preview> {
        let started = Instant::now();
        let mapping = match unifield_engine::load(text, None) {
            Ok(mapping) => mapping,
            Err(error) => {
                return Ok(Preview {
                    problems: error.problems.iter().map(ProblemInfo::from).collect(),
                    record_id: record_id.to_string(),
                    taken: false,
                    output: None,
                    fields: Vec::new(),
                    micros: started.elapsed().as_micros() as u64,
                })
            }
        };
        let entity = mapping.doc.source.entity.clone();
        let record = self.record(source, &entity, record_id)?;
        let related = self.related(source, &mapping);
        let applied = mapping.apply(&record, &related);
        let fields = mapping
            .fields
            .iter()
            .enumerate()
            .map(|(at, field)| {
                let label = field.label();
                let diagnostic = applied.diagnostics.iter().find(|d| d.field == label);
                FieldResult {
                    outcome: match applied.outcomes.get(at) {
                        Some(FieldOutcome::Filled) => "filled",
                        Some(FieldOutcome::Error) => "error",
                        _ => "null",
                    }
                    .into(),
                    value: applied.values.get(at).cloned().unwrap_or(Value::Null),
                    error: diagnostic.map(|d| d.message.clone()),
                    code: diagnostic.map(|d| d.code.to_string()),
                    step: diagnostic.and_then(|d| d.step).map(|s| s as u32),
                    field: label,
                }
            })
            .collect();
        Ok(Preview {
            problems: mapping.problems.iter().map(ProblemInfo::from).collect(),
            record_id: record_id.to_string(),
            taken: applied.taken,
            output: mapping.record(&applied),
            fields,
            micros: started.elapsed().as_micros() as u64,
        })
    }

    /// Runs `text` over every record of its source entity. `progress(done, of)` is called
    /// after each chunk; a cancel stops the run with `cancelled`.
    pub fn coverage(
        &mut self,
        source: &RecordSource,
        text: &str,
        cancel: &Cancel,
        progress: impl FnMut(u32, u32),
    ) -> Result<CoverageReport> {
        self.prepare_coverage(source, text)?.run(cancel, progress)
    }

    /// Everything a coverage run needs, taken from the studio so that the run itself can
    /// go on without it (the studio keeps previewing while coverage runs).
    pub fn prepare_coverage(&mut self, source: &RecordSource, text: &str) -> Result<CoverageRun> {
        let started = Instant::now();
        let mapping = checked(text, None)?;
        let set = self.records(source, &mapping.doc.source.entity)?;
        let related = self.related(source, &mapping);
        let unpulled = match source {
            RecordSource::Samples => Vec::new(),
            RecordSource::Connection { name } => {
                let pulled = self
                    .workspace
                    .store
                    .cached_properties(name, &mapping.doc.source.entity)?;
                let mut missing: Vec<String> = mapping
                    .member_reads()
                    .unwrap_or_default()
                    .iter()
                    .filter(|read| {
                        pulled
                            .iter()
                            .any(|set| !property_set_covers(set, &read.names, read.whole))
                    })
                    .flat_map(|read| property_set([(read.names.as_slice(), read.whole)]))
                    .collect();
                missing.dedup();
                missing
            }
        };
        // A server connection's cache holds what the server's syncs asked Corrigo for:
        // pulling it again through the server brings nothing more.
        let unpulled_server = match source {
            RecordSource::Connection { name } if !unpulled.is_empty() => self
                .workspace
                .store
                .connection(name)
                .ok()
                .and_then(|c| crate::servers::server_of_cache(&self.dir, &c.settings)),
            _ => None,
        };
        let unpulled_server_removed = unpulled_server.as_ref().is_some_and(|o| o.removed);
        let unpulled_server = unpulled_server.map(|origin| origin.server);
        // The records each key field's target entity is produced from, from the same
        // source, so that keys resolve against what this studio holds.
        let targets = Coverage::new(&mapping).key_targets();
        let mut key_sources = Vec::new();
        for default in &unifield_bundle::MAPPINGS {
            let produces = unifield_engine::load(default.text, None)
                .map(|m| targets.contains(&m.entity.name))
                .unwrap_or(false);
            if produces && !key_sources.iter().any(|(e, _)| e == default.source_entity) {
                if let Ok(records) = self.records(source, default.source_entity) {
                    key_sources.push((default.source_entity.to_string(), records));
                }
            }
        }
        Ok(CoverageRun {
            mapping,
            set,
            related,
            started,
            unpulled,
            unpulled_server,
            unpulled_server_removed,
            key_sources,
        })
    }
}

/// A coverage run over records held in memory; see [`Studio::prepare_coverage`].
pub struct CoverageRun {
    mapping: Mapping,
    set: Arc<RecordSet>,
    related: Arc<Related>,
    started: Instant,
    unpulled: Vec<String>,
    unpulled_server: Option<String>,
    unpulled_server_removed: bool,
    /// `(Corrigo entity, its records)` that key fields resolve against.
    key_sources: Vec<(String, Arc<RecordSet>)>,
}

impl CoverageRun {
    pub fn run(
        &self,
        cancel: &Cancel,
        mut progress: impl FnMut(u32, u32),
    ) -> Result<CoverageReport> {
        let mut coverage = Coverage::new(&self.mapping);
        let of = self.set.len() as u32;
        // Only the members the mapping reads are parsed: its output is the same.
        let keep = self.mapping.members_read();
        for (at, text) in self.set.texts().enumerate() {
            if at % COVERAGE_CHUNK == 0 {
                if cancel.is_cancelled() {
                    return Err(ServiceError::new("cancelled", "coverage was cancelled"));
                }
                if at > 0 {
                    progress(at as u32, of);
                }
            }
            match parse_record(text, keep) {
                Ok(record) => {
                    let applied = self.mapping.apply(&record, &self.related);
                    if let Some(error) = over_limit(&applied) {
                        return Err(error);
                    }
                    coverage.add(&applied)
                }
                Err(_) => coverage.add_unreadable(),
            }
        }
        progress(of, of);
        coverage.finish();
        let targets = coverage.key_targets();
        let produced = unifield_bundle::produced_keys(&targets, |entity| {
            self.key_sources
                .iter()
                .find(|(e, _)| e == entity)
                .map(|(_, set)| set.parsed(None).collect())
                .unwrap_or_default()
        });
        coverage.resolve_keys(&produced);
        let counts = |pairs: Vec<(Value, usize)>| -> Vec<ValueCount> {
            pairs
                .into_iter()
                .map(|(value, count)| ValueCount {
                    value,
                    count: count as u32,
                })
                .collect()
        };
        Ok(CoverageReport {
            records: coverage.records as u32,
            skipped: coverage.skipped as u32,
            records_with_errors: coverage.records_with_errors as u32,
            fields: coverage
                .fields
                .into_iter()
                .map(|f| FieldCoverageInfo {
                    field: f.field,
                    ty: f.ty,
                    required: f.required,
                    filled: f.filled as u32,
                    null: f.null as u32,
                    error: f.error as u32,
                    top_values: counts(f.top_values),
                    unmapped: counts(
                        f.unmapped
                            .into_iter()
                            .map(|(v, n)| (Value::String(v), n))
                            .collect(),
                    ),
                })
                .collect(),
            keys: coverage
                .keys
                .iter()
                .map(|k| KeyCoverageInfo {
                    field: k.field.clone(),
                    target: k.target.clone(),
                    values: k.values as u32,
                    resolved: k.resolved as u32,
                    dangling: k.dangling as u32,
                    dangling_examples: k
                        .dangling_examples
                        .iter()
                        .map(|(value, count)| ValueCount {
                            value: Value::String(value.clone()),
                            count: *count as u32,
                        })
                        .collect(),
                    checked: k.checked,
                })
                .collect(),
            unpulled: self.unpulled.clone(),
            unpulled_server: self.unpulled_server.clone(),
            unpulled_server_removed: self.unpulled_server_removed,
            millis: self.started.elapsed().as_millis() as u64,
        })
    }
}

impl Studio {
    /// Each path's matches and each step's input and output, for one record and field.
    pub fn explain(
        &mut self,
        source: &RecordSource,
        text: &str,
        record_id: &str,
        field: &str,
    ) -> Result<ExplainInfo> {
        let mapping = checked(text, None)?;
        let record = self.record(source, &mapping.doc.source.entity.clone(), record_id)?;
        let related = self.related(source, &mapping);
        let explained = mapping.explain(&record, field, &related).ok_or_else(|| {
            ServiceError::new(
                "unknown_field",
                format!("the mapping does not bind `{field}`"),
            )
        })?;
        Ok(ExplainInfo {
            field: explained.field,
            record_id: record_id.to_string(),
            paths: explained
                .paths
                .into_iter()
                .map(|p| PathMatch {
                    path: p.path,
                    matches: p
                        .matches
                        .into_iter()
                        .map(|(path, value)| Located { path, value })
                        .collect(),
                })
                .collect(),
            start: explained.start,
            steps: explained
                .steps
                .into_iter()
                .map(|s| StepInfo {
                    step: s.step as u32,
                    function: s.function.into(),
                    skipped: s.skipped,
                    input: s.input,
                    output: s.output,
                    error: s.error,
                    code: s.code.map(str::to_string),
                })
                .collect(),
            result: explained.result,
            error: explained.diagnostic.map(|d| d.to_string()),
            filtered_out: explained.filtered_out,
        })
    }

    /// Ranked bindings for the target fields `text` leaves unbound, from the source's
    /// records (names, kinds of value, fill rates).
    pub fn suggestions(&mut self, source: &RecordSource, text: &str) -> Result<Vec<Suggestion>> {
        let mapping = checked(text, None)?;
        let set = self.records(source, &mapping.doc.source.entity)?;
        let bound: Vec<&str> = mapping.doc.fields.iter().map(|(n, _)| n.as_str()).collect();
        Ok(
            unifield_engine::proposals::proposals(mapping.entity, &bound, set.profile())
                .into_iter()
                .map(|f| Suggestion {
                    field: f.field.into(),
                    bindings: f
                        .proposals
                        .into_iter()
                        .map(|p| SuggestedBinding {
                            path: p.path,
                            steps: p.steps.iter().map(|s| s.to_string()).collect(),
                            score: p.score,
                            reason: p.reason,
                        })
                        .collect(),
                })
                .collect(),
        )
    }
}

/// A record that tripped an engine limit (a value too large to build, the per-record time
/// budget) stops a coverage run: at up to a second a record, running on over thousands
/// would hold the studio for hours. The error says which field and step to fix.
fn over_limit(applied: &unifield_engine::Applied) -> Option<ServiceError> {
    let diagnostic = applied
        .diagnostics
        .iter()
        .find(|d| matches!(d.code, "value_too_large" | "record_time_budget"))?;
    let record = applied.source_id.as_deref().unwrap_or("without an id");
    Some(
        ServiceError::new(
            "mapping_over_limit",
            format!(
                "coverage stopped at record {record}: {diagnostic}; fix that step before running coverage"
            ),
        )
        .at(crate::error::Location {
            field: Some(diagnostic.field.clone()),
            step: diagnostic.step.map(|s| s as u32),
            ..Default::default()
        }),
    )
}
