//! Every default mapping's keys resolve on the bundled samples: each key value names a
//! record that the target entity's default mapping produces from the same samples.

use unifield_bundle::{produced_keys, sample_records, MAPPINGS};
use unifield_engine::{Coverage, Related};

#[test]
fn every_key_of_every_default_mapping_resolves_on_the_samples() {
    let related = Related::default();
    let mut checked = 0;
    for default in &MAPPINGS {
        let mapping = unifield_engine::load(default.text, Some(default.file)).unwrap();
        let mut coverage = Coverage::new(&mapping);
        for record in sample_records(default.source_entity) {
            coverage.add(&mapping.apply(&record, &related));
        }
        coverage.finish();
        let targets = coverage.key_targets();
        coverage.resolve_keys(&produced_keys(&targets, sample_records));
        for key in &coverage.keys {
            println!(
                "{} {} → {}: {} values, {:.1}% resolved",
                default.file,
                key.field,
                key.target,
                key.values,
                key.resolved_percent()
            );
            assert!(key.checked, "{}: {key:?}", default.file);
            assert!(
                key.values > 0,
                "{}: {} never filled",
                default.file,
                key.field
            );
            assert_eq!(
                key.dangling, 0,
                "{}: {} dangles: {:?}",
                default.file, key.field, key.dangling_examples
            );
            checked += 1;
        }
    }
    // work_order: site, asset, location, customer, user, vendor; asset: location;
    // location: parent; site: location; user: sites; customer: site.
    assert_eq!(checked, 11);
}
