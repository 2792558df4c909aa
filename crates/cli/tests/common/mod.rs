//! What the CLI's process tests share: `unifield` run from the repository's root, a
//! running `unifield serve` whose printed lines are collected, and a bounded run of a
//! command that must end by itself (a refusal).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `unifield` with `args` and `env`, run from the repository's root. The database settings
/// of the environment the tests run in are removed: a test names its own.
pub fn unifield_command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_unifield"));
    command
        .args(args)
        .current_dir(root())
        .env_remove("UNIFIELD_DATABASE_URL")
        .env_remove("UNIFIELD_DATABASE_POOL_SIZE")
        .env_remove("UNIFIELD_DATABASE_ALLOW_PLAINTEXT");
    for (name, value) in env {
        command.env(name, value);
    }
    command
}

/// [`unifield_command`] run to its end.
pub fn unifield(args: &[&str], env: &[(&str, &str)]) -> Output {
    unifield_command(args, env).output().unwrap()
}

/// Runs `command` (stdout and stderr collected) until it exits by itself, within `within`:
/// what it printed. One still running then is killed and fails the test, named `what`.
pub fn exits_within(mut command: Command, within: Duration, what: &str) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + within;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`{what}` kept running");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

/// A running `unifield serve`: its first line starting `http://` is the URL; every line it
/// prints (stdout and stderr) is collected for the log checks. Killed when dropped.
pub struct Served {
    child: Child,
    pub url: String,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Served {
    /// `unifield` with `args` and `env` (see [`unifield_command`]).
    pub fn start(args: &[&str], env: &[(&str, &str)]) -> Served {
        Served::spawn(unifield_command(args, env))
    }

    /// Starts `command` and waits (at most 120 s) for the URL it serves at.
    pub fn spawn(mut command: Command) -> Served {
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        let (tx, lines) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        let err = child.stderr.take().unwrap();
        for reader in [Box::new(out) as Box<dyn Read + Send>, Box::new(err)] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(reader).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
        }
        let mut served = Served {
            child,
            url: String::new(),
            lines,
            seen: Vec::new(),
        };
        served.url = served.wait_for(|l| l.starts_with("http://"));
        served
    }

    /// The first line from now on that passes `test` (within 120 s).
    pub fn wait_for(&mut self, test: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            match self.lines.recv_timeout(Duration::from_millis(200)) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if test(&line) {
                        return line;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        panic!(
            "the server never printed the line; it printed:\n{}",
            self.seen.join("\n")
        );
    }

    /// The API key and the connection id a `serve --demo` prints (its "API key:" line and
    /// its example curl command).
    pub fn demo_key_and_connection(&mut self) -> (String, String) {
        let key_line = self.wait_for(|l| l.trim_start().starts_with("API key:"));
        let key = key_line.split_whitespace().nth(2).unwrap().to_string();
        let curl = self.wait_for(|l| l.contains("curl "));
        let connection = curl
            .split("/api/connections/")
            .nth(1)
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .to_string();
        (key, connection)
    }

    /// Everything printed so far: lines are taken until none comes for 200 ms (or the
    /// process's output ends), for at most 5 s.
    pub fn log(&mut self) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            match self.lines.recv_timeout(Duration::from_millis(200)) {
                Ok(line) => self.seen.push(line),
                Err(_) => break,
            }
        }
        self.seen.join("\n")
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM; the exit code and how long it took to exit (at most `within`).
    pub fn terminate(&mut self, within: Duration) -> (Option<i32>, Duration) {
        let sent = Instant::now();
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        while sent.elapsed() < within {
            if let Some(exit) = self.child.try_wait().unwrap() {
                return (exit.code(), sent.elapsed());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("still running {within:?} after SIGTERM:\n{}", self.log());
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Adds a webhook endpoint at `hook_url` for `ping` events through `post` (a path and a
/// JSON body to the served API: the answer's status and JSON) and has the server send it a
/// test ping: the endpoint's id.
pub fn add_endpoint_and_ping(
    post: impl Fn(&str, serde_json::Value) -> (u16, serde_json::Value),
    hook_url: &str,
) -> String {
    let (status, endpoint) = post(
        "/api/webhooks",
        serde_json::json!({"url": hook_url, "events": ["ping"], "description": "holds"}),
    );
    assert_eq!(status, 201, "{endpoint}");
    let endpoint = endpoint["endpoint"]["id"].as_str().unwrap().to_string();
    let (status, pinged) = post(
        &format!("/api/webhooks/{endpoint}/test"),
        serde_json::json!({}),
    );
    assert!((200..300).contains(&status), "{pinged}");
    endpoint
}

/// A master key file (0600) written in `dir`, for `UNIFIELD_SERVER_KEY_FILE`: its path.
pub fn master_key_in(dir: &std::path::Path) -> PathBuf {
    let key_file = dir.join("master.key");
    unifield_test_support::write_master_key(&key_file);
    key_file
}

/// A workspace store at `dir` with the connection `sb` (never dialled) that cached records
/// are pulled for.
pub fn store_with_connection_sb(dir: &std::path::Path) -> unifield_store::Store {
    let store = unifield_store::Store::open(dir).unwrap();
    store
        .add_connection(
            &unifield_store::ConnectionSettings {
                name: "sb".into(),
                company: "C".into(),
                endpoint: unifield_store::Endpoint::BaseUrl("http://127.0.0.1:9".into()),
                client_id: "id".into(),
            },
            chrono::Utc::now(),
        )
        .unwrap();
    store
}

/// The bundled samples of `entity` (mappings/corrigo/samples), each with its `Id` as text,
/// in the file's order.
pub fn sample_page(entity: &str) -> Vec<(String, serde_json::Value)> {
    let text =
        std::fs::read_to_string(root().join(format!("mappings/corrigo/samples/{entity}.jsonl")))
            .unwrap();
    text.lines()
        .map(|line| {
            let record: serde_json::Value = serde_json::from_str(line).unwrap();
            (record["Id"].to_string(), record)
        })
        .collect()
}

/// Caches `page` as one pull of `entity` for connection `sb`.
pub fn cache_page(
    store: &mut unifield_store::Store,
    entity: &str,
    page: &[(String, serde_json::Value)],
) {
    let run = store
        .begin_pull("sb", entity, None, chrono::Utc::now())
        .unwrap();
    store
        .commit_page(run.id, page, None, chrono::Utc::now())
        .unwrap();
}
