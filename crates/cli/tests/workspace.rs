//! Workspace commands end to end, against the real system keyring (make test runs the
//! tests inside scripts/with-keyring) and a real workspace file.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;
use unifield_secrets::{Keyring, SecretStore};
use unifield_store::Store;
use unifield_test_support as support;

fn unifield(workspace: &Path, args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Output {
    support::run_unifield(
        &PathBuf::from(env!("CARGO_BIN_EXE_unifield")),
        workspace,
        args,
        stdin,
        env,
    )
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

/// Caches the bundled sample work orders for `connection`, as a pull would.
fn cache_samples(workspace: &Path, connection: &str) -> usize {
    let samples =
        std::fs::read_to_string(support::root().join("mappings/corrigo/samples/WorkOrder.jsonl"))
            .unwrap();
    let page: Vec<(String, Value)> = samples
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .map(|record| (record["Id"].to_string(), record))
        .collect();
    let mut store = Store::open(workspace).unwrap();
    let run = store
        .begin_pull(connection, "WorkOrder", None, chrono::Utc::now())
        .unwrap();
    store
        .commit_page(run.id, &page, None, chrono::Utc::now())
        .unwrap();
    page.len()
}

#[test]
fn a_connection_secret_lives_in_the_keyring_and_nowhere_else() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path().join("ws");
    let name = format!("acme-{}", std::process::id());
    let secret = format!("TOPSECRET-{}-9f2c", std::process::id());
    let mut outputs = Vec::new();

    let added = unifield(
        &workspace,
        &[
            "connection",
            "add",
            &name,
            "--company",
            "Asurion",
            "--base-url",
            "http://127.0.0.1:9",
            "--client-id",
            "cid",
            "--client-secret-stdin",
        ],
        format!("{secret}\n").as_bytes(),
        &[],
    );
    assert!(added.status.success(), "{}", text(&added.stderr));
    assert_eq!(
        Keyring.get(&name).unwrap().as_deref(),
        Some(secret.as_str()),
        "the secret is in the keyring"
    );
    outputs.push(added);

    let listed = unifield(&workspace, &["connection", "list"], b"", &[]);
    assert!(
        text(&listed.stdout).contains(&format!(
            "{name}\tAsurion\thttp://127.0.0.1:9\tclient cid\tsecret in keyring"
        )),
        "{}",
        text(&listed.stdout)
    );
    outputs.push(listed);

    let cached = cache_samples(&workspace, &name);
    let count = unifield(
        &workspace,
        &["records", "count", &name, "--entity", "WorkOrder"],
        b"",
        &[],
    );
    assert_eq!(
        text(&count.stdout).lines().last(),
        Some(cached.to_string().as_str())
    );
    outputs.push(count);

    let shown = unifield(
        &workspace,
        &[
            "records",
            "show",
            &name,
            "--entity",
            "WorkOrder",
            "--id",
            "10001",
        ],
        b"",
        &[],
    );
    assert_eq!(
        serde_json::from_slice::<Value>(&shown.stdout).unwrap()["Id"],
        10001
    );
    outputs.push(shown);

    let listed_records = unifield(
        &workspace,
        &[
            "records",
            "list",
            &name,
            "--entity",
            "WorkOrder",
            "--limit",
            "2",
        ],
        b"",
        &[],
    );
    assert_eq!(text(&listed_records.stdout).lines().count(), 2);
    outputs.push(listed_records);

    let coverage = coverage_of_cached_work_orders(&workspace, &name);
    assert!(coverage.status.success(), "{}", text(&coverage.stderr));
    assert_eq!(
        serde_json::from_slice::<Value>(&coverage.stdout).unwrap()["records"],
        cached
    );
    outputs.push(coverage);

    let applied = unifield(
        &workspace,
        &[
            "apply",
            "--mapping",
            "mappings/corrigo/work_order.json",
            "--connection",
            &name,
            "--entity",
            "WorkOrder",
            "--allow-errors",
        ],
        b"",
        &[],
    );
    assert_eq!(text(&applied.stdout).lines().count(), cached);
    assert!(
        text(&applied.stderr).contains(&format!("{cached} records read")),
        "{}",
        text(&applied.stderr)
    );
    outputs.push(applied);

    // Not in the database, its WAL or shared memory, nor in anything printed.
    for entry in std::fs::read_dir(&workspace).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "the secret is in {}",
            path.display()
        );
    }
    for output in &outputs {
        for stream in [&output.stdout, &output.stderr] {
            assert!(!text(stream).contains(&secret), "the secret was printed");
        }
    }

    let removed = unifield(&workspace, &["connection", "remove", &name], b"", &[]);
    assert!(removed.status.success(), "{}", text(&removed.stderr));
    assert_eq!(
        Keyring.get(&name).unwrap(),
        None,
        "removing the connection removes its secret"
    );
    let count = unifield(
        &workspace,
        &["records", "count", &name, "--entity", "WorkOrder"],
        b"",
        &[],
    );
    assert_eq!(
        count.status.code(),
        Some(2),
        "the connection and its records are gone"
    );
}

#[test]
fn a_secret_is_never_taken_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "connection",
        "add",
        "nosecret",
        "--company",
        "C",
        "--region",
        "am",
        "--client-id",
        "cid",
    ];
    let refused = unifield(dir.path(), &args, b"", &[]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused.stderr).contains("--client-secret-stdin, or in UNIFIELD_CLIENT_SECRET"),
        "{}",
        text(&refused.stderr)
    );
    let name = format!("env-{}", std::process::id());
    let args = [
        "connection",
        "add",
        &name,
        "--company",
        "C",
        "--region",
        "emea",
        "--client-id",
        "cid",
    ];
    let from_env = unifield(
        dir.path(),
        &args,
        b"",
        &[("UNIFIELD_CLIENT_SECRET", "from-env")],
    );
    assert!(from_env.status.success(), "{}", text(&from_env.stderr));
    assert_eq!(Keyring.get(&name).unwrap().as_deref(), Some("from-env"));
    assert!(
        unifield(dir.path(), &["connection", "remove", &name], b"", &[])
            .status
            .success()
    );
}

/// Every byte of every file in the workspace directory (database, WAL, shared memory).
fn workspace_bytes(workspace: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(workspace).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            bytes.extend(std::fs::read(&path).unwrap());
        }
    }
    bytes
}

#[test]
fn set_secret_replaces_a_connections_secret_in_the_keyring_only() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path().join("ws");
    let name = format!("rotate-{}", std::process::id());
    let first = format!("FIRST-{}-b71e", std::process::id());
    let rotated = format!("ROTATED-{}-\u{fc}5d0", std::process::id());
    let from_env = format!("FROMENV-{}-c3a9", std::process::id());
    let mut outputs = Vec::new();

    let added = unifield(
        &workspace,
        &[
            "connection",
            "add",
            &name,
            "--company",
            "Asurion",
            "--base-url",
            "http://127.0.0.1:9",
            "--client-id",
            "cid",
            "--client-secret-stdin",
        ],
        format!("{first}\n").as_bytes(),
        &[],
    );
    assert!(added.status.success(), "{}", text(&added.stderr));
    let cached = cache_samples(&workspace, &name);
    let created_before = Store::open(&workspace)
        .unwrap()
        .connection(&name)
        .unwrap()
        .created_at;

    // A secret rotated in Corrigo: replaced from standard input.
    let set = unifield(
        &workspace,
        &["connection", "set-secret", &name, "--client-secret-stdin"],
        format!("{rotated}\r\n").as_bytes(),
        &[],
    );
    assert!(set.status.success(), "{}", text(&set.stderr));
    assert!(
        text(&set.stdout).contains(&format!("set the secret of connection `{name}`")),
        "{}",
        text(&set.stdout)
    );
    assert_eq!(
        Keyring.get(&name).unwrap().as_deref(),
        Some(rotated.as_str()),
        "the keyring holds the new secret"
    );
    outputs.push(set);
    // The connection and its cached records are as they were.
    let store = Store::open(&workspace).unwrap();
    assert_eq!(store.connection(&name).unwrap().created_at, created_before);
    assert_eq!(
        store.record_count(&name, "WorkOrder").unwrap(),
        cached as u64
    );
    drop(store);

    // The keyring lost it (another machine, a new keyring): list and test say how to fix it.
    Keyring.delete(&name).unwrap();
    let listed = unifield(&workspace, &["connection", "list"], b"", &[]);
    assert!(
        text(&listed.stdout).contains("NO SECRET: set it with `unifield connection set-secret`"),
        "{}",
        text(&listed.stdout)
    );
    let tested = unifield(&workspace, &["connection", "test", &name], b"", &[]);
    assert_eq!(tested.status.code(), Some(2), "{}", text(&tested.stderr));
    assert!(
        text(&tested.stderr).contains("unifield connection set-secret")
            && text(&tested.stderr).contains("[missing_secret]"),
        "{}",
        text(&tested.stderr)
    );
    outputs.push(listed);
    outputs.push(tested);

    // Set again, from the environment variable `connection add` also reads.
    let set = unifield(
        &workspace,
        &["connection", "set-secret", &name],
        b"",
        &[("UNIFIELD_CLIENT_SECRET", &from_env)],
    );
    assert!(set.status.success(), "{}", text(&set.stderr));
    assert_eq!(
        Keyring.get(&name).unwrap().as_deref(),
        Some(from_env.as_str())
    );
    outputs.push(set);
    let listed = unifield(&workspace, &["connection", "list"], b"", &[]);
    assert!(
        text(&listed.stdout).contains("secret in keyring"),
        "{}",
        text(&listed.stdout)
    );
    outputs.push(listed);

    // An empty line is refused and keeps the secret in the keyring.
    let empty = unifield(
        &workspace,
        &["connection", "set-secret", &name, "--client-secret-stdin"],
        b" \n",
        &[],
    );
    assert_eq!(empty.status.code(), Some(2), "{}", text(&empty.stderr));
    assert!(
        text(&empty.stderr)
            .contains("unifield: the client secret must not be empty [empty_secret]"),
        "{}",
        text(&empty.stderr)
    );
    assert_eq!(
        Keyring.get(&name).unwrap().as_deref(),
        Some(from_env.as_str())
    );
    outputs.push(empty);

    // Neither standard input nor the variable: the same refusal as `connection add`.
    let neither = unifield(&workspace, &["connection", "set-secret", &name], b"", &[]);
    assert_eq!(neither.status.code(), Some(2));
    assert!(
        text(&neither.stderr).contains("--client-secret-stdin, or in UNIFIELD_CLIENT_SECRET"),
        "{}",
        text(&neither.stderr)
    );

    // Never in the workspace's files, nor in anything printed.
    let bytes = workspace_bytes(&workspace);
    assert!(!bytes.is_empty());
    for secret in [&first, &rotated, &from_env] {
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "a secret is in the workspace's files"
        );
        for output in &outputs {
            for stream in [&output.stdout, &output.stderr] {
                assert!(
                    !text(stream).contains(secret.as_str()),
                    "a secret was printed"
                );
            }
        }
    }

    let removed = unifield(&workspace, &["connection", "remove", &name], b"", &[]);
    assert!(removed.status.success(), "{}", text(&removed.stderr));
    assert_eq!(Keyring.get(&name).unwrap(), None);
}

#[test]
fn set_secret_of_an_unknown_connection_is_refused_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path().join("ws");
    let name = format!("nobody-{}", std::process::id());
    let secret = format!("UNUSED-{}-4e1f", std::process::id());
    let refused = unifield(
        &workspace,
        &["connection", "set-secret", &name, "--client-secret-stdin"],
        format!("{secret}\n").as_bytes(),
        &[],
    );
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stderr));
    assert!(
        text(&refused.stderr).contains(&format!(
            "unifield: no connection named `{name}` [unknown_connection]"
        )),
        "{}",
        text(&refused.stderr)
    );
    for stream in [&refused.stdout, &refused.stderr] {
        assert!(!text(stream).contains(&secret), "the secret was printed");
    }
    assert_eq!(
        Keyring.get(&name).unwrap(),
        None,
        "no keyring entry was made"
    );
}
