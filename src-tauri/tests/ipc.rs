//! The shell's wiring, headless (Tauri's mock runtime, no window): the commands declared
//! once are the ones registered, allowed and wrapped in TypeScript; the ACL refuses other
//! windows and the dialog plugin; a command answers through IPC with the service's value
//! or its `{code, message, …}` error.

use serde_json::{json, Value};
use std::time::Instant;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::WebviewWindowBuilder;
use unifield_studio::{Shell, COMMANDS};
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

/// The command names the capability file on disk allows (allow-foo-bar → foo_bar).
fn allowed() -> Vec<String> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/capabilities/default.json"
    ))
    .unwrap();
    let capability: Value = serde_json::from_str(&text).unwrap();
    capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p.as_str()?.strip_prefix("allow-"))
        .map(|p| p.replace('-', "_"))
        .collect()
}

fn main_window(
    app: &tauri::App<tauri::test::MockRuntime>,
) -> tauri::WebviewWindow<tauri::test::MockRuntime> {
    WebviewWindowBuilder::new(app, "main", Default::default())
        .build()
        .unwrap()
}

/// The one declaration (src/command_list.rs) drives build.rs's ACL list, the capability
/// file, `generate_handler!` and the TypeScript wrappers. This proves the outputs agree:
/// the capability on disk is the generated one and allows exactly the declared commands,
/// each declared command is registered and allowed, a command that is not declared is
/// neither, and every argument key the TypeScript sends is the key the command reads.
#[test]
fn declared_registered_allowed_and_typed_commands_are_the_same_set() {
    let declared: Vec<String> = COMMANDS.iter().map(|c| c.to_string()).collect();
    assert_eq!(
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/capabilities/default.json"
        ))
        .unwrap(),
        unifield_studio::capability(),
        "build.rs writes capabilities/default.json from the command list"
    );
    let mut sorted = declared.clone();
    let mut allowed = allowed();
    sorted.sort();
    allowed.sort();
    assert_eq!(sorted, allowed);

    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let window = main_window(&app);
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
    let undeclared = get_ipc_response(&window, request("drop_workspace", json!({}))).unwrap_err();
    assert!(undeclared.to_string().contains("not"), "{undeclared}");

    // The generated wrappers send `{ recordId }` where the command reads `record_id`:
    // called with no arguments, each command names the first key it misses, and that key
    // is the one in ui/src/commands.ts.
    let wrappers = unifield_studio::typescript();
    for line in wrappers.lines().filter(|l| l.contains("invoke<")) {
        let name = line.split('"').nth(1).unwrap();
        let Some(keys) = line.split("{ ").nth(1) else {
            continue; // no arguments
        };
        let first_key = keys.split([',', ' ']).next().unwrap();
        if ["export_mapping", "import_mapping"].contains(&name) {
            continue;
        }
        let missing = get_ipc_response(&window, request(name, json!({}))).unwrap_err();
        assert!(
            missing.to_string().contains(&format!("key {first_key}")),
            "{name}: the wrapper sends `{first_key}`, the command says {missing}"
        );
    }
}

/// ui/src/commands.ts is generated from the command list; `make generated` rewrites it.
#[test]
fn the_ui_command_wrappers_are_up_to_date() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../ui/src/commands.ts");
    let generated = unifield_studio::typescript();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::write(path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "ui/src/commands.ts is stale: run `make generated`"
    );
}

/// File dialogs open from Rust only: the page may not call the dialog plugin, although
/// the plugin is installed.
#[test]
fn the_page_cannot_call_the_dialog_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let window = main_window(&app);
    for (command, body) in [
        ("plugin:dialog|open", json!({"options": {}})),
        ("plugin:dialog|save", json!({"options": {}})),
        ("plugin:dialog|message", json!({"message": "hi"})),
        ("plugin:dialog|ask", json!({"message": "hi"})),
        ("plugin:dialog|confirm", json!({"message": "hi"})),
    ] {
        let refused = get_ipc_response(&window, request(command, body)).unwrap_err();
        assert!(
            refused.to_string().contains("not allowed"),
            "{command}: {refused}"
        );
    }
}

#[test]
fn commands_answer_with_the_services_values_and_coded_errors() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let window = main_window(&app);
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
