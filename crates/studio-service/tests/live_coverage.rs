//! Coverage over a connection's pulled records: what the studio says when the cached
//! records predate a mapping that reads more.

use serde_json::Value;
use std::sync::Arc;
use unifield_studio_service::types::{NewConnection, RecordSource};
use unifield_studio_service::{Cancel, Studio};
use unifield_workspace::MemorySecrets;

async fn studio_with_pulled_work_orders(
    dir: &std::path::Path,
) -> (Studio, unifield_corrigo_sandbox::Running) {
    let config = unifield_corrigo_sandbox::Config {
        work_orders: 200,
        ..Default::default()
    };
    let running = unifield_corrigo_sandbox::start(config.clone(), ([127, 0, 0, 1], 0).into())
        .await
        .unwrap();
    let mut studio = Studio::open(dir, Arc::new(MemorySecrets::default())).unwrap();
    studio
        .add_connection(&NewConnection {
            name: "sandbox".into(),
            company: config.company,
            region: None,
            base_url: Some(running.base_url.clone()),
            client_id: config.client_id,
            secret: config.client_secret,
        })
        .unwrap();
    let job = studio.pull_job("sandbox", &["WorkOrder".into()]).unwrap();
    let report = job.run(1, Cancel::default(), |_| {}).await.unwrap();
    assert_eq!(report.entities[0].records, 200, "{report:?}");
    (studio, running)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coverage_says_which_reads_the_cached_records_were_pulled_without() {
    let dir = tempfile::tempdir().unwrap();
    let (mut studio, _running) = studio_with_pulled_work_orders(dir.path()).await;
    let source = RecordSource::Connection {
        name: "sandbox".into(),
    };
    let text = studio.mapping("work_order").unwrap().saved_text;
    let report = studio
        .coverage(&source, &text, &Cancel::default(), |_, _| {})
        .unwrap();
    assert_eq!(report.records, 200);
    // Only work orders were pulled: keys to sites, assets, users… cannot be checked yet.
    let site = report.keys.iter().find(|k| k.field == "siteKey").unwrap();
    assert!(!site.checked && site.values == 200, "{site:?}");
    assert!(
        report.unpulled.is_empty(),
        "pulled with the mapping as it is: {:?}",
        report.unpulled
    );

    // An edit that reads all of LastAction, which `*` gives only as its Id.
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    doc["custom"]["lastAction"] =
        serde_json::json!({"path": "$.LastAction", "steps": [{"fn": "get", "path": "$.Id"}]});
    let edited = serde_json::to_string_pretty(&doc).unwrap();
    let report = studio
        .coverage(&source, &edited, &Cancel::default(), |_, _| {})
        .unwrap();
    assert_eq!(report.unpulled, vec!["LastAction.*".to_string()]);

    let samples = studio
        .coverage(
            &RecordSource::Samples,
            &edited,
            &Cancel::default(),
            |_, _| {},
        )
        .unwrap();
    assert!(samples.unpulled.is_empty());
}

#[test]
fn coverage_on_the_samples_resolves_every_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut studio = Studio::open(dir.path(), Arc::new(MemorySecrets::default())).unwrap();
    let text = studio.mapping("work_order").unwrap().saved_text;
    let report = studio
        .coverage(&RecordSource::Samples, &text, &Cancel::default(), |_, _| {})
        .unwrap();
    let fields: Vec<&str> = report.keys.iter().map(|k| k.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "siteKey",
            "assetKey",
            "locationKey",
            "customerKey",
            "laborAssignedKey",
            "vendorKey"
        ]
    );
    for key in &report.keys {
        assert!(key.checked && key.values > 0, "{key:?}");
        assert_eq!(key.resolved, key.values, "{key:?}");
        assert!(key.dangling_examples.is_empty(), "{key:?}");
    }
}
