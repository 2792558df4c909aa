//! The server's API over real HTTP on 127.0.0.1, a real SQLite file and a running
//! Corrigo sandbox: pushes, If-Match, rollback, the unified read API, tokens, keys.

mod common;

use common::{assert_error, Harness};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::HashSet;

const WORK_ORDERS: usize = 200;

fn with_custom_marker(mut mapping: Value, marker: &str) -> String {
    mapping["custom"] = json!({"marker": {"const": marker}});
    mapping.to_string()
}

fn event_types(harness: &Harness) -> Vec<String> {
    harness
        .server
        .service
        .storage
        .events_after(0, 100_000)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

async fn a_push_changes_the_next_read_and_a_rollback_restores_it(db: common::Db) {
    let Some(h) = Harness::start_on(db, WORK_ORDERS, "").await else {
        return;
    };
    let (org, key) = h.org("acme");
    let connection = h.synced_connection(&key, &org).await;
    let list = format!("/api/connections/{connection}/eam/work-orders?per_page=5");

    let (status, before) = h.get(&list, &key).await;
    assert_eq!(status, StatusCode::OK, "{before}");
    assert_eq!(before["meta"]["mapping_version"], 0);
    assert_eq!(before["meta"]["total"], WORK_ORDERS);
    assert_eq!(before["data"].as_array().unwrap().len(), 5);
    assert!(before["data"][0]["customFields"].get("marker").is_none());
    assert_eq!(before["data"][0]["_source"]["entity"], "WorkOrder");

    let (mapping, etag) = h.mapping(&key, &connection, "WorkOrder").await;
    assert_eq!(etag, "\"0\"");
    let pushed = h
        .push_accepted(
            &key,
            &connection,
            "WorkOrder",
            &etag,
            &with_custom_marker(mapping, "pushed"),
        )
        .await;
    assert_eq!(pushed["version"], 1);

    // The very next read uses version 1.
    let (_, headers, after) = h.send(Method::GET, &list, Some(&key), None).await;
    assert_eq!(after["meta"]["mapping_version"], 1);
    assert_eq!(headers["x-mapping-version"], "1");
    for record in after["data"].as_array().unwrap() {
        assert_eq!(record["customFields"]["marker"], "pushed", "{record}");
    }
    let (_, names) = h
        .get(
            &format!("/api/connections/{connection}/eam/work-orders/custom-fields"),
            &key,
        )
        .await;
    assert_eq!(names["data"], json!(["marker"]));

    // Rollback to 0 appends version 2 equal to 0.
    let (status, _, rolled) = h
        .send(
            Method::POST,
            &format!("/api/connections/{connection}/mappings/WorkOrder/rollback"),
            Some(&key),
            Some(&json!({"version": 0})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rolled}");
    assert_eq!(rolled["version"], 2);
    let (_, restored) = h.get(&list, &key).await;
    assert_eq!(restored["meta"]["mapping_version"], 2);
    assert_eq!(restored["data"], before["data"]);

    let (_, versions) = h
        .get(
            &format!("/api/connections/{connection}/mappings/WorkOrder/versions"),
            &key,
        )
        .await;
    let versions = versions.as_array().unwrap();
    assert_eq!(versions.len(), 3);
    assert_eq!(versions[1]["key_name"], "acme key");
    assert_eq!(versions[2]["rolled_back_to"], 0);
    assert_eq!(versions[2]["content_hash"], versions[0]["content_hash"]);
    let (status, v1) = h
        .get(
            &format!("/api/connections/{connection}/mappings/WorkOrder/versions/1"),
            &key,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v1["custom"]["marker"]["const"], "pushed");

    let (_, summary) = h
        .get(&format!("/api/connections/{connection}/mappings"), &key)
        .await;
    let work_order = summary
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["entity"] == "WorkOrder")
        .unwrap();
    assert_eq!(work_order["active_version"], 2);

    let events = event_types(&h);
    assert_eq!(
        events.iter().filter(|e| *e == "mapping.published").count(),
        1
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| *e == "mapping.rolled_back")
            .count(),
        1
    );
}

async fn pushes_need_a_current_if_match_and_a_mapping_that_loads(db: common::Db) {
    let Some(h) = Harness::start_on(db, 50, "").await else {
        return;
    };
    let (org, key) = h.org("acme");
    let connection = h.synced_connection(&key, &org).await;
    let (mapping, etag) = h.mapping(&key, &connection, "WorkOrder").await;
    let good = with_custom_marker(mapping.clone(), "x");

    let (status, body) = h.push(&key, &connection, "WorkOrder", None, &good).await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED);
    assert_error(&body, "if_match_required");

    let (status, body) = h
        .push(&key, &connection, "WorkOrder", Some("\"7\""), &good)
        .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    assert_error(&body, "version_mismatch");

    // Two problems in one file: both reported, located.
    let mut broken = mapping.clone();
    broken["fields"]["title"]["steps"] = json!(["trim", "shout_loudly"]);
    broken["fields"]["titel"] = json!({"path": "$.Number"});
    let broken_text = serde_json::to_string_pretty(&broken).unwrap();
    let (status, body) = h
        .push(&key, &connection, "WorkOrder", Some(&etag), &broken_text)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "invalid_mapping");
    let problems = body["problems"].as_array().unwrap();
    assert!(problems.len() >= 2, "{body}");
    let unknown_function = problems
        .iter()
        .find(|p| p["code"] == "unknown_function")
        .unwrap_or_else(|| panic!("{body}"));
    assert_eq!(unknown_function["field"], "title");
    assert_eq!(unknown_function["step"], 2);
    assert!(unknown_function["line"].as_u64().unwrap() > 1);
    assert!(problems.iter().any(|p| p["field"] == "titel"), "{body}");

    // A custom field name the filter grammar could not address (`filter[customFields.a:b]`
    // reads operator `b`): refused by the engine's rule, located, as the CLI and studio do.
    let mut bad_name = mapping.clone();
    bad_name["custom"] = json!({"a:b": {"const": 1}});
    let bad_name_text = serde_json::to_string_pretty(&bad_name).unwrap();
    let (status, body) = h
        .push(&key, &connection, "WorkOrder", Some(&etag), &bad_name_text)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "invalid_mapping");
    let line = bad_name_text
        .lines()
        .position(|l| l.trim_start().starts_with("\"a:b\":"))
        .unwrap()
        + 1;
    assert_eq!(
        body["problems"],
        json!([{
            "severity": "error",
            "code": "invalid_custom_name",
            "message": "a custom field name is letters, digits and _ only: `:` is not allowed in `a:b`",
            "file": "WorkOrder.json",
            "line": line,
            "field": "custom.a:b",
        }]),
        "{body}"
    );

    let (status, body) = h
        .push(&key, &connection, "WorkOrder", Some(&etag), "{not json")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "invalid_mapping");

    // An Asset mapping pushed as the WorkOrder mapping.
    let (asset, _) = h.mapping(&key, &connection, "Asset").await;
    let (status, body) = h
        .push(
            &key,
            &connection,
            "WorkOrder",
            Some(&etag),
            &asset.to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["problems"][0]["code"], "wrong_target_entity");

    // Nothing changed.
    let (_, versions) = h
        .get(
            &format!("/api/connections/{connection}/mappings/WorkOrder/versions"),
            &key,
        )
        .await;
    assert_eq!(versions.as_array().unwrap().len(), 1);
    let (_, etag_after) = h.mapping(&key, &connection, "WorkOrder").await;
    assert_eq!(etag_after, etag);

    // The current tag works, and then it is stale.
    let (status, _) = h
        .push(&key, &connection, "WorkOrder", Some(&etag), &good)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = h
        .push(&key, &connection, "WorkOrder", Some(&etag), &good)
        .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    assert_error(&body, "version_mismatch");
}

async fn the_unified_api_filters_sorts_pages_and_never_drops_a_failing_record(db: common::Db) {
    let Some(h) = Harness::start_on(db, WORK_ORDERS, "").await else {
        return;
    };
    let (org, key) = h.org("acme");
    let connection = h.synced_connection(&key, &org).await;
    let base = format!("/api/connections/{connection}/eam/work-orders");

    let (_, all) = h.get(&format!("{base}?per_page=500"), &key).await;
    let records = all["data"].as_array().unwrap().clone();
    assert_eq!(records.len(), WORK_ORDERS);
    assert_eq!(all["meta"]["last_page"], 1);
    assert_eq!(all["links"]["next"], Value::Null);

    // Plain pages in any order are slices of the whole (pages seek from offsets seen before).
    for page in [3, 1, 4, 2, 3, 5] {
        let (_, slice) = h
            .get(&format!("{base}?per_page=50&page={page}"), &key)
            .await;
        let want: Vec<Value> = records
            .iter()
            .skip((page - 1) * 50)
            .take(50)
            .cloned()
            .collect();
        assert_eq!(slice["data"], Value::Array(want), "page {page}");
    }
    let (_, odd) = h.get(&format!("{base}?per_page=7&page=13"), &key).await;
    assert_eq!(odd["data"][0], records[84]);

    // Equality.
    let open = records.iter().filter(|r| r["status"] == "open").count();
    assert!(open > 0);
    let (_, filtered) = h
        .get(&format!("{base}?filter[status]=open&per_page=500"), &key)
        .await;
    assert_eq!(filtered["meta"]["total"], open);
    assert!(filtered["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["status"] == "open"));
    // neq and any.
    let (_, others) = h
        .get(
            &format!("{base}?filter[status:neq]=open&per_page=500"),
            &key,
        )
        .await;
    assert_eq!(
        others["meta"]["total"].as_u64().unwrap() as usize,
        WORK_ORDERS - open
    );
    let completed = records
        .iter()
        .filter(|r| r["status"] == "completed")
        .count();
    let (_, any) = h
        .get(
            &format!("{base}?filter[status]=open&filter[status:startsWith]=compl&filterMatch=any"),
            &key,
        )
        .await;
    assert_eq!(
        any["meta"]["total"].as_u64().unwrap() as usize,
        open + completed
    );
    // Comparisons on a date, lted as Makini spells it.
    let mut created: Vec<&str> = records
        .iter()
        .filter_map(|r| r["createdAt"].as_str())
        .collect();
    created.sort();
    let middle = created[created.len() / 2];
    let (_, late) = h
        .get(
            &format!("{base}?filter[createdAt:gt]={middle}&per_page=500"),
            &key,
        )
        .await;
    let (_, early) = h
        .get(
            &format!("{base}?filter[createdAt:lted]={middle}&per_page=500"),
            &key,
        )
        .await;
    assert_eq!(
        late["meta"]["total"].as_u64().unwrap() + early["meta"]["total"].as_u64().unwrap(),
        created.len() as u64
    );
    assert!(late["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["createdAt"].as_str().unwrap() > middle));
    // Sort descending, second page.
    let (_, sorted) = h
        .get(
            &format!("{base}?sort[createdAt]=1&per_page=10&page=2"),
            &key,
        )
        .await;
    let page: Vec<&str> = sorted["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["createdAt"].as_str().unwrap())
        .collect();
    let mut expected: Vec<&str> = created.clone();
    expected.reverse();
    assert_eq!(page, expected[10..20].to_vec());
    assert_eq!(sorted["meta"]["from"], 11);
    assert_eq!(sorted["meta"]["to"], 20);
    assert_eq!(sorted["meta"]["current_page"], 2);
    let prev = sorted["links"]["prev"].as_str().unwrap();
    assert!(
        prev.contains("page=1") && prev.contains("sort%5BcreatedAt%5D=1"),
        "{prev}"
    );
    // Contains on a text field, case-insensitive.
    let code = records[7]["code"].as_str().unwrap().to_string();
    let (_, found) = h
        .get(
            &format!("{base}?filter[code:contains]={}", code.to_lowercase()),
            &key,
        )
        .await;
    assert!(found["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["code"] == code.as_str()));

    // Bad queries are refused, located.
    for bad in [
        "per_page=501",
        "page=0",
        "filter[nosuchfield]=1",
        "sort[status]=2",
        "filter[status:like]=x",
        "colour=red",
    ] {
        let (status, body) = h.get(&format!("{base}?{bad}"), &key).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert!(body["message"].is_string());
    }

    // One record by key.
    let key_of = records[3]["key"].as_str().unwrap();
    let (status, one) = h.get(&format!("{base}/{key_of}"), &key).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["data"], records[3]);
    assert_eq!(one["meta"]["mapping_version"], 0);
    let (status, body) = h.get(&format!("{base}/no-such-key"), &key).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&body, "not_found");

    // The status catalog the mapping produces.
    let (_, catalog) = h
        .get(
            &format!("/api/connections/{connection}/eam/statuses/work-orders"),
            &key,
        )
        .await;
    assert!(catalog["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["key"] == "New" && s["status"] == "open"));

    // A mapping that fails on a field for some records still serves them, with diagnostics.
    let (mut mapping, etag) = h.mapping(&key, &connection, "WorkOrder").await;
    mapping["fields"]["status"]["steps"][0]["map"]
        .as_object_mut()
        .unwrap()
        .remove("New");
    h.push_accepted(&key, &connection, "WorkOrder", &etag, &mapping.to_string())
        .await;
    let (_, after) = h.get(&format!("{base}?per_page=500"), &key).await;
    assert_eq!(after["meta"]["total"], WORK_ORDERS);
    let failing: Vec<&Value> = after["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get("_diagnostics").is_some())
        .collect();
    assert!(!failing.is_empty());
    for record in failing {
        assert_eq!(record["status"], Value::Null);
        assert_eq!(record["sourceStatus"], "New");
        assert!(record["_diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["field"] == "status"));
    }

    // Other collections read their own source entities.
    for collection in [
        "assets",
        "locations",
        "sites",
        "users",
        "vendors",
        "customers",
        "parts",
    ] {
        let (status, body) = h
            .get(
                &format!("/api/connections/{connection}/eam/{collection}?per_page=3"),
                &key,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{collection}: {body}");
        assert!(
            body["meta"]["total"].as_u64().unwrap() > 0,
            "{collection}: {body}"
        );
    }
    let (status, body) = h
        .get(&format!("/api/connections/{connection}/eam/widgets"), &key)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&body, "not_found");
}

async fn raw_records_page_by_cursor_and_syncs_are_incremental_with_events(db: common::Db) {
    let Some(h) = Harness::start_on(db, WORK_ORDERS, "").await else {
        return;
    };
    let (org, key) = h.org("acme");
    let connection = h.synced_connection(&key, &org).await;

    // Each page says the PropertySet the syncs ask for: `*` and what the bundled
    // mappings of work orders read (a client caching the page records it).
    let mut reads = Vec::new();
    for default in unifield_bundle::MAPPINGS
        .iter()
        .filter(|m| m.source_entity == "WorkOrder")
    {
        let mapping = unifield_engine::load(default.text, None).unwrap();
        reads.extend(mapping.member_reads().unwrap_or_default());
    }
    let wanted = unifield_corrigo_client::pull_property_set(
        reads.iter().map(|r| (r.names.as_slice(), r.whole)),
    );
    assert!(
        wanted.len() > 1,
        "the work order mapping reads beyond `*`: {wanted:?}"
    );

    let mut ids = HashSet::new();
    let mut cursor = String::new();
    let mut pages = 0;
    loop {
        let (status, page) = h
            .get(
                &format!("/api/connections/{connection}/raw/WorkOrder?limit=64&cursor={cursor}"),
                &key,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["properties"], json!(wanted), "{}", page["properties"]);
        pages += 1;
        for record in page["data"].as_array().unwrap() {
            assert!(ids.insert(record["Id"].to_string()), "a record twice");
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_string(),
            None => break,
        }
        assert!(pages < 10);
    }
    assert_eq!(ids.len(), WORK_ORDERS);
    assert_eq!(pages, 4);
    let (status, body) = h
        .get(&format!("/api/connections/{connection}/raw/Widget"), &key)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&body, "not_found");

    let events = event_types(&h);
    assert_eq!(
        events.iter().filter(|e| *e == "work_order.created").count(),
        WORK_ORDERS
    );
    assert_eq!(events.iter().filter(|e| *e == "sync.completed").count(), 1);
    let payload: Value = serde_json::from_str(
        &h.server
            .service
            .storage
            .events_after(0, 100_000)
            .unwrap()
            .into_iter()
            .find(|e| e.kind == "work_order.created")
            .unwrap()
            .payload,
    )
    .unwrap();
    assert_eq!(payload["type"], "work_order.created");
    assert_eq!(payload["data"]["connection_id"], connection.as_str());
    assert!(payload["data"]["record"]["key"].is_string());

    // The second sync asks only for work orders changed since the first saw (the other
    // entities have no LastActionDateUtc and are read whole); nothing changed.
    let (_, first) = h
        .get(&format!("/api/connections/{connection}/status"), &key)
        .await;
    let first_records = first["last_sync"]["records"].as_u64().unwrap();
    let second = h
        .server
        .service
        .sync_connection(&org, &connection)
        .await
        .unwrap();
    assert_eq!(second.status, "completed");
    assert!(
        second.records <= first_records - WORK_ORDERS as u64 + 5,
        "{second:?} after {first_records}"
    );
    let events = event_types(&h);
    assert_eq!(
        events.iter().filter(|e| *e == "work_order.created").count(),
        WORK_ORDERS
    );
    assert_eq!(
        events.iter().filter(|e| *e == "work_order.updated").count(),
        0
    );
    assert_eq!(events.iter().filter(|e| *e == "sync.completed").count(), 2);

    let (_, status) = h
        .get(&format!("/api/connections/{connection}/status"), &key)
        .await;
    assert_eq!(status["status"], "ok");
    assert_eq!(status["last_sync"]["status"], "completed");
    assert!(status["next_sync_at"].is_string());

    // POST …/sync queues one (the scheduler is off in this test, so it stays due).
    let (code, _, queued) = h
        .send(
            Method::POST,
            &format!("/api/connections/{connection}/sync"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(code, StatusCode::ACCEPTED, "{queued}");
}

/// A sync asks Corrigo for what the active mappings read, not `*` alone (which leaves out
/// collections and references' members): work orders arrive with their `Items` and
/// `MainAsset.TypeId`, employees with their `ContactAddresses`, so task counts, asset and
/// location keys and users' emails are filled as they are on the bundled samples.
async fn syncs_ask_for_what_the_mappings_read(db: common::Db) {
    let Some(h) = Harness::start_on(db, WORK_ORDERS, "").await else {
        return;
    };
    let (org, key) = h.org("acme");
    let connection = h.synced_connection(&key, &org).await;

    let raw = |entity: &'static str| {
        let (h, key, connection) = (&h, &key, &connection);
        async move {
            let (status, page) = h
                .get(
                    &format!("/api/connections/{connection}/raw/{entity}?limit=500"),
                    key,
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{page}");
            page["data"].as_array().unwrap().clone()
        }
    };
    let work_orders = raw("WorkOrder").await;
    assert!(
        work_orders.iter().any(|r| r["Items"].is_array()),
        "no Items"
    );
    assert!(work_orders
        .iter()
        .filter(|r| r["MainAsset"].is_object())
        .all(|r| r["MainAsset"]["TypeId"].is_string()));
    let employees = raw("Employee").await;
    assert!(employees.iter().any(|r| r["ContactAddresses"].is_array()));

    let (status, unified) = h
        .get(
            &format!("/api/connections/{connection}/eam/work-orders?per_page=500"),
            &key,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{unified}");
    let unified = unified["data"].as_array().unwrap();
    assert!(unified.iter().any(|r| r["taskCount"].as_i64() > Some(0)));
    // Every work order's main asset becomes an asset key or a location key.
    let with_main_asset = work_orders
        .iter()
        .filter(|r| r["MainAsset"].is_object())
        .count();
    let placed = unified
        .iter()
        .filter(|r| !r["assetKey"].is_null() || !r["locationKey"].is_null())
        .count();
    assert_eq!(placed, with_main_asset);
}

async fn tokens_read_one_connection_and_keys_stop_working_when_revoked(db: common::Db) {
    let Some(h) = Harness::start_on(db, 30, "").await else {
        return;
    };
    let (org, key) = h.org("acme");
    let connection = h.synced_connection(&key, &org).await;

    let (status, _, token) = h
        .send(
            Method::POST,
            &format!("/api/connections/{connection}/tokens"),
            Some(&key),
            Some(&json!({"name": "app"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let secret = token["secret"].as_str().unwrap().to_string();
    let token_id = token["id"].as_str().unwrap().to_string();

    let (status, body) = h.get("/api/eam/work-orders?per_page=2", &secret).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["meta"]["total"], 30);
    let (status, _) = h.get("/api/eam/statuses/work-orders", &secret).await;
    assert_eq!(status, StatusCode::OK);
    // A token cannot manage, and an organization key is not a token.
    let (status, body) = h.get("/api/connections", &secret).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_error(&body, "organization_key_required");
    let (status, body) = h.get("/api/eam/work-orders", &key).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_error(&body, "connection_token_required");

    let (_, listed) = h
        .get(&format!("/api/connections/{connection}/tokens"), &key)
        .await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(!listed.to_string().contains(&secret));
    let (status, _, _) = h
        .send(
            Method::DELETE,
            &format!("/api/connections/{connection}/tokens/{token_id}"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = h.get("/api/eam/work-orders", &secret).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error(&body, "unauthorized");

    // API keys: missing, wrong, revoked.
    let (status, _, body) = h.send(Method::GET, "/api/connections", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error(&body, "unauthorized");
    let (status, _) = h.get("/api/connections", "ufk_not-a-key").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let keys = h.server.service.keys("acme").unwrap();
    h.server.service.revoke_key("acme", &keys[0].id).unwrap();
    let (status, _) = h.get("/api/connections", &key).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn connections_refuse_clear_text_urls_and_never_return_the_secret(db: common::Db) {
    let Some(h) = Harness::start_on(db, 10, "").await else {
        return;
    };
    let (_, key) = h.org("acme");
    let mut body = h.connection_body("remote");
    body["base_url"] = json!("http://corrigo.example.com");
    let (status, _, answer) = h
        .send(Method::POST, "/api/connections", Some(&key), Some(&body))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&answer, "insecure_base_url");
    body["base_url"] = json!("https://corrigo.example.com");
    body["region"] = json!("am");
    let (status, _, answer) = h
        .send(Method::POST, "/api/connections", Some(&key), Some(&body))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&answer, "invalid_endpoint");
    let (status, _, answer) = h
        .send(
            Method::POST,
            "/api/connections",
            Some(&key),
            Some(&json!({"name": 1})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&answer, "invalid_body");

    let (status, _, created) = h
        .send(
            Method::POST,
            "/api/connections",
            Some(&key),
            Some(&h.connection_body("sandbox")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let id = created["id"].as_str().unwrap();
    let (_, listed) = h.get("/api/connections", &key).await;
    let (_, one) = h.get(&format!("/api/connections/{id}"), &key).await;
    for text in [created.to_string(), listed.to_string(), one.to_string()] {
        assert!(!text.contains(common::CLIENT_SECRET), "{text}");
        assert!(!text.contains("secret\""), "{text}");
    }
    let (status, _, _) = h
        .send(
            Method::DELETE,
            &format!("/api/connections/{id}"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = h.get(&format!("/api/connections/{id}"), &key).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn lookups_read_the_connections_cached_records(db: common::Db) {
    let Some(h) = Harness::start_on(db, 40, "").await else {
        return;
    };
    let (org, key) = h.org("acme");
    let connection = h.synced_connection(&key, &org).await;
    let (mut mapping, etag) = h.mapping(&key, &connection, "WorkOrder").await;
    mapping["custom"] = json!({"zoneName": {"path": "$.WorkZone.Id", "steps": [
        {"fn": "lookup", "related": "WorkZone", "path": "$.DisplayAs", "failOnMissing": true}
    ]}});
    h.push_accepted(&key, &connection, "WorkOrder", &etag, &mapping.to_string())
        .await;
    let (_, zones) = h
        .get(
            &format!("/api/connections/{connection}/raw/WorkZone?limit=500"),
            &key,
        )
        .await;
    let (_, raw) = h
        .get(
            &format!("/api/connections/{connection}/raw/WorkOrder?limit=500"),
            &key,
        )
        .await;
    let (_, unified) = h
        .get(
            &format!("/api/connections/{connection}/eam/work-orders?per_page=500"),
            &key,
        )
        .await;
    let zones = zones["data"].as_array().unwrap();
    for (source, record) in raw["data"]
        .as_array()
        .unwrap()
        .iter()
        .zip(unified["data"].as_array().unwrap())
    {
        let zone = zones
            .iter()
            .find(|z| z["Id"] == source["WorkZone"]["Id"])
            .unwrap();
        assert_eq!(
            record["customFields"]["zoneName"], zone["DisplayAs"],
            "{record}"
        );
        assert!(record.get("_diagnostics").is_none(), "{record}");
    }
    // The filter path (narrowed mapping) resolves them too.
    let name = zones[0]["DisplayAs"].as_str().unwrap();
    let (_, filtered) = h
        .get(&format!("/api/connections/{connection}/eam/work-orders?per_page=500&filter[customFields.zoneName]={name}"), &key)
        .await;
    assert!(
        filtered["meta"]["total"].as_u64().unwrap() > 0,
        "{filtered}"
    );
    assert!(filtered["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["customFields"]["zoneName"] == name));
}

async fn health_names_the_node_the_database_and_its_migration_version(db: common::Db) {
    let Some(h) = Harness::start_on(db, 1, "").await else {
        return;
    };
    // No credential: a load balancer asks.
    let response = h.http.get(h.url("/api/health")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok", "{body}");
    let expected = match db {
        common::Db::Sqlite => "sqlite",
        common::Db::Postgres => "postgres",
    };
    assert_eq!(body["database"], expected, "{body}");
    assert_eq!(
        body["migration_version"],
        h.server.service.storage.schema_version().unwrap(),
        "{body}"
    );
    assert!(body["migration_version"].as_u64().unwrap() >= 1, "{body}");
    assert!(!body["node"].as_str().unwrap().is_empty(), "{body}");
}

on_both_backends!(
    health_names_the_node_the_database_and_its_migration_version,
    a_push_changes_the_next_read_and_a_rollback_restores_it,
    pushes_need_a_current_if_match_and_a_mapping_that_loads,
    the_unified_api_filters_sorts_pages_and_never_drops_a_failing_record,
    raw_records_page_by_cursor_and_syncs_are_incremental_with_events,
    syncs_ask_for_what_the_mappings_read,
    tokens_read_one_connection_and_keys_stop_working_when_revoked,
    connections_refuse_clear_text_urls_and_never_return_the_secret,
    lookups_read_the_connections_cached_records,
);
