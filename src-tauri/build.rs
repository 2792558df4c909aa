// Declaring the commands puts each under the ACL: a capability must allow it by name.
fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(&COMMANDS)),
    )
    .expect("failed to run tauri-build");
}

/// Keep in step with `commands::handler` (the ACL test in tests/ipc.rs checks them all).
const COMMANDS: [&str; 24] = [
    "workspace_info",
    "list_records",
    "record_tree",
    "get_mapping",
    "save_draft",
    "discard_draft",
    "save_mapping",
    "history",
    "version_text",
    "diff",
    "restore",
    "preview",
    "coverage",
    "explain",
    "suggestions",
    "export_mapping",
    "import_mapping",
    "list_connections",
    "add_connection",
    "test_connection",
    "remove_connection",
    "pull",
    "cancel",
    "timings",
];
