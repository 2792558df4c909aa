//! Store insert rate (issue 3 target: at least 50,000 records/s): 10,000 generated
//! Corrigo work orders committed in pages of 500, as a pull does, into a fresh workspace
//! file. The baseline in the same run serializes the same records to JSON, the least
//! work any store of them must do.

use chrono::Utc;
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use serde_json::Value;
use unifield_corrigo_seed::{Company, Scale};
use unifield_store::{ConnectionSettings, Endpoint, Store};

const RECORDS: usize = 10_000;
const PAGE: usize = 500;

fn insert(c: &mut Criterion) {
    let company = Company::generate(
        2026,
        Scale {
            work_orders: RECORDS,
            ..Scale::SAMPLES
        },
    );
    let pages: Vec<Vec<(String, Value)>> = company
        .work_orders()
        .map(|wo| (wo["Id"].to_string(), wo))
        .collect::<Vec<_>>()
        .chunks(PAGE)
        .map(<[_]>::to_vec)
        .collect();

    let mut group = c.benchmark_group("store 10,000 work orders");
    group.throughput(Throughput::Elements(RECORDS as u64));
    group.sample_size(10);
    group.bench_function("baseline: serialize to JSON", |b| {
        b.iter(|| {
            for page in &pages {
                for (_, record) in page {
                    black_box(serde_json::to_string(record).unwrap());
                }
            }
        })
    });
    group.bench_function("commit pages of 500 to a fresh workspace", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().unwrap();
                let store = Store::open(dir.path()).unwrap();
                let settings = ConnectionSettings {
                    name: "bench".into(),
                    company: "Asurion".into(),
                    endpoint: Endpoint::BaseUrl("http://127.0.0.1:1".into()),
                    client_id: "bench".into(),
                };
                store.add_connection(&settings, Utc::now()).unwrap();
                let run = store
                    .begin_pull("bench", "WorkOrder", None, Utc::now())
                    .unwrap();
                (dir, store, run.id)
            },
            |(dir, mut store, run)| {
                for page in &pages {
                    store.commit_page(run, page, None, Utc::now()).unwrap();
                }
                (dir, store)
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, insert);
criterion_main!(benches);
