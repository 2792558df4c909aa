//! Property tests: no input makes the loader, the selector parser or apply panic, and
//! the singular-path fast path agrees with jsonpath-rust's general evaluator.

use proptest::prelude::*;
use serde_json::{json, Map, Value};
use unifield_engine::input::parse_record;
use unifield_engine::path::Selector;
use unifield_engine::{load, Related};

const KEYS: [&str; 10] = [
    "Id",
    "StatusId",
    "Priority",
    "Items",
    "DueDateUtc",
    "VendorNte",
    "a",
    "b",
    "Value",
    "Number",
];

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        prop_oneof![
            Just("NaN".to_string()),
            Just("inf".to_string()),
            Just("1753-01-01T00:00:00".to_string()),
            Just("2022-03-08T07:04:08.4750535Z".to_string()),
            Just("99999999999999999999".to_string()),
            Just(String::new()),
            "\\PC{0,12}",
        ]
        .prop_map(Value::from),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS.to_vec()), inner), 0..6).prop_map(
                |pairs| Value::Object(
                    pairs
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect::<Map<_, _>>()
                )
            ),
        ]
    })
}

fn step() -> impl Strategy<Value = Value> {
    let names = unifield_engine::transform::registry()
        .iter()
        .map(|t| t.name)
        .chain(["nope", ""])
        .collect::<Vec<_>>();
    (
        prop::sample::select(names),
        prop::collection::vec(
            (
                prop::sample::select(vec![
                    "map",
                    "from",
                    "to",
                    "separator",
                    "path",
                    "value",
                    "values",
                    "formats",
                    "timeZone",
                    "where",
                    "index",
                    "part",
                    "table",
                    "template",
                    "fields",
                    "default",
                ]),
                json_value(),
            ),
            0..3,
        ),
    )
        .prop_map(|(name, args)| {
            let mut object: Map<String, Value> =
                args.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            object.insert("fn".into(), Value::from(name));
            Value::Object(object)
        })
}

fn mapping_value() -> impl Strategy<Value = Value> {
    let fields = vec![
        "key",
        "status",
        "dueAt",
        "title",
        "taskCount",
        "notToExceed",
        "isWarranty",
        "siteKey",
        "bogus",
    ];
    let paths = vec![
        "$.Id",
        "$.StatusId",
        "$.Items[*]",
        "$..Value",
        "$.Priority.Id",
        "$[",
        "$.a[?@.b > 1]",
        "$.Items[-1]",
    ];
    prop::collection::vec(
        (
            prop::sample::select(fields),
            prop::sample::select(paths),
            prop::collection::vec(step(), 0..4),
        ),
        0..6,
    )
    .prop_map(|bindings| {
        let fields: Map<String, Value> = bindings
            .into_iter()
            .map(|(field, path, steps)| (field.to_string(), json!({"path": path, "steps": steps})))
            .collect();
        json!({
            "format": "unifield.mapping/v1",
            "name": "generated",
            "source": {"system": "corrigo", "entity": "WorkOrder"},
            "target": {"model": "unified", "version": "1", "entity": "WorkOrder"},
            "fields": fields
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn loading_any_text_never_panics(text in "\\PC{0,200}") {
        let _ = load(&text, Some("fuzz.json"));
    }

    #[test]
    fn loading_and_applying_any_mapping_to_any_record_never_panics(mapping in mapping_value(), records in prop::collection::vec(json_value(), 1..4)) {
        let text = mapping.to_string();
        if let Ok(mapping) = load(&text, None) {
            let related = Related::default();
            for record in &records {
                let applied = mapping.apply(record, &related);
                if let Some(unified) = mapping.record(&applied) {
                    prop_assert!(unified.is_object());
                }
                for field in &mapping.fields {
                    let _ = mapping.explain(record, &field.label(), &related);
                }
            }
            // The canonical form of a loadable mapping loads back to the same canonical form.
            let canonical = mapping.doc.to_canonical_json();
            let again = load(&canonical, None).expect("canonical form loads");
            prop_assert_eq!(again.doc.to_canonical_json(), canonical);
        }
    }

    #[test]
    fn parsing_any_selector_never_panics(text in "[$@.\\[\\]?*:,'\"()!=<>&|a-c0-9 -]{0,40}") {
        if let Ok(selector) = Selector::parse(&text) {
            let _ = selector.query_located(&json!({"a": [1, {"b": 2}], "c": {"a": 3}}));
        }
    }

    #[test]
    fn the_fast_path_agrees_with_jsonpath_rust(document in json_value(), steps in prop::collection::vec(prop_oneof![
        prop::sample::select(KEYS.to_vec()).prop_map(|k| format!("['{k}']")),
        (-3i64..4).prop_map(|i| format!("[{i}]")),
    ], 0..5)) {
        let text = format!("${}", steps.concat());
        let selector = Selector::parse(&text).unwrap();
        prop_assert!(selector.is_singular());
        let library: Vec<&Value> = jsonpath_rust::query::js_path_vals(&text, &document).unwrap();
        prop_assert_eq!(selector.query(&document), library);
    }

    #[test]
    fn parsing_any_text_as_a_record_never_panics(text in "\\PC{0,200}", keep in prop::collection::vec(prop::sample::select(KEYS.to_vec()), 0..3)) {
        let keep: Vec<String> = keep.into_iter().map(String::from).collect();
        let _ = parse_record(&text, Some(&keep));
        let _ = parse_record(&text, None);
    }

    /// The studio parses held records projected to the members a mapping reads: that is
    /// the full record with the other top-level members dropped.
    #[test]
    fn a_projected_record_is_the_record_without_the_other_members(
        record in prop::collection::vec((prop::sample::select(KEYS.to_vec()), json_value()), 0..6),
        keep in prop::collection::vec(prop::sample::select(KEYS.to_vec()), 0..4),
    ) {
        let record: Map<String, Value> = record.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        let keep: Vec<String> = keep.into_iter().map(String::from).collect();
        let text = Value::Object(record.clone()).to_string();
        let projected = parse_record(&text, Some(&keep)).unwrap();
        // Compared with a full parse of the same text (serde_json's float parsing is not
        // an exact round trip, so the generated values themselves would not do).
        let Value::Object(full) = parse_record(&text, None).unwrap() else {
            panic!("a record is an object");
        };
        let expected: Map<String, Value> =
            full.into_iter().filter(|(k, _)| keep.contains(k)).collect();
        prop_assert_eq!(projected, Value::Object(expected));
    }
}

#[test]
fn deep_records_do_not_overflow_the_stack() {
    let mut value = json!({"Id": 1});
    for _ in 0..100 {
        value = json!({"a": [value]});
    }
    let mapping = load(
        r#"{"format": "unifield.mapping/v1", "name": "deep", "source": {"system": "x", "entity": "y"},
            "target": {"model": "unified", "version": "1", "entity": "Part"},
            "fields": {"key": {"path": "$..Id", "steps": [{"fn": "join"}]}, "name": {"const": "n"}}}"#,
        None,
    )
    .unwrap();
    let applied = mapping.apply(&value, &Related::default());
    assert_eq!(mapping.record(&applied).unwrap()["key"], "1");
}
