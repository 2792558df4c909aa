//! Waits the person at the screen can end (issue 10): a connection test has its own
//! short budget, and cancelling a pull reaches the request in flight, not only the next
//! page. Both run against the sandbox made to answer after a minute.

use std::net::SocketAddr;
use std::time::Duration;
use unifield_corrigo_sandbox::{start, Config, Running};
use unifield_store::PullStatus;
use unifield_workspace::{
    Cancellation, ConnectionSettings, Endpoint, MemorySecrets, PullOptions, Workspace, CHECK_BUDGET,
};

async fn slow_sandbox() -> Running {
    let config = Config {
        work_orders: 50,
        faults: "latency-ms=60000".parse().unwrap(),
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

/// Fails the test instead of hanging it (the sandbox answers after 60 s).
async fn guarded<T>(work: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(30), work)
        .await
        .expect("bounded")
}

#[tokio::test]
async fn a_connection_test_gives_up_within_its_budget() {
    assert!(CHECK_BUDGET <= Duration::from_secs(15));
    let running = slow_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let workspace = workspace(dir.path(), &running);
    let client = workspace.client("sandbox").unwrap();
    let error = guarded(Workspace::check_within(&client, Duration::from_millis(300)))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "connection_test_timed_out", "{error}");
    running.stop().await;
}

#[tokio::test]
async fn cancelling_a_pull_ends_the_request_in_flight() {
    let running = slow_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let mut workspace = workspace(dir.path(), &running);
    let cancel = Cancellation::default();
    let options = PullOptions {
        cancel: Some(cancel.clone()),
        ..PullOptions::default()
    };
    let canceller = {
        let cancel = cancel.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            cancel.cancel();
        }
    };
    let (pulled, ()) = guarded(async {
        tokio::join!(
            workspace.pull("sandbox", "WorkOrder", &options, |_, _| true),
            canceller
        )
    })
    .await;
    let summary = pulled.unwrap();
    assert_eq!(summary.status, PullStatus::Cancelled);
    assert_eq!(summary.records, 0);
    let run = workspace.store.pull_run(summary.run_id).unwrap();
    assert_eq!(run.status, PullStatus::Cancelled, "resumable later");
    running.stop().await;
}

#[tokio::test]
async fn a_second_pull_cannot_resume_the_run_a_live_pull_holds() {
    let running = slow_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let mut first = workspace(dir.path(), &running);
    // The studio and the CLI: two handles on one workspace.
    let mut second = first.reopen().unwrap();
    let cancel = Cancellation::default();
    let holding = PullOptions {
        cancel: Some(cancel.clone()),
        ..PullOptions::default()
    };
    let resuming = PullOptions {
        resume: true,
        ..PullOptions::default()
    };
    let (held, refused) = guarded(async {
        tokio::join!(
            first.pull("sandbox", "WorkOrder", &holding, |_, _| true),
            async {
                // Once the first pull waits on Corrigo, try to take its run.
                tokio::time::sleep(Duration::from_millis(200)).await;
                let refused = second
                    .pull("sandbox", "WorkOrder", &resuming, |_, _| true)
                    .await;
                cancel.cancel();
                refused
            }
        )
    })
    .await;
    let error = refused.unwrap_err();
    assert_eq!(error.code(), "pull_in_progress", "{error}");
    let held = held.unwrap();
    assert_eq!(held.status, PullStatus::Cancelled);
    assert_eq!(
        first.store.pull_runs("sandbox").unwrap().len(),
        1,
        "no second run was started beside it"
    );
    running.stop().await;
}
