//! A shared mapping file cannot make the engine run out of memory or time (issue 10):
//! too many steps are refused when it loads, and a step that would build a huge value
//! fails its record with a located step error.

use serde_json::{json, Value};
use unifield_engine::{load, Related};

/// A mapping whose custom field doubles a one-character constant `doublings` times.
fn doubling(doublings: usize) -> String {
    let steps: Vec<Value> = (0..doublings)
        .map(|_| json!({"fn": "template", "template": "{@}{@}"}))
        .collect();
    json!({
        "format": "unifield.mapping/v1",
        "name": "doubling",
        "source": {"system": "corrigo", "entity": "WorkOrder", "idPath": "$.Id"},
        "target": {"model": "unified", "version": "1", "entity": "WorkOrder"},
        "fields": {"key": {"path": "$.Id", "steps": ["to_string"]}},
        "custom": {"blowup": {"const": "x", "steps": steps}}
    })
    .to_string()
}

#[test]
fn forty_doubling_template_steps_are_refused_when_the_mapping_loads() {
    // 2^40 bytes if it ran. It must never run.
    let error = load(&doubling(40), None).expect_err("too many steps");
    let problem = error
        .problems
        .iter()
        .find(|p| p.code == "too_many_steps")
        .unwrap_or_else(|| panic!("{:?}", error.problems));
    assert_eq!(problem.field.as_deref(), Some("custom.blowup"));
    assert_eq!(
        problem.step,
        Some(33),
        "located at the first step past the limit"
    );
}

#[test]
fn a_step_that_would_build_a_huge_value_fails_its_record_at_that_step() {
    // Within the step limit, but 2^32 bytes by the end: the size limit stops it.
    let mapping = load(&doubling(32), None).unwrap();
    let applied = mapping.apply(&json!({"Id": 7}), &Related::default());
    let diagnostic = applied
        .diagnostics
        .iter()
        .find(|d| d.field == "custom.blowup")
        .expect("the field fails");
    assert_eq!(diagnostic.code, "value_too_large");
    assert_eq!(diagnostic.function, Some("template"));
    // The 22nd doubling makes 2^22 bytes, 4 MiB, which with its quotes passes the limit.
    assert_eq!(diagnostic.step, Some(22), "{diagnostic}");
    let record = mapping.record(&applied).unwrap();
    assert_eq!(record["key"], "7", "the other fields still map");
    assert_eq!(record["custom"]["blowup"], Value::Null);
}

#[test]
fn a_template_repeating_its_input_many_times_stops_inside_the_step() {
    // One step, many placeholders: 4,096 copies of a 2 KiB input would be 8 MiB.
    let template = "{@}".repeat(4096);
    let text = json!({
        "format": "unifield.mapping/v1",
        "name": "wide",
        "source": {"system": "corrigo", "entity": "WorkOrder", "idPath": "$.Id"},
        "target": {"model": "unified", "version": "1", "entity": "WorkOrder"},
        "fields": {"key": {"path": "$.Id", "steps": ["to_string"]}},
        "custom": {"wide": {"path": "$.Text", "steps": [{"fn": "template", "template": template}]}}
    })
    .to_string();
    let mapping = load(&text, None).unwrap();
    let applied = mapping.apply(
        &json!({"Id": 1, "Text": "y".repeat(2048)}),
        &Related::default(),
    );
    let d = &applied.diagnostics[0];
    assert_eq!((d.code, d.step), ("value_too_large", Some(1)));
}

#[test]
fn a_replace_or_split_that_would_multiply_its_input_fails_with_the_limit() {
    let text = json!({
        "format": "unifield.mapping/v1",
        "name": "multiply",
        "source": {"system": "corrigo", "entity": "WorkOrder", "idPath": "$.Id"},
        "target": {"model": "unified", "version": "1", "entity": "WorkOrder"},
        "fields": {"key": {"path": "$.Id", "steps": ["to_string"]}},
        "custom": {
            "grown": {"path": "$.Text", "steps": [{"fn": "replace", "from": "a", "to": "b".repeat(4096)}]},
            "parts": {"path": "$.Commas", "steps": [{"fn": "split", "separator": ","}]}
        }
    })
    .to_string();
    let mapping = load(&text, None).unwrap();
    let applied = mapping.apply(
        &json!({"Id": 1, "Text": "a".repeat(2048), "Commas": ",".repeat(3 << 20)}),
        &Related::default(),
    );
    let codes: Vec<(&str, &str)> = applied
        .diagnostics
        .iter()
        .map(|d| (d.field.as_str(), d.code))
        .collect();
    assert_eq!(
        codes,
        [
            ("custom.grown", "value_too_large"),
            ("custom.parts", "value_too_large")
        ]
    );
}

#[test]
fn fields_past_the_records_time_budget_fail_with_the_budget_error() {
    // Forty fields; the clock is read every thirty-two. With no time at all, the fields
    // from the thirty-second on are refused and located; the others mapped before the check.
    let custom: serde_json::Map<String, Value> = (0..39)
        .map(|i| {
            (
                format!("f{i:02}"),
                json!({"path": "$.Id", "steps": ["to_string"]}),
            )
        })
        .collect();
    let text = json!({
        "format": "unifield.mapping/v1",
        "name": "budget",
        "source": {"system": "corrigo", "entity": "WorkOrder", "idPath": "$.Id"},
        "target": {"model": "unified", "version": "1", "entity": "WorkOrder"},
        "fields": {"key": {"path": "$.Id", "steps": ["to_string"]}},
        "custom": custom
    })
    .to_string();
    let mapping = load(&text, None).unwrap();
    let applied = mapping.apply_within(
        &json!({"Id": 5}),
        &Related::default(),
        std::time::Duration::ZERO,
    );
    let failed: Vec<String> = applied
        .diagnostics
        .iter()
        .map(|d| {
            assert_eq!(d.code, "record_time_budget");
            d.field.clone()
        })
        .collect();
    let expected: Vec<String> = (30..39).map(|i| format!("custom.f{i:02}")).collect();
    assert_eq!(failed, expected);
    let unbounded = mapping.apply(&json!({"Id": 5}), &Related::default());
    assert!(
        unbounded.diagnostics.is_empty(),
        "a real budget maps them all"
    );
}
