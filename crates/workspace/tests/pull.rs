//! Pulls from the local Corrigo sandbox into a real workspace file.

use std::net::SocketAddr;
use unifield_corrigo_sandbox::{start, Config, Running};
use unifield_store::PullStatus;
use unifield_workspace::{ConnectionSettings, Endpoint, MemorySecrets, PullOptions, Workspace};

async fn sandbox(work_orders: usize, faults: &str) -> Running {
    let config = Config {
        work_orders,
        faults: faults.parse().unwrap(),
        ..Config::default()
    };
    start(config, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap()
}

fn workspace(dir: &std::path::Path, running: &Running) -> Workspace {
    let workspace = Workspace::open(dir, Box::new(MemorySecrets::default())).unwrap();
    let config = Config::default();
    let settings = ConnectionSettings {
        name: "sandbox".into(),
        company: config.company,
        endpoint: Endpoint::BaseUrl(running.base_url.clone()),
        client_id: config.client_id,
    };
    workspace
        .add_connection(&settings, &config.client_secret)
        .unwrap();
    workspace
}

#[tokio::test]
async fn a_pull_caches_every_record_and_a_second_pull_changes_nothing() {
    let running = sandbox(1_200, "").await;
    let dir = tempfile::tempdir().unwrap();
    let mut workspace = workspace(dir.path(), &running);
    let options = PullOptions {
        page_size: 250,
        ..PullOptions::default()
    };
    let mut seen = Vec::new();
    let first = workspace
        .pull("sandbox", "WorkOrder", &options, |pages, records| {
            seen.push((pages, records))
        })
        .await
        .unwrap();
    assert_eq!(
        (first.records, first.pages, first.status),
        (1_200, 5, PullStatus::Completed)
    );
    assert_eq!(first.outcome.inserted, 1_200);
    assert_eq!(seen.last(), Some(&(5, 1_200)));
    assert_eq!(
        workspace
            .store
            .record_count("sandbox", "WorkOrder")
            .unwrap(),
        1_200
    );
    let second = workspace
        .pull("sandbox", "WorkOrder", &options, |_, _| {})
        .await
        .unwrap();
    assert_eq!(
        (
            second.outcome.inserted,
            second.outcome.updated,
            second.outcome.unchanged
        ),
        (0, 0, 1_200)
    );
    let limited = workspace
        .pull(
            "sandbox",
            "WorkZone",
            &PullOptions {
                limit: Some(4),
                page_size: 3,
                ..PullOptions::default()
            },
            |_, _| {},
        )
        .await
        .unwrap();
    assert_eq!(limited.records, 4);
    running.stop().await;
}

#[tokio::test]
async fn revoked_credentials_end_the_run_as_reauthorization_required_and_keep_its_pages() {
    let running = sandbox(1_000, "revoke-after=3").await;
    let dir = tempfile::tempdir().unwrap();
    let mut workspace = workspace(dir.path(), &running);
    let options = PullOptions {
        page_size: 100,
        concurrency: 1,
        ..PullOptions::default()
    };
    let error = workspace
        .pull("sandbox", "WorkOrder", &options, |_, _| {})
        .await
        .unwrap_err();
    assert_eq!(error.code(), "reauthorization_required");
    let run = &workspace.store.pull_runs("sandbox").unwrap()[0];
    assert_eq!(run.status, PullStatus::ReauthorizationRequired);
    assert!(
        run.error.as_deref().unwrap().contains("reconnect"),
        "{:?}",
        run.error
    );
    assert_eq!(
        workspace
            .store
            .record_count("sandbox", "WorkOrder")
            .unwrap(),
        300,
        "the three committed pages stay"
    );
    assert_eq!(workspace.store.integrity_check().unwrap(), "ok");
    running.stop().await;
}

#[tokio::test]
async fn an_interrupted_pull_resumes_after_its_last_committed_page() {
    let running = sandbox(900, "").await;
    let dir = tempfile::tempdir().unwrap();
    let mut workspace = workspace(dir.path(), &running);
    // Interrupt: begin a run and commit one page by hand, as a killed pull leaves it.
    let run = workspace
        .store
        .begin_pull("sandbox", "WorkOrder", None, chrono::Utc::now())
        .unwrap();
    let page: Vec<(String, serde_json::Value)> = (10_001..=10_100)
        .map(|id| (id.to_string(), serde_json::json!({"Id": id})))
        .collect();
    workspace
        .store
        .commit_page(run.id, &page, Some("10100"), chrono::Utc::now())
        .unwrap();
    let options = PullOptions {
        resume: true,
        page_size: 200,
        ..PullOptions::default()
    };
    let resumed = workspace
        .pull("sandbox", "WorkOrder", &options, |_, _| {})
        .await
        .unwrap();
    assert!(resumed.resumed);
    assert_eq!(resumed.run_id, run.id);
    assert_eq!(resumed.records, 800, "only the records after the cursor");
    assert_eq!(
        workspace
            .store
            .record_count("sandbox", "WorkOrder")
            .unwrap(),
        900
    );
    running.stop().await;
}
