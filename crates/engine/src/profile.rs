//! The source record tree: every path found in a set of records, with the kinds of value
//! seen there, how often it is filled, and a few sample values. The studio's left-hand tree
//! and the binding suggestions are built from it.
//!
//! Paths are JSONPath selectors a binding can use as they are: `$.WorkZone.Id`, with array
//! items as `[*]` (`$.Items[*].Asset.Id`) and unusual member names bracketed
//! (`$['Odd name']`).

use crate::transform::Kind;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// Sample values kept per path.
const SAMPLES: usize = 5;
/// Nesting deeper than this is not profiled (records are read, not walked forever).
const MAX_DEPTH: usize = 32;

/// What was seen at one path.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PathProfile {
    pub path: String,
    /// Records in which the path holds a non-null value (at least one, for `[*]` paths).
    pub filled: usize,
    /// Records in which the path is present but null.
    pub null: usize,
    /// Kinds of value seen, by how many records had each.
    pub kinds: BTreeMap<&'static str, usize>,
    /// A few distinct non-null scalar values, in the order first seen.
    pub samples: Vec<Value>,
    /// True for objects and arrays: the path has children in the tree.
    pub container: bool,
}

impl PathProfile {
    /// Share of all profiled records in which the path is filled, 0.0–1.0.
    pub fn fill_rate(&self, records: usize) -> f64 {
        if records == 0 {
            0.0
        } else {
            self.filled as f64 / records as f64
        }
    }

    /// The most common kind of value here.
    pub fn main_kind(&self) -> Option<&'static str> {
        self.kinds.iter().max_by_key(|(_, n)| **n).map(|(k, _)| *k)
    }
}

/// Profiles of every path over a set of records.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Profile {
    pub records: usize,
    paths: BTreeMap<String, PathProfile>,
}

impl Profile {
    /// Adds one record.
    pub fn add(&mut self, record: &Value) {
        self.records += 1;
        let mut seen: BTreeMap<String, (bool, Kind)> = BTreeMap::new();
        visit(record, "$".to_string(), 0, &mut |path, value| {
            let entry = seen.entry(path.clone()).or_insert((false, Kind::of(value)));
            entry.0 |= !value.is_null();
            if !value.is_null() {
                entry.1 = Kind::of(value);
            }
            let profile = self.paths.entry(path).or_insert_with_key(|p| PathProfile {
                path: p.clone(),
                filled: 0,
                null: 0,
                kinds: BTreeMap::new(),
                samples: Vec::new(),
                container: false,
            });
            profile.container |= value.is_object() || value.is_array();
            let scalar = !(value.is_null() || value.is_object() || value.is_array());
            if scalar && profile.samples.len() < SAMPLES && !profile.samples.contains(value) {
                profile.samples.push(value.clone());
            }
        });
        for (path, (filled, kind)) in seen {
            let profile = self.paths.get_mut(&path).expect("visited");
            if filled {
                profile.filled += 1;
                *profile.kinds.entry(kind.name()).or_default() += 1;
            } else {
                profile.null += 1;
            }
        }
    }

    /// Every path, in path order (parents before their children).
    pub fn paths(&self) -> impl Iterator<Item = &PathProfile> {
        self.paths.values()
    }

    pub fn path(&self, path: &str) -> Option<&PathProfile> {
        self.paths.get(path)
    }
}

/// A member name as a JSONPath step: `.Name` when it is a plain identifier, else `['…']`.
pub fn member_step(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        format!(".{name}")
    } else {
        format!("[{}]", crate::path::quote_name(name))
    }
}

fn visit(value: &Value, path: String, depth: usize, on: &mut impl FnMut(String, &Value)) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let child_path = format!("{path}{}", member_step(key));
                on(child_path.clone(), child);
                visit(child, child_path, depth + 1, on);
            }
        }
        Value::Array(items) => {
            let child_path = format!("{path}[*]");
            for item in items {
                on(child_path.clone(), item);
                visit(item, child_path.clone(), depth + 1, on);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::Selector;
    use serde_json::json;

    #[test]
    fn profiles_paths_fill_rates_kinds_and_samples() {
        let mut profile = Profile::default();
        profile.add(&json!({"Id": 1, "WorkZone": {"Id": 6}, "Items": [{"Asset": {"Id": 5}}, {"Asset": {"Id": 7}}], "PoNumber": ""}));
        profile.add(&json!({"Id": 2, "WorkZone": {"Id": 6}, "Due": null, "Odd name": true}));
        assert_eq!(profile.records, 2);
        let zone = profile.path("$.WorkZone.Id").unwrap();
        assert_eq!(
            (zone.filled, zone.fill_rate(2), zone.samples.clone()),
            (2, 1.0, vec![json!(6)])
        );
        let asset = profile.path("$.Items[*].Asset.Id").unwrap();
        assert_eq!(
            (asset.filled, asset.samples.clone()),
            (1, vec![json!(5), json!(7)]),
            "counted per record, sampled per value"
        );
        assert!(profile.path("$.Items").unwrap().container);
        let due = profile.path("$.Due").unwrap();
        assert_eq!((due.filled, due.null), (0, 1));
        assert_eq!(profile.path("$.Id").unwrap().main_kind(), Some("integer"));
        assert!(
            profile.path("$['Odd name']").is_some(),
            "{:?}",
            profile.paths().map(|p| &p.path).collect::<Vec<_>>()
        );
    }

    #[test]
    fn every_profiled_path_is_a_selector_that_finds_its_values() {
        let record = json!({"A b": {"c'd": [1, {"e": 2}]}, "x": [[3]]});
        let mut profile = Profile::default();
        profile.add(&record);
        for path in profile.paths() {
            let selector =
                Selector::parse(&path.path).unwrap_or_else(|e| panic!("{}: {e}", path.path));
            assert!(
                !selector.query(&record).is_empty(),
                "{} finds nothing",
                path.path
            );
        }
    }
}
