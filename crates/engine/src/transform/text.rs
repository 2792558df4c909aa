//! String functions and templates.

use super::args::{Args, Param, ParamKind};
use super::{too_large, Accepts, Kind, Op, StepContext, StepError, Transform, MAX_VALUE_BYTES};
use crate::path::Selector;
use serde_json::Value;

#[derive(Debug, Clone)]
pub(crate) enum Text {
    Trim,
    Lower,
    Upper,
    Replace {
        from: String,
        to: String,
    },
    Split {
        separator: String,
        trim: bool,
        skip_empty: bool,
    },
    Join {
        separator: String,
    },
    Template(Vec<Piece>),
}

/// A part of a template: literal text, the step's input, or a value from the record.
#[derive(Debug, Clone)]
pub(crate) enum Piece {
    Literal(String),
    Input,
    Record(Selector),
}

pub(super) const TRIM: Transform = Transform {
    name: "trim",
    doc: "Removes leading and trailing whitespace.",
    params: &[],
    accepts: Accepts::Only(&[Kind::String]),
    takes_null: false,
    example: r#""trim""#,
    compile: |_| Ok(Op::Text(Text::Trim)),
};

pub(super) const LOWER: Transform = Transform {
    name: "lower",
    doc: "Lower-cases a string (Unicode-aware).",
    params: &[],
    accepts: Accepts::Only(&[Kind::String]),
    takes_null: false,
    example: r#""lower""#,
    compile: |_| Ok(Op::Text(Text::Lower)),
};

pub(super) const UPPER: Transform = Transform {
    name: "upper",
    doc: "Upper-cases a string (Unicode-aware).",
    params: &[],
    accepts: Accepts::Only(&[Kind::String]),
    takes_null: false,
    example: r#""upper""#,
    compile: |_| Ok(Op::Text(Text::Upper)),
};

pub(super) const REPLACE: Transform = Transform {
    name: "replace",
    doc: "Replaces every occurrence of `from` with `to` (plain text, not a pattern).",
    params: &[
        Param::required(
            "from",
            ParamKind::String,
            "the text to find; must not be empty",
        ),
        Param::required("to", ParamKind::String, "the replacement"),
    ],
    accepts: Accepts::Only(&[Kind::String]),
    takes_null: false,
    example: r#"{"fn": "replace", "from": " (deleted)", "to": ""}"#,
    compile: compile_replace,
};

pub(super) const SPLIT: Transform = Transform {
    name: "split",
    doc: "Splits a string into an array of strings at each `separator`.",
    params: &[
        Param::required(
            "separator",
            ParamKind::String,
            "where to split; must not be empty",
        ),
        Param::optional("trim", ParamKind::Boolean, "trim each part (default true)"),
        Param::optional(
            "skipEmpty",
            ParamKind::Boolean,
            "drop empty parts (default true)",
        ),
    ],
    accepts: Accepts::Only(&[Kind::String]),
    takes_null: false,
    example: r#"{"fn": "split", "separator": ":"}"#,
    compile: compile_split,
};

pub(super) const JOIN: Transform = Transform {
    name: "join",
    doc: "Joins an array's strings, numbers and booleans with `separator`, skipping nulls.",
    params: &[Param::optional(
        "separator",
        ParamKind::String,
        "what goes between items (default \", \")",
    )],
    accepts: Accepts::Only(&[Kind::Array]),
    takes_null: false,
    example: r#"{"fn": "join", "separator": " / "}"#,
    compile: |args| {
        let separator = args.string("separator").unwrap_or(", ").to_string();
        Ok(Op::Text(Text::Join { separator }))
    },
};

pub(super) const TEMPLATE: Transform = Transform {
    name: "template",
    doc: "Builds a string from record fields: `{Number} – {ShortLocation}`; `{@}` is the step's input, `{WorkZone.Id}` a nested field, `{{`/`}}` literal braces; missing values write nothing.",
    params: &[Param::required("template", ParamKind::String, "the text with {placeholders}")],
    accepts: Accepts::Anything,
    takes_null: true,
    example: r#"{"fn": "template", "template": "{Number} – {ShortLocation}"}"#,
    compile: |args| parse_template(args.string("template").unwrap_or_default()).map(|p| Op::Text(Text::Template(p))),
};

fn compile_replace(args: &Args) -> Result<Op, String> {
    let from = args.string("from").unwrap_or_default().to_string();
    if from.is_empty() {
        return Err("`replace` argument `from` must not be empty".into());
    }
    let to = args.string("to").unwrap_or_default().to_string();
    Ok(Op::Text(Text::Replace { from, to }))
}

fn compile_split(args: &Args) -> Result<Op, String> {
    let separator = args.string("separator").unwrap_or_default().to_string();
    if separator.is_empty() {
        return Err("`split` argument `separator` must not be empty".into());
    }
    Ok(Op::Text(Text::Split {
        separator,
        trim: args.boolean("trim").unwrap_or(true),
        skip_empty: args.boolean("skipEmpty").unwrap_or(true),
    }))
}

/// Parses `{Name}`, `{A.B}`, `{Items[0].Id}`, `{@}` and `{{`/`}}` escapes.
fn parse_template(template: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut chars = template.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '{' if chars.peek().map(|&(_, n)| n) == Some('{') => {
                chars.next();
                literal.push('{');
            }
            '}' if chars.peek().map(|&(_, n)| n) == Some('}') => {
                chars.next();
                literal.push('}');
            }
            '{' => {
                let mut name = String::new();
                let closed = loop {
                    match chars.next() {
                        Some((_, '}')) => break true,
                        Some((_, ch)) => name.push(ch),
                        None => break false,
                    }
                };
                if !closed {
                    return Err(format!(
                        "template: `{{` at character {} is never closed",
                        at + 1
                    ));
                }
                let name = name.trim();
                if !literal.is_empty() {
                    pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                }
                pieces.push(placeholder(name, at)?);
            }
            '}' => {
                return Err(format!(
                    "template: `}}` at character {} has no opening `{{` (write `}}}}` for a brace)",
                    at + 1
                ))
            }
            c => literal.push(c),
        }
    }
    if !literal.is_empty() {
        pieces.push(Piece::Literal(literal));
    }
    Ok(pieces)
}

fn placeholder(name: &str, at: usize) -> Result<Piece, String> {
    if name == "@" {
        return Ok(Piece::Input);
    }
    if name.is_empty() {
        return Err(format!(
            "template: empty placeholder at character {}",
            at + 1
        ));
    }
    let path = if name.starts_with('$') {
        name.to_string()
    } else if name.starts_with('[') {
        format!("${name}")
    } else {
        format!("$.{name}")
    };
    Selector::parse(&path)
        .map(Piece::Record)
        .map_err(|e| format!("template placeholder `{{{name}}}`: {e}"))
}

/// What one part of a split costs in memory besides its text (a JSON value and a string).
const SPLIT_PART_BYTES: usize = 64;

/// How a value reads inside text: strings bare, other scalars as JSON, null as nothing.
fn render(value: &Value, out: &mut String) {
    match value {
        Value::Null => {}
        Value::String(s) => out.push_str(s),
        other => out.push_str(&other.to_string()),
    }
}

impl Text {
    pub(super) fn output(&self) -> Kind {
        match self {
            Text::Split { .. } => Kind::Array,
            _ => Kind::String,
        }
    }

    pub(super) fn selectors(&self) -> Vec<&Selector> {
        match self {
            Text::Template(pieces) => pieces
                .iter()
                .filter_map(|p| match p {
                    Piece::Record(s) => Some(s),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// True when the step would give back exactly its input (nothing to trim, to
    /// re-case or to replace), so the caller can pass the input on without a copy.
    pub(super) fn leaves_unchanged(&self, input: &Value) -> bool {
        let Value::String(s) = input else {
            return false;
        };
        match self {
            Text::Trim => s.trim().len() == s.len(),
            Text::Lower => s.chars().all(|c| c.to_lowercase().eq(std::iter::once(c))),
            Text::Upper => s.chars().all(|c| c.to_uppercase().eq(std::iter::once(c))),
            Text::Replace { from, .. } => !s.contains(from.as_str()),
            _ => false,
        }
    }

    pub(super) fn run(&self, input: &Value, cx: &mut StepContext) -> Result<Value, StepError> {
        if let Text::Template(pieces) = self {
            let mut out = String::new();
            for piece in pieces {
                match piece {
                    Piece::Literal(text) => out.push_str(text),
                    Piece::Input => render(input, &mut out),
                    Piece::Record(selector) => {
                        let found = cx.record.query(selector);
                        for (i, value) in found.into_iter().enumerate() {
                            if i > 0 {
                                out.push_str(", ");
                            }
                            render(value, &mut out);
                            if out.len() > MAX_VALUE_BYTES {
                                return Err(too_large("the template's text"));
                            }
                        }
                    }
                }
                // Checked piece by piece: a template may repeat a large input many times.
                if out.len() > MAX_VALUE_BYTES {
                    return Err(too_large("the template's text"));
                }
            }
            return Ok(Value::String(out));
        }
        if let Text::Join { separator } = self {
            let Value::Array(items) = &input else {
                return Err(StepError::wrong_input("an array", input));
            };
            let mut out = String::new();
            for item in items.iter().filter(|v| !v.is_null()) {
                if matches!(item, Value::Array(_) | Value::Object(_)) {
                    return Err(StepError::wrong_input(
                        "an array of strings, numbers or booleans",
                        input,
                    ));
                }
                if !out.is_empty() {
                    out.push_str(separator);
                }
                render(item, &mut out);
                if out.len() > MAX_VALUE_BYTES {
                    return Err(too_large("the joined text"));
                }
            }
            return Ok(Value::String(out));
        }
        let Value::String(s) = &input else {
            return Err(StepError::wrong_input("a string", input));
        };
        Ok(match self {
            Text::Trim => Value::String(s.trim().to_string()),
            Text::Lower => Value::String(s.to_lowercase()),
            Text::Upper => Value::String(s.to_uppercase()),
            Text::Replace { from, to } => {
                // Matches are counted only when the text could grow past the limit at all.
                let at_most = s.len() / from.len().max(1) * to.len().saturating_sub(from.len());
                if s.len() + at_most > MAX_VALUE_BYTES {
                    let grows =
                        s.matches(from.as_str()).count() * to.len().saturating_sub(from.len());
                    if s.len() + grows > MAX_VALUE_BYTES {
                        return Err(too_large("the replaced text"));
                    }
                }
                Value::String(s.replace(from.as_str(), to))
            }
            // Parts are counted only when there could be too many.
            Text::Split { separator, .. }
                if s.len() + SPLIT_PART_BYTES * (s.len() / separator.len().max(1) + 1)
                    > MAX_VALUE_BYTES
                    && s.len() + SPLIT_PART_BYTES * (s.matches(separator.as_str()).count() + 1)
                        > MAX_VALUE_BYTES =>
            {
                return Err(too_large("the split's parts"));
            }
            Text::Split {
                separator,
                trim,
                skip_empty,
            } => Value::Array(
                s.split(separator.as_str())
                    .map(|part| if *trim { part.trim() } else { part })
                    .filter(|part| !(*skip_empty && part.is_empty()))
                    .map(|part| Value::String(part.to_string()))
                    .collect(),
            ),
            Text::Join { .. } | Text::Template(_) => unreachable!("handled above"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::related::Related;
    use serde_json::json;

    fn run(op: &Text, input: Value, record: &Value) -> Result<Value, StepError> {
        let related = Related::default();
        let mut unmapped = Vec::new();
        let mut cx = StepContext {
            record: crate::heads::RecordRef::Whole(record),
            related: &related,
            unmapped: &mut unmapped,
        };
        let op = Op::Text(op.clone());
        op.run(std::borrow::Cow::Owned(input), &mut cx)
            .map(std::borrow::Cow::into_owned)
    }

    #[test]
    fn template_reads_record_fields_nested_paths_and_the_input() {
        let record = json!({"Number": "ASN001", "ShortLocation": "NHQ 03", "WorkZone": {"Id": 6}});
        let op = Text::Template(
            parse_template("{Number} – {ShortLocation} @{WorkZone.Id} [{@}] {{x}} {Missing}")
                .unwrap(),
        );
        assert_eq!(
            run(&op, json!("in"), &record).unwrap(),
            json!("ASN001 – NHQ 03 @6 [in] {x} ")
        );
    }

    #[test]
    fn template_errors_say_where() {
        assert!(parse_template("{Number")
            .unwrap_err()
            .contains("character 1"));
        assert!(parse_template("a}b").unwrap_err().contains("character 2"));
        assert!(parse_template("{}")
            .unwrap_err()
            .contains("empty placeholder"));
        assert!(parse_template("{Items[}").unwrap_err().contains("Items["));
    }

    #[test]
    fn split_and_join_round_trip_and_skip_empties() {
        let split = Text::Split {
            separator: ":".into(),
            trim: true,
            skip_empty: true,
        };
        let parts = run(&split, json!("Locks/Keys: Supply::Keys"), &json!({})).unwrap();
        assert_eq!(parts, json!(["Locks/Keys", "Supply", "Keys"]));
        let join = Text::Join {
            separator: " / ".into(),
        };
        assert_eq!(
            run(&join, json!(["a", null, 2, true]), &json!({})).unwrap(),
            json!("a / 2 / true")
        );
        assert_eq!(
            run(&join, json!([{"a": 1}]), &json!({})).unwrap_err().code,
            "wrong_input"
        );
    }

    #[test]
    fn casing_leaves_uncased_text_alone_and_changes_the_rest() {
        assert_eq!(
            run(&Text::Lower, json!("ÉTÉ 2024"), &json!({})).unwrap(),
            json!("été 2024")
        );
        assert_eq!(
            run(&Text::Lower, json!("été 2024"), &json!({})).unwrap(),
            json!("été 2024")
        );
        assert_eq!(
            run(&Text::Upper, json!("ǅ"), &json!({})).unwrap(),
            json!("Ǆ"),
            "titlecase letters change"
        );
        assert_eq!(
            run(&Text::Trim, json!(" a "), &json!({})).unwrap(),
            json!("a")
        );
    }

    #[test]
    fn string_functions_refuse_non_strings() {
        assert_eq!(
            run(&Text::Trim, json!(5), &json!({})).unwrap_err().code,
            "wrong_input"
        );
        assert_eq!(
            run(&Text::Upper, json!("straße"), &json!({})).unwrap(),
            json!("STRASSE")
        );
        let replace = Text::Replace {
            from: " (deleted)".into(),
            to: String::new(),
        };
        assert_eq!(
            run(&replace, json!("Pump (deleted)"), &json!({})).unwrap(),
            json!("Pump")
        );
    }
}
