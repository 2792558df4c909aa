//! Live = offline: records pulled from the sandbox (seeded like the bundled samples) give
//! every default mapping the same coverage as the samples do, field by field and key by
//! key. A pull that left out what a mapping reads (collections under `*`, a reference's
//! TypeId) would show here as lower coverage than the samples promise.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use unifield_bundle::{produced_keys, sample_records, MAPPINGS, SAMPLE_SEED};
use unifield_corrigo_sandbox::{start, Config};
use unifield_engine::{Coverage, Related};
use unifield_workspace::{ConnectionSettings, Endpoint, MemorySecrets, PullOptions, Workspace};

/// Per field: filled, null, error, unmapped source values, and every value it took
/// with its count (so a `taskCount` of 0 for every pulled record, where `Items` was left
/// out, differs from the samples' counts even though both are "filled").
type FieldSummary = (
    usize,
    usize,
    usize,
    BTreeMap<String, usize>,
    BTreeMap<String, usize>,
);

/// What is compared: per field, and per key field (values, resolved, dangling, checked).
type Summary = (
    BTreeMap<String, FieldSummary>,
    BTreeMap<String, (usize, usize, usize, bool)>,
);

fn summarise(
    mapping: &unifield_engine::Mapping,
    records: &[serde_json::Value],
    records_of: impl FnMut(&str) -> Vec<serde_json::Value>,
) -> (usize, Summary) {
    let related = Related::default();
    let mut coverage = Coverage::new(mapping);
    let mut taken: Vec<BTreeMap<String, usize>> = vec![BTreeMap::new(); mapping.fields.len()];
    for record in records {
        let applied = mapping.apply(record, &related);
        if applied.taken {
            for (values, value) in taken.iter_mut().zip(&applied.values) {
                *values.entry(value.to_string()).or_default() += 1;
            }
        }
        coverage.add(&applied);
    }
    coverage.finish();
    let targets = coverage.key_targets();
    coverage.resolve_keys(&produced_keys(&targets, records_of));
    let fields = coverage
        .fields
        .iter()
        .zip(taken)
        .map(|(f, values)| {
            (
                f.field.clone(),
                (f.filled, f.null, f.error, f.unmapped.clone(), values),
            )
        })
        .collect();
    let keys = coverage
        .keys
        .iter()
        .map(|k| {
            (
                k.field.clone(),
                (k.values, k.resolved, k.dangling, k.checked),
            )
        })
        .collect();
    (coverage.records, (fields, keys))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coverage_on_a_sandbox_pull_equals_coverage_on_the_samples() {
    let config = Config {
        seed: SAMPLE_SEED,
        work_orders: unifield_corrigo_seed::Scale::SAMPLES.work_orders,
        ..Config::default()
    };
    let running = start(config.clone(), SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut workspace =
        Workspace::open(dir.path(), std::sync::Arc::new(MemorySecrets::default())).unwrap();
    workspace
        .add_connection(
            &ConnectionSettings {
                name: "sandbox".into(),
                company: config.company.clone(),
                endpoint: Endpoint::BaseUrl(running.base_url.clone()),
                client_id: config.client_id.clone(),
            },
            &config.client_secret,
        )
        .unwrap();
    for entity in unifield_bundle::source_entities() {
        workspace
            .pull("sandbox", &entity, &PullOptions::default(), |_, _| true)
            .await
            .unwrap();
    }
    let pulled = |entity: &str| {
        let mut records = Vec::new();
        workspace
            .store
            .for_each_record("sandbox", entity, |r| {
                records.push(r.value);
                true
            })
            .unwrap();
        records
    };
    for default in &MAPPINGS {
        let mapping = unifield_engine::load(default.text, Some(default.file)).unwrap();
        let samples = sample_records(default.source_entity);
        let live = pulled(default.source_entity);
        assert_eq!(live.len(), samples.len(), "{}", default.source_entity);
        let (offline_records, offline) = summarise(&mapping, &samples, sample_records);
        let (live_records, live) = summarise(&mapping, &live, &pulled);
        assert!(offline_records > 0, "{}", default.file);
        assert_eq!(live_records, offline_records, "{}", default.file);
        for (field, expected) in &offline.0 {
            assert_eq!(
                live.0.get(field),
                Some(expected),
                "{}: field {field} (filled, null, error, unmapped, values) live vs samples",
                default.file
            );
        }
        assert_eq!(
            live.1, offline.1,
            "{}: key coverage live vs samples",
            default.file
        );
        for (field, (values, resolved, dangling, checked)) in &live.1 {
            println!("{} {field}: {resolved}/{values} resolved", default.file);
            assert!(
                *checked && *values > 0 && *dangling == 0,
                "{} {field}: every key of a sandbox pull resolves",
                default.file
            );
        }
    }
}
