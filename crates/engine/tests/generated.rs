//! The generated files in the repository are current. Regenerate with `unifield docs`.

use std::path::PathBuf;
use unifield_engine::docs;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn assert_current(relative: &str, expected: &str) {
    let actual = std::fs::read_to_string(root().join(relative)).unwrap_or_default();
    assert!(
        actual == expected,
        "{relative} is stale: run `cargo run -p unifield-cli -- docs`"
    );
}

#[test]
fn transform_reference_is_current() {
    assert_current("docs/transforms.md", &docs::transforms_markdown());
}

#[test]
fn mapping_schema_is_current() {
    assert_current(
        "mappings/schema/mapping.schema.json",
        &docs::pretty(&docs::mapping_schema()),
    );
}

#[test]
fn model_schemas_are_current() {
    let schemas = docs::model_schemas();
    assert_eq!(schemas.len(), unifield_model::model().entities.len());
    for (name, schema) in schemas {
        assert_current(&format!("mappings/model/{name}"), &docs::pretty(&schema));
    }
    let files = std::fs::read_dir(root().join("mappings/model"))
        .unwrap()
        .count();
    assert_eq!(
        files,
        unifield_model::model().entities.len(),
        "mappings/model holds a schema of an entity that is gone"
    );
}

#[test]
fn every_transform_is_documented_with_a_loadable_example() {
    for transform in unifield_engine::transform::registry() {
        let step: serde_json::Value =
            serde_json::from_str(transform.example).expect("example is JSON");
        let mapping = serde_json::json!({
            "format": "unifield.mapping/v1", "name": "example",
            "source": {"system": "corrigo", "entity": "WorkOrder"},
            "target": {"model": "unified", "version": "1", "entity": "WorkOrder"},
            "fields": {"key": {"const": "1"}, "status": {"const": "open"}},
            "custom": {"probe": {"path": "$.X", "steps": [step]}}
        });
        unifield_engine::load(&mapping.to_string(), None)
            .unwrap_or_else(|e| panic!("the example of `{}` does not load: {e}", transform.name));
    }
}
