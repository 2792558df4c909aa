//! Explain: for one record and one field, what each path matched and what each step did.

use crate::apply::{evaluate, Diagnostic};
use crate::compile::{Mapping, Source};
use crate::related::Related;
use crate::transform::StepError;
use serde::Serialize;
use serde_json::Value;

/// One step's input and output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepTrace {
    pub step: usize,
    pub function: &'static str,
    /// True when the input was null and the function passes null through untouched.
    pub skipped: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'static str>,
}

impl StepTrace {
    pub(crate) fn skipped(step: usize, function: &'static str) -> StepTrace {
        StepTrace {
            step,
            function,
            skipped: true,
            input: Some(Value::Null),
            output: Some(Value::Null),
            error: None,
            code: None,
        }
    }

    pub(crate) fn ran(
        step: usize,
        function: &'static str,
        input: Value,
        output: Result<Value, StepError>,
    ) -> StepTrace {
        let (output, error, code) = match output {
            Ok(value) => (Some(value), None, None),
            Err(e) => (None, Some(e.message), Some(e.code)),
        };
        StepTrace {
            step,
            function,
            skipped: false,
            input: Some(input),
            output,
            error,
            code,
        }
    }
}

/// The matches of one source path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathMatches {
    pub path: String,
    /// `(normalized path, value)` pairs, in RFC 9535 order.
    pub matches: Vec<(String, Value)>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    pub field: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
    /// For path bindings: what each path matched. Empty for constants.
    pub paths: Vec<PathMatches>,
    /// The value the steps started from.
    pub start: Value,
    pub steps: Vec<StepTrace>,
    /// The field's final value (null on error).
    pub result: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnostic: Option<Diagnostic>,
    /// True when the mapping's source filter skips this record.
    pub filtered_out: bool,
}

impl Mapping {
    /// Explains `field` (a label such as `status` or `custom.timeZone`) for `record`.
    /// `None` when the mapping has no such field.
    pub fn explain(&self, record: &Value, field: &str, related: &Related) -> Option<Explanation> {
        let compiled = self.field(field)?;
        let paths: Vec<PathMatches> = match &compiled.source {
            Source::Paths(paths) => paths
                .iter()
                .map(|p| PathMatches {
                    path: p.to_string(),
                    matches: p
                        .query_located(record)
                        .into_iter()
                        .map(|(at, v)| (at, v.clone()))
                        .collect(),
                })
                .collect(),
            Source::Const(_) => Vec::new(),
        };
        let top = self.resolve_heads(record);
        let start = match &compiled.source {
            Source::Const(value) => value.clone(),
            Source::Paths(paths) => crate::apply::start(
                paths,
                &compiled.source_heads,
                crate::heads::RecordRef::Whole(record),
                &top,
            )
            .into_owned(),
        };
        let mut steps = Vec::new();
        let mut unmapped = Vec::new();
        let outcome = evaluate(
            compiled,
            record,
            &top,
            related,
            &mut unmapped,
            Some(&mut steps),
        );
        let (result, diagnostic) = match outcome {
            Ok(value) => (value, None),
            Err(d) => (Value::Null, Some(d)),
        };
        Some(Explanation {
            field: compiled.label(),
            source_id: self.source_id_from(record, &top),
            paths,
            start,
            steps,
            result,
            diagnostic,
            filtered_out: !self.takes(record),
        })
    }
}
