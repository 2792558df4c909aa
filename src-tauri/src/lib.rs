//! The studio's Tauri shell. The commands are declared once, in `command_list.rs`;
//! `commands` generates them from that list and each calls its handler in `handlers`, a
//! few lines over `unifield-studio-service`, where every behaviour lives and is tested.

pub mod commands;
mod handlers;
mod state;
mod typescript;

pub use commands::{typescript, COMMANDS};
pub use state::{JobGuard, Shell};

use std::path::PathBuf;
use std::time::Instant;

include!("acl.rs");

/// capabilities/default.json as build.rs writes it from the command list.
pub fn capability() -> String {
    capability_json(COMMANDS)
}

/// The workspace directory: `--workspace DIR`, else `$UNIFIELD_WORKSPACE`, else the
/// user's data directory.
pub fn workspace_dir(args: &[String]) -> Result<PathBuf, String> {
    if let Some(at) = args.iter().position(|a| a == "--workspace") {
        return args
            .get(at + 1)
            .map(PathBuf::from)
            .ok_or_else(|| "--workspace needs a directory".to_string());
    }
    if let Some(dir) = std::env::var_os("UNIFIELD_WORKSPACE") {
        return Ok(PathBuf::from(dir));
    }
    unifield_workspace::default_directory().map_err(|e| e.to_string())
}

pub fn app_builder<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder
        .plugin(tauri_plugin_dialog::init())
        .invoke_handler(commands::handler())
}

/// The studio's web view settings (`unifield_webkit_settings::apply_to_webview`: WebKit's
/// cache model) on every window's view once it exists.
fn apply_the_webkit_settings<R: tauri::Runtime>(app: &tauri::App<R>) {
    #[cfg(target_os = "linux")]
    for window in tauri::Manager::webview_windows(app).into_values() {
        let applied = window.with_webview(|webview| {
            unifield_webkit_settings::apply_to_webview(&webview.inner());
        });
        if let Err(e) = applied {
            eprintln!("unifield-studio: WebKit settings not applied: {e}");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = app;
}

pub fn run() {
    let launched = Instant::now();
    // WebKit's renderer and JavaScriptCore's JIT, each unless the user chose: before any
    // thread starts and before GTK or WebKit read the environment.
    unifield_webkit_settings::choose_before_start();
    let args: Vec<String> = std::env::args().collect();
    let shell = workspace_dir(&args)
        .and_then(|dir| Shell::open(&dir, launched).map_err(|e| e.to_string()))
        .unwrap_or_else(|message| {
            eprintln!("unifield-studio: cannot open the workspace: {message}");
            std::process::exit(2);
        });
    app_builder(tauri::Builder::default())
        .manage(shell)
        .setup(|app| {
            apply_the_webkit_settings(app);
            Ok(())
        })
        .run(tauri::generate_context!())
        .expect("the studio window could not start");
}
