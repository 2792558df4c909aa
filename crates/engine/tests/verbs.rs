//! apply, explain, coverage and the canonical form, end to end on the engine API.

use serde_json::{json, Value};
use unifield_engine::{load, Coverage, FieldOutcome, Related};

const MAPPING: &str = r#"{
  "format": "unifield.mapping/v1",
  "name": "test",
  "source": {"system": "corrigo", "entity": "WorkOrder", "filter": {"path": "$.TypeCategory", "notEquals": "Turn"}},
  "target": {"model": "unified", "version": "1", "entity": "WorkOrder"},
  "fields": {
    "status": {"path": "$.StatusId", "steps": [{"fn": "map_values", "map": {"New": "open", "Completed": "completed"}, "failOnUnmapped": true}]},
    "key": {"path": "$.Id", "steps": ["to_string"]},
    "dueAt": {"paths": ["$.DueDateUtc", "$.DtDue"], "steps": [{"fn": "parse_datetime", "timeZone": "America/Chicago"}]},
    "priority": {"path": "$.Priority.Id", "steps": [{"fn": "map_values", "map": {"1": "emergency"}, "default": "normal"}]}
  },
  "custom": {"zone": {"path": "$.TimeZone"}}
}"#;

fn records() -> Vec<Value> {
    vec![
        json!({"Id": 1, "StatusId": "New", "DueDateUtc": "2022-03-25T15:00:00Z", "Priority": {"Id": 1}, "TimeZone": 35}),
        json!({"Id": 2, "StatusId": "Paused", "DtDue": "2022-03-25T10:00:00", "Priority": {"Id": 3}}),
        json!({"Id": 3, "StatusId": "Completed", "DueDateUtc": "not a date", "Priority": {"Id": 9}}),
        json!({"Id": 4, "StatusId": "New", "TypeCategory": "Turn"}),
    ]
}

#[test]
fn a_bad_field_is_reported_and_the_rest_of_the_record_still_maps() {
    let mapping = load(MAPPING, None).unwrap();
    let related = Related::default();
    let applied: Vec<_> = records()
        .iter()
        .map(|r| mapping.apply(r, &related))
        .collect();

    let first = &mapping.record(&applied[0]).unwrap();
    assert_eq!(
        first,
        &json!({
            "key": "1", "status": "open", "priority": "emergency", "dueAt": "2022-03-25T15:00:00Z",
            "custom": {"zone": 35},
            "_source": {"system": "corrigo", "entity": "WorkOrder", "id": "1"}
        }),
        "model fields come out in model order, then custom, then _source"
    );

    let second = &applied[1];
    assert_eq!(second.diagnostics.len(), 1);
    let d = &second.diagnostics[0];
    assert_eq!(
        (d.field.as_str(), d.step, d.function, d.code),
        ("status", Some(1), Some("map_values"), "unmapped_value")
    );
    let record = mapping.record(second).unwrap();
    assert_eq!(record["status"], Value::Null);
    assert_eq!(
        record["dueAt"], "2022-03-25T15:00:00Z",
        "falls back to DtDue, read as Chicago time"
    );

    let third = &applied[2];
    assert_eq!(third.diagnostics[0].code, "unparsed_date");
    assert_eq!(mapping.record(third).unwrap()["priority"], "normal");
    assert_eq!(
        third.unmapped,
        vec![(2, "9".to_string())],
        "field 2 is priority; its map has no 9"
    );
    assert_eq!(
        third.outcomes,
        vec![
            FieldOutcome::Filled,
            FieldOutcome::Filled,
            FieldOutcome::Filled,
            FieldOutcome::Error,
            FieldOutcome::Null
        ]
    );

    assert!(
        mapping.record(&applied[3]).is_none(),
        "the source filter skips Turn work orders"
    );
}

#[test]
fn coverage_counts_fill_errors_and_unmapped_values() {
    let mapping = load(MAPPING, None).unwrap();
    let related = Related::default();
    let mut coverage = Coverage::new(&mapping);
    for record in records() {
        coverage.add(&mapping.apply(&record, &related));
    }
    coverage.add_unreadable();
    coverage.finish();
    assert_eq!(
        (
            coverage.records,
            coverage.skipped,
            coverage.records_with_errors,
            coverage.unreadable
        ),
        (3, 1, 2, 1)
    );
    let status = coverage
        .fields
        .iter()
        .find(|f| f.field == "status")
        .unwrap();
    assert_eq!((status.filled, status.null, status.error), (2, 0, 1));
    assert_eq!(status.unmapped.get("Paused"), Some(&1));
    let priority = coverage
        .fields
        .iter()
        .find(|f| f.field == "priority")
        .unwrap();
    assert_eq!(
        priority.top_values,
        vec![(json!("emergency"), 1), (json!("normal"), 2)]
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
    );
    let table = coverage.to_table();
    assert!(table.contains("UNMAPPED: 3 (1), 9 (1)"), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("status*") && l.contains("66.7%") && l.contains("33.3%")),
        "{table}"
    );
}

#[test]
fn explain_shows_matches_and_every_step() {
    let mapping = load(MAPPING, None).unwrap();
    let record = &records()[1];
    let explained = mapping
        .explain(record, "dueAt", &Related::default())
        .unwrap();
    assert_eq!(explained.paths[0].matches, vec![]);
    assert_eq!(
        explained.paths[1].matches,
        vec![("$['DtDue']".to_string(), json!("2022-03-25T10:00:00"))]
    );
    assert_eq!(explained.start, json!("2022-03-25T10:00:00"));
    assert_eq!(explained.steps.len(), 1);
    assert_eq!(
        explained.steps[0].output,
        Some(json!("2022-03-25T15:00:00Z"))
    );
    assert_eq!(explained.result, json!("2022-03-25T15:00:00Z"));

    let failing = mapping
        .explain(record, "status", &Related::default())
        .unwrap();
    assert_eq!(failing.steps[0].code, Some("unmapped_value"));
    assert_eq!(failing.diagnostic.as_ref().unwrap().step, Some(1));
    assert!(mapping
        .explain(record, "nope", &Related::default())
        .is_none());
    assert!(mapping
        .explain(record, "custom.zone", &Related::default())
        .is_some());
}

#[test]
fn canonical_form_is_stable_whatever_the_input_order() {
    let mapping = load(MAPPING, None).unwrap();
    let canonical = mapping.doc.to_canonical_json();
    let after_fields = &canonical[canonical.find("\"fields\"").unwrap()..];
    let fields: Vec<&str> = after_fields
        .lines()
        .filter(|l| l.starts_with("    \"") && l.contains(": {"))
        .collect();
    let names: Vec<&str> = fields
        .iter()
        .map(|l| l.trim().split('"').nth(1).unwrap())
        .collect();
    assert_eq!(
        names,
        ["key", "status", "priority", "dueAt", "zone"],
        "model order, then custom"
    );
    let reloaded = load(&canonical, None).unwrap();
    assert_eq!(
        reloaded.doc.to_canonical_json(),
        canonical,
        "formatting twice changes nothing"
    );
    let shuffled = MAPPING.replace(
        r#""map": {"New": "open", "Completed": "completed"}"#,
        r#""map": {"Completed": "completed", "New": "open"}"#,
    );
    assert_eq!(
        load(&shuffled, None).unwrap().doc.to_canonical_json(),
        canonical,
        "tables are sorted"
    );
}
