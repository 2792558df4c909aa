//! The transform registry: typed functions that a binding's steps call.
//!
//! Each function declares its parameters, the kinds of value it accepts and the kind it
//! returns, so a mapping is checked when it loads (unknown function, wrong argument,
//! missing argument, a step fed a value it cannot take, a last step whose result cannot
//! fill the target field). At run time a step either returns a value or a `StepError`.

mod args;
mod cast;
mod collection;
mod datetime;
mod table;
mod text;

pub use args::{Param, ParamKind};
pub(crate) use table::key_text;

use crate::path::Selector;
use crate::related::Related;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt;

/// The kind of a value, as far as the loader can tell before it sees records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Unknown until run time (a path's result, a map with mixed values).
    Any,
    Null,
    String,
    Integer,
    Number,
    Boolean,
    /// A string holding an RFC 3339 UTC date-time.
    DateTime,
    /// A string holding a `YYYY-MM-DD` date.
    Date,
    Array,
    Object,
}

impl Kind {
    pub fn of(value: &Value) -> Kind {
        match value {
            Value::Null => Kind::Null,
            Value::Bool(_) => Kind::Boolean,
            Value::Number(n) if n.is_i64() || n.is_u64() => Kind::Integer,
            Value::Number(_) => Kind::Number,
            Value::String(_) => Kind::String,
            Value::Array(_) => Kind::Array,
            Value::Object(_) => Kind::Object,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Any => "any",
            Kind::Null => "null",
            Kind::String => "string",
            Kind::Integer => "integer",
            Kind::Number => "number",
            Kind::Boolean => "boolean",
            Kind::DateTime => "datetime",
            Kind::Date => "date",
            Kind::Array => "array",
            Kind::Object => "object",
        }
    }

    /// Whether a value of this kind can be passed where `wanted` is accepted.
    fn fits(self, wanted: Kind) -> bool {
        self == wanted
            || matches!(
                (self, wanted),
                (Kind::Integer, Kind::Number) | (Kind::DateTime | Kind::Date, Kind::String)
            )
    }

    /// The kind shared by every value, or `Any` when they differ.
    pub fn common<'a>(values: impl IntoIterator<Item = &'a Value>) -> Kind {
        let mut kinds = values
            .into_iter()
            .map(Kind::of)
            .filter(|k| *k != Kind::Null);
        let Some(first) = kinds.next() else {
            return Kind::Any;
        };
        kinds
            .try_fold(first, |acc, k| match (acc, k) {
                (a, b) if a == b => Some(a),
                (Kind::Integer, Kind::Number) | (Kind::Number, Kind::Integer) => Some(Kind::Number),
                _ => None,
            })
            .unwrap_or(Kind::Any)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a step receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepts {
    Anything,
    /// Strings, numbers and booleans.
    Scalar,
    Only(&'static [Kind]),
}

impl Accepts {
    pub fn allows(self, kind: Kind) -> bool {
        match self {
            Accepts::Anything => true,
            Accepts::Scalar => matches!(
                kind,
                Kind::Any
                    | Kind::String
                    | Kind::Integer
                    | Kind::Number
                    | Kind::Boolean
                    | Kind::DateTime
                    | Kind::Date
            ),
            Accepts::Only(kinds) => kind == Kind::Any || kinds.iter().any(|k| kind.fits(*k)),
        }
    }

    pub fn describe(self) -> String {
        match self {
            Accepts::Anything => "any value".into(),
            Accepts::Scalar => "a string, number or boolean".into(),
            Accepts::Only(kinds) => {
                let names: Vec<_> = kinds.iter().map(|k| k.name()).collect();
                names.join(" or ")
            }
        }
    }
}

/// The most steps one binding may have. Real bindings use a handful; the limit keeps a
/// shared mapping file from chaining work without end.
pub const MAX_STEPS: usize = 32;

/// The most a value built by one step may weigh, in bytes of its JSON text (roughly).
/// Far above any field of a real record; low enough that a hostile chain of steps (a
/// template that doubles its input, a replace that multiplies it) stops with a step
/// error long before memory runs out.
pub const MAX_VALUE_BYTES: usize = 4 << 20;

/// The error a step returns when what it builds would pass [`MAX_VALUE_BYTES`].
pub(crate) fn too_large(what: &str) -> StepError {
    StepError::new(
        "value_too_large",
        format!(
            "{what} would be larger than {} MiB, the most a step may build",
            MAX_VALUE_BYTES >> 20
        ),
    )
}

/// The approximate size of `value` as JSON text, counting no further than `limit`
/// (so measuring a huge value costs no more than the limit).
pub(crate) fn weigh(value: &Value, limit: usize) -> usize {
    fn walk(value: &Value, total: &mut usize, limit: usize) {
        if *total > limit {
            return;
        }
        match value {
            Value::String(s) => *total += s.len() + 2,
            Value::Array(items) => {
                *total += 2;
                for item in items {
                    *total += 1;
                    walk(item, total, limit);
                    if *total > limit {
                        return;
                    }
                }
            }
            Value::Object(map) => {
                *total += 2;
                for (key, item) in map {
                    *total += key.len() + 4;
                    walk(item, total, limit);
                    if *total > limit {
                        return;
                    }
                }
            }
            _ => *total += 8,
        }
    }
    let mut total = 0;
    walk(value, &mut total, limit);
    total
}

/// A function of the registry.
pub struct Transform {
    pub name: &'static str,
    pub doc: &'static str,
    pub params: &'static [Param],
    pub accepts: Accepts,
    /// When false the step is skipped for a null input, which stays null.
    pub takes_null: bool,
    /// An example step as written in a mapping file.
    pub example: &'static str,
    compile: fn(&args::Args) -> Result<Op, String>,
}

/// A step failure at run time.
#[derive(Debug, Clone, PartialEq)]
pub struct StepError {
    pub code: &'static str,
    pub message: String,
}

impl StepError {
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> StepError {
        StepError {
            code,
            message: message.into(),
        }
    }

    pub(crate) fn wrong_input(expected: &str, got: &Value) -> StepError {
        StepError::new(
            "wrong_input",
            format!("expects {expected}, got {}", crate::describe_value(got)),
        )
    }
}

/// What a step may read besides its input.
pub struct StepContext<'a> {
    /// The record, whole or as its top-level members.
    pub(crate) record: crate::heads::RecordRef<'a>,
    pub related: &'a Related,
    /// Inputs that a value map or lookup table had no entry for (feeds coverage).
    pub unmapped: &'a mut Vec<String>,
}

/// A compiled step: the function's arguments, parsed and checked.
#[derive(Debug, Clone)]
pub(crate) enum Op {
    Cast(cast::Cast),
    Text(text::Text),
    DateTime(datetime::DateTimeOp),
    Collection(collection::CollectionOp),
    Table(table::TableOp),
}

/// The members of an array's items that a field's steps can look at, when the array
/// (the field's source) reaches nothing but them (see `collection::item_members_read`):
/// reading only those members of each item gives the same result and the same errors.
pub(crate) fn item_members_read(steps: &[&Op]) -> Option<Vec<String>> {
    match steps {
        [Op::Collection(first), rest @ ..] => {
            collection::item_members_read(first, rest.first().copied())
        }
        _ => None,
    }
}

impl Op {
    /// Runs the step. The input is borrowed from the record where it can be: steps that
    /// leave a value as it is pass it on without copying, and steps that build a new
    /// value read it in place, so a value is copied at most once, into the output.
    pub(crate) fn run<'v>(
        &'v self,
        input: Cow<'v, Value>,
        cx: &mut StepContext,
    ) -> Result<Cow<'v, Value>, StepError> {
        match self {
            Op::Cast(cast::Cast::String) if input.is_string() => Ok(input),
            Op::Cast(op) => op.run(&input).map(Cow::Owned),
            Op::Text(op) if op.leaves_unchanged(&input) => Ok(input),
            Op::Text(op) => op.run(&input, cx).map(Cow::Owned),
            Op::DateTime(op) => op.run(&input).map(Cow::Owned),
            // `pick` of a borrowed collection passes its item on borrowed (a `reshape`
            // after it reads it in place) rather than copying a whole object.
            Op::Collection(op) => match input {
                Cow::Borrowed(value) => match op.pick_borrowed(value) {
                    Some(picked) => Ok(picked.map_or(Cow::Owned(Value::Null), Cow::Borrowed)),
                    None => op.run(value).map(Cow::Owned),
                },
                Cow::Owned(value) => op.run(&value).map(Cow::Owned),
            },
            Op::Table(op) => op.run(input, cx),
        }
    }

    /// The kind this step returns for an input of kind `input`.
    pub(crate) fn output(&self, input: Kind) -> Kind {
        match self {
            Op::Cast(op) => op.output(),
            Op::Text(op) => op.output(),
            Op::DateTime(op) => op.output(),
            Op::Collection(op) => op.output(),
            Op::Table(op) => op.output(input),
        }
    }

    /// Every value this step can return, when it is a closed set (value maps, tables).
    pub(crate) fn possible_outputs(&self) -> Option<Vec<&Value>> {
        match self {
            Op::Table(op) => op.possible_outputs(),
            _ => None,
        }
    }

    /// Selectors the step reads from the record, for path checks and the field tree.
    pub(crate) fn selectors(&self) -> Vec<&Selector> {
        match self {
            Op::Text(op) => op.selectors(),
            Op::Collection(op) => op.selectors(),
            Op::Table(op) => op.selectors(),
            _ => Vec::new(),
        }
    }

    /// Related entities the step looks keys up in.
    pub(crate) fn related_entities(&self) -> Vec<&str> {
        match self {
            Op::Table(op) => op.related_entity().into_iter().collect(),
            _ => Vec::new(),
        }
    }
}

/// Every function, in the order the reference page lists them.
pub fn registry() -> &'static [Transform] {
    &REGISTRY
}

static REGISTRY: [Transform; 26] = [
    cast::TO_STRING,
    cast::TO_INTEGER,
    cast::TO_NUMBER,
    cast::TO_BOOLEAN,
    cast::NOT,
    text::TRIM,
    text::LOWER,
    text::UPPER,
    text::REPLACE,
    text::SPLIT,
    text::JOIN,
    text::TEMPLATE,
    table::COALESCE,
    table::DEFAULT,
    table::KEEP_IF,
    table::NULL_IF_EMPTY,
    table::NULL_IF,
    table::MAP_VALUES,
    table::LOOKUP,
    datetime::PARSE_DATETIME,
    datetime::PARSE_DATE,
    collection::MONEY,
    collection::PICK,
    collection::GET,
    collection::COUNT,
    collection::RESHAPE,
];

pub fn find(name: &str) -> Option<&'static Transform> {
    REGISTRY.iter().find(|t| t.name == name)
}

/// The registered name closest to `name`, for "did you mean" hints.
pub fn closest(name: &str) -> Option<&'static str> {
    crate::suggest(name, REGISTRY.iter().map(|t| t.name))
}

impl fmt::Debug for Transform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transform")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Transform {
    /// Checks `raw` arguments against the signature and compiles the step.
    pub(crate) fn compile(&self, raw: &Map<String, Value>) -> Result<Op, String> {
        let parsed = args::Args::parse(self, raw)?;
        (self.compile)(&parsed)
    }
}
