//! The studio's re-preview: re-apply the default work-order mapping (and recount
//! coverage) over 10,000 in-memory Corrigo work orders, as after every mapping edit.
//! Target: ≤ 50 ms. The baseline in the same run clones every record, the least work
//! that touches each one, so the ratio says what the engine adds.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use serde_json::Value;
use unifield_corrigo_seed::{Company, Scale};
use unifield_engine::{load, Coverage, Related};

const RECORDS: usize = 10_000;

fn reapply(c: &mut Criterion) {
    let company = Company::generate(
        2026,
        Scale {
            work_orders: RECORDS,
            ..Scale::SAMPLES
        },
    );
    // Records reach the studio's preview parsed from their cached JSON, so the bench
    // parses them the same way rather than keeping the generator's values.
    let records: Vec<Value> = company
        .work_orders()
        .map(|r| serde_json::from_str(&r.to_string()).expect("generated records are JSON"))
        .collect();
    let mapping = load(
        include_str!("../../../mappings/corrigo/work_order.json"),
        None,
    )
    .expect("default mapping loads");
    let related = Related::default();

    let mut group = c.benchmark_group("re-preview 10,000 work orders");
    group.sample_size(20);
    group.bench_function("baseline: clone each record", |b| {
        b.iter(|| {
            for record in &records {
                black_box(record.clone());
            }
        })
    });
    group.bench_function("apply work_order.json", |b| {
        b.iter(|| {
            for record in &records {
                black_box(mapping.apply(record, &related));
            }
        })
    });
    group.bench_function("apply + coverage", |b| {
        b.iter(|| {
            let mut coverage = Coverage::new(&mapping);
            for record in &records {
                coverage.add(&mapping.apply(record, &related));
            }
            coverage.finish();
            black_box(coverage)
        })
    });
    group.finish();
}

criterion_group!(benches, reapply);
criterion_main!(benches);
