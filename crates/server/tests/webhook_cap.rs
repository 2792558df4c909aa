//! The security review's finding on the webhook endpoint cap: it was counted, then the
//! endpoint inserted, so creations at once could all see room and pass the cap (on
//! PostgreSQL from several nodes too). Now the count and the insert share a transaction
//! (under the organization's row lock on PostgreSQL), as connections and tokens do.
//! The race showed on PostgreSQL (these tests fail there with count-then-insert); on
//! SQLite, one writer connection, it did not show in these runs, and the test guards the
//! cap's behaviour there.

mod common;

use common::{assert_error, database_on, fast_settings, key_file, loopback, Db};
use reqwest::StatusCode;
use serde_json::{json, Value};
use unifield_server::{MasterKeySource, RunningServer, ServerConfig};

on_both_backends!(creations_at_once_fill_exactly_the_webhook_cap);

const CAP: usize = 4;

fn node_config(dir: &std::path::Path, data: &str, database: Option<String>) -> ServerConfig {
    let mut config = ServerConfig::new(loopback(), dir.join(data));
    config.database = database;
    config.key_source = MasterKeySource::File(dir.join("master.key"));
    config.settings = fast_settings();
    config.settings.webhooks.allow_insecure = true;
    config.settings.webhooks.max_endpoints_per_org = CAP;
    config.scheduler = false;
    config
}

/// `attempts` creations at once for the organization of `key`, spread over `nodes`; their
/// statuses and bodies.
async fn create_at_once(
    nodes: &[&RunningServer],
    key: &str,
    attempts: usize,
) -> Vec<(StatusCode, Value)> {
    let http = common::http_client();
    let requests = (0..attempts).map(|i| {
        let request = http
            .post(format!("{}/api/webhooks", nodes[i % nodes.len()].url))
            .bearer_auth(key)
            .json(&json!({"url": format!("http://127.0.0.1:9/hook{i}"), "events": ["sync.completed"]}));
        async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            (status, response.json::<Value>().await.unwrap())
        }
    });
    futures_util::future::join_all(requests).await
}

fn assert_exactly_the_cap(answers: &[(StatusCode, Value)]) {
    let created = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    assert_eq!(created, CAP, "{answers:?}");
    for (status, body) in answers {
        if *status != StatusCode::CREATED {
            assert_eq!(*status, StatusCode::CONFLICT, "{body}");
            assert_error(body, "webhook_limit_reached");
            assert!(
                body["message"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("at most {CAP}")),
                "{body}"
            );
        }
    }
}

async fn creations_at_once_fill_exactly_the_webhook_cap(db: Db) {
    let Some(database) = database_on(db) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    key_file(dir.path());
    let server = unifield_server::start(node_config(dir.path(), "data", database))
        .await
        .unwrap();
    let service = &server.service;
    // Several organizations, each filled from empty by creations at once: a race shows as
    // one of them holding more than the cap.
    for n in 0..6 {
        let name = format!("org{n}");
        let org = service.add_org(&name).unwrap();
        let key = service.create_key(&name, "key").unwrap().secret;
        let answers = create_at_once(&[&server], &key, 24).await;
        assert_exactly_the_cap(&answers);
        assert_eq!(service.webhooks(&org).unwrap().len(), CAP, "{name}");
        // Full: later creations are all refused.
        let answers = create_at_once(&[&server], &key, 4).await;
        assert!(
            answers.iter().all(|(s, _)| *s == StatusCode::CONFLICT),
            "{answers:?}"
        );
        assert_eq!(service.webhooks(&org).unwrap().len(), CAP, "{name}");
    }
    server.stop().await;
}

/// On PostgreSQL, creations at once on two nodes over one database.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_postgres_two_nodes_at_once_fill_exactly_the_webhook_cap() {
    let Some(Some(database)) = database_on(Db::Postgres) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    key_file(dir.path());
    let node_a = unifield_server::start(node_config(dir.path(), "data-a", Some(database.clone())))
        .await
        .unwrap();
    let node_b = unifield_server::start(node_config(dir.path(), "data-b", Some(database)))
        .await
        .unwrap();
    let acme = node_a.service.add_org("acme").unwrap();
    let key = node_a
        .service
        .create_key("acme", "acme key")
        .unwrap()
        .secret;
    let answers = create_at_once(&[&node_a, &node_b], &key, 16).await;
    assert_exactly_the_cap(&answers);
    assert_eq!(node_b.service.webhooks(&acme).unwrap().len(), CAP);
    node_a.stop().await;
    node_b.stop().await;
}
