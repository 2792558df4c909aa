//! `unifield serve`, `unifield server`, `unifield push` as processes: the demo loop
//! (push → next read changes → stale and invalid pushes refused), and kill -9 during
//! a sync and pushes (the database stays sound; the active version is whole).

mod common;

use common::{exits_within, master_key_in, root, unifield, unifield_command, Served};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Adds organization `acme` to the server data in `data` and creates a key for it (with
/// `key_args` added to `key create`), through the CLI; the key's secret.
fn acme_key(data: &str, key_args: &[&str]) -> String {
    assert!(
        unifield(&["server", "--data", data, "org", "add", "acme"], &[])
            .status
            .success()
    );
    let mut args = vec!["server", "--data", data, "key", "create", "--org", "acme"];
    args.extend_from_slice(key_args);
    let created = unifield(&args, &[]);
    assert!(created.status.success());
    String::from_utf8_lossy(&created.stdout).trim().to_string()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn request(
    method: reqwest::Method,
    url: &str,
    key: &str,
    body: Option<String>,
) -> (u16, Value) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let mut request = client.request(method, url).bearer_auth(key);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn write_mapping(dir: &Path, name: &str, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let text = std::fs::read_to_string(root().join("mappings/corrigo/work_order.json")).unwrap();
    let mut mapping: Value = serde_json::from_str(&text).unwrap();
    edit(&mut mapping);
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(&mapping).unwrap()).unwrap();
    path
}

#[test]
fn the_demo_serves_and_a_push_changes_the_next_read() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let data_text = data.to_str().unwrap();
    let mut served = Served::start(
        &[
            "serve",
            "--demo",
            "--listen",
            "127.0.0.1:0",
            "--data",
            data_text,
        ],
        &[("UNIFIELD_SERVER_KEY_FILE", "")],
    );
    let (key, connection) = served.demo_key_and_connection();
    let log = served.log();
    assert!(log.contains("master key:") && log.contains("0600"), "{log}");
    let list = format!(
        "{}/api/connections/{connection}/eam/work-orders?per_page=3",
        served.url
    );
    let rt = runtime();
    let (status, before) = rt.block_on(request(reqwest::Method::GET, &list, &key, None));
    assert_eq!(status, 200, "{before}");
    assert_eq!(before["meta"]["total"], 1000);
    assert_eq!(before["meta"]["mapping_version"], 0);

    let marked = write_mapping(dir.path(), "marked.json", |m| {
        m["custom"] = serde_json::json!({"marker": {"const": "from-the-cli"}});
    });
    let env = [("UNIFIELD_API_KEY", key.as_str())];
    let marked_text = marked.to_str().unwrap();
    let pushed = unifield(
        &[
            "push",
            "--server",
            &served.url,
            "--connection",
            &connection,
            "--mapping",
            marked_text,
            "--note",
            "add a marker",
        ],
        &env,
    );
    let out = String::from_utf8_lossy(&pushed.stdout);
    assert!(
        pushed.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&pushed.stderr)
    );
    assert!(out.contains("+ custom.marker"), "{out}");
    assert!(out.contains("version 1 is active (was 0)"), "{out}");
    let (_, after) = rt.block_on(request(reqwest::Method::GET, &list, &key, None));
    assert_eq!(after["meta"]["mapping_version"], 1);
    assert_eq!(after["data"][0]["customFields"]["marker"], "from-the-cli");

    // Stale: based on version 0 while 1 is active.
    let stale = unifield(
        &[
            "push",
            "--server",
            &served.url,
            "--connection",
            &connection,
            "--mapping",
            marked_text,
            "--if-version",
            "0",
        ],
        &env,
    );
    assert_eq!(stale.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&stale.stderr).contains("version_mismatch"));
    // Invalid: located problems, nothing changed.
    let broken = write_mapping(dir.path(), "broken.json", |m| {
        m["fields"]["title"]["steps"] = serde_json::json!(["trim", "shout"]);
    });
    let refused = unifield(
        &[
            "push",
            "--server",
            &served.url,
            "--connection",
            &connection,
            "--mapping",
            broken.to_str().unwrap(),
        ],
        &env,
    );
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{err}");
    assert!(
        err.contains("invalid_mapping") && err.contains("field `title`") && err.contains("step 2"),
        "{err}"
    );
    // No key: a usage error, and the key is never an argument.
    let keyless = unifield(
        &[
            "push",
            "--server",
            &served.url,
            "--connection",
            &connection,
            "--mapping",
            marked_text,
        ],
        &[
            ("UNIFIELD_API_KEY", ""),
            ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent"),
        ],
    );
    assert_eq!(keyless.status.code(), Some(2));
    let (_, versions) = rt.block_on(request(
        reqwest::Method::GET,
        &format!(
            "{}/api/connections/{connection}/mappings/WorkOrder/versions",
            served.url
        ),
        &key,
        None,
    ));
    assert_eq!(versions.as_array().unwrap().len(), 2);
    assert_eq!(versions[1]["note"], "add a marker");

    // The sandbox's client secret appears in no log line.
    let log = served.log();
    assert!(!log.contains("sandbox-secret"), "{log}");
}

#[test]
fn kill_9_during_a_sync_and_pushes_leaves_a_sound_database_and_a_whole_version() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    let data_text = data.to_str().unwrap().to_string();
    let key_file = master_key_in(dir.path());
    let key_env = [("UNIFIELD_SERVER_KEY_FILE", key_file.to_str().unwrap())];
    let key = acme_key(&data_text, &["--name", "ci"]);
    let listed = unifield(
        &[
            "server", "--data", &data_text, "key", "list", "--org", "acme",
        ],
        &[],
    );
    assert!(String::from_utf8_lossy(&listed.stdout).contains("\tci\t"));
    assert!(!String::from_utf8_lossy(&listed.stdout).contains(&key));

    let rt = runtime();
    // A slow Corrigo with many work orders, so the kill lands mid-sync.
    let sandbox = rt
        .block_on(unifield_corrigo_sandbox::start(
            unifield_corrigo_sandbox::Config {
                work_orders: 20_000,
                faults: "latency-ms=300".parse().unwrap(),
                ..Default::default()
            },
            "127.0.0.1:0".parse().unwrap(),
        ))
        .unwrap();
    let mut served = Served::start(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data",
            &data_text,
            "--allow-loopback-connections",
        ],
        &key_env,
    );
    let body = serde_json::json!({
        "name": "sandbox", "company": "Unifield Sandbox", "base_url": sandbox.base_url,
        "client_id": "ceapiclient.1.sandbox.0001", "client_secret": "sandbox-secret",
    });
    let (status, connection) = rt.block_on(request(
        reqwest::Method::POST,
        &format!("{}/api/connections", served.url),
        &key,
        Some(body.to_string()),
    ));
    assert_eq!(status, 201, "{connection}");
    let id = connection["id"].as_str().unwrap().to_string();
    let mapping_url = format!("{}/api/connections/{id}/mappings/WorkOrder", served.url);
    let base: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("mappings/corrigo/work_order.json")).unwrap(),
    )
    .unwrap();

    // Push versions back to back while the sync runs; kill -9 after a while.
    let pushed = rt.block_on(async {
        let client = reqwest::Client::new();
        let started = Instant::now();
        let mut version = 0;
        let mut bodies = vec![];
        while started.elapsed() < Duration::from_millis(1500) {
            let mut mapping = base.clone();
            mapping["custom"] = serde_json::json!({"round": {"const": version + 1}});
            let text = mapping.to_string();
            let response = client
                .put(&mapping_url)
                .bearer_auth(&key)
                .header("if-match", format!("\"{version}\""))
                .body(text.clone())
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), 200);
            version += 1;
            bodies.push(text);
        }
        bodies
    });
    // One more push in flight at the moment of the kill.
    let in_flight = {
        let mut mapping = base.clone();
        mapping["custom"] = serde_json::json!({"round": {"const": pushed.len() + 1}});
        mapping.to_string()
    };
    let url = mapping_url.clone();
    let key_clone = key.clone();
    let text = in_flight.clone();
    let version = pushed.len();
    let racer = std::thread::spawn(move || {
        let rt = runtime();
        rt.block_on(async {
            let _ = reqwest::Client::new()
                .put(&url)
                .bearer_auth(&key_clone)
                .header("if-match", format!("\"{version}\""))
                .body(text)
                .send()
                .await;
        })
    });
    std::thread::sleep(Duration::from_millis(5));
    served.kill();
    let _ = racer.join();

    let storage = unifield_server::Storage::open(&data).unwrap();
    assert_eq!(storage.integrity_check().unwrap(), "ok");
    let active = storage.active_mapping(&id, "WorkOrder").unwrap().unwrap();
    // The active version is one that was pushed whole (or the push in flight, whole).
    let n = active.version as usize;
    assert!(
        n == pushed.len() || n == pushed.len() + 1,
        "active {n}, pushed {}",
        pushed.len()
    );
    let expected = if n == pushed.len() {
        &pushed[n - 1]
    } else {
        &in_flight
    };
    assert_eq!(&active.body, expected);
    assert!(unifield_engine::load(&active.body, None).is_ok());
    let versions = storage.mapping_versions(&id, "WorkOrder").unwrap();
    assert_eq!(
        versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        (0..=active.version).collect::<Vec<_>>()
    );
    // The sync was cut: some pages committed, not all, and the run is left running.
    let held = storage.raw_count(&id, "WorkOrder").unwrap();
    assert!(
        held < 20_000,
        "the sync finished before the kill ({held}); the test needs a slower sandbox"
    );
    assert_eq!(storage.last_sync(&id).unwrap().unwrap().status, "running");
    drop(storage);

    // A restart marks the cut sync failed and serves what was committed.
    let mut served = Served::start(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data",
            &data_text,
            "--sync-interval",
            "1h",
            "--allow-loopback-connections",
        ],
        &key_env,
    );
    let (_, status) = rt.block_on(request(
        reqwest::Method::GET,
        &format!("{}/api/connections/{id}/status", served.url),
        &key,
        None,
    ));
    assert!(
        status["last_sync"]["status"] == "failed" || status["status"] == "syncing",
        "{status}"
    );
    let (code, page) = rt.block_on(request(
        reqwest::Method::GET,
        &format!(
            "{}/api/connections/{id}/eam/work-orders?per_page=1",
            served.url
        ),
        &key,
        None,
    ));
    assert_eq!(code, 200, "{page}");
    assert_eq!(
        page["meta"]["mapping_version"].as_u64().unwrap() as usize,
        n
    );
    served.kill();
    let log = served.log();
    assert!(
        !log.contains("sandbox-secret") && !log.contains(&key),
        "{log}"
    );
    drop(sandbox);
}

/// `serve` refuses a connection to this machine unless started with
/// `--allow-loopback-connections`, and `--max-connections-per-org` caps an organization.
#[test]
fn serve_allows_loopback_connections_only_when_told_and_caps_them() {
    let dir = tempfile::tempdir().unwrap();
    let data_text = dir.path().join("server").to_str().unwrap().to_string();
    let key_file = master_key_in(dir.path());
    let key_env = [("UNIFIELD_SERVER_KEY_FILE", key_file.to_str().unwrap())];
    let key = acme_key(&data_text, &[]);
    // Saving a connection sends nothing, so no Corrigo needs to listen at this URL.
    let body = serde_json::json!({
        "name": "sandbox", "company": "Unifield Sandbox", "base_url": "http://127.0.0.1:9",
        "client_id": "ceapiclient.1.sandbox.0001", "client_secret": "sandbox-secret",
    })
    .to_string();
    let rt = runtime();
    let create = |url: &str| {
        rt.block_on(request(
            reqwest::Method::POST,
            &format!("{url}/api/connections"),
            &key,
            Some(body.clone()),
        ))
    };

    let served = Served::start(
        &["serve", "--listen", "127.0.0.1:0", "--data", &data_text],
        &key_env,
    );
    let (status, refused) = create(&served.url);
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["code"], "insecure_base_url", "{refused}");
    assert_eq!(refused["problems"][0]["field"], "base_url", "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("--allow-loopback-connections"),
        "{refused}"
    );
    drop(served);

    let served = Served::start(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data",
            &data_text,
            "--allow-loopback-connections",
            "--max-connections-per-org",
            "1",
        ],
        &key_env,
    );
    let (status, first) = create(&served.url);
    assert_eq!(status, 201, "{first}");
    let (status, second) = create(&served.url);
    assert_eq!(status, 409, "{second}");
    assert_eq!(second["code"], "connection_limit_reached", "{second}");
}

#[test]
fn the_demo_holds_as_many_work_orders_as_asked_within_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let mut served = Served::start(
        &[
            "serve",
            "--demo",
            "--demo-work-orders",
            "37",
            "--listen",
            "127.0.0.1:0",
            "--data",
            data.to_str().unwrap(),
        ],
        &[("UNIFIELD_SERVER_KEY_FILE", "")],
    );
    let (key, connection) = served.demo_key_and_connection();
    let list = format!(
        "{}/api/connections/{connection}/eam/work-orders?per_page=3",
        served.url
    );
    let (status, page) = runtime().block_on(request(reqwest::Method::GET, &list, &key, None));
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["meta"]["total"], 37, "{page}");
    served.kill();

    // Out of range, not a number, or without --demo: refused before anything starts,
    // naming the flag and the range.
    for (args, expected) in [
        (
            vec!["--demo", "--demo-work-orders", "0"],
            "from 1 to 100000",
        ),
        (
            vec!["--demo", "--demo-work-orders", "100001"],
            "from 1 to 100000",
        ),
        (
            vec!["--demo", "--demo-work-orders", "many"],
            "from 1 to 100000",
        ),
        (vec!["--demo-work-orders", "10"], "--demo"),
    ] {
        let mut all = vec!["serve", "--listen", "127.0.0.1:0", "--data"];
        all.push(data.to_str().unwrap());
        all.extend(args.iter().copied());
        // Bounded: a server that wrongly started is killed after 30 s.
        let out = exits_within(
            unifield_command(&all, &[("UNIFIELD_SERVER_KEY_FILE", "")]),
            Duration::from_secs(30),
            &format!("unifield {all:?}"),
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} was accepted");
        assert!(
            stderr.contains("--demo-work-orders") && stderr.contains(expected),
            "{args:?}: {stderr}"
        );
    }
}
