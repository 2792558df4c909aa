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

/// WebKitGTK's renderer for the studio's window: its shared-memory renderer rather than the
/// DMA-BUF one, unless the user chose (`WEBKIT_DISABLE_DMABUF_RENDERER=0` keeps DMA-BUF).
/// Without a GPU (Xvfb, many VMs) the DMA-BUF renderer's buffers held about 150 MB of the
/// web process's 365 MB with the samples open (issue 14: a window with an empty page
/// holds 238 MB); the page draws the same either way.
fn choose_the_webkit_renderer() {
    const RENDERER: &str = "WEBKIT_DISABLE_DMABUF_RENDERER";
    if std::env::var_os(RENDERER).is_none() {
        // Before any thread starts and before GTK or WebKit read the environment.
        std::env::set_var(RENDERER, "1");
    }
}

/// JavaScriptCore's optimizing compilers (DFG, and FTL above it) off for the studio's page,
/// unless the user chose (`JSC_useDFGJIT=1` keeps them); its interpreter and baseline JIT
/// remain. The page is interface code (mapping, preview and coverage run in Rust), and
/// the optimizing tiers' compiled code and compiler memory stay in the web process: about
/// 10 MB of it with the samples open, more after a session (issue 14). Set in this
/// process's environment, which WebKit's web process inherits.
fn choose_the_javascript_tiers() {
    const DFG: &str = "JSC_useDFGJIT";
    if std::env::var_os(DFG).is_none() {
        // Before any thread starts and before WebKit starts its web process.
        std::env::set_var(DFG, "0");
    }
}

pub fn run() {
    let launched = Instant::now();
    choose_the_webkit_renderer();
    choose_the_javascript_tiers();
    let args: Vec<String> = std::env::args().collect();
    let shell = workspace_dir(&args)
        .and_then(|dir| Shell::open(&dir, launched).map_err(|e| e.to_string()))
        .unwrap_or_else(|message| {
            eprintln!("unifield-studio: cannot open the workspace: {message}");
            std::process::exit(2);
        });
    app_builder(tauri::Builder::default())
        .manage(shell)
        .run(tauri::generate_context!())
        .expect("the studio window could not start");
}
