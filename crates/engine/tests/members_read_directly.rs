//! `Mapping::apply_each` reads plain JSON Lines records member by member into slots when
//! the mapping's reads allow it (`input::read_members`). Whatever the input, it must give
//! exactly what reading each record as a value (`read_records_projected`) and
//! `apply_borrowed` give: the same records in the same order with the same origins, the
//! same written text, outcomes, diagnostics, source ids and unmapped values, and the same
//! errors at the same lines and columns.

use proptest::prelude::*;
use unifield_corrigo_seed::{Company, Scale};
use unifield_engine::input::read_records_projected;
use unifield_engine::{load, Mapping, Related};

mod common;

use common::MAPPINGS;

/// Everything a caller of either path can see, one line per record or error.
fn seen_through_values(mapping: &Mapping, input: &[u8]) -> Vec<String> {
    let related = Related::default();
    let mut seen = Vec::new();
    read_records_projected(input, mapping.members_read(), |item| match item {
        Ok(record) => {
            let applied = mapping.apply_borrowed(&record.value, &related);
            seen.push(describe(mapping, &record.origin, &applied));
        }
        Err(error) => seen.push(format!("error {error}")),
    })
    .unwrap();
    seen
}

fn seen_through_apply_each(mapping: &Mapping, input: &[u8]) -> Vec<String> {
    let related = Related::default();
    let mut seen = Vec::new();
    mapping
        .apply_each(input, &related, |item| match item {
            Ok(mapped) => seen.push(describe(mapping, &mapped.origin, &mapped.applied)),
            Err(error) => seen.push(format!("error {error}")),
        })
        .unwrap();
    seen
}

fn describe<V: serde::Serialize + std::fmt::Debug>(
    mapping: &Mapping,
    origin: &unifield_engine::input::Origin,
    applied: &unifield_engine::Applied<V>,
) -> String {
    format!(
        "{origin} taken={} id={:?} outcomes={:?} diagnostics={:?} unmapped={:?} text={:?}",
        applied.taken,
        applied.source_id,
        applied.outcomes,
        applied.diagnostics,
        applied.unmapped,
        mapping
            .view(applied)
            .map(|view| serde_json::to_string(&view).unwrap()),
    )
}

fn assert_same(mapping: &Mapping, input: &[u8], what: &str) -> usize {
    let want = seen_through_values(mapping, input);
    let got = seen_through_apply_each(mapping, input);
    assert_eq!(got.len(), want.len(), "{what}: record count");
    for (got, want) in got.iter().zip(&want) {
        assert_eq!(got, want, "{what}");
    }
    want.len()
}

#[test]
fn the_mappings_that_can_are_read_member_by_member() {
    for (name, mapping, _) in MAPPINGS {
        let mapping = load(mapping, None).unwrap();
        assert!(mapping.reads_members_directly(), "{name}.json");
    }
    // A query that compares with another member (`$` inside its filter) needs the whole
    // record; a query that stays below its member (user.json's `$.WorkZones[*].Id`) does not.
    let reads = |path: &str| {
        let text = QUERY_MAPPING.replace("PATH", path);
        load(&text, None).unwrap().reads_members_directly()
    };
    assert!(reads("$.Items[*].Id"));
    assert!(reads("$.Items[?@.Id > 1].Id"));
    assert!(!reads("$.Items[?@.Id == $.Id].Id"));
    assert!(!reads("$..Id"));
}

/// A mapping reading its `name` through the query PATH (then `join`).
const QUERY_MAPPING: &str = r#"{
  "format": "unifield.mapping/v1",
  "name": "query",
  "source": {"system": "corrigo", "entity": "Product", "idPath": "$.Id"},
  "target": {"model": "unified", "version": "1", "entity": "Part"},
  "fields": {
    "key": {"path": "$.Id", "steps": ["to_string"]},
    "name": {"path": "PATH", "steps": [{"fn": "join", "separator": ","}]},
    "code": {"path": "$.Items[0].Id", "steps": ["to_string"]}
  }
}"#;

#[test]
fn queries_below_a_member_read_the_same_from_members() {
    let text = [
        r#"{"Id":1,"Items":[{"Id":"a"},{"Id":"b"},{"X":1}],"Other":2}"#,
        r#"{"Id":2,"Items":[],"Items":[{"Id":"c"}]}"#,
        r#"{"Id":3}"#,
        r#"{"Id":4,"Items":{"k":{"Id":"d"}}}"#,
        r#"{"Id":5,"Items":[{"Id":7},{"Id":"e"}]}"#,
        r#"{"Items":[{"Id":"f"}],"Id":6}"#,
    ]
    .join("\n");
    for path in [
        "$.Items[*].Id",
        "$.Items[?@.Id > 1].Id",
        "$.Items..Id",
        "$.Items[?@.Id == $.Id].Id",
    ] {
        let mapping = load(&QUERY_MAPPING.replace("PATH", path), None).unwrap();
        assert_eq!(assert_same(&mapping, text.as_bytes(), path), 6, "{path}");
        for line in text.lines() {
            same_from_text(&mapping, line).unwrap_or_else(|e| panic!("{path}: {e}"));
        }
    }
}

#[test]
fn every_default_mapping_maps_its_samples_and_generated_work_orders_the_same() {
    for (name, mapping, samples) in MAPPINGS {
        let mapping = load(mapping, None).unwrap();
        let n = assert_same(
            &mapping,
            samples.as_bytes(),
            &format!("{name}.json samples"),
        );
        assert_eq!(n, samples.lines().filter(|l| !l.trim().is_empty()).count());
    }
    let mapping = load(MAPPINGS[0].1, None).unwrap();
    let company = Company::generate(
        7,
        Scale {
            work_orders: 2_000,
            ..Scale::SAMPLES
        },
    );
    let text: String = company
        .work_orders()
        .map(|record| record.to_string() + "\n")
        .collect();
    assert_eq!(
        assert_same(&mapping, text.as_bytes(), "generated work orders"),
        2_000
    );
}

/// Lines of other shapes than the samples: unknown members, members out of order,
/// repeated members, escaped names, deep nesting, envelopes, things that are not records,
/// syntax errors, numbers beyond f64, a multi-line document, an array.
#[test]
fn records_of_other_shapes_and_bad_lines_read_the_same() {
    let lines = [
        r#"{"Zzz":[1,{"a":[[[]]]}],"Id":5,"Description":"  Pump  ","Unknown":{"x":1e400}}"#,
        r#"{"Id":6,"Id":7,"DisplayAs":"first","DisplayAs":"  second (deleted)"}"#,
        r#"{"\u0049d":8,"Categ\u006fry":{"Id":3,"Id":0},"IsRemoved":true,"Discontinued":false}"#,
        r#"{"Id":9,"Category":{"Deep":[[[[[[[[{"Id":1}]]]]]]]],"Id":{"no":"object"}}}"#,
        r#"{"Data":{"Id":10,"PartName":" 010 "}}"#,
        r#"{"Entities":[{"Data":{"Id":11}},{"Data":{"Id":12,"IsRemoved":false}}]}"#,
        r#"{"CommandResult":{"Wo":{"Id":13}},"RequestId":"r"}"#,
        r#"{"ErrorCode":"E","ErrorMessage":"no"}"#,
        r#"{"Id":14,"ErrorCode":"kept: a record with an id"}"#,
        r#"[1,2]"#,
        r#""a string""#,
        r#"{"Id":15,"PartName":1e400}"#,
        r#"{"Id":16,"PartName":"x",}"#,
        r#"{"Id":17} trailing"#,
        "{\"Id\":18,\"Description\":\"caf\u{e9}\",\"Manufacturer\":\"\\ud83d\\ude00\"}",
        r#"{"Id":"a key","UnitOfMeasureId":"ÜNIT","ScanCode":null}"#,
        r#"{}"#,
        r#"{"Id":19,"IsRemoved":"yes","Discontinued":[1]}"#,
    ];
    let mut text = lines.join("\n");
    text.push_str("\n\n   \n");
    let depth = format!(
        "{{\"Id\":20,\"Other\":{}{}}}",
        "[".repeat(300),
        "]".repeat(300)
    );
    text.push_str(&depth);
    text.push('\n');
    for (name, mapping, _) in MAPPINGS {
        let mapping = load(mapping, None).unwrap();
        let n = assert_same(&mapping, text.as_bytes(), &format!("{name}.json odd lines"));
        assert!(n >= lines.len(), "{name}: {n}");
        // A document over several lines, and an array, are read as a whole either way.
        let pretty = "{\n  \"Id\": 21,\n  \"PartName\": \"p\"\n}\n";
        assert_same(
            &mapping,
            pretty.as_bytes(),
            &format!("{name}.json document"),
        );
        let array = br#" [{"Id":22},{"Data":{"Id":23}},3,{"Id":1e999}]"#;
        assert_same(&mapping, array, &format!("{name}.json array"));
        let cut = br#"{"Id":24,"PartName":"#;
        assert_same(&mapping, cut, &format!("{name}.json cut off"));
        // Bytes that are not UTF-8, in a member nobody reads and in one that is read.
        let bytes = b"{\"Id\":25,\"Skip\":\"\xff\"}\n{\"Id\":26,\"PartName\":\"\xfe\",\"Name\":\"\xfe\"}\n{\"Id\":27}";
        let n = assert_same(&mapping, bytes, &format!("{name}.json not UTF-8"));
        assert_eq!(n, 3, "{name}");
    }
}

/// A JSON value of bounded size: scalars, strings with escapes, nested arrays/objects.
fn value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        (-1e6f64..1e6).prop_map(serde_json::Value::from),
        "[ a-zA-Z0-9/()é\"\\\\\n]{0,12}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            prop::collection::vec((name(), inner), 0..4)
                .prop_map(|members| serde_json::Value::Object(members.into_iter().collect())),
        ]
    })
}

/// Member names: mostly ones the default mappings read, some envelope names, some unknown.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "Id", "DisplayAs", "Description", "PartName", "Category", "IsRemoved",
            "Discontinued", "UnitOfMeasureId", "Addresses", "WorkZone", "Name", "Number",
            "TypeId", "Info", "ParentId", "Items", "StatusId", "Priority", "TimeZone",
            "Address", "ActorTypeId", "Street", "City", "TenantCode", "WorkZones",
            "ContactAddresses", "Role", "Username",
        ])
        .prop_map(String::from),
        1 => prop::sample::select(vec!["Data", "Entities", "CommandResult", "ErrorCode", "ErrorMessage"])
            .prop_map(String::from),
        2 => "[A-Za-z]{1,6}",
    ]
}

/// One input line: a record (members possibly repeated), sometimes damaged.
fn line() -> impl Strategy<Value = String> {
    (
        prop::collection::vec((name(), value()), 0..10),
        prop::option::weighted(0.15, (any::<prop::sample::Index>(), any::<u8>())),
    )
        .prop_map(|(members, damage)| {
            let mut text = String::from("{");
            for (i, (name, value)) in members.iter().enumerate() {
                if i > 0 {
                    text.push(',');
                }
                text.push_str(&serde_json::to_string(name).unwrap());
                text.push(':');
                text.push_str(&value.to_string());
            }
            text.push('}');
            damaged(text, damage, b"{}[],:\"x1 ")
        })
}

/// `text` with the byte at `at` (if any) replaced by one of `alphabet`, chosen by `byte`;
/// read back lossily, as damaged input would be.
fn damaged(text: String, damage: Option<(prop::sample::Index, u8)>, alphabet: &[u8]) -> String {
    let Some((at, byte)) = damage else {
        return text;
    };
    let mut bytes = text.into_bytes();
    let at = at.index(bytes.len());
    bytes[at] = alphabet[usize::from(byte) % alphabet.len()];
    String::from_utf8_lossy(&bytes).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_lines_read_member_by_member_as_read_whole(
        lines in prop::collection::vec(line(), 1..8),
        which in 0..MAPPINGS.len(),
    ) {
        let (name, mapping, _) = MAPPINGS[which];
        let mapping = load(mapping, None).unwrap();
        let text = lines.join("\n");
        let want = seen_through_values(&mapping, text.as_bytes());
        let got = seen_through_apply_each(&mapping, text.as_bytes());
        prop_assert_eq!(got, want, "{}.json over {:?}", name, text);
    }
}

/// `Mapping::apply_text` against parsing the text then `Mapping::apply`.
fn same_from_text(mapping: &Mapping, text: &str) -> Result<(), String> {
    let related = Related::default();
    let want = unifield_engine::input::parse_record(text, mapping.members_read())
        .map(|record| mapping.apply(&record, &related));
    let got = mapping.apply_text(text, &related);
    match (got, want) {
        (Ok(got), Ok(want)) if got == want => Ok(()),
        (Err(got), Err(want)) if got.to_string() == want.to_string() => Ok(()),
        (got, want) => Err(format!("{text:?}: {got:?} != {want:?}")),
    }
}

#[test]
fn apply_text_gives_what_parsing_then_apply_gives() {
    for (name, mapping, samples) in MAPPINGS {
        let mapping = load(mapping, None).unwrap();
        for line in samples.lines().chain([
            r#"{"Data":{"Id":1}}"#,
            r#"{"Id":2,"Id":3,"Zzz":[[{}]]}"#,
            "[1]",
            r#"{"Id":4,"Name":1e400}"#,
            r#"{"Id":5,"#,
        ]) {
            same_from_text(&mapping, line).unwrap_or_else(|e| panic!("{name}.json: {e}"));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn apply_text_of_any_line_is_parse_then_apply(
        text in line(),
        which in 0..MAPPINGS.len(),
    ) {
        let mapping = load(MAPPINGS[which].1, None).unwrap();
        prop_assert_eq!(same_from_text(&mapping, &text), Ok(()));
    }
}

/// An `Addresses` item's member value as text: what customer.json's pick and reshape
/// read, and values serde_json builds differently from how it skips them.
fn address_value() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "\"Primary\"",
        "\"Billing\"",
        "\"648 Grassmere Park\"",
        "\"\"",
        "\"Suite \\\"4\\\"\"",
        "\"\\ud800\"",
        "\"\\u00e9\"",
        "1",
        "-2.5",
        "1e400",
        "1e2",
        "true",
        "null",
        "[1,{\"a\":[]}]",
        "{\"TypeId\":\"Primary\"}",
        "[1e400]",
        "{\"x\":\"\\udc00\"}",
    ])
    .prop_map(String::from)
}

/// A customer line whose `Addresses` items hold members pick and reshape read and others
/// they do not, sometimes an item that is not an object, sometimes damaged.
fn customer_line() -> impl Strategy<Value = String> {
    let member = (
        prop::sample::select(vec![
            "TypeId", "Street", "Street2", "City", "State", "Zip", "Country", "ActorId", "Extra",
            "Id",
        ]),
        address_value(),
    );
    let item = prop_oneof![
        6 => prop::collection::vec(member, 0..8).prop_map(|members| {
            let members: Vec<String> =
                members.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
            format!("{{{}}}", members.join(","))
        }),
        1 => address_value(),
    ];
    (
        prop::collection::vec(item, 0..4),
        prop::option::weighted(0.2, (any::<prop::sample::Index>(), any::<u8>())),
    )
        .prop_map(|(items, damage)| {
            let text = format!(
                "{{\"Id\":7,\"Name\":\"C\",\"Addresses\":[{}],\"ConcurrencyId\":1}}",
                items.join(",")
            );
            damaged(text, damage, b"{}[],:\"x1 e")
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// customer.json reads only the members of `Addresses` items its pick and reshape use
    /// (`MemberTable::items`); the output and every error are still those of the whole
    /// record read as a value, and `apply_text` still equals parse then apply.
    #[test]
    fn address_items_read_only_for_their_picked_members_as_read_whole(
        lines in prop::collection::vec(customer_line(), 1..6),
    ) {
        let mapping = load(include_str!("../../../mappings/corrigo/customer.json"), None).unwrap();
        let text = lines.join("\n");
        let want = seen_through_values(&mapping, text.as_bytes());
        let got = seen_through_apply_each(&mapping, text.as_bytes());
        prop_assert_eq!(got, want, "{:?}", text);
        for line in &lines {
            prop_assert_eq!(same_from_text(&mapping, line), Ok(()));
        }
    }
}
