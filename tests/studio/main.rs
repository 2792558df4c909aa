//! The studio end to end: the real window under Xvfb, driven through tauri-driver and
//! WebKitWebDriver, as named steps that pass or fail on their own. It opens the offline
//! workspace, finds a work order, drags a source field onto a target field, adds a
//! transform step, checks that coverage follows the edit, exports the mapping and checks the
//! file with the `unifield` CLI, imports a different file, saves and diffs, then adds a
//! connection to a running Corrigo sandbox, pulls 10,000 work orders, cancels and resumes
//! (checked by counts), and measures the studio on them. Screenshots of each screen go to
//! target/e2e-screenshots/, with steps.json (each step's outcome) and measurements.json.
//!
//! It needs a display, tauri-driver and WebKitWebDriver, so it is `#[ignore]`d: a plain
//! `cargo nextest run` lists it as skipped. `make unit` provides them (Xvfb, a D-Bus session
//! with an unlocked keyring) and runs it with `--run-ignored all`; run that way without
//! them, it fails naming what is missing, never passing without having run.

mod journey;
mod webdriver;

use journey::{Journey, STEPS};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;
use unifield_test_support as support;
use webdriver::Driver;

/// What the journey needs from the machine, or what is missing.
fn missing_prerequisites() -> Vec<String> {
    let mut missing = Vec::new();
    if std::env::var("TAURI_E2E").as_deref() != Ok("1") {
        missing.push("TAURI_E2E=1".to_string());
    }
    if std::env::var_os("DISPLAY").is_none() {
        missing.push("a display (DISPLAY; make unit runs xvfb-run)".to_string());
    }
    let runs = |program: &str| {
        Command::new(program)
            .arg("--help")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    };
    if !runs(&driver_program()) {
        missing.push(format!(
            "tauri-driver ({}; scripts/setup installs it, TAURI_DRIVER names it)",
            driver_program()
        ));
    }
    if !runs("WebKitWebDriver") {
        missing.push("WebKitWebDriver (Debian: webkit2gtk-driver)".to_string());
    }
    missing
}

fn driver_program() -> String {
    std::env::var("TAURI_DRIVER").unwrap_or_else(|_| "tauri-driver".into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, tauri-driver and WebKitWebDriver: make unit runs it (--run-ignored all)"]
async fn the_studio_journey() {
    let missing = missing_prerequisites();
    if !missing.is_empty() {
        support::skipped(&format!(
            "the studio journey cannot run here; missing: {}",
            missing.join(", ")
        ));
        panic!("the studio journey was asked to run but its prerequisites are missing (see SKIPPED above)");
    }
    // The studio with the test-only file-choice override (a GTK dialog cannot be driven
    // through WebDriver), and the CLI that checks what it exports.
    let studio = support::built_binary("unifield-studio", "unifield-studio", &["test-file-choice"]);
    let cli = support::built_binary("unifield-cli", "unifield", &[]);
    // The memory steps' baseline (journey/memory.rs), built before any step's time budget.
    support::built_binary("unifield-empty-window", "unifield-empty-window", &[]);
    let workspace = support::TempWorkspace::new();
    let chosen_file = workspace.path().join("chosen-work-order.json");

    // A running Corrigo sandbox with 10,000 work orders. Each call waits 25 ms, as a
    // remote API would, so there is time to cancel a pull.
    let sandbox_config = support::SandboxConfig {
        work_orders: 10_000,
        faults: "latency-ms=25".parse().unwrap(),
        ..Default::default()
    };
    let sandbox = support::sandbox(sandbox_config.clone()).await;

    let driver = Driver::start(&driver_program(), workspace.path(), &chosen_file);
    let mut journey = Journey::new(
        studio,
        cli,
        workspace,
        chosen_file,
        sandbox_config,
        sandbox.base_url.clone(),
    );
    let steps = chosen_steps();
    let outcomes = journey::run(&mut journey, &steps, Duration::from_secs(120)).await;
    journey.close().await;
    drop(driver);
    drop(sandbox);

    let report: Vec<_> = outcomes.iter().map(|o| o.to_json()).collect();
    std::fs::write(
        shots().join("steps.json"),
        serde_json::to_string_pretty(&report).unwrap(),
    )
    .unwrap();
    let failed: Vec<String> = outcomes
        .iter()
        .filter(|o| !o.passed())
        .map(|o| o.to_string())
        .collect();
    for outcome in &outcomes {
        eprintln!("e2e step {outcome}");
    }
    assert!(
        failed.is_empty(),
        "{} of {} steps did not pass:\n  {}",
        failed.len(),
        outcomes.len(),
        failed.join("\n  ")
    );
}

/// Every step, or (for working on one step) only the steps UNIFIELD_E2E_STEPS names,
/// separated by `|` (names hold commas), with the steps they need.
fn chosen_steps() -> Vec<&'static journey::Step> {
    let Ok(named) = std::env::var("UNIFIELD_E2E_STEPS") else {
        return STEPS.iter().collect();
    };
    let mut wanted: Vec<&str> = named.split('|').map(str::trim).collect();
    for name in &wanted {
        assert!(
            STEPS.iter().any(|s| s.name == *name),
            "UNIFIELD_E2E_STEPS names no step `{name}`"
        );
    }
    // The steps they need, and the steps those need (needs point backwards).
    for step in STEPS.iter().rev() {
        if wanted.contains(&step.name) {
            wanted.extend(step.needs.iter().copied());
        }
    }
    STEPS.iter().filter(|s| wanted.contains(&s.name)).collect()
}

/// target/e2e-screenshots/, created on first use.
pub fn shots() -> PathBuf {
    let dir = support::root().join("target/e2e-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
