//! The records of one entity from one source, held in memory while the studio works on
//! them: the list (searchable), one record's tree with fill rates, and the profile that
//! the tree and the suggestions read.

use crate::types::{RecordRow, RecordTree, TreeNode};
use serde_json::Value;
use std::sync::OnceLock;
use unifield_engine::profile::{member_step, Profile};
use unifield_engine::transform::Kind;

/// Nesting deeper than this is not shown (the profile stops at the same depth).
const MAX_DEPTH: u32 = 32;

pub struct RecordSet {
    pub records: Vec<Value>,
    ids: Vec<String>,
    labels: Vec<String>,
    /// Lower-cased compact JSON per record, built on the first search.
    search_text: OnceLock<Vec<String>>,
    profile: OnceLock<Profile>,
}

impl RecordSet {
    pub fn new(records: Vec<Value>) -> RecordSet {
        let ids = records.iter().map(record_id).collect();
        let labels = records.iter().map(label).collect();
        RecordSet {
            records,
            ids,
            labels,
            search_text: OnceLock::new(),
            profile: OnceLock::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    pub fn profile(&self) -> &Profile {
        self.profile.get_or_init(|| {
            let mut profile = Profile::default();
            for record in &self.records {
                profile.add(record);
            }
            profile
        })
    }

    pub fn find(&self, id: &str) -> Option<&Value> {
        self.ids
            .iter()
            .position(|i| i == id)
            .map(|at| &self.records[at])
    }

    /// Rows whose id, label or any value contains every word of `query` (case-insensitive).
    pub fn search(&self, query: &str) -> Vec<RecordRow> {
        let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
        let row = |at: usize| RecordRow {
            id: self.ids[at].clone(),
            label: self.labels[at].clone(),
        };
        if words.is_empty() {
            return (0..self.records.len()).map(row).collect();
        }
        let texts = self.search_text.get_or_init(|| {
            self.records
                .iter()
                .map(|r| r.to_string().to_lowercase())
                .collect()
        });
        (0..self.records.len())
            .filter(|&at| words.iter().all(|w| texts[at].contains(w.as_str())))
            .map(row)
            .collect()
    }

    /// The record's tree: every node with its path, kind, value and fill rate.
    pub fn tree(&self, id: &str) -> Option<RecordTree> {
        let record = self.find(id)?;
        let profile = self.profile();
        let mut nodes = Vec::new();
        walk(record, "$", "$", "$", 0, &mut |node| {
            let fill_rate = profile
                .path(&node.pattern)
                .map_or(if node.pattern == "$" { 1.0 } else { 0.0 }, |p| {
                    p.fill_rate(profile.records)
                });
            nodes.push(TreeNode { fill_rate, ..node });
        });
        Some(RecordTree {
            id: id.to_string(),
            records: profile.records as u32,
            nodes,
        })
    }
}

fn walk(
    value: &Value,
    path: &str,
    pattern: &str,
    name: &str,
    depth: u32,
    on: &mut impl FnMut(TreeNode),
) {
    let children = match value {
        Value::Object(map) => map.len(),
        Value::Array(items) => items.len(),
        _ => 0,
    };
    let scalar = !(value.is_object() || value.is_array());
    on(TreeNode {
        path: path.to_string(),
        pattern: pattern.to_string(),
        name: name.to_string(),
        depth,
        kind: Kind::of(value).name().to_string(),
        value: scalar.then(|| value.clone()),
        children: children as u32,
        fill_rate: 0.0,
    });
    if depth >= MAX_DEPTH {
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let step = member_step(key);
                walk(
                    child,
                    &format!("{path}{step}"),
                    &format!("{pattern}{step}"),
                    key,
                    depth + 1,
                    on,
                );
            }
        }
        Value::Array(items) => {
            for (at, child) in items.iter().enumerate() {
                walk(
                    child,
                    &format!("{path}[{at}]"),
                    &format!("{pattern}[*]"),
                    &format!("[{at}]"),
                    depth + 1,
                    on,
                );
            }
        }
        _ => {}
    }
}

/// A record's id as text: Corrigo's `Id`.
pub fn record_id(record: &Value) -> String {
    match record.get("Id") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// A short line that tells records apart in the list: a work order's number and task, or
/// the first of a record's naming fields.
fn label(record: &Value) -> String {
    let text = |name: &str| {
        record
            .get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    if let (Some(number), Some(task)) = (text("Number"), text("TaskRefinement")) {
        return format!("{number} · {task}");
    }
    if let (Some(first), Some(last)) = (text("FirstName"), text("LastName")) {
        return format!("{first} {last}");
    }
    ["DisplayAs", "Name", "Number", "Description"]
        .iter()
        .find_map(|n| text(n))
        .map(str::to_string)
        .unwrap_or_else(|| format!("#{}", record_id(record)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set() -> RecordSet {
        RecordSet::new(vec![
            json!({"Id": 7, "Number": "WO-7", "TaskRefinement": "Leak: Sink", "Items": [{"Asset": {"Id": 3}}], "Odd key": null}),
            json!({"Id": 8, "Number": "WO-8", "TaskRefinement": "Paint", "Items": []}),
        ])
    }

    #[test]
    fn search_matches_every_word_anywhere_in_the_record() {
        let set = set();
        let ids = |q: &str| -> Vec<String> { set.search(q).into_iter().map(|r| r.id).collect() };
        assert_eq!(ids(""), ["7", "8"]);
        assert_eq!(ids("sink wo-7"), ["7"]);
        assert_eq!(ids("PAINT"), ["8"]);
        assert!(ids("paint sink").is_empty());
        assert_eq!(set.search("sink")[0].label, "WO-7 · Leak: Sink");
    }

    #[test]
    fn the_tree_gives_paths_patterns_kinds_and_fill_rates() {
        let tree = set().tree("7").unwrap();
        let node = |path: &str| tree.nodes.iter().find(|n| n.path == path).unwrap();
        let asset = node("$.Items[0].Asset.Id");
        assert_eq!(asset.pattern, "$.Items[*].Asset.Id");
        assert_eq!((asset.kind.as_str(), asset.depth), ("integer", 4));
        assert_eq!(asset.value, Some(json!(3)));
        assert_eq!(asset.fill_rate, 0.5, "filled in one of two records");
        assert_eq!(node("$.Id").fill_rate, 1.0);
        let odd = node("$['Odd key']");
        assert_eq!((odd.kind.as_str(), odd.fill_rate), ("null", 0.0));
        assert_eq!(node("$.Items").children, 1);
        assert_eq!(node("$.Items").value, None);
        assert!(set().tree("9").is_none());
    }
}
