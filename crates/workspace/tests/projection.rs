//! A pull asks Corrigo (here the sandbox) for what the workspace's mappings read, and the
//! workspace says when its cached records predate a mapping that reads more.

use chrono::Utc;
use std::net::SocketAddr;
use unifield_corrigo_sandbox::{start, Config, Running};
use unifield_workspace::{ConnectionSettings, Endpoint, MemorySecrets, PullOptions, Workspace};

async fn sandbox(work_orders: usize) -> Running {
    let config = Config {
        work_orders,
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

fn cached(workspace: &Workspace, entity: &str) -> Vec<serde_json::Value> {
    let mut records = Vec::new();
    workspace
        .store
        .for_each_record("sandbox", entity, |record| {
            records.push(record.value);
            true
        })
        .unwrap();
    records
}

#[tokio::test]
async fn a_pull_fetches_the_collections_the_mappings_read() {
    let running = sandbox(300).await;
    let dir = tempfile::tempdir().unwrap();
    let mut workspace = workspace(dir.path(), &running);
    let properties = workspace.pull_properties("WorkOrder").unwrap();
    assert_eq!(properties[0], "*", "{properties:?}");
    assert!(
        properties.contains(&"Items.*".to_string()),
        "{properties:?}"
    );
    let employees = workspace.pull_properties("Employee").unwrap();
    assert!(
        employees.contains(&"ContactAddresses.*".to_string()),
        "{employees:?}"
    );
    for entity in ["WorkOrder", "Employee"] {
        workspace
            .pull("sandbox", entity, &PullOptions::default(), |_, _| true)
            .await
            .unwrap();
    }
    let work_orders = cached(&workspace, "WorkOrder");
    assert_eq!(work_orders.len(), 300);
    let seeded = unifield_corrigo_seed::Company::generate(
        Config::default().seed,
        unifield_corrigo_seed::Scale {
            work_orders: 300,
            ..unifield_corrigo_seed::Scale::SAMPLES
        },
    );
    let with_items = |records: &[serde_json::Value]| {
        records
            .iter()
            .filter(|r| r["Items"].as_array().is_some_and(|i| !i.is_empty()))
            .count()
    };
    let seeded_with_items = with_items(&seeded.records("WorkOrder").unwrap());
    assert!(seeded_with_items > 0);
    assert_eq!(
        with_items(&work_orders),
        seeded_with_items,
        "every pulled work order carries its task lines"
    );
    let employees = cached(&workspace, "Employee");
    assert!(
        employees
            .iter()
            .filter(|r| r["ContactAddresses"]
                .as_array()
                .is_some_and(|a| !a.is_empty()))
            .count()
            > employees.len() / 2,
        "pulled employees carry their e-mail and phone"
    );
    assert_eq!(
        workspace.unpulled_reads("sandbox", "WorkOrder").unwrap(),
        vec![],
        "a pull made with the current mappings misses nothing"
    );
}

#[tokio::test]
async fn a_mapping_saved_to_read_more_is_flagged_until_the_next_pull() {
    let running = sandbox(120).await;
    let dir = tempfile::tempdir().unwrap();
    let mut workspace = workspace(dir.path(), &running);
    workspace
        .pull("sandbox", "WorkOrder", &PullOptions::default(), |_, _| true)
        .await
        .unwrap();
    let mut mapping: serde_json::Value = serde_json::from_str(
        unifield_bundle::MAPPINGS
            .iter()
            .find(|m| m.file == "work_order.json")
            .unwrap()
            .text,
    )
    .unwrap();
    // `get` takes all of LastAction, which `*` gives only as its Id.
    mapping["custom"]["lastAction"] =
        serde_json::json!({"path": "$.LastAction", "steps": [{"fn": "get", "path": "$.Id"}]});
    workspace
        .store
        .save_mapping("work_order", &mapping.to_string(), None, Utc::now())
        .unwrap();
    let missing = workspace.unpulled_reads("sandbox", "WorkOrder").unwrap();
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert_eq!(
        (missing[0].mapping.as_str(), missing[0].property.as_str()),
        ("work_order", "LastAction.*")
    );
    assert!(workspace
        .pull_properties("WorkOrder")
        .unwrap()
        .contains(&"LastAction.*".to_string()));
    workspace
        .pull("sandbox", "WorkOrder", &PullOptions::default(), |_, _| true)
        .await
        .unwrap();
    assert_eq!(
        workspace.unpulled_reads("sandbox", "WorkOrder").unwrap(),
        vec![],
        "the new pull asked for LastAction.*"
    );
}

#[tokio::test]
async fn an_unsaved_studio_draft_that_reads_more_is_fetched_by_the_next_pull() {
    let running = sandbox(50).await;
    let dir = tempfile::tempdir().unwrap();
    let workspace = workspace(dir.path(), &running);
    let mut draft: serde_json::Value = serde_json::from_str(
        unifield_bundle::MAPPINGS
            .iter()
            .find(|m| m.file == "work_order.json")
            .unwrap()
            .text,
    )
    .unwrap();
    draft["custom"]["lastAction"] =
        serde_json::json!({"path": "$.LastAction", "steps": [{"fn": "get", "path": "$.Id"}]});
    let path = unifield_workspace::draft_path(dir.path(), "work_order");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, draft.to_string()).unwrap();
    let properties = workspace.pull_properties("WorkOrder").unwrap();
    assert!(
        properties.contains(&"LastAction.*".to_string())
            && properties.contains(&"Items.*".to_string()),
        "the draft's reads and the saved mapping's: {properties:?}"
    );
    // A draft that does not load adds nothing (the studio shows its problems).
    std::fs::write(&path, "{").unwrap();
    assert!(!workspace
        .pull_properties("WorkOrder")
        .unwrap()
        .contains(&"LastAction.*".to_string()));
}
