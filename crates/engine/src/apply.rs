//! Apply: one source record in, one unified record and its diagnostics out.
//! A failing field is reported and left null; the rest of the record still maps.

use crate::compile::{check_value, CompiledField, Mapping, RecordTest, Source, Target};
use crate::explain::StepTrace;
use crate::related::Related;
use crate::transform::{table_key, StepContext};
use serde::Serialize;
use serde_json::{Map, Value};

/// What happened to one field of one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldOutcome {
    Filled,
    Null,
    Error,
}

/// A problem with one field of one record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostic {
    /// The target field (`status`, `custom.timeZone`).
    pub field: String,
    /// 1-based step number, when a step failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function: Option<&'static str>,
    pub code: &'static str,
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.step, self.function) {
            (Some(step), Some(function)) => write!(
                f,
                "field `{}`, step {step} (`{function}`): {} [{}]",
                self.field, self.message, self.code
            ),
            _ => write!(f, "field `{}`: {} [{}]", self.field, self.message, self.code),
        }
    }
}

/// The result of applying a mapping to one record.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// The unified record; `None` when the mapping's source filter skips the record.
    pub record: Option<Value>,
    /// The source record's id, when it has one.
    pub source_id: Option<String>,
    pub diagnostics: Vec<Diagnostic>,
    /// One outcome per `Mapping::fields` entry (empty for skipped records).
    pub outcomes: Vec<FieldOutcome>,
    /// `(field index, source value)` for values that a value map or lookup did not cover.
    pub unmapped: Vec<(usize, String)>,
}

impl Applied {
    pub fn has_errors(&self) -> bool {
        !self.diagnostics.is_empty()
    }
}

impl Mapping {
    /// Whether the mapping's source filter takes `record`.
    pub fn takes(&self, record: &Value) -> bool {
        let Some((path, test)) = &self.filter else { return true };
        let found = path.get(record).or_else(|| path.query(record).into_iter().next());
        let found = found.unwrap_or(&Value::Null);
        match test {
            RecordTest::Equals(want) => found == want,
            RecordTest::NotEquals(want) => found != want,
            RecordTest::In(items) => items.contains(found),
        }
    }

    /// Maps one source record.
    pub fn apply(&self, record: &Value, related: &Related) -> Applied {
        let source_id = self.source_id(record);
        if !self.takes(record) {
            return Applied { record: None, source_id, diagnostics: Vec::new(), outcomes: Vec::new(), unmapped: Vec::new() };
        }
        let mut out = Map::new();
        let mut custom = Map::new();
        let mut diagnostics = Vec::new();
        let mut outcomes = Vec::with_capacity(self.fields.len());
        let mut unmapped = Vec::new();
        let mut scratch = Vec::new();
        for (index, field) in self.fields.iter().enumerate() {
            let result = evaluate(field, record, related, &mut scratch, None);
            unmapped.extend(scratch.drain(..).map(|value| (index, value)));
            let value = match result {
                Ok(value) => {
                    outcomes.push(if value.is_null() { FieldOutcome::Null } else { FieldOutcome::Filled });
                    value
                }
                Err(diagnostic) => {
                    outcomes.push(FieldOutcome::Error);
                    diagnostics.push(diagnostic);
                    Value::Null
                }
            };
            match field.target {
                Target::Model(_) => out.insert(field.name.clone(), value),
                Target::Custom => custom.insert(field.name.clone(), value),
            };
        }
        if !custom.is_empty() {
            out.insert("custom".into(), Value::Object(custom));
        }
        let mut source = Map::new();
        source.insert("system".into(), Value::from(self.doc.source.system.as_str()));
        source.insert("entity".into(), Value::from(self.doc.source.entity.as_str()));
        if let Some(id) = &source_id {
            source.insert("id".into(), Value::from(id.as_str()));
        }
        out.insert("_source".into(), Value::Object(source));
        Applied { record: Some(Value::Object(out)), source_id, diagnostics, outcomes, unmapped }
    }

    pub(crate) fn source_id(&self, record: &Value) -> Option<String> {
        self.id_path.get(record).and_then(table_key)
    }
}

/// Computes one field: source, then each step, then the check against the field's type.
/// `trace`, when given, receives each step's input and output (for explain).
pub(crate) fn evaluate(
    field: &CompiledField,
    record: &Value,
    related: &Related,
    unmapped: &mut Vec<String>,
    mut trace: Option<&mut Vec<StepTrace>>,
) -> Result<Value, Diagnostic> {
    let mut value = match &field.source {
        Source::Const(value) => value.clone(),
        Source::Paths(paths) => paths.iter().map(|p| read(p, record)).find(|v| !v.is_null()).unwrap_or(Value::Null),
    };
    let label = || field.label();
    for (index, step) in field.steps.iter().enumerate() {
        if value.is_null() && !step.transform.takes_null {
            if let Some(trace) = trace.as_deref_mut() {
                trace.push(StepTrace::skipped(index + 1, step.transform.name));
            }
            continue;
        }
        let input = trace.as_ref().map(|_| value.clone());
        let mut cx = StepContext { record, related, unmapped };
        match step.op.run(value, &mut cx) {
            Ok(output) => {
                if let (Some(trace), Some(input)) = (trace.as_deref_mut(), input) {
                    trace.push(StepTrace::ran(index + 1, step.transform.name, input, Ok(output.clone())));
                }
                value = output;
            }
            Err(error) => {
                if let (Some(trace), Some(input)) = (trace.as_deref_mut(), input) {
                    trace.push(StepTrace::ran(index + 1, step.transform.name, input, Err(error.clone())));
                }
                return Err(Diagnostic {
                    field: label(),
                    step: Some(index + 1),
                    function: Some(step.transform.name),
                    code: error.code,
                    message: error.message,
                });
            }
        }
    }
    if let Target::Model(model_field) = field.target {
        if value.is_null() && model_field.required {
            return Err(Diagnostic {
                field: label(),
                step: None,
                function: None,
                code: "missing_required",
                message: "required field is null".into(),
            });
        }
        if let Err(error) = check_value(&value, &model_field.ty) {
            return Err(Diagnostic { field: label(), step: None, function: None, code: error.code, message: format!("the result is {}", error.message) });
        }
    }
    Ok(value)
}

/// A path's value: the match of a singular path, or every match of a general one as an
/// array (null when nothing matches, so `paths` can fall through to the next).
pub(crate) fn read(path: &crate::path::Selector, record: &Value) -> Value {
    if path.is_singular() {
        return path.get(record).cloned().unwrap_or(Value::Null);
    }
    let found = path.query(record);
    if found.is_empty() {
        Value::Null
    } else {
        Value::Array(found.into_iter().cloned().collect())
    }
}
