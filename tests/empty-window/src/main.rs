//! A Tauri 2 window with an empty page: the baseline the studio journey measures the
//! studio's WebKit processes against (same WebKitGTK, same display, same window size).
//! It prints `loaded` on stdout once the page has finished loading, so the journey
//! measures it only then. With `UNIFIELD_EMPTY_WINDOW_STUDIO_WEBKIT_SETTINGS=1` it makes
//! the studio's WebKit settings (`unifield_webkit_settings`, the same calls as src-tauri's
//! `run`), so that it differs from the studio only in its page.

use std::io::Write;
use tauri::webview::PageLoadEvent;

/// Asks for the studio's WebKit settings.
const STUDIO_WEBKIT_SETTINGS: &str = "UNIFIELD_EMPTY_WINDOW_STUDIO_WEBKIT_SETTINGS";

fn main() {
    let studio_settings = std::env::var_os(STUDIO_WEBKIT_SETTINGS).is_some_and(|v| v == "1");
    if studio_settings {
        // As the studio: first thing, before any thread starts.
        unifield_webkit_settings::choose_before_start();
    }
    tauri::Builder::default()
        .setup(move |app| {
            #[cfg(target_os = "linux")]
            if studio_settings {
                for window in tauri::Manager::webview_windows(app).into_values() {
                    window.with_webview(|webview| {
                        unifield_webkit_settings::apply_to_webview(&webview.inner());
                    })?;
                }
            }
            #[cfg(not(target_os = "linux"))]
            let _ = app;
            Ok(())
        })
        .on_page_load(|_, payload| {
            if payload.event() == PageLoadEvent::Finished {
                let mut out = std::io::stdout();
                let _ = writeln!(out, "loaded");
                let _ = out.flush();
            }
        })
        .run(tauri::generate_context!())
        .expect("the empty window could not start");
}
