//! Step arguments: declared per function, checked when the mapping loads.

use super::Transform;
use crate::path::Selector;
use serde_json::{Map, Value};

/// The type of one argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    String,
    StringList,
    Integer,
    Boolean,
    /// Any JSON value.
    Value,
    ValueList,
    /// A JSON object (a table of values).
    Object,
    /// An RFC 9535 JSONPath, checked at load.
    Selector,
    SelectorList,
}

impl ParamKind {
    pub fn name(self) -> &'static str {
        match self {
            ParamKind::String => "string",
            ParamKind::StringList => "array of strings",
            ParamKind::Integer => "integer",
            ParamKind::Boolean => "boolean",
            ParamKind::Value => "any JSON value",
            ParamKind::ValueList => "array",
            ParamKind::Object => "object",
            ParamKind::Selector => "JSONPath",
            ParamKind::SelectorList => "array of JSONPaths",
        }
    }
}

/// One declared argument of a function.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub kind: ParamKind,
    pub required: bool,
    pub doc: &'static str,
}

impl Param {
    pub(crate) const fn required(name: &'static str, kind: ParamKind, doc: &'static str) -> Param {
        Param {
            name,
            kind,
            required: true,
            doc,
        }
    }
    pub(crate) const fn optional(name: &'static str, kind: ParamKind, doc: &'static str) -> Param {
        Param {
            name,
            kind,
            required: false,
            doc,
        }
    }
}

/// A step's arguments after checking.
pub(crate) struct Args<'a> {
    raw: &'a Map<String, Value>,
    selectors: Vec<(&'static str, Vec<Selector>)>,
}

impl<'a> Args<'a> {
    pub fn parse(transform: &Transform, raw: &'a Map<String, Value>) -> Result<Args<'a>, String> {
        for name in raw.keys() {
            if !transform.params.iter().any(|p| p.name == name) {
                let known: Vec<_> = transform.params.iter().map(|p| p.name).collect();
                let hint = match crate::suggest(name, known.iter().copied()) {
                    Some(close) => format!(" (did you mean `{close}`?)"),
                    None if known.is_empty() => " (it takes no arguments)".to_string(),
                    None => format!(" (it takes: {})", known.join(", ")),
                };
                return Err(format!(
                    "`{}` has no argument `{name}`{hint}",
                    transform.name
                ));
            }
        }
        let mut selectors = Vec::new();
        for param in transform.params {
            let Some(value) = raw.get(param.name) else {
                if param.required {
                    return Err(format!(
                        "`{}` needs the argument `{}` ({}: {})",
                        transform.name,
                        param.name,
                        param.kind.name(),
                        param.doc
                    ));
                }
                continue;
            };
            check_kind(transform.name, param, value)?;
            let texts: Vec<&str> = match (param.kind, value) {
                (ParamKind::Selector, Value::String(s)) => vec![s],
                (ParamKind::SelectorList, Value::Array(items)) => {
                    items.iter().filter_map(Value::as_str).collect()
                }
                _ => continue,
            };
            let parsed = texts
                .into_iter()
                .map(|t| Selector::parse(t).map_err(|e| format!("argument `{}`: {e}", param.name)))
                .collect::<Result<Vec<_>, _>>()?;
            selectors.push((param.name, parsed));
        }
        Ok(Args { raw, selectors })
    }

    pub fn value(&self, name: &str) -> Option<&'a Value> {
        self.raw.get(name)
    }

    pub fn string(&self, name: &str) -> Option<&'a str> {
        self.raw.get(name).and_then(Value::as_str)
    }

    pub fn strings(&self, name: &str) -> Option<Vec<String>> {
        let items = self.raw.get(name)?.as_array()?;
        Some(
            items
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect(),
        )
    }

    pub fn boolean(&self, name: &str) -> Option<bool> {
        self.raw.get(name).and_then(Value::as_bool)
    }

    pub fn integer(&self, name: &str) -> Option<i64> {
        self.raw.get(name).and_then(Value::as_i64)
    }

    pub fn values(&self, name: &str) -> Option<&'a Vec<Value>> {
        self.raw.get(name).and_then(Value::as_array)
    }

    pub fn object(&self, name: &str) -> Option<&'a Map<String, Value>> {
        self.raw.get(name).and_then(Value::as_object)
    }

    pub fn selectors(&self, name: &str) -> Vec<Selector> {
        self.selectors
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| s.clone())
            .unwrap_or_default()
    }

    pub fn selector(&self, name: &str) -> Option<Selector> {
        self.selectors(name).into_iter().next()
    }
}

fn check_kind(function: &str, param: &Param, value: &Value) -> Result<(), String> {
    let ok = match param.kind {
        ParamKind::String | ParamKind::Selector => value.is_string(),
        ParamKind::StringList | ParamKind::SelectorList => value
            .as_array()
            .is_some_and(|items| items.iter().all(Value::is_string)),
        ParamKind::Integer => value.is_i64(),
        ParamKind::Boolean => value.is_boolean(),
        ParamKind::Value => true,
        ParamKind::ValueList => value.is_array(),
        ParamKind::Object => value.is_object(),
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{function}` argument `{}` must be {}, got {}",
            param.name,
            with_article(param.kind.name()),
            crate::describe_value(value)
        ))
    }
}

fn with_article(noun: &str) -> String {
    match noun.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => format!("an {noun}"),
        _ => format!("a {noun}"),
    }
}
