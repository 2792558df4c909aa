//! A mapping narrowed to a few fields (what filters and sorts evaluate) gives those fields
//! exactly the values, outcomes and diagnostics the whole mapping gives them, reading
//! only the members they need.

use unifield_corrigo_seed::{Company, Scale};
use unifield_engine::input::parse_record;
use unifield_engine::{load, Related};

const WORK_ORDER: &str = include_str!("../../../mappings/corrigo/work_order.json");

#[test]
fn narrowed_fields_equal_the_whole_mappings_on_generated_work_orders() {
    let whole = load(WORK_ORDER, None).unwrap();
    let labels = ["status", "dueAt", "custom.corrigoTimeZone"];
    let narrow = whole.narrowed(&labels).unwrap();
    let names: Vec<String> = narrow.fields.iter().map(|f| f.label()).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    for label in labels {
        assert!(names.iter().any(|n| n == label), "{label} kept: {names:?}");
    }
    let narrow_members = narrow.members_read().unwrap();
    let whole_members = whole.members_read().unwrap();
    assert!(narrow_members.len() < whole_members.len());
    assert!(narrow_members.iter().all(|m| whole_members.contains(m)));

    let company = Company::generate(
        7,
        Scale {
            work_orders: 2_000,
            ..Scale::SAMPLES
        },
    );
    let related = Related::default();
    let mut errors = 0;
    for record in company.work_orders() {
        let text = record.to_string();
        let full = whole.apply(
            &parse_record(&text, whole.members_read()).unwrap(),
            &related,
        );
        let part = narrow.apply(
            &parse_record(&text, narrow.members_read()).unwrap(),
            &related,
        );
        assert_eq!(full.taken, part.taken);
        assert_eq!(full.source_id, part.source_id);
        for (index, field) in narrow.fields.iter().enumerate() {
            let at = whole
                .fields
                .iter()
                .position(|f| f.label() == field.label())
                .unwrap();
            assert_eq!(part.values[index], full.values[at], "{}", field.label());
            assert_eq!(part.outcomes[index], full.outcomes[at], "{}", field.label());
        }
        let full_diagnostics: Vec<_> = full
            .diagnostics
            .iter()
            .filter(|d| labels.contains(&d.field.as_str()))
            .collect();
        let part_diagnostics: Vec<_> = part.diagnostics.iter().collect();
        assert_eq!(part_diagnostics, full_diagnostics);
        errors += part.diagnostics.len();
    }
    // The generator includes statuses the mapping leaves unmapped on purpose, so the
    // comparison above covered failing fields too.
    assert!(errors > 0, "some status failed to map");
}

#[test]
fn narrowing_to_a_field_the_mapping_lacks_is_a_located_error() {
    let whole = load(WORK_ORDER, None).unwrap();
    let error = whole
        .narrowed(&["status", "nope", "custom.status"])
        .unwrap_err();
    let named: Vec<_> = error
        .problems
        .iter()
        .map(|p| (p.code, p.field.as_deref()))
        .collect();
    assert_eq!(
        named,
        vec![
            ("unknown_field", Some("nope")),
            ("unknown_field", Some("custom.status"))
        ]
    );
}
