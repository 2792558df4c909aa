//! Our signatures, checked by a verifier nobody here wrote: the Standard Webhooks reference
//! library from PyPI (`standardwebhooks`), in a virtual environment under target/.
//!
//! Every event type verifies; a rotated endpoint's two signatures each verify with their own
//! secret; a tampered body and a ten-minute-old timestamp FAIL. Without python3, venv or
//! PyPI (offline), the test says it is skipped and why; it never passes on a fake.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chrono::Utc;
use unifield_webhooks::events::payload;
use unifield_webhooks::{sign, SigningSecret, EVENT_TYPES};

/// The reference library's version this test was written against.
const REFERENCE_PACKAGE: &str = "standardwebhooks==1.1.0";
const INSTALL_TIMEOUT: Duration = Duration::from_secs(300);

fn venv_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("standardwebhooks-venv")
}

/// Runs a command to completion within `timeout`; Err says what went wrong.
fn run_bounded(command: &mut Command, timeout: Duration) -> Result<String, String> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{command:?} did not finish within {} s",
                    timeout.as_secs()
                ));
            }
        }
    }
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(format!(
            "{command:?} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// The venv's python with the reference library, made on first use.
fn reference_python() -> Result<PathBuf, String> {
    let dir = venv_dir();
    let python = dir.join("bin").join("python");
    let ready = |python: &Path| {
        python.exists()
            && run_bounded(
                Command::new(python).args(["-c", "import standardwebhooks.webhooks"]),
                Duration::from_secs(30),
            )
            .is_ok()
    };
    if ready(&python) {
        return Ok(python);
    }
    run_bounded(
        Command::new("python3")
            .args(["-m", "venv", "--clear"])
            .arg(&dir),
        Duration::from_secs(120),
    )
    .map_err(|e| format!("no Python venv ({e}); scripts/setup installs python3-venv"))?;
    run_bounded(
        Command::new(dir.join("bin").join("pip")).args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            REFERENCE_PACKAGE,
        ]),
        INSTALL_TIMEOUT,
    )
    .map_err(|e| format!("cannot install {REFERENCE_PACKAGE} from PyPI ({e})"))?;
    if ready(&python) {
        Ok(python)
    } else {
        Err(format!("{REFERENCE_PACKAGE} installed but does not import"))
    }
}

struct Case {
    name: String,
    secret: String,
    headers: serde_json::Value,
    body: Vec<u8>,
    expect_verified: bool,
}

fn case(
    name: &str,
    secret: &SigningSecret,
    id: &str,
    timestamp: i64,
    signature: &str,
    body: &[u8],
    expect: bool,
) -> Case {
    Case {
        name: name.to_owned(),
        secret: secret.expose(),
        headers: serde_json::json!({
            "webhook-id": id,
            "webhook-timestamp": timestamp.to_string(),
            "webhook-signature": signature,
        }),
        body: body.to_vec(),
        expect_verified: expect,
    }
}

fn cases() -> Vec<Case> {
    let now = Utc::now();
    let secret = SigningSecret::generate();
    let mut cases = Vec::new();
    for (index, event) in EVENT_TYPES.into_iter().enumerate() {
        // Non-ASCII and odd spacing in the data: the exact bytes are what is signed.
        let body = payload(
            event,
            now,
            serde_json::json!({
                "connection_id": "con_7f3a",
                "record": {"key": "WO-1042", "title": "Chiller #2 — vibration, Zürich", "customFields": {"floor": 3}},
                "note": " spaced  out ",
            }),
        );
        let id = format!("evt_{index:04}_{}", event.as_str().replace('.', "_"));
        let signed = sign(&id, now.timestamp(), &body, &[&secret]);
        cases.push(case(
            event.as_str(),
            &secret,
            &id,
            now.timestamp(),
            &signed.signature,
            &body,
            true,
        ));
    }

    // A rotation: new and old secret both sign; a receiver holding either verifies.
    let old = SigningSecret::generate();
    let new = SigningSecret::generate();
    let body = payload(
        EVENT_TYPES[4],
        now,
        serde_json::json!({"connection_id": "con_1", "version": 3}),
    );
    let signed = sign("evt_rotated", now.timestamp(), &body, &[&new, &old]);
    assert_eq!(
        signed.signature.split(' ').count(),
        2,
        "two signatures while rotating"
    );
    cases.push(case(
        "rotated: new secret",
        &new,
        "evt_rotated",
        now.timestamp(),
        &signed.signature,
        &body,
        true,
    ));
    cases.push(case(
        "rotated: old secret",
        &old,
        "evt_rotated",
        now.timestamp(),
        &signed.signature,
        &body,
        true,
    ));
    let stranger = SigningSecret::generate();
    cases.push(case(
        "rotated: a third secret",
        &stranger,
        "evt_rotated",
        now.timestamp(),
        &signed.signature,
        &body,
        false,
    ));

    // Tampering and replay must fail.
    let body = payload(
        EVENT_TYPES[0],
        now,
        serde_json::json!({"connection_id": "con_1", "records": 10}),
    );
    let signed = sign("evt_tamper", now.timestamp(), &body, &[&secret]);
    let tampered = String::from_utf8(body.clone())
        .unwrap()
        .replace("10", "11")
        .into_bytes();
    assert_ne!(tampered, body);
    cases.push(case(
        "tampered body",
        &secret,
        "evt_tamper",
        now.timestamp(),
        &signed.signature,
        &tampered,
        false,
    ));
    let old_time = now.timestamp() - 600;
    let signed = sign("evt_old", old_time, &body, &[&secret]);
    cases.push(case(
        "ten-minute-old timestamp",
        &secret,
        "evt_old",
        old_time,
        &signed.signature,
        &body,
        false,
    ));
    cases
}

#[test]
fn the_reference_library_verifies_what_we_sign_and_rejects_tampering_and_replays() {
    let python = match reference_python() {
        Ok(python) => python,
        Err(reason) => {
            println!(
                "SKIPPED: the Standard Webhooks reference verifier is not available: {reason}"
            );
            return;
        }
    };
    let cases = cases();
    let input: Vec<serde_json::Value> = cases
        .iter()
        .map(|case| {
            serde_json::json!({
                "name": case.name,
                "secret": case.secret,
                "headers": case.headers,
                "body_b64": STANDARD.encode(&case.body),
            })
        })
        .collect();
    let dir = tempfile_dir();
    let cases_file = dir.join("cases.json");
    std::fs::write(&cases_file, serde_json::to_vec(&input).unwrap()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/verify_with_standardwebhooks.py");
    let output = run_bounded(
        Command::new(&python).arg(&script).arg(&cases_file),
        Duration::from_secs(60),
    )
    .expect("the reference verifier runs");
    let results: Vec<serde_json::Value> = output
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON result per line"))
        .collect();
    assert_eq!(results.len(), cases.len(), "a result per case: {output}");
    for (case, result) in cases.iter().zip(&results) {
        assert_eq!(result["name"], case.name.as_str());
        assert_eq!(
            result["verified"].as_bool(),
            Some(case.expect_verified),
            "{}: the reference library said {result}",
            case.name
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

fn tempfile_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("webhooks-reference-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
