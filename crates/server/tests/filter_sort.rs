//! A filter and a sort together: the scan reads each record's filtered and sorted fields
//! from the narrowed mapping's applied values (no unified record per scanned record), so
//! the sort must order by the sorted field, not by a filtered one, and every record of the
//! page must match. Checked against the whole unified list, read unfiltered.

mod common;

use serde_json::Value;
use std::sync::Arc;
use unifield_corrigo_seed::{Company, Scale};
use unifield_server::service::{ConnectionInput, ListQuery, Settings};
use unifield_server::{MasterKey, MasterKeySource, Service, Storage};

const WORK_ORDERS: usize = 300;

fn query(pairs: &[(&str, &str)]) -> ListQuery {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    ListQuery::parse(&pairs).unwrap()
}

#[test]
fn a_filter_and_a_sort_together_match_and_order_as_the_whole_list_says() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::open(&dir.path().join("data")).unwrap();
    let key = MasterKey::load(&MasterKeySource::DemoFile(dir.path().join("master.key"))).unwrap();
    let service = Arc::new(Service::new(storage, Some(key), Settings::default()));
    let org = service.add_org("acme").unwrap();
    let connection = service
        .add_connection(
            &org,
            ConnectionInput {
                name: "c".into(),
                company: "C".into(),
                region: None,
                base_url: Some("https://corrigo.invalid".into()),
                client_id: "c".into(),
                client_secret: "c".into(),
            },
        )
        .unwrap()
        .id;
    let company = Company::generate(
        2026,
        Scale {
            work_orders: WORK_ORDERS,
            ..Scale::SAMPLES
        },
    );
    // One sync run, its 300 records in one page.
    common::cache_synced(
        &service.storage,
        &connection,
        "WorkOrder",
        company.work_orders(),
        WORK_ORDERS,
    );

    let all = service
        .list_unified(
            &org,
            &connection,
            "WorkOrder",
            &query(&[("per_page", "500")]),
        )
        .unwrap()
        .data;
    assert_eq!(all.len(), WORK_ORDERS);
    let text = |record: &Value, field: &str| record[field].as_str().map(str::to_string);

    for (filter, op_passes, descending) in [
        ("filter[status]", "open", true),
        ("filter[status:neq]", "open", false),
    ] {
        let want: Vec<&Value> = all
            .iter()
            .filter(|r| {
                (text(r, "status").as_deref() == Some(op_passes)) == filter.ends_with("[status]")
            })
            .collect();
        assert!(want.len() > 10, "{filter}: too few to tell: {}", want.len());
        let sort = if descending { "1" } else { "0" };
        let got = service
            .list_unified(
                &org,
                &connection,
                "WorkOrder",
                &query(&[
                    (filter, op_passes),
                    ("sort[createdAt]", sort),
                    ("per_page", "500"),
                ]),
            )
            .unwrap();
        assert_eq!(got.total, want.len(), "{filter}");
        let mut expected: Vec<Option<String>> = want.iter().map(|r| text(r, "createdAt")).collect();
        // Nulls last either way; RFC 3339 UTC times order as text.
        expected.sort_by(|a, b| match (a, b) {
            (None, None) => std::cmp::Ordering::Equal,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some(_), None) => std::cmp::Ordering::Less,
            (Some(a), Some(b)) if descending => b.cmp(a),
            (Some(a), Some(b)) => a.cmp(b),
        });
        let got_created: Vec<Option<String>> =
            got.data.iter().map(|r| text(r, "createdAt")).collect();
        assert_eq!(got_created, expected, "{filter} sorted by createdAt {sort}");
        for record in &got.data {
            assert_eq!(
                text(record, "status").as_deref() == Some(op_passes),
                filter.ends_with("[status]"),
                "{filter}: {record}"
            );
        }
    }
}
