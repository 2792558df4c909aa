//! The studio's hot paths on 10,000 cached work orders, through the service exactly as
//! the Tauri commands call it: re-preview of the selected record after an edit (target
//! ≤ 50 ms) and coverage over every record (target ≤ 500 ms). Each has a baseline in
//! the same run: loading the mapping alone, and parsing every record once (coverage
//! parses each record too, projected to the members the mapping reads). Memory is
//! measured on the running studio by the end-to-end test.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use serde_json::Value;
use std::sync::Arc;
use unifield_corrigo_seed::{Company, Scale};
use unifield_studio_service::types::RecordSource;
use unifield_studio_service::{Cancel, Studio};
use unifield_workspace::{ConnectionSettings, Endpoint, MemorySecrets, Workspace};

const RECORDS: usize = 10_000;

/// A workspace whose connection `bench` caches 10,000 generated work orders.
fn workspace(dir: &std::path::Path) {
    let secrets = Arc::new(MemorySecrets::default());
    let mut workspace = Workspace::open(dir, secrets).unwrap();
    let settings = ConnectionSettings {
        name: "bench".into(),
        company: "Bench".into(),
        endpoint: Endpoint::BaseUrl("http://127.0.0.1:9".into()),
        client_id: "bench".into(),
    };
    workspace.add_connection(&settings, "secret").unwrap();
    let company = Company::generate(
        2026,
        Scale {
            work_orders: RECORDS,
            ..Scale::SAMPLES
        },
    );
    let run = workspace
        .store
        .begin_pull("bench", "WorkOrder", None, chrono::Utc::now())
        .unwrap();
    let page: Vec<(String, Value)> = company
        .work_orders()
        .map(|r| (r["Id"].to_string(), r.clone()))
        .collect();
    workspace
        .store
        .commit_page(run.id, &page, None, chrono::Utc::now())
        .unwrap();
}

fn studio(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    workspace(dir.path());
    let mut studio = Studio::open(dir.path(), Arc::new(MemorySecrets::default())).unwrap();
    let source = RecordSource::Connection {
        name: "bench".into(),
    };
    let list = studio.list_records(&source, "WorkOrder", "").unwrap();
    assert_eq!(list.total as usize, RECORDS);
    let id = list.rows[RECORDS / 2].id.clone();
    studio.record_tree(&source, "WorkOrder", &id).unwrap();

    let text = studio.mapping("work_order").unwrap().saved_text;
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    doc["fields"]["instructions"] =
        serde_json::json!({"path": "$.ShortLocation", "steps": ["upper"]});
    let edited = serde_json::to_string_pretty(&doc).unwrap();
    let records = studio.list_records(&source, "WorkOrder", "").unwrap();
    assert_eq!(records.rows.len(), RECORDS);

    let mut group = c.benchmark_group("studio on 10,000 cached work orders");
    group.sample_size(20);
    group.bench_function("baseline: load the edited mapping", |b| {
        b.iter(|| black_box(unifield_engine::load(&edited, None).unwrap()))
    });
    group.bench_function("re-preview the selected record after an edit", |b| {
        b.iter(|| black_box(studio.preview(&source, &edited, &id).unwrap()))
    });
    let held = studio.records(&source, "WorkOrder").unwrap();
    group.bench_function("baseline: parse every record", |b| {
        b.iter(|| {
            for record in held.parsed(None) {
                black_box(record);
            }
        })
    });
    group.bench_function("coverage over every record", |b| {
        b.iter(|| {
            black_box(
                studio
                    .coverage(&source, &edited, &Cancel::default(), |_, _| {})
                    .unwrap(),
            )
        })
    });
    group.bench_function("search the records", |b| {
        b.iter(|| {
            black_box(
                studio
                    .list_records(&source, "WorkOrder", "elevator open")
                    .unwrap(),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, studio);
criterion_main!(benches);
