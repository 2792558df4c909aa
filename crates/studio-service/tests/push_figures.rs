//! The push loop's figures at 10,000 cached work orders, each against a baseline measured in
//! the same run (no timed assertions): the push dialog's diff and impact against one
//! coverage run over the same records, and push + verify against one plain GET of the
//! active mapping. Run it on an optimised build:
//!
//! cargo test --release -p unifield-studio-service --test push_figures -- --ignored --nocapture

use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use unifield_studio_service::servers::{self, NewServer};
use unifield_studio_service::types::RecordSource;
use unifield_studio_service::{Cancel, Studio};
use unifield_workspace::MemorySecrets;

const WORK_ORDERS: usize = 10_000;
const ROUNDS: usize = 5;

fn key_file(dir: &std::path::Path) -> std::path::PathBuf {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let path = dir.join("master.key");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .unwrap();
    file.write_all(b"1f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0")
        .unwrap();
    path
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: run with --ignored --nocapture on a release build"]
async fn push_dialog_and_round_trip_at_ten_thousand_records() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox_config = unifield_corrigo_sandbox::Config {
        work_orders: WORK_ORDERS,
        ..Default::default()
    };
    let sandbox = unifield_corrigo_sandbox::start(
        sandbox_config.clone(),
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .unwrap();
    let mut config = unifield_server::ServerConfig::new(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        dir.path().join("server"),
    );
    config.key_source = unifield_server::MasterKeySource::File(key_file(dir.path()));
    config.scheduler = false;
    // The sandbox is http:// on 127.0.0.1 (`serve --allow-loopback-connections`).
    config.settings.allow_loopback_connections = true;
    let server = unifield_server::start(config).await.unwrap();
    let service = &server.service;
    let org = service.add_org("figures").unwrap();
    let api_key = service.create_key("figures", "figures key").unwrap().secret;
    let connection = service
        .add_connection(
            &org,
            unifield_server::service::ConnectionInput {
                name: "Sandbox".into(),
                company: sandbox_config.company.clone(),
                region: None,
                base_url: Some(sandbox.base_url.clone()),
                client_id: sandbox_config.client_id.clone(),
                client_secret: sandbox_config.client_secret.clone(),
            },
        )
        .unwrap();
    let synced = service.sync_connection(&org, &connection.id).await.unwrap();
    assert_eq!(synced.status, "completed", "{synced:?}");

    let workspace = tempfile::tempdir().unwrap();
    let mut studio = Studio::open(workspace.path(), Arc::new(MemorySecrets::default())).unwrap();
    studio
        .add_server(&NewServer {
            name: "figures".into(),
            url: server.url.clone(),
            api_key,
        })
        .await
        .unwrap();
    let client = studio.server_client("figures").unwrap();
    let (cache, report) = studio
        .server_pull_job(client.clone(), "figures", &connection.id, &[])
        .unwrap()
        .run(1, Cancel::default(), |_| {})
        .await
        .unwrap();
    assert!(!report.cancelled);
    let source = RecordSource::Connection { name: cache };
    let active = servers::active_mapping(&client, &connection.id, "WorkOrder")
        .await
        .unwrap();
    let text = {
        let mut doc: Value = serde_json::from_str(&active.text).unwrap();
        doc["custom"]["pushedNumber"] = json!({"path": "$.Number"});
        serde_json::to_string_pretty(&doc).unwrap()
    };

    // The dialog from cold: the active mapping over HTTP, records off the disk, diff, impact.
    let cold = Instant::now();
    let active = servers::active_mapping(&client, &connection.id, "WorkOrder")
        .await
        .unwrap();
    let preview = studio.push_preview(&source, &text, &active, None).unwrap();
    let cold = cold.elapsed();
    assert_eq!(preview.records as usize, WORK_ORDERS);
    assert!(preview
        .impact
        .iter()
        .any(|f| f.field == "custom.pushedNumber" && f.changed as usize == WORK_ORDERS));

    let mut dialog = Vec::new();
    let mut coverage = Vec::new();
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let active = servers::active_mapping(&client, &connection.id, "WorkOrder")
            .await
            .unwrap();
        studio.push_preview(&source, &text, &active, None).unwrap();
        dialog.push(started.elapsed());
        let started = Instant::now();
        studio
            .coverage(&source, &text, &Cancel::default(), |_, _| {})
            .unwrap();
        coverage.push(started.elapsed());
    }

    // Push + verify (the studio's record, the server's, compared) against one plain GET.
    let record_id = studio.list_records(&source, "WorkOrder", "").unwrap().rows[0]
        .id
        .clone();
    let mut round_trip = Vec::new();
    let mut get = Vec::new();
    let mut version = active.version;
    for round in 0..ROUNDS {
        let text = {
            let mut doc: Value = serde_json::from_str(&text).unwrap();
            doc["custom"]["round"] = json!({"const": round});
            serde_json::to_string_pretty(&doc).unwrap()
        };
        let started = Instant::now();
        let (pushed, _) = servers::push(&client, &connection.id, &text, version, None)
            .await
            .unwrap();
        let ours = studio.studio_record(&source, &text, &record_id).unwrap();
        let verified = servers::verify(&client, &connection.id, "WorkOrder", &record_id, &ours)
            .await
            .unwrap();
        round_trip.push(started.elapsed());
        assert!(verified.matches, "{:?}", verified.differences);
        assert_eq!(verified.mapping_version, pushed);
        version = pushed;
        let started = Instant::now();
        servers::active_mapping(&client, &connection.id, "WorkOrder")
            .await
            .unwrap();
        get.push(started.elapsed());
    }

    let (dialog, coverage) = (median(dialog), median(coverage));
    let (round_trip, get) = (median(round_trip), median(get));
    println!(
        "push dialog at {WORK_ORDERS} records: cold {:.0} ms; warm median {:.0} ms vs one coverage run {:.0} ms (ratio {:.2})",
        ms(cold),
        ms(dialog),
        ms(coverage),
        dialog.as_secs_f64() / coverage.as_secs_f64()
    );
    println!(
        "push + verify round trip: median {:.1} ms vs one GET of the active mapping {:.1} ms (ratio {:.1})",
        ms(round_trip),
        ms(get),
        round_trip.as_secs_f64() / get.as_secs_f64()
    );
    sandbox.stop().await;
}
