//! `unifield coverage` prints how many of each key field's values resolve.

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
