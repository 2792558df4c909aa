//! The shell's wiring, headless (Tauri's mock runtime, no window): the commands that
//! build.rs declares, the handler registers and the capability allows are the same set,
//! the ACL refuses other windows, and a command answers through IPC with the service's
//! value or its `{code, message, …}` error.

use serde_json::{json, Value};
use std::time::Instant;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::WebviewWindowBuilder;
use unifield_studio::Shell;
use unifield_studio_service::Studio;
use unifield_workspace::MemorySecrets;

fn request(cmd: &str, body: Value) -> InvokeRequest {
    InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().unwrap(),
        body: InvokeBody::Json(body),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    }
}

fn app(dir: &std::path::Path) -> tauri::App<tauri::test::MockRuntime> {
    let studio = Studio::open(dir, std::sync::Arc::new(MemorySecrets::default())).unwrap();
    unifield_studio::app_builder(mock_builder())
        .manage(Shell::new(studio, Instant::now()))
        .build(tauri::generate_context!())
        .unwrap()
}

/// The command names in the capability file (allow-foo-bar → foo_bar).
fn allowed() -> Vec<String> {
    let text = include_str!("../capabilities/default.json");
    let capability: Value = serde_json::from_str(text).unwrap();
    capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p.as_str()?.strip_prefix("allow-"))
        .map(|p| p.replace('-', "_"))
        .collect()
}

/// The command names build.rs declares.
fn declared() -> Vec<String> {
    let text = include_str!("../build.rs");
    let list = &text[text.find("const COMMANDS").unwrap()..];
    let list = &list[list.find('[').unwrap() + 1..];
    let list = &list[list.find('[').unwrap() + 1..list.find("];").unwrap()];
    list.split(',')
        .map(|s| s.trim().trim_matches('"').to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

#[test]
fn declared_registered_and_allowed_commands_are_the_same_set() {
    let mut declared = declared();
    let mut allowed = allowed();
    declared.sort();
    allowed.sort();
    assert_eq!(declared.len(), 24);
    assert_eq!(declared, allowed);
    // Every declared command is registered: invoking it never says "not found".
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let window = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    for command in &declared {
        if ["export_mapping", "import_mapping"].contains(&command.as_str()) {
            continue; // they open a native file dialog
        }
        if let Err(error) = get_ipc_response(&window, request(command, json!({}))) {
            let text = error.to_string();
            assert!(
                !text.contains("not found") && !text.contains("not allowed"),
                "{command}: {text}"
            );
        }
    }
}

#[test]
fn commands_answer_with_the_services_values_and_coded_errors() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let window = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    let info: Value = get_ipc_response(&window, request("workspace_info", json!({})))
        .unwrap()
        .deserialize()
        .unwrap();
    assert_eq!(info["mappings"][0]["name"], "work_order");
    assert_eq!(info["sources"][0]["source"], json!({"kind": "samples"}));

    let mapping: Value = get_ipc_response(
        &window,
        request("get_mapping", json!({"name": "work_order"})),
    )
    .unwrap()
    .deserialize()
    .unwrap();
    let text = mapping["savedText"].as_str().unwrap();
    let preview: Value = get_ipc_response(
        &window,
        request(
            "preview",
            json!({"source": {"kind": "samples"}, "text": text, "recordId": "10001"}),
        ),
    )
    .unwrap()
    .deserialize()
    .unwrap();
    assert_eq!(preview["output"]["key"], "10001");

    let error =
        get_ipc_response(&window, request("get_mapping", json!({"name": "nope"}))).unwrap_err();
    assert_eq!(error["code"], "unknown_mapping");
    assert!(error["message"].as_str().unwrap().contains("nope"));
}

#[test]
fn other_windows_may_not_call_the_studio() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let other = WebviewWindowBuilder::new(&app, "other", Default::default())
        .build()
        .unwrap();
    let refused = get_ipc_response(&other, request("workspace_info", json!({}))).unwrap_err();
    assert!(refused.to_string().contains("not allowed"), "{refused}");
}
