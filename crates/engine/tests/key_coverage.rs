//! Referential coverage: each key field's values checked against the keys the target
//! entity's mapping produces.

use serde_json::json;
use std::collections::{HashMap, HashSet};
use unifield_engine::{load, produced_keys, Coverage, Related};

const WORK_ORDERS: &str = r#"{"format": "unifield.mapping/v1", "name": "t",
    "source": {"system": "corrigo", "entity": "WorkOrder", "idPath": "$.Id"},
    "target": {"model": "unified", "version": "1", "entity": "WorkOrder"},
    "fields": {
      "key": {"path": "$.Id", "steps": ["to_string"]},
      "status": {"const": "open"},
      "siteKey": {"path": "$.WorkZone.Id", "steps": ["to_string"]},
      "assetKey": {"path": "$.MainAsset.Id", "steps": ["to_string"]}
    }}"#;

const SITES: &str = r#"{"format": "unifield.mapping/v1", "name": "s",
    "source": {"system": "corrigo", "entity": "WorkZone", "idPath": "$.Id",
               "filter": {"path": "$.IsRemoved", "equals": false}},
    "target": {"model": "unified", "version": "1", "entity": "Site"},
    "fields": {"key": {"path": "$.Id", "steps": ["to_string"]},
               "name": {"path": "$.DisplayAs"}}}"#;

#[test]
fn keys_resolve_against_what_the_target_mapping_produces() {
    let sites = load(SITES, None).unwrap();
    let zones = vec![
        json!({"Id": 1, "DisplayAs": "A", "IsRemoved": false}),
        json!({"Id": 2, "DisplayAs": "B", "IsRemoved": false}),
        // Skipped by the site mapping's filter: a key naming it dangles.
        json!({"Id": 3, "DisplayAs": "C", "IsRemoved": true}),
    ];
    let related = Related::default();
    let site_keys = produced_keys(&sites, zones, &related);
    assert_eq!(site_keys, HashSet::from(["1".to_string(), "2".to_string()]));

    let work_orders = load(WORK_ORDERS, None).unwrap();
    let mut coverage = Coverage::new(&work_orders);
    assert_eq!(coverage.key_targets(), vec!["Asset", "Site"]);
    for (id, zone) in [(10, 1), (11, 2), (12, 3), (13, 3), (14, 9)] {
        let record = json!({"Id": id, "WorkZone": {"Id": zone}, "MainAsset": {"Id": 5}});
        coverage.add(&work_orders.apply(&record, &related));
    }
    coverage.add(&work_orders.apply(&json!({"Id": 15}), &related));
    coverage.finish();
    coverage.resolve_keys(&HashMap::from([("Site".to_string(), site_keys)]));

    let site = coverage.keys.iter().find(|k| k.field == "siteKey").unwrap();
    assert_eq!(site.target, "Site");
    assert_eq!((site.values, site.resolved, site.dangling), (5, 2, 3));
    assert_eq!(
        site.dangling_examples,
        vec![("3".to_string(), 2), ("9".to_string(), 1)],
        "most frequent first"
    );
    assert!((site.resolved_percent() - 40.0).abs() < 1e-9);
    assert!(site.checked);

    let asset = coverage
        .keys
        .iter()
        .find(|k| k.field == "assetKey")
        .unwrap();
    assert!(!asset.checked, "no Asset keys were given");
    assert_eq!((asset.values, asset.resolved, asset.dangling), (5, 0, 0));

    let table = coverage.to_table();
    assert!(table.contains("siteKey"), "{table}");
    assert!(table.contains("40.0%"), "{table}");
    assert!(table.contains("3 (2), 9 (1)"), "{table}");
    assert!(table.contains("unchecked"), "{table}");
}
