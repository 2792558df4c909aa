//! Two server nodes on one PostgreSQL database: what one node writes, the other's very
//! next request reads (no node-local cache can be stale). PostgreSQL only: one SQLite file
//! has one server. Without PostgreSQL the test prints SKIPPED.

mod common;

use common::{Db, Harness};
use reqwest::StatusCode;
use serde_json::Value;

const ROUNDS: usize = 30;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_push_on_one_node_is_read_by_the_other_nodes_next_request() {
    let Some((h, Some(database))) = Harness::start_on_database(Db::Postgres, 120, "").await else {
        return;
    };
    let node_b = h.second_node(&database).await;
    let (org, key) = h.org("acme");
    let connection = h.synced_connection(&key, &org).await;
    let on_b = |path: &str| format!("{}{path}", node_b.url);
    let list = format!("/api/connections/{connection}/eam/work-orders?per_page=5");

    // Node B authenticates the key node A's service made and serves A's sync, counts
    // included (nothing counted and kept per node).
    let page: Value = h
        .http
        .get(on_b(&format!("{list}&page=24")))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["meta"]["total"], 120, "{page}");
    assert_eq!(page["data"].as_array().unwrap().len(), 5, "{page}");

    let (base, _) = h.mapping(&key, &connection, "WorkOrder").await;
    let mut stale = 0;
    for round in 1..=ROUNDS {
        // Pushed on A (the harness's node)…
        h.push_round(&key, &connection, &base, round).await;
        // …read on B right after.
        let response = h
            .http
            .get(on_b(&list))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let page: Value = response.json().await.unwrap();
        let version = page["meta"]["mapping_version"].as_u64().unwrap() as usize;
        let marker = page["data"][0]["customFields"]["round"].as_u64().unwrap() as usize;
        if version != round || marker != round {
            stale += 1;
        }
    }
    assert_eq!(
        stale, 0,
        "{stale} of {ROUNDS} reads on node B saw an older version"
    );

    // A key revoked through A stops working on B at the next request.
    let keys = h.server.service.keys("acme").unwrap();
    h.server.service.revoke_key("acme", &keys[0].id).unwrap();
    let response = h
        .http
        .get(on_b(&list))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    node_b.stop().await;
}
