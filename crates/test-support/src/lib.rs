//! What the workspace's tests keep needing, written once (ripgrep's `tests/util.rs`,
//! jaq's `tests/common`): where the repository and its fixtures are, a Corrigo sandbox on
//! loopback, a temporary workspace whose keyring entries are removed afterwards, a
//! workspace binary built and found, and an honest "skipped" line.
//!
//! Nothing here reads outside the repository: fixtures live in `tests/fixtures/`.

pub mod postgres;
pub mod webhook_receiver;
pub mod xwd;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use unifield_secrets::{Keyring, SecretStore};

pub use unifield_corrigo_sandbox::{Config as SandboxConfig, Running as RunningSandbox};

/// The repository's root (the Cargo workspace).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A file under `tests/fixtures/`, which must exist (a missing fixture is a broken
/// checkout, not a skip).
pub fn fixture(relative: &str) -> PathBuf {
    let path = root().join("tests/fixtures").join(relative);
    assert!(
        path.exists(),
        "fixture {} is missing from tests/fixtures",
        path.display()
    );
    path
}

/// Says that a test did not run and why, on stdout and stderr, with the `SKIPPED:` prefix
/// the test's output can be searched for. Pair it with `#[ignore = "…"]` so that the test
/// runner counts the test as skipped rather than passed.
pub fn skipped(reason: &str) {
    println!("SKIPPED: {reason}");
    eprintln!("SKIPPED: {reason}");
}

/// What `prerequisite` gave; or None after saying (see [`skipped`]) that the test did not
/// run because `what` is not there on this machine, and why.
pub fn or_skipped<T>(prerequisite: Result<T, String>, what: &str) -> Option<T> {
    match prerequisite {
        Ok(value) => Some(value),
        Err(reason) => {
            skipped(&format!("{what}: {reason}"));
            None
        }
    }
}

/// Writes a server master key file at `path` as an operator would: a fixed test key (64
/// hex digits), created new with mode 0600 (the server refuses a key file others can read).
pub fn write_master_key(path: &Path) {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
    file.write_all(b"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")
        .expect("the key file is written");
}

/// Starts a Corrigo sandbox on a free loopback port. It stops when dropped.
pub async fn sandbox(config: SandboxConfig) -> RunningSandbox {
    unifield_corrigo_sandbox::start(config, ([127, 0, 0, 1], 0).into())
        .await
        .expect("the sandbox binds a loopback port")
}

/// A workspace directory that disappears with the value, and connection names that are
/// unique to it. Secrets stored under those names in the system keyring are deleted on
/// drop, so tests sharing one keyring (scripts/with-keyring) never see each other's.
pub struct TempWorkspace {
    dir: tempfile::TempDir,
    named: Mutex<Vec<String>>,
}

static NEXT: AtomicU32 = AtomicU32::new(0);

impl TempWorkspace {
    pub fn new() -> TempWorkspace {
        TempWorkspace {
            dir: tempfile::tempdir().expect("a temporary directory"),
            named: Mutex::new(Vec::new()),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A connection name no other test process or workspace uses: `prefix-<pid>-<n>`.
    pub fn connection_name(&self, prefix: &str) -> String {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("{prefix}-{}-{n}", std::process::id());
        self.named
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(name.clone());
        name
    }

    /// The system keyring, as the studio and the CLI use it.
    pub fn keyring(&self) -> Arc<dyn SecretStore> {
        Arc::new(Keyring)
    }
}

impl Default for TempWorkspace {
    fn default() -> Self {
        TempWorkspace::new()
    }
}

impl Drop for TempWorkspace {
    fn drop(&mut self) {
        for name in self.named.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            // Best effort: a keyring that is not running holds nothing to remove.
            let _ = Keyring.delete(name);
        }
    }
}

/// Runs the `unifield` binary at `bin` on `workspace` from the repository's root, with
/// `stdin` written to it and `env` added (never the caller's `UNIFIELD_CLIENT_SECRET`), and
/// waits for it.
pub fn run_unifield(
    bin: &Path,
    workspace: &Path,
    args: &[&str],
    stdin: &[u8],
    env: &[(&str, &str)],
) -> Output {
    let mut command = Command::new(bin);
    command
        .arg("--workspace")
        .arg(workspace)
        .args(args)
        .current_dir(root());
    command.env_remove("UNIFIELD_CLIENT_SECRET");
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
    let mut input = child.stdin.take().expect("stdin is piped");
    match input.write_all(stdin) {
        // The command may finish without reading its input.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.expect("stdin is written"),
    }
    drop(input);
    child.wait_with_output().expect("the command is waited for")
}

/// The target directory's profile folder this test binary runs from (`target/debug`).
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    // target/<profile>/deps/<test binary>
    exe.parent()
        .and_then(Path::parent)
        .expect("the test binary lives in target/<profile>/deps")
        .to_path_buf()
}

/// Builds `bin` of `package` (with `features`) in this test's profile, so a test never
/// drives a stale binary, and returns its path. Cargo makes this a no-op when nothing
/// changed; the build lock is free because the test runner has finished building.
pub fn built_binary(package: &str, bin: &str, features: &[&str]) -> PathBuf {
    let profile = profile_dir();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .current_dir(root())
        .args(["build", "--quiet", "--package", package, "--bin", bin]);
    if !features.is_empty() {
        build.arg("--features").arg(features.join(","));
    }
    if profile.file_name().is_some_and(|p| p == "release") {
        build.arg("--release");
    }
    let status = build
        .status()
        .unwrap_or_else(|e| panic!("cannot run cargo to build {bin}: {e}"));
    assert!(status.success(), "cargo build of {package}/{bin} failed");
    let path = profile.join(format!("{bin}{}", std::env::consts::EXE_SUFFIX));
    assert!(path.exists(), "{} was not built", path.display());
    path
}
