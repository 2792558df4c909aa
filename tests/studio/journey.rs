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

mod connection;
mod editing;
mod keyboard_layout;
mod memory;
mod push;
mod toasts;
use connection::*;
use editing::*;
use keyboard_layout::*;
use memory::*;
use push::*;
use toasts::*;

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
    /// The `unifield serve --demo` child the push steps share.
    demo: Option<DemoServer>,
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
            demo: None,
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
            // Bounded: after a WebDriver command that never returned, closing the session
            // does not return either, and the run's outcomes would never be printed.
            let _ = tokio::time::timeout(Duration::from_secs(30), client.close()).await;
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
        name: "memory beside an empty window, offline",
        needs: &["open the offline workspace"],
        run: |j| memory_offline(j).boxed(),
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
        // The wanted record in the preview (found by `find a work order`), and the output
        // the keyboard bind is undone back to (`add a transform step`'s).
        needs: &["add a transform step"],
        run: |j| keyboard_and_themes(j).boxed(),
    },
    Step {
        name: "the layout fits at 1440x900 and 960x600",
        needs: &["open the offline workspace"],
        run: |j| layout_fits(j).boxed(),
    },
    Step {
        name: "the main steps again at 960x600",
        needs: &[
            "import a different file, then undo it",
            "save, history and diff",
            "the mapping JSON editor",
            "keyboard and themes",
        ],
        run: |j| main_steps_at_960x600(j).boxed(),
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
        name: "memory beside an empty window, 10,000 work orders",
        needs: &["the connection as the source"],
        run: |j| memory_with_the_cached_work_orders(j).boxed(),
    },
    // After the memory steps: axe-core is the test's tool, not the studio's, and what its
    // runs leave in the web process (≈ 150 MB for a moment, ≈ 50 MB once its garbage is
    // collected) is not the studio's.
    Step {
        name: "accessibility: axe-core on the main screens",
        needs: &["open the offline workspace"],
        run: |j| accessibility(j).boxed(),
    },
    Step {
        name: "accessibility: axe-core at 960x600",
        needs: &["open the offline workspace"],
        run: |j| accessibility_at_960x600(j).boxed(),
    },
    Step {
        name: "push to a server, read the unified API, roll back",
        // Last: it changes the source and the mapping.
        needs: &["open the offline workspace"],
        run: |j| push_to_a_server(j).boxed(),
    },
    Step {
        name: "a push in between: the conflict path",
        needs: &["push to a server, read the unified API, roll back"],
        run: |j| push_conflict(j).boxed(),
    },
    Step {
        name: "revoked credentials, then Reconnect",
        needs: &["push to a server, read the unified API, roll back"],
        run: |j| reconnect_after_revoked_credentials(j).boxed(),
    },
    Step {
        name: "the events panel lists deliveries",
        needs: &["push to a server, read the unified API, roll back"],
        run: |j| events_panel(j).boxed(),
    },
    Step {
        name: "the push and Servers dialogs at 960x600",
        needs: &["push to a server, read the unified API, roll back"],
        run: |j| push_and_servers_at_960x600(j).boxed(),
    },
    Step {
        name: "removing the active server clears the push target",
        // After the steps that use the demo server: it removes it.
        needs: &["the events panel lists deliveries"],
        run: |j| remove_the_active_server(j).boxed(),
    },
    Step {
        name: "splitters resize the panes and are remembered",
        // Last: it reloads the page, which resets the source, the record and undo.
        needs: &["open the offline workspace"],
        run: |j| splitters_are_remembered(j).boxed(),
    },
    Step {
        name: "a skipped record says why",
        needs: &["open the offline workspace"],
        run: |j| a_skipped_record_says_why(j).boxed(),
    },
    Step {
        name: "repeated toasts merge, overlay the corner and are dismissed",
        needs: &["open the offline workspace"],
        run: |j| toasts_merge_and_overlay(j).boxed(),
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
        // Past the budget and the failure screenshot's 30 s, with room to spare.
        let watchdog = Watchdog::start(step.name, budget + Duration::from_secs(90));
        let result = AssertUnwindSafe(tokio::time::timeout(budget, (step.run)(journey)))
            .catch_unwind()
            .await;
        let seconds = started.elapsed().as_secs_f64();
        if !matches!(result, Ok(Ok(()))) {
            // What the window showed when the step failed. From the X server first: a
            // WebDriver screenshot with the Servers dialog open has been seen never to
            // answer, and after it every command of the session hangs, so one failed step
            // failed all the steps after it.
            let name = step.name.replace([' ', ','], "-");
            let path = crate::shots().join(format!("failed-{name}.png"));
            if let Some(image) = support::xwd::capture(None) {
                image.write_png(&path);
            } else if let Some(client) = journey.client.as_ref() {
                // Bounded: a screenshot that never returns (seen under Xvfb) must not
                // hang the steps after this one.
                if let Ok(Ok(png)) =
                    tokio::time::timeout(Duration::from_secs(30), client.screenshot()).await
                {
                    let _ = std::fs::write(path, png);
                }
            }
        }
        drop(watchdog);
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
    let found = read_js(client, &format!("const e = document.querySelector('[data-field=\"{field}\"] [data-testid=coverage-badge]'); return e ? [e.textContent, e.title] : null;")).await;
    Some((
        found[0].as_str()?.to_string(),
        found[1].as_str()?.to_string(),
    ))
}
