//! Nulls, defaults, value maps and lookups.

use super::args::{Args, Param, ParamKind};
use super::{Accepts, Kind, Op, StepContext, StepError, Transform};
use crate::path::Selector;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashMap;

#[derive(Debug, Clone)]
pub(crate) enum TableOp {
    Coalesce {
        paths: Vec<Selector>,
        values: Vec<Value>,
    },
    Default(Value),
    /// Keeps the input only when the record's `path` holds one of `values`.
    KeepIf {
        path: Selector,
        values: Vec<Value>,
    },
    NullIfEmpty,
    NullIf(Vec<Value>),
    MapValues(ValueMap),
    Lookup(Lookup),
}

/// A table from source values (by their text) to output values.
#[derive(Debug, Clone)]
pub(crate) struct ValueMap {
    entries: HashMap<String, Value>,
    case_insensitive: bool,
    default: Option<Value>,
    fail_on_unmapped: bool,
}

#[derive(Debug, Clone)]
pub(crate) enum Source {
    Table(HashMap<String, Value>),
    Related {
        entity: String,
        value: Option<Selector>,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct Lookup {
    source: Source,
    default: Option<Value>,
    fail_on_missing: bool,
}

pub(super) const COALESCE: Transform = Transform {
    name: "coalesce",
    doc: "Keeps a non-null input; otherwise takes the first non-null of `paths` (read from the record), then of `values`.",
    params: &[
        Param::optional("paths", ParamKind::SelectorList, "record paths to try in order"),
        Param::optional("values", ParamKind::ValueList, "constants to try after the paths"),
    ],
    accepts: Accepts::Anything,
    takes_null: true,
    example: r#"{"fn": "coalesce", "paths": ["$.DtUtcOnSiteBy", "$.DueDateUtc"]}"#,
    compile: |args| {
        Ok(Op::Table(TableOp::Coalesce {
            paths: args.selectors("paths"),
            values: args.values("values").cloned().unwrap_or_default(),
        }))
    },
};

pub(super) const KEEP_IF: Transform = Transform {
    name: "keep_if",
    doc: "Keeps the input when the record's `path` holds one of `values`, otherwise gives null: a key filled only when the record it points to is of one kind (Corrigo's MainAsset is an asset or a place).",
    params: &[
        Param::required("path", ParamKind::Selector, "the record path to test"),
        Param::required("values", ParamKind::ValueList, "the values that keep the input"),
    ],
    accepts: Accepts::Anything,
    takes_null: false,
    example: r#"{"fn": "keep_if", "path": "$.MainAsset.TypeId", "values": ["Equipment"]}"#,
    compile: |args| {
        let path = args
            .selector("path")
            .ok_or_else(|| "`path` must be a JSONPath".to_string())?;
        Ok(Op::Table(TableOp::KeepIf {
            path,
            values: args.values("values").cloned().unwrap_or_default(),
        }))
    },
};

pub(super) const DEFAULT: Transform = Transform {
    name: "default",
    doc: "Replaces null with `value`.",
    params: &[Param::required(
        "value",
        ParamKind::Value,
        "the value to use when the input is null",
    )],
    accepts: Accepts::Anything,
    takes_null: true,
    example: r#"{"fn": "default", "value": "normal"}"#,
    compile: |args| {
        Ok(Op::Table(TableOp::Default(
            args.value("value").cloned().unwrap_or_default(),
        )))
    },
};

pub(super) const NULL_IF_EMPTY: Transform = Transform {
    name: "null_if_empty",
    doc: "Turns an empty or whitespace-only string, an empty array or an empty object into null.",
    params: &[],
    accepts: Accepts::Anything,
    takes_null: false,
    example: r#""null_if_empty""#,
    compile: |_| Ok(Op::Table(TableOp::NullIfEmpty)),
};

pub(super) const NULL_IF: Transform = Transform {
    name: "null_if",
    doc: "Turns any of `values` into null (Corrigo writes 0 for \"no reference\").",
    params: &[Param::required(
        "values",
        ParamKind::ValueList,
        "the values that mean \"none\"",
    )],
    accepts: Accepts::Anything,
    takes_null: false,
    example: r#"{"fn": "null_if", "values": [0, ""]}"#,
    compile: |args| {
        Ok(Op::Table(TableOp::NullIf(
            args.values("values").cloned().unwrap_or_default(),
        )))
    },
};

pub(super) const MAP_VALUES: Transform = Transform {
    name: "map_values",
    doc: "Maps source values (strings, numbers, booleans; matched by their text) through `map`; unmapped values take `default`, or null, or fail with `failOnUnmapped`.",
    params: &[
        Param::required("map", ParamKind::Object, "source value → output value"),
        Param::optional("default", ParamKind::Value, "the output for values the map does not list"),
        Param::optional("failOnUnmapped", ParamKind::Boolean, "make an unlisted value an error (default false)"),
        Param::optional("caseInsensitive", ParamKind::Boolean, "match keys ignoring case (default false)"),
    ],
    accepts: Accepts::Scalar,
    takes_null: false,
    example: r#"{"fn": "map_values", "map": {"New": "open", "InProgress": "in_progress"}, "failOnUnmapped": true}"#,
    compile: |args| {
        let case_insensitive = args.boolean("caseInsensitive").unwrap_or(false);
        let entries = table(args, "map", case_insensitive);
        let default = args.value("default").cloned();
        let fail_on_unmapped = args.boolean("failOnUnmapped").unwrap_or(false);
        if fail_on_unmapped && default.is_some() {
            return Err("`map_values` takes `default` or `failOnUnmapped`, not both".into());
        }
        Ok(Op::Table(TableOp::MapValues(ValueMap { entries, case_insensitive, default, fail_on_unmapped })))
    },
};

pub(super) const LOOKUP: Transform = Transform {
    name: "lookup",
    doc: "Resolves a key through `table` (given in the mapping) or through `related` records supplied with the input (matched on their Id), optionally reading `path` from the found record.",
    params: &[
        Param::optional("table", ParamKind::Object, "key → value, written in the mapping"),
        Param::optional("related", ParamKind::String, "the related entity to search, such as WoPriority"),
        Param::optional("path", ParamKind::Selector, "what to read from the related record (default: the whole record)"),
        Param::optional("default", ParamKind::Value, "the output when the key is not found"),
        Param::optional("failOnMissing", ParamKind::Boolean, "make a key that is not found an error (default false)"),
    ],
    accepts: Accepts::Scalar,
    takes_null: false,
    example: r#"{"fn": "lookup", "related": "WoPriority", "path": "$.DisplayAs"}"#,
    compile: compile_lookup,
};

fn table(args: &Args, name: &str, case_insensitive: bool) -> HashMap<String, Value> {
    args.object(name)
        .into_iter()
        .flatten()
        .map(|(key, value)| (fold(key, case_insensitive), value.clone()))
        .collect()
}

fn fold(key: &str, case_insensitive: bool) -> String {
    if case_insensitive {
        key.to_lowercase()
    } else {
        key.to_string()
    }
}

fn compile_lookup(args: &Args) -> Result<Op, String> {
    let source = match (args.object("table"), args.string("related")) {
        (Some(_), None) => {
            if args.selector("path").is_some() {
                return Err("`lookup` takes `path` only with `related`".into());
            }
            Source::Table(table(args, "table", false))
        }
        (None, Some(entity)) if !entity.is_empty() => Source::Related {
            entity: entity.to_string(),
            value: args.selector("path"),
        },
        _ => return Err("`lookup` needs exactly one of `table` or `related`".into()),
    };
    let default = args.value("default").cloned();
    let fail_on_missing = args.boolean("failOnMissing").unwrap_or(false);
    if fail_on_missing && default.is_some() {
        return Err("`lookup` takes `default` or `failOnMissing`, not both".into());
    }
    Ok(Op::Table(TableOp::Lookup(Lookup {
        source,
        default,
        fail_on_missing,
    })))
}

/// The text a scalar is matched by in maps and tables: `3` → "3", `true` → "true".
pub(crate) fn key_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(match n.as_f64() {
            Some(f) if !n.is_i64() && !n.is_u64() && f.fract() == 0.0 && f.abs() < 1e15 => {
                format!("{}", f as i64)
            }
            _ => n.to_string(),
        }),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::String(s) => s.trim().is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

impl TableOp {
    pub(super) fn output(&self, input: Kind) -> Kind {
        match self {
            TableOp::NullIfEmpty | TableOp::NullIf(_) | TableOp::KeepIf { .. } => input,
            TableOp::Default(value) => match Kind::of(value) {
                kind if kind == input => kind,
                _ => Kind::Any,
            },
            TableOp::Coalesce { .. } => Kind::Any,
            TableOp::MapValues(_) | TableOp::Lookup(_) => match self.possible_outputs() {
                Some(values) => Kind::common(values),
                None => Kind::Any,
            },
        }
    }

    pub(super) fn possible_outputs(&self) -> Option<Vec<&Value>> {
        match self {
            TableOp::MapValues(map) => Some(map.entries.values().chain(&map.default).collect()),
            TableOp::Lookup(Lookup {
                source: Source::Table(table),
                default,
                ..
            }) => Some(table.values().chain(default).collect()),
            _ => None,
        }
    }

    pub(super) fn selectors(&self) -> Vec<&Selector> {
        match self {
            TableOp::Coalesce { paths, .. } => paths.iter().collect(),
            TableOp::KeepIf { path, .. } => vec![path],
            _ => Vec::new(),
        }
    }

    pub(super) fn related_entity(&self) -> Option<&str> {
        match self {
            TableOp::Lookup(Lookup {
                source: Source::Related { entity, .. },
                ..
            }) => Some(entity),
            _ => None,
        }
    }

    pub(super) fn run<'v>(
        &'v self,
        input: Cow<'v, Value>,
        cx: &mut StepContext,
    ) -> Result<Cow<'v, Value>, StepError> {
        let null = || Cow::Owned(Value::Null);
        Ok(match self {
            TableOp::Default(value) if input.is_null() => Cow::Owned(value.clone()),
            TableOp::NullIfEmpty if is_empty(&input) => null(),
            TableOp::NullIf(values) if values.contains(&input) => null(),
            TableOp::Coalesce { paths, values } if input.is_null() => {
                let from_paths = paths.iter().find_map(|path| {
                    cx.record
                        .query(path)
                        .into_iter()
                        .find(|v| !v.is_null())
                        .cloned()
                });
                Cow::Owned(
                    from_paths
                        .or_else(|| values.iter().find(|v| !v.is_null()).cloned())
                        .unwrap_or(Value::Null),
                )
            }
            TableOp::KeepIf { path, values } => {
                let tested = cx
                    .record
                    .get(path)
                    .or_else(|| cx.record.query(path).into_iter().next());
                if tested.is_some_and(|value| values.contains(value)) {
                    input
                } else {
                    null()
                }
            }
            TableOp::MapValues(map) => map.run(&input, cx)?,
            TableOp::Lookup(lookup) => Cow::Owned(lookup.run(&input, cx)?),
            TableOp::Default(_)
            | TableOp::NullIfEmpty
            | TableOp::NullIf(_)
            | TableOp::Coalesce { .. } => input,
        })
    }
}

impl ValueMap {
    /// The mapped value, borrowed from the map (a value map runs on every record: its
    /// key and its result were each a copy per record).
    fn run<'m>(&'m self, input: &Value, cx: &mut StepContext) -> Result<Cow<'m, Value>, StepError> {
        let key: Cow<str> = match input {
            Value::String(text) => Cow::Borrowed(text),
            other => Cow::Owned(
                key_text(other)
                    .ok_or_else(|| StepError::wrong_input("a string, number or boolean", other))?,
            ),
        };
        let folded: Cow<str> = if self.case_insensitive {
            Cow::Owned(fold(&key, true))
        } else {
            Cow::Borrowed(&key)
        };
        if let Some(found) = self.entries.get(folded.as_ref()) {
            return Ok(from_the_map(found));
        }
        let key = key.into_owned();
        cx.unmapped.push(key.clone());
        if self.fail_on_unmapped {
            let mut known: Vec<&String> = self.entries.keys().collect();
            known.sort();
            let known: Vec<&str> = known.into_iter().take(12).map(String::as_str).collect();
            return Err(StepError::new(
                "unmapped_value",
                format!(
                    "\"{key}\" is not in the value map (it maps: {})",
                    known.join(", ")
                ),
            ));
        }
        Ok(self
            .default
            .as_ref()
            .map_or(Cow::Owned(Value::Null), from_the_map))
    }
}

/// A value map's result, borrowed; one over the size limit is copied, so the step's size
/// check (which weighs only values a step built) refuses it as it always has.
fn from_the_map(value: &Value) -> Cow<'_, Value> {
    if super::weigh(value, super::MAX_VALUE_BYTES) > super::MAX_VALUE_BYTES {
        Cow::Owned(value.clone())
    } else {
        Cow::Borrowed(value)
    }
}

impl Lookup {
    fn run(&self, input: &Value, cx: &mut StepContext) -> Result<Value, StepError> {
        let key = key_text(input)
            .ok_or_else(|| StepError::wrong_input("a string, number or boolean", input))?;
        let found = match &self.source {
            Source::Table(table) => table.get(&key).cloned(),
            Source::Related { entity, value } => {
                let records = cx.related.entity(entity).ok_or_else(|| {
                    StepError::new(
                        "related_missing",
                        format!("no {entity} records were supplied to look \"{key}\" up in"),
                    )
                })?;
                records.get(&key).map(|record| match value {
                    Some(path) => path.get(record).cloned().unwrap_or(Value::Null),
                    None => record.clone(),
                })
            }
        };
        if let Some(found) = found {
            return Ok(found);
        }
        cx.unmapped.push(key.clone());
        if self.fail_on_missing {
            return Err(StepError::new(
                "lookup_missing",
                format!("\"{key}\" was not found"),
            ));
        }
        Ok(self.default.clone().unwrap_or(Value::Null))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::related::Related;
    use serde_json::json;

    fn run(
        op: &TableOp,
        input: Value,
        related: &Related,
    ) -> (Result<Value, StepError>, Vec<String>) {
        let mut unmapped = Vec::new();
        let record = json!({"Backup": "from record"});
        let mut cx = StepContext {
            record: crate::heads::RecordRef::Whole(&record),
            related,
            unmapped: &mut unmapped,
        };
        let out = Op::Table(op.clone())
            .run(Cow::Owned(input), &mut cx)
            .map(Cow::into_owned);
        (out, unmapped)
    }

    fn values(map: Value, default: Option<Value>, fail: bool) -> TableOp {
        let entries = map
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        TableOp::MapValues(ValueMap {
            entries,
            case_insensitive: false,
            default,
            fail_on_unmapped: fail,
        })
    }

    #[test]
    fn map_values_maps_numbers_by_text_and_records_unmapped_inputs() {
        let priority = values(
            json!({"1": "emergency", "3": "normal"}),
            Some(json!("low")),
            false,
        );
        let none = Related::default();
        assert_eq!(
            run(&priority, json!(1), &none).0.unwrap(),
            json!("emergency")
        );
        let (out, unmapped) = run(&priority, json!(9), &none);
        assert_eq!(out.unwrap(), json!("low"));
        assert_eq!(unmapped, ["9"]);
        let strict = values(json!({"New": "open"}), None, true);
        let error = run(&strict, json!("Paused"), &none).0.unwrap_err();
        assert_eq!(error.code, "unmapped_value");
        assert!(error.message.contains("\"Paused\"") && error.message.contains("New"));
    }

    #[test]
    fn keep_if_keeps_the_input_only_for_the_listed_values() {
        let keep = TableOp::KeepIf {
            path: Selector::parse("$.MainAsset.TypeId").unwrap(),
            values: vec![json!("Equipment"), json!("Regular")],
        };
        let related = Related::default();
        let run = |record: &Value| {
            let mut unmapped = Vec::new();
            let mut cx = StepContext {
                record: crate::heads::RecordRef::Whole(record),
                related: &related,
                unmapped: &mut unmapped,
            };
            keep.run(Cow::Owned(json!("5011")), &mut cx)
                .unwrap()
                .into_owned()
        };
        assert_eq!(
            run(&json!({"MainAsset": {"Id": 5011, "TypeId": "Equipment"}})),
            json!("5011")
        );
        assert_eq!(
            run(&json!({"MainAsset": {"Id": 5011, "TypeId": "Unit"}})),
            Value::Null
        );
        assert_eq!(
            run(&json!({"MainAsset": {"Id": 5011}})),
            Value::Null,
            "an untyped reference is of no listed kind"
        );
    }

    #[test]
    fn lookup_resolves_through_related_records() {
        let mut related = Related::default();
        related.add(
            "WoPriority",
            &Selector::parse("$.Id").unwrap(),
            vec![json!({"Id": 1, "DisplayAs": "Emergency (30 Min Response)"})],
        );
        let op = TableOp::Lookup(Lookup {
            source: Source::Related {
                entity: "WoPriority".into(),
                value: Some(Selector::parse("$.DisplayAs").unwrap()),
            },
            default: None,
            fail_on_missing: true,
        });
        assert_eq!(
            run(&op, json!(1), &related).0.unwrap(),
            json!("Emergency (30 Min Response)")
        );
        assert_eq!(
            run(&op, json!(2), &related).0.unwrap_err().code,
            "lookup_missing"
        );
        assert_eq!(
            run(&op, json!(1), &Related::default()).0.unwrap_err().code,
            "related_missing"
        );
    }

    #[test]
    fn coalesce_default_and_null_if() {
        let none = Related::default();
        let coalesce = TableOp::Coalesce {
            paths: vec![
                Selector::parse("$.Missing").unwrap(),
                Selector::parse("$.Backup").unwrap(),
            ],
            values: vec![],
        };
        assert_eq!(
            run(&coalesce, Value::Null, &none).0.unwrap(),
            json!("from record")
        );
        assert_eq!(
            run(&coalesce, json!("kept"), &none).0.unwrap(),
            json!("kept")
        );
        assert_eq!(
            run(&TableOp::Default(json!(0)), Value::Null, &none)
                .0
                .unwrap(),
            json!(0)
        );
        assert_eq!(
            run(&TableOp::NullIf(vec![json!(0)]), json!(0), &none)
                .0
                .unwrap(),
            Value::Null
        );
        assert_eq!(
            run(&TableOp::NullIfEmpty, json!("  "), &none).0.unwrap(),
            Value::Null
        );
        assert_eq!(
            run(&TableOp::NullIfEmpty, json!(0), &none).0.unwrap(),
            json!(0)
        );
    }
}
