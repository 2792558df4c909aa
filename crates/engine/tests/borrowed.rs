//! `apply_borrowed` (the CLI's apply, which only writes records out) writes exactly what
//! `apply` writes, with the same outcomes, diagnostics and source ids, for every default
//! mapping over its bundled samples and over generated work orders.

use unifield_corrigo_seed::{Company, Scale};
use unifield_engine::input::parse_record;
use unifield_engine::{load, Mapping, Related};

mod common;

use common::MAPPINGS;

/// Applies `mapping` both ways to the record in `text`; panics naming `what` on a difference.
/// Returns whether the record had errors and whether it was taken.
fn same_both_ways(mapping: &Mapping, text: &str, what: &str) -> (bool, bool) {
    let related = Related::default();
    let record = parse_record(text, mapping.members_read()).unwrap();
    let owned = mapping.apply(&record, &related);
    let borrowed = mapping.apply_borrowed(&record, &related);
    assert_eq!(owned.taken, borrowed.taken, "{what}");
    assert_eq!(owned.outcomes, borrowed.outcomes, "{what}");
    assert_eq!(owned.diagnostics, borrowed.diagnostics, "{what}");
    assert_eq!(owned.source_id, borrowed.source_id, "{what}");
    assert_eq!(owned.unmapped, borrowed.unmapped, "{what}");
    assert_eq!(
        mapping
            .view(&owned)
            .map(|v| serde_json::to_string(&v).unwrap()),
        mapping
            .view(&borrowed)
            .map(|v| serde_json::to_string(&v).unwrap()),
        "{what}"
    );
    (owned.has_errors(), owned.taken)
}

#[test]
fn borrowed_values_write_what_owned_values_write() {
    let mut records = 0;
    for (name, mapping, samples) in MAPPINGS {
        let mapping = load(mapping, None).unwrap();
        for (line, text) in samples.lines().enumerate() {
            same_both_ways(
                &mapping,
                text,
                &format!("{name}.json, sample line {}", line + 1),
            );
            records += 1;
        }
    }
    assert!(records > 1_000, "{records} samples");

    // Generated work orders, with the failing and skipped records they bring.
    let mapping = load(MAPPINGS[0].1, None).unwrap();
    let company = Company::generate(
        11,
        Scale {
            work_orders: 2_000,
            ..Scale::SAMPLES
        },
    );
    let mut with_errors = 0;
    for (n, record) in company.work_orders().enumerate() {
        let (errors, _) = same_both_ways(
            &mapping,
            &record.to_string(),
            &format!("generated work order {n}"),
        );
        with_errors += usize::from(errors);
    }
    assert!(with_errors > 0, "some generated work orders fail a field");
}
