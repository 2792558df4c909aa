//! Arrays, objects and money.

use super::args::{Args, Param, ParamKind};
use super::{Accepts, Kind, Op, StepError, Transform};
use crate::path::Selector;
use serde_json::{Map, Value};

#[derive(Debug, Clone)]
pub(crate) enum CollectionOp {
    Money {
        part: MoneyPart,
        currency: Option<String>,
    },
    Pick {
        matching: Map<String, Value>,
        index: i64,
        path: Option<Selector>,
    },
    Get(Selector),
    Count,
    /// Output member → the paths that fill it (several: their text joined in lines).
    Reshape(Vec<(String, Vec<Selector>)>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum MoneyPart {
    Both,
    Amount,
    Currency,
}

pub(super) const MONEY: Transform = Transform {
    name: "money",
    doc: "Reads a Corrigo money object `{CurrencyTypeId, Value}` as `{amount, currency}`, or just its `amount` or `currency`.",
    params: &[
        Param::optional("part", ParamKind::String, "`amount` or `currency` to return one part (default: both, as an object)"),
        Param::optional("currency", ParamKind::String, "currency to assume when the object has none"),
    ],
    accepts: Accepts::Only(&[Kind::Object]),
    takes_null: false,
    example: r#"{"fn": "money", "part": "amount"}"#,
    compile: compile_money,
};

pub(super) const PICK: Transform = Transform {
    name: "pick",
    doc: "Picks one item of an array: the first (or `index`-th) whose members equal `where`, then optionally reads `path` from it.",
    params: &[
        Param::optional("where", ParamKind::Object, "member values the item must have, such as {\"AddrTypeId\": \"PrimEmail\"}"),
        Param::optional("index", ParamKind::Integer, "which match to take: 0 first (default), -1 last"),
        Param::optional("path", ParamKind::Selector, "what to read from the picked item, such as $.Address"),
    ],
    accepts: Accepts::Only(&[Kind::Array]),
    takes_null: false,
    example: r#"{"fn": "pick", "where": {"AddrTypeId": "PrimEmail"}, "path": "$.Address"}"#,
    compile: |args| {
        Ok(Op::Collection(CollectionOp::Pick {
            matching: args.object("where").cloned().unwrap_or_default(),
            index: args.integer("index").unwrap_or(0),
            path: args.selector("path"),
        }))
    },
};

pub(super) const GET: Transform = Transform {
    name: "get",
    doc: "Reads a JSONPath from the step's input (an object or array) instead of the record.",
    params: &[Param::required(
        "path",
        ParamKind::Selector,
        "the JSONPath, rooted at the input",
    )],
    accepts: Accepts::Only(&[Kind::Object, Kind::Array]),
    takes_null: false,
    example: r#"{"fn": "get", "path": "$.Info.SerialNumber"}"#,
    compile: |args: &Args| {
        let path = args.selector("path").ok_or("`get` needs a path")?;
        Ok(Op::Collection(CollectionOp::Get(path)))
    },
};

pub(super) const COUNT: Transform = Transform {
    name: "count",
    doc: "The number of items in an array; a missing array counts 0.",
    params: &[],
    accepts: Accepts::Only(&[Kind::Array]),
    takes_null: true,
    example: r#""count""#,
    compile: |_| Ok(Op::Collection(CollectionOp::Count)),
};

pub(super) const RESHAPE: Transform = Transform {
    name: "reshape",
    doc: "Builds an object from the step's input: each member of `fields` names an output member and the JSONPath (rooted at the input) that fills it, or an array of JSONPaths whose non-empty texts are joined with newlines (address lines); null members are left out.",
    params: &[Param::required("fields", ParamKind::Object, "output member → JSONPath into the input, or an array of them to join in lines")],
    accepts: Accepts::Only(&[Kind::Object]),
    takes_null: false,
    example: r#"{"fn": "reshape", "fields": {"city": "$.City", "postCode": "$.Zip"}}"#,
    compile: compile_reshape,
};

fn compile_reshape(args: &Args) -> Result<Op, String> {
    let mut members = Vec::new();
    for (name, paths) in args.object("fields").into_iter().flatten() {
        let texts: Vec<&Value> = match paths {
            Value::Array(items) if !items.is_empty() => items.iter().collect(),
            other => vec![other],
        };
        let mut selectors = Vec::new();
        for path in texts {
            let Value::String(text) = path else {
                return Err(format!(
                    "`reshape` field `{name}` must be a JSONPath string or an array of them, got {}",
                    crate::describe_value(path)
                ));
            };
            selectors
                .push(Selector::parse(text).map_err(|e| format!("`reshape` field `{name}`: {e}"))?);
        }
        members.push((name.clone(), selectors));
    }
    if members.is_empty() {
        return Err("`reshape` needs at least one field".into());
    }
    Ok(Op::Collection(CollectionOp::Reshape(members)))
}

fn compile_money(args: &Args) -> Result<Op, String> {
    let part = match args.string("part") {
        None => MoneyPart::Both,
        Some("amount") => MoneyPart::Amount,
        Some("currency") => MoneyPart::Currency,
        Some(other) => {
            return Err(format!(
                "`money` part must be `amount` or `currency`, not `{other}`"
            ))
        }
    };
    let currency = args.string("currency").map(String::from);
    Ok(Op::Collection(CollectionOp::Money { part, currency }))
}

/// A member by any of `names`, ignoring case (Corrigo matches keys case-insensitively).
fn member<'a>(object: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    object
        .iter()
        .find(|(key, value)| !value.is_null() && names.iter().any(|n| key.eq_ignore_ascii_case(n)))
        .map(|(_, value)| value)
}

impl CollectionOp {
    pub(super) fn output(&self) -> Kind {
        match self {
            CollectionOp::Money {
                part: MoneyPart::Both,
                ..
            } => Kind::Object,
            CollectionOp::Money {
                part: MoneyPart::Amount,
                ..
            } => Kind::Number,
            CollectionOp::Money {
                part: MoneyPart::Currency,
                ..
            } => Kind::String,
            CollectionOp::Pick { .. } | CollectionOp::Get(_) => Kind::Any,
            CollectionOp::Count => Kind::Integer,
            CollectionOp::Reshape(_) => Kind::Object,
        }
    }

    pub(super) fn selectors(&self) -> Vec<&Selector> {
        Vec::new()
    }

    pub(super) fn run(&self, input: &Value) -> Result<Value, StepError> {
        match self {
            CollectionOp::Money { part, currency } => money(input, *part, currency.as_deref()),
            CollectionOp::Count => match input {
                Value::Null => Ok(Value::from(0)),
                Value::Array(items) => Ok(Value::from(items.len())),
                other => Err(StepError::wrong_input("an array", other)),
            },
            CollectionOp::Get(path) => Ok(select(path, input)),
            CollectionOp::Reshape(members) => {
                if !input.is_object() {
                    return Err(StepError::wrong_input("an object", input));
                }
                let mut out = Map::with_capacity(members.len());
                for (name, paths) in members {
                    let value = match paths.as_slice() {
                        [path] => select(path, input),
                        several => lines(several.iter().map(|p| select(p, input))),
                    };
                    if !value.is_null() {
                        // Sized up front: collecting the filtered members grew the map
                        // (an IndexMap under `preserve_order`) from empty, rehashing it.
                        out.insert(name.clone(), value);
                    }
                }
                Ok(if out.is_empty() {
                    Value::Null
                } else {
                    Value::Object(out)
                })
            }
            CollectionOp::Pick {
                matching,
                index,
                path,
            } => {
                let Value::Array(items) = &input else {
                    return Err(StepError::wrong_input("an array", input));
                };
                let Some(item) = picked(items, matching, *index) else {
                    return Ok(Value::Null);
                };
                Ok(match path {
                    Some(path) => select(path, item),
                    None => item.clone(),
                })
            }
        }
    }

    /// A `pick` without a `path`, or with a singular one, over an array: the picked value
    /// borrowed from `input` (`Some(None)` when nothing matches). `None` for every other
    /// step or input, which [`CollectionOp::run`] handles (and reports).
    pub(super) fn pick_borrowed<'v>(&self, input: &'v Value) -> Option<Option<&'v Value>> {
        let CollectionOp::Pick {
            matching,
            index,
            path,
        } = self
        else {
            return None;
        };
        let Value::Array(items) = input else {
            return None;
        };
        match path {
            None => Some(picked(items, matching, *index)),
            Some(path) if path.is_singular() => {
                Some(picked(items, matching, *index).and_then(|item| path.get(item)))
            }
            Some(_) => None,
        }
    }
}

/// The members of an array's items that `first` then `second` (a field's first two
/// steps) can look at, when the array itself is looked at only through them: a `pick`
/// without a path followed by a `reshape` reads the `where` members and the reshape's;
/// a `pick` with a path, the `where` members and the path's. `None` otherwise (the whole
/// item, or the array, can reach the output or an error message).
pub(super) fn item_members_read(first: &CollectionOp, second: Option<&Op>) -> Option<Vec<String>> {
    let CollectionOp::Pick { matching, path, .. } = first else {
        return None;
    };
    let mut names: Vec<String> = matching.keys().cloned().collect();
    match (path, second) {
        (Some(path), _) => names.push(path.only_below_head()?.to_string()),
        (None, Some(Op::Collection(CollectionOp::Reshape(members)))) => {
            for (_, paths) in members {
                for path in paths {
                    names.push(path.only_below_head()?.to_string());
                }
            }
        }
        (None, _) => return None,
    }
    names.sort();
    names.dedup();
    Some(names)
}

/// The `index`-th item (from the end when negative) of those whose members equal
/// `matching`.
fn picked<'v>(items: &'v [Value], matching: &Map<String, Value>, index: i64) -> Option<&'v Value> {
    let mut matches = items.iter().filter(|item| {
        matching
            .iter()
            .all(|(key, want)| item.get(key) == Some(want))
    });
    if index < 0 {
        let back = usize::try_from(index.unsigned_abs()).ok()?;
        let all: Vec<&Value> = matches.collect();
        all.len().checked_sub(back).map(|at| all[at])
    } else {
        matches.nth(usize::try_from(index).ok()?)
    }
}

/// A singular path's value or null; a general path's matches as an array.
/// The non-empty texts of `values` (strings, numbers, booleans), one per line; null when
/// there are none.
fn lines(values: impl Iterator<Item = Value>) -> Value {
    let texts: Vec<String> = values
        .filter_map(|value| match value {
            Value::String(s) => Some(s.trim().to_string()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        })
        .filter(|text| !text.is_empty())
        .collect();
    if texts.is_empty() {
        Value::Null
    } else {
        Value::String(texts.join("\n"))
    }
}

fn select(path: &Selector, from: &Value) -> Value {
    if path.is_singular() {
        path.get(from).cloned().unwrap_or(Value::Null)
    } else {
        Value::Array(path.query(from).into_iter().cloned().collect())
    }
}

fn money(
    input: &Value,
    part: MoneyPart,
    default_currency: Option<&str>,
) -> Result<Value, StepError> {
    let Value::Object(object) = input else {
        return Err(StepError::wrong_input(
            "a money object {CurrencyTypeId, Value}",
            input,
        ));
    };
    let amount = member(object, &["Value", "Amount"]).ok_or_else(|| {
        StepError::new(
            "not_money",
            format!("{} has no Value or Amount", crate::describe_value(input)),
        )
    })?;
    let amount = super::cast::to_number(amount)?;
    let currency = member(object, &["CurrencyTypeId", "Currency", "CurrencyCode"])
        .and_then(Value::as_str)
        .or(default_currency);
    match part {
        MoneyPart::Amount => Ok(Value::Number(amount)),
        MoneyPart::Currency | MoneyPart::Both => {
            let currency = currency.ok_or_else(|| {
                StepError::new(
                    "not_money",
                    format!(
                        "{} has no currency; give the step a `currency`",
                        crate::describe_value(input)
                    ),
                )
            })?;
            if part == MoneyPart::Currency {
                return Ok(Value::from(currency));
            }
            let mut out = Map::new();
            out.insert("amount".into(), Value::Number(amount));
            out.insert("currency".into(), Value::from(currency));
            Ok(Value::Object(out))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::related::Related;
    use serde_json::json;

    fn run(op: &CollectionOp, input: Value) -> Result<Value, StepError> {
        let related = Related::default();
        let mut unmapped = Vec::new();
        let record = Value::Null;
        let mut cx = crate::transform::StepContext {
            record: crate::heads::RecordRef::Whole(&record),
            related: &related,
            unmapped: &mut unmapped,
        };
        let op = Op::Collection(op.clone());
        op.run(std::borrow::Cow::Owned(input), &mut cx)
            .map(std::borrow::Cow::into_owned)
    }

    #[test]
    fn money_reads_corrigo_money_objects() {
        let nte = json!({"CurrencyTypeId": "USD", "Value": 3402.25});
        let both = CollectionOp::Money {
            part: MoneyPart::Both,
            currency: None,
        };
        assert_eq!(
            run(&both, nte.clone()).unwrap(),
            json!({"amount": 3402.25, "currency": "USD"})
        );
        let amount = CollectionOp::Money {
            part: MoneyPart::Amount,
            currency: None,
        };
        assert_eq!(run(&amount, nte).unwrap(), json!(3402.25));
        assert_eq!(
            run(&both, json!({"Value": 1})).unwrap_err().code,
            "not_money"
        );
        let assumed = CollectionOp::Money {
            part: MoneyPart::Both,
            currency: Some("EUR".into()),
        };
        assert_eq!(
            run(&assumed, json!({"value": "12.50"})).unwrap(),
            json!({"amount": 12.5, "currency": "EUR"})
        );
        assert_eq!(
            run(&amount, json!({"Value": "NaN"})).unwrap_err().code,
            "not_a_number"
        );
    }

    #[test]
    fn pick_filters_indexes_and_reads_a_path() {
        let addresses = json!([
            {"AddrTypeId": "PrimPhone", "Address": "555-0100"},
            {"AddrTypeId": "PrimEmail", "Address": "a@example.com"},
            {"AddrTypeId": "PrimEmail", "Address": "b@example.com"}
        ]);
        let email = CollectionOp::Pick {
            matching: json!({"AddrTypeId": "PrimEmail"})
                .as_object()
                .unwrap()
                .clone(),
            index: -1,
            path: Some(Selector::parse("$.Address").unwrap()),
        };
        assert_eq!(
            run(&email, addresses.clone()).unwrap(),
            json!("b@example.com")
        );
        let fax = CollectionOp::Pick {
            matching: json!({"AddrTypeId": "Fax"}).as_object().unwrap().clone(),
            index: 0,
            path: None,
        };
        assert_eq!(run(&fax, addresses).unwrap(), Value::Null);
    }

    #[test]
    fn get_reads_a_path_from_the_input() {
        let info = json!({"Info": {"SerialNumber": "FLOR_EX", "Tags": ["a", "b"]}});
        let serial = CollectionOp::Get(Selector::parse("$.Info.SerialNumber").unwrap());
        assert_eq!(run(&serial, info.clone()).unwrap(), json!("FLOR_EX"));
        let tags = CollectionOp::Get(Selector::parse("$.Info.Tags[*]").unwrap());
        assert_eq!(
            run(&tags, info.clone()).unwrap(),
            json!(["a", "b"]),
            "a general path gives every match"
        );
        let missing = CollectionOp::Get(Selector::parse("$.Nope").unwrap());
        assert_eq!(run(&missing, info).unwrap(), Value::Null);
    }

    #[test]
    fn reshape_builds_an_object_and_drops_nulls() {
        let op = CollectionOp::Reshape(vec![
            ("city".into(), vec![Selector::parse("$.City").unwrap()]),
            ("postCode".into(), vec![Selector::parse("$.Zip").unwrap()]),
        ]);
        assert_eq!(
            run(&op, json!({"City": "Orlando", "Street": "1 Main"})).unwrap(),
            json!({"city": "Orlando"})
        );
        assert_eq!(run(&op, json!({"Street": "1 Main"})).unwrap(), Value::Null);
    }

    #[test]
    fn reshape_joins_several_paths_in_lines_skipping_empty_ones() {
        let op = CollectionOp::Reshape(vec![(
            "addressLines".into(),
            vec![
                Selector::parse("$.Street").unwrap(),
                Selector::parse("$.Street2").unwrap(),
            ],
        )]);
        assert_eq!(
            run(&op, json!({"Street": "1 Main St", "Street2": "Suite 200"})).unwrap(),
            json!({"addressLines": "1 Main St\nSuite 200"})
        );
        assert_eq!(
            run(&op, json!({"Street": "1 Main St", "Street2": ""})).unwrap(),
            json!({"addressLines": "1 Main St"})
        );
        assert_eq!(run(&op, json!({"Street2": " "})).unwrap(), Value::Null);
    }

    #[test]
    fn count_counts_and_treats_missing_as_zero() {
        assert_eq!(
            run(&CollectionOp::Count, json!([1, 2, 3])).unwrap(),
            json!(3)
        );
        assert_eq!(run(&CollectionOp::Count, Value::Null).unwrap(), json!(0));
        assert_eq!(
            run(&CollectionOp::Count, json!("x")).unwrap_err().code,
            "wrong_input"
        );
    }
}
