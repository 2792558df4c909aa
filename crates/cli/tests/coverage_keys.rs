//! `unifield coverage` prints how many of each key field's values resolve.

mod common;

use std::path::PathBuf;
use std::process::Command;

#[test]
fn coverage_prints_resolved_key_percentages() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let output = Command::new(env!("CARGO_BIN_EXE_unifield"))
        .args([
            "coverage",
            "--mapping",
            "mappings/corrigo/work_order.json",
            "--input",
            "mappings/corrigo/samples/WorkOrder.jsonl",
        ])
        .current_dir(&root)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for (field, target) in [
        ("siteKey", "Site"),
        ("assetKey", "Asset"),
        ("locationKey", "Location"),
        ("laborAssignedKey", "User"),
        ("vendorKey", "Vendor"),
        ("customerKey", "Customer"),
    ] {
        let keys = stdout
            .split_once("\nkeys ")
            .unwrap_or_else(|| panic!("no key section:\n{stdout}"))
            .1;
        let line = keys
            .lines()
            .find(|l| l.starts_with(field) && l.contains('→'))
            .unwrap_or_else(|| panic!("no key line for {field}:\n{stdout}"));
        assert!(line.contains(target), "{line}");
        assert!(line.contains("100.0%"), "{line}");
    }
}

/// Caches the bundled samples of `entities` for connection `sb` in a workspace at `dir`.
fn cache_samples(dir: &std::path::Path, entities: &[&str]) {
    let mut store = common::store_with_connection_sb(dir);
    for entity in entities {
        common::cache_page(&mut store, entity, &common::sample_page(entity));
    }
}

#[test]
fn cached_records_resolve_keys_against_the_same_connection_and_say_what_is_unchecked() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = tempfile::tempdir().unwrap();
    // Work orders and work zones are cached; locations, employees, customers are not.
    cache_samples(dir.path(), &["WorkOrder", "WorkZone"]);
    let output = Command::new(env!("CARGO_BIN_EXE_unifield"))
        .args(["coverage", "--mapping", "mappings/corrigo/work_order.json"])
        .args(["--connection", "sb", "--entity", "WorkOrder", "--workspace"])
        .arg(dir.path())
        .current_dir(&root)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let keys = stdout.split_once("\nkeys ").unwrap().1;
    let line = |field: &str| {
        keys.lines()
            .find(|l| l.starts_with(field))
            .unwrap_or_else(|| panic!("{field}:\n{stdout}"))
            .to_string()
    };
    assert!(line("siteKey").contains("100.0%"), "{stdout}");
    assert!(line("assetKey").contains("unchecked"), "{stdout}");
    assert!(line("customerKey").contains("unchecked"), "{stdout}");
}
