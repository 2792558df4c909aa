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
    let workspace = Workspace::open(dir, std::sync::Arc::new(MemorySecrets::default())).unwrap();
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
            seen.push((pages, records));
            true
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
        .pull("sandbox", "WorkOrder", &options, |_, _| true)
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
            |_, _| true,
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
        .pull("sandbox", "WorkOrder", &options, |_, _| true)
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
        .pull("sandbox", "WorkOrder", &options, |_, _| true)
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

#[tokio::test]
async fn the_issues_faulty_pull_ends_with_exactly_the_sandboxs_records_in_the_store() {
    let running = sandbox(10_000, "429=0.10,500=0.05,token-ttl-s=30,truncate=0.01").await;
    let dir = tempfile::tempdir().unwrap();
    let mut workspace = workspace(dir.path(), &running);
    let summary = workspace
        .pull("sandbox", "WorkOrder", &PullOptions::default(), |_, _| true)
        .await
        .unwrap();
    assert_eq!(summary.records, 10_000, "delivered once each");
    assert_eq!(
        workspace
            .store
            .record_count("sandbox", "WorkOrder")
            .unwrap(),
        10_000
    );
    let mut ids = Vec::new();
    workspace
        .store
        .for_each_record("sandbox", "WorkOrder", |r| {
            ids.push(r.value["Id"].as_i64().unwrap());
            true
        })
        .unwrap();
    ids.sort_unstable();
    assert_eq!(ids, (10_001..=20_000).collect::<Vec<_>>());
    running.stop().await;
}

#[tokio::test]
async fn records_created_and_changed_mid_pull_are_neither_lost_nor_duplicated() {
    use serde_json::json;
    use unifield_corrigo_client::{
        Client, Credentials, Endpoint as ApiEndpoint, Filter, Operator, Options, QueryExpression,
    };
    let running = sandbox(3_000, "latency-ms=10").await;
    let dir = tempfile::tempdir().unwrap();
    let mut workspace = workspace(dir.path(), &running);
    let config = Config::default();
    let other = Client::new(
        Credentials {
            company: config.company,
            client_id: config.client_id,
            client_secret: config.client_secret,
            endpoint: ApiEndpoint::BaseUrl(running.base_url.clone()),
        },
        Options::default(),
    )
    .unwrap();
    let new_ones = other
        .query(
            "WorkOrder",
            &QueryExpression::default()
                .properties(&["Id"])
                .criteria(Filter::and().condition("StatusId", Operator::Equal, &["New"]))
                .page(0, 40),
        )
        .await
        .unwrap();
    // Another user works while the pull runs: creates work orders, picks up new ones.
    let mutate = async {
        let mut created = 0;
        for (n, record) in new_ones.iter().enumerate() {
            other
                .command("WoPickUpCommand", json!({"WorkOrderId": record["Id"]}))
                .await
                .unwrap();
            if n % 2 == 0 {
                other.command("Workorder/Create", json!({"WorkOrder": {"Items": [{"Asset": {"Id": 2003}, "Task": {"Id": 14000}}], "TypeCategory": 4, "WorkZone": {"Id": 1}}})).await.unwrap();
                created += 1;
            }
        }
        created
    };
    let options = PullOptions {
        page_size: 100,
        concurrency: 2,
        ..PullOptions::default()
    };
    let (pulled, created) = tokio::join!(
        workspace.pull("sandbox", "WorkOrder", &options, |_, _| true),
        mutate
    );
    let summary = pulled.unwrap();
    let cached = workspace
        .store
        .record_count("sandbox", "WorkOrder")
        .unwrap();
    assert_eq!(summary.records, cached, "no record was delivered twice");
    let mut originals = 0;
    workspace
        .store
        .for_each_record("sandbox", "WorkOrder", |r| {
            originals += u64::from(r.value["Id"].as_i64().unwrap() <= 13_000);
            true
        })
        .unwrap();
    assert_eq!(
        originals, 3_000,
        "every record that existed when the pull began is there"
    );
    assert!(
        cached <= 3_000 + created,
        "{cached} cached, {created} created"
    );
    running.stop().await;
}

#[tokio::test]
async fn since_pulls_only_records_changed_at_or_after_it() {
    let running = sandbox(600, "").await;
    let dir = tempfile::tempdir().unwrap();
    let mut workspace = workspace(dir.path(), &running);
    let since = "2024-01-01T00:00:00";
    let options = PullOptions {
        since: Some(since.into()),
        ..PullOptions::default()
    };
    let summary = workspace
        .pull("sandbox", "WorkOrder", &options, |_, _| true)
        .await
        .unwrap();
    let mut changed = Vec::new();
    workspace
        .store
        .for_each_record("sandbox", "WorkOrder", |r| {
            changed.push(r.value["LastActionDateUtc"].as_str().unwrap().to_string());
            true
        })
        .unwrap();
    assert!(
        summary.records > 0 && summary.records < 600,
        "{}",
        summary.records
    );
    assert!(
        changed.iter().all(|at| at.as_str() >= since),
        "only records changed since {since}"
    );
    assert_eq!(
        workspace.store.pull_runs("sandbox").unwrap()[0]
            .since
            .as_deref(),
        Some(since)
    );
    running.stop().await;
}

#[tokio::test]
async fn a_cancelled_pull_keeps_its_pages_and_a_resumed_pull_finishes_it() {
    let running = sandbox(900, "").await;
    let dir = tempfile::tempdir().unwrap();
    let mut workspace = workspace(dir.path(), &running);
    let options = PullOptions {
        page_size: 100,
        concurrency: 1,
        ..PullOptions::default()
    };
    // Cancel after the second committed page.
    let cancelled = workspace
        .pull("sandbox", "WorkOrder", &options, |pages, _| pages < 2)
        .await
        .unwrap();
    assert_eq!(cancelled.status, PullStatus::Cancelled);
    assert_eq!(cancelled.records, 200);
    assert_eq!(
        workspace
            .store
            .record_count("sandbox", "WorkOrder")
            .unwrap(),
        200
    );
    let run = workspace.store.pull_run(cancelled.run_id).unwrap();
    assert_eq!(run.status, PullStatus::Cancelled);

    let resumed = workspace
        .pull(
            "sandbox",
            "WorkOrder",
            &PullOptions {
                resume: true,
                ..options
            },
            |_, _| true,
        )
        .await
        .unwrap();
    assert!(resumed.resumed);
    assert_eq!(resumed.run_id, cancelled.run_id);
    assert_eq!(resumed.status, PullStatus::Completed);
    assert_eq!(resumed.records, 700);
    assert_eq!(
        workspace
            .store
            .record_count("sandbox", "WorkOrder")
            .unwrap(),
        900
    );
    running.stop().await;
}
