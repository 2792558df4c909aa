//! schemathesis (from PyPI, in a virtual environment under target/) against a seeded
//! server: every documented operation, generated inputs; zero 5xx and zero responses
//! that violate the document. Without python3, venv or PyPI the test says it is skipped
//! and why; it never passes on a fake.
//!
//! `PUT …/credentials` is left out: it signs in at whatever base URL it is given, and the
//! generated ones are not loopback. The scheduler is off, so created connections never
//! reach out either.

mod common;

use common::Harness;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const PACKAGE: &str = "schemathesis==4.32.5";
const INSTALL_TIMEOUT: Duration = Duration::from_secs(600);
const RUN_TIMEOUT: Duration = Duration::from_secs(900);

fn venv_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("schemathesis-venv")
}

/// Runs a command within `timeout`; Ok((success, stdout+stderr)).
fn run_bounded(command: &mut Command, timeout: Duration) -> Result<(bool, String), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let out_path = dir.path().join("out");
    let out = std::fs::File::create(&out_path).map_err(|e| e.to_string())?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    let mut child = command
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{command:?} did not finish within {} s",
                    timeout.as_secs()
                ));
            }
        }
    };
    let text = std::fs::read_to_string(&out_path).unwrap_or_default();
    Ok((status.success(), text))
}

/// The venv's `st`, installed on first use.
fn schemathesis() -> Result<PathBuf, String> {
    let dir = venv_dir();
    let st = dir.join("bin").join("st");
    let ready = |st: &Path| {
        st.exists()
            && matches!(
                run_bounded(Command::new(st).arg("--version"), Duration::from_secs(60)),
                Ok((true, text)) if text.contains(PACKAGE.trim_start_matches("schemathesis=="))
            )
    };
    if ready(&st) {
        return Ok(st);
    }
    let (ok, text) = run_bounded(
        Command::new("python3")
            .args(["-m", "venv", "--clear"])
            .arg(&dir),
        Duration::from_secs(120),
    )?;
    if !ok {
        return Err(format!("python3 -m venv failed: {text}"));
    }
    let (ok, text) = run_bounded(
        Command::new(dir.join("bin").join("pip")).args([
            "install",
            "-q",
            "--disable-pip-version-check",
            PACKAGE,
        ]),
        INSTALL_TIMEOUT,
    )?;
    if !ok {
        return Err(format!("pip install {PACKAGE} failed (offline?): {text}"));
    }
    if ready(&st) {
        Ok(st)
    } else {
        Err("schemathesis installed but `st --version` does not answer".into())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn schemathesis_finds_no_server_error_and_no_response_outside_the_document() {
    let st = match tokio::task::spawn_blocking(schemathesis).await.unwrap() {
        Ok(st) => st,
        Err(reason) => {
            println!("SKIPPED: schemathesis is not available: {reason}");
            return;
        }
    };
    let h = Harness::start(30, "").await;
    let (org, key) = h.org("acme");
    let connection = h.synced_connection(&key, &org).await;
    let (_, _, token) = h
        .send(
            reqwest::Method::POST,
            &format!("/api/connections/{connection}/tokens"),
            Some(&key),
            None,
        )
        .await;
    let config = h.dir.path().join("schemathesis.toml");
    // Path ids point at the seeded connection, so generated requests reach its data.
    std::fs::write(
        &config,
        format!(
            "[parameters]\n\"path.id\" = \"{connection}\"\n\"path.token_id\" = \"{}\"\n",
            token["id"].as_str().unwrap()
        ),
    )
    .unwrap();
    let document = h.url("/api/openapi.json");
    // First the connection-token API with a token, then everything else with the
    // organization key (which may delete the seeded connection along the way).
    let passes = [
        (
            token["secret"].as_str().unwrap().to_string(),
            vec!["--include-path-regex", "^/api/eam/"],
        ),
        (
            key.clone(),
            vec!["--exclude-path", "/api/connections/{id}/credentials"],
        ),
    ];
    for (round, (bearer, filter)) in passes.into_iter().enumerate() {
        let mut command = Command::new(&st);
        command
            .arg("--config-file")
            .arg(&config)
            .arg("run")
            .arg(&document)
            .args(["--header", &format!("Authorization: Bearer {bearer}")])
            .args(["--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"])
            .args(&filter)
            .args(["--max-examples", "30", "--seed", "2026", "--workers", "1", "--no-color"])
            .args(["--phases", "examples,coverage,fuzzing"])
            .args(["--request-timeout", "30", "--generation-database", "none"])
            .arg("--report-dir")
            .arg(h.dir.path().join(format!("report-{round}")))
            .env("SCHEMATHESIS_TELEMETRY", "false")
            .current_dir(h.dir.path());
        let (ok, text) =
            tokio::task::spawn_blocking(move || run_bounded(&mut command, RUN_TIMEOUT))
                .await
                .unwrap()
                .unwrap();
        println!("{text}");
        assert!(ok, "schemathesis found problems:\n{text}");
        assert!(text.contains(" passed"), "{text}");
    }
}
