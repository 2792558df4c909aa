//! What a mapping reads, as member paths from the record's top: the list a source
//! system's projection (Corrigo's PropertySet) is built from.

use unifield_engine::{load, MemberRead};

fn read(names: &[&str], whole: bool) -> MemberRead {
    MemberRead {
        names: names.iter().map(|n| n.to_string()).collect(),
        whole,
    }
}

#[test]
fn member_reads_name_collections_value_objects_and_nested_members() {
    let mapping = load(
        r#"{"format": "unifield.mapping/v1", "name": "t",
            "source": {"system": "corrigo", "entity": "WorkOrder", "idPath": "$.Id",
                       "filter": {"path": "$.StatusId", "notEquals": "Unknown"}},
            "target": {"model": "unified", "version": "1", "entity": "WorkOrder"},
            "fields": {
              "key": {"path": "$.Id", "steps": ["to_string"]},
              "siteKey": {"path": "$.WorkZone.Id", "steps": ["to_string"]},
              "taskCount": {"path": "$.Items", "steps": ["count"]},
              "notToExceed": {"path": "$.VendorNte", "steps": ["money"]},
              "title": {"paths": ["$.Notes[0].Body", "$.TaskRefinement"]},
              "locationName": {"path": "$.Address.City", "steps": [
                 {"fn": "template", "template": "{@} – {ShortLocation}"}]}
            },
            "custom": {"whole": {"path": "$.Address"}}}"#,
        None,
    )
    .unwrap();
    assert_eq!(
        mapping.member_reads().unwrap(),
        vec![
            // `$.Address` is read as it is (no step needs all of it), and
            // `$.Address.City` below it is still listed: a projection of `Address`
            // alone might give only its Id.
            read(&["Address"], false),
            read(&["Address", "City"], false),
            read(&["Id"], false),
            read(&["Items"], true),
            read(&["Notes"], true),
            read(&["ShortLocation"], false),
            read(&["StatusId"], false),
            read(&["TaskRefinement"], false),
            read(&["VendorNte"], true),
            read(&["WorkZone", "Id"], false),
        ]
    );
}

#[test]
fn a_path_that_can_reach_anywhere_has_no_member_list() {
    let mapping = load(
        r#"{"format": "unifield.mapping/v1", "name": "t",
            "source": {"system": "corrigo", "entity": "WorkOrder", "idPath": "$.Id"},
            "target": {"model": "unified", "version": "1", "entity": "WorkOrder"},
            "fields": {"key": {"path": "$..Id", "steps": ["to_string"]}}}"#,
        None,
    )
    .unwrap();
    assert_eq!(mapping.member_reads(), None);
}
