//! The journey's steps. Each is a named async function over the shared [`Journey`] (one
//! window, one workspace); [`run`] runs them in order, each with its own time budget, and
//! records whether it passed, failed (with its panic message) or did not run because a step
//! it needs had failed. A failing step does not hide the outcome of the steps after it.

use crate::webdriver::*;
use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fmt;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};
use unifield_test_support as support;

/// What the steps share: the window, the files, what earlier steps found.
pub struct Journey {
    studio: PathBuf,
    cli: PathBuf,
    workspace: support::TempWorkspace,
    chosen_file: PathBuf,
    sandbox: support::SandboxConfig,
    sandbox_url: String,
    client: Option<Client>,
    launched: Instant,
    /// The sample work order the journey edits against.
    wanted: Value,
    /// The unified record the studio showed after the edits.
    studio_output: Value,
    measured: BTreeMap<&'static str, Value>,
}

impl Journey {
    pub fn new(
        studio: PathBuf,
        cli: PathBuf,
        workspace: support::TempWorkspace,
        chosen_file: PathBuf,
        sandbox: support::SandboxConfig,
        sandbox_url: String,
    ) -> Journey {
        let samples = std::fs::read_to_string(
            support::root().join("mappings/corrigo/samples/WorkOrder.jsonl"),
        )
        .unwrap();
        let wanted = serde_json::from_str(samples.lines().nth(6).unwrap()).unwrap();
        Journey {
            studio,
            cli,
            workspace,
            chosen_file,
            sandbox,
            sandbox_url,
            client: None,
            launched: Instant::now(),
            wanted,
            studio_output: Value::Null,
            measured: BTreeMap::new(),
        }
    }

    fn client(&self) -> &Client {
        self.client
            .as_ref()
            .expect("the WebDriver session (step `start a session`)")
    }

    fn id(&self) -> String {
        self.wanted["Id"].to_string()
    }

    pub async fn close(&mut self) {
        if !self.measured.is_empty() {
            std::fs::write(
                crate::shots().join("measurements.json"),
                serde_json::to_string_pretty(&self.measured).unwrap(),
            )
            .unwrap();
            println!("e2e measurements: {}", json!(self.measured));
        }
        if let Some(client) = self.client.take() {
            let _ = client.close().await;
        }
    }
}

type StepFn = for<'a> fn(&'a mut Journey) -> BoxFuture<'a, ()>;

/// A step: its name, the steps it needs to have passed, and what it does.
pub struct Step {
    pub name: &'static str,
    pub needs: &'static [&'static str],
    pub run: StepFn,
}

pub const STEPS: &[Step] = &[
    Step {
        name: "start a session",
        needs: &[],
        run: |j| start_session(j).boxed(),
    },
    Step {
        name: "open the offline workspace",
        needs: &["start a session"],
        run: |j| open_offline_workspace(j).boxed(),
    },
    Step {
        name: "find a work order",
        needs: &["open the offline workspace"],
        run: |j| find_a_work_order(j).boxed(),
    },
    Step {
        name: "drag a source field onto a target field",
        needs: &["find a work order"],
        run: |j| drag_a_binding(j).boxed(),
    },
    Step {
        name: "add a transform step",
        needs: &["drag a source field onto a target field"],
        run: |j| add_a_step(j).boxed(),
    },
    Step {
        name: "coverage follows the edit",
        needs: &["add a transform step"],
        run: |j| coverage_follows_the_edit(j).boxed(),
    },
    Step {
        name: "export, checked with the CLI",
        needs: &["add a transform step"],
        run: |j| export_checked_with_the_cli(j).boxed(),
    },
    Step {
        name: "import a different file, then undo it",
        needs: &["export, checked with the CLI"],
        run: |j| import_a_different_file(j).boxed(),
    },
    Step {
        name: "save, history and diff",
        needs: &["add a transform step"],
        run: |j| save_history_and_diff(j).boxed(),
    },
    Step {
        name: "the mapping JSON editor",
        needs: &["add a transform step"],
        run: |j| mapping_json_editor(j).boxed(),
    },
    Step {
        name: "keyboard and themes",
        needs: &["open the offline workspace"],
        run: |j| keyboard_and_themes(j).boxed(),
    },
    Step {
        name: "the layout fits at 1440x900 and 960x600",
        needs: &["open the offline workspace"],
        run: |j| layout_fits(j).boxed(),
    },
    Step {
        name: "accessibility: axe-core on the main screens",
        needs: &["open the offline workspace"],
        run: |j| accessibility(j).boxed(),
    },
    Step {
        name: "add and test a connection",
        needs: &["open the offline workspace"],
        run: |j| add_and_test_a_connection(j).boxed(),
    },
    Step {
        name: "pull, cancel and resume, by counts",
        needs: &["add and test a connection"],
        run: |j| pull_cancel_and_resume(j).boxed(),
    },
    Step {
        name: "the connection as the source",
        // Its re-preview rounds undo and redo the journey's edits.
        needs: &["pull, cancel and resume, by counts", "add a transform step"],
        run: |j| connection_as_the_source(j).boxed(),
    },
    Step {
        name: "push to a server, read the unified API, roll back",
        // Last: it changes the source and the mapping.
        needs: &["open the offline workspace"],
        run: |j| push_to_a_server(j).boxed(),
    },
];

pub enum Outcome {
    Passed {
        name: &'static str,
        seconds: f64,
    },
    Failed {
        name: &'static str,
        seconds: f64,
        why: String,
    },
    NotRun {
        name: &'static str,
        needs: &'static str,
    },
}

impl Outcome {
    pub fn passed(&self) -> bool {
        matches!(self, Outcome::Passed { .. })
    }

    fn name(&self) -> &'static str {
        match self {
            Outcome::Passed { name, .. }
            | Outcome::Failed { name, .. }
            | Outcome::NotRun { name, .. } => name,
        }
    }

    pub fn to_json(&self) -> Value {
        match self {
            Outcome::Passed { name, seconds } => {
                json!({"step": name, "outcome": "passed", "seconds": seconds})
            }
            Outcome::Failed { name, seconds, why } => {
                json!({"step": name, "outcome": "failed", "seconds": seconds, "why": why})
            }
            Outcome::NotRun { name, needs } => {
                json!({"step": name, "outcome": "not run", "needs": needs})
            }
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Passed { name, seconds } => write!(f, "`{name}`: passed in {seconds:.1} s"),
            Outcome::Failed { name, seconds, why } => {
                write!(f, "`{name}`: FAILED after {seconds:.1} s: {why}")
            }
            Outcome::NotRun { name, needs } => {
                write!(
                    f,
                    "`{name}`: not run, it needs `{needs}`, which did not pass"
                )
            }
        }
    }
}

/// Runs `steps` in order. A step that panics or outlasts `budget` fails; the steps that
/// need it are not run; the others still run.
pub async fn run(journey: &mut Journey, steps: &[&Step], budget: Duration) -> Vec<Outcome> {
    let mut outcomes: Vec<Outcome> = Vec::new();
    for step in steps {
        let unmet = step
            .needs
            .iter()
            .find(|needed| !outcomes.iter().any(|o| o.name() == **needed && o.passed()));
        if let Some(needs) = unmet {
            outcomes.push(Outcome::NotRun {
                name: step.name,
                needs,
            });
            continue;
        }
        eprintln!("e2e: {}", step.name);
        let started = Instant::now();
        let result = AssertUnwindSafe(tokio::time::timeout(budget, (step.run)(journey)))
            .catch_unwind()
            .await;
        let seconds = started.elapsed().as_secs_f64();
        if !matches!(result, Ok(Ok(()))) {
            // What the window showed when the step failed.
            if let Some(client) = journey.client.as_ref() {
                let name = step.name.replace([' ', ','], "-");
                if let Ok(png) = client.screenshot().await {
                    let _ = std::fs::write(crate::shots().join(format!("failed-{name}.png")), png);
                }
            }
        }
        outcomes.push(match result {
            Ok(Ok(())) => Outcome::Passed {
                name: step.name,
                seconds,
            },
            Ok(Err(_)) => Outcome::Failed {
                name: step.name,
                seconds,
                why: format!("took over {budget:?}"),
            },
            Err(panic) => Outcome::Failed {
                name: step.name,
                seconds,
                why: panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "panicked".into()),
            },
        });
    }
    outcomes
}

async fn start_session(j: &mut Journey) {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("browserName".into(), json!("wry"));
    capabilities.insert("tauri:options".into(), json!({ "application": j.studio }));
    j.launched = Instant::now();
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
    j.client = Some(client);
}

/// The coverage badge of a target field: its text and its tooltip (`N filled, …`), or
/// None when the field shows no coverage.
async fn coverage_badge(client: &Client, field: &str) -> Option<(String, String)> {
    let found = js(client, &format!("const e = document.querySelector('[data-field=\"{field}\"] [data-testid=coverage-badge]'); return e ? [e.textContent, e.title] : null;")).await;
    Some((
        found[0].as_str()?.to_string(),
        found[1].as_str()?.to_string(),
    ))
}

async fn open_offline_workspace(j: &mut Journey) {
    let client = j.client();
    let ready_ms: u64 = until("the studio to be interactive", || async {
        let ms = js(client, "const e = document.querySelector('[data-testid=\"ready-ms\"]'); return e ? e.dataset.ms : null;").await;
        ms.as_str().and_then(|s| s.parse().ok())
    })
    .await;
    let interactive_wall = j.launched.elapsed();
    assert!(text_of(client, "record-count").await.contains("400"));
    // The Content-Security-Policy holds: no eval, no global Tauri object for injected code.
    let eval = js(
        client,
        "try { eval('1'); return 'allowed'; } catch (e) { return 'blocked'; }",
    )
    .await;
    assert_eq!(eval, json!("blocked"));
    assert_eq!(
        js(client, "return typeof window.__TAURI__;").await,
        json!("undefined")
    );
    // Coverage over the samples arrives before any edit: the later step compares against it.
    until("the first coverage", || async {
        text_of(client, "coverage-summary")
            .await
            .starts_with("400 records")
            .then_some(())
    })
    .await;
    assert_eq!(
        coverage_badge(client, "instructions").await,
        None,
        "instructions starts unbound, with no coverage"
    );
    shot(client, "01-offline-workspace").await;
    let rss = studio_rss_mb(&j.studio);
    j.measured.insert("interactive_ms_in_app", json!(ready_ms));
    j.measured.insert(
        "interactive_wall_ms_with_webdriver",
        json!(interactive_wall.as_millis() as u64),
    );
    j.measured.insert("rss_offline_studio_mb", json!(rss.0));
    j.measured
        .insert("rss_offline_webkit_children_mb", json!(rss.1));
}

async fn find_a_work_order(j: &mut Journey) {
    let client = j.client();
    let number = j.wanted["Number"].as_str().unwrap();
    let id = j.id();
    let search = client
        .find(Locator::Css("[data-testid=record-search]"))
        .await
        .unwrap();
    search.send_keys(number).await.unwrap();
    // Each state the list goes through, with what the box reads, so a failure says whether
    // the keys, the search or the list went astray.
    let seen = std::sync::Mutex::new(String::new());
    until("the search to narrow the list", || async {
        let state = js(client, "const box = document.querySelector('[data-testid=record-search]'); const toasts = [...document.querySelectorAll('[data-testid^=toast]')].map(e => e.textContent).join(' | '); return [box.value, document.querySelector('[data-testid=record-count]').textContent, toasts];").await;
        let count = state[1].as_str().unwrap_or("").to_string();
        let line = format!("box {} · count {count} · toasts [{}]", state[0], state[2].as_str().unwrap_or(""));
        let mut last = seen.lock().unwrap();
        if *last != line {
            eprintln!("record search: {line}");
            *last = line;
        }
        count.starts_with("1 of").then_some(())
    })
    .await;
    // Enter in the search takes the first match; emptying the search keeps it selected,
    // and the list is scrolled to it among all 400.
    search.send_keys("\u{e007}").await.unwrap(); // Enter
    until("Enter to select the found work order", || async {
        let selected = js(client, "const e = document.querySelector('[data-testid=record-row][aria-selected=true]'); return e ? e.dataset.id : null;").await;
        (selected == json!(id)).then_some(())
    })
    .await;
    search.click().await.unwrap();
    keys(client, &['\u{e009}', 'a']).await;
    keys(client, &['\u{e003}']).await; // Backspace
    until("the whole list, scrolled to the selection", || async {
        let all = text_of(client, "record-count").await == "400 of 400";
        let visible = js(client, &format!("const l = document.querySelector('.records .list'); const e = l.querySelector('[data-testid=record-row][data-id=\"{id}\"][aria-selected=true]'); if (!e) return false; const a = l.getBoundingClientRect(), b = e.getBoundingClientRect(); return b.top >= a.top - 1 && b.bottom <= a.bottom + 1;")).await;
        (all && visible == json!(true)).then_some(())
    })
    .await;
    until("the preview of the found work order", || async {
        (preview_output(client).await["key"] == json!(id)).then_some(())
    })
    .await;
    assert!(
        preview_output(client).await.get("instructions").is_none(),
        "instructions starts unbound"
    );
}

async fn drag_a_binding(j: &mut Journey) {
    let client = j.client();
    drag(
        client,
        "[data-testid=tree-node][data-path=\"$.ShortLocation\"]",
        "[data-testid=target-field][data-field=\"instructions\"]",
    )
    .await;
    let location = j.wanted["ShortLocation"]
        .as_str()
        .unwrap()
        .trim()
        .to_string();
    until("the dropped binding to reach the preview", || async {
        let out = preview_output(client).await;
        (out["instructions"].as_str().map(str::trim) == Some(location.as_str())).then_some(())
    })
    .await;
    shot(client, "02-dragged-binding").await;
}

async fn add_a_step(j: &mut Journey) {
    let client = j.client();
    let select = client
        .find(Locator::Css("[data-testid=add-step-select]"))
        .await
        .unwrap();
    select.select_by_value("upper").await.unwrap();
    click(client, "[data-testid=add-step]").await;
    assert_eq!(
        js(
            client,
            "return document.activeElement && document.activeElement.dataset.testid;"
        )
        .await,
        json!("add-step-select"),
        "focus stays with adding steps after Add"
    );
    let upper = j.wanted["ShortLocation"].as_str().unwrap().to_uppercase();
    until("the upper step in the preview", || async {
        (preview_output(client).await["instructions"] == json!(upper)).then_some(())
    })
    .await;
    j.studio_output = preview_output(client).await;
}

async fn coverage_follows_the_edit(j: &mut Journey) {
    let client = j.client();
    // Before the edit the field had no badge (checked when the workspace opened); now it
    // has one, over every sample, with the work orders that have a location filled.
    let (percent, tooltip) = until("coverage of instructions after the edit", || async {
        coverage_badge(client, "instructions").await
    })
    .await;
    let filled: u32 = tooltip
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("the badge's tooltip starts with a count: {tooltip}"));
    let with_location =
        std::fs::read_to_string(support::root().join("mappings/corrigo/samples/WorkOrder.jsonl"))
            .unwrap()
            .lines()
            .filter(|l| {
                serde_json::from_str::<Value>(l).unwrap()["ShortLocation"]
                    .as_str()
                    .is_some_and(|s| !s.trim().is_empty())
            })
            .count() as u32;
    assert!(
        filled > 0,
        "coverage counts the new binding's filled records: {tooltip}"
    );
    assert!(
        filled.abs_diff(with_location) <= with_location / 100 + 1,
        "coverage says {filled} filled; {with_location} samples have a ShortLocation ({percent}, {tooltip})"
    );
    assert!(text_of(client, "coverage-summary")
        .await
        .starts_with("400 records"));
    // And it is coverage of the latest edit: the field's top values went through `upper`.
    until("coverage of the upper step", || async {
        let values = js(client, "const e = document.querySelector('[data-testid=coverage-table] tr[data-field=\"instructions\"] td.values'); return e ? e.textContent : null;").await;
        let values = values.as_str()?.to_string();
        (!values.is_empty() && values == values.to_uppercase()).then_some(())
    })
    .await;
    shot(client, "03-step-preview-coverage").await;
}

async fn export_checked_with_the_cli(j: &mut Journey) {
    let client = j.client();
    let _ = std::fs::remove_file(&j.chosen_file);
    click(client, "[data-testid=export]").await;
    until("the exported file", || async {
        j.chosen_file.exists().then_some(())
    })
    .await;
    let validate = Command::new(&j.cli)
        .arg("validate")
        .arg(&j.chosen_file)
        .output()
        .unwrap();
    assert!(
        validate.status.success(),
        "unifield validate: {}",
        String::from_utf8_lossy(&validate.stderr)
    );
    let samples_file = support::root().join("mappings/corrigo/samples/WorkOrder.jsonl");
    let applied = Command::new(&j.cli)
        .args(["apply", "--allow-errors", "--mapping"])
        .arg(&j.chosen_file)
        .arg("--input")
        .arg(&samples_file)
        .output()
        .unwrap();
    assert!(
        applied.status.success(),
        "unifield apply: {}",
        String::from_utf8_lossy(&applied.stderr)
    );
    let id = j.id();
    let cli_record: Value = String::from_utf8(applied.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|r| r["key"] == json!(id))
        .expect("the CLI maps the same work order");
    assert!(
        same_json(&cli_record, &j.studio_output),
        "the CLI and the studio disagree:\n{cli_record}\n{}",
        j.studio_output
    );
}

async fn import_a_different_file(j: &mut Journey) {
    let client = j.client();
    // The file to import differs from what is loaded: instructions lower-cased, not upper.
    let exported: Value =
        serde_json::from_str(&std::fs::read_to_string(&j.chosen_file).unwrap()).unwrap();
    let mut different = exported.clone();
    let steps = &mut different["fields"]["instructions"]["steps"];
    assert_eq!(
        *steps,
        json!(["upper"]),
        "the exported binding: {}",
        exported["fields"]["instructions"]
    );
    *steps = json!(["lower"]);
    std::fs::write(
        &j.chosen_file,
        serde_json::to_string_pretty(&different).unwrap(),
    )
    .unwrap();
    click(client, "[data-testid=import]").await;
    until("the import to be confirmed", || async {
        let toasts = js(client, "return [...document.querySelectorAll('[data-testid=toast-info]')].map(e => e.textContent).join(' | ');").await;
        toasts.as_str()?.contains("Imported into work_order").then_some(())
    })
    .await;
    let lower = j.wanted["ShortLocation"].as_str().unwrap().to_lowercase();
    until("the imported binding in the preview", || async {
        (preview_output(client).await["instructions"] == json!(lower)).then_some(())
    })
    .await;
    // The import is one undoable edit: undo brings back what was loaded before.
    click(client, "[data-testid=undo]").await;
    until("the undone import", || async {
        same_json(&preview_output(client).await, &j.studio_output).then_some(())
    })
    .await;
}

async fn save_history_and_diff(j: &mut Journey) {
    let client = j.client();
    keys(client, &['\u{e009}', 's']).await; // Ctrl+S
    until("the saved version", || async {
        text_of(client, "save-state")
            .await
            .eq("saved as v1")
            .then_some(())
    })
    .await;
    // Saving changed nothing under the user and added no undo step: one undo goes back
    // to before the `upper` step, and redo returns to exactly the saved text.
    assert!(same_json(&preview_output(client).await, &j.studio_output));
    click(client, "[data-testid=undo]").await;
    let location = j.wanted["ShortLocation"]
        .as_str()
        .unwrap()
        .trim()
        .to_string();
    until("the undone step", || async {
        let out = preview_output(client).await;
        (out["instructions"].as_str().map(str::trim) == Some(location.as_str())).then_some(())
    })
    .await;
    assert!(text_of(client, "save-state")
        .await
        .starts_with("unsaved changes"));
    keys(client, &['\u{e009}', 'y']).await; // Ctrl+Y redoes, as Ctrl+Shift+Z does
    until("the redone step, which is the saved text", || async {
        let saved = text_of(client, "save-state").await == "saved as v1";
        (saved && same_json(&preview_output(client).await, &j.studio_output)).then_some(())
    })
    .await;
    keys(client, &['\u{e009}', 'h']).await; // Ctrl+H
    let rows = "return document.querySelectorAll('[data-testid=diff] tr').length;";
    until("the diff against the bundled default", || async {
        let diff = text_of(client, "diff").await;
        diff.contains("addedfields.instructions").then_some(())
    })
    .await;
    let before = js(client, rows).await.as_u64().unwrap_or(0);
    shot(client, "08-history-diff").await;
    // What the screenshot shows is what was asserted: the rows are still there after it.
    let after = js(client, rows).await.as_u64().unwrap_or(0);
    assert!(
        before > 0 && after == before,
        "diff rows: {before} before the screenshot, {after} after"
    );
    keys(client, &['\u{e00c}']).await; // Escape

    // Restore with unsaved edits loses nothing: the restored version is one undoable edit.
    click(client, "[data-testid=undo]").await; // an unsaved edit: the `upper` step undone
    let unsaved_output = until("the unsaved edit", || async {
        let out = preview_output(client).await;
        (out["instructions"].as_str().map(str::trim) == Some(location.as_str())).then_some(out)
    })
    .await;
    keys(client, &['\u{e009}', 'h']).await; // Ctrl+H
    click(client, "[data-testid=history-dialog] [data-testid=restore]").await;
    until(
        "the restored version (v1 again: the store keeps no duplicate version)",
        || async {
            let saved = text_of(client, "save-state").await == "saved as v1";
            (saved && same_json(&preview_output(client).await, &j.studio_output)).then_some(())
        },
    )
    .await;
    click(client, "[data-testid=undo]").await;
    until("undo to bring the unsaved edit back", || async {
        let unsaved = text_of(client, "save-state")
            .await
            .starts_with("unsaved changes");
        (unsaved && same_json(&preview_output(client).await, &unsaved_output)).then_some(())
    })
    .await;
    keys(client, &['\u{e009}', 'y']).await; // Ctrl+Y: back to the restored version
    until("the restored version again", || async {
        let saved = text_of(client, "save-state").await == "saved as v1";
        (saved && same_json(&preview_output(client).await, &j.studio_output)).then_some(())
    })
    .await;

    // Coverage lists priority id 7 as unmapped. Nothing is proposed: the user chooses the
    // target before the value can be added. Then the saved diff shows that one entry.
    let fix = "[data-testid=coverage-table] tr[data-field=\"priority\"]";
    let add = format!("{fix} [data-testid=add-unmapped]");
    let disabled = format!("return document.querySelector('{add}').disabled;");
    assert_eq!(
        until("the unmapped priority's fix", || async {
            let d = js(client, &disabled).await;
            d.is_boolean().then_some(d)
        })
        .await,
        json!(true),
        "the fix is disabled until a target is chosen"
    );
    client
        .find(Locator::Css(&format!(
            "{fix} [data-testid=unmapped-target]"
        )))
        .await
        .unwrap()
        .select_by_value("low")
        .await
        .unwrap();
    click(client, &add).await;
    until("the mapped priority in the preview", || async {
        (preview_output(client).await["priority"] == json!("low")).then_some(())
    })
    .await;
    keys(client, &['\u{e009}', 's']).await; // Ctrl+S
    until("the mapped priority saved as v2", || async {
        (text_of(client, "save-state").await == "saved as v2").then_some(())
    })
    .await;
    keys(client, &['\u{e009}', 'h']).await; // Ctrl+H: v1 → v2 by default
    let entry = until("the value-map entry in the diff", || async {
        let rows = js(client, "return [...document.querySelectorAll('[data-testid=diff] [data-testid=diff-row]')].map((r) => [r.dataset.at, r.textContent]);").await;
        let rows = rows.as_array()?.clone();
        (!rows.is_empty()).then_some(rows)
    })
    .await;
    assert_eq!(entry.len(), 1, "one changed entry: {entry:?}");
    assert!(
        entry[0][0].as_str().is_some_and(
            |at| at.starts_with("fields.priority.steps[") && at.ends_with(".map[\"7\"]")
        ),
        "{entry:?}"
    );
    assert!(
        entry[0][1]
            .as_str()
            .is_some_and(|t| t.starts_with("added") && t.ends_with("\"low\"")),
        "{entry:?}"
    );
    shot(client, "08b-history-diff-value-map-entry").await;
    keys(client, &['\u{e00c}']).await; // Escape
    click(client, "[data-testid=undo]").await; // the later steps start from the `upper` edit
    until("the edit before the value-map entry", || async {
        same_json(&preview_output(client).await, &j.studio_output).then_some(())
    })
    .await;
}

async fn mapping_json_editor(j: &mut Journey) {
    let client = j.client();
    click(client, "[data-testid=view-json]").await;
    until("the mapping JSON editor", || async {
        // The editor sits in a shadow root; its own styles must have reached it despite
        // the CSP (white-space is `normal` without them and the text lays out wrong).
        let found = js(client, "const r = document.querySelector('[data-testid=mapping-json]')?.shadowRoot; const c = r && r.querySelector('.cm-content'); return c ? [c.textContent, getComputedStyle(c).whiteSpace] : null;").await;
        let text = found[0].as_str()?;
        assert_ne!(found[1], json!("normal"), "CodeMirror's styles are missing");
        text.contains("\"instructions\"").then_some(())
    })
    .await;
    shot(client, "09-mapping-json").await;

    // One stray character breaks the JSON: the last good preview stays, dimmed and
    // labelled stale under the problems; coverage says it is stale; the banner points at
    // the marked line (the user is in the JSON view already); the canvas keeps the last
    // bindings it could read.
    js(client, "document.querySelector('[data-testid=mapping-json]').shadowRoot.querySelector('.cm-content').focus();").await;
    keys(client, &['\u{e009}', '\u{e010}']).await; // Ctrl+End
    keys(client, &['x']).await;
    let upper = j.studio_output["instructions"].clone();
    until("the stale preview under the problems", || async {
        let stale = text_of(client, "preview-stale-output").await;
        let stale: Value = serde_json::from_str(&stale).ok()?;
        let problems = text_of(client, "problems").await;
        (stale["instructions"] == upper && !problems.is_empty()).then_some(())
    })
    .await;
    assert_eq!(
        text_of(client, "preview-output").await,
        "",
        "a stale preview is not shown as the current one"
    );
    let banner = text_of(client, "invalid-json-banner").await;
    assert!(
        banner.contains("marked below") && !banner.contains("Fix it in Mapping JSON"),
        "{banner}"
    );
    until("coverage to say it is stale", || async {
        (!text_of(client, "coverage-stale").await.is_empty()).then_some(())
    })
    .await;
    shot(client, "10-invalid-json-stale-preview").await;
    click(client, ".view-tabs .tab").await; // back to the canvas
    let row = js(client, "const g = document.querySelector('[role=grid][data-stale=true]'); const r = g && g.querySelector('[data-field=\"instructions\"]'); return r ? r.textContent : null;").await;
    assert!(
        row.as_str().is_some_and(|t| t.contains("ShortLocation")),
        "the canvas keeps the last bindings while the JSON is broken: {row}"
    );
    click(client, "[data-testid=undo]").await;
    until("undo to mend the JSON", || async {
        same_json(&preview_output(client).await, &j.studio_output).then_some(())
    })
    .await;
    assert_eq!(text_of(client, "preview-stale-output").await, "");
}

async fn keyboard_and_themes(j: &mut Journey) {
    let client = j.client();
    let focused =
        "const e = document.activeElement; return e ? e.dataset.testid || e.tagName : null;";
    js(
        client,
        "document.querySelector('[data-testid=record-search]').focus();",
    )
    .await;
    keys(client, &['\u{e031}']).await; // F1
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("[data-testid=shortcuts-dialog]"))
        .await
        .unwrap();
    keys(client, &['\u{e009}', '\u{e008}', 'l']).await; // Ctrl+Shift+L
    until("the dark theme", || async {
        js(client, "return document.documentElement.dataset.theme")
            .await
            .eq("dark")
            .then_some(())
    })
    .await;
    shot(client, "04-shortcuts-dark").await;
    keys(client, &['\u{e00c}']).await; // Escape closes the dialog
    until("the dialog to close", || async {
        text_of(client, "shortcuts-dialog")
            .await
            .is_empty()
            .then_some(())
    })
    .await;
    assert_eq!(
        js(client, focused).await,
        json!("record-search"),
        "focus returns where it was before the dialog"
    );
    keys(client, &['\u{e009}', '\u{e008}', 'l']).await;

    // A source node: Enter selects it and does not pick it up; Space picks it up for a
    // keyboard drag, Escape puts it back.
    let node = "[data-testid=tree-node][data-path=\"$.ShortLocation\"]";
    js(
        client,
        &format!("document.querySelector('{node}').focus();"),
    )
    .await;
    keys(client, &['\u{e007}']).await; // Enter
    until("Enter to select the node", || async {
        let selected = js(
            client,
            &format!("return document.querySelector('{node}').getAttribute('aria-selected');"),
        )
        .await;
        (selected == json!("true")).then_some(())
    })
    .await;
    let picked_up = "return document.querySelector('.drag-chip') !== null;";
    assert_eq!(
        js(client, picked_up).await,
        json!(false),
        "Enter picked the node up for a drag"
    );
    keys(client, &['\u{e00d}']).await; // Space
    until("Space to pick the node up", || async {
        (js(client, picked_up).await == json!(true)).then_some(())
    })
    .await;
    keys(client, &['\u{e00c}']).await; // Escape
    until("Escape to put it back", || async {
        (js(client, picked_up).await == json!(false)).then_some(())
    })
    .await;

    // A bind with the keyboard only: the tree and the field grid are one Tab stop each
    // with arrow keys inside; Home takes the tree's first node, the grid's Home then two
    // ArrowDowns take `title`, Ctrl+B binds them.
    let stops = js(client, "return [document.querySelectorAll('[role=tree] [role=treeitem][tabindex=\"0\"]').length, document.querySelectorAll('[role=grid] [role=row][tabindex=\"0\"]').length];").await;
    assert_eq!(
        stops,
        json!([1, 1]),
        "one Tab stop in the tree and one in the grid"
    );
    js(
        client,
        "document.querySelector('[role=tree] [role=treeitem][tabindex=\"0\"]').focus();",
    )
    .await;
    keys(client, &['\u{e011}']).await; // Home
    let first = until("Home in the tree", || async {
        let path = js(client, "const e = document.activeElement; return e && e.getAttribute('role') === 'treeitem' && e.getAttribute('aria-selected') === 'true' ? e.dataset.path : null;").await;
        path.as_str().map(str::to_string)
    })
    .await;
    let member = first.trim_start_matches("$.").to_string();
    let value = j.wanted[member.as_str()]
        .as_str()
        .unwrap_or_else(|| panic!("{first} is a text member of the sample"))
        .trim()
        .to_string();
    js(
        client,
        "document.querySelector('[role=grid] [role=row][tabindex=\"0\"]').focus();",
    )
    .await;
    keys(client, &['\u{e011}']).await; // Home
    keys(client, &['\u{e015}']).await; // ArrowDown
    keys(client, &['\u{e015}']).await; // ArrowDown
    until("the grid's focus on title", || async {
        let field = js(client, "const e = document.activeElement; return e && e.getAttribute('aria-selected') === 'true' ? e.dataset.field : null;").await;
        (field == json!("title")).then_some(())
    })
    .await;
    keys(client, &['\u{e009}', 'b']).await; // Ctrl+B
    until("the keyboard-bound title in the preview", || async {
        let out = preview_output(client).await;
        (out["title"].as_str().map(str::trim) == Some(value.as_str())).then_some(())
    })
    .await;
    click(client, "[data-testid=undo]").await;
    until("the bind undone", || async {
        same_json(&preview_output(client).await, &j.studio_output).then_some(())
    })
    .await;
}

/// The toolbar's actions: each must be reachable, in the bar or in its "More" menu.
const TOOLBAR_ACTIONS: &[&str] = &[
    "undo",
    "save",
    "open-history",
    "export",
    "import",
    "open-connections",
    "theme",
    "help",
];

/// What the page looks like at one window size: the viewport, whether anything scrolls
/// sideways, which regions overlap or leave the viewport, and which toolbar actions are
/// neither visible in the bar nor in its open menu.
const LAYOUT_PROBE: &str = r#"
const vw = window.innerWidth, vh = window.innerHeight;
const d = document.documentElement;
const visible = (e) => {
  if (!e) return false;
  const r = e.getBoundingClientRect(), s = getComputedStyle(e);
  return s.display !== 'none' && s.visibility !== 'hidden' && r.width > 0 && r.height > 0
    && r.left >= 0 && r.top >= 0 && r.right <= vw + 0.5 && r.bottom <= vh + 0.5;
};
const regions = ['.topbar', '.left', '.center', '.right', '.statusbar'].map((css) => [css, document.querySelector(css)]);
const out = [];
for (const [css, e] of regions) {
  const r = e.getBoundingClientRect();
  if (r.left < -0.5 || r.top < -0.5 || r.right > vw + 0.5 || r.bottom > vh + 0.5) out.push(css + ' leaves the viewport');
}
for (let i = 0; i < regions.length; i++) for (let k = i + 1; k < regions.length; k++) {
  const a = regions[i][1].getBoundingClientRect(), b = regions[k][1].getBoundingClientRect();
  const w = Math.min(a.right, b.right) - Math.max(a.left, b.left), h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
  if (w > 1 && h > 1) out.push(regions[i][0] + ' overlaps ' + regions[k][0]);
}
const wanted = arguments[0];
const menu = document.querySelector('[data-testid=more-menu]');
const inBar = wanted.filter((id) => visible(document.querySelector('.topbar [data-testid="' + id + '"]')));
return {
  vw, vh,
  sideways: Math.max(d.scrollWidth, document.body.scrollWidth) - vw,
  problems: out,
  inBar,
  menuVisible: visible(menu && menu.querySelector('summary')),
};
"#;

/// The actions visible in the open "More" menu.
const MENU_PROBE: &str = r#"
const vw = window.innerWidth, vh = window.innerHeight;
return [...document.querySelectorAll('[data-testid=more-menu] [role=menuitem]')].filter((e) => {
  const r = e.getBoundingClientRect();
  return r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0 && r.right <= vw + 0.5 && r.bottom <= vh + 0.5;
}).map((e) => e.dataset.testid.replace(/^menu-/, ''));
"#;

async fn layout_fits(j: &mut Journey) {
    let client = j.client();
    for (width, height) in [(1440u32, 900u32), (960, 600)] {
        client.set_window_size(width, height).await.unwrap();
        let probe = until(&format!("the window at {width}x{height}"), || async {
            let p = client
                .execute(LAYOUT_PROBE, vec![json!(TOOLBAR_ACTIONS)])
                .await
                .unwrap();
            let (vw, vh) = (p["vw"].as_u64()? as u32, p["vh"].as_u64()? as u32);
            (vw.abs_diff(width) <= 16 && vh.abs_diff(height) <= 40).then_some(p)
        })
        .await;
        let size = format!("{width}x{height}");
        assert!(
            probe["sideways"].as_f64().unwrap() <= 0.5,
            "at {size} the page scrolls sideways by {} px",
            probe["sideways"]
        );
        assert_eq!(probe["problems"], json!([]), "regions at {size}");
        shot(client, &format!("11-layout-{size}")).await;
        // Every toolbar action is reachable: in the bar, or in the open "More" menu.
        let in_bar: Vec<String> = serde_json::from_value(probe["inBar"].clone()).unwrap();
        let mut in_menu: Vec<String> = Vec::new();
        if in_bar.len() < TOOLBAR_ACTIONS.len() {
            assert_eq!(
                probe["menuVisible"],
                json!(true),
                "at {size} some actions are not in the bar ({in_bar:?}) and there is no visible menu"
            );
            click(client, "[data-testid=more-menu] summary").await;
            in_menu = until("the open menu", || async {
                let items: Vec<String> =
                    serde_json::from_value(js(client, MENU_PROBE).await).ok()?;
                (!items.is_empty()).then_some(items)
            })
            .await;
            shot(client, &format!("12-toolbar-menu-{size}")).await;
            keys(client, &['\u{e00c}']).await; // Escape
            click(client, "[data-testid=more-menu] summary").await; // and close it
        }
        for action in TOOLBAR_ACTIONS {
            assert!(
                in_bar.iter().any(|a| a == action) || in_menu.iter().any(|a| a == action),
                "at {size} `{action}` is reachable neither in the bar {in_bar:?} nor in the menu {in_menu:?}"
            );
        }
    }
    client.set_window_size(1440, 900).await.unwrap();
    until("the window back at 1440x900", || async {
        let w = js(client, "return window.innerWidth;").await.as_u64()?;
        (w.abs_diff(1440) <= 16).then_some(())
    })
    .await;
}

/// axe-core's serious and critical violations on the page as it is: `rule (impact): n × targets`.
async fn axe_violations(client: &Client) -> Vec<String> {
    if js(client, "return typeof window.axe;").await != json!("object") {
        // axe-core from the UI's npm packages (scripts/ui-build installs them).
        let path = support::root().join("ui/node_modules/axe-core/axe.min.js");
        let source = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (run scripts/ui-build to install the UI's packages)",
                path.display()
            )
        });
        client
            .execute(&format!("{source}\nreturn typeof window.axe;"), vec![])
            .await
            .unwrap();
    }
    let found = client
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
            axe.run(document, { resultTypes: ['violations'] }).then((r) => done(
              r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) =>
                v.id + ' (' + v.impact + '): ' + v.nodes.length + ' × ' +
                v.nodes.slice(0, 4).map((n) => n.target.join(' ')).join(', '))
            ), (e) => done(['axe failed: ' + e]));"#,
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(found).unwrap()
}

async fn accessibility(j: &mut Journey) {
    let client = &j.client().clone();
    let mut report: Vec<String> = Vec::new();
    let mut check = |screen: &str, found: Vec<String>| {
        report.extend(found.into_iter().map(|v| format!("{screen}: {v}")));
    };
    check("main", axe_violations(client).await);
    click(client, "[data-testid=view-json]").await;
    check("mapping JSON", axe_violations(client).await);
    click(client, ".view-tabs .tab").await;
    keys(client, &['\u{e009}', 'h']).await; // Ctrl+H
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("[data-testid=history-dialog]"))
        .await
        .unwrap();
    check("history", axe_violations(client).await);
    keys(client, &['\u{e00c}']).await;
    keys(client, &['\u{e031}']).await; // F1
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("[data-testid=shortcuts-dialog]"))
        .await
        .unwrap();
    check("shortcuts", axe_violations(client).await);
    keys(client, &['\u{e00c}']).await;
    click(client, "[data-testid=open-connections]").await;
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("[data-testid=connections-dialog]"))
        .await
        .unwrap();
    check("connections", axe_violations(client).await);
    keys(client, &['\u{e00c}']).await;
    until("the dialogs to close", || async {
        let open = js(
            client,
            "return document.querySelector('[role=dialog]') !== null;",
        )
        .await;
        (open == json!(false)).then_some(())
    })
    .await;
    j.measured
        .insert("axe_serious_or_critical", json!(report.len()));
    assert!(
        report.is_empty(),
        "axe-core: {} serious or critical violations:\n  {}",
        report.len(),
        report.join("\n  ")
    );
}

async fn add_and_test_a_connection(j: &mut Journey) {
    let client = j.client();
    click(client, "[data-testid=open-connections]").await;
    // An empty form says every missing field at once, each beside its field.
    click(client, "[data-testid=add-connection]").await;
    let errors = until("the form's errors", || async {
        let n = js(client, "return document.querySelectorAll('[data-testid=connections-dialog] [data-testid=field-error]').length;").await.as_u64()?;
        (n > 0).then_some(n)
    })
    .await;
    assert_eq!(
        errors, 4,
        "name, company, client id and secret are each missing"
    );
    let name = j.workspace.connection_name("sandbox");
    for (test_id, value) in [
        ("connection-name", name.clone()),
        ("connection-company", j.sandbox.company.clone()),
    ] {
        fill(client, test_id, &value).await;
    }
    click(client, "[data-testid=connection-custom]").await;
    for (test_id, value) in [
        ("connection-baseUrl", j.sandbox_url.clone()),
        ("connection-clientId", j.sandbox.client_id.clone()),
        ("connection-secret", j.sandbox.client_secret.clone()),
    ] {
        fill(client, test_id, &value).await;
    }
    click(client, "[data-testid=add-connection]").await;
    click(
        client,
        "[data-testid=connection] [data-testid=test-connection]",
    )
    .await;
    let status = until("the connection's health", || async {
        let status = js(client, "const e = document.querySelector('[data-testid=health]'); return e ? e.dataset.status : null;").await;
        status.as_str().filter(|s| *s != "testing").map(str::to_string)
    })
    .await;
    assert_eq!(status, "ok", "the sandbox connection tests ok");
}

async fn fill(client: &Client, test_id: &str, value: &str) {
    let input = client
        .find(Locator::Css(&format!("[data-testid={test_id}]")))
        .await
        .unwrap();
    input.send_keys(value).await.unwrap();
}

/// The `WorkOrder N` count in a text such as the pull report or the cached counts.
fn work_orders_in(text: &str) -> Option<u32> {
    let at = text.find("WorkOrder ")? + "WorkOrder ".len();
    text[at..]
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// The connection row's cached work orders, once its Pull button is back.
async fn cached_work_orders(client: &Client) -> u32 {
    until("the connection's cached counts", || async {
        let row = js(client, "const e = document.querySelector('[data-testid=connection]'); return e && e.querySelector('[data-testid=pull]') ? e.textContent : null;").await;
        work_orders_in(row.as_str()?.split("cached:").nth(1)?)
    })
    .await
}

async fn pull_cancel_and_resume(j: &mut Journey) {
    let client = &j.client().clone();
    let total = j.sandbox.work_orders as u32;
    // Pull, and cancel once the first page is in: the pages so far are kept.
    click(client, "[data-testid=pull]").await;
    until("pull progress", || async {
        let progress = text_of(client, "pull-progress").await;
        (progress.contains("WorkOrder: ") && !progress.contains("WorkOrder: 0 records"))
            .then_some(())
    })
    .await;
    shot(client, "05-pull-progress").await;
    click(client, "[data-testid=cancel-pull]").await;
    let cancelled = until("the cancelled pull's report", || async {
        let report = text_of(client, "pull-report").await;
        (!report.is_empty()).then_some(report)
    })
    .await;
    assert!(cancelled.starts_with("Cancelled"), "{cancelled}");
    let kept = work_orders_in(&cancelled).expect("the cancelled report counts work orders");
    assert!(
        kept > 0 && kept < total,
        "a cancelled pull keeps some pages, not all: {cancelled}"
    );
    assert_eq!(
        cached_work_orders(client).await,
        kept,
        "the cache holds what the cancelled run committed"
    );

    // Pull again: it resumes after the last committed page, fetching only the rest.
    let pull_started = Instant::now();
    click(client, "[data-testid=pull]").await;
    let report = until("the resumed pull's report", || async {
        let report = text_of(client, "pull-report").await;
        report.starts_with("Pulled:").then_some(report)
    })
    .await;
    j.measured.insert(
        "resumed_pull_s",
        json!(pull_started.elapsed().as_secs_f64()),
    );
    assert_eq!(
        work_orders_in(&report),
        Some(total - kept),
        "the resumed run fetches only the work orders after the cancelled one: {report}"
    );
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
    assert_eq!(cached_work_orders(client).await, total);
    shot(client, "06-connection-pulled").await;
    let rss = studio_rss_mb(&j.studio);
    j.measured.insert("rss_after_pull_studio_mb", json!(rss.0));
}

async fn connection_as_the_source(j: &mut Journey) {
    let client = j.client();
    click(client, "[data-testid=use-connection]").await;
    // Empty the search as a user would (WebDriver's clear does not fire React's input event).
    client
        .find(Locator::Css("[data-testid=record-search]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    keys(client, &['\u{e009}', 'a']).await;
    keys(client, &['\u{e003}']).await; // Backspace
    until("the cached work orders", || async {
        text_of(client, "record-count")
            .await
            .eq("10000 of 10000")
            .then_some(())
    })
    .await;
    let coverage_ms: u64 = until("coverage over 10,000 records", || async {
        let summary = text_of(client, "coverage-summary").await;
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
        let v = js(client, "const e = document.querySelector('[data-testid=\"preview-time\"]'); return [e.dataset.count, e.dataset.ms];").await;
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
            client,
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
    shot(client, "07-connection-source").await;
    let (app_mb, webkit_mb) = studio_rss_mb(&j.studio);
    previews.sort_by(f64::total_cmp);
    j.measured.insert("coverage_10000_ms", json!(coverage_ms));
    j.measured.insert(
        "re_preview_round_trip_ms_median",
        json!(previews[previews.len() / 2]),
    );
    j.measured.insert(
        "re_preview_round_trip_ms_max",
        json!(previews[previews.len() - 1]),
    );
    j.measured
        .insert("rss_10000_work_orders_studio_mb", json!(app_mb));
    j.measured
        .insert("rss_10000_work_orders_webkit_children_mb", json!(webkit_mb));
}

/// A `unifield serve --demo` child process, killed when dropped (also when the step fails).
struct DemoServer {
    child: std::process::Child,
    url: String,
    api_key: String,
    connection_id: String,
    _data: support::TempWorkspace,
}

impl DemoServer {
    /// Starts the server and reads the URL, API key and connection id it prints (bounded).
    fn start(cli: &std::path::Path) -> DemoServer {
        use std::io::BufRead;
        let data = support::TempWorkspace::new();
        let mut child = Command::new(cli)
            .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data"])
            .arg(data.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("starts `unifield serve --demo`");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let (mut url, mut api_key, mut connection_id) = (None, None, None);
        let deadline = Instant::now() + Duration::from_secs(60);
        while url.is_none() || api_key.is_none() || connection_id.is_none() {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match rx.recv_timeout(left) {
                Ok(line) => line,
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "`unifield serve --demo` did not print its URL, key and connection: {e}"
                    );
                }
            };
            if url.is_none() && line.starts_with("http://") {
                url = Some(line.trim().to_string());
            }
            if let Some(at) = line.find("(con_") {
                connection_id = line[at + 1..].split(')').next().map(str::to_string);
            }
            if let Some(rest) = line.trim().strip_prefix("API key:") {
                api_key = rest.split_whitespace().next().map(str::to_string);
            }
        }
        DemoServer {
            child,
            url: url.unwrap(),
            api_key: api_key.unwrap(),
            connection_id: connection_id.unwrap(),
            _data: data,
        }
    }

    /// Work order `key` as the unified API's next response serves it, read with a plain client.
    async fn work_order(&self, key: &str) -> Value {
        let response = reqwest::Client::new()
            .get(format!(
                "{}/api/connections/{}/eam/work-orders/{key}",
                self.url, self.connection_id
            ))
            .bearer_auth(&self.api_key)
            .timeout(Duration::from_secs(20))
            .send()
            .await
            .expect("the unified API answers");
        assert!(response.status().is_success(), "{}", response.status());
        let body: Value = response.json().await.unwrap();
        body["data"].clone()
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The custom field the push step adds.
const PUSHED_FIELD: &str = "e2ePushed";

async fn push_to_a_server(j: &mut Journey) {
    let server = DemoServer::start(&j.cli);
    let client = &j.client().clone();

    // Add the server in the Servers dialog.
    click(client, "[data-testid=open-servers]").await;
    fill(client, "server-name", "demo").await;
    fill(client, "server-url", &server.url).await;
    fill(client, "server-key", &server.api_key).await;
    click(client, "[data-testid=add-server]").await;
    click(
        client,
        "[data-server=demo] [data-testid=server-connections]",
    )
    .await;
    let status = until("the server's connection", || async {
        js(client, "const e = document.querySelector('[data-server=demo] [data-testid=server-connection-status]'); return e ? e.textContent : null;").await.as_str().map(str::to_string)
    })
    .await;
    assert_eq!(status, "ok", "the demo connection is synced");
    shot(client, "08-servers-dialog").await;

    // Preview through it: its raw work orders become the source.
    click(
        client,
        "[data-server=demo] [data-testid=preview-through-server]",
    )
    .await;
    until("the server's work orders as the source", || async {
        let gone = js(
            client,
            "return document.querySelector('[data-testid=servers-dialog]') === null;",
        )
        .await;
        let count = text_of(client, "record-count").await;
        (gone.as_bool() == Some(true) && count.ends_with("of 1000")).then_some(())
    })
    .await;

    // A new custom field, bound to the selected node (or $.Id).
    let name = client
        .find(Locator::Css("input[aria-label='New custom field name']"))
        .await
        .unwrap();
    name.send_keys(PUSHED_FIELD).await.unwrap();
    name.send_keys("\u{e007}").await.unwrap(); // Enter submits
                                               // Bound to the selected source node (or `$.Id` when none is): what the studio shows
                                               // is what the server must serve. The studio names custom fields `custom`; the unified
                                               // API, `customFields`.
    let (key, shown) = until("the custom field in the preview", || async {
        let output = preview_output(client).await;
        let shown = output["custom"].get(PUSHED_FIELD)?.clone();
        Some((output["key"].as_str()?.to_string(), shown))
    })
    .await;
    let before = server.work_order(&key).await;
    assert!(
        before["customFields"].get(PUSHED_FIELD).is_none(),
        "the connection's active mapping has no {PUSHED_FIELD} yet: {before}"
    );

    // Ctrl+Shift+P: the diff and the impact, before anything is sent.
    keys(client, &['\u{e009}', '\u{e008}', 'p']).await;
    let changes = until("the push dialog's diff", || async {
        let text = text_of(client, "push-changes").await;
        (!text.is_empty()).then_some(text)
    })
    .await;
    assert!(
        changes.contains(&format!("custom.{PUSHED_FIELD}")),
        "the diff names the new field: {changes}"
    );
    let impact = text_of(client, "push-impact").await;
    assert!(
        impact.contains(PUSHED_FIELD),
        "the impact names it: {impact}"
    );
    shot(client, "09-push-dialog").await;

    click(client, "[data-testid=push-send]").await;
    let matches = until("the push's verify", || async {
        let v = js(client, "const e = document.querySelector('[data-testid=push-verify]'); return e ? e.dataset.matches : (document.querySelector('[data-testid=push-error]') ? 'error: ' + document.querySelector('[data-testid=push-error]').textContent : null);").await;
        v.as_str().map(str::to_string)
    })
    .await;
    shot(client, "10-pushed-and-verified").await;
    assert_eq!(matches, "true", "the server serves what the studio shows");

    // Outside the studio: the unified API's next response has the field.
    let after = server.work_order(&key).await;
    assert!(
        same_json(&after["customFields"][PUSHED_FIELD], &shown),
        "the pushed field is served as the studio showed it ({shown}): {after}"
    );

    // Roll back to version 0: the field is gone from the next response.
    click(
        client,
        "[data-testid=push-versions] [data-version='0'] [data-testid=push-rollback]",
    )
    .await;
    let active = until("the rollback's new version", || async {
        let text = text_of(client, "push-active").await;
        text.starts_with("Rolled back").then_some(text)
    })
    .await;
    assert_eq!(
        active, "Rolled back: version 2, a copy of version 0, is active (was 1).",
        "the rollback says what it replaced"
    );
    // Verify after the rollback names the field the server no longer serves.
    let (matches, verify) = until("the rollback's verify", || async {
        let v = js(client, "const e = document.querySelector('[data-testid=push-verify]'); return e ? [e.dataset.matches, e.textContent] : null;").await;
        Some((v[0].as_str()?.to_string(), v[1].as_str()?.to_string()))
    })
    .await;
    assert_eq!(matches, "false", "{verify}");
    assert!(
        verify.contains(&format!("customFields.{PUSHED_FIELD}")),
        "{verify}"
    );
    let rolled_back = server.work_order(&key).await;
    assert!(
        rolled_back["customFields"].get(PUSHED_FIELD).is_none(),
        "rolled back, the field is gone: {rolled_back}"
    );
    shot(client, "11-rolled-back").await;
    keys(client, &['\u{e00c}']).await; // Escape closes the dialog
}
