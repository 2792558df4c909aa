//! The command-line tool's journeys across crates: `unifield sandbox` serving Corrigo's
//! API, `unifield connection add|test` with the secret in the real keyring (make test runs
//! inside scripts/with-keyring), a pull killed with SIGKILL and resumed to an exact cache
//! (checked in the store's SQLite file), and coverage over what was pulled.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use unifield_store::Store;
use unifield_test_support as support;

/// The `unifield` binary, built once for this test binary.
fn unifield_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| support::built_binary("unifield-cli", "unifield", &[]))
        .clone()
}

fn unifield(workspace: &Path, args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Output {
    support::run_unifield(&unifield_bin(), workspace, args, stdin, env)
}

/// `unifield coverage --json` of the default work-order mapping over a connection's cache.
fn coverage_of_cached_work_orders(workspace: &Path, connection: &str) -> Output {
    unifield(
        workspace,
        &[
            "coverage",
            "--mapping",
            "mappings/corrigo/work_order.json",
            "--connection",
            connection,
            "--entity",
            "WorkOrder",
            "--json",
        ],
        b"",
        &[],
    )
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `unifield sandbox` in the background; killed when dropped.
struct SandboxProcess {
    child: std::process::Child,
    url: String,
    /// Kept open: the sandbox's stdout stays a live pipe for as long as it runs.
    _stdout: std::io::Lines<std::io::BufReader<std::process::ChildStdout>>,
}

impl SandboxProcess {
    fn start(args: &[&str]) -> SandboxProcess {
        use std::io::BufRead;
        let mut child = Command::new(unifield_bin())
            .args(["sandbox", "--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let url = lines.next().unwrap().unwrap();
        SandboxProcess {
            child,
            url,
            _stdout: lines,
        }
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn pull_from_the_sandbox_survives_kill_minus_9_and_resumes_to_an_exact_cache() {
    let sandbox = SandboxProcess::start(&["--work-orders", "3000", "--faults", "latency-ms=40"]);
    let temp = support::TempWorkspace::new();
    let workspace = temp.path().join("ws");
    let name = temp.connection_name("sb");
    let add = [
        "connection",
        "add",
        &name,
        "--company",
        "Unifield Sandbox",
        "--base-url",
        &sandbox.url,
        "--client-id",
        "ceapiclient.1.sandbox.0001",
    ];
    let added = unifield(
        &workspace,
        &add,
        b"",
        &[("UNIFIELD_CLIENT_SECRET", "sandbox-secret")],
    );
    assert!(added.status.success(), "{}", text(&added.stderr));
    let tested = unifield(&workspace, &["connection", "test", &name], b"", &[]);
    assert!(
        text(&tested.stdout)
            .starts_with(&format!("ok: `{name}` signed in; API host {}", sandbox.url)),
        "{}{}",
        text(&tested.stdout),
        text(&tested.stderr)
    );

    // Start a pull and kill it (SIGKILL) once a few pages are committed.
    let mut pull = Command::new(unifield_bin())
        .arg("--workspace")
        .arg(&workspace)
        .args([
            "pull",
            &name,
            "--entity",
            "WorkOrder",
            "--page-size",
            "100",
            "--concurrency",
            "1",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Watched through `Store::open`, as the studio opens the workspace during a pull: an
    // up-to-date workspace opens and reads without the write lock, so the watcher does not
    // queue behind the pull's page commits (it did while the migration check took the
    // lock: the pull could finish before the watcher saw its third page).
    let committed_pages = || -> u64 {
        Store::open(&workspace)
            .and_then(|store| store.pull_runs(&name))
            .map(|runs| runs.iter().map(|run| run.pages).max().unwrap_or(0))
            .unwrap_or(0)
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let pages = committed_pages();
        if pages >= 3 || std::time::Instant::now() > deadline {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    pull.kill().unwrap();
    pull.wait().unwrap();

    let store = Store::open(&workspace).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    let run = store
        .unfinished_pull(&name, "WorkOrder")
        .unwrap()
        .expect("the killed pull is resumable");
    let cached = store.record_count(&name, "WorkOrder").unwrap();
    assert!(
        run.pages >= 3 && cached < 3000,
        "killed mid-pull: {} pages, {cached} records",
        run.pages
    );
    assert_eq!(cached, run.pages * 100, "exactly the committed pages");
    drop(store);

    let resumed = unifield(
        &workspace,
        &[
            "pull",
            &name,
            "--entity",
            "WorkOrder",
            "--resume",
            "--page-size",
            "100",
        ],
        b"",
        &[],
    );
    assert!(resumed.status.success(), "{}", text(&resumed.stderr));
    let summary = text(&resumed.stdout);
    assert!(
        summary.contains(&format!("pulled {} WorkOrder records", 3000 - cached))
            && summary.contains("completed (resumed)"),
        "{summary}"
    );
    let store = Store::open(&workspace).unwrap();
    assert_eq!(
        store.record_count(&name, "WorkOrder").unwrap(),
        3000,
        "complete, no duplicates"
    );
    assert_eq!(store.integrity_check().unwrap(), "ok");
    drop(store);

    let coverage = coverage_of_cached_work_orders(&workspace, &name);
    assert_eq!(
        serde_json::from_slice::<Value>(&coverage.stdout).unwrap()["records"],
        3000
    );
    let every = unifield(&workspace, &["pull", &name, "--limit", "3"], b"", &[]);
    let pulled: Vec<String> = text(&every.stdout)
        .lines()
        .map(|l| l.split_whitespace().nth(2).unwrap_or("").to_string())
        .collect();
    assert_eq!(
        pulled,
        [
            "WorkOrder",
            "Location",
            "WorkZone",
            "Employee",
            "Customer",
            "Product"
        ],
        "without --entity: what the default mappings read"
    );
    assert!(
        unifield(&workspace, &["connection", "remove", &name], b"", &[])
            .status
            .success()
    );
}
