//! End to end: the real studio window under Xvfb, driven through tauri-driver and
//! WebKitWebDriver. It opens the offline workspace, finds a work order, drags a source
//! field onto a target field, adds a transform step, watches the preview and coverage
//! change, exports the mapping and checks the file with the `unifield` CLI, then adds a
//! connection to a running Corrigo sandbox, pulls 10,000 work orders with progress, and
//! measures the studio on them. Screenshots go to target/e2e-screenshots/.
//!
//! Runs when TAURI_E2E=1 (`make test` sets it, inside Xvfb and a D-Bus session with an
//! unlocked keyring); elsewhere it says it was skipped.

use fantoccini::actions::{
    InputSource, KeyAction, KeyActions, MouseActions, PointerAction, MOUSE_BUTTON_LEFT,
};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const DRIVER_PORT: u16 = 4444;
const WAIT: Duration = Duration::from_secs(30);
const JOURNEY: Duration = Duration::from_secs(240);

/// tauri-driver, stopped with SIGTERM so it takes WebKitWebDriver down with it (a SIGKILL
/// would orphan WebKitWebDriver on its port).
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn shots() -> PathBuf {
    let dir = root().join("target/e2e-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The `unifield` CLI built beside this test (target/debug/unifield).
fn cli() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().unwrap().parent().unwrap().join("unifield");
    assert!(
        bin.exists(),
        "{} is missing: build the workspace first (cargo build -p unifield-cli)",
        bin.display()
    );
    bin
}

async fn shot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    std::fs::write(shots().join(format!("{name}.png")), png).unwrap();
}

async fn js(client: &Client, script: &str) -> Value {
    client.execute(script, vec![]).await.unwrap()
}

async fn text_of(client: &Client, test_id: &str) -> String {
    let found = js(
        client,
        &format!("const e = document.querySelector('[data-testid=\"{test_id}\"]'); return e ? e.textContent : null;"),
    )
    .await;
    found.as_str().unwrap_or("").to_string()
}

/// Polls `probe` until it gives Some, or fails saying what it waited for.
async fn until<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(started.elapsed() < WAIT, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn preview_output(client: &Client) -> Value {
    let text = text_of(client, "preview-output").await;
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

async fn click(client: &Client, css: &str) {
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

/// Drags with real pointer input (WebDriver actions): press on the source, move past
/// dnd-kit's activation distance, move over the target, release. Positions are viewport
/// coordinates of the elements' centres.
async fn drag(client: &Client, from: &str, to: &str) {
    let centre = |css: &str| {
        format!(
            "const e = document.querySelector('{css}'); e.scrollIntoView({{block: 'center'}}); \
             const r = e.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2];"
        )
    };
    let point = |v: Value| {
        (
            v[0].as_f64().unwrap().round(),
            v[1].as_f64().unwrap().round(),
        )
    };
    let (sx, sy) = point(js(client, &centre(from)).await);
    let (tx, ty) = point(js(client, &centre(to)).await);
    let step = Some(Duration::from_millis(80));
    let mouse = MouseActions::new("mouse".into())
        .then(PointerAction::MoveTo {
            duration: step,
            x: sx,
            y: sy,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::MoveTo {
            duration: step,
            x: sx + 12.0,
            y: sy + 4.0,
        })
        .then(PointerAction::MoveTo {
            duration: step,
            x: (sx + tx) / 2.0,
            y: (sy + ty) / 2.0,
        })
        .then(PointerAction::MoveTo {
            duration: step,
            x: tx,
            y: ty,
        })
        .then(PointerAction::MoveTo {
            duration: step,
            x: tx + 3.0,
            y: ty,
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        });
    client.perform_actions(mouse).await.unwrap();
}

/// Presses `chord` (modifiers first) and releases it, as real key input.
async fn keys(client: &Client, chord: &[char]) {
    let mut actions = KeyActions::new("keyboard".into());
    for key in chord {
        actions = actions.then(KeyAction::Down { value: *key });
    }
    for key in chord.iter().rev() {
        actions = actions.then(KeyAction::Up { value: *key });
    }
    client.perform_actions(actions).await.unwrap();
}

/// Equal as JSON: numbers compare by value, since the webview writes the CLI's `0.0` as
/// `0` (JavaScript has one number type).
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((kx, vx), (ky, vy))| kx == ky && same_json(vx, vy))
        }
        _ => a == b,
    }
}

/// Resident memory of the studio and the WebKit processes it started, in MB.
fn studio_rss_mb(binary: &Path) -> (f64, f64) {
    let binary = binary.canonicalize().unwrap();
    let rss = |pid: &str| -> f64 {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
            })
            .unwrap_or(0.0)
            / 1024.0
    };
    let pids: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|p| p.chars().all(|c| c.is_ascii_digit()))
        .collect();
    let app = pids
        .iter()
        .find(|p| std::fs::read_link(format!("/proc/{p}/exe")).ok().as_deref() == Some(&binary))
        .expect("the studio process")
        .clone();
    let children: f64 = pids
        .iter()
        .filter(|p| {
            std::fs::read_to_string(format!("/proc/{p}/stat"))
                .ok()
                .and_then(|s| {
                    s.rsplit(')')
                        .next()?
                        .split_whitespace()
                        .nth(1)
                        .map(str::to_string)
                })
                .as_deref()
                == Some(app.as_str())
        })
        .map(|p| rss(p))
        .sum();
    (rss(&app), children)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_studio_end_to_end() {
    if std::env::var("TAURI_E2E").as_deref() != Ok("1") {
        eprintln!("skipped: set TAURI_E2E=1 and run under a display (make test does)");
        return;
    }
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_unifield-studio"));
    let workspace = tempfile::tempdir().unwrap();
    let exported = workspace.path().join("exported-work-order.json");

    // A running Corrigo sandbox with 10,000 work orders for the pull.
    // Each call waits 25 ms, as a remote API would, so there is time to cancel a pull.
    let config = unifield_corrigo_sandbox::Config {
        work_orders: 10_000,
        faults: "latency-ms=25".parse().unwrap(),
        ..Default::default()
    };
    let sandbox = unifield_corrigo_sandbox::start(config.clone(), ([127, 0, 0, 1], 0).into())
        .await
        .unwrap();

    let driver_bin = std::env::var("TAURI_DRIVER").unwrap_or_else(|_| "tauri-driver".into());
    let _driver = Driver(
        Command::new(&driver_bin)
            .args(["--port", &DRIVER_PORT.to_string()])
            .env("UNIFIELD_WORKSPACE", workspace.path())
            .env("UNIFIELD_STUDIO_FILE_CHOICE", &exported)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {driver_bin}: {e}")),
    );

    let journey = journey(&binary, &exported, &config, &sandbox.base_url);
    // A WebDriver call that never answers must not hold CI: the driver is stopped (on
    // unwinding) and the last step is named.
    if tokio::time::timeout(JOURNEY, journey).await.is_err() {
        panic!(
            "the journey took over {JOURNEY:?}; last step: {}",
            last_step()
        );
    }
    drop(sandbox);
}

static STEP: std::sync::Mutex<&str> = std::sync::Mutex::new("starting");

/// Names the step the journey is on (printed, and reported if it hangs).
fn step(name: &'static str) {
    eprintln!("e2e: {name}");
    *STEP.lock().unwrap_or_else(|p| p.into_inner()) = name;
}

fn last_step() -> &'static str {
    *STEP.lock().unwrap_or_else(|p| p.into_inner())
}

async fn journey(
    binary: &Path,
    exported: &Path,
    config: &unifield_corrigo_sandbox::Config,
    sandbox_url: &str,
) {
    step("start a WebDriver session");
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("browserName".into(), json!("wry"));
    capabilities.insert("tauri:options".into(), json!({ "application": binary }));
    let launched = Instant::now();
    let client = until("tauri-driver to start a session", || {
        let capabilities = capabilities.clone();
        async move {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            ClientBuilder::new(connector)
                .capabilities(capabilities)
                .connect(&format!("http://127.0.0.1:{DRIVER_PORT}"))
                .await
                .ok()
        }
    })
    .await;

    step("open the offline workspace");
    // 1. The offline workspace opens with the work-order mapping on screen.
    let ready_ms: u64 = until("the studio to be interactive", || async {
        let ms = js(&client, "const e = document.querySelector('[data-testid=\"ready-ms\"]'); return e ? e.dataset.ms : null;").await;
        ms.as_str().and_then(|s| s.parse().ok())
    })
    .await;
    let interactive_wall = launched.elapsed();
    assert!(text_of(&client, "record-count").await.contains("400"));
    // The Content-Security-Policy holds: no eval, no global Tauri object for injected code.
    let eval = js(
        &client,
        "try { eval('1'); return 'allowed'; } catch (e) { return 'blocked'; }",
    )
    .await;
    assert_eq!(eval, json!("blocked"));
    assert_eq!(
        js(&client, "return typeof window.__TAURI__;").await,
        json!("undefined")
    );
    shot(&client, "01-offline-workspace").await;
    let rss_offline = studio_rss_mb(binary);

    step("find a work order");
    // 2. Find a work order by searching for its number.
    let samples = include_str!("../../mappings/corrigo/samples/WorkOrder.jsonl");
    let wanted: Value = serde_json::from_str(samples.lines().nth(6).unwrap()).unwrap();
    let number = wanted["Number"].as_str().unwrap();
    let id = wanted["Id"].to_string();
    let search = client
        .find(Locator::Css("[data-testid=record-search]"))
        .await
        .unwrap();
    search.send_keys(number).await.unwrap();
    until("the search to narrow the list", || async {
        let count = text_of(&client, "record-count").await;
        (count.starts_with("1 of")).then_some(())
    })
    .await;
    click(
        &client,
        &format!("[data-testid=record-row][data-id=\"{id}\"]"),
    )
    .await;
    until("the preview of the found work order", || async {
        let out = preview_output(&client).await;
        (out["key"] == json!(id)).then_some(())
    })
    .await;
    assert!(
        preview_output(&client).await.get("instructions").is_none(),
        "instructions starts unbound"
    );

    step("drag a source field onto a target field");
    // 3. Drag a source field onto a target field.
    drag(
        &client,
        "[data-testid=tree-node][data-path=\"$.ShortLocation\"]",
        "[data-testid=target-field][data-field=\"instructions\"]",
    )
    .await;
    let location = wanted["ShortLocation"].as_str().unwrap().trim().to_string();
    until("the dropped binding to reach the preview", || async {
        let out = preview_output(&client).await;
        (out["instructions"].as_str().map(str::trim) == Some(location.as_str())).then_some(())
    })
    .await;
    shot(&client, "02-dragged-binding").await;

    step("add a transform step");
    // 4. Add a transform step: the preview follows.
    let select = client
        .find(Locator::Css("[data-testid=add-step-select]"))
        .await
        .unwrap();
    select.select_by_value("upper").await.unwrap();
    click(&client, "[data-testid=add-step]").await;
    let upper = wanted["ShortLocation"].as_str().unwrap().to_uppercase();
    until("the upper step in the preview", || async {
        (preview_output(&client).await["instructions"] == json!(upper)).then_some(())
    })
    .await;

    step("coverage");
    // 5. Coverage shows the new field over all 400 samples.
    until("coverage of instructions", || async {
        let badge = js(&client, "const e = document.querySelector('[data-field=\"instructions\"] [data-testid=coverage-badge]'); return e ? e.textContent : null;").await;
        badge.as_str().map(str::to_string)
    })
    .await;
    assert!(text_of(&client, "coverage-summary")
        .await
        .starts_with("400 records"));
    shot(&client, "03-step-preview-coverage").await;
    let studio_output = preview_output(&client).await;

    step("export and check with the CLI");
    // 6. Export; the CLI validates the file and gives the record the studio showed.
    click(&client, "[data-testid=export]").await;
    until("the exported file", || async {
        exported.exists().then_some(())
    })
    .await;
    let validate = Command::new(cli())
        .arg("validate")
        .arg(exported)
        .output()
        .unwrap();
    assert!(
        validate.status.success(),
        "unifield validate: {}",
        String::from_utf8_lossy(&validate.stderr)
    );
    let samples_file = root().join("mappings/corrigo/samples/WorkOrder.jsonl");
    let applied = Command::new(cli())
        .args(["apply", "--allow-errors", "--mapping"])
        .arg(exported)
        .arg("--input")
        .arg(&samples_file)
        .output()
        .unwrap();
    assert!(
        applied.status.success(),
        "unifield apply: {}",
        String::from_utf8_lossy(&applied.stderr)
    );
    let cli_record: Value = String::from_utf8(applied.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|r| r["key"] == json!(id))
        .expect("the CLI maps the same work order");
    assert!(
        same_json(&cli_record, &studio_output),
        "the CLI and the studio disagree:\n{cli_record}\n{studio_output}"
    );

    // Import the exported file back: the editor takes it as an undoable edit.
    click(&client, "[data-testid=import]").await;
    until("the import to be confirmed", || async {
        let toasts = js(&client, "return [...document.querySelectorAll('[data-testid=toast-info]')].map(e => e.textContent).join(' | ');").await;
        toasts.as_str()?.contains("Imported into work_order").then_some(())
    })
    .await;
    assert!(same_json(&preview_output(&client).await, &studio_output));

    step("save, history and diff");
    keys(&client, &['\u{e009}', 's']).await; // Ctrl+S
    until("the saved version", || async {
        text_of(&client, "save-state")
            .await
            .eq("saved as v1")
            .then_some(())
    })
    .await;
    keys(&client, &['\u{e009}', 'h']).await; // Ctrl+H
    until("the diff against the bundled default", || async {
        let diff = text_of(&client, "diff").await;
        diff.contains("addedfields.instructions").then_some(())
    })
    .await;
    shot(&client, "08-history-diff").await;
    keys(&client, &['\u{e00c}']).await; // Escape
    click(&client, "[data-testid=view-json]").await;
    until("the mapping JSON editor", || async {
        // The editor sits in a shadow root; its own styles must have reached it despite
        // the CSP (white-space is `normal` without them and the text lays out wrong).
        let found = js(&client, "const r = document.querySelector('[data-testid=mapping-json]')?.shadowRoot; const c = r && r.querySelector('.cm-content'); return c ? [c.textContent, getComputedStyle(c).whiteSpace] : null;").await;
        let text = found[0].as_str()?;
        assert_ne!(found[1], json!("normal"), "CodeMirror's styles are missing");
        text.contains("\"instructions\"").then_some(())
    })
    .await;
    shot(&client, "09-mapping-json").await;
    click(&client, ".view-tabs .tab").await; // back to the canvas

    step("keyboard and themes");
    // 7. Keyboard: the shortcuts overlay (F1), and the dark theme.
    keys(&client, &['\u{e031}']).await; // F1
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("[data-testid=shortcuts-dialog]"))
        .await
        .unwrap();
    keys(&client, &['\u{e009}', '\u{e008}', 'l']).await; // Ctrl+Shift+L
    until("the dark theme", || async {
        js(&client, "return document.documentElement.dataset.theme")
            .await
            .eq("dark")
            .then_some(())
    })
    .await;
    shot(&client, "04-shortcuts-dark").await;
    keys(&client, &['\u{e00c}']).await; // Escape closes the dialog
    until("the dialog to close", || async {
        text_of(&client, "shortcuts-dialog")
            .await
            .is_empty()
            .then_some(())
    })
    .await;
    keys(&client, &['\u{e009}', '\u{e008}', 'l']).await;

    step("add, test and pull a connection");
    // 8. A connection to the running sandbox: add, test, pull with progress.
    click(&client, "[data-testid=open-connections]").await;
    let fill = |test_id: &'static str, value: String| {
        let client = client.clone();
        async move {
            let input = client
                .find(Locator::Css(&format!("[data-testid={test_id}]")))
                .await
                .unwrap();
            input.send_keys(&value).await.unwrap();
        }
    };
    fill("connection-name", "sandbox".into()).await;
    fill("connection-company", config.company.clone()).await;
    click(&client, "[data-testid=connection-custom]").await;
    fill("connection-baseUrl", sandbox_url.to_string()).await;
    fill("connection-clientId", config.client_id.clone()).await;
    fill("connection-secret", config.client_secret.clone()).await;
    click(&client, "[data-testid=add-connection]").await;
    click(
        &client,
        "[data-testid=connection][data-name=sandbox] [data-testid=test-connection]",
    )
    .await;
    until("a healthy connection", || async {
        let status = js(&client, "const e = document.querySelector('[data-testid=health]'); return e ? e.dataset.status : null;").await;
        status.as_str().map(str::to_string)
    })
    .await
    .eq("ok")
    .then_some(())
    .expect("the sandbox connection tests ok");
    // Pull, and cancel once the first page is in: the pages so far are kept.
    click(&client, "[data-testid=pull]").await;
    until("pull progress", || async {
        let progress = text_of(&client, "pull-progress").await;
        (progress.contains("WorkOrder: ") && !progress.contains("WorkOrder: 0 records"))
            .then_some(())
    })
    .await;
    shot(&client, "05-pull-progress").await;
    click(&client, "[data-testid=cancel-pull]").await;
    let cancelled = until("the cancelled pull's report", || async {
        let report = text_of(&client, "pull-report").await;
        (!report.is_empty()).then_some(report)
    })
    .await;
    assert!(cancelled.starts_with("Cancelled"), "{cancelled}");
    // Pull again: it resumes where the cancelled run stopped and finishes every entity.
    until("the pull button", || async {
        let found = js(
            &client,
            "return !!document.querySelector('[data-testid=pull]');",
        )
        .await;
        (found == json!(true)).then_some(())
    })
    .await;
    let pull_started = Instant::now();
    click(&client, "[data-testid=pull]").await;
    let report = until("the resumed pull's report", || async {
        let report = text_of(&client, "pull-report").await;
        report.starts_with("Pulled:").then_some(report)
    })
    .await;
    let pull_seconds = pull_started.elapsed().as_secs_f64();
    for entity in [
        "WorkOrder",
        "Location",
        "WorkZone",
        "Employee",
        "Customer",
        "Product",
    ] {
        assert!(report.contains(&format!("{entity} ")), "{report}");
    }
    assert_eq!(report.matches("(completed)").count(), 6, "{report}");
    until("the connection's cached counts", || async {
        let row = js(&client, "const e = document.querySelector('[data-testid=connection]'); return e && e.querySelector('[data-testid=pull]') ? e.textContent : null;").await;
        row.as_str().filter(|t| t.contains("WorkOrder 10000")).map(str::to_string)
    })
    .await;
    shot(&client, "06-connection-pulled").await;
    let rss_after_pull = studio_rss_mb(binary);

    step("the connection as the source");
    // 9. The connection's 10,000 cached work orders as the source: coverage and re-preview.
    click(&client, "[data-testid=use-connection]").await;
    // Empty the search as a user would (WebDriver's clear does not fire React's input event).
    client
        .find(Locator::Css("[data-testid=record-search]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    keys(&client, &['\u{e009}', 'a']).await;
    keys(&client, &['\u{e003}']).await; // Backspace
    until("the cached work orders", || async {
        let count = text_of(&client, "record-count").await;
        if count != "10000 of 10000" {
            eprintln!("record count: {count}");
        }
        count.eq("10000 of 10000").then_some(())
    })
    .await;
    let coverage_ms: u64 = until("coverage over 10,000 records", || async {
        let summary = text_of(&client, "coverage-summary").await;
        if !summary.starts_with("10000 records") {
            return None;
        }
        summary
            .rsplit("· ")
            .next()?
            .trim_end_matches(" ms")
            .parse()
            .ok()
    })
    .await;
    let mut previews = Vec::new();
    let preview_state = || async {
        let v = js(&client, "const e = document.querySelector('[data-testid=\"preview-time\"]'); return [e.dataset.count, e.dataset.ms];").await;
        let count: u64 = v[0].as_str().and_then(|s| s.parse().ok()).unwrap_or(0);
        let ms: f64 = v[1]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or(f64::NAN);
        (count, ms)
    };
    for round in 0..10 {
        let (before, _) = preview_state().await;
        click(
            &client,
            if round % 2 == 0 {
                "[data-testid=undo]"
            } else {
                "button[title^=Redo]"
            },
        )
        .await;
        let round_trip = until("the re-preview", || async {
            let (count, ms) = preview_state().await;
            (count > before).then_some(ms)
        })
        .await;
        previews.push(round_trip);
    }
    shot(&client, "07-connection-source").await;
    let (app_mb, webkit_mb) = studio_rss_mb(binary);
    previews.sort_by(f64::total_cmp);
    let measured = json!({
        "interactive_ms_in_app": ready_ms,
        "interactive_wall_ms_with_webdriver": interactive_wall.as_millis() as u64,
        "resumed_pull_s": pull_seconds,
        "coverage_10000_ms": coverage_ms,
        "re_preview_round_trip_ms_median": previews[previews.len() / 2],
        "re_preview_round_trip_ms_max": previews[previews.len() - 1],
        "rss_offline_studio_mb": rss_offline.0,
        "rss_offline_webkit_children_mb": rss_offline.1,
        "rss_after_pull_studio_mb": rss_after_pull.0,
        "rss_10000_work_orders_studio_mb": app_mb,
        "rss_10000_work_orders_webkit_children_mb": webkit_mb,
    });
    println!("e2e measurements: {measured}");
    std::fs::write(
        shots().join("measurements.json"),
        serde_json::to_string_pretty(&measured).unwrap(),
    )
    .unwrap();

    client.close().await.unwrap();
}
