//! Human-readable views: the model and explanations.

use crate::{Failure, Outcome};
use std::fmt::Write;
use std::process::ExitCode;
use unifield_engine::input::InputRecord;
use unifield_engine::Explanation;

pub(crate) fn model(name: Option<&str>, json: bool) -> Outcome {
    let model = unifield_model::model();
    let Some(name) = name else {
        for entity in &model.entities {
            println!("{:<10} {}", entity.name, entity.description);
        }
        return Ok(ExitCode::SUCCESS);
    };
    let entity = model
        .entities
        .iter()
        .find(|e| e.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            Failure::usage(format!(
                "the model has no entity `{name}` (it has: {})",
                model.entity_names().collect::<Vec<_>>().join(", ")
            ))
        })?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&unifield_model::json_schema(entity))
                .expect("serializable")
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!("{} — {}\n", entity.name, entity.description);
    let width = entity
        .fields
        .iter()
        .map(|f| f.name.len())
        .max()
        .unwrap_or(0)
        + 1;
    for field in &entity.fields {
        let name = if field.required {
            format!("{}*", field.name)
        } else {
            field.name.to_string()
        };
        println!(
            "  {name:<width$}  {:<14}  {}",
            field.ty.describe().split(" (").next().unwrap_or(""),
            field.description
        );
        if let unifield_model::FieldType::Enum(values) = &field.ty {
            for value in values {
                println!(
                    "  {:<width$}    = {:<12} {}",
                    "", value.name, value.description
                );
            }
        }
    }
    println!("\n* required");
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn explanation(e: &Explanation, number: usize, record: &InputRecord) -> String {
    let mut out = String::new();
    let id = e
        .source_id
        .as_deref()
        .map(|id| format!(", id {id}"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "field `{}` of record {number} ({}{id})",
        e.field, record.origin
    );
    if e.filtered_out {
        let _ = writeln!(
            out,
            "note: the mapping's source filter skips this record; shown as if it did not"
        );
    }
    for path in &e.paths {
        if path.matches.is_empty() {
            let _ = writeln!(out, "  path {}  → no match", path.path);
        }
        for (at, value) in &path.matches {
            let _ = writeln!(out, "  path {}  → {at} = {value}", path.path);
        }
    }
    if e.paths.is_empty() {
        let _ = writeln!(out, "  const {}", e.start);
    }
    let _ = writeln!(out, "  start: {}", e.start);
    for step in &e.steps {
        if step.skipped {
            let _ = writeln!(
                out,
                "  step {} {:<15} skipped (null in, null out)",
                step.step, step.function
            );
        } else if let Some(error) = &step.error {
            let _ = writeln!(
                out,
                "  step {} {:<15} ERROR [{}] {error}",
                step.step,
                step.function,
                step.code.unwrap_or("")
            );
        } else {
            let output = step
                .output
                .as_ref()
                .map(|v| v.to_string())
                .unwrap_or_default();
            let _ = writeln!(out, "  step {} {:<15} → {output}", step.step, step.function);
        }
    }
    match &e.diagnostic {
        Some(d) => {
            let _ = writeln!(out, "  result: null — {d}");
        }
        None => {
            let _ = writeln!(out, "  result: {}", e.result);
        }
    }
    out
}
