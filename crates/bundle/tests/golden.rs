//! Golden tests: every default mapping applied to the real Corrigo records in
//! tests/fixtures/corrigo/examples.json (Corrigo's own published request/response
//! pairs), snapshotted whole with insta. Output holds no generated ids or clock times
//! (every value comes from the source record), so nothing needs redacting.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use unifield_bundle::MAPPINGS;
use unifield_engine::input::unwrap_envelope;
use unifield_engine::Related;

fn examples() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/corrigo/examples.json"
    );
    let text = std::fs::read_to_string(path).expect("examples.json is in tests/fixtures/corrigo");
    serde_json::from_str::<Vec<Value>>(&text).expect("examples.json is a JSON array")
}

/// The Corrigo entity an example's response holds records of, from its path
/// (`/api/v1/base/WorkOrder?ID=500`, `/api/v1/query/workzone`) or, for commands,
/// from the member of its CommandResult (`Wo`, `WorkZone`).
fn entity_of(example: &Value) -> Option<String> {
    let path = example["path"].as_str()?;
    let mut parts = path.trim_start_matches('/').split('/');
    let kind = parts.nth(2)?;
    let name = parts.next()?.split('?').next()?.to_ascii_lowercase();
    let canonical = |lower: &str| match lower {
        "workorder" | "wo" => Some("WorkOrder"),
        "workzone" => Some("WorkZone"),
        "employee" => Some("Employee"),
        "customer" => Some("Customer"),
        "location" => Some("Location"),
        "product" => Some("Product"),
        _ => None,
    };
    match kind {
        "base" | "query" => canonical(&name).map(String::from),
        "cmd" => {
            let result = example["response_body"]["CommandResult"].as_object()?;
            result
                .keys()
                .find_map(|k| canonical(&k.to_ascii_lowercase()))
                .map(String::from)
        }
        _ => None,
    }
}

/// Distinct records of each entity, in first-seen order, with the examples they came from.
fn records_by_entity() -> BTreeMap<String, Vec<(String, Value)>> {
    let mut out: BTreeMap<String, Vec<(String, Value)>> = BTreeMap::new();
    for example in examples() {
        if example["status"] != 200 {
            continue;
        }
        let Some(entity) = entity_of(&example) else {
            continue;
        };
        let Ok(records) = unwrap_envelope(example["response_body"].clone()) else {
            continue;
        };
        let label = format!(
            "{} / {}",
            example["collection"].as_str().unwrap_or(""),
            example["name"].as_str().unwrap_or("")
        );
        let list = out.entry(entity).or_default();
        for record in records {
            if !list.iter().any(|(_, seen)| *seen == record) {
                list.push((label.clone(), record));
            }
        }
    }
    out
}

#[test]
fn the_examples_hold_records_for_every_default_mapping() {
    let records = records_by_entity();
    for mapping in &MAPPINGS {
        assert!(
            records.contains_key(mapping.source_entity),
            "no example records of {}",
            mapping.source_entity
        );
    }
    assert!(
        records["WorkOrder"].len() >= 5,
        "{:?}",
        records["WorkOrder"].len()
    );
}

#[test]
fn default_mappings_on_corrigo_examples() {
    let records = records_by_entity();
    let related = Related::default();
    for default in &MAPPINGS {
        let mapping =
            unifield_engine::load(default.text, Some(default.file)).expect("default mappings load");
        let mut results = Vec::new();
        for (example, record) in &records[default.source_entity] {
            let applied = mapping.apply(record, &related);
            results.push(json!({
                "example": example,
                "unified": mapping.record(&applied),
                "diagnostics": applied.diagnostics,
            }));
        }
        let name = default.file.trim_end_matches(".json");
        insta::assert_json_snapshot!(name, results);
    }
}

#[test]
fn work_order_500_maps_to_what_an_integrator_expects() {
    // Spelled out, not snapshotted: the one record a reader of this file should see.
    let example = examples()
        .into_iter()
        .find(|e| e["name"] == "GET Workorder")
        .unwrap();
    let record = &example["response_body"]["Data"];
    let mapping = unifield_engine::load(MAPPINGS[0].text, None).unwrap();
    let applied = mapping.apply(record, &Related::default());
    assert!(applied.diagnostics.is_empty(), "{:?}", applied.diagnostics);
    let unified = mapping.record(&applied).unwrap();
    assert_eq!(unified["key"], "500");
    assert_eq!(unified["code"], "ASN0060114");
    assert_eq!(unified["status"], "completed");
    assert_eq!(unified["sourceStatus"], "Completed");
    assert_eq!(unified["priority"], "normal");
    assert_eq!(unified["type"], "request");
    // Specialty comes as just its Id in this read (a pull asks for Specialty.DisplayAs);
    // TaskRefinement's "General Door Repair:…" is not taken as the category any more.
    assert_eq!(unified["categoryName"], Value::Null);
    assert_eq!(unified["siteKey"], "6");
    // DueDateUtc "2017-01-23T14:00:09" has no Z but is UTC; DtDue is the local twin.
    assert_eq!(unified["dueAt"], "2017-01-23T14:00:09Z");
    assert_eq!(unified["createdAt"], "2017-01-17T23:33:18Z");
    assert_eq!(
        unified["notToExceed"],
        json!({"amount": 0, "currency": "USD"})
    );
    assert_eq!(unified["custom"]["display"], "ASN0060114 – NHQ 03 East");
    assert_eq!(
        unified["_source"],
        json!({"system": "corrigo", "entity": "WorkOrder", "id": "500"})
    );
}

#[test]
fn default_mappings_on_bundled_samples() {
    // The published examples hold no Equipment locations, so asset.json would otherwise
    // never be exercised; the first three records each mapping takes from the bundled
    // samples cover every mapping.
    let related = Related::default();
    for default in &MAPPINGS {
        let mapping = unifield_engine::load(default.text, Some(default.file)).unwrap();
        let samples = unifield_bundle::samples(default.source_entity).unwrap();
        let taken: Vec<Value> = samples
            .lines()
            .map(|line| serde_json::from_str::<Value>(line).unwrap())
            .map(|record| mapping.apply(&record, &related))
            .filter_map(|applied| {
                let unified = mapping.record(&applied)?;
                Some(json!({"unified": unified, "diagnostics": applied.diagnostics}))
            })
            .take(3)
            .collect();
        assert_eq!(
            taken.len(),
            3,
            "{} takes fewer than 3 samples",
            default.file
        );
        let name = format!("samples_{}", default.file.trim_end_matches(".json"));
        insta::assert_json_snapshot!(name, taken);
    }
}

#[test]
fn every_default_mapping_names_the_members_it_reads() {
    // Lets readers skip the members a mapping never reads (input::read_records_projected).
    for default in &MAPPINGS {
        let mapping = unifield_engine::load(default.text, None).unwrap();
        let members = mapping
            .members_read()
            .unwrap_or_else(|| panic!("{} reads beyond named members", default.file));
        assert!(
            members.iter().any(|m| m == "Id"),
            "{}: {members:?}",
            default.file
        );
    }
    let work_orders = unifield_engine::load(MAPPINGS[0].text, None).unwrap();
    let members = work_orders.members_read().unwrap();
    assert!(
        members.contains(&"ShortLocation".to_string()),
        "template placeholders count: {members:?}"
    );
    assert!(!members.contains(&"DtCreated".to_string()), "{members:?}");
}

#[test]
fn proposals_for_unbound_fields_find_the_default_mappings_choices() {
    // Profile the bundled work orders, bind only key and status, and check the proposals
    // recover what the hand-written default mapping chose for other fields.
    let mut profile = unifield_engine::profile::Profile::default();
    for line in unifield_bundle::samples("WorkOrder").unwrap().lines() {
        profile.add(&serde_json::from_str::<Value>(line).unwrap());
    }
    let entity = unifield_model::model().entity("WorkOrder").unwrap();
    let proposals = unifield_engine::proposals::proposals(entity, &["key", "status"], &profile);
    let best = |field: &str| {
        let found = proposals
            .iter()
            .find(|p| p.field == field)
            .unwrap_or_else(|| panic!("no proposal for {field}"));
        (
            found.proposals[0].path.clone(),
            found.proposals[0].steps.clone(),
        )
    };
    assert_eq!(
        best("dueAt"),
        ("$.DueDateUtc".to_string(), vec!["parse_datetime"])
    );
    assert_eq!(
        best("createdAt"),
        ("$.CreatedDateUtc".to_string(), vec!["parse_datetime"])
    );
    assert_eq!(
        best("siteKey"),
        ("$.WorkZone.Id".to_string(), vec!["to_string"])
    );
    assert_eq!(
        best("customerKey"),
        ("$.Customer.Id".to_string(), vec!["to_string"])
    );
    assert_eq!(
        best("poNumber"),
        ("$.PoNumber".to_string(), vec!["null_if_empty"])
    );
    assert_eq!(
        best("notToExceed"),
        ("$.VendorNte".to_string(), vec!["money"])
    );
    assert!(
        proposals
            .iter()
            .all(|p| p.field != "key" && p.field != "status"),
        "bound fields get none"
    );
}
