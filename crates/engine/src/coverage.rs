//! Coverage: over many records, how well each target field fills.

use crate::apply::{Applied, FieldOutcome};
use crate::compile::{Mapping, Target};
use crate::related::Related;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use unifield_model::FieldType;

/// Distinct values tracked per field; past this, new values are only counted as "more".
const DISTINCT_TRACKED: usize = 64;
/// Distinct values reported per field.
const DISTINCT_SHOWN: usize = 5;

#[derive(Debug, Clone, Serialize)]
pub struct FieldCoverage {
    pub field: String,
    #[serde(rename = "type")]
    pub ty: String,
    pub required: bool,
    pub filled: usize,
    pub null: usize,
    pub error: usize,
    /// The most frequent values, with their counts.
    pub top_values: Vec<(Value, usize)>,
    /// True when there are more distinct values than `top_values` shows.
    pub more_values: bool,
    /// Source values that no value map or lookup covered, with their counts.
    pub unmapped: BTreeMap<String, usize>,
    /// Distinct values with their counts, in first-seen order.
    #[serde(skip)]
    distinct: Vec<(Value, usize)>,
    /// Structural hash of a value → positions in `distinct` with that hash.
    #[serde(skip)]
    index: HashMap<u64, Vec<usize>>,
}

/// Dangling keys shown per key field.
const DANGLING_SHOWN: usize = 5;

/// Referential coverage of one key field: how many of its values name a record that the
/// target entity's mapping produces from the same records (see [`Coverage::resolve_keys`]).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KeyCoverage {
    /// `assetKey`, `siteKeys`.
    pub field: String,
    /// The entity the key points to (`Asset`).
    pub target: String,
    /// Key values seen (each item of a key array counts).
    pub values: usize,
    /// Values naming a record the target's mapping produced.
    pub resolved: usize,
    /// Values naming none (`values - resolved`); none when the target was not checked.
    pub dangling: usize,
    /// Up to five dangling values, most frequent first, with their counts.
    pub dangling_examples: Vec<(String, usize)>,
    /// False when no records of the target entity were given to resolve against.
    pub checked: bool,
}

impl KeyCoverage {
    /// Resolved values as a percentage of all values (100 when there are none).
    pub fn resolved_percent(&self) -> f64 {
        if self.values == 0 {
            100.0
        } else {
            100.0 * self.resolved as f64 / self.values as f64
        }
    }
}

/// The `key` of every record `mapping` produces from `records`: what other mappings'
/// key fields pointing at its entity must name to resolve.
pub fn produced_keys(
    mapping: &Mapping,
    records: impl IntoIterator<Item = Value>,
    related: &Related,
) -> HashSet<String> {
    let Some(key_at) = mapping
        .fields
        .iter()
        .position(|f| f.name == "key" && !f.is_custom())
    else {
        return HashSet::new();
    };
    records
        .into_iter()
        .filter_map(|record| {
            let applied = mapping.apply(&record, related);
            match applied.values.get(key_at) {
                Some(Value::String(key)) if applied.taken => Some(key.clone()),
                _ => None,
            }
        })
        .collect()
}

/// Per-field coverage over a set of records.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    /// Records the mapping took (after its source filter).
    pub records: usize,
    /// Records the source filter skipped.
    pub skipped: usize,
    /// Records with at least one field error.
    pub records_with_errors: usize,
    /// Input that could not be read as a record at all (bad JSON lines).
    pub unreadable: usize,
    pub fields: Vec<FieldCoverage>,
    /// Referential coverage of each key field, once [`Coverage::resolve_keys`] has run.
    pub keys: Vec<KeyCoverage>,
    /// Per key field: `(field index, target entity)` and each key value with its count.
    #[serde(skip)]
    key_values: Vec<(usize, &'static str, HashMap<String, usize>)>,
}

impl Coverage {
    pub fn new(mapping: &Mapping) -> Coverage {
        let fields = mapping
            .fields
            .iter()
            .map(|f| {
                let (ty, required) = match f.target {
                    Target::Model(field) => (field.ty.describe(), field.required),
                    Target::Custom => ("custom".to_string(), false),
                };
                FieldCoverage {
                    field: f.label(),
                    ty,
                    required,
                    filled: 0,
                    null: 0,
                    error: 0,
                    top_values: Vec::new(),
                    more_values: false,
                    unmapped: BTreeMap::new(),
                    distinct: Vec::new(),
                    index: HashMap::new(),
                }
            })
            .collect();
        let key_values = mapping
            .fields
            .iter()
            .enumerate()
            .filter_map(|(index, f)| match f.target {
                Target::Model(field) => match &field.ty {
                    FieldType::Key(target) => Some((index, *target, HashMap::new())),
                    FieldType::Array(item) => match **item {
                        FieldType::Key(target) => Some((index, target, HashMap::new())),
                        _ => None,
                    },
                    _ => None,
                },
                Target::Custom => None,
            })
            .collect();
        Coverage {
            records: 0,
            skipped: 0,
            records_with_errors: 0,
            unreadable: 0,
            fields,
            keys: Vec::new(),
            key_values,
        }
    }

    /// Counts one applied record: owned values ([`Mapping::apply`]) or values left
    /// borrowed from the record ([`Mapping::apply_each`]).
    pub fn add<V: std::borrow::Borrow<Value>>(&mut self, applied: &Applied<V>) {
        if !applied.taken {
            self.skipped += 1;
            return;
        }
        self.records += 1;
        if applied.has_errors() {
            self.records_with_errors += 1;
        }
        for ((stats, outcome), value) in self
            .fields
            .iter_mut()
            .zip(&applied.outcomes)
            .zip(&applied.values)
        {
            match outcome {
                FieldOutcome::Filled => {
                    stats.filled += 1;
                    stats.count_value(value.borrow());
                }
                FieldOutcome::Null => stats.null += 1,
                FieldOutcome::Error => stats.error += 1,
            }
        }
        for (index, value) in &applied.unmapped {
            if let Some(stats) = self.fields.get_mut(*index) {
                *stats.unmapped.entry(value.clone()).or_default() += 1;
            }
        }
        for (index, _, seen) in &mut self.key_values {
            let mut count = |key: &Value| {
                if let Value::String(key) = key {
                    *seen.entry(key.clone()).or_default() += 1;
                }
            };
            match applied.values.get(*index).map(std::borrow::Borrow::borrow) {
                Some(Value::Array(items)) => items.iter().for_each(&mut count),
                Some(value) => count(value),
                None => {}
            }
        }
    }

    /// Resolves every key field against `produced`: for each entity, the keys its
    /// mapping produces from the same records ([`produced_keys`]). A key field whose
    /// target is missing from `produced` is reported unchecked.
    pub fn resolve_keys(&mut self, produced: &HashMap<String, HashSet<String>>) {
        self.keys = self
            .key_values
            .iter()
            .map(|(index, target, seen)| {
                let known = produced.get(*target);
                let values: usize = seen.values().sum();
                let mut dangling: Vec<(String, usize)> = match known {
                    Some(known) => seen
                        .iter()
                        .filter(|(key, _)| !known.contains(*key))
                        .map(|(key, n)| (key.clone(), *n))
                        .collect(),
                    None => Vec::new(),
                };
                let dangling_count: usize = dangling.iter().map(|(_, n)| n).sum();
                dangling.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                dangling.truncate(DANGLING_SHOWN);
                KeyCoverage {
                    field: self.fields[*index].field.clone(),
                    target: target.to_string(),
                    values,
                    resolved: if known.is_some() {
                        values - dangling_count
                    } else {
                        0
                    },
                    dangling: dangling_count,
                    dangling_examples: dangling,
                    checked: known.is_some(),
                }
            })
            .collect();
    }

    /// The entities the key fields point to: what [`Coverage::resolve_keys`] needs.
    pub fn key_targets(&self) -> Vec<&'static str> {
        let mut targets: Vec<&'static str> = self.key_values.iter().map(|(_, t, _)| *t).collect();
        targets.sort_unstable();
        targets.dedup();
        targets
    }

    /// Counts an input item that could not be read.
    pub fn add_unreadable(&mut self) {
        self.unreadable += 1;
    }

    /// Fixes the reported top values; call once after the last record.
    pub fn finish(&mut self) {
        for stats in &mut self.fields {
            let mut values: Vec<(usize, usize, &Value)> = stats
                .distinct
                .iter()
                .enumerate()
                .map(|(first_seen, (value, count))| (*count, first_seen, value))
                .collect();
            values.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            stats.more_values |= values.len() > DISTINCT_SHOWN;
            stats.top_values = values
                .into_iter()
                .take(DISTINCT_SHOWN)
                .map(|(count, _, v)| (v.clone(), count))
                .collect();
        }
    }

    /// A plain-text table, one row per field.
    pub fn to_table(&self) -> String {
        let pct = |n: usize| {
            if self.records == 0 {
                "-".to_string()
            } else {
                format!("{:.1}%", 100.0 * n as f64 / self.records as f64)
            }
        };
        let mut rows = vec![[
            "field".to_string(),
            "type".into(),
            "filled".into(),
            "null".into(),
            "error".into(),
            "values".into(),
        ]];
        for f in &self.fields {
            let mut values: Vec<String> = f
                .top_values
                .iter()
                .map(|(v, n)| format!("{} ({n})", short(v)))
                .collect();
            if f.more_values {
                values.push("…".into());
            }
            let mut values = values.join(", ");
            if !f.unmapped.is_empty() {
                let unmapped: Vec<String> = f
                    .unmapped
                    .iter()
                    .map(|(v, n)| format!("{v} ({n})"))
                    .collect();
                values.push_str(&format!("  UNMAPPED: {}", unmapped.join(", ")));
            }
            let name = if f.required {
                format!("{}*", f.field)
            } else {
                f.field.clone()
            };
            rows.push([
                name,
                short_type(&f.ty),
                pct(f.filled),
                pct(f.null),
                pct(f.error),
                values,
            ]);
        }
        let widths: Vec<usize> = (0..5)
            .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
            .collect();
        let mut out = String::new();
        for row in rows {
            for (c, cell) in row.iter().enumerate().take(5) {
                let pad = widths[c] - cell.chars().count();
                if (2..5).contains(&c) {
                    out.push_str(&" ".repeat(pad));
                    out.push_str(cell);
                } else {
                    out.push_str(cell);
                    out.push_str(&" ".repeat(pad));
                }
                out.push_str("  ");
            }
            out.push_str(&row[5]);
            out.push('\n');
        }
        out.push_str(&format!(
            "{} records mapped, {} skipped by the source filter, {} with errors, {} unreadable; * = required\n",
            self.records, self.skipped, self.records_with_errors, self.unreadable
        ));
        if !self.keys.is_empty() {
            out.push_str(
                "\nkeys             → target      values  resolved  dangling (examples)\n",
            );
            for key in &self.keys {
                let resolved = if key.checked {
                    format!("{:.1}%", key.resolved_percent())
                } else {
                    "unchecked".to_string()
                };
                let examples: Vec<String> = key
                    .dangling_examples
                    .iter()
                    .map(|(k, n)| format!("{k} ({n})"))
                    .collect();
                out.push_str(&format!(
                    "{:<16} → {:<10} {:>7}  {:>8}  {}{}\n",
                    key.field,
                    key.target,
                    key.values,
                    resolved,
                    key.dangling,
                    if examples.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", examples.join(", "))
                    }
                ));
            }
        }
        out
    }
}

fn short_type(ty: &str) -> String {
    if ty.starts_with("enum") {
        "enum".into()
    } else {
        ty.to_string()
    }
}

fn short(value: &Value) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.chars().count() > 24 {
        let cut: String = text.chars().take(23).collect();
        format!("{cut}…")
    } else {
        text
    }
}

impl FieldCoverage {
    fn count_value(&mut self, value: &Value) {
        let hash = value_hash(value);
        if let Some(positions) = self.index.get(&hash) {
            if let Some(&at) = positions.iter().find(|&&at| self.distinct[at].0 == *value) {
                self.distinct[at].1 += 1;
                return;
            }
        }
        if self.distinct.len() < DISTINCT_TRACKED {
            self.index
                .entry(hash)
                .or_default()
                .push(self.distinct.len());
            self.distinct.push((value.clone(), 1));
        } else {
            self.more_values = true;
        }
    }
}

/// A hash of a value's structure and content, without serializing it.
fn value_hash(value: &Value) -> u64 {
    use std::hash::{Hash, Hasher};
    fn feed(value: &Value, h: &mut std::collections::hash_map::DefaultHasher) {
        match value {
            Value::Null => 0u8.hash(h),
            Value::Bool(b) => (1u8, b).hash(h),
            Value::Number(n) => (2u8, n.as_i64(), n.as_u64(), n.as_f64().map(f64::to_bits)).hash(h),
            Value::String(s) => (3u8, s).hash(h),
            Value::Array(items) => {
                (4u8, items.len()).hash(h);
                items.iter().for_each(|v| feed(v, h));
            }
            Value::Object(map) => {
                (5u8, map.len()).hash(h);
                for (k, v) in map {
                    k.hash(h);
                    feed(v, h);
                }
            }
        }
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    feed(value, &mut h);
    h.finish()
}
