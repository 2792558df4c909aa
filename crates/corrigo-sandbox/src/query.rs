//! Corrigo's QueryExpression, evaluated over JSON records: conditions with every
//! operator, And/Or filters nested to any depth, dot paths, orders, projection, paging.

use serde_json::{json, Map, Value};
use std::cmp::Ordering;

/// Corrigo's per-query cap on returned entities.
pub const MAX_COUNT: usize = 4000;

/// A query that cannot run, with Corrigo's error code.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryError {
    pub code: &'static str,
    pub message: String,
}

fn parsing(message: impl Into<String>) -> QueryError {
    QueryError {
        code: "DATA_PARSING_ERROR",
        message: message.into(),
    }
}

/// A member by name, ignoring case as Corrigo does.
pub fn member<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object.get(name).or_else(|| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// The value at a dot path (`Info.TagId`), or null.
pub fn lookup<'a>(record: &'a Value, path: &str) -> &'a Value {
    let mut current = record;
    for part in path.split('.') {
        current = match current {
            Value::Object(map) => member(map, part).unwrap_or(&Value::Null),
            _ => &Value::Null,
        };
    }
    current
}

/// Compares a record value with a condition value as Corrigo would: numbers as
/// numbers, booleans as booleans, everything else as case-insensitive text.
fn compare(actual: &Value, wanted: &Value) -> Option<Ordering> {
    match actual {
        Value::Null => None,
        Value::Number(n) => {
            let wanted = match wanted {
                Value::Number(w) => w.as_f64(),
                Value::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            }?;
            n.as_f64()?.partial_cmp(&wanted)
        }
        Value::Bool(b) => {
            let wanted = match wanted {
                Value::Bool(w) => Some(*w),
                Value::String(s) => s.trim().to_ascii_lowercase().parse::<bool>().ok(),
                _ => None,
            }?;
            Some(b.cmp(&wanted))
        }
        Value::String(s) => {
            let wanted = match wanted {
                Value::String(w) => w.clone(),
                other => other.to_string(),
            };
            Some(s.to_lowercase().cmp(&wanted.to_lowercase()))
        }
        _ => None,
    }
}

/// SQL LIKE: `%` any run, `_` one character, case-insensitive.
fn like(text: &str, pattern: &str) -> bool {
    like_counted(text, pattern, &mut 0)
}

/// [`like`], counting character comparisons in `steps`. The pattern is split at `%` into
/// segments: the first must match at the start, the last at the end, and each middle one
/// is placed at its leftmost match after the one before (leftmost leaves the most room,
/// so it is never wrong to take it). No backtracking: at most text × pattern comparisons
/// (the old recursive matcher took exponential time on `%a%a%a…b`).
fn like_counted(text: &str, pattern: &str, steps: &mut usize) -> bool {
    let t: Vec<char> = text.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    let same = |a: char, b: char| a == b || a.to_lowercase().eq(b.to_lowercase());
    let mut matches_at = |at: usize, segment: &[char]| {
        segment.iter().enumerate().all(|(k, &c)| {
            *steps += 1;
            c == '_' || same(t[at + k], c)
        })
    };
    let segments: Vec<&[char]> = p.split(|&c| c == '%').collect();
    let (first, last, middle) = match segments.as_slice() {
        [only] => return t.len() == only.len() && matches_at(0, only),
        [first, middle @ .., last] => (*first, *last, middle),
        [] => return t.is_empty(),
    };
    if t.len() < first.len() + last.len() || !matches_at(0, first) {
        return false;
    }
    let end = t.len() - last.len();
    let mut at = first.len();
    for segment in middle.iter().filter(|s| !s.is_empty()) {
        let Some(found) = (at..=end.saturating_sub(segment.len()))
            .filter(|&start| start + segment.len() <= end)
            .find(|&start| matches_at(start, segment))
        else {
            return false;
        };
        at = found + segment.len();
    }
    at <= end && matches_at(end, last)
}

fn condition(record: &Value, condition: &Value) -> Result<bool, QueryError> {
    let property = condition
        .get("PropertyName")
        .and_then(Value::as_str)
        .ok_or_else(|| parsing("a condition needs PropertyName"))?;
    let operator = condition
        .get("Operator")
        .and_then(Value::as_str)
        .unwrap_or("Equal");
    let values: Vec<Value> = match condition.get("Values") {
        Some(Value::Array(items)) => items.clone(),
        Some(other) => vec![other.clone()],
        None => condition.get("Value").cloned().into_iter().collect(),
    };
    let actual = lookup(record, property);
    let first = || {
        values
            .first()
            .ok_or_else(|| parsing(format!("operator {operator} on {property} needs a value")))
    };
    let ordered = |accept: fn(Ordering) -> bool| -> Result<bool, QueryError> {
        Ok(compare(actual, first()?).is_some_and(accept))
    };
    let between = || -> Result<bool, QueryError> {
        let [low, high] = values.as_slice() else {
            return Err(parsing(format!(
                "{operator} on {property} needs two values"
            )));
        };
        Ok(compare(actual, low).is_some_and(|o| o != Ordering::Less)
            && compare(actual, high).is_some_and(|o| o != Ordering::Greater))
    };
    let text = || match actual {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    };
    Ok(match operator.to_ascii_lowercase().as_str() {
        "equal" => compare(actual, first()?) == Some(Ordering::Equal),
        "notequal" => compare(actual, first()?) != Some(Ordering::Equal),
        "greaterthan" => ordered(|o| o == Ordering::Greater)?,
        "greaterorequal" => ordered(|o| o != Ordering::Less)?,
        "lessthan" => ordered(|o| o == Ordering::Less)?,
        "lessorequal" => ordered(|o| o != Ordering::Greater)?,
        "in" => values
            .iter()
            .any(|v| compare(actual, v) == Some(Ordering::Equal)),
        "notin" => !values
            .iter()
            .any(|v| compare(actual, v) == Some(Ordering::Equal)),
        "between" => between()?,
        "notbetween" => !between()?,
        "like" => text().is_some_and(|t| {
            like(
                &t,
                first()
                    .map(|v| v.as_str().unwrap_or_default())
                    .unwrap_or_default(),
            )
        }),
        "notlike" => !text().is_some_and(|t| {
            like(
                &t,
                first()
                    .map(|v| v.as_str().unwrap_or_default())
                    .unwrap_or_default(),
            )
        }),
        "null" => actual.is_null(),
        "notnull" => !actual.is_null(),
        other => return Err(parsing(format!("unknown operator `{other}`"))),
    })
}

/// A FilterExpression: `Conditions` and nested `Filters`, joined by `FilterOperator`.
fn filter(record: &Value, expression: &Value, depth: usize) -> Result<bool, QueryError> {
    if depth > 32 {
        return Err(parsing("filters nest too deeply"));
    }
    let or = expression
        .get("FilterOperator")
        .and_then(Value::as_str)
        .is_some_and(|op| op.eq_ignore_ascii_case("Or"));
    let mut results = Vec::new();
    for c in expression
        .get("Conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        results.push(condition(record, c)?);
    }
    for f in expression
        .get("Filters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        results.push(filter(record, f, depth + 1)?);
    }
    Ok(if results.is_empty() {
        true
    } else if or {
        results.iter().any(|r| *r)
    } else {
        results.iter().all(|r| *r)
    })
}

/// Corrigo's default and requested projection: `*` keeps scalars and value objects,
/// gives a reference (an object with an `Id`) as just `{"Id": n}`, and leaves
/// collections out; `Items.*` adds all of a member; `A.B` adds one nested member (of a
/// reference too: Corrigo resolves `MainAsset.TypeId` on its side, and the sandbox's
/// records carry such members inside their references).
pub fn project(record: &Value, properties: &[String]) -> Value {
    Projection::new(properties).apply(record)
}

/// A property set read once per query for [`project`]: which members are given whole and
/// which nested paths each member has, lower-cased (names match case-insensitively). Matching
/// every property against every member of every record, lower-casing both each time, was
/// most of the sandbox's CPU per record served, on the same two cores as the client a pull
/// benchmark measures.
pub struct Projection {
    /// No properties, or `*`: what `*` gives is in.
    all: bool,
    /// Members given whole: every property's name, and `X` of every `X.*`.
    whole: std::collections::HashSet<String>,
    /// Per member, the projection of the paths below it (`X.rest` → `rest` under `x`).
    /// Shared: every path below one prefix is the same node, however it was reached.
    nested: std::collections::HashMap<String, std::sync::Arc<Projection>>,
}

/// The most dots a property may have (`A.B.C` has 2): deeper paths are refused with 400
/// [`PROPERTY_TOO_DEEP`] ([`check_depth`]), and a projection follows no more of them.
pub const MAX_PROPERTY_DOTS: usize = 16;

/// The code a property with more than [`MAX_PROPERTY_DOTS`] dots is refused with.
pub const PROPERTY_TOO_DEEP: &str = "PROPERTY_TOO_DEEP";

/// Refuses a property with more than [`MAX_PROPERTY_DOTS`] dots (the message names it,
/// cut to 200 characters).
pub fn check_depth(properties: &[String]) -> Result<(), String> {
    match properties
        .iter()
        .find(|p| p.matches('.').count() > MAX_PROPERTY_DOTS)
    {
        None => Ok(()),
        Some(deep) => Err(format!(
            "Property \"{}\" is nested deeper than {MAX_PROPERTY_DOTS} members.",
            deep.chars().take(200).collect::<String>()
        )),
    }
}

impl Projection {
    pub fn new(properties: &[String]) -> Projection {
        let lower: Vec<String> = properties.iter().map(|p| p.to_ascii_lowercase()).collect();
        Projection::below(
            "",
            properties,
            &lower,
            &mut std::collections::HashMap::new(),
        )
    }

    /// The projection of what the properties (`lower`: lower-cased) give below `prefix`
    /// (lower-cased, ending in a dot; empty for the whole set): each property that starts
    /// with it adds what follows. One node per prefix (`built`): following every split of
    /// every path from every node, as reading the paths anew at each level did, made 2^k
    /// nodes for a property with k dots. Splits are followed up to [`MAX_PROPERTY_DOTS`]
    /// dots into a property, which bounds the prefixes a property has.
    fn below(
        prefix: &str,
        properties: &[String],
        lower: &[String],
        built: &mut std::collections::HashMap<String, std::sync::Arc<Projection>>,
    ) -> Projection {
        let depth = prefix.matches('.').count();
        let mut whole = std::collections::HashSet::new();
        let mut heads = std::collections::BTreeSet::new();
        let (mut any, mut star) = (false, false);
        for (property, name) in properties.iter().zip(lower) {
            let Some(rest) = name.strip_prefix(prefix) else {
                continue;
            };
            any = true;
            // Lower-casing ASCII keeps every byte where it was.
            star |= &property[prefix.len()..] == "*";
            if let Some(head) = rest.strip_suffix(".*") {
                whole.insert(head.to_string());
            }
            // Every dot may end a member's name (`A.B.C` is `C` below `A.B`, and `B.C`
            // below `A`), as a prefix match of `name.` would find it.
            let room = MAX_PROPERTY_DOTS.saturating_sub(depth);
            for (at, _) in rest.match_indices('.').take(room) {
                heads.insert(rest[..at].to_string());
            }
            whole.insert(rest.to_string());
        }
        let nested = heads
            .into_iter()
            .map(|head| {
                let key = format!("{prefix}{head}.");
                let node = match built.get(&key) {
                    Some(node) => std::sync::Arc::clone(node),
                    None => {
                        let node =
                            std::sync::Arc::new(Projection::below(&key, properties, lower, built));
                        built.insert(key, std::sync::Arc::clone(&node));
                        node
                    }
                };
                (head, node)
            })
            .collect();
        Projection {
            all: !any || star,
            whole,
            nested,
        }
    }

    pub fn apply(&self, record: &Value) -> Value {
        let Value::Object(map) = record else {
            return record.clone();
        };
        let mut lower = String::new();
        Value::Object(
            map.iter()
                .filter_map(|(key, value)| {
                    Some((
                        key.clone(),
                        self.member(key, value, &mut lower)?.into_owned(),
                    ))
                })
                .collect(),
        )
    }

    /// What this projection gives of member `key` (`lower`: room to lower-case its name
    /// in), borrowed when it is the member as it is.
    fn member<'v>(
        &self,
        key: &str,
        value: &'v Value,
        lower: &mut String,
    ) -> Option<std::borrow::Cow<'v, Value>> {
        use std::borrow::Cow;
        lower.clear();
        lower.extend(key.chars().map(|c| c.to_ascii_lowercase()));
        if self.whole.contains(lower.as_str()) {
            return Some(Cow::Borrowed(value));
        }
        // What `*` gives of this member, if anything.
        let given = match value {
            Value::Array(_) => None,
            Value::Object(members) if self.all => Some(match members.get("Id") {
                Some(id) => Cow::Owned(json!({"Id": id})),
                None => Cow::Borrowed(value),
            }),
            _ if self.all => Some(Cow::Borrowed(value)),
            _ => None,
        };
        let Some(nested) = self.nested.get(lower.as_str()) else {
            return given;
        };
        let inner = match value {
            Value::Array(items) => Value::Array(items.iter().map(|v| nested.apply(v)).collect()),
            other => nested.apply(other),
        };
        Some(Cow::Owned(match (given.map(Cow::into_owned), inner) {
            (Some(Value::Object(mut base)), Value::Object(more)) => {
                base.extend(more);
                Value::Object(base)
            }
            (_, inner) => inner,
        }))
    }
}

/// A record as a projection gives it, written out straight from the record: serving a
/// page copied every member it kept into a new value only to write it out.
pub struct Projected<'a> {
    pub record: &'a Value,
    pub projection: &'a Projection,
}

impl serde::Serialize for Projected<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let Value::Object(map) = self.record else {
            return self.record.serialize(serializer);
        };
        let mut out = serializer.serialize_map(None)?;
        let mut lower = String::new();
        for (key, value) in map {
            if let Some(given) = self.projection.member(key, value, &mut lower) {
                out.serialize_entry(key, given.as_ref())?;
            }
        }
        out.end()
    }
}

/// The properties a QueryExpression's PropertySet asks for (empty: the default set).
pub fn properties(expression: &Value) -> Vec<String> {
    expression
        .pointer("/PropertySet/Properties")
        .and_then(Value::as_array)
        .map(|p| {
            p.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// Runs a `QueryExpression` over `records`, giving the page of projected records.
pub fn run<'a>(
    expression: &Value,
    records: impl Iterator<Item = &'a Value>,
) -> Result<Vec<Value>, QueryError> {
    let (page, projection) = run_page(expression, records)?;
    Ok(page.into_iter().map(|r| projection.apply(r)).collect())
}

/// [`run`]'s page as the records it selects, with the projection to give them through
/// (as [`Projected`], written out without a copy).
pub fn run_page<'a>(
    expression: &Value,
    records: impl Iterator<Item = &'a Value>,
) -> Result<(Vec<&'a Value>, Projection), QueryError> {
    let criteria = expression.get("Criteria");
    let orders: Vec<(String, bool)> = expression
        .get("Orders")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|o| {
            let name = o.get("PropertyName")?.as_str()?.to_string();
            let descending = o
                .get("OrderType")
                .and_then(Value::as_str)
                .is_some_and(|t| t.eq_ignore_ascii_case("Descending"));
            Some((name, descending))
        })
        .collect();
    let first = expression
        .get("FirstResultIndex")
        .and_then(Value::as_u64)
        .unwrap_or(0) as usize;
    let count = match expression.get("Count").and_then(Value::as_u64).unwrap_or(0) as usize {
        0 => MAX_COUNT,
        n => n.min(MAX_COUNT),
    };
    let projection = Projection::new(&properties(expression));
    let matches = |record: &Value| criteria.map_or(Ok(true), |c| filter(record, c, 0));
    // Records are kept in Id order, so the usual page (by Id, ascending, or unordered)
    // filters lazily and stops once it has its page: a pull's pages then cost what they
    // return plus what they skip, not a filter and sort of the whole entity each time.
    let by_id = orders.is_empty()
        || (orders.len() == 1 && orders[0].0.eq_ignore_ascii_case("Id") && !orders[0].1);
    if by_id {
        let mut page = Vec::new();
        let mut skipped = 0;
        for record in records {
            if !matches(record)? {
                continue;
            }
            if skipped < first {
                skipped += 1;
                continue;
            }
            page.push(record);
            if page.len() == count {
                break;
            }
        }
        return Ok((page, projection));
    }
    let mut matched = Vec::new();
    for record in records {
        if matches(record)? {
            matched.push(record);
        }
    }
    matched.sort_by(|a, b| {
        for (name, descending) in &orders {
            let ordering = compare(lookup(a, name), lookup(b, name)).unwrap_or_else(|| {
                // Nulls sort first, as in SQL Server.
                lookup(a, name)
                    .is_null()
                    .cmp(&lookup(b, name).is_null())
                    .reverse()
            });
            let ordering = if *descending {
                ordering.reverse()
            } else {
                ordering
            };
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        Ordering::Equal
    });
    Ok((
        matched.into_iter().skip(first).take(count).collect(),
        projection,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ids(expression: Value, records: &[Value]) -> Vec<i64> {
        run(&expression, records.iter())
            .unwrap()
            .iter()
            .map(|r| r["Id"].as_i64().unwrap())
            .collect()
    }

    fn records() -> Vec<Value> {
        vec![
            json!({"Id": 1, "StatusId": "New", "Number": "ASN001", "Info": {"TagId": "T1"}, "Items": [1], "LastActionDateUtc": "2022-01-01T00:00:00Z"}),
            json!({"Id": 2, "StatusId": "Completed", "Number": "ASN002", "Info": {"TagId": ""}, "LastActionDateUtc": "2022-06-01T00:00:00Z"}),
            json!({"Id": 3, "StatusId": "Cancelled", "Number": "XYZ003", "LastActionDateUtc": "2023-01-01T00:00:00Z"}),
        ]
    }

    #[test]
    fn conditions_cover_every_operator() {
        let r = records();
        let q = |op: &str, prop: &str, values: Value| json!({"Criteria": {"Conditions": [{"PropertyName": prop, "Operator": op, "Values": values}]}});
        assert_eq!(
            ids(q("Equal", "ID", json!(["2"])), &r),
            [2],
            "names and numbers as text, case-insensitively"
        );
        assert_eq!(ids(q("NotEqual", "StatusId", json!(["new"])), &r), [2, 3]);
        assert_eq!(ids(q("GreaterThan", "Id", json!([1])), &r), [2, 3]);
        assert_eq!(
            ids(
                q(
                    "GreaterOrEqual",
                    "LastActionDateUtc",
                    json!(["2022-06-01T00:00:00Z"])
                ),
                &r
            ),
            [2, 3]
        );
        assert_eq!(ids(q("LessThan", "Id", json!(["2"])), &r), [1]);
        assert_eq!(ids(q("LessOrEqual", "Id", json!(["2"])), &r), [1, 2]);
        assert_eq!(
            ids(q("In", "StatusId", json!(["New", "Cancelled"])), &r),
            [1, 3]
        );
        assert_eq!(
            ids(
                q("NotIn", "StatusId", json!(["Completed", "Cancelled"])),
                &r
            ),
            [1]
        );
        assert_eq!(ids(q("Between", "Id", json!(["2", "3"])), &r), [2, 3]);
        assert_eq!(ids(q("NotBetween", "Id", json!(["2", "3"])), &r), [1]);
        assert_eq!(ids(q("Like", "Number", json!(["asn%"])), &r), [1, 2]);
        assert_eq!(ids(q("NotLike", "Number", json!(["ASN_0_"])), &r), [3]);
        assert_eq!(ids(q("Null", "Info.TagId", json!([])), &r), [3]);
        assert_eq!(ids(q("NotNull", "Info.TagId", json!([])), &r), [1, 2]);
        assert_eq!(
            run(&q("Sideways", "Id", json!([1])), r.iter())
                .unwrap_err()
                .code,
            "DATA_PARSING_ERROR"
        );
    }

    #[test]
    fn filters_nest_with_and_or() {
        let expression = json!({"Criteria": {"FilterOperator": "Or",
            "Conditions": [{"PropertyName": "Id", "Operator": "Equal", "Values": ["1"]}],
            "Filters": [{"FilterOperator": "And", "Conditions": [
                {"PropertyName": "StatusId", "Operator": "Equal", "Values": ["Cancelled"]},
                {"PropertyName": "Number", "Operator": "Like", "Values": ["XYZ%"]}]}]}});
        assert_eq!(ids(expression, &records()), [1, 3]);
    }

    #[test]
    fn like_runs_without_backtracking_on_a_pathological_pattern() {
        let text = "a".repeat(10_000);
        let pattern = format!("{}b", "%a".repeat(12));
        let mut steps = 0;
        assert!(!like_counted(&text, &pattern, &mut steps));
        let bound = (text.len() + 1) * (pattern.len() + 1);
        assert!(steps <= bound, "{steps} comparisons (bound {bound})");
        let mut steps = 0;
        assert!(like_counted(&format!("{text}b"), &pattern, &mut steps));
        assert!(steps <= bound + text.len(), "{steps}");
    }

    #[test]
    fn like_keeps_sql_semantics() {
        for (text, pattern, expected) in [
            ("ASN0001", "asn%", true),
            ("ASN0001", "ASN_0_", false),
            ("ASN0001", "ASN_00_1", false),
            ("ASN0001", "ASN__0_1", false),
            ("ASN0001", "A%1", true),
            ("ASN0001", "%N0%0%", true),
            ("ASN0001", "%", true),
            ("", "%", true),
            ("", "", true),
            ("", "_", false),
            ("abc", "a%%c", true),
            ("abc", "ab%bc", false),
            ("abcbc", "ab%bc", true),
            ("Ünïcode", "ünï%", true),
            ("aXbXc", "%X%X%", true),
            ("aXb", "%X%X%", false),
        ] {
            assert_eq!(like(text, pattern), expected, "{text} LIKE {pattern}");
        }
    }

    #[test]
    fn the_lazy_id_order_path_pages_like_the_general_one() {
        let records: Vec<Value> = (1..=50)
            .map(|id| json!({"Id": id, "Even": id % 2 == 0}))
            .collect();
        let criteria = json!({"Conditions": [{"PropertyName": "Even", "Operator": "Equal", "Values": ["true"]}]});
        for (first, count) in [(0, 10), (5, 10), (20, 10), (24, 10), (30, 10)] {
            let lazy = json!({"Criteria": criteria, "Orders": [{"PropertyName": "Id", "OrderType": "Ascending"}], "FirstResultIndex": first, "Count": count});
            // Two orders force the general path; the second never breaks a tie.
            let general = json!({"Criteria": criteria, "Orders": [{"PropertyName": "Id"}, {"PropertyName": "Even"}], "FirstResultIndex": first, "Count": count});
            assert_eq!(
                run(&lazy, records.iter()).unwrap(),
                run(&general, records.iter()).unwrap(),
                "first {first}"
            );
        }
    }

    #[test]
    fn orders_paging_and_projection() {
        let expression = json!({"Orders": [{"PropertyName": "Id", "OrderType": "Descending"}], "Count": 2, "FirstResultIndex": 1,
            "PropertySet": {"Properties": ["Id", "Info.TagId", "Items.*"]}});
        let page = run(&expression, records().iter()).unwrap();
        assert_eq!(
            page,
            vec![
                json!({"Id": 2, "Info": {"TagId": ""}}),
                json!({"Id": 1, "Info": {"TagId": "T1"}, "Items": [1]})
            ]
        );
        let star = run(
            &json!({"PropertySet": {"Properties": ["*"]}, "Count": 1}),
            records().iter(),
        )
        .unwrap();
        assert!(star[0].get("Items").is_none(), "collections need X.*");
        assert_eq!(star[0]["Info"], json!({"TagId": "T1"}));
    }

    #[test]
    fn star_gives_references_as_their_id_and_dot_paths_add_members() {
        let record = json!({"Id": 1, "Number": "ASN1", "MainAsset": {"Id": 7, "TypeId": "Unit"},
            "VendorNte": {"CurrencyTypeId": "USD", "Value": 5.0}, "Items": [{"Id": 1, "Task": {"Id": 3}}]});
        let star = project(&record, &["*".to_string()]);
        assert_eq!(
            star,
            json!({"Id": 1, "Number": "ASN1", "MainAsset": {"Id": 7},
                   "VendorNte": {"CurrencyTypeId": "USD", "Value": 5.0}})
        );
        let asked: Vec<String> = ["*", "MainAsset.TypeId", "Items.*"]
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(project(&record, &asked), record);
        let exact: Vec<String> = ["Id", "MainAsset.TypeId"]
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(
            project(&record, &exact),
            json!({"Id": 1, "MainAsset": {"TypeId": "Unit"}})
        );
    }

    /// The projection as it was written before it was read once per query: every
    /// property matched against every member. The compiled [`Projection`] must give the
    /// same records.
    fn project_by_matching_each_property(record: &Value, properties: &[String]) -> Value {
        let Value::Object(map) = record else {
            return record.clone();
        };
        let all = properties.is_empty() || properties.iter().any(|p| p == "*");
        let mut out = Map::new();
        for (key, value) in map {
            let whole = properties.iter().any(|p| {
                p.strip_suffix(".*")
                    .is_some_and(|head| head.eq_ignore_ascii_case(key))
            });
            let named = properties.iter().any(|p| p.eq_ignore_ascii_case(key));
            let prefix = format!("{}.", key.to_ascii_lowercase());
            let nested: Vec<String> = properties
                .iter()
                .filter(|p| p.to_ascii_lowercase().starts_with(&prefix))
                .map(|p| p[prefix.len()..].to_string())
                .collect();
            if whole || named {
                out.insert(key.clone(), value.clone());
                continue;
            }
            let mut given = match value {
                Value::Array(_) => None,
                Value::Object(members) if all => Some(match members.get("Id") {
                    Some(id) => json!({"Id": id}),
                    None => value.clone(),
                }),
                _ if all => Some(value.clone()),
                _ => None,
            };
            if !nested.is_empty() {
                let inner = match value {
                    Value::Array(items) => Value::Array(
                        items
                            .iter()
                            .map(|v| project_by_matching_each_property(v, &nested))
                            .collect(),
                    ),
                    other => project_by_matching_each_property(other, &nested),
                };
                given = Some(match (given, inner) {
                    (Some(Value::Object(mut base)), Value::Object(more)) => {
                        base.extend(more);
                        Value::Object(base)
                    }
                    (_, inner) => inner,
                });
            }
            if let Some(given) = given {
                out.insert(key.clone(), given);
            }
        }
        Value::Object(out)
    }

    #[test]
    fn a_projection_read_once_gives_what_matching_each_property_gives() {
        let data = crate::data::Data::generate(7, 300);
        let sets: Vec<Vec<&str>> = vec![
            vec![],
            vec!["*"],
            vec!["Id"],
            vec!["*", "Items.*", "MainAsset.TypeId"],
            // Names match whatever their case; paths go as deep as they are written.
            vec![
                "id",
                "NUMBER",
                "mainasset.typeid",
                "Customer.Address.City",
                "items.task.id",
            ],
            vec![
                "*",
                "Items.Task.*",
                "Items.Id",
                "Contact.*",
                "Status",
                "X.Y.Z",
            ],
            // A member whose name holds a dot is found by its full name too.
            vec!["A.B.C", "a.b", "Items.*", "items.Id"],
        ];
        let mut compared = 0;
        for entity in crate::data::ENTITIES {
            for record in data.records(entity) {
                for set in &sets {
                    let set: Vec<String> = set.iter().map(|p| p.to_string()).collect();
                    let projected = project(record, &set);
                    assert_eq!(
                        projected,
                        project_by_matching_each_property(record, &set),
                        "{entity} with {set:?}"
                    );
                    // Written out straight from the record: the same text.
                    let projection = Projection::new(&set);
                    assert_eq!(
                        serde_json::to_string(&Projected {
                            record,
                            projection: &projection
                        })
                        .unwrap(),
                        projected.to_string(),
                        "{entity} with {set:?}"
                    );
                    compared += 1;
                }
            }
        }
        assert!(
            compared > 300 * sets.len(),
            "{compared} projections compared"
        );
        let dotted = json!({"Id": 1, "A.B": {"C": 2, "D": 3}, "A": {"B": {"C": 4}, "E": 5}});
        for set in [vec!["A.B.C"], vec!["a.b"], vec!["*", "A.B.C"], vec!["A.*"]] {
            let set: Vec<String> = set.iter().map(|p| p.to_string()).collect();
            assert_eq!(
                project(&dotted, &set),
                project_by_matching_each_property(&dotted, &set),
                "{set:?}"
            );
        }
    }

    /// The distinct nodes of a projection (a node reached twice counts once).
    fn nodes(projection: &Projection, seen: &mut std::collections::HashSet<usize>) -> usize {
        if !seen.insert(projection as *const Projection as usize) {
            return 0;
        }
        1 + projection
            .nested
            .values()
            .map(|child| {
                let child: &Projection = child;
                nodes(child, seen)
            })
            .sum::<usize>()
    }

    /// A property with k dots once made 2^k nodes (every split followed from every node):
    /// 20 dots a million, 40 more than any machine builds. Now one per prefix, at most
    /// MAX_PROPERTY_DOTS + 1, and what it gives is unchanged.
    #[test]
    fn a_deep_property_makes_a_node_per_prefix() {
        let path = |dots: usize| {
            (0..=dots)
                .map(|i| format!("M{i}"))
                .collect::<Vec<_>>()
                .join(".")
        };
        let twenty = Projection::new(&[path(20)]);
        let built = nodes(&twenty, &mut Default::default());
        assert!(built <= MAX_PROPERTY_DOTS + 1, "{built} nodes for 20 dots");
        let forty = Projection::new(&[path(40), "Id".to_string()]);
        let built = nodes(&forty, &mut Default::default());
        assert!(built <= MAX_PROPERTY_DOTS + 1, "{built} nodes for 40 dots");
        let record = json!({"Id": 1, "M0": {"M1": {"M2": 3, "X": 4}}, "Other": 5});
        assert_eq!(
            forty.apply(&record),
            json!({"Id": 1, "M0": {"M1": {"M2": 3}}}),
            "a deep path keeps the members on its way (a scalar as it is)"
        );
        assert!(check_depth(&[path(16)]).is_ok());
        let refused = check_depth(&[path(17)]).unwrap_err();
        assert!(refused.contains("deeper than 16"), "{refused}");
    }
}
