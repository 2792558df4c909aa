//! Bad mapping files: every problem is reported, and each says where.

use unifield_engine::{load, validate, Problem};

fn mapping(fields: &str) -> String {
    format!(
        r#"{{
  "format": "unifield.mapping/v1",
  "name": "test",
  "source": {{"system": "corrigo", "entity": "WorkOrder"}},
  "target": {{"model": "unified", "version": "1", "entity": "WorkOrder"}},
  "fields": {{
    "key": {{"path": "$.Id", "steps": ["to_string"]}},
    "status": {{"const": "open"}}{fields}
  }}
}}
"#
    )
}

fn problems(text: &str) -> Vec<Problem> {
    load(text, Some("wo.json"))
        .expect_err("the mapping must not load")
        .problems
}

#[test]
fn malformed_json_names_line_and_column() {
    let text = "{\n  \"format\": \"unifield.mapping/v1\",\n  \"name\": \"x\" \"oops\"\n}";
    let p = &problems(text)[0];
    assert_eq!(p.code, "invalid_json");
    assert_eq!((p.line, p.column), (Some(3), Some(15)), "{p}");
    assert!(
        p.to_string()
            .starts_with("wo.json:3:15: error[invalid_json]"),
        "{p}"
    );
}

#[test]
fn unknown_function_names_field_step_line_and_suggests() {
    let text = mapping(",\n    \"title\": {\"path\": \"$.TaskRefinement\", \"steps\": [\"trim\", {\"fn\": \"uper\"}]}");
    let p = &problems(&text)[0];
    assert_eq!(p.code, "unknown_function");
    assert_eq!(p.field.as_deref(), Some("title"));
    assert_eq!(p.step, Some(2));
    assert_eq!(p.line, Some(9), "{p}");
    assert!(p.message.contains("did you mean `upper`?"), "{p}");
}

#[test]
fn wrong_arity_and_argument_types_are_load_errors() {
    let missing = mapping(",\n    \"title\": {\"path\": \"$.X\", \"steps\": [{\"fn\": \"replace\", \"from\": \"a\"}]}");
    let p = &problems(&missing)[0];
    assert_eq!((p.code, p.step), ("invalid_argument", Some(1)));
    assert!(p.message.contains("needs the argument `to`"), "{p}");

    let extra = mapping(
        ",\n    \"title\": {\"path\": \"$.X\", \"steps\": [{\"fn\": \"trim\", \"chars\": \" \"}]}",
    );
    assert!(problems(&extra)[0]
        .message
        .contains("`trim` has no argument `chars` (it takes no arguments)"));

    let misspelt = mapping(",\n    \"title\": {\"path\": \"$.X\", \"steps\": [{\"fn\": \"split\", \"seperator\": \":\"}]}");
    assert!(problems(&misspelt)[0]
        .message
        .contains("did you mean `separator`?"));

    let typed = mapping(",\n    \"title\": {\"path\": \"$.X\", \"steps\": [{\"fn\": \"replace\", \"from\": 1, \"to\": \"\"}]}");
    let p = &problems(&typed)[0];
    assert!(
        p.message
            .contains("argument `from` must be a string, got integer 1"),
        "{p}"
    );
}

#[test]
fn a_step_fed_the_wrong_kind_is_a_load_error() {
    let text = mapping(",\n    \"dueAt\": {\"path\": \"$.DueDateUtc\", \"steps\": [\"parse_datetime\", \"count\"]}");
    let p = problems(&text);
    assert_eq!(p[0].code, "type_mismatch");
    assert_eq!(p[0].step, Some(2));
    assert!(
        p[0].message
            .contains("`count` takes array, but step 1 (`parse_datetime`) gives datetime"),
        "{}",
        p[0]
    );
}

#[test]
fn the_last_step_must_fit_the_field() {
    let text =
        mapping(",\n    \"siteKey\": {\"path\": \"$.WorkZone.Id\", \"steps\": [\"to_integer\"]}");
    let p = &problems(&text)[0];
    assert_eq!(p.code, "type_mismatch");
    assert!(p.message.contains("add a `to_string` step"), "{p}");

    let dates = mapping(",\n    \"dueAt\": {\"path\": \"$.DueDateUtc\", \"steps\": [\"trim\"]}");
    assert!(problems(&dates)[0]
        .message
        .contains("add a `parse_datetime` step"));
}

#[test]
fn value_maps_are_checked_against_the_enum() {
    let text = mapping(",\n    \"priority\": {\"path\": \"$.Priority.Id\", \"steps\": [{\"fn\": \"map_values\", \"map\": {\"1\": \"urgent\"}}]}");
    let p = &problems(&text)[0];
    assert_eq!(p.code, "not_in_enum");
    assert!(
        p.message
            .contains("\"urgent\", which is not one of emergency, high, normal, low, planned"),
        "{p}"
    );
}

#[test]
fn unknown_fields_suggest_and_point_at_custom() {
    let text = mapping(",\n    \"dueDate\": {\"path\": \"$.DueDateUtc\"}");
    let p = &problems(&text)[0];
    assert_eq!(p.code, "unknown_field");
    assert!(
        p.message.contains("did you mean `dueAt`?") && p.message.contains("`custom`"),
        "{p}"
    );
}

#[test]
fn invalid_paths_name_their_position() {
    let text = mapping(",\n    \"title\": {\"path\": \"$.Task[?length(@.*) > 1]\"}");
    let p = &problems(&text)[0];
    assert_eq!(p.code, "invalid_path");
    assert!(p.message.contains("at position 9"), "{p}");
}

#[test]
fn every_problem_is_reported_not_just_the_first() {
    let text = mapping(",\n    \"title\": {\"path\": \"$.X\", \"steps\": [\"uper\"]},\n    \"dueDate\": {\"path\": \"$[\"}");
    let codes: Vec<&str> = problems(&text).iter().map(|p| p.code).collect();
    assert_eq!(codes, ["unknown_function", "unknown_field"]);
}

#[test]
fn a_missing_required_binding_is_a_validation_error_but_the_mapping_still_loads() {
    let text = mapping("").replace(
        "    \"status\": {\"const\": \"open\"}",
        "    \"code\": {\"path\": \"$.Number\"}",
    );
    let found = validate(&text, None);
    assert_eq!(found.len(), 1);
    assert_eq!(
        (found[0].code, found[0].field.as_deref()),
        ("missing_required", Some("status"))
    );
    let loaded = load(&text, None).expect("still loads, so the studio can preview it");
    assert_eq!(loaded.problems[0].code, "missing_required");
}

#[test]
fn structure_errors_name_the_member() {
    let text = r#"{"format": "unifield.mapping/v2", "name": "x", "sorce": {}, "target": {"model": "unified", "version": "1", "entity": "WorkOrders"}, "fields": {}}"#;
    let messages: Vec<String> = problems(text).iter().map(|p| p.message.clone()).collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("has no member `sorce` (did you mean `source`?)")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("format `unifield.mapping/v2` is not supported")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("needs `source`")),
        "{messages:?}"
    );
}
