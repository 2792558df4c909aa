//! A Corrigo connection: add and test it, pull/cancel/resume, use it as the source.

use super::*;

pub(super) async fn add_and_test_a_connection(j: &mut Journey) {
    let client = j.client();
    click(client, "[data-testid=open-connections]").await;
    // An empty form says every missing field at once, each beside its field.
    click(client, "[data-testid=add-connection]").await;
    let errors = until("the form's errors", || async {
        let n = js(client, "return document.querySelectorAll('[data-testid=connections-dialog] [data-testid=field-error]').length;").await.as_u64()?;
        (n > 0).then_some(n)
    })
    .await;
    assert_eq!(
        errors, 4,
        "name, company, client id and secret are each missing"
    );
    let name = j.workspace.connection_name("sandbox");
    for (test_id, value) in [
        ("connection-name", name.clone()),
        ("connection-company", j.sandbox.company.clone()),
    ] {
        fill(client, test_id, &value).await;
    }
    click(client, "[data-testid=connection-custom]").await;
    for (test_id, value) in [
        ("connection-baseUrl", j.sandbox_url.clone()),
        ("connection-clientId", j.sandbox.client_id.clone()),
        ("connection-secret", j.sandbox.client_secret.clone()),
    ] {
        fill(client, test_id, &value).await;
    }
    click(client, "[data-testid=add-connection]").await;
    click(
        client,
        "[data-testid=connection] [data-testid=test-connection]",
    )
    .await;
    let status = until("the connection's health", || async {
        let status = js(client, "const e = document.querySelector('[data-testid=health]'); return e ? e.dataset.status : null;").await;
        status.as_str().filter(|s| *s != "testing").map(str::to_string)
    })
    .await;
    assert_eq!(status, "ok", "the sandbox connection tests ok");
}

pub(super) async fn fill(client: &Client, test_id: &str, value: &str) {
    let css = format!("[data-testid={test_id}]");
    let input = bounded(
        format!("the search for {css}"),
        client.find(Locator::Css(&css)),
    )
    .await
    .unwrap();
    bounded(format!("typing into {css}"), input.send_keys(value))
        .await
        .unwrap();
}

/// The `WorkOrder N` count in a text such as the pull report or the cached counts.
pub(super) fn work_orders_in(text: &str) -> Option<u32> {
    let at = text.find("WorkOrder ")? + "WorkOrder ".len();
    // Counts are grouped by thousands ("WorkOrder 10,000"), cached and last pull alike.
    text[at..]
        .split(|c: char| !c.is_ascii_digit() && c != ',')
        .next()?
        .trim_end_matches(',')
        .replace(',', "")
        .parse()
        .ok()
}

/// The connection row's cached work orders, once its Pull button is back.
pub(super) async fn cached_work_orders(client: &Client) -> u32 {
    until("the connection's cached counts", || async {
        let row = js(client, "const e = document.querySelector('[data-testid=connection]'); return e && e.querySelector('[data-testid=pull]') ? e.textContent : null;").await;
        work_orders_in(row.as_str()?.split("cached:").nth(1)?)
    })
    .await
}

pub(super) async fn pull_cancel_and_resume(j: &mut Journey) {
    let client = &j.client().clone();
    let total = j.sandbox.work_orders as u32;
    // Pull, and cancel once the first page is in: the pages so far are kept.
    click(client, "[data-testid=pull]").await;
    until("pull progress", || async {
        let progress = text_of(client, "pull-progress").await;
        (progress.contains("WorkOrder: ") && !progress.contains("WorkOrder: 0 records"))
            .then_some(())
    })
    .await;
    // Cancelled at once: a picture first (two frames and an X grab, a few hundred ms) let
    // the whole pull finish before the cancel.
    click(client, "[data-testid=cancel-pull]").await;
    let cancelled = until("the cancelled pull's report", || async {
        let report = text_of(client, "pull-report").await;
        (!report.is_empty()).then_some(report)
    })
    .await;
    shot(client, "05-pull-cancelled").await;
    assert!(cancelled.starts_with("Cancelled"), "{cancelled}");
    let kept = work_orders_in(&cancelled).expect("the cancelled report counts work orders");
    assert!(
        kept > 0 && kept < total,
        "a cancelled pull keeps some pages, not all: {cancelled}"
    );
    assert_eq!(
        cached_work_orders(client).await,
        kept,
        "the cache holds what the cancelled run committed"
    );

    // Pull again: it resumes after the last committed page, fetching only the rest.
    let pull_started = Instant::now();
    click(client, "[data-testid=pull]").await;
    let report = until("the resumed pull's report", || async {
        let report = text_of(client, "pull-report").await;
        report.starts_with("Pulled:").then_some(report)
    })
    .await;
    j.measured.insert(
        "resumed_pull_s",
        json!(pull_started.elapsed().as_secs_f64()),
    );
    assert_eq!(
        work_orders_in(&report),
        Some(total - kept),
        "the resumed run fetches only the work orders after the cancelled one: {report}"
    );
    for entity in [
        "WorkOrder",
        "Location",
        "WorkZone",
        "Employee",
        "Customer",
        "Product",
    ] {
        assert!(report.contains(&format!("{entity} ")), "{report}");
    }
    assert_eq!(report.matches("(completed)").count(), 6, "{report}");
    assert_eq!(cached_work_orders(client).await, total);
    shot(client, "06-connection-pulled").await;
    let rss = studio_rss_mb(&j.studio);
    j.measured.insert("rss_after_pull_studio_mb", json!(rss.0));
}

pub(super) async fn connection_as_the_source(j: &mut Journey) {
    let client = j.client();
    click(client, "[data-testid=use-connection]").await;
    // Empty the search as a user would (WebDriver's clear does not fire React's input event).
    click(client, "[data-testid=record-search]").await;
    keys(client, &['\u{e009}', 'a']).await;
    keys(client, &['\u{e003}']).await; // Backspace
    until("the cached work orders", || async {
        text_of(client, "record-count")
            .await
            .eq("10000 of 10000")
            .then_some(())
    })
    .await;
    let coverage_ms: u64 = until("coverage over 10,000 records", || async {
        let summary = text_of(client, "coverage-summary").await;
        if !summary.starts_with("10000 records") {
            return None;
        }
        summary
            .rsplit("· ")
            .next()?
            .trim_end_matches(" ms")
            .parse()
            .ok()
    })
    .await;
    let mut previews = Vec::new();
    let preview_state = || async {
        let v = js(client, "const e = document.querySelector('[data-testid=\"preview-time\"]'); return [e.dataset.count, e.dataset.ms];").await;
        let count: u64 = v[0].as_str().and_then(|s| s.parse().ok()).unwrap_or(0);
        let ms: f64 = v[1]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or(f64::NAN);
        (count, ms)
    };
    for round in 0..10 {
        let (before, _) = preview_state().await;
        click(
            client,
            if round % 2 == 0 {
                "[data-testid=undo]"
            } else {
                "button[title^=Redo]"
            },
        )
        .await;
        let round_trip = until("the re-preview", || async {
            let (count, ms) = preview_state().await;
            (count > before).then_some(ms)
        })
        .await;
        previews.push(round_trip);
    }
    shot(client, "07-connection-source").await;
    let (app_mb, webkit_mb) = studio_rss_mb(&j.studio);
    previews.sort_by(f64::total_cmp);
    j.measured.insert("coverage_10000_ms", json!(coverage_ms));
    j.measured.insert(
        "re_preview_round_trip_ms_median",
        json!(previews[previews.len() / 2]),
    );
    j.measured.insert(
        "re_preview_round_trip_ms_max",
        json!(previews[previews.len() - 1]),
    );
    j.measured
        .insert("rss_10000_work_orders_studio_mb", json!(app_mb));
    j.measured
        .insert("rss_10000_work_orders_webkit_children_mb", json!(webkit_mb));
}
