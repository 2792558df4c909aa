//! The records of one entity from one source, held in memory while the studio works on
//! them: the list (searchable), one record's tree with fill rates, and the profile that
//! the tree and the suggestions read.

use crate::types::{RecordPage, RecordRow, RecordTree, TreeNode};
use serde_json::Value;
use std::sync::OnceLock;
use unifield_engine::input::parse_record;
use unifield_engine::profile::{member_step, Profile};
use unifield_engine::transform::Kind;

/// The most rows one page of the record list holds (a screen shows a few dozen).
pub const MAX_PAGE_ROWS: usize = 500;

/// Nesting deeper than this is not shown (the profile stops at the same depth).
const MAX_DEPTH: u32 = 32;

/// Records are held as their JSON text (a tenth of the memory of parsed values) and
/// parsed when used: one for the tree and the preview, all of them (projected to the
/// members the mapping reads) for coverage.
pub struct RecordSet {
    raw: Vec<Box<str>>,
    ids: Vec<String>,
    labels: Vec<String>,
    profile: OnceLock<Profile>,
}

/// The members that ids and labels come from.
fn label_members() -> &'static [String] {
    static MEMBERS: OnceLock<Vec<String>> = OnceLock::new();
    MEMBERS.get_or_init(|| {
        [
            "Id",
            "Number",
            "TaskRefinement",
            "FirstName",
            "LastName",
            "DisplayAs",
            "Name",
            "Description",
        ]
        .map(String::from)
        .to_vec()
    })
}

impl RecordSet {
    /// Holds `records` (JSON texts of objects). A text that is not a JSON object is an
    /// error naming its position; nothing is held then.
    pub fn new(records: Vec<Box<str>>) -> Result<RecordSet, (usize, String)> {
        let mut ids = Vec::with_capacity(records.len());
        let mut labels = Vec::with_capacity(records.len());
        for (at, text) in records.iter().enumerate() {
            let head =
                parse_record(text, Some(label_members())).map_err(|e| (at, e.to_string()))?;
            ids.push(record_id(&head));
            labels.push(label(&head));
        }
        Ok(RecordSet {
            raw: records,
            ids,
            labels,
            profile: OnceLock::new(),
        })
    }

    pub fn len(&self) -> usize {
        self.raw.len()
    }

    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// Every record parsed, keeping only the top-level members in `keep` (all when none).
    /// A record that no longer parses (it did when held) is skipped.
    pub fn parsed<'a>(&'a self, keep: Option<&'a [String]>) -> impl Iterator<Item = Value> + 'a {
        self.raw
            .iter()
            .filter_map(move |text| parse_record(text, keep).ok())
    }

    /// The records' JSON texts, in source order.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.raw.iter().map(|t| &**t)
    }

    pub fn profile(&self) -> &Profile {
        self.profile.get_or_init(|| {
            let mut profile = Profile::default();
            for record in self.parsed(None) {
                profile.add(&record);
            }
            profile
        })
    }

    pub fn find(&self, id: &str) -> Option<Value> {
        let at = self.ids.iter().position(|i| i == id)?;
        parse_record(&self.raw[at], None).ok()
    }

    /// Rows whose JSON text (ids, labels, every value and member name) contains every
    /// word of `query`, ignoring case.
    pub fn search(&self, query: &str) -> Vec<RecordRow> {
        self.matching(query).map(|at| self.row(at)).collect()
    }

    /// One window of [`RecordSet::search`]'s matches: the `limit` rows from `offset`, how
    /// many match, the first match, and where `selected` is among them. What the record
    /// list asks for as it scrolls, so the page never holds more rows than it shows.
    pub fn search_page(
        &self,
        query: &str,
        offset: usize,
        limit: usize,
        selected: Option<&str>,
    ) -> RecordPage {
        let limit = limit.min(MAX_PAGE_ROWS);
        let mut page = RecordPage {
            total: self.raw.len() as u32,
            matches: 0,
            offset: offset as u32,
            rows: Vec::new(),
            first: None,
            selected_at: None,
        };
        for (position, at) in self.matching(query).enumerate() {
            if position == 0 {
                page.first = Some(self.ids[at].clone());
            }
            if (offset..offset.saturating_add(limit)).contains(&position) {
                page.rows.push(self.row(at));
            }
            if page.selected_at.is_none() && selected == Some(self.ids[at].as_str()) {
                page.selected_at = Some(position as u32);
            }
            page.matches += 1;
        }
        page
    }

    fn matching<'a>(&'a self, query: &str) -> impl Iterator<Item = usize> + 'a {
        let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
        (0..self.raw.len()).filter(move |&at| {
            words
                .iter()
                .all(|w| contains_ignoring_case(&self.raw[at], w))
        })
    }

    fn row(&self, at: usize) -> RecordRow {
        RecordRow {
            id: self.ids[at].clone(),
            label: self.labels[at].clone(),
        }
    }

    /// The record's tree: every node with its path, kind, value and fill rate.
    pub fn tree(&self, id: &str) -> Option<RecordTree> {
        let record = self.find(id)?;
        let profile = self.profile();
        let mut nodes = Vec::new();
        walk(&record, "$", "$", "$", 0, &mut |node| {
            let seen = profile.path(&node.pattern);
            let fill_rate = seen.map_or(if node.pattern == "$" { 1.0 } else { 0.0 }, |p| {
                p.fill_rate(profile.records)
            });
            let samples = seen.map(|p| p.samples.clone()).unwrap_or_default();
            nodes.push(TreeNode {
                fill_rate,
                samples,
                ..node
            });
        });
        let here: std::collections::HashSet<String> =
            nodes.iter().map(|n| n.pattern.clone()).collect();
        let absent: Vec<TreeNode> = profile
            .paths()
            .filter(|p| p.filled > 0 && !here.contains(&p.path))
            .map(|p| TreeNode {
                path: p.path.clone(),
                pattern: p.path.clone(),
                name: p.path.trim_start_matches('$').to_string(),
                depth: 1,
                kind: p.main_kind().unwrap_or("null").to_string(),
                value: None,
                children: 0,
                fill_rate: p.fill_rate(profile.records),
                samples: p.samples.clone(),
                present: false,
            })
            .collect();
        nodes.extend(absent);
        Some(RecordTree {
            id: id.to_string(),
            records: profile.records as u32,
            nodes,
        })
    }
}

/// Whether `text` contains `lower` (already lower-cased), ignoring case. ASCII needles
/// are matched in place; others against a lower-cased copy of the text.
fn contains_ignoring_case(text: &str, lower: &str) -> bool {
    if !lower.is_ascii() {
        return text.to_lowercase().contains(lower);
    }
    let (hay, needle) = (text.as_bytes(), lower.as_bytes());
    needle.is_empty()
        || hay
            .windows(needle.len())
            .any(|window| window.eq_ignore_ascii_case(needle))
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
        samples: Vec::new(),
        present: true,
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
        RecordSet::new(
            [
                json!({"Id": 7, "Number": "WO-7", "TaskRefinement": "Leak: Sink", "Items": [{"Asset": {"Id": 3}}], "Odd key": null}),
                json!({"Id": 8, "Number": "WO-8", "TaskRefinement": "Paint", "Items": [], "Note": "Ünïcode"}),
            ]
            .iter()
            .map(|v| v.to_string().into_boxed_str())
            .collect(),
        )
        .unwrap()
    }

    #[test]
    fn a_text_that_is_not_a_record_is_refused_with_its_position() {
        let refused = RecordSet::new(vec!["{\"Id\": 1}".into(), "[1".into()])
            .err()
            .unwrap();
        assert_eq!(refused.0, 1);
    }

    #[test]
    fn search_matches_every_word_anywhere_in_the_record() {
        let set = set();
        let ids = |q: &str| -> Vec<String> { set.search(q).into_iter().map(|r| r.id).collect() };
        assert_eq!(ids(""), ["7", "8"]);
        assert_eq!(ids("sink wo-7"), ["7"]);
        assert_eq!(ids("PAINT"), ["8"]);
        assert!(ids("paint sink").is_empty());
        assert_eq!(
            ids("ÜNÏ"),
            ["8"],
            "non-ASCII text matches ignoring case too"
        );
        assert_eq!(set.search("sink")[0].label, "WO-7 · Leak: Sink");
    }

    #[test]
    fn a_page_holds_its_window_of_the_matches_and_says_where_the_selection_is() {
        let texts: Vec<Box<str>> = (1..=1_000)
            .map(|n| {
                let kind = if n % 2 == 0 { "even" } else { "odd" };
                format!(r#"{{"Id":{n},"Number":"WO-{n}","Kind":"{kind}"}}"#).into()
            })
            .collect();
        let set = RecordSet::new(texts).unwrap();
        let ids =
            |page: &RecordPage| -> Vec<String> { page.rows.iter().map(|r| r.id.clone()).collect() };
        let page = set.search_page("even", 100, 3, Some("500"));
        assert_eq!((page.total, page.matches, page.offset), (1_000, 500, 100));
        assert_eq!(ids(&page), ["202", "204", "206"]);
        assert_eq!(page.first.as_deref(), Some("2"));
        assert_eq!(page.selected_at, Some(249), "500 is the 250th even record");
        // The same rows as the whole search's, window by window.
        let all = set.search("even");
        assert_eq!(page.rows, all[100..103]);
        // A selection that does not match, a window past the end, a limit past the cap.
        let page = set.search_page("even", 499, 10, Some("7"));
        assert_eq!(
            (ids(&page), page.selected_at),
            (vec!["1000".to_string()], None)
        );
        assert!(set.search_page("even", 600, 10, None).rows.is_empty());
        assert_eq!(
            set.search_page("", 0, usize::MAX, None).rows.len(),
            MAX_PAGE_ROWS
        );
        let none = set.search_page("nothing matches this", 0, 10, Some("2"));
        assert_eq!(
            (none.matches, none.first, none.selected_at),
            (0, None, None)
        );
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
        let absent: Vec<&str> = tree
            .nodes
            .iter()
            .filter(|n| !n.present)
            .map(|n| n.path.as_str())
            .collect();
        assert_eq!(absent, ["$.Note"], "only record 8 has a note");

        // Record 8 lacks what record 7 has: those paths follow its own, to bind.
        let tree = set().tree("8").unwrap();
        let asset = tree
            .nodes
            .iter()
            .find(|n| n.path == "$.Items[*].Asset.Id")
            .unwrap();
        assert!(!asset.present);
        assert_eq!(
            (asset.fill_rate, asset.samples.clone()),
            (0.5, vec![json!(3)])
        );
        let last_present = tree.nodes.iter().rposition(|n| n.present).unwrap();
        let first_absent = tree.nodes.iter().position(|n| !n.present).unwrap();
        assert!(last_present < first_absent);
        assert!(
            !tree.nodes.iter().any(|n| n.path == "$['Odd key']"),
            "never filled anywhere: nothing to bind"
        );
    }
}
