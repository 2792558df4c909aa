//! A Tauri 2 window with an empty page: the baseline the studio journey measures the
//! studio's WebKit processes against (same WebKitGTK, same display, same window size).
//! It prints `loaded` on stdout once the page has finished loading, so the journey
//! measures it only then.

use std::io::Write;
use tauri::webview::PageLoadEvent;

fn main() {
    tauri::Builder::default()
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
