//! The mapping file, format v1: what the user writes, before compilation.
//!
//! ```json
//! {
//!   "format": "unifield.mapping/v1",
//!   "name": "Corrigo work orders",
//!   "source": {"system": "corrigo", "entity": "WorkOrder", "idPath": "$.Id"},
//!   "target": {"model": "unified", "version": "1", "entity": "WorkOrder"},
//!   "fields": {
//!     "key":    {"path": "$.Id", "steps": ["to_string"]},
//!     "status": {"path": "$.StatusId", "steps": [{"fn": "map_values", "map": {"New": "open"}}]},
//!     "type":   {"const": "request"}
//!   },
//!   "custom": {"timeZone": {"path": "$.TimeZone"}}
//! }
//! ```
//!
//! Decoding collects every problem rather than stopping at the first, and the canonical
//! writer orders everything (model fields in model order, arguments and tables by name)
//! so two versions of a mapping diff only where they differ.

use crate::problem::Problem;
use serde_json::{Map, Value};

pub const FORMAT: &str = "unifield.mapping/v1";

#[derive(Debug, Clone, PartialEq)]
pub struct MappingDoc {
    pub format: String,
    pub name: String,
    pub description: Option<String>,
    pub source: SourceSpec,
    pub target: TargetSpec,
    /// Target model fields, in file order.
    pub fields: Vec<(String, BindingDoc)>,
    /// Extra fields outside the model, written under `custom` in the output.
    pub custom: Vec<(String, BindingDoc)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SourceSpec {
    pub system: String,
    pub entity: String,
    /// Where the record's own id is (default `$.Id`).
    pub id_path: Option<String>,
    pub filter: Option<RecordFilter>,
}

/// Which source records the mapping takes, such as Employees whose ActorTypeId is Provider.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordFilter {
    pub path: String,
    pub test: FilterTest,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FilterTest {
    Equals(Value),
    NotEquals(Value),
    In(Vec<Value>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct TargetSpec {
    pub model: String,
    pub version: String,
    pub entity: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SourceDoc {
    Path(String),
    /// First non-null wins.
    Paths(Vec<String>),
    Const(Value),
}

#[derive(Debug, Clone, PartialEq)]
pub struct BindingDoc {
    pub source: SourceDoc,
    pub steps: Vec<StepDoc>,
    /// A free-text note for the next person.
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StepDoc {
    pub function: String,
    pub args: Map<String, Value>,
}

/// Reads a mapping document from parsed JSON, collecting every problem.
pub fn decode(value: &Value) -> Result<MappingDoc, Vec<Problem>> {
    let mut problems = Vec::new();
    let Some(top) = value.as_object() else {
        return Err(vec![Problem::error(
            "invalid_mapping",
            "a mapping file must be a JSON object",
        )]);
    };
    unknown_keys(
        top,
        &[
            "format",
            "name",
            "description",
            "source",
            "target",
            "fields",
            "custom",
        ],
        "the mapping",
        &mut problems,
    );
    let format = string_member(top, "format", "the mapping", &mut problems).unwrap_or_default();
    if !format.is_empty() && format != FORMAT {
        problems.push(Problem::error(
            "unsupported_format",
            format!("format `{format}` is not supported; this version reads `{FORMAT}`"),
        ));
    }
    let name = string_member(top, "name", "the mapping", &mut problems).unwrap_or_default();
    let description = optional_string(top, "description", "the mapping", &mut problems);
    let source = decode_source(top.get("source"), &mut problems);
    let target = decode_target(top.get("target"), &mut problems);
    let fields = decode_bindings(top.get("fields"), "fields", "", &mut problems);
    let custom = match top.get("custom") {
        None => Vec::new(),
        some => {
            check_custom_names(some, &mut problems);
            decode_bindings(some, "custom", "custom.", &mut problems)
        }
    };
    let doc = MappingDoc {
        format,
        name,
        description,
        source,
        target,
        fields,
        custom,
    };
    if problems.is_empty() {
        Ok(doc)
    } else {
        Err(problems)
    }
}

fn unknown_keys(
    object: &Map<String, Value>,
    known: &[&str],
    what: &str,
    problems: &mut Vec<Problem>,
) {
    for key in object.keys() {
        if !known.contains(&key.as_str()) {
            let hint = crate::suggest(key, known.iter().copied())
                .map(|k| format!(" (did you mean `{k}`?)"))
                .unwrap_or_else(|| format!(" (expected one of: {})", known.join(", ")));
            problems.push(Problem::error(
                "unknown_key",
                format!("{what} has no member `{key}`{hint}"),
            ));
        }
    }
}

fn string_member(
    object: &Map<String, Value>,
    key: &str,
    what: &str,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    match object.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::String(_)) => {
            problems.push(Problem::error(
                "missing_member",
                format!("{what}: `{key}` must not be empty"),
            ));
            None
        }
        Some(other) => {
            problems.push(Problem::error(
                "wrong_type",
                format!(
                    "{what}: `{key}` must be a string, got {}",
                    crate::describe_value(other)
                ),
            ));
            None
        }
        None => {
            problems.push(Problem::error(
                "missing_member",
                format!("{what} needs `{key}`"),
            ));
            None
        }
    }
}

fn optional_string(
    object: &Map<String, Value>,
    key: &str,
    what: &str,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    object.get(key)?;
    string_member(object, key, what, problems)
}

fn object_member<'a>(
    value: Option<&'a Value>,
    what: &str,
    problems: &mut Vec<Problem>,
) -> Option<&'a Map<String, Value>> {
    match value {
        Some(Value::Object(map)) => Some(map),
        Some(other) => {
            problems.push(Problem::error(
                "wrong_type",
                format!(
                    "`{what}` must be an object, got {}",
                    crate::describe_value(other)
                ),
            ));
            None
        }
        None => {
            problems.push(Problem::error(
                "missing_member",
                format!("the mapping needs `{what}`"),
            ));
            None
        }
    }
}

/// A top-level section object (`source`, `target`), its unknown members reported.
/// A missing or mistyped section reads as empty, so its own members report as missing.
fn section<'a>(
    value: Option<&'a Value>,
    name: &str,
    known: &[&str],
    problems: &mut Vec<Problem>,
) -> &'a Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    let Some(object) = object_member(value, name, problems) else {
        return EMPTY.get_or_init(Map::new);
    };
    unknown_keys(object, known, &format!("`{name}`"), problems);
    object
}

fn decode_source(value: Option<&Value>, problems: &mut Vec<Problem>) -> SourceSpec {
    let object = section(
        value,
        "source",
        &["system", "entity", "idPath", "filter"],
        problems,
    );
    let system = string_member(object, "system", "`source`", problems).unwrap_or_default();
    let entity = string_member(object, "entity", "`source`", problems).unwrap_or_default();
    let id_path = optional_string(object, "idPath", "`source`", problems);
    let filter = object
        .get("filter")
        .and_then(|f| decode_filter(f, problems));
    SourceSpec {
        system,
        entity,
        id_path,
        filter,
    }
}

fn decode_filter(value: &Value, problems: &mut Vec<Problem>) -> Option<RecordFilter> {
    let object = object_member(Some(value), "source.filter", problems)?;
    unknown_keys(
        object,
        &["path", "equals", "notEquals", "in"],
        "`source.filter`",
        problems,
    );
    let path = string_member(object, "path", "`source.filter`", problems)?;
    let tests: Vec<FilterTest> = [
        object.get("equals").map(|v| FilterTest::Equals(v.clone())),
        object
            .get("notEquals")
            .map(|v| FilterTest::NotEquals(v.clone())),
        object.get("in").map(|v| match v {
            Value::Array(items) => FilterTest::In(items.clone()),
            other => FilterTest::In(vec![other.clone()]),
        }),
    ]
    .into_iter()
    .flatten()
    .collect();
    match <[FilterTest; 1]>::try_from(tests) {
        Ok([test]) => Some(RecordFilter { path, test }),
        Err(_) => {
            problems.push(Problem::error(
                "invalid_filter",
                "`source.filter` needs exactly one of `equals`, `notEquals` or `in`",
            ));
            None
        }
    }
}

fn decode_target(value: Option<&Value>, problems: &mut Vec<Problem>) -> TargetSpec {
    let object = section(value, "target", &["model", "version", "entity"], problems);
    TargetSpec {
        model: string_member(object, "model", "`target`", problems).unwrap_or_default(),
        version: string_member(object, "version", "`target`", problems).unwrap_or_default(),
        entity: string_member(object, "entity", "`target`", problems).unwrap_or_default(),
    }
}

fn decode_bindings(
    value: Option<&Value>,
    section: &str,
    prefix: &str,
    problems: &mut Vec<Problem>,
) -> Vec<(String, BindingDoc)> {
    let Some(object) = object_member(value, section, problems) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, binding) in object {
        let label = format!("{prefix}{name}");
        let before = problems.len();
        if let Some(doc) = decode_binding(binding, &label, problems) {
            if problems.len() == before {
                out.push((name.clone(), doc));
            }
        }
    }
    out
}

/// [`custom_name_problem`]'s rule as a regular expression, for the mapping file's JSON
/// Schema (editors check names with it as they are typed).
pub const CUSTOM_NAME_PATTERN: &str = "^[A-Za-z_][A-Za-z0-9_]*$";

/// Why `name` cannot name a custom field, or `None` when it can.
///
/// A custom field name is an identifier: ASCII letters, digits and `_`, not starting
/// with a digit (the unified model's own field names all are). The name is addressed
/// outside the mapping file, and only this shape reads the same everywhere it goes:
/// - `unifield serve` filters on `filter[customFields.NAME:OP]` and splits at the first
///   `:`, so a name with `:` cannot be filtered on; `[`, `]`, `&`, `=`, `%`, `+`, spaces
///   and non-ASCII letters need percent-encoding in that query string, and `sort[...]`
///   is the same grammar.
/// - The served record and the labels name the field `customFields.NAME` and
///   `custom.NAME`: a `.` in NAME reads as a nested member to anyone who splits on dots
///   (a JSONPath, a JavaScript reader), and an empty NAME leaves `customFields.`.
/// - RFC 9535 JSONPath's `$.customFields.NAME` shorthand (and a JavaScript identifier)
///   cannot start with a digit; a `,` breaks comma-separated field lists.
///
/// The studio's canvas states this same rule as the name is typed (ui/src/custom-name.ts);
/// this function is the rule every path (CLI, server, studio) goes through on load.
pub fn custom_name_problem(name: &str) -> Option<String> {
    let Some(first) = name.chars().next() else {
        return Some("a custom field name cannot be empty".to_string());
    };
    if first.is_ascii_digit() {
        return Some(format!(
            "a custom field name cannot start with a digit: `{name}`"
        ));
    }
    let bad = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))?;
    let shown = if bad.is_whitespace() {
        "a space".to_string()
    } else {
        format!("`{bad}`")
    };
    Some(format!(
        "a custom field name is letters, digits and _ only: {shown} is not allowed in `{name}`"
    ))
}

/// Reports each member of the `custom` object whose name breaks [`custom_name_problem`]'s
/// rule, as `invalid_custom_name` on that field (located to its line like any field).
fn check_custom_names(value: Option<&Value>, problems: &mut Vec<Problem>) {
    let Some(Value::Object(object)) = value else {
        return;
    };
    for name in object.keys() {
        if let Some(message) = custom_name_problem(name) {
            problems.push(
                Problem::error("invalid_custom_name", message).field(&format!("custom.{name}")),
            );
        }
    }
}

fn decode_binding(value: &Value, field: &str, problems: &mut Vec<Problem>) -> Option<BindingDoc> {
    let fail = |problems: &mut Vec<Problem>, code, message: String| {
        problems.push(Problem::error(code, message).field(field));
        None
    };
    let Value::Object(object) = value else {
        return fail(
            problems,
            "wrong_type",
            format!(
                "a binding must be an object with `path`, `paths` or `const`, got {}",
                crate::describe_value(value)
            ),
        );
    };
    for key in object.keys() {
        let known = ["path", "paths", "const", "steps", "note"];
        if !known.contains(&key.as_str()) {
            let hint = crate::suggest(key, known.iter().copied())
                .map(|k| format!(" (did you mean `{k}`?)"))
                .unwrap_or_default();
            problems.push(
                Problem::error(
                    "unknown_key",
                    format!("a binding has no member `{key}`{hint}"),
                )
                .field(field),
            );
        }
    }
    let sources: Vec<&str> = ["path", "paths", "const"]
        .into_iter()
        .filter(|k| object.contains_key(*k))
        .collect();
    let source = match sources.as_slice() {
        ["path"] => match &object["path"] {
            Value::String(path) => SourceDoc::Path(path.clone()),
            other => {
                return fail(
                    problems,
                    "wrong_type",
                    format!(
                        "`path` must be a JSONPath string, got {}",
                        crate::describe_value(other)
                    ),
                )
            }
        },
        ["paths"] => match &object["paths"] {
            Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_string) => {
                SourceDoc::Paths(
                    items
                        .iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect(),
                )
            }
            other => {
                return fail(
                    problems,
                    "wrong_type",
                    format!(
                        "`paths` must be a non-empty array of JSONPath strings, got {}",
                        crate::describe_value(other)
                    ),
                )
            }
        },
        ["const"] => SourceDoc::Const(object["const"].clone()),
        [] => {
            return fail(
                problems,
                "missing_source",
                "a binding needs one of `path`, `paths` or `const`".into(),
            )
        }
        _ => {
            return fail(
                problems,
                "ambiguous_source",
                format!(
                    "a binding takes one of `path`, `paths` or `const`, not {}",
                    sources.join(" and ")
                ),
            )
        }
    };
    let steps = match object.get("steps") {
        None => Vec::new(),
        Some(Value::Array(items)) => {
            let mut steps = Vec::new();
            for (index, item) in items.iter().enumerate() {
                match decode_step(item) {
                    Ok(step) => steps.push(step),
                    Err(message) => problems.push(
                        Problem::error("invalid_step", message)
                            .field(field)
                            .step(index + 1),
                    ),
                }
            }
            steps
        }
        Some(other) => {
            return fail(
                problems,
                "wrong_type",
                format!(
                    "`steps` must be an array, got {}",
                    crate::describe_value(other)
                ),
            )
        }
    };
    let note = match object.get("note") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            return fail(
                problems,
                "wrong_type",
                format!(
                    "`note` must be a string, got {}",
                    crate::describe_value(other)
                ),
            )
        }
    };
    Some(BindingDoc {
        source,
        steps,
        note,
    })
}

fn decode_step(value: &Value) -> Result<StepDoc, String> {
    match value {
        Value::String(name) => Ok(StepDoc {
            function: name.clone(),
            args: Map::new(),
        }),
        Value::Object(object) => {
            let function = match object.get("fn") {
                Some(Value::String(name)) => name.clone(),
                Some(other) => {
                    return Err(format!(
                        "`fn` must be a function name, got {}",
                        crate::describe_value(other)
                    ))
                }
                None => return Err("a step object needs `fn`, the function's name".into()),
            };
            let args = object
                .iter()
                .filter(|(k, _)| *k != "fn")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            Ok(StepDoc { function, args })
        }
        other => Err(format!(
            "a step is a function name or an object with `fn`, got {}",
            crate::describe_value(other)
        )),
    }
}

impl MappingDoc {
    /// The mapping with only the fields named by `labels` (`status`, `custom.timeZone`);
    /// source, id and source filter kept. Labels naming no field are ignored here;
    /// [`crate::Mapping::narrowed`] refuses them.
    pub fn narrowed(&self, labels: &[&str]) -> MappingDoc {
        let mut doc = self.clone();
        doc.fields
            .retain(|(name, _)| labels.contains(&name.as_str()));
        doc.custom.retain(|(name, _)| {
            labels
                .iter()
                .any(|label| label.strip_prefix("custom.") == Some(name.as_str()))
        });
        doc
    }

    /// The canonical JSON text: stable order, two-space indent, final newline.
    ///
    /// Model fields follow the model's order (the reading order of the unified record);
    /// custom fields, step arguments and every object inside them are sorted by name.
    pub fn to_canonical_json(&self) -> String {
        let mut top = Map::new();
        top.insert("format".into(), Value::from(self.format.as_str()));
        top.insert("name".into(), Value::from(self.name.as_str()));
        if let Some(description) = &self.description {
            top.insert("description".into(), Value::from(description.as_str()));
        }
        let mut source = Map::new();
        source.insert("system".into(), Value::from(self.source.system.as_str()));
        source.insert("entity".into(), Value::from(self.source.entity.as_str()));
        if let Some(id_path) = &self.source.id_path {
            source.insert("idPath".into(), Value::from(id_path.as_str()));
        }
        if let Some(filter) = &self.source.filter {
            let mut f = Map::new();
            f.insert("path".into(), Value::from(filter.path.as_str()));
            let (key, value) = match &filter.test {
                FilterTest::Equals(v) => ("equals", sorted(v)),
                FilterTest::NotEquals(v) => ("notEquals", sorted(v)),
                FilterTest::In(items) => ("in", Value::Array(items.iter().map(sorted).collect())),
            };
            f.insert(key.into(), value);
            source.insert("filter".into(), Value::Object(f));
        }
        top.insert("source".into(), Value::Object(source));
        let mut target = Map::new();
        target.insert("model".into(), Value::from(self.target.model.as_str()));
        target.insert("version".into(), Value::from(self.target.version.as_str()));
        target.insert("entity".into(), Value::from(self.target.entity.as_str()));
        top.insert("target".into(), Value::Object(target));

        let entity = unifield_model::model().entity(&self.target.entity);
        let mut fields: Vec<&(String, BindingDoc)> = self.fields.iter().collect();
        fields.sort_by_key(|(name, _)| {
            (
                entity.and_then(|e| e.position(name)).unwrap_or(usize::MAX),
                name.clone(),
            )
        });
        top.insert("fields".into(), bindings(fields));
        if !self.custom.is_empty() {
            let mut custom: Vec<&(String, BindingDoc)> = self.custom.iter().collect();
            custom.sort_by(|a, b| a.0.cmp(&b.0));
            top.insert("custom".into(), bindings(custom));
        }
        let mut text =
            serde_json::to_string_pretty(&Value::Object(top)).expect("JSON values serialize");
        text.push('\n');
        text
    }
}

fn bindings(items: Vec<&(String, BindingDoc)>) -> Value {
    Value::Object(
        items
            .into_iter()
            .map(|(name, binding)| (name.clone(), binding.to_json()))
            .collect(),
    )
}

impl BindingDoc {
    fn to_json(&self) -> Value {
        let mut out = Map::new();
        match &self.source {
            SourceDoc::Path(path) => out.insert("path".into(), Value::from(path.as_str())),
            SourceDoc::Paths(paths) => out.insert("paths".into(), Value::from(paths.clone())),
            SourceDoc::Const(value) => out.insert("const".into(), sorted(value)),
        };
        if !self.steps.is_empty() {
            out.insert(
                "steps".into(),
                Value::Array(self.steps.iter().map(StepDoc::to_json).collect()),
            );
        }
        if let Some(note) = &self.note {
            out.insert("note".into(), Value::from(note.as_str()));
        }
        Value::Object(out)
    }
}

impl StepDoc {
    fn to_json(&self) -> Value {
        if self.args.is_empty() {
            return Value::from(self.function.as_str());
        }
        let mut out = Map::new();
        out.insert("fn".into(), Value::from(self.function.as_str()));
        let mut names: Vec<&String> = self.args.keys().collect();
        names.sort();
        for name in names {
            out.insert(name.clone(), sorted(&self.args[name]));
        }
        Value::Object(out)
    }
}

/// `value` with every object's members sorted by name, recursively.
fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut names: Vec<&String> = map.keys().collect();
            names.sort();
            Value::Object(
                names
                    .into_iter()
                    .map(|k| (k.clone(), sorted(&map[k])))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// Member names written more than once in the mapping text's `fields` or `custom` object,
/// as `duplicate_field` errors on that field (the line is the first one's). Parsed JSON
/// keeps only the last of two equal member names, so a repeated name would otherwise lose a
/// binding silently; the studio refuses adding a name twice, and this says the same of a
/// file. Text that is not a JSON object, or whose sections are not objects, gives none
/// here: decoding reports that.
pub(crate) fn duplicate_fields(text: &str) -> Vec<Problem> {
    let Ok(Sections(repeated)) = serde_json::from_str::<Sections>(text) else {
        return Vec::new();
    };
    repeated
        .into_iter()
        .map(|(section, name)| {
            let (label, place) = match section {
                "custom" => (format!("custom.{name}"), "`custom`"),
                _ => (name.clone(), "`fields`"),
            };
            Problem::error(
                "duplicate_field",
                format!("`{name}` is named more than once under {place}; JSON keeps only the last, so give each its own name"),
            )
            .field(&label)
        })
        .collect()
}

/// The repeated names of the top-level `fields` and `custom` objects: (section, name).
struct Sections(Vec<(&'static str, String)>);

/// The repeated member names of one object, each once, in the order they repeat.
struct RepeatedNames(Vec<String>);

impl<'de> serde::Deserialize<'de> for Sections {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Sections;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a mapping object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Sections, A::Error> {
                let mut repeated = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    let section = match key.as_str() {
                        "fields" => "fields",
                        "custom" => "custom",
                        _ => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                            continue;
                        }
                    };
                    let RepeatedNames(names) = map.next_value()?;
                    repeated.extend(names.into_iter().map(|name| (section, name)));
                }
                Ok(Sections(repeated))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

impl<'de> serde::Deserialize<'de> for RepeatedNames {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RepeatedNames;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of bindings")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<RepeatedNames, A::Error> {
                let mut seen = std::collections::HashSet::new();
                let mut repeated = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    map.next_value::<serde::de::IgnoredAny>()?;
                    if seen.contains(&key) {
                        if !repeated.contains(&key) {
                            repeated.push(key);
                        }
                    } else {
                        seen.insert(key);
                    }
                }
                Ok(RepeatedNames(repeated))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

/// The 1-based line where `"name":` first appears inside the `section` object, if found.
/// Good enough to point an editor at a field; exactness is not needed for that.
pub fn locate_field(text: &str, section: &str, name: &str) -> Option<usize> {
    let start = find_key(text, section, 0)?;
    let at = find_key(text, name, start)?;
    Some(text[..at].bytes().filter(|&b| b == b'\n').count() + 1)
}

fn find_key(text: &str, key: &str, from: usize) -> Option<usize> {
    let needle = serde_json::to_string(key).ok()?;
    let mut offset = from;
    while let Some(found) = text.get(offset..)?.find(&needle) {
        let at = offset + found;
        let rest = text[at + needle.len()..].trim_start();
        if rest.starts_with(':') {
            return Some(at);
        }
        offset = at + needle.len();
    }
    None
}
