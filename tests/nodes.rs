//! Two `unifield serve` processes on one throwaway PostgreSQL cluster, a Corrigo sandbox on
//! loopback, and a bounded mixed run across them: mapping pushes and unified reads
//! alternating between the nodes, syncs asked for on either node, webhook deliveries of
//! every event to a loopback receiver that verifies their Standard Webhooks signatures, and
//! one node killed with SIGKILL while it holds a sync, then started again.
//!
//! What must hold: every read on either live node right after a push returned shows the
//! pushed version (zero stale reads); the dead node's sync is failed and taken over by the
//! other node once its lease expires, no two syncs of one connection ever overlap and none
//! is left `running`; every connection ends with a completed sync of every record and the
//! last pushed version; every event in the outbox reaches the receiver, signed, exactly once
//! after dedupe by `webhook-id` (a repeat only as a retry of the same id), each with one
//! delivery row, delivered (nothing lost). Without PostgreSQL the test prints SKIPPED.

use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use unifield_test_support as support;
use unifield_test_support::postgres::PgCluster;
use unifield_webhooks::receiver::{Receiver, ReceiverConfig};
use unifield_webhooks::Verifier;

/// Connections (customers) on the one sandbox.
const CONNECTIONS: usize = 3;
/// Work orders the sandbox serves to each connection.
const WORK_ORDERS: usize = 400;
/// Rounds of the mixed run; node B is killed at KILL_AT and started again at RESTART_AT.
const ROUNDS: usize = 30;
const KILL_AT: usize = 10;
const RESTART_AT: usize = 20;
/// The sync lease the nodes run with: a dead node's sync is taken over after it.
const LEASE: &str = "3s";
/// The whole run's bound (a failure says what it was waiting for).
const DEADLINE: Duration = Duration::from_secs(240);
/// Connections node B holds a running sync of.
const HELD_BY_B: &str =
    "SELECT DISTINCT c.id FROM connections c JOIN sync_runs r ON r.connection_id = c.id
     WHERE c.sync_node LIKE 'node-b%' AND r.status = 'running'";
const CLIENT_SECRET: &str = "sandbox-secret-N0d3s";
const MASTER_KEY: &[u8] = b"4c0ffee14c0ffee24c0ffee34c0ffee44c0ffee54c0ffee64c0ffee74c0ffee8";

fn unifield_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| support::built_binary("unifield-cli", "unifield", &[]))
        .clone()
}

/// What every node and administration command is started with: the database in
/// UNIFIELD_DATABASE_URL (never on the command line), the master key in a 0600 file.
struct Deployment {
    dir: tempfile::TempDir,
    database: String,
    key_file: PathBuf,
}

impl Deployment {
    fn new(database: String) -> Deployment {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let dir = tempfile::tempdir().unwrap();
        let key_file = dir.path().join("master.key");
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&key_file)
            .unwrap()
            .write_all(MASTER_KEY)
            .unwrap();
        Deployment {
            dir,
            database,
            key_file,
        }
    }

    fn command(&self) -> Command {
        let mut command = Command::new(unifield_bin());
        command
            .env("UNIFIELD_DATABASE_URL", &self.database)
            .env("UNIFIELD_SERVER_KEY_FILE", &self.key_file)
            .current_dir(self.dir.path());
        command
    }

    /// `unifield server <args>`; its stdout.
    fn admin(&self, args: &[&str]) -> String {
        let output = self
            .command()
            .args(["server", "--data"])
            .arg(self.dir.path().join("admin-data"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "unifield server {args:?}: {output:?}"
        );
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }

    /// Starts `unifield serve` as node `name` and waits (bounded) for its URL.
    fn start_node(&self, name: &str) -> Node {
        let log_path = self.dir.path().join(format!("{name}.log"));
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .unwrap();
        let mut child = self
            .command()
            .env("UNIFIELD_NODE", name)
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--sync-interval",
                "1h",
                "--sync-lease",
                LEASE,
                "--allow-insecure-webhooks",
                "--allow-loopback-connections",
                "--data",
            ])
            .arg(self.dir.path().join(format!("{name}-data")))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        // Reads the URL line, then drains stdout until the node exits.
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(first)) = lines.next() {
                let _ = tx.send(first);
            }
            for _ in lines {}
        });
        let url = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "node {name} printed no URL within 60 s:\n{}",
                    std::fs::read_to_string(&log_path).unwrap_or_default()
                );
            }
        };
        assert!(url.starts_with("http://127.0.0.1:"), "{name}: {url}");
        Node {
            name: name.to_string(),
            child,
            url,
        }
    }

    fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(format!("{name}.log"))).unwrap_or_default()
    }
}

/// A `unifield serve` child process, killed with SIGKILL when dropped.
struct Node {
    name: String,
    child: Child,
    url: String,
}

impl Node {
    /// kill -9: no shutdown, no lease released, the sync's run left `running`.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Client {
    http: reqwest::Client,
    key: String,
}

impl Client {
    async fn send(
        &self,
        method: reqwest::Method,
        url: String,
        body: Option<&Value>,
        if_match: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method, &url).bearer_auth(&self.key);
        if let Some(body) = body {
            request = request.json(body);
        }
        if let Some(tag) = if_match {
            request = request.header("if-match", tag);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        let status = response.status();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn get(&self, url: String) -> (StatusCode, Value) {
        self.send(reqwest::Method::GET, url, None, None).await
    }

    /// Asks the node at `node_url` to sync `connection` now (202, or 409 while a sync runs).
    async fn ask_sync(&self, node_url: &str, connection: &str) -> (StatusCode, Value) {
        self.send(
            reqwest::Method::POST,
            format!("{node_url}/api/connections/{connection}/sync"),
            None,
            None,
        )
        .await
    }
}

/// Rows of `sql` on the deployment's database, columns split on `|`.
fn rows(cluster: &PgCluster, database: &str, sql: &str) -> Vec<Vec<String>> {
    cluster
        .query(database, sql)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split('|').map(str::to_string).collect())
        .collect()
}

/// Waits (bounded by the run's deadline) until `done` holds, polling every 200 ms.
async fn wait_until(started: Instant, what: &str, mut done: impl FnMut() -> bool) {
    while !done() {
        assert!(
            started.elapsed() < DEADLINE,
            "the run passed its {} s bound waiting for {what}",
            DEADLINE.as_secs()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_with_one_killed_minus_9_serve_no_stale_read_and_lose_no_sync_or_event() {
    let cluster = match PgCluster::start() {
        Ok(cluster) => cluster,
        Err(reason) => {
            support::skipped(&format!("PostgreSQL: {reason}"));
            return;
        }
    };
    let started = Instant::now();
    let deployment = Deployment::new(cluster.database().unwrap());
    let db = |sql: &str| rows(&cluster, &deployment.database, sql);
    deployment.admin(&["org", "add", "acme"]);
    let key = deployment.admin(&["key", "create", "--org", "acme", "--name", "mixed-run"]);
    assert!(key.starts_with("ufk_"), "{key}");

    // A sandbox whose every answer takes 250 ms, so a sync lasts long enough to be killed in.
    let sandbox_config = support::SandboxConfig {
        work_orders: WORK_ORDERS,
        client_secret: CLIENT_SECRET.into(),
        faults: "latency-ms=250".parse().unwrap(),
        ..Default::default()
    };
    let sandbox = support::sandbox(sandbox_config.clone()).await;

    let node_a = deployment.start_node("node-a");
    let mut node_b = Some(deployment.start_node("node-b"));
    let client = Client {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap(),
        key,
    };

    // A webhook endpoint for every event, created before anything happens, and the
    // verifying receiver behind it. (An endpoint's deliveries go one at a time, in event
    // order: the receiver answers at once so the run's ~1,300 events drain in seconds.)
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let receiver_url = format!("http://127.0.0.1:{port}/webhooks");
    let (status, endpoint) = client
        .send(
            reqwest::Method::POST,
            format!("{}/api/webhooks", node_a.url),
            Some(&json!({"url": receiver_url, "events": ["*"]})),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{endpoint}");
    let endpoint_id = endpoint["endpoint"]["id"]
        .as_str()
        .or(endpoint["id"].as_str())
        .unwrap()
        .to_string();
    let events_before: i64 = db("SELECT coalesce(max(seq), 0) FROM events")[0][0]
        .parse()
        .unwrap();
    let receiver_config = ReceiverConfig::new(
        Verifier::from_secret_text(endpoint["secret"].as_str().unwrap()).unwrap(),
    );
    let receiver = Receiver::start(([127, 0, 0, 1], port).into(), receiver_config, None)
        .await
        .unwrap();
    assert_eq!(receiver.url(), receiver_url);

    // Connections added on alternate nodes; each one's first sync starts at once.
    let mut connections = Vec::new();
    for i in 0..CONNECTIONS {
        let node = if i % 2 == 0 {
            &node_a
        } else {
            node_b.as_ref().unwrap()
        };
        let (status, body) = client
            .send(
                reqwest::Method::POST,
                format!("{}/api/connections", node.url),
                Some(&json!({
                    "name": format!("customer-{i}"),
                    "company": sandbox_config.company,
                    "base_url": sandbox.base_url,
                    "client_id": sandbox_config.client_id,
                    "client_secret": CLIENT_SECRET,
                })),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        connections.push(body["id"].as_str().unwrap().to_string());
    }
    wait_until(started, "the first syncs", || {
        db("SELECT count(*) FROM sync_runs WHERE status = 'completed'")[0][0]
            == CONNECTIONS.to_string()
    })
    .await;

    // The active WorkOrder mapping of each connection (version 0) to push variants of.
    let (status, base) = client
        .get(format!(
            "{}/api/connections/{}/mappings/WorkOrder",
            node_a.url, connections[0]
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{base}");
    let mut versions: HashMap<String, u64> = connections.iter().map(|c| (c.clone(), 0)).collect();

    let mut stale: Vec<String> = Vec::new();
    let mut reads = 0usize;
    let mut killed_holding: Vec<String> = Vec::new();
    let mut deliveries_held_by_b = 0;
    for round in 1..=ROUNDS {
        if round == KILL_AT {
            // Ask node B for a sync of every connection, and kill it once it holds one
            // mid-run: its run stays `running` and its lease unreleased. (Asked again if
            // its syncs all ended between two looks.)
            let node = node_b.take().unwrap();
            loop {
                for connection in &connections {
                    let (status, body) = client.ask_sync(&node.url, connection).await;
                    assert!(
                        status == StatusCode::ACCEPTED || status == StatusCode::CONFLICT,
                        "{status} {body}"
                    );
                }
                let asked = Instant::now();
                let mut holding = false;
                while !holding && asked.elapsed() < Duration::from_secs(3) {
                    holding = !db(HELD_BY_B).is_empty();
                    if !holding {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
                if holding {
                    break;
                }
                assert!(started.elapsed() < DEADLINE, "node B never held a sync");
            }
            node.kill();
            killed_holding = db(HELD_BY_B).into_iter().map(|r| r[0].clone()).collect();
            deliveries_held_by_b = db(
                "SELECT id FROM webhook_deliveries WHERE claimed_by LIKE 'node-b%' AND state = 'pending'",
            )
            .len();
            assert!(
                !killed_holding.is_empty(),
                "node B's syncs all ended just before the kill"
            );
        }
        if round == RESTART_AT {
            node_b = Some(deployment.start_node("node-b"));
        }
        let live: Vec<&Node> = std::iter::once(&node_a).chain(node_b.as_ref()).collect();
        // Pushes alternate between the live nodes and across the connections.
        let pusher = live[round % live.len()];
        let connection = &connections[round % CONNECTIONS];
        let before = versions[connection];
        let mut mapping = base.clone();
        mapping["custom"] = json!({"round": {"const": round}});
        let (status, body) = client
            .send(
                reqwest::Method::PUT,
                format!(
                    "{}/api/connections/{connection}/mappings/WorkOrder",
                    pusher.url
                ),
                Some(&mapping),
                Some(&format!("\"{before}\"")),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "push on {}: {body}", pusher.name);
        let pushed = body["version"].as_u64().unwrap();
        assert_eq!(pushed, before + 1, "{body}");
        versions.insert(connection.clone(), pushed);
        // Read right after on every live node, the pusher included.
        for reader in &live {
            let (status, page) = client
                .get(format!(
                    "{}/api/connections/{connection}/eam/work-orders?per_page=5&page={}",
                    reader.url,
                    1 + round % 7
                ))
                .await;
            assert_eq!(status, StatusCode::OK, "read on {}: {page}", reader.name);
            reads += 1;
            let version = page["meta"]["mapping_version"].as_u64();
            let marker = page["data"][0]["customFields"]["round"].as_u64();
            if version != Some(pushed) || marker != Some(round as u64) {
                stale.push(format!(
                    "round {round}: pushed v{pushed} on {}, {} read v{version:?} with round {marker:?}",
                    pusher.name, reader.name
                ));
            }
        }
        // Every third round a sync is asked for on the other live node (409 while one runs).
        if round % 3 == 0 {
            let asker = live[(round + 1) % live.len()];
            let (status, body) = client
                .ask_sync(&asker.url, &connections[(round / 3) % CONNECTIONS])
                .await;
            assert!(
                status == StatusCode::ACCEPTED || status == StatusCode::CONFLICT,
                "sync on {}: {status} {body}",
                asker.name
            );
        }
    }

    eprintln!(
        "mixed run: rounds done at {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // The dead node's syncs were failed when node A took them over after the lease.
    wait_until(started, "the dead node's syncs to be taken over", || {
        killed_holding.iter().all(|c| {
            !db(&format!(
                "SELECT id FROM sync_runs WHERE connection_id = '{c}' AND status = 'failed'
                 AND error = 'the node syncing it stopped'"
            ))
            .is_empty()
        })
    })
    .await;
    // Everything settles (no sync running, no lease held, every connection ok), then one
    // last sync of every connection is asked for on alternate nodes. (Asked while another
    // sync ran, the request would be overwritten by that sync's end: the next is in 1 h.)
    wait_until(started, "the syncs to settle", || {
        db("SELECT id FROM sync_runs WHERE status = 'running'").is_empty()
            && db("SELECT id FROM connections WHERE sync_node IS NOT NULL OR status != 'ok'")
                .is_empty()
    })
    .await;
    let node_b = node_b.expect("node B was started again");
    let final_runs_after: i64 = db("SELECT coalesce(max(id), 0) FROM sync_runs")[0][0]
        .parse()
        .unwrap();
    for (i, connection) in connections.iter().enumerate() {
        let node = if i % 2 == 0 { &node_a } else { &node_b };
        // A sync still running (409) is waited for and asked again.
        loop {
            let (status, body) = client.ask_sync(&node.url, connection).await;
            if status == StatusCode::ACCEPTED {
                break;
            }
            assert_eq!(status, StatusCode::CONFLICT, "{body}");
            assert!(started.elapsed() < DEADLINE, "a final sync never started");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    wait_until(started, "every connection's final sync", || {
        let finals = db(&format!(
            "SELECT DISTINCT connection_id FROM sync_runs WHERE id > {final_runs_after} AND status = 'completed'"
        ));
        let running = db("SELECT id FROM sync_runs WHERE status = 'running'");
        finals.len() == CONNECTIONS && running.is_empty()
    })
    .await;

    let logs = || {
        format!(
            "node-a:\n{}\nnode-b:\n{}",
            deployment.log("node-a"),
            deployment.log("node-b")
        )
    };
    assert!(
        stale.is_empty(),
        "{} of {reads} reads after a push were stale:\n{}",
        stale.len(),
        stale.join("\n")
    );
    assert!(reads >= ROUNDS * 2 - (RESTART_AT - KILL_AT));

    // No sync left running, none failed but the dead node's, and no two syncs of one
    // connection overlapping in time (one node at a time).
    let runs = db(
        "SELECT connection_id, id, status, started_at, coalesce(finished_at, ''), coalesce(error, '')
         FROM sync_runs ORDER BY connection_id, id",
    );
    let mut by_connection: HashMap<&str, Vec<&Vec<String>>> = HashMap::new();
    for run in &runs {
        assert_ne!(
            run[2],
            "running",
            "a sync left running: {run:?}\n{}",
            logs()
        );
        if run[2] == "failed" {
            assert_eq!(
                run[5],
                "the node syncing it stopped",
                "only the killed node's syncs fail: {run:?}\n{}",
                logs()
            );
            assert!(killed_holding.contains(&run[0]), "{run:?}");
        } else {
            assert_eq!(run[2], "completed", "{run:?}");
        }
        by_connection.entry(&run[0]).or_default().push(run);
    }
    for (connection, runs) in &by_connection {
        for pair in runs.windows(2) {
            assert!(
                pair[0][4] <= pair[1][3],
                "two syncs of {connection} overlapped: {:?} and {:?}",
                pair[0],
                pair[1]
            );
        }
    }
    let leases = db("SELECT id FROM connections WHERE sync_node IS NOT NULL");
    assert!(leases.is_empty(), "leases left held: {leases:?}");

    // Nothing lost: every record synced on every connection, read on both nodes, with the
    // last version pushed to it.
    for node in [&node_a, &node_b] {
        for connection in &connections {
            let (status, page) = client
                .get(format!(
                    "{}/api/connections/{connection}/eam/work-orders?per_page=1",
                    node.url
                ))
                .await;
            assert_eq!(status, StatusCode::OK, "{page}");
            assert_eq!(page["meta"]["total"], WORK_ORDERS, "{page}");
            assert_eq!(
                page["meta"]["mapping_version"], versions[connection],
                "{page}"
            );
        }
    }
    eprintln!(
        "mixed run: syncs settled at {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // Every event the outbox holds since the endpoint was made reached the receiver,
    // verified, and only those; one delivery row each, delivered; a repeat only as a
    // retry of the same id.
    let expected: std::collections::BTreeSet<String> = db(&format!(
        "SELECT id FROM events WHERE seq > {events_before}"
    ))
    .into_iter()
    .map(|r| r[0].clone())
    .collect();
    let undelivered = format!(
        "SELECT state, count(*) FROM webhook_deliveries WHERE endpoint_id = '{endpoint_id}'
         AND state != 'delivered' GROUP BY state"
    );
    loop {
        let received: std::collections::BTreeSet<String> = receiver
            .received()
            .into_iter()
            .filter_map(|d| d.id)
            .collect();
        let missing: Vec<&String> = expected.difference(&received).collect();
        let pending = db(&undelivered);
        if missing.is_empty() && pending.is_empty() {
            break;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "the run passed its {} s bound waiting for deliveries: {} of {} events not received (first: {:?}); deliveries not delivered by state: {pending:?}; by state and holder: {:?}\nnode-a:\n{}\nnode-b:\n{}",
            DEADLINE.as_secs(),
            missing.len(),
            expected.len(),
            missing.iter().take(3).collect::<Vec<_>>(),
            db(&format!("SELECT state, coalesce(claimed_by, '-'), attempts, count(*) FROM webhook_deliveries WHERE endpoint_id = '{endpoint_id}' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")),
            deployment.log("node-a"),
            deployment.log("node-b"),
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!(
        "mixed run: events delivered at {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let received = receiver.received();
    let mut times_received: HashMap<String, usize> = HashMap::new();
    for delivery in &received {
        assert_eq!(
            delivery.verified,
            Ok(()),
            "a delivery did not verify: {:?}",
            delivery.verify_message
        );
        let id = delivery
            .id
            .clone()
            .expect("every delivery has a webhook-id");
        *times_received.entry(id).or_default() += 1;
    }
    let all_events: std::collections::HashSet<String> = db("SELECT id FROM events")
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    for id in times_received.keys() {
        assert!(all_events.contains(id), "a delivery of no event: {id}");
    }
    let rows_per_event = db(&format!(
        "SELECT event_id, count(*) FROM webhook_deliveries WHERE endpoint_id = '{endpoint_id}'
         GROUP BY event_id HAVING count(*) > 1"
    ));
    assert!(
        rows_per_event.is_empty(),
        "events with more than one delivery: {rows_per_event:?}"
    );
    let repeats: usize = times_received.values().map(|n| n - 1).sum();
    assert!(expected.len() > 3 * WORK_ORDERS, "{}", expected.len());

    let (status, health) = client.get(format!("{}/api/health", node_b.url)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(health["database"], "postgres", "{health}");
    println!(
        "mixed run: {ROUNDS} pushes, {reads} reads after them (0 stale), {} syncs ({} failed with the killed node, taken over), {} events delivered ({repeats} repeated as retries; node B held {deliveries_held_by_b} when killed), {:.1} s",
        runs.len(),
        runs.iter().filter(|r| r[2] == "failed").count(),
        expected.len(),
        started.elapsed().as_secs_f64()
    );
    receiver.stop().await;
    drop(node_a);
    drop(node_b);
    sandbox.stop().await;
}
