//! `apply --connection` and `coverage --connection` read a cached record's text member by
//! member (`Mapping::apply_text`), no longer parsing it whole first: what they print must
//! be what `apply --input` and `coverage --input` print for the same records in a file.

mod common;

use common::root;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use unifield_store::Store;

/// Every default mapping and the samples entity it reads.
const MAPPINGS: [(&str, &str); 8] = [
    ("work_order", "WorkOrder"),
    ("asset", "Location"),
    ("location", "Location"),
    ("site", "WorkZone"),
    ("user", "Employee"),
    ("vendor", "Employee"),
    ("customer", "Customer"),
    ("part", "Product"),
];

fn unifield(args: &[&str], workspace: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_unifield"))
        .args(args)
        .arg("--workspace")
        .arg(workspace)
        .current_dir(root())
        .output()
        .unwrap()
}

/// Caches `entity`'s samples for connection `sb` and writes them, in the cache's order
/// (by source id as text), to `entity.jsonl` in `dir`: the path of that file.
fn cache_and_write(store: &mut Store, dir: &Path, entity: &str) -> PathBuf {
    let mut page = common::sample_page(entity);
    page.sort_by(|a, b| a.0.cmp(&b.0));
    common::cache_page(store, entity, &page);
    let file = dir.join(format!("{entity}.jsonl"));
    let lines: Vec<String> = page.iter().map(|(_, r)| r.to_string()).collect();
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    file
}

#[test]
fn cached_records_apply_and_cover_as_the_same_records_in_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path().join("workspace");
    std::fs::create_dir(&workspace).unwrap();
    let mut store = common::store_with_connection_sb(&workspace);
    let mut files = std::collections::HashMap::new();
    for (_, entity) in MAPPINGS {
        if !files.contains_key(entity) {
            let file = cache_and_write(&mut store, dir.path(), entity);
            files.insert(entity, file);
        }
    }
    drop(store);
    for (name, entity) in MAPPINGS {
        let mapping = format!("mappings/corrigo/{name}.json");
        let file = files[entity].to_str().unwrap();
        let from_cache = ["--connection", "sb", "--entity", entity];
        let from_file = ["--input", file];

        let run = |verb: &[&str], from: &[&str]| {
            let args: Vec<&str> = verb.iter().chain(from).copied().collect();
            let output = unifield(&args, &workspace);
            assert!(
                output.status.success(),
                "{name}: {args:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            output
        };
        let apply = ["apply", "--mapping", &mapping, "--allow-errors"];
        let (cached, filed) = (run(&apply, &from_cache), run(&apply, &from_file));
        assert!(!cached.stdout.is_empty(), "{name}: nothing applied");
        assert_eq!(
            String::from_utf8_lossy(&cached.stdout),
            String::from_utf8_lossy(&filed.stdout),
            "{name}: apply"
        );

        let coverage = ["coverage", "--mapping", &mapping, "--json"];
        let report = |output: Output| {
            let mut report: Value = serde_json::from_slice(&output.stdout).unwrap();
            // Keys resolve against the cache or against the bundled samples: not compared.
            report.as_object_mut().unwrap().remove("keys");
            report
        };
        let (cached, filed) = (
            report(run(&coverage, &from_cache)),
            report(run(&coverage, &from_file)),
        );
        assert!(cached["records"].as_u64().unwrap() > 0, "{name}: {cached}");
        assert_eq!(cached, filed, "{name}: coverage");
    }
}
