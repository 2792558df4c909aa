//! RFC 9535 JSONPath selectors, parsed once and evaluated many times.
//!
//! Parsing and general evaluation are jsonpath-rust's. Two things are added:
//! - well-typedness checks (RFC 9535 §2.4.3) that the library does not make, so an
//!   ill-typed selector is rejected when a mapping loads, not silently evaluated;
//! - a fast path for singular selectors made only of names and indices (`$.WorkZone.Id`,
//!   `$.Items[0]`), which are nearly every binding in a mapping: they are walked directly
//!   instead of through the general evaluator. A property test checks both agree.

mod typing;

use jsonpath_rust::parser::model::{JpQuery, Segment, Selector as JpSelector};
use jsonpath_rust::parser::{errors::JsonPathError, parse_json_path};
use jsonpath_rust::query::js_path_process;
use serde_json::Value;
use std::fmt;
use thiserror::Error;

/// A selector that failed to parse or is ill-typed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid JSONPath `{selector}` at position {position}: {message}")]
pub struct PathError {
    pub selector: String,
    /// 1-based character position in the selector where the problem was found.
    pub position: usize,
    pub message: String,
}

/// One step of a singular selector.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Name(String),
    Index(i64),
}

#[derive(Debug, Clone)]
enum Plan {
    /// Only names and indices: at most one match, walked directly.
    Singular(Vec<Step>),
    General(JpQuery),
}

/// A parsed, validated JSONPath selector.
#[derive(Debug, Clone)]
pub struct Selector {
    text: String,
    plan: Plan,
}

impl PartialEq for Selector {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for Selector {
    type Err = PathError;
    fn from_str(s: &str) -> Result<Self, PathError> {
        Selector::parse(s)
    }
}

impl Selector {
    /// Parses and type-checks `text` as an RFC 9535 JSONPath query.
    pub fn parse(text: &str) -> Result<Selector, PathError> {
        let query = parse_json_path(text).map_err(|e| syntax_error(text, e))?;
        typing::check(&query).map_err(|problem| PathError {
            selector: text.to_string(),
            position: problem.locate(text),
            message: problem.message,
        })?;
        let plan = match singular_steps(&query) {
            Some(steps) => Plan::Singular(steps),
            None => Plan::General(query),
        };
        Ok(Selector {
            text: text.to_string(),
            plan,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// True when the selector can match at most one value (names and indices only).
    pub fn is_singular(&self) -> bool {
        matches!(self.plan, Plan::Singular(_))
    }

    /// The value a singular selector points at; `None` when it matches nothing or the
    /// selector is not singular.
    pub fn get<'a>(&self, root: &'a Value) -> Option<&'a Value> {
        match &self.plan {
            Plan::Singular(steps) => walk(steps, root),
            Plan::General(_) => None,
        }
    }

    /// The first member name of a singular selector that starts with one
    /// (`WorkZone` of `$.WorkZone.Id`).
    pub fn head(&self) -> Option<&str> {
        match &self.plan {
            Plan::Singular(steps) => match steps.first() {
                Some(Step::Name(name)) => Some(name),
                _ => None,
            },
            Plan::General(_) => None,
        }
    }

    /// The member names the selector starts with (`["Info", "TagId"]` of `$.Info.TagId`,
    /// `["Items"]` of `$.Items[*].Asset.Id`) and whether anything follows them. Empty
    /// when it does not start at a named member (`$..Id`, `$.*`, `$[0]`).
    pub fn leading_names(&self) -> (Vec<&str>, bool) {
        match &self.plan {
            Plan::Singular(steps) => {
                let names: Vec<&str> = steps
                    .iter()
                    .map_while(|step| match step {
                        Step::Name(name) => Some(name.as_str()),
                        Step::Index(_) => None,
                    })
                    .collect();
                let more = names.len() < steps.len();
                (names, more)
            }
            Plan::General(query) => {
                let names: Vec<&str> = query
                    .segments
                    .iter()
                    .map_while(|segment| match segment {
                        Segment::Selector(JpSelector::Name(name)) => Some(name.as_str()),
                        _ => None,
                    })
                    .collect();
                let more = names.len() < query.segments.len();
                (names, more)
            }
        }
    }

    /// The one member a selector reads everything from, when it starts at a named member
    /// and looks nowhere else (no `$` inside a filter): run on an object holding only that
    /// member, it matches what it matches on the whole record, in the same order.
    pub(crate) fn only_below_head(&self) -> Option<&str> {
        match &self.plan {
            Plan::Singular(_) => self.head(),
            Plan::General(query) => {
                let first = *self.leading_names().0.first()?;
                (!typing::has_absolute_query(&query.segments)).then_some(first)
            }
        }
    }

    /// What a singular selector points at, given the value of its `head()` member.
    pub fn get_below_head<'a>(&self, head: &'a Value) -> Option<&'a Value> {
        match &self.plan {
            Plan::Singular(steps) if !steps.is_empty() => walk(&steps[1..], head),
            _ => None,
        }
    }

    /// Every matched value, in RFC 9535 order.
    pub fn query<'a>(&self, root: &'a Value) -> Vec<&'a Value> {
        match &self.plan {
            Plan::Singular(steps) => walk(steps, root).into_iter().collect(),
            Plan::General(query) => evaluate(query, root).into_iter().map(|(_, v)| v).collect(),
        }
    }

    /// Every match with its normalized path (`$['WorkZone']['Id']`).
    pub fn query_located<'a>(&self, root: &'a Value) -> Vec<(String, &'a Value)> {
        match &self.plan {
            Plan::Singular(steps) => walk(steps, root)
                .map(|v| (normalized_path(steps, root), v))
                .into_iter()
                .collect(),
            Plan::General(query) => evaluate(query, root),
        }
    }
}

/// Runs `query` through jsonpath-rust, returning `(normalized path, value)` pairs.
///
/// One segment shape is driven here instead: a descendant segment with several
/// selectors (`$..['a','d']`). RFC 9535 §2.5.2.2 visits the descendants in document
/// order and applies all the selectors to each before moving on; the library applies each
/// selector to all descendants in turn, which orders results differently. The rest of the
/// query is then evaluated with each descendant as its root, which is only sound when the
/// rest holds no absolute (`$`) query inside a filter; otherwise the library's order stands.
fn evaluate<'a>(query: &JpQuery, root: &'a Value) -> Vec<(String, &'a Value)> {
    let split = query.segments.iter().position(|segment| {
        matches!(segment, Segment::Descendant(inner) if matches!(&**inner, Segment::Selectors(s) if s.len() > 1))
    });
    let Some(at) = split.filter(|&at| !typing::has_absolute_query(&query.segments[at..])) else {
        return library(query, root);
    };
    let prefix = JpQuery::new(query.segments[..at].to_vec());
    let Segment::Descendant(inner) = &query.segments[at] else {
        unreachable!("matched above")
    };
    let mut rest = vec![(**inner).clone()];
    rest.extend_from_slice(&query.segments[at + 1..]);
    let rest = JpQuery::new(rest);
    let mut found = Vec::new();
    for (path, node) in library(&prefix, root) {
        // Pre-order walk with an explicit stack, so deep documents cannot overflow it.
        let mut visit = vec![(path, node)];
        while let Some((path, current)) = visit.pop() {
            for (sub, value) in evaluate(&rest, current) {
                found.push((format!("{path}{}", &sub[1..]), value));
            }
            match current {
                Value::Array(items) => {
                    for (index, item) in items.iter().enumerate().rev() {
                        visit.push((format!("{path}[{index}]"), item));
                    }
                }
                Value::Object(map) => {
                    for (key, item) in map.iter().rev() {
                        visit.push((format!("{path}[{}]", quote_name(key)), item));
                    }
                }
                _ => {}
            }
        }
    }
    found
}

fn library<'a>(query: &JpQuery, root: &'a Value) -> Vec<(String, &'a Value)> {
    js_path_process(query, root)
        .map(|found| found.into_iter().map(|r| (r.path, r.val)).collect())
        .unwrap_or_default()
}

/// A member name as RFC 9535 normalized paths write it: `'name'` with escapes.
pub(crate) fn quote_name(name: &str) -> String {
    let mut out = String::from("'");
    for c in name.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            c if c < '\u{20}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn syntax_error(text: &str, error: JsonPathError) -> PathError {
    let (position, message) = match &error {
        JsonPathError::PestError(pest_error) => {
            let column = match pest_error.line_col {
                pest::error::LineColLocation::Pos((_, col)) => col,
                pest::error::LineColLocation::Span((_, col), _) => col,
            };
            let message = match &pest_error.variant {
                pest::error::ErrorVariant::ParsingError { .. } => {
                    "unexpected input here".to_string()
                }
                pest::error::ErrorVariant::CustomError { message } => message.clone(),
            };
            (column, message)
        }
        other => (1, other.to_string()),
    };
    PathError {
        selector: text.to_string(),
        position,
        message,
    }
}

fn singular_steps(query: &JpQuery) -> Option<Vec<Step>> {
    query
        .segments
        .iter()
        .map(|segment| match segment {
            Segment::Selector(JpSelector::Name(name)) => Some(Step::Name(name.clone())),
            Segment::Selector(JpSelector::Index(index)) => Some(Step::Index(*index)),
            _ => None,
        })
        .collect()
}

fn walk<'a>(steps: &[Step], root: &'a Value) -> Option<&'a Value> {
    let mut current = root;
    for step in steps {
        current = match (step, current) {
            (Step::Name(name), Value::Object(map)) => map.get(name)?,
            (Step::Index(index), Value::Array(items)) => {
                items.get(resolve_index(*index, items.len())?)?
            }
            _ => return None,
        };
    }
    Some(current)
}

fn resolve_index(index: i64, len: usize) -> Option<usize> {
    if index >= 0 {
        usize::try_from(index).ok()
    } else {
        let back = usize::try_from(index.unsigned_abs()).ok()?;
        len.checked_sub(back)
    }
}

fn normalized_path(steps: &[Step], root: &Value) -> String {
    let mut out = String::from("$");
    let mut current = root;
    for step in steps {
        match step {
            Step::Name(name) => {
                out.push('[');
                out.push_str(&quote_name(name));
                out.push(']');
                current = current.get(name).unwrap_or(&Value::Null);
            }
            Step::Index(index) => {
                let len = current.as_array().map_or(0, Vec::len);
                let resolved = resolve_index(*index, len).unwrap_or(0);
                out.push_str(&format!("[{resolved}]"));
                current = current.get(resolved).unwrap_or(&Value::Null);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn singular_selectors_take_the_fast_path_and_find_nested_values() {
        let record = json!({"WorkZone": {"Id": 6}, "Items": [{"Id": 1}, {"Id": 2}]});
        let zone = Selector::parse("$.WorkZone.Id").unwrap();
        assert!(zone.is_singular());
        assert_eq!(zone.get(&record), Some(&json!(6)));
        let last = Selector::parse("$.Items[-1].Id").unwrap();
        assert_eq!(last.get(&record), Some(&json!(2)));
        assert_eq!(
            last.query_located(&record),
            vec![("$['Items'][1]['Id']".to_string(), &json!(2))]
        );
    }

    #[test]
    fn head_and_the_rest_find_what_get_finds() {
        let record = json!({"WorkZone": {"Id": 6}});
        let zone = Selector::parse("$['WorkZone'].Id").unwrap();
        assert_eq!(zone.head(), Some("WorkZone"));
        assert_eq!(zone.get_below_head(&record["WorkZone"]), zone.get(&record));
        assert_eq!(Selector::parse("$[0]").unwrap().head(), None);
        assert_eq!(Selector::parse("$..Id").unwrap().head(), None);
    }

    #[test]
    fn general_selectors_return_every_match() {
        let record = json!({"Items": [{"Id": 1}, {"Id": 2}]});
        let ids = Selector::parse("$.Items[*].Id").unwrap();
        assert!(!ids.is_singular());
        assert_eq!(ids.query(&record), vec![&json!(1), &json!(2)]);
    }

    #[test]
    fn a_syntax_error_names_its_position() {
        let error = Selector::parse("$.WorkZone[").unwrap_err();
        assert_eq!(error.position, 12, "{error}");
        assert!(error.to_string().contains("position 12"));
    }

    #[test]
    fn an_ill_typed_function_call_is_rejected_at_its_position() {
        let error = Selector::parse("$[?length(@.*) < 3]").unwrap_err();
        assert_eq!(error.position, 4, "{error}");
    }
}
