//! A push is seen by every read that starts after the push returned: rounds of push then
//! many concurrent reads, none allowed to see an older version (no stale compiled mapping).

mod common;

use common::Harness;
use reqwest::StatusCode;
use std::sync::Arc;

const ROUNDS: usize = 60;
const READERS: usize = 16;

async fn every_read_after_a_push_sees_it(db: common::Db) {
    let Some(h) = Harness::start_on(db, 50, "").await else {
        return;
    };
    let h = Arc::new(h);
    let (org, key) = h.org("acme");
    let connection = h.synced_connection(&key, &org).await;
    let (base, _) = h.mapping(&key, &connection, "WorkOrder").await;
    let list = format!("/api/connections/{connection}/eam/work-orders?per_page=5");
    let mut stale = 0;
    for round in 1..=ROUNDS {
        h.push_round(&key, &connection, &base, round).await;
        let mut readers = tokio::task::JoinSet::new();
        for _ in 0..READERS {
            let h = Arc::clone(&h);
            let key = key.clone();
            let list = list.clone();
            readers.spawn(async move { h.get(&list, &key).await });
        }
        while let Some(read) = readers.join_next().await {
            let (status, page) = read.unwrap();
            assert_eq!(status, StatusCode::OK);
            let version = page["meta"]["mapping_version"].as_u64().unwrap() as usize;
            let marker = page["data"][0]["customFields"]["round"].as_u64().unwrap() as usize;
            if version != round || marker != round {
                stale += 1;
            }
        }
    }
    assert_eq!(
        stale,
        0,
        "{stale} of {} reads saw an older version",
        ROUNDS * READERS
    );
}

on_both_backends!(every_read_after_a_push_sees_it,);
