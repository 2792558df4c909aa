//! Driving the studio's window through WebDriver: starting tauri-driver, scripts, clicks,
//! real pointer drags and key chords, polling with a bound, screenshots, and the process
//! measurements the journey reports.

use fantoccini::actions::{
    InputSource, KeyAction, KeyActions, MouseActions, PointerAction, MOUSE_BUTTON_LEFT,
};
use fantoccini::elements::Element;
use fantoccini::error::CmdError;
use fantoccini::{Client, Locator};
use serde_json::Value;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use unifield_test_support as support;

pub const DRIVER_PORT: u16 = 4444;
/// How long one wait for the page may take before the step fails naming what it waited for.
pub const WAIT: Duration = Duration::from_secs(30);
/// How long one WebDriver command may take. WebKitWebDriver sometimes never answers one (a
/// screenshot under Xvfb; once a command in the pull step): with no bound of its own, a
/// poll that had sent it never got back to its own deadline, and the step failed only as
/// "took over 120s" without saying what it was waiting on.
pub const COMMAND: Duration = Duration::from_secs(45);

/// `command`, or a failure naming it once it has taken [`COMMAND`].
pub async fn bounded<T>(
    what: impl std::fmt::Display,
    command: impl std::future::Future<Output = T>,
) -> T {
    match tokio::time::timeout(COMMAND, command).await {
        Ok(done) => done,
        Err(_) => panic!("WebDriver did not answer {what} within {COMMAND:?}"),
    }
}

/// The last line of defence behind a step's budget: that budget is a timer on the async
/// runtime, so a thread of the runtime blocked outside any await (a sync call that never
/// returns) would keep it from firing and the journey would hang without a word. An OS
/// thread watches instead: once the step has outlasted `limit`, it says which step and
/// ends the test process (the steps' report cannot be written from a blocked runtime).
pub struct Watchdog(Option<std::sync::mpsc::Sender<()>>);

impl Watchdog {
    pub fn start(step: &'static str, limit: Duration) -> Watchdog {
        let (done, finished) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = finished.recv_timeout(limit) {
                eprintln!(
                    "e2e: step `{step}` is still running after {limit:?}, past its budget: its \
                     timer did not end it, so a thread of the async runtime is blocked; \
                     stopping the journey"
                );
                // tauri-driver (and WebKitWebDriver with it) must not outlive the test
                // on the journey's fixed port.
                let driver = DRIVER_PID.load(std::sync::atomic::Ordering::Relaxed);
                if driver != 0 {
                    let _ = Command::new("kill").arg(driver.to_string()).status();
                }
                std::process::exit(101);
            }
        });
        Watchdog(Some(done))
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        if let Some(done) = self.0.take() {
            let _ = done.send(());
        }
    }
}

/// The running tauri-driver's process id (0: none), for the [`Watchdog`], which ends the
/// process without running `Driver`'s drop.
static DRIVER_PID: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// tauri-driver, stopped with SIGTERM so it takes WebKitWebDriver down with it (a SIGKILL
/// would orphan WebKitWebDriver on its port).
pub struct Driver(Child);

impl Driver {
    /// Starts tauri-driver for a studio on `workspace` whose file dialogs answer `chosen_file`.
    pub fn start(program: &str, workspace: &Path, chosen_file: &Path) -> Driver {
        let child = Command::new(program)
            .args(["--port", &DRIVER_PORT.to_string()])
            .env("UNIFIELD_WORKSPACE", workspace)
            .env("UNIFIELD_STUDIO_FILE_CHOICE", chosen_file)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
        DRIVER_PID.store(child.id(), std::sync::atomic::Ordering::Relaxed);
        Driver(child)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

/// A picture of the window in target/e2e-screenshots, taken from the X server (`xwd`) once
/// the page has drawn two frames since the DOM changed. Not WebDriver's screenshot:
/// WebKitWebDriver under Xvfb has been seen never to answer one (with the Servers dialog
/// open; after the Set secret check; twice in a row at the first picture of a run, 20:53
/// on 2026-11-30), and after that no command of the session answers, so one picture
/// failed every step after it. The pictures are evidence beside the steps' own checks:
/// without `xwd` (x11-apps, which scripts/setup installs) none is taken, and it says so.
pub async fn shot(client: &Client, name: &str) {
    // Bounded by WebDriver's script timeout: a page that draws no frame is said, not waited on.
    let drawn = client
        .execute_async(
            "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 50)));",
            vec![],
        );
    match tokio::time::timeout(COMMAND, drawn).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => {
            eprintln!("e2e screenshot {name}: the page drew no frame ({e}); taken anyway")
        }
        Err(_) => eprintln!(
            "e2e screenshot {name}: no answer to the frame wait in {COMMAND:?}; taken anyway"
        ),
    }
    let frame = js(
        client,
        "return [window.screenX, window.screenY, window.outerWidth, window.outerHeight];",
    )
    .await;
    let at = |i: usize| frame[i].as_f64().unwrap_or(0.0).max(0.0) as usize;
    match support::xwd::capture(None) {
        Some(screen) => {
            let window = screen.crop(at(0), at(1), at(2), at(3));
            let picture = if window.width > 0 && window.height > 0 {
                window
            } else {
                screen
            };
            picture.write_png(&crate::shots().join(format!("{name}.png")));
        }
        None => eprintln!("e2e screenshot {name}: skipped (an X grab needs xwd, from x11-apps)"),
    }
}

pub async fn js(client: &Client, script: &str) -> Value {
    bounded(
        format!(
            "the script `{}`",
            script.chars().take(100).collect::<String>()
        ),
        client.execute(script, vec![]),
    )
    .await
    .unwrap()
}

/// Whether `error` is the connection to tauri-driver dropping rather than an answer from
/// the webview: tauri-driver forwards each command to WebKitWebDriver over a pooled
/// connection and, when that send fails ("client error (SendRequest)" in its log), closes
/// ours without a reply.
pub fn transport_closed(error: &CmdError) -> bool {
    matches!(
        error,
        CmdError::Lost(_) | CmdError::Failed(_) | CmdError::FailedC(_)
    )
}

/// Runs `command` (bounded), and once more if the connection closed under it. Only for
/// commands that change nothing (a find, a script that only reads): a click or a key may
/// have reached the page before the connection dropped, and must not be sent twice.
pub async fn idempotent<T, F, Fut>(
    what: impl std::fmt::Display,
    mut command: F,
) -> Result<T, CmdError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, CmdError>>,
{
    match bounded(&what, command()).await {
        Err(e) if transport_closed(&e) => {
            eprintln!("e2e: the connection closed during {what} ({e}); sending it once more");
            bounded(&what, command()).await
        }
        done => done,
    }
}

/// A script that only reads the page, sent once more if the connection closed under it.
pub async fn read_js(client: &Client, script: &str) -> Value {
    let what = format!(
        "the script `{}`",
        script.chars().take(100).collect::<String>()
    );
    idempotent(&what, || client.execute(script, vec![]))
        .await
        .unwrap_or_else(|e| panic!("{what}: {e:?}"))
}

/// The element `css` finds, waiting for it up to [`WAIT`]; each search is sent once more
/// if the connection closed under it.
pub async fn find(client: &Client, css: &str) -> Element {
    let started = Instant::now();
    loop {
        match idempotent(format!("the search for {css}"), || {
            client.find(Locator::Css(css))
        })
        .await
        {
            Ok(element) => return element,
            Err(e) if e.is_no_such_element() => {
                assert!(started.elapsed() < WAIT, "timed out waiting for {css}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("{css}: {e:?}"),
        }
    }
}

pub async fn text_of(client: &Client, test_id: &str) -> String {
    let found = read_js(
        client,
        &format!("const e = document.querySelector('[data-testid=\"{test_id}\"]'); return e ? e.textContent : null;"),
    )
    .await;
    found.as_str().unwrap_or("").to_string()
}

/// Polls `probe` until it gives Some, or fails saying what it waited for.
pub async fn until<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(started.elapsed() < WAIT, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn preview_output(client: &Client) -> Value {
    let text = text_of(client, "preview-output").await;
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

pub async fn click(client: &Client, css: &str) {
    // The wait's own bound is checked between its polls; each poll, and the click, is a
    // command that must answer too.
    let element = find(client, css).await;
    wait_until_uncovered(client, css).await;
    // `{e:?}`: WebKitWebDriver sometimes answers a click with an error whose message is
    // empty, and only the error's kind then says what went wrong.
    bounded(format!("the click on {css}"), element.click())
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e:?}"));
}

/// Waits until a click at the centre of `css` would reach it. WebKitWebDriver clicks at
/// that point whatever is on top: a toast over the corner (they overlay the panes for a
/// few seconds) took a click meant for a button under it, and the step then timed out
/// waiting for what the click should have done. Only an element with a size whose centre
/// is in the viewport and inside every clipping ancestor is checked: the click itself
/// scrolls an element into view and refuses one that is not displayed, and this check must
/// not move anything first.
async fn wait_until_uncovered(client: &Client, css: &str) {
    let selector = serde_json::to_string(css).unwrap();
    let script = format!(
        "const e = document.querySelector({selector}); if (e === null) return ''; \
         const r = e.getBoundingClientRect(); const x = r.left + r.width / 2, y = r.top + r.height / 2; \
         if (r.width === 0 || r.height === 0 || x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) return ''; \
         for (let p = e.parentElement; p !== null; p = p.parentElement) {{ \
           const c = getComputedStyle(p); if (!/auto|scroll|hidden|clip/.test(c.overflowX + c.overflowY)) continue; \
           const q = p.getBoundingClientRect(); if (x < q.left || x >= q.right || y < q.top || y >= q.bottom) return ''; }} \
         const h = document.elementFromPoint(x, y); \
         if (h === null || h === e || e.contains(h)) return ''; \
         const t = (h.closest('[data-testid]') || h); \
         return `${{h.tagName.toLowerCase()}} in ${{t.dataset.testid || t.className}} \"${{(t.textContent || '').trim().slice(0, 80)}}\" at (${{Math.round(x)}}, ${{Math.round(y)}})`;"
    );
    let started = Instant::now();
    let mut covered_by = String::new();
    loop {
        let cover = js(client, &script).await;
        let cover = cover.as_str().unwrap_or_default();
        if cover.is_empty() {
            if !covered_by.is_empty() {
                eprintln!(
                    "e2e: the click on {css} waited {:?} while {covered_by} covered it",
                    started.elapsed()
                );
            }
            return;
        }
        covered_by = cover.to_string();
        assert!(
            started.elapsed() < WAIT,
            "timed out waiting for {css} to be uncovered: {covered_by} is over its centre"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Drags with real pointer input (WebDriver actions): press on the source, move past
/// dnd-kit's activation distance, move over the target, release. Positions are viewport
/// coordinates of the elements' centres.
pub async fn drag(client: &Client, from: &str, to: &str) {
    let centre = |css: &str| {
        format!(
            "const e = document.querySelector('{css}'); e.scrollIntoView({{block: 'center'}}); \
             const r = e.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2];"
        )
    };
    let point = |v: Value| {
        (
            v[0].as_f64().unwrap().round(),
            v[1].as_f64().unwrap().round(),
        )
    };
    let (sx, sy) = point(js(client, &centre(from)).await);
    let (tx, ty) = point(js(client, &centre(to)).await);
    let step = Some(Duration::from_millis(80));
    let mouse = MouseActions::new("mouse".into())
        .then(PointerAction::MoveTo {
            duration: step,
            x: sx,
            y: sy,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::MoveTo {
            duration: step,
            x: sx + 12.0,
            y: sy + 4.0,
        })
        .then(PointerAction::MoveTo {
            duration: step,
            x: (sx + tx) / 2.0,
            y: (sy + ty) / 2.0,
        })
        .then(PointerAction::MoveTo {
            duration: step,
            x: tx,
            y: ty,
        })
        .then(PointerAction::MoveTo {
            duration: step,
            x: tx + 3.0,
            y: ty,
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        });
    bounded(
        format!("the drag from {from} to {to}"),
        client.perform_actions(mouse),
    )
    .await
    .unwrap();
}

/// Presses `chord` (modifiers first) and releases it, as real key input.
pub async fn keys(client: &Client, chord: &[char]) {
    let mut actions = KeyActions::new("keyboard".into());
    for key in chord {
        actions = actions.then(KeyAction::Down { value: *key });
    }
    for key in chord.iter().rev() {
        actions = actions.then(KeyAction::Up { value: *key });
    }
    bounded(
        format!("the keys {chord:?}"),
        client.perform_actions(actions),
    )
    .await
    .unwrap();
}

/// Equal as JSON: numbers compare by value, since the webview writes the CLI's `0.0` as
/// `0` (JavaScript has one number type).
pub fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((kx, vx), (ky, vy))| kx == ky && same_json(vx, vy))
        }
        _ => a == b,
    }
}

/// Whether process `pid` runs `binary` (a canonical path). Also when the file was rebuilt
/// since the process started: Linux then names it `<path> (deleted)`, and a build of the
/// shared target directory during a run must not lose the process.
pub fn runs_binary(pid: &str, binary: &Path) -> bool {
    let Ok(exe) = std::fs::read_link(format!("/proc/{pid}/exe")) else {
        return false;
    };
    exe == binary
        || exe.as_os_str().to_str().is_some_and(|exe| {
            exe.strip_suffix(" (deleted)")
                .is_some_and(|path| Path::new(path) == binary)
        })
}

/// Resident memory of the studio and the WebKit processes it started, in MB.
pub fn studio_rss_mb(binary: &Path) -> (f64, f64) {
    let binary = binary.canonicalize().unwrap();
    let rss = |pid: &str| -> f64 {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
            })
            .unwrap_or(0.0)
            / 1024.0
    };
    let pids: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|p| p.chars().all(|c| c.is_ascii_digit()))
        .collect();
    let app = pids
        .iter()
        .find(|p| runs_binary(p, &binary))
        .expect("the studio process")
        .clone();
    let children: f64 = pids
        .iter()
        .filter(|p| {
            std::fs::read_to_string(format!("/proc/{p}/stat"))
                .ok()
                .and_then(|s| {
                    s.rsplit(')')
                        .next()?
                        .split_whitespace()
                        .nth(1)
                        .map(str::to_string)
                })
                .as_deref()
                == Some(app.as_str())
        })
        .map(|p| rss(p))
        .sum();
    (rss(&app), children)
}

/// Polls a script until it answers `true`, or fails saying what it waited for.
pub async fn until_true(client: &Client, what: &str, script: &str) {
    until(what, || async {
        (read_js(client, script).await == serde_json::json!(true)).then_some(())
    })
    .await;
}
