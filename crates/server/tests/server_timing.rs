//! A unified list says where its time went in a `Server-Timing` header (W3C Server
//! Timing): mapping and serialisation, in milliseconds, on both backends; a filter's scan
//! maps in `map`. The key's lookup, the database and the wait for a worker measure the
//! node's load (any authenticated caller could watch it): only with the operator's
//! `Settings::server_timing_load` (`--server-timing-load`).

mod common;

use common::Harness;
use reqwest::StatusCode;
use std::collections::HashMap;

/// `name;dur=ms;desc="…"` entries of every Server-Timing header of a response.
fn server_timing(headers: &reqwest::header::HeaderMap) -> HashMap<String, f64> {
    let mut parts = HashMap::new();
    for value in headers.get_all("server-timing") {
        for entry in value.to_str().unwrap().split(", ") {
            let mut fields = entry.split(';');
            let name = fields.next().unwrap().trim().to_string();
            let duration = fields
                .find_map(|f| f.strip_prefix("dur="))
                .unwrap_or_else(|| panic!("no dur in {entry:?}"))
                .parse::<f64>()
                .unwrap_or_else(|e| panic!("{entry:?}: {e}"));
            assert!(entry.contains(";desc=\""), "{entry:?}");
            parts.insert(name, duration);
        }
    }
    parts
}

async fn a_unified_list_says_where_its_time_went(db: common::Db) {
    says_where_its_time_went(db, false).await;
}

async fn with_the_operators_flag_it_also_names_the_nodes_load(db: common::Db) {
    says_where_its_time_went(db, true).await;
}

async fn says_where_its_time_went(db: common::Db, load: bool) {
    let mut settings = common::fast_settings();
    settings.server_timing_load = load;
    let Some((h, _)) = Harness::start_with_settings(db, 300, "", settings).await else {
        return;
    };
    let (org, key) = h.org("acme");
    let connection = h.synced_connection(&key, &org).await;
    for query in ["per_page=100&page=2", "filter[status]=open&per_page=10"] {
        let (status, headers, body) = h
            .send(
                reqwest::Method::GET,
                &format!("/api/connections/{connection}/eam/work-orders?{query}"),
                Some(&key),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(!body["data"].as_array().unwrap().is_empty(), "{body}");
        let timing = server_timing(&headers);
        let names: &[&str] = if load {
            &["auth", "db", "map", "json", "queue"]
        } else {
            &["map", "json"]
        };
        let mut sent: Vec<&str> = timing.keys().map(String::as_str).collect();
        sent.sort_unstable();
        let mut expected = names.to_vec();
        expected.sort_unstable();
        assert_eq!(sent, expected, "{query}: {timing:?}");
        for &name in names {
            let took = timing
                .get(name)
                .unwrap_or_else(|| panic!("{query}: no `{name}` in {timing:?}"));
            assert!(
                took.is_finite() && *took >= 0.0 && *took < 60_000.0,
                "{query}: {name} = {took}"
            );
        }
        // Mapping 100 records (or filtering 300) takes measurable time; so do the reads.
        assert!(timing["map"] > 0.0, "{query}: {timing:?}");
        assert!(timing["json"] > 0.0, "{query}: {timing:?}");
        if load {
            assert!(timing["db"] > 0.0, "{query}: {timing:?}");
        }
    }
    // Errors carry no page timing (nothing was read): only the key's lookup, and that
    // only with the flag.
    let (status, headers, _) = h
        .send(
            reqwest::Method::GET,
            &format!("/api/connections/{connection}/eam/work-orders?per_page=9999"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let timing = server_timing(&headers);
    assert_eq!(timing.contains_key("auth"), load, "{timing:?}");
    assert!(!timing.contains_key("map"), "{timing:?}");
}

on_both_backends!(
    a_unified_list_says_where_its_time_went,
    with_the_operators_flag_it_also_names_the_nodes_load
);
