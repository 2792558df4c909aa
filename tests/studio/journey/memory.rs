//! The studio's memory against a baseline measured beside it in the same run: a Tauri 2
//! window with an empty page (tests/empty-window: the same Tauri, the same WebKitGTK, the
//! same Xvfb display, the same window size). Both are measured the same way
//! ([`studio_rss_mb`]: the process and the WebKit processes it started), once offline and
//! once with 10,000 cached work orders as the source (the window is started for each
//! measurement and stopped after it); the ratio of the WebKit processes is
//! printed and recorded in measurements.json. A measurement, not an assertion.

use super::*;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc;

/// Asks the second empty window to make the WebKit settings the studio makes for itself
/// (crates/webkit-settings, the same calls as src-tauri's `run`: WebKit's renderer,
/// JavaScriptCore's JIT, WebKit's cache model), so that it differs from the studio only in
/// its page.
const STUDIO_WEBKIT_SETTINGS: &[(&str, &str)] =
    &[("UNIFIELD_EMPTY_WINDOW_STUDIO_WEBKIT_SETTINGS", "1")];

/// The empty window, killed when dropped.
struct EmptyWindow {
    binary: PathBuf,
    child: Child,
}

impl EmptyWindow {
    /// Builds and starts it with `env` set, and waits (bounded) until its page has loaded.
    fn start(env: &[(&str, &str)]) -> EmptyWindow {
        let binary = support::built_binary("unifield-empty-window", "unifield-empty-window", &[]);
        let mut child = Command::new(&binary)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let stdout = child.stdout.take().unwrap();
        let (loaded, on_load) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                if line.as_deref().is_ok_and(|l| l == "loaded") {
                    let _ = loaded.send(());
                }
            }
        });
        let window = EmptyWindow { binary, child };
        on_load
            .recv_timeout(WAIT)
            .expect("the empty window's page to load (it prints `loaded`)");
        window
    }
}

impl Drop for EmptyWindow {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Each WebKit process `binary` started: its command name, RSS and the anonymous part of it
/// (heaps, JavaScript, backing stores; the rest is mapped files such as WebKit's libraries), MB.
fn webkit_processes(binary: &Path) -> Vec<Value> {
    let kb = |text: &str, key: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let mut found: Vec<Value> = children_of(binary)
        .into_iter()
        .filter_map(|(p, name)| {
            let rollup = std::fs::read_to_string(format!("/proc/{p}/smaps_rollup")).ok()?;
            Some(json!({
                "process": name,
                "rss_mb": round(kb(&rollup, "Rss:") / 1024.0),
                "anonymous_mb": round(kb(&rollup, "Anonymous:") / 1024.0),
                "largest_anonymous_regions": largest_anonymous_regions(&p),
            }))
        })
        .collect();
    found.sort_by_key(|v| v["process"].as_str().unwrap_or("").to_string());
    found
}

/// The process's mappings holding the most anonymous memory: `[name, reserved MB,
/// anonymous MB]` (a name such as `[heap]` or a file, none for a plain anonymous map),
/// to tell JavaScript's heap (large reservations) from malloc's and from graphics buffers.
fn largest_anonymous_regions(pid: &str) -> Vec<Value> {
    let Ok(smaps) = std::fs::read_to_string(format!("/proc/{pid}/smaps")) else {
        return Vec::new();
    };
    let mut regions: Vec<(String, f64, f64)> = Vec::new();
    for line in smaps.lines() {
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or("");
        if first.contains('-') && !first.ends_with(':') {
            let name = words.nth(4).unwrap_or("").to_string();
            regions.push((name, 0.0, 0.0));
        } else if let Some(region) = regions.last_mut() {
            let value = words
                .next()
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0);
            match first {
                "Size:" => region.1 = value / 1024.0,
                "Anonymous:" => region.2 = value / 1024.0,
                _ => {}
            }
        }
    }
    regions.sort_by(|a, b| b.2.total_cmp(&a.2));
    regions
        .into_iter()
        .take(6)
        .map(|(name, size, anonymous)| json!([name, round(size), round(anonymous)]))
        .collect()
}

/// Keeps a copy of the smaps of each WebKit process `binary` started, as
/// `smaps-<label>-<process>.txt` beside measurements.json: the mapping-by-mapping picture
/// (which libraries, fonts and heaps) behind a reading, to compare the studio's web process
/// with the empty page's.
fn keep_smaps(binary: &Path, label: &str) {
    for (p, name) in children_of(binary) {
        if let Ok(smaps) = std::fs::read_to_string(format!("/proc/{p}/smaps")) {
            let file = crate::shots().join(format!("smaps-{label}-{name}.txt"));
            let _ = std::fs::write(file, smaps);
        }
    }
}

/// The processes `binary` started (its WebKit processes): pid and command name; none if it
/// is not running.
fn children_of(binary: &Path) -> Vec<(String, String)> {
    let binary = binary.canonicalize().unwrap();
    let pids: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|p| p.chars().all(|c| c.is_ascii_digit()))
        .collect();
    let Some(app) = pids.iter().find(|p| runs_binary(p, &binary)) else {
        return Vec::new();
    };
    let parent_of = |p: &str| {
        std::fs::read_to_string(format!("/proc/{p}/stat"))
            .ok()
            .and_then(|s| Some(s.rsplit(')').next()?.split_whitespace().nth(1)?.to_string()))
    };
    pids.iter()
        .filter(|p| parent_of(p).as_deref() == Some(app.as_str()))
        .filter_map(|p| {
            let name = std::fs::read_to_string(format!("/proc/{p}/comm")).ok()?;
            Some((p.clone(), name.trim().to_string()))
        })
        .collect()
}

fn round(mb: f64) -> f64 {
    (mb * 10.0).round() / 10.0
}

/// `binary`'s RSS and its WebKit processes' once they have settled: read every second
/// until the last three readings of the WebKit processes lie within 2 MB (at most 20 s;
/// after a burst of work the web process frees what its collector and allocator give
/// back over a few seconds). Every window measured goes through it, the same way.
async fn settled_rss_mb(binary: &Path) -> (f64, f64) {
    let mut readings = vec![studio_rss_mb(binary)];
    for _ in 0..20 {
        let last = &readings[readings.len().saturating_sub(3)..];
        let (low, high) = last.iter().fold((f64::MAX, f64::MIN), |(low, high), r| {
            (low.min(r.1), high.max(r.1))
        });
        if last.len() == 3 && high - low <= 2.0 {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        readings.push(studio_rss_mb(binary));
    }
    readings[readings.len() - 1]
}

/// Measures the studio and the empty window now, records both under `when`, and prints the
/// ratio of their WebKit processes.
async fn measure_beside_the_baseline(j: &mut Journey, when: &str) {
    // Started for the measurement and stopped after it, so that its window is not on the
    // display while the other steps drive the studio's.
    let baseline = EmptyWindow::start(&[]);
    // Both settle (the studio's last answers rendered, the empty page's first paint done).
    tokio::time::sleep(Duration::from_secs(3)).await;
    // The first reading, as this step took it before it waited for the processes to settle.
    let (_, studio_webkit_first_mb) = studio_rss_mb(&j.studio);
    let (studio_mb, studio_webkit_mb) = settled_rss_mb(&j.studio).await;
    let label = if when == "offline" {
        "offline"
    } else {
        "10000"
    };
    keep_smaps(&j.studio, &format!("{label}-studio"));
    let (empty_mb, empty_webkit_mb) = settled_rss_mb(&baseline.binary).await;
    let baseline_processes = webkit_processes(&baseline.binary);
    drop(baseline);
    // The studio picks WebKit's shared-memory renderer, turns JavaScriptCore's JIT off and
    // picks WebKit's document-viewer cache model (crates/webkit-settings); a
    // default Tauri window does none of it. The same empty window with the studio's settings
    // tells what is the page's and what the settings'.
    let same_renderer = EmptyWindow::start(STUDIO_WEBKIT_SETTINGS);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (_, same_renderer_webkit_mb) = settled_rss_mb(&same_renderer.binary).await;
    keep_smaps(&same_renderer.binary, &format!("{label}-empty"));
    let same_renderer_processes = webkit_processes(&same_renderer.binary);
    drop(same_renderer);
    let dom_elements = js(
        j.client(),
        "return document.getElementsByTagName('*').length;",
    )
    .await;
    let ratio = studio_webkit_mb / empty_webkit_mb;
    let same_ratio = studio_webkit_mb / same_renderer_webkit_mb;
    let first_ratio = studio_webkit_first_mb / same_renderer_webkit_mb;
    println!(
        "e2e memory {when}: studio WebKit processes {studio_webkit_mb:.0} MB, empty window's \
         {empty_webkit_mb:.0} MB: {ratio:.2}x (goal 1.3x); with the studio's WebKit settings \
         {same_renderer_webkit_mb:.0} MB: {same_ratio:.2}x; studio process {studio_mb:.0} MB, \
         empty window process {empty_mb:.0} MB (studio WebKit before settling \
         {studio_webkit_first_mb:.0} MB: {first_ratio:.2}x)"
    );
    j.measured.insert(
        if when == "offline" {
            "memory_offline"
        } else {
            "memory_10000_work_orders"
        },
        json!({
            "studio_mb": round(studio_mb),
            "studio_webkit_children_mb": round(studio_webkit_mb),
            "studio_webkit_children_before_settling_mb": round(studio_webkit_first_mb),
            "webkit_ratio_same_renderer_before_settling": (first_ratio * 100.0).round() / 100.0,
            "studio_webkit_processes": webkit_processes(&j.studio),
            "studio_dom_elements": dom_elements,
            "empty_window_mb": round(empty_mb),
            "empty_window_webkit_children_mb": round(empty_webkit_mb),
            "empty_window_webkit_processes": baseline_processes,
            "webkit_ratio": (ratio * 100.0).round() / 100.0,
            "empty_window_shared_memory_renderer_webkit_children_mb": round(same_renderer_webkit_mb),
            "empty_window_shared_memory_renderer_webkit_processes": same_renderer_processes,
            "webkit_ratio_same_renderer": (same_ratio * 100.0).round() / 100.0,
        }),
    );
}

pub(super) async fn memory_offline(j: &mut Journey) {
    measure_beside_the_baseline(j, "offline").await;
}

pub(super) async fn memory_with_the_cached_work_orders(j: &mut Journey) {
    measure_beside_the_baseline(j, "with 10,000 cached work orders").await;
}
