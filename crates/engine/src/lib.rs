//! The Unifield mapping engine. Pure: no I/O beyond reading what it is handed, no
//! database, no HTTP. The studio, the CLI and the tests all run this one code path.
//!
//! The four verbs: [`Mapping::apply`] (records in, unified records and diagnostics out),
//! [`validate`] (a mapping against its schema, paths, functions and the model),
//! [`Coverage`] (per-field fill, null, error rates and unmapped values over many records)
//! and [`Mapping::explain`] (each step's output for one record and one field).

mod apply;
mod compile;
mod coverage;
pub mod docs;
mod explain;
mod heads;
pub mod input;
pub mod mapping;
pub mod path;
mod problem;
pub mod profile;
pub mod proposals;
mod related;
mod scan;
pub mod transform;

pub use apply::{Applied, Diagnostic, FieldOutcome, Mapped, RecordView, RECORD_TIME_BUDGET};
pub use compile::{load, load_file, validate, CompiledField, Mapping, MemberRead, Target};
pub use coverage::{produced_keys, Coverage, FieldCoverage, KeyCoverage};
pub use explain::{Explanation, StepTrace};
pub use problem::{LoadError, Problem, Severity};
pub use related::Related;

use serde_json::Value;

/// A short description of a value for error messages: its kind and, if small, itself.
pub(crate) fn describe_value(value: &Value) -> String {
    let kind = transform::Kind::of(value);
    match value {
        Value::Null => "null".into(),
        Value::Array(items) => format!("an array of {}", items.len()),
        Value::Object(_) => "an object".into(),
        _ => {
            let mut text = value.to_string();
            if text.len() > 60 {
                let cut = (0..=57)
                    .rev()
                    .find(|&i| text.is_char_boundary(i))
                    .unwrap_or(0);
                text.truncate(cut);
                text.push('…');
            }
            format!("{kind} {text}")
        }
    }
}

/// serde_json's message without its trailing " at line L column C": callers report the
/// place themselves (a mapping's line and column, an input's line or element).
pub(crate) fn json_error_message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// The candidate closest to `name` when it is close enough to be a likely typo.
pub(crate) fn suggest<'a>(
    name: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .map(|c| {
            (
                strsim::damerau_levenshtein(&name.to_lowercase(), &c.to_lowercase()),
                c,
            )
        })
        .filter(|(distance, c)| *distance <= (c.len() / 3).max(2))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}
