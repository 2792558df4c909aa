//! Pushing to a `unifield serve --demo` child: preview, push, verify, read, roll back.

use super::*;

/// A `unifield serve --demo` child process, killed when dropped (also when the step fails).
pub(super) struct DemoServer {
    child: std::process::Child,
    url: String,
    api_key: String,
    connection_id: String,
    _data: support::TempWorkspace,
}

impl DemoServer {
    /// Starts the server and reads the URL, API key and connection id it prints (bounded).
    fn start(cli: &std::path::Path) -> DemoServer {
        use std::io::BufRead;
        let data = support::TempWorkspace::new();
        let mut child = Command::new(cli)
            .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data"])
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
        let deadline = Instant::now() + Duration::from_secs(60);
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
        }
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
    let server = DemoServer::start(&j.cli);
    let client = &j.client().clone();

    // Add the server in the Servers dialog.
    click(client, "[data-testid=open-servers]").await;
    fill(client, "server-name", "demo").await;
    fill(client, "server-url", &server.url).await;
    fill(client, "server-key", &server.api_key).await;
    click(client, "[data-testid=add-server]").await;
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

    // Preview through it: its raw work orders become the source.
    click(
        client,
        "[data-server=demo] [data-testid=preview-through-server]",
    )
    .await;
    until("the server's work orders as the source", || async {
        let gone = js(
            client,
            "return document.querySelector('[data-testid=servers-dialog]') === null;",
        )
        .await;
        let count = text_of(client, "record-count").await;
        (gone.as_bool() == Some(true) && count.ends_with("of 1000")).then_some(())
    })
    .await;

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

    // Ctrl+Shift+P: the diff and the impact, before anything is sent.
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
    let impact = text_of(client, "push-impact").await;
    assert!(
        impact.contains(PUSHED_FIELD),
        "the impact names it: {impact}"
    );
    shot(client, "09-push-dialog").await;

    click(client, "[data-testid=push-send]").await;
    let matches = until("the push's verify", || async {
        let v = js(client, "const e = document.querySelector('[data-testid=push-verify]'); return e ? e.dataset.matches : (document.querySelector('[data-testid=push-error]') ? 'error: ' + document.querySelector('[data-testid=push-error]').textContent : null);").await;
        v.as_str().map(str::to_string)
    })
    .await;
    shot(client, "10-pushed-and-verified").await;
    assert_eq!(matches, "true", "the server serves what the studio shows");

    // Outside the studio: the unified API's next response has the field.
    let after = server.work_order(&key).await;
    assert!(
        same_json(&after["customFields"][PUSHED_FIELD], &shown),
        "the pushed field is served as the studio showed it ({shown}): {after}"
    );

    // Roll back to version 0: the field is gone from the next response.
    click(
        client,
        "[data-testid=push-versions] [data-version='0'] [data-testid=push-rollback]",
    )
    .await;
    let active = until("the rollback's new version", || async {
        let text = text_of(client, "push-active").await;
        text.starts_with("Rolled back").then_some(text)
    })
    .await;
    assert_eq!(
        active, "Rolled back: version 2, a copy of version 0, is active (was 1).",
        "the rollback says what it replaced"
    );
    // Verify after the rollback names the field the server no longer serves.
    let (matches, verify) = until("the rollback's verify", || async {
        let v = js(client, "const e = document.querySelector('[data-testid=push-verify]'); return e ? [e.dataset.matches, e.textContent] : null;").await;
        Some((v[0].as_str()?.to_string(), v[1].as_str()?.to_string()))
    })
    .await;
    assert_eq!(matches, "false", "{verify}");
    assert!(
        verify.contains(&format!("customFields.{PUSHED_FIELD}")),
        "{verify}"
    );
    let rolled_back = server.work_order(&key).await;
    assert!(
        rolled_back["customFields"].get(PUSHED_FIELD).is_none(),
        "rolled back, the field is gone: {rolled_back}"
    );
    shot(client, "11-rolled-back").await;
    keys(client, &['\u{e00c}']).await; // Escape closes the dialog
}
