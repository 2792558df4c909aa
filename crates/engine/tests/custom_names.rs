//! Custom field names: the engine's one rule (letters, digits and `_`, not starting with a
//! digit), refused as a located `invalid_custom_name` on load and validate alike.

use proptest::prelude::*;
use unifield_engine::mapping::{custom_name_problem, CUSTOM_NAME_PATTERN};
use unifield_engine::{load, validate, Problem, Severity};

/// The line of the custom member named `name` in [`mapping`]'s text.
const NAME_LINE: usize = 11;

/// A work-order mapping with a custom field `zone` (line 10) and one named `name`
/// (line [`NAME_LINE`]).
fn mapping(name: &str) -> String {
    let name = serde_json::to_string(name).unwrap();
    format!(
        r#"{{
  "format": "unifield.mapping/v1",
  "name": "test",
  "source": {{"system": "corrigo", "entity": "WorkOrder"}},
  "target": {{"model": "unified", "version": "1", "entity": "WorkOrder"}},
  "fields": {{
    "key": {{"path": "$.Id", "steps": ["to_string"]}}
  }},
  "custom": {{
    "zone": {{"path": "$.TimeZone"}},
    {name}: {{"const": "x"}}
  }}
}}
"#
    )
}

/// Checks `name` is refused on load and by validate, once, as an `invalid_custom_name`
/// error on field `custom.NAME` at its line in wo.json.
fn assert_refused(name: &str) -> Problem {
    let text = mapping(name);
    let problems = load(&text, Some("wo.json"))
        .expect_err("a bad custom name must not load")
        .problems;
    assert_eq!(problems.len(), 1, "{name:?}: {problems:?}");
    let problem = &problems[0];
    assert_eq!(problem.code, "invalid_custom_name", "{name:?}: {problem}");
    assert_eq!(problem.severity, Severity::Error);
    assert_eq!(
        problem.field.as_deref(),
        Some(format!("custom.{name}").as_str())
    );
    assert_eq!(problem.file.as_deref(), Some("wo.json"));
    assert_eq!(problem.line, Some(NAME_LINE), "{name:?}: {problem}");
    assert!(
        problem.to_string().starts_with(&format!(
            "wo.json:{NAME_LINE}, field `custom.{name}`: error[invalid_custom_name]: a custom field name "
        )),
        "{problem}"
    );
    assert_eq!(
        Some(problem.message.as_str()),
        custom_name_problem(name).as_deref()
    );
    // `unifield validate` and the studio's checks read `validate`: the same one problem.
    let validated: Vec<Problem> = validate(&text, Some("wo.json"))
        .into_iter()
        .filter(|p| p.severity == Severity::Error)
        .collect();
    assert_eq!(validated, problems, "{name:?}");
    problems.into_iter().next().unwrap()
}

fn assert_accepted(name: &str) {
    let mapping =
        load(&mapping(name), Some("wo.json")).unwrap_or_else(|e| panic!("{name:?} must load: {e}"));
    assert!(
        mapping
            .fields
            .iter()
            .any(|f| f.is_custom() && f.name == name),
        "{name:?}"
    );
    assert_eq!(custom_name_problem(name), None);
}

#[test]
fn identifiers_are_accepted() {
    for name in [
        "timeZone",
        "_",
        "_private",
        "a1",
        "A_B_9",
        "x",
        "corrigoTimeZone",
        "ZONE2",
    ] {
        assert_accepted(name);
    }
}

#[test]
fn each_refused_name_says_why_where() {
    let table: &[(&str, &str)] = &[
        ("", "a custom field name cannot be empty"),
        (
            "1st visit",
            "a custom field name cannot start with a digit: `1st visit`",
        ),
        ("9", "a custom field name cannot start with a digit: `9`"),
        (
            "first visit",
            "a custom field name is letters, digits and _ only: a space is not allowed in `first visit`",
        ),
        (
            " zone",
            "a custom field name is letters, digits and _ only: a space is not allowed in ` zone`",
        ),
        (
            "a.b",
            "a custom field name is letters, digits and _ only: `.` is not allowed in `a.b`",
        ),
        // The server's filter grammar, filter[customFields.NAME:OP], splits at the first `:`.
        (
            "a:b",
            "a custom field name is letters, digits and _ only: `:` is not allowed in `a:b`",
        ),
        (
            "time-zone",
            "a custom field name is letters, digits and _ only: `-` is not allowed in `time-zone`",
        ),
        (
            "a,b",
            "a custom field name is letters, digits and _ only: `,` is not allowed in `a,b`",
        ),
        (
            "x[0]",
            "a custom field name is letters, digits and _ only: `[` is not allowed in `x[0]`",
        ),
        (
            "zoné",
            "a custom field name is letters, digits and _ only: `é` is not allowed in `zoné`",
        ),
        (
            "say\"hi\"",
            "a custom field name is letters, digits and _ only: `\"` is not allowed in `say\"hi\"`",
        ),
    ];
    for (name, message) in table {
        let problem = assert_refused(name);
        assert_eq!(problem.message, *message, "{name:?}");
    }
}

#[test]
fn every_bad_name_is_reported_not_just_the_first() {
    let text = r#"{
  "format": "unifield.mapping/v1",
  "name": "test",
  "source": {"system": "corrigo", "entity": "WorkOrder"},
  "target": {"model": "unified", "version": "1", "entity": "WorkOrder"},
  "fields": {"key": {"path": "$.Id"}},
  "custom": {
    "1st visit": {"const": 1},
    "ok": {"const": 2},
    "a.b": {"nope": 3}
  }
}
"#;
    let problems = load(text, None).unwrap_err().problems;
    let found: Vec<(&str, Option<&str>, Option<usize>)> = problems
        .iter()
        .map(|p| (p.code, p.field.as_deref(), p.line))
        .collect();
    assert!(
        found.contains(&("invalid_custom_name", Some("custom.1st visit"), Some(8))),
        "{found:?}"
    );
    assert!(
        found.contains(&("invalid_custom_name", Some("custom.a.b"), Some(10))),
        "{found:?}"
    );
    // The binding under a bad name is still checked.
    assert!(
        problems
            .iter()
            .any(|p| p.code != "invalid_custom_name" && p.field.as_deref() == Some("custom.a.b")),
        "{found:?}"
    );
    assert!(
        !problems
            .iter()
            .any(|p| p.field.as_deref() == Some("custom.ok")),
        "{found:?}"
    );
}

#[test]
fn a_name_written_twice_is_refused_not_folded() {
    // serde_json keeps the last of two equal member names: without this check the first
    // `zone` binding (and the second `key`) would be dropped without a word.
    let text = r#"{
  "format": "unifield.mapping/v1",
  "name": "test",
  "source": {"system": "corrigo", "entity": "WorkOrder"},
  "target": {"model": "unified", "version": "1", "entity": "WorkOrder"},
  "fields": {
    "key": {"path": "$.Id"},
    "key": {"path": "$.Number"}
  },
  "custom": {
    "zone": {"path": "$.TimeZone"},
    "other": {"const": 1},
    "zone": {"const": "UTC"},
    "zone": {"const": "CET"}
  }
}
"#;
    let problems = load(text, Some("wo.json")).unwrap_err().problems;
    let found: Vec<(&str, Option<&str>, Option<usize>)> = problems
        .iter()
        .map(|p| (p.code, p.field.as_deref(), p.line))
        .collect();
    assert_eq!(
        found,
        vec![
            ("duplicate_field", Some("key"), Some(7)),
            ("duplicate_field", Some("custom.zone"), Some(11)),
        ],
        "{problems:?}"
    );
    assert_eq!(
        problems[1].to_string(),
        "wo.json:11, field `custom.zone`: error[duplicate_field]: `zone` is named more than once under `custom`; JSON keeps only the last, so give each its own name"
    );
    assert_eq!(
        validate(text, None)
            .iter()
            .filter(|p| p.code == "duplicate_field")
            .count(),
        2
    );
    // The same member name in both sections is not a repeat (it draws the shadow warning).
    let shadow = text
        .replace(
            "\"key\": {\"path\": \"$.Number\"}",
            "\"status\": {\"const\": \"open\"}",
        )
        .replace(
            "\"zone\": {\"const\": \"UTC\"},\n    \"zone\": {\"const\": \"CET\"}",
            "\"key\": {\"const\": \"k\"}",
        );
    let mapping = load(&shadow, None).unwrap_or_else(|e| panic!("{e}\n{shadow}"));
    assert!(mapping
        .problems
        .iter()
        .any(|p| p.code == "custom_shadows_model"));
}

#[test]
fn the_bundled_mappings_keep_to_the_rule() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../mappings/corrigo");
    let mut custom_names = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let mapping = unifield_engine::load_file(&path).unwrap_or_else(|e| panic!("{e}"));
        custom_names += mapping.fields.iter().filter(|f| f.is_custom()).count();
    }
    // Something was checked: the defaults have custom fields (corrigoTimeZone, …).
    assert!(custom_names >= 4, "{custom_names}");
}

#[test]
fn the_schema_pattern_is_the_rule() {
    // The pattern is plain enough to read by hand: one name-first class, then name chars.
    assert_eq!(CUSTOM_NAME_PATTERN, "^[A-Za-z_][A-Za-z0-9_]*$");
    let schema = unifield_engine::docs::mapping_schema();
    assert_eq!(
        schema["properties"]["custom"]["propertyNames"]["pattern"],
        CUSTOM_NAME_PATTERN
    );
}

/// Characters outside the rule: separators the server or a path reader would split on,
/// spaces, quotes, punctuation, non-ASCII letters and digits, control characters.
const REFUSED_CHARS: &[char] = &[
    ' ', '\t', '\n', '.', ':', ',', '-', '[', ']', '"', '\\', '/', '$', '@', '%', '&', '=', '+',
    '?', '#', '*', '\'', '(', ')', '{', '}', 'é', 'ß', 'Ω', '٣', '😀', '\u{0}', '\u{200b}',
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn names_built_to_the_rule_load(name in "[A-Za-z_][A-Za-z0-9_]{0,20}") {
        // `zone` is the other custom field of the test mapping: a second one is a
        // duplicate key, which JSON parsing folds into one (not this test's subject).
        prop_assume!(name != "zone");
        assert_accepted(&name);
    }

    #[test]
    fn a_name_with_one_refused_char_is_refused(
        name in "[A-Za-z_][A-Za-z0-9_]{0,20}",
        at in any::<prop::sample::Index>(),
        bad in prop::sample::select(REFUSED_CHARS),
    ) {
        let mut chars: Vec<char> = name.chars().collect();
        chars.insert(at.index(chars.len() + 1), bad);
        let name: String = chars.into_iter().collect();
        assert_refused(&name);
    }

    #[test]
    fn a_name_starting_with_a_digit_is_refused(
        digit in 0u8..10,
        rest in "[A-Za-z0-9_]{0,20}",
    ) {
        let name = format!("{digit}{rest}");
        let problem = assert_refused(&name);
        prop_assert!(problem.message.contains("cannot start with a digit"), "{}", problem);
    }
}
