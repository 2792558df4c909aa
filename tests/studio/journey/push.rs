//! Pushing to a `unifield serve --demo` child: preview, push, verify, read, roll back.

use super::*;

/// Work orders the demo's sandbox holds: 1,000 unless UNIFIELD_E2E_DEMO_WORK_ORDERS says
/// otherwise. Issue 12's speed figures are for 10,000 cached records, but with 10,000 the
/// WebDriver screenshot of the Servers dialog (08) never returned (WebKitGTK under Xvfb;
/// not understood yet), so the default stays where the journey passes.
fn demo_work_orders() -> usize {
    match std::env::var("UNIFIELD_E2E_DEMO_WORK_ORDERS") {
        Ok(text) if !text.trim().is_empty() => text
            .trim()
            .parse()
            .expect("UNIFIELD_E2E_DEMO_WORK_ORDERS: a number of work orders (1-100000)"),
        _ => 1_000,
    }
}

/// A `unifield serve --demo` child process, killed when dropped (also when the step fails).
pub(super) struct DemoServer {
    child: std::process::Child,
    url: String,
    api_key: String,
    connection_id: String,
    _data: support::TempWorkspace,
    /// Corrigo sandboxes the later steps point connections at; they live as long as the server.
    sandboxes: Vec<support::RunningSandbox>,
}

impl DemoServer {
    /// Starts the server and reads the URL, API key and connection id it prints (bounded).
    fn start(cli: &std::path::Path, work_orders: usize) -> DemoServer {
        use std::io::BufRead;
        let data = support::TempWorkspace::new();
        let mut child = Command::new(cli)
            // Webhooks to the events step's http receiver on this machine.
            .args([
                "serve",
                "--demo",
                "--demo-work-orders",
                &work_orders.to_string(),
                "--allow-insecure-webhooks",
                "--listen",
                "127.0.0.1:0",
                "--data",
            ])
            .arg(data.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("starts `unifield serve --demo`");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let (mut url, mut api_key, mut connection_id) = (None, None, None);
        // It syncs all its work orders before it prints them.
        let deadline = Instant::now() + Duration::from_secs(180);
        while url.is_none() || api_key.is_none() || connection_id.is_none() {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match rx.recv_timeout(left) {
                Ok(line) => line,
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "`unifield serve --demo` did not print its URL, key and connection: {e}"
                    );
                }
            };
            if url.is_none() && line.starts_with("http://") {
                url = Some(line.trim().to_string());
            }
            if let Some(at) = line.find("(con_") {
                connection_id = line[at + 1..].split(')').next().map(str::to_string);
            }
            if let Some(rest) = line.trim().strip_prefix("API key:") {
                api_key = rest.split_whitespace().next().map(str::to_string);
            }
        }
        DemoServer {
            child,
            url: url.unwrap(),
            api_key: api_key.unwrap(),
            connection_id: connection_id.unwrap(),
            _data: data,
            sandboxes: Vec::new(),
        }
    }

    /// A call to the server's API with the organization's key, as a second client would
    /// make it (no studio involved): the status, the ETag and the JSON answer (or text).
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<(&str, String)>,
        if_match: Option<i64>,
    ) -> (u16, Option<String>, Value) {
        let mut request = reqwest::Client::new()
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(&self.api_key)
            .timeout(Duration::from_secs(20));
        if let Some(version) = if_match {
            request = request.header("If-Match", format!("\"{version}\""));
        }
        if let Some((content_type, body)) = body {
            request = request.header("Content-Type", content_type).body(body);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        let etag = response
            .headers()
            .get("ETag")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim_matches('"').to_string());
        let text = response.text().await.unwrap();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, etag, value)
    }

    /// Work order `key` as the unified API's next response serves it, read with a plain client.
    async fn work_order(&self, key: &str) -> Value {
        let response = reqwest::Client::new()
            .get(format!(
                "{}/api/connections/{}/eam/work-orders/{key}",
                self.url, self.connection_id
            ))
            .bearer_auth(&self.api_key)
            .timeout(Duration::from_secs(20))
            .send()
            .await
            .expect("the unified API answers");
        assert!(response.status().is_success(), "{}", response.status());
        let body: Value = response.json().await.unwrap();
        body["data"].clone()
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The custom field the push step adds.
pub(super) const PUSHED_FIELD: &str = "e2ePushed";

pub(super) async fn push_to_a_server(j: &mut Journey) {
    // Kept for the steps after this one (killed when the journey ends).
    let demo_work_orders = demo_work_orders();
    j.demo = Some(DemoServer::start(&j.cli, demo_work_orders));
    let server = j.demo.as_ref().unwrap();
    let client = &j.client().clone();

    // Add the server in the Servers dialog. A wrong key first: the server refuses it
    // (401), the error says so and nothing is listed.
    click(client, "[data-testid=open-servers]").await;
    fill(client, "server-name", "wrongkey").await;
    fill(client, "server-url", &server.url).await;
    fill(client, "server-key", &format!("{}x", server.api_key)).await;
    click(client, "[data-testid=add-server]").await;
    let refused = until("the wrong key's refusal", || async {
        let text = text_of(client, "servers-error").await;
        (!text.is_empty()).then_some(text)
    })
    .await;
    assert!(refused.contains("refused the API key"), "{refused}");
    let listed = js(
        client,
        "return document.querySelectorAll('[data-server]').length;",
    )
    .await;
    assert_eq!(
        listed,
        json!(0),
        "a server that refused its key is not kept"
    );
    let dialog = "[data-testid=servers-dialog]";
    set_input(client, dialog, "server-name", "demo").await;
    set_input(client, dialog, "server-key", &server.api_key).await;
    click(client, "[data-testid=add-server]").await;
    until_true(
        client,
        "the added server",
        "return document.querySelector('[data-server=demo]') !== null;",
    )
    .await;
    assert_eq!(
        text_of(client, "servers-error").await,
        "",
        "the refusal is gone"
    );
    click(
        client,
        "[data-server=demo] [data-testid=server-connections]",
    )
    .await;
    let status = until("the server's connection", || async {
        js(client, "const e = document.querySelector('[data-server=demo] [data-testid=server-connection-status]'); return e ? e.textContent : null;").await.as_str().map(str::to_string)
    })
    .await;
    assert_eq!(status, "ok", "the demo connection is synced");
    shot(client, "08-servers-dialog").await;
    tab_stays_in_the_dialog(client, "servers-dialog").await;

    // No webhook endpoint yet: the Events panel says deliveries need one, and how to add it.
    click(client, "[data-server=demo] [data-testid=server-events]").await;
    let empty = until("the events panel's empty state", || async {
        let text = text_of(client, "events-empty").await;
        (!text.is_empty()).then_some(text)
    })
    .await;
    assert!(
        empty.contains("webhook endpoint") && empty.contains("POST /api/webhooks"),
        "{empty}"
    );
    click(client, "[data-server=demo] [data-testid=server-events]").await;

    // Preview through it: its raw work orders become the source.
    click(
        client,
        "[data-server=demo] [data-testid=preview-through-server]",
    )
    .await;
    let all = format!("of {demo_work_orders}");
    until_within(
        "the server's work orders as the source",
        Duration::from_secs(120),
        || async {
            let gone = js(
                client,
                "return document.querySelector('[data-testid=servers-dialog]') === null;",
            )
            .await;
            let count = text_of(client, "record-count").await;
            (gone.as_bool() == Some(true) && count.ends_with(&all)).then_some(())
        },
    )
    .await;

    // Coverage over the records pulled through the server: they hold what the server's
    // sync asked Corrigo for, so nothing is said to be missing (it said "pull again").
    click(client, "[data-testid=run-coverage]").await;
    until_true(client, "coverage over the server's records", "return document.querySelector('[data-testid=coverage-table]') !== null && document.querySelector('[data-testid=run-coverage]') !== null;").await;
    let unpulled = text_of(client, "coverage-unpulled").await;
    assert!(
        unpulled.is_empty(),
        "nothing is missing from the server's records: {unpulled}"
    );

    // In the Connections dialog the cache says it is a server connection and offers no
    // Test or Pull (they failed on the secret it never had).
    keys(client, &['\u{e009}', 'k']).await;
    let cached = "[data-testid=connection][data-name='demo/Sandbox']";
    let note = until("the server connection's note", || async {
        let v = js(client, &format!("const e = document.querySelector(\"{cached} [data-testid=server-connection-note]\"); return e ? e.textContent : null;")).await;
        v.as_str().map(str::to_string)
    })
    .await;
    assert!(note.contains("server demo"), "{note}");
    let offered = js(client, &format!("return [...document.querySelectorAll(\"{cached} button\")].map(b => b.dataset.testid || b.textContent);")).await;
    let offered: Vec<&str> = offered
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        !offered.contains(&"test-connection") && !offered.contains(&"pull"),
        "no Test or Pull on a server connection: {offered:?}"
    );
    // It is pulled through the server instead, from here too (from the keyboard: focus
    // stays with the pull, on its Cancel and then on its button again).
    js(
        client,
        &format!("document.querySelector(\"{cached} [data-testid=pull-through-server]\").focus(); return null;"),
    )
    .await;
    keys(client, &['\u{e007}']).await; // Enter
    let pulled = until_within(
        "the pull through the server",
        Duration::from_secs(60),
        || async {
            let v = js(client, &format!("const d = document.querySelector(\"{cached} [data-testid=server-pull-done]\"); const e = document.querySelector(\"{cached} [data-testid=server-pull-error]\"); return d ? d.textContent : e ? 'error: ' + e.textContent : null;")).await;
            v.as_str().map(str::to_string)
        },
    )
    .await;
    // What it pulled, per entity, the work orders first.
    let work_orders = demo_work_orders
        .to_string()
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(",");
    assert!(
        pulled
            .trim()
            .starts_with(&format!("Pulled through demo: WorkOrder {work_orders}")),
        "{pulled}"
    );
    assert_eq!(
        focused_test_id(client, "focus after the pull through the server").await,
        "pull-through-server",
        "focus is back on the pull's button, not on the dialog"
    );
    // The connection's last pull is that pull, every entity of it (it said `Product`).
    let last = until("the cache's last pull", || async {
        let text = js(client, &format!("const e = document.querySelector(\"{cached} [data-testid=last-pull]\"); return e ? e.textContent : null;")).await;
        let text = text.as_str()?.to_string();
        text.contains(&format!("WorkOrder {work_orders}")).then_some(text)
    })
    .await;
    assert!(
        last.contains("last pull: WorkOrder") && last.contains("Product"),
        "{last}"
    );
    keys(client, &['\u{e00c}']).await; // Escape closes the dialog

    // A new custom field, bound to the selected node (or $.Id).
    let name = client
        .find(Locator::Css("input[aria-label='New custom field name']"))
        .await
        .unwrap();
    name.send_keys(PUSHED_FIELD).await.unwrap();
    name.send_keys("\u{e007}").await.unwrap(); // Enter submits
                                               // Bound to the selected source node (or `$.Id` when none is): what the studio shows
                                               // is what the server must serve. The studio names custom fields `custom`; the unified
                                               // API, `customFields`.
    let (key, shown) = until("the custom field in the preview", || async {
        let output = preview_output(client).await;
        let shown = output["custom"].get(PUSHED_FIELD)?.clone();
        Some((output["key"].as_str()?.to_string(), shown))
    })
    .await;
    let before = server.work_order(&key).await;
    assert!(
        before["customFields"].get(PUSHED_FIELD).is_none(),
        "the connection's active mapping has no {PUSHED_FIELD} yet: {before}"
    );

    // Ctrl+Shift+P: the diff and the impact, before anything is sent. Timed in the page
    // from the key press until both are in the document and the frame showing them painted.
    arm_on_screen_timer(client, ON_KEY_PRESS, DIFF_AND_IMPACT_SHOWN).await;
    let pressed = Instant::now();
    keys(client, &['\u{e009}', '\u{e008}', 'p']).await;
    let changes = until("the push dialog's diff", || async {
        let text = text_of(client, "push-changes").await;
        (!text.is_empty()).then_some(text)
    })
    .await;
    assert!(
        changes.contains(&format!("custom.{PUSHED_FIELD}")),
        "the diff names the new field: {changes}"
    );
    // The structural diff History uses: one row per smallest part, with its kind.
    let row = js(client, &format!("const r = document.querySelector(\"[data-testid=push-changes] [data-testid=diff-row][data-at='custom.{PUSHED_FIELD}']\"); return r ? r.className : null;")).await;
    assert_eq!(row, json!("added"), "the diff row of the new field");
    let impact = text_of(client, "push-impact").await;
    assert!(
        impact.contains(PUSHED_FIELD),
        "the impact names it: {impact}"
    );
    let dialog_ms = on_screen_ms(client, "the push dialog's diff and impact").await;
    let dialog_webdriver_ms = pressed.elapsed().as_millis();
    let opened_ms = text_of(client, "push-opened-ms").await;
    let impact_records = js(client, "const e = document.querySelector('[data-testid=push-preview] p'); return e ? e.textContent : '';").await;
    assert!(
        impact_records
            .as_str()
            .unwrap_or_default()
            .contains(&format!(
                "impact measured on {demo_work_orders} cached records"
            )),
        "the impact is measured on the server's {demo_work_orders} records: {impact_records}"
    );
    shot(client, "09-push-dialog").await;

    // The new field is not saved: a push would leave no version of it in the workspace.
    // The dialog says so and pushes only once it is saved (its Save button).
    let unsaved = text_of(client, "push-unsaved").await;
    assert!(
        unsaved.contains("Unsaved changes — save first"),
        "{unsaved}"
    );
    let send = js(client, "const b = document.querySelector('[data-testid=push-send]'); return [b.disabled, b.textContent];").await;
    assert_eq!(
        send,
        json!([true, "Save to push"]),
        "no push of unsaved work"
    );
    // Save from the keyboard: once saved its banner goes, and focus goes on to the note
    // (the push is what comes next), not to the dialog.
    js(
        client,
        "document.querySelector('[data-testid=push-save]').focus(); return null;",
    )
    .await;
    keys(client, &['\u{e007}']).await; // Enter on Save
    until_true(
        client,
        "the push after saving",
        "const b = document.querySelector('[data-testid=push-send]'); return document.querySelector('[data-testid=push-unsaved]') === null && b !== null && !b.disabled;",
    )
    .await;
    assert_eq!(
        focused_test_id(client, "focus after Save").await,
        "push-note",
        "after Save, focus goes to the push's note"
    );
    assert!(
        text_of(client, "save-state")
            .await
            .starts_with("saved as v"),
        "saved in the workspace"
    );

    arm_on_screen_timer(client, ON_PUSH_CLICK, VERIFY_TICK_SHOWN).await;
    let clicked = Instant::now();
    click(client, "[data-testid=push-send]").await;
    let matches = until("the push's verify", || async {
        let v = js(client, "const e = document.querySelector('[data-testid=push-verify]'); return e ? e.dataset.matches : (document.querySelector('[data-testid=push-error]') ? 'error: ' + document.querySelector('[data-testid=push-error]').textContent : null);").await;
        v.as_str().map(str::to_string)
    })
    .await;
    assert_eq!(matches, "true", "the server serves what the studio shows");
    // Verify compares a record the push changes: the selected one, unless the new field is
    // null on it (then it says which record it verified instead).
    let verify_note = text_of(client, "push-verify-note").await;
    if shown.is_null() {
        assert!(
            verify_note.contains("as it was: verified record"),
            "{verify_note}"
        );
    } else {
        assert_eq!(
            verify_note, "",
            "the selected record is one the push changes"
        );
    }
    let round_trip_ms = on_screen_ms(client, "the push's verify tick").await;
    assert_eq!(
        focus_now(client).await,
        json!(["push-done", true]),
        "focus goes to what the push did (its button is gone), inside the dialog"
    );
    let round_trip_webdriver_ms = clicked.elapsed().as_millis();
    shot(client, "10-pushed-and-verified").await;
    // Reported, not asserted (issue 12: diff and impact <= 500 ms, push + verify <= 1 s).
    eprintln!(
        "push at {demo_work_orders} cached records: dialog's diff and impact on screen {dialog_ms:.0} ms after the key press \
         (the dialog's own figure{opened_ms}; {dialog_webdriver_ms} ms as WebDriver saw it); \
         push + verify tick on screen {round_trip_ms:.0} ms after the click ({round_trip_webdriver_ms} ms as WebDriver saw it)"
    );
    j.measured
        .insert("push_cached_records", json!(demo_work_orders));
    j.measured
        .insert("push_dialog_on_screen_ms", json!(dialog_ms.round()));
    j.measured.insert(
        "push_and_verify_round_trip_ms",
        json!(round_trip_ms.round()),
    );

    // Outside the studio: the unified API's next response has the field.
    let after = server.work_order(&key).await;
    assert!(
        same_json(&after["customFields"][PUSHED_FIELD], &shown),
        "the pushed field is served as the studio showed it ({shown}): {after}"
    );

    // Roll back to version 0: the field is gone from the next response. It changes the live
    // version at once, so it asks first: focus on Cancel, and Escape cancels (the dialog
    // stays, nothing is rolled back).
    let roll_back = "[data-testid=push-versions] [data-version='0'] [data-testid=push-rollback]";
    click(client, roll_back).await;
    let focused = focused_test_id(client, "the rollback's confirmation").await;
    assert_eq!(
        focused, "push-rollback-confirm-cancel",
        "focus starts on Cancel"
    );
    assert!(
        text_of(client, "push-rollback-confirm")
            .await
            .starts_with("Roll back to version 0?"),
        "the confirmation says what it does"
    );
    keys(client, &['\u{e00c}']).await;
    let after_escape = js(client, "return [document.querySelector('[data-testid=push-rollback-confirm]') === null, document.querySelector('[data-testid=push-dialog]') !== null, document.querySelectorAll('[data-testid=push-versions] [data-version]').length];").await;
    assert_eq!(
        after_escape,
        json!([true, true, 2]),
        "Escape cancels the rollback and keeps the dialog"
    );
    // A diff between two versions, shown before the rollback, goes with it (it was of the
    // list as it was).
    click(
        client,
        "[data-testid=push-versions] [data-version='1'] [data-testid=push-diff-with]",
    )
    .await;
    let between = until("the diff between versions 0 and 1", || async {
        let text = text_of(client, "push-versions-changes").await;
        (!text.is_empty()).then_some(text)
    })
    .await;
    assert!(between.contains(PUSHED_FIELD), "{between}");
    click(client, roll_back).await;
    click(client, "[data-testid=push-rollback-confirm-yes]").await;
    let active = until("the rollback's new version", || async {
        let text = text_of(client, "push-active").await;
        text.starts_with("Rolled back").then_some(text)
    })
    .await;
    assert_eq!(
        active, "Rolled back: version 2, a copy of version 0, is active (was 1).",
        "the rollback says what it replaced"
    );
    // Verify after the rollback compares the server with the studio's preview of version
    // 0 on the same record (not with the studio's mapping, which it no longer serves).
    let (matches, verify) = until("the rollback's verify", || async {
        let v = js(client, "const e = document.querySelector('[data-testid=push-verify]'); return e ? [e.dataset.matches, e.textContent] : null;").await;
        Some((v[0].as_str()?.to_string(), v[1].as_str()?.to_string()))
    })
    .await;
    assert_eq!(matches, "true", "{verify}");
    assert!(verify.contains("version 0"), "{verify}");
    assert_eq!(
        js(
            client,
            "return document.querySelector('[data-testid=push-versions-diff]') === null;"
        )
        .await,
        json!(true),
        "the old diff between versions does not linger after the rollback"
    );
    let rolled_back = server.work_order(&key).await;
    assert!(
        rolled_back["customFields"].get(PUSHED_FIELD).is_none(),
        "rolled back, the field is gone: {rolled_back}"
    );
    shot(client, "11-rolled-back").await;
    keys(client, &['\u{e00c}']).await; // Escape closes the dialog
    let back = focus_now(client).await;
    assert_ne!(
        back[0],
        json!("body"),
        "focus is back on the page's controls: {back}"
    );
    assert_eq!(back[1], json!(false), "no dialog is left: {back}");
}

/// What has focus: its test id (or aria-label, or tag, or `body`) and whether it is inside a
/// dialog.
async fn focus_now(client: &Client) -> Value {
    js(
        client,
        "const e = document.activeElement; if (!e || e === document.body) return ['body', false]; return [e.dataset.testid || e.getAttribute('aria-label') || e.tagName.toLowerCase(), e.closest('[role=dialog]') !== null];",
    )
    .await
}

/// Tab and Shift+Tab stay inside the open dialog (`test_id`): Shift+Tab from its first
/// control goes to its last, Tab from its last to its first, and as many Tabs as it has
/// controls (and one more) never leave it.
async fn tab_stays_in_the_dialog(client: &Client, test_id: &str) {
    let dialog = format!("[data-testid={test_id}]");
    let count = js(client, &format!("const d = document.querySelector('{dialog}'); const all = [...d.querySelectorAll('a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex=\"-1\"])')].filter(e => e.getClientRects().length > 0); all[0].focus(); return [all.length, all[0] === document.activeElement, all[all.length - 1].dataset.testid || all[all.length - 1].textContent];")).await;
    let controls = count[0].as_u64().expect("the dialog's controls") as usize;
    assert!(controls > 2, "{count}");
    assert_eq!(count[1], json!(true), "its first control has focus");
    keys(client, &['\u{e008}', '\u{e004}']).await; // Shift+Tab
    let last = js(client, &format!("const e = document.activeElement; return [e.closest('{dialog}') !== null, e.dataset.testid || e.textContent];")).await;
    assert_eq!(
        last,
        json!([true, count[2]]),
        "Shift+Tab from the first control goes to the last"
    );
    keys(client, &['\u{e004}']).await;
    for _ in 0..=controls {
        keys(client, &['\u{e004}']).await;
        let inside = js(
            client,
            &format!("return document.activeElement !== null && document.activeElement.closest('{dialog}') !== null;"),
        )
        .await;
        assert_eq!(inside, json!(true), "Tab stays inside the dialog");
    }
}

/// Starts the page's timer on `start` (a capturing listener on the window: before the studio's
/// own handlers) and stops it once `shown` holds after a DOM change and the next frame has been
/// painted (two animation frames). Read with [`on_screen_ms`].
async fn arm_on_screen_timer(client: &Client, start: &str, shown: &str) {
    let script = format!(
        "const t = {{ start: null, shown: null }}; window.__unifieldOnScreen = t;
         const begin = (e) => {{ if (t.start === null && ({start})) t.start = performance.now(); }};
         window.addEventListener('keydown', begin, true);
         window.addEventListener('click', begin, true);
         const shown = () => {shown};
         const watch = new MutationObserver(() => {{
           if (t.start === null || !shown()) return;
           watch.disconnect();
           window.removeEventListener('keydown', begin, true);
           window.removeEventListener('click', begin, true);
           requestAnimationFrame(() => requestAnimationFrame(() => {{ t.shown = performance.now(); }}));
         }});
         watch.observe(document.body, {{ subtree: true, childList: true, characterData: true, attributes: true }});
         return null;"
    );
    js(client, &script).await;
}

/// Ctrl+Shift+P.
const ON_KEY_PRESS: &str =
    "e.type === 'keydown' && e.ctrlKey && e.shiftKey && (e.key === 'P' || e.key === 'p')";
/// The Push button of the push dialog.
const ON_PUSH_CLICK: &str =
    "e.type === 'click' && e.target.closest && e.target.closest('[data-testid=push-send]') !== null";
/// The diff lists a change and the impact table has its rows.
const DIFF_AND_IMPACT_SHOWN: &str = "document.querySelector('[data-testid=push-changes] [data-testid=diff-row]') !== null && document.querySelector('[data-testid=push-impact] tbody tr') !== null";
/// Verify has answered (its tick or its cross).
const VERIFY_TICK_SHOWN: &str =
    "document.querySelector('[data-testid=push-verify][data-matches]') !== null";

/// The armed timer's figure in ms, once what it waits for is on screen (bounded).
async fn on_screen_ms(client: &Client, what: &str) -> f64 {
    until(what, || async {
        let v = js(client, "const t = window.__unifieldOnScreen; return t && t.start !== null && t.shown !== null ? t.shown - t.start : null;").await;
        v.as_f64()
    })
    .await
}

/// [`until`] with its own bound, for waits that grow with the record count.
async fn until_within<T, F, Fut>(what: &str, limit: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(
            started.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The active WorkOrder mapping on the demo connection, as a second client reads it: its
/// version (the ETag) and its text.
async fn active_work_order_mapping(server: &DemoServer) -> (i64, Value) {
    let (status, etag, body) = server
        .call(
            reqwest::Method::GET,
            &format!(
                "/api/connections/{}/mappings/WorkOrder",
                server.connection_id
            ),
            None,
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let version = etag
        .and_then(|e| e.parse().ok())
        .expect("the active mapping comes with its version as ETag");
    (version, body)
}

/// Someone else pushes between the studio's diff and its push: the studio says so, shows
/// the diff against the new version, and overwrites nothing.
pub(super) async fn push_conflict(j: &mut Journey) {
    let client = &j.client().clone();
    let server = j.demo.as_ref().expect("the demo server (push step)");

    // F1 lists the push and Servers shortcuts. Opened while nothing has focus, Escape
    // returns focus to the control that opens it (the page's body is no place for it).
    js(
        client,
        "document.activeElement && document.activeElement.blur(); return null;",
    )
    .await;
    keys(client, &['\u{e031}']).await;
    let help = until("the shortcuts help", || async {
        let text = text_of(client, "shortcuts-dialog").await;
        (!text.is_empty()).then_some(text)
    })
    .await;
    assert!(help.contains("Ctrl+Shift+P"), "F1 lists Push: {help}");
    assert!(help.contains("Ctrl+Shift+K"), "F1 lists Servers: {help}");
    keys(client, &['\u{e00c}']).await;
    assert_eq!(
        focus_now(client).await,
        json!(["help", false]),
        "Escape returns focus to the help button"
    );

    js(
        client,
        "document.activeElement && document.activeElement.blur(); return null;",
    )
    .await;
    keys(client, &['\u{e009}', '\u{e008}', 'p']).await;
    let against = until("the push dialog's diff", || async {
        let v = js(client, "const b = document.querySelector('[data-testid=push-send]'); return b && !b.disabled ? b.textContent : null;").await;
        v.as_str().map(str::to_string)
    })
    .await;
    let (active, mapping) = active_work_order_mapping(server).await;
    assert_eq!(
        against,
        format!("Push as version {} (replaces {active})", active + 1),
        "the dialog diffs against the active version"
    );

    // A second client (plain HTTP, as another studio or `unifield push` would) pushes now.
    let mut theirs = mapping.clone();
    theirs["custom"]["fromElsewhere"] = json!({"const": "x"});
    let (status, _, published) = server
        .call(
            reqwest::Method::PUT,
            &format!(
                "/api/connections/{}/mappings/WorkOrder",
                server.connection_id
            ),
            Some(("application/json", theirs.to_string())),
            Some(active),
        )
        .await;
    assert_eq!(status, 200, "the other client's push: {published}");
    let newer = active + 1;
    assert_eq!(published["version"], json!(newer), "{published}");

    // Enter in the note pushes, as the Push button does; the note has a name for screen readers.
    let note = client
        .find(Locator::Css("[data-testid=push-note]"))
        .await
        .unwrap();
    assert_eq!(
        note.attr("aria-label").await.unwrap().as_deref(),
        Some("Push note")
    );
    note.send_keys("from the conflict step\u{e007}")
        .await
        .unwrap();
    let conflict = until("the conflict", || async {
        let text = text_of(client, "push-conflict").await;
        (!text.is_empty()).then_some(text)
    })
    .await;
    assert!(
        conflict.contains(&format!("version {newer} is active, not {active}")),
        "{conflict}"
    );
    // The new diff: what the studio's push would now remove, and what it adds.
    let changes = until("the diff against the new version", || async {
        let v = js(client, "return [...document.querySelectorAll('[data-testid=push-changes] [data-testid=diff-row]')].map(e => e.className + ' ' + e.dataset.at);").await;
        let changes: Vec<String> = v.as_array()?.iter().filter_map(|c| c.as_str().map(str::to_string)).collect();
        changes.iter().any(|c| c.contains("fromElsewhere")).then_some(changes)
    })
    .await;
    assert!(
        changes.contains(&"removed custom.fromElsewhere".to_string()),
        "{changes:?}"
    );
    assert!(
        changes.contains(&format!("added custom.{PUSHED_FIELD}")),
        "{changes:?}"
    );
    let send = text_of(client, "push-send").await;
    assert_eq!(
        send,
        format!("Push as version {} (replaces {newer})", newer + 1),
        "the next push is made against the new version"
    );
    shot(client, "12-push-conflict").await;

    // Nothing was overwritten: the other client's version is still the active one.
    let (still, served) = active_work_order_mapping(server).await;
    assert_eq!(still, newer);
    assert_eq!(served["custom"]["fromElsewhere"], json!({"const": "x"}));
    assert!(served["custom"].get(PUSHED_FIELD).is_none(), "{served}");
    keys(client, &['\u{e00c}']).await;
    assert_eq!(
        focus_now(client).await,
        json!(["open-push", false]),
        "Escape returns focus to the Push button (the dialog was opened by its key)"
    );
}

/// The status badge and the reason shown for the server connection named `name`.
async fn server_connection_status(client: &Client, name: &str) -> Option<(String, String)> {
    let v = js(client, &format!("const li = document.querySelector(\"[data-server=demo] [data-server-connection='{name}']\"); if (!li) return null; const s = li.querySelector('[data-testid=server-connection-status]'); const r = li.querySelector('.reason'); return [s ? s.textContent : '', r ? r.textContent : ''];")).await;
    Some((v[0].as_str()?.to_string(), v[1].as_str()?.to_string()))
}

/// The test id of the focused element, once one has focus (`what` names the wait).
async fn focused_test_id(client: &Client, what: &str) -> String {
    until(what, || async {
        js(
            client,
            "return document.activeElement ? document.activeElement.dataset.testid || null : null;",
        )
        .await
        .as_str()
        .map(str::to_string)
    })
    .await
}

/// Replaces what an input (by test id, inside `within`) holds.
async fn set_input(client: &Client, within: &str, test_id: &str, value: &str) {
    let input = client
        .find(Locator::Css(&format!("{within} [data-testid={test_id}]")))
        .await
        .unwrap();
    // Select all and delete by keys, as a person does: WebDriver's clear() empties the DOM
    // value without an input event, and a re-render of the dialog before the first key put
    // React's old value back, so the typing was appended to it (once in four runs).
    input.click().await.unwrap();
    input.send_keys("\u{e009}a\u{e000}\u{e003}").await.unwrap();
    input.send_keys(value).await.unwrap();
    // The form is what the studio sends: it must hold exactly this, not the old text and this.
    let css = format!("{within} [data-testid={test_id}]");
    until_true(
        client,
        &format!("the {test_id} input holding what was typed"),
        &format!(
            "const e = document.querySelector(\"{css}\"); return e !== null && e.value === {};",
            json!(value)
        ),
    )
    .await;
}

/// A connection whose Corrigo credentials were revoked: the Servers dialog says
/// reauthorization is required and why; Reconnect with refused credentials says so and
/// changes nothing; with working ones (where the customer's Corrigo now answers) it is ok.
pub(super) async fn reconnect_after_revoked_credentials(j: &mut Journey) {
    let client = &j.client().clone();
    // A Corrigo whose credentials stop working at once (the sandbox's revoke-after fault).
    let revoked_config = support::SandboxConfig {
        work_orders: 20,
        faults: "revoke-after=0".parse().unwrap(),
        ..Default::default()
    };
    let revoked = support::sandbox(revoked_config.clone()).await;
    let working_config = support::SandboxConfig {
        work_orders: 20,
        ..Default::default()
    };
    let working = support::sandbox(working_config.clone()).await;
    let (revoked_url, working_url) = (revoked.base_url.clone(), working.base_url.clone());
    let server = j.demo.as_mut().expect("the demo server (push step)");
    server.sandboxes.extend([revoked, working]);
    let server = j.demo.as_ref().unwrap();
    let (status, _, created) = server
        .call(
            reqwest::Method::POST,
            "/api/connections",
            Some((
                "application/json",
                json!({
                    "name": "Revoked",
                    "company": revoked_config.company,
                    "base_url": revoked_url,
                    "client_id": revoked_config.client_id,
                    "client_secret": revoked_config.client_secret,
                })
                .to_string(),
            )),
            None,
        )
        .await;
    assert_eq!(status, 201, "{created}");

    // The server syncs a new connection at once; Corrigo refuses it. The server's
    // connections are listed as the dialog opens (they waited for a click on Connections).
    click(client, "[data-testid=open-servers]").await;
    until_true(
        client,
        "the server's connections listed as Servers opens",
        "return document.querySelector('[data-server=demo] [data-server-connection]') !== null;",
    )
    .await;
    let within = "[data-server=demo] [data-server-connection='Revoked']";
    let (badge, reason) = until("reauthorization required on the revoked connection", || async {
        match server_connection_status(client, "Revoked").await {
            Some((badge, reason)) if badge == "reauthorization required" => Some((badge, reason)),
            _ => {
                // Ask the server again (Refresh: the list is read as the dialog opens, not as the status changes).
                js(client, "const b = document.querySelector('[data-server=demo] [data-testid=server-connections]'); if (b) b.click(); return null;").await;
                tokio::time::sleep(Duration::from_millis(300)).await;
                None
            }
        }
    })
    .await;
    assert_eq!(badge, "reauthorization required");
    assert!(reason.contains("refused"), "the reason is shown: {reason}");
    // Corrigo refused its first sync: the server holds none of its records, so there is
    // nothing to preview; Reconnect is offered instead, and the row says why.
    let offered = until("Reconnect offered instead of a preview", || async {
        let v = js(client, &format!("const li = document.querySelector(\"{within}\"); const why = li && li.querySelector('[data-testid=preview-not-offered]'); return why ? [why.textContent, li.querySelector('[data-testid=preview-through-server]') !== null] : null;")).await;
        Some((v[0].as_str()?.to_string(), v[1].clone()))
    })
    .await;
    assert_eq!(offered.1, json!(false), "no preview of nothing");
    assert!(offered.0.contains("Reconnect"), "{}", offered.0);
    shot(client, "13-reauthorization-required").await;

    // Refused credentials: said plainly, and nothing changes.
    set_input(
        client,
        within,
        "reconnect-client-id",
        &revoked_config.client_id,
    )
    .await;
    set_input(client, within, "reconnect-client-secret", "not-the-secret").await;
    click(client, &format!("{within} [data-testid=reconnect]")).await;
    let refused = until("the refusal", || async {
        let text = text_of(client, "servers-error").await;
        (!text.is_empty()).then_some(text)
    })
    .await;
    assert!(
        refused.contains("refused the new credentials") && refused.contains("nothing changed"),
        "{refused}"
    );
    assert!(!refused.contains("not-the-secret"), "{refused}");
    let (badge, _) = server_connection_status(client, "Revoked").await.unwrap();
    assert_eq!(badge, "reauthorization required", "nothing changed");

    // Working credentials where the customer's Corrigo answers now: ok.
    set_input(
        client,
        within,
        "reconnect-client-id",
        &working_config.client_id,
    )
    .await;
    set_input(
        client,
        within,
        "reconnect-client-secret",
        &working_config.client_secret,
    )
    .await;
    set_input(client, within, "reconnect-base-url", &working_url).await;
    // Enter in the form, as a person at the keyboard does: once accepted the form goes,
    // and focus goes on to the connection's preview.
    keys(client, &['\u{e007}']).await;
    let badge = until("the reconnected connection", || async {
        // A refusal of the working credentials fails here with its reason (the wait alone
        // said only that it timed out, once in four runs).
        let error = text_of(client, "servers-error").await;
        assert!(
            error.is_empty() || error.contains("refused the new credentials"),
            "Reconnect with working credentials: {error}"
        );
        let (badge, _) = server_connection_status(client, "Revoked").await?;
        (badge != "reauthorization required").then_some(badge)
    })
    .await;
    assert!(["ok", "syncing"].contains(&badge.as_str()), "{badge}");
    assert_eq!(text_of(client, "servers-error").await, "", "no error left");
    let reconnect_form = js(
        client,
        &format!("return document.querySelector(\"{within} [data-testid=reconnect]\") !== null;"),
    )
    .await;
    assert_eq!(
        reconnect_form,
        json!(false),
        "Reconnect is offered only while needed"
    );
    let focused = until("focus after Reconnect", || async {
        let v = js(client, "const e = document.activeElement; const li = e && e.closest('[data-server-connection]'); return e && e.dataset.testid ? [e.dataset.testid, li ? li.dataset.serverConnection : null] : null;").await;
        v.as_array().cloned()
    })
    .await;
    assert_eq!(
        focused,
        vec![json!("preview-through-server"), json!("Revoked")],
        "after Reconnect, focus goes to the connection's preview, not to the dialog"
    );
    shot(client, "14-reconnected").await;
    keys(client, &['\u{e00c}']).await;
}

/// An http receiver on this machine that answers 200 to every delivery, for a bounded
/// time; returns its URL.
fn webhook_receiver() -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut served = 0;
        while Instant::now() < deadline && served < 200 {
            let Ok((mut stream, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(20));
                continue;
            };
            served += 1;
            let _ = stream.set_nonblocking(false);
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            // Read the headers and the body (Content-Length), then answer.
            let mut request = Vec::new();
            let mut chunk = [0u8; 8192];
            while let Ok(n) = stream.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                request.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&request);
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text[..end]
                        .lines()
                        .find_map(|l| {
                            let (name, value) = l.split_once(':')?;
                            name.eq_ignore_ascii_case("content-length")
                                .then(|| value.trim().parse::<usize>().ok())?
                        })
                        .unwrap_or(0);
                    if request.len() >= end + 4 + length || request.len() > 1 << 20 {
                        break;
                    }
                }
            }
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    url
}

/// The Events panel lists the organization's recent webhook deliveries: event, endpoint,
/// state, attempts.
pub(super) async fn events_panel(j: &mut Journey) {
    let client = &j.client().clone();
    let server = j.demo.as_ref().expect("the demo server (push step)");
    let hook = webhook_receiver();
    let (status, _, created) = server
        .call(
            reqwest::Method::POST,
            "/api/webhooks",
            Some((
                "application/json",
                json!({"url": hook, "events": ["sync.completed"]}).to_string(),
            )),
            None,
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let endpoint = created["endpoint"]["id"].as_str().unwrap().to_string();
    // A ping to the endpoint, and a sync of the demo connection (sync.completed).
    let (status, _, body) = server
        .call(
            reqwest::Method::POST,
            &format!("/api/webhooks/{endpoint}/test"),
            None,
            None,
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let (status, _, body) = server
        .call(
            reqwest::Method::POST,
            &format!("/api/connections/{}/sync", server.connection_id),
            None,
            None,
        )
        .await;
    assert_eq!(status, 202, "{body}");

    keys(client, &['\u{e009}', '\u{e008}', 'k']).await; // Ctrl+Shift+K: Servers
    click(client, "[data-server=demo] [data-testid=server-events]").await;
    // The panel refreshes every 5 s while open; the sync reads all the demo's work orders.
    let rows = until_within("both deliveries, delivered", Duration::from_secs(90), || async {
        let v = js(client, "return [...document.querySelectorAll('[data-testid=events-panel] tbody tr')].map(tr => [...tr.querySelectorAll('td')].map(td => td.textContent));").await;
        let rows: Vec<Vec<String>> = v
            .as_array()?
            .iter()
            .map(|r| r.as_array().unwrap().iter().map(|c| c.as_str().unwrap_or("").to_string()).collect())
            .collect();
        let delivered = |event: &str| rows.iter().any(|r| r[1] == event && r[3].starts_with("delivered"));
        (delivered("ping") && delivered("sync.completed")).then_some(rows)
    })
    .await;
    for row in rows.iter().filter(|r| r[2] == hook) {
        assert_eq!(row[3], "delivered (200)", "{row:?}");
        assert_eq!(row[4], "1", "one attempt: {row:?}");
    }
    shot(client, "15-events-panel").await;
    keys(client, &['\u{e00c}']).await;
}

/// Removing the server the push target is on: it asks first (the API key goes from the
/// keyring), then the target is gone with it: the status bar says "Push…" and the push key
/// opens Servers, not a push dialog on a server that no longer exists.
pub(super) async fn remove_the_active_server(j: &mut Journey) {
    let client = &j.client().clone();
    click(client, "[data-testid=open-servers]").await;
    click(client, "[data-server=demo] [data-testid=server-remove]").await;
    let focused = focused_test_id(client, "the removal's confirmation").await;
    assert_eq!(
        focused, "server-remove-confirm-cancel",
        "focus starts on Cancel"
    );
    let asked = text_of(client, "server-remove-confirm").await;
    assert!(
        asked.starts_with("Remove demo? The API key is deleted from the keyring."),
        "{asked}"
    );
    click(client, "[data-testid=server-remove-confirm-yes]").await;
    until_true(
        client,
        "the server removed",
        "return document.querySelector('[data-server=demo]') === null;",
    )
    .await;
    assert_eq!(
        text_of(client, "servers-error").await,
        "",
        "removed without error"
    );
    assert_eq!(
        text_of(client, "open-push").await,
        "Push…",
        "no push target left"
    );
    // Its records were the preview source: the studio is back on the bundled samples, and
    // says so.
    let notice = text_of(client, "servers-notice").await;
    assert!(
        notice.starts_with("The preview source was demo/Sandbox, pulled through demo: it is the bundled samples again"),
        "{notice}"
    );
    let source = js(
        client,
        "return document.querySelector('.statusbar').textContent;",
    )
    .await;
    assert!(
        source
            .as_str()
            .unwrap_or_default()
            .contains("offline samples"),
        "{source}"
    );
    assert_eq!(
        clipped(client, ".topbar > select").await,
        Vec::<String>::new(),
        "the record source reads whole: Bundled samples (offline)"
    );
    // The Remove button focus was on is gone: focus stays in the dialog, not on the body.
    assert_eq!(
        focus_now(client).await,
        json!(["servers-dialog", true]),
        "focus after Remove"
    );
    keys(client, &['\u{e00c}']).await;
    assert_eq!(
        focus_now(client).await,
        json!(["open-servers", false]),
        "Escape returns focus to the Servers button that opened the dialog"
    );
    keys(client, &['\u{e009}', '\u{e008}', 'p']).await;
    let opened = until("the push key's dialog", || async {
        let v = js(client, "return document.querySelector('[data-testid=servers-dialog]') !== null ? 'servers' : document.querySelector('[data-testid=push-dialog]') !== null ? 'push' : null;").await;
        v.as_str().map(str::to_string)
    })
    .await;
    assert_eq!(
        opened, "servers",
        "with no target the push key opens Servers"
    );
    keys(client, &['\u{e00c}']).await;
}

/// Whether what each element (CSS selector) shows fits in it: an input's placeholder and a
/// select's chosen option (less its arrow), measured with the element's own font, and a
/// header cell's content (its scroll width: it may wrap). Answers the ones that do not fit, with their widths.
const CLIPPED: &str = "const ctx = document.createElement('canvas').getContext('2d');
  const clipped = [];
  for (const e of document.querySelectorAll(arguments[0])) {
    if (e.getClientRects().length === 0) continue;
    const st = getComputedStyle(e);
    ctx.font = st.font;
    const text = e.tagName === 'INPUT' ? e.placeholder : e.tagName === 'SELECT' ? (e.selectedOptions[0] || {}).text || '' : e.textContent;
    const room = e.clientWidth - parseFloat(st.paddingLeft) - parseFloat(st.paddingRight) - (e.tagName === 'SELECT' ? 16 : 0);
    // A header cell may wrap its words: it is clipped when its content overflows it.
    const need = e.tagName === 'TH' ? e.scrollWidth - parseFloat(st.paddingLeft) - parseFloat(st.paddingRight) : ctx.measureText(text).width;
    if (need > room + 0.5) clipped.push(`${text}: ${Math.round(need)} > ${Math.round(room)}`);
  }
  return clipped;";

async fn clipped(client: &Client, css: &str) -> Vec<String> {
    let v = client.execute(CLIPPED, vec![json!(css)]).await.unwrap();
    serde_json::from_value(v).unwrap()
}

/// The push and Servers dialogs, the toolbar and the coverage table at 960x600 (the minimum
/// window): every mapping is reachable (the tab strip cuts some off: the More menu lists them
/// all), no placeholder, source or header is clipped, Tab stays in the Servers dialog.
pub(super) async fn push_and_servers_at_960x600(j: &mut Journey) {
    let client = &j.client().clone();
    window_at(client, (960, 600)).await;

    let tabs = js(client, "return [...document.querySelectorAll('.mappings .tab')].map(t => t.dataset.testid.replace('mapping-', ''));").await;
    // The tab strip cuts tabs off here: it says so by fading at that end.
    let strip = js(client, "const n = document.querySelector('.topbar .mappings'); return [n.scrollWidth > n.clientWidth, n.dataset.hidden];").await;
    if strip[0] == json!(true) {
        assert!(
            strip[1].as_str().unwrap_or_default().contains("end"),
            "the strip marks its hidden end: {strip}"
        );
    }
    // A tab in view takes the pointer (WebKitGTK's overlay scrollbar on the overflowing strip
    // lay over the tabs' lower half and took their clicks: the strip has none now).
    let missed = js(
        client,
        "const strip = document.querySelector('.topbar .mappings').getBoundingClientRect(); \
         return [...document.querySelectorAll('.mappings .tab')].filter(t => { \
           const r = t.getBoundingClientRect(); \
           if (r.left < strip.left || r.right > strip.right) return false; \
           const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2); \
           return !(hit && hit.closest('.tab') === t); }).map(t => t.dataset.testid);",
    )
    .await;
    assert_eq!(missed, json!([]), "tabs in view the pointer cannot reach");
    if strip[0] == json!(true) {
        // Without a scrollbar a vertical wheel over the strip scrolls it sideways.
        let scrolled = js(
            client,
            "const n = document.querySelector('.topbar .mappings'); n.scrollLeft = 0; \
             n.dispatchEvent(new WheelEvent('wheel', {deltaY: 100, bubbles: true, cancelable: true})); \
             const by = n.scrollLeft; n.scrollLeft = 0; return by;",
        )
        .await;
        assert!(
            scrolled.as_f64().unwrap_or(0.0) > 0.0,
            "the wheel scrolls the strip: {scrolled}"
        );
    }
    click(client, "[data-testid=more-menu] summary").await;
    let in_menu = js(client, "return [...document.querySelectorAll('[data-testid^=menu-mapping-]')].filter(e => e.getClientRects().length > 0).map(e => e.dataset.testid.replace('menu-mapping-', ''));").await;
    assert_eq!(in_menu, tabs, "every mapping is in the More menu");
    shot(client, "19-more-menu-mappings-960x600").await;
    keys(client, &['\u{e00c}']).await;
    js(client, "const d = document.querySelector('[data-testid=more-menu]'); d.removeAttribute('open'); return null;").await;

    if js(
        client,
        "return document.querySelector('[data-testid=coverage-table]') === null;",
    )
    .await
        == json!(true)
    {
        click(client, "[data-testid=run-coverage]").await;
        until_true(client, "coverage", "return document.querySelector('[data-testid=coverage-table]') !== null && document.querySelector('[data-testid=run-coverage]') !== null;").await;
    }
    assert_eq!(
        clipped(client, "[data-testid=coverage-table] th").await,
        Vec::<String>::new(),
        "the coverage headers fit their columns"
    );

    keys(client, &['\u{e009}', '\u{e008}', 'k']).await; // Ctrl+Shift+K: Servers
    until_true(
        client,
        "the Servers dialog",
        "return document.querySelector('[data-testid=servers-dialog]') !== null;",
    )
    .await;
    // Nothing on the page lies over an open dialog's overlay: coverage's heading, kept in
    // view while its table scrolls, was drawn over the Servers dialog (sticky, z-index 1).
    let over = js(client, "const b = document.querySelector('.right > .coverage > .panel-head').getBoundingClientRect(); const hit = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2); return hit === null || hit.closest('.overlay') !== null ? null : hit.outerHTML.slice(0, 80);").await;
    assert_eq!(
        over,
        Value::Null,
        "coverage's heading is under the dialog's overlay"
    );
    assert_eq!(
        clipped(client, "[data-testid=servers-dialog] input").await,
        Vec::<String>::new(),
        "no placeholder is clipped"
    );
    tab_stays_in_the_dialog(client, "servers-dialog").await;
    keys(client, &['\u{e00c}']).await;

    keys(client, &['\u{e009}', '\u{e008}', 'p']).await; // Ctrl+Shift+P: Push
    until_true(
        client,
        "the push dialog's impact",
        "return document.querySelector('[data-testid=push-impact] thead') !== null;",
    )
    .await;
    assert_eq!(
        clipped(client, "[data-testid=push-impact] th").await,
        Vec::<String>::new(),
        "the impact headers fit their columns"
    );
    assert_eq!(
        clipped(client, "[data-testid=push-dialog] input").await,
        Vec::<String>::new(),
        "the note's placeholder is whole"
    );
    shot(client, "20-push-dialog-960x600").await;
    keys(client, &['\u{e00c}']).await;
    window_at(client, (1440, 900)).await;
}
