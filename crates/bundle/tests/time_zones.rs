//! The samples' local dates are real wall-clock times in each work zone's IANA zone
//! (daylight saving included): mapped through `parse_datetime` with the record's zone,
//! every local `Dt*` date gives exactly its `*Utc` twin.

use chrono::{NaiveDateTime, Offset, TimeZone};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use unifield_bundle::sample_records;
use unifield_corrigo_seed::work_zone_time_zone;
use unifield_engine::Related;

/// Corrigo's local dates and their UTC twins on a work order.
const TWINS: [(&str, &str); 6] = [
    ("DtCreated", "CreatedDateUtc"),
    ("DtDue", "DueDateUtc"),
    ("LastActionDate", "LastActionDateUtc"),
    ("DtAcknowledgeBy", "AcknowledgeByUtc"),
    ("DtScheduledStart", "ScheduledStartUtc"),
    ("DtOnSiteBy", "DtUtcOnSiteBy"),
];

/// A mapping that parses each local date in `zone` and each UTC twin as UTC.
fn mapping_for(zone: &str) -> unifield_engine::Mapping {
    let mut custom = serde_json::Map::new();
    for (local, utc) in TWINS {
        custom.insert(
            format!("local{local}"),
            json!({"path": format!("$.{local}"), "steps": [{"fn": "parse_datetime", "timeZone": zone}]}),
        );
        custom.insert(
            format!("utc{local}"),
            json!({"path": format!("$.{utc}"), "steps": ["parse_datetime"]}),
        );
    }
    let doc = json!({
        "format": "unifield.mapping/v1", "name": "twins",
        "source": {"system": "corrigo", "entity": "WorkOrder", "idPath": "$.Id"},
        "target": {"model": "unified", "version": "1", "entity": "WorkOrder"},
        "fields": {"key": {"path": "$.Id", "steps": ["to_string"]}, "status": {"const": "open"}},
        "custom": custom
    });
    unifield_engine::load(&doc.to_string(), None).unwrap()
}

#[test]
fn local_dates_map_through_the_zone_to_their_utc_twins() {
    let zones: BTreeMap<i64, Value> = sample_records("WorkZone")
        .into_iter()
        .map(|z| (z["Id"].as_i64().unwrap(), z))
        .collect();
    let related = Related::default();
    let mut mappings = BTreeMap::new();
    let (mut compared, mut ambiguous) = (0, 0);
    // Offsets seen per zone, in hours: daylight saving shows as two.
    let mut offsets: BTreeMap<String, BTreeSet<i32>> = BTreeMap::new();
    for order in sample_records("WorkOrder") {
        let zone = &zones[&order["WorkZone"]["Id"].as_i64().unwrap()];
        let tz = work_zone_time_zone(zone);
        let mapping = mappings
            .entry(tz.name().to_string())
            .or_insert_with(|| mapping_for(tz.name()));
        let applied = mapping.apply(&order, &related);
        assert!(applied.diagnostics.is_empty(), "{:?}", applied.diagnostics);
        let unified = mapping.record(&applied).unwrap();
        for (local, utc) in TWINS {
            let (Some(local_text), Some(utc_text)) = (order[local].as_str(), order[utc].as_str())
            else {
                continue;
            };
            let expected = &unified["custom"][format!("utc{local}")];
            if expected.is_null() {
                // "1753-01-01T00:00:00": Corrigo's "no date" in the UTC twin.
                continue;
            }
            let wall = NaiveDateTime::parse_from_str(local_text, "%Y-%m-%dT%H:%M:%S%.f").unwrap();
            if tz.from_local_datetime(&wall).single().is_none() {
                // The hour repeated when clocks go back: the wall time alone cannot say
                // which of the two instants it was; any reader of Corrigo faces this.
                ambiguous += 1;
                continue;
            }
            let utc_instant = chrono::DateTime::parse_from_rfc3339(expected.as_str().unwrap())
                .unwrap()
                .with_timezone(&chrono::Utc);
            let offset = tz
                .offset_from_utc_datetime(&utc_instant.naive_utc())
                .fix()
                .local_minus_utc();
            offsets
                .entry(tz.name().to_string())
                .or_default()
                .insert(offset / 3600);
            assert_eq!(
                &unified["custom"][format!("local{local}")],
                expected,
                "work order {} {local} {local_text} in {} vs {utc} {utc_text}",
                order["Id"],
                tz.name()
            );
            compared += 1;
        }
    }
    assert!(compared > 1_000, "{compared} pairs compared");
    assert!(
        ambiguous < compared / 100,
        "{ambiguous} ambiguous of {compared}"
    );
    assert_eq!(
        offsets.get("America/Chicago"),
        Some(&BTreeSet::from([-6, -5])),
        "Chicago's dates fall on both sides of daylight saving: {offsets:?}"
    );
    assert_eq!(
        offsets.get("America/Phoenix"),
        Some(&BTreeSet::from([-7])),
        "Arizona keeps no daylight saving: {offsets:?}"
    );
    assert_eq!(
        offsets.get("America/New_York"),
        Some(&BTreeSet::from([-5, -4]))
    );
}

#[test]
fn zones_follow_the_city_not_the_record_index() {
    for zone in sample_records("WorkZone") {
        let expected = match zone["Number"].as_str().unwrap() {
            "FLOR" => "America/New_York",
            "NHQ" | "KCKS" | "HOU" | "CHI" => "America/Chicago",
            "PHX" => "America/Phoenix",
            "TOR" => "America/Toronto",
            "SEA" => "America/Los_Angeles",
            other => panic!("a city the test does not know: {other}"),
        };
        assert_eq!(work_zone_time_zone(&zone).name(), expected, "{zone}");
    }
}
