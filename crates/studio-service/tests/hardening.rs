//! What a careless form, a hostile file or a pasted secret can do to the studio's service
//! (issue 10): each is refused at entry with a located error, and secrets never show.

use std::sync::Arc;
use unifield_studio_service::types::{NewConnection, RecordSource};
use unifield_studio_service::Studio;
use unifield_workspace::MemorySecrets;

fn studio(dir: &std::path::Path) -> Studio {
    Studio::open(dir, Arc::new(MemorySecrets::default())).unwrap()
}

fn new_connection(base_url: &str) -> NewConnection {
    NewConnection {
        name: "acme".into(),
        company: "Acme".into(),
        region: None,
        base_url: Some(base_url.into()),
        client_id: "client".into(),
        secret: "TOPSECRET".into(),
    }
}

#[test]
fn a_new_connection_never_shows_its_secret_in_debug() {
    let shown = format!("{:?}", new_connection("https://x.corrigo.com"));
    assert!(!shown.contains("TOPSECRET"), "{shown}");
    assert!(shown.contains("acme"), "the rest still shows: {shown}");
}

fn rejected(studio: &mut Studio, new: &NewConnection) -> (String, Option<String>, String) {
    let error = studio.add_connection(new).unwrap_err();
    let field = error.location.as_ref().and_then(|l| l.field.clone());
    (error.code, field, error.message)
}

#[test]
fn cleartext_and_credential_bearing_urls_are_refused_at_entry() {
    let dir = tempfile::tempdir().unwrap();
    let mut studio = studio(dir.path());
    for url in [
        "http://corrigo.example.com",
        "http://10.0.0.7:8765",
        "https://user:pw@am.corrigo.com",
    ] {
        let (code, field, message) = rejected(&mut studio, &new_connection(url));
        assert_eq!(
            (code.as_str(), field.as_deref()),
            ("invalid_connection", Some("baseUrl")),
            "{url}: {message}"
        );
        assert!(!message.contains("pw@"), "{message}");
    }
    assert!(studio.connections().unwrap().is_empty());
    studio
        .add_connection(&new_connection("http://127.0.0.1:8765"))
        .expect("http to this machine (the sandbox) is fine");
}

#[test]
fn a_company_name_that_cannot_travel_in_a_header_is_refused_at_entry() {
    let dir = tempfile::tempdir().unwrap();
    let mut studio = studio(dir.path());
    let new = NewConnection {
        company: "Société Générale".into(),
        ..new_connection("https://am.corrigo.com")
    };
    let (code, field, message) = rejected(&mut studio, &new);
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("invalid_connection", Some("company"))
    );
    assert!(message.contains("ASCII"), "{message}");
}

/// A work-order mapping whose custom field doubles a constant `doublings` times.
fn doubling(doublings: usize) -> String {
    let steps: Vec<serde_json::Value> = (0..doublings)
        .map(|_| serde_json::json!({"fn": "template", "template": "{@}{@}"}))
        .collect();
    let mut doc: serde_json::Value = serde_json::from_str(&studio_default_work_order()).unwrap();
    doc["custom"] = serde_json::json!({"blowup": {"const": "x", "steps": steps}});
    serde_json::to_string_pretty(&doc).unwrap()
}

fn studio_default_work_order() -> String {
    let dir = tempfile::tempdir().unwrap();
    studio(dir.path()).mapping("work_order").unwrap().saved_text
}

fn first_work_order(studio: &mut Studio) -> String {
    studio
        .list_records(&RecordSource::Samples, "WorkOrder", "")
        .unwrap()
        .rows[0]
        .id
        .clone()
}

#[test]
fn a_restored_draft_that_trips_a_limit_previews_with_the_reason_not_a_hang() {
    let dir = tempfile::tempdir().unwrap();
    let mut studio = studio(dir.path());
    let id = first_work_order(&mut studio);

    // Too many steps: the draft comes back, and its preview says why it cannot run.
    studio.save_draft("work_order", &doubling(40)).unwrap();
    let draft = studio.mapping("work_order").unwrap().draft.expect("kept");
    let preview = studio.preview(&RecordSource::Samples, &draft, &id).unwrap();
    assert!(preview.output.is_none());
    let problem = preview
        .problems
        .iter()
        .find(|p| p.code == "too_many_steps")
        .expect("the reason");
    assert_eq!(
        (problem.field.as_deref(), problem.step),
        (Some("custom.blowup"), Some(33))
    );

    // Within the step limit but building 4 GiB: the field fails at the step that passes
    // the size limit, and the rest of the record still previews.
    studio.save_draft("work_order", &doubling(32)).unwrap();
    let draft = studio.mapping("work_order").unwrap().draft.unwrap();
    let preview = studio.preview(&RecordSource::Samples, &draft, &id).unwrap();
    let field = preview
        .fields
        .iter()
        .find(|f| f.field == "custom.blowup")
        .unwrap();
    assert_eq!(
        (field.outcome.as_str(), field.code.as_deref(), field.step),
        ("error", Some("value_too_large"), Some(22))
    );
    assert!(preview.output.unwrap()["key"].is_string());
}

#[test]
fn an_imported_mapping_that_trips_a_limit_is_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let studio = studio(dir.path());
    let file = dir.path().join("shared.json");
    std::fs::write(&file, doubling(40)).unwrap();
    let error = studio.import_mapping(&file).unwrap_err();
    assert_eq!(error.code, "invalid_mapping");
    assert!(
        error.problems.iter().any(|p| p.code == "too_many_steps"),
        "{:?}",
        error.problems
    );
}

/// Review item 9: an import with several errors showed only the first. The refusal carries
/// every error, each with the file, its line and its field, for the studio to list them all.
#[test]
fn an_import_with_several_errors_carries_each_with_its_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let studio = studio(dir.path());
    let mut doc: serde_json::Value = serde_json::from_str(&studio_default_work_order()).unwrap();
    doc["fields"]["title"]["path"] = serde_json::json!("$.[");
    doc["fields"]["code"]["path"] = serde_json::json!("$..[");
    let text = serde_json::to_string_pretty(&doc).unwrap();
    // Each error is placed at its field's binding (the line of `"title": {`).
    let line_of = |needle: &str| {
        text.lines()
            .position(|l| l.contains(needle))
            .map(|i| i as u32 + 1)
    };
    let file = dir.path().join("two-errors.json");
    std::fs::write(&file, &text).unwrap();
    let error = studio.import_mapping(&file).unwrap_err();
    assert_eq!(error.code, "invalid_mapping", "{}", error.message);
    let name = file.display().to_string();
    let mut errors: Vec<(Option<String>, Option<u32>, Option<String>)> = error
        .problems
        .iter()
        .filter(|p| p.severity == "error")
        .map(|p| (p.file.clone(), p.line, p.field.clone()))
        .collect();
    errors.sort_by_key(|e| e.1);
    let mut wanted = vec![
        (
            Some(name.clone()),
            line_of("\"code\": {"),
            Some("code".to_string()),
        ),
        (
            Some(name.clone()),
            line_of("\"title\": {"),
            Some("title".to_string()),
        ),
    ];
    wanted.sort_by_key(|e| e.1);
    assert!(wanted.iter().all(|w| w.1.is_some()), "{text}");
    assert_eq!(errors, wanted, "{:?}", error.problems);
    assert!(
        error
            .problems
            .iter()
            .filter(|p| p.severity == "error")
            .all(|p| !p.message.is_empty() && p.code == "invalid_path"),
        "{:?}",
        error.problems
    );
    // The first error is still the error's own place, for callers that show one.
    let at = error.location.unwrap();
    assert_eq!(at.file.as_deref(), Some(name.as_str()));
    assert!(at.line.is_some() && at.field.is_some(), "{at:?}");
}

#[test]
fn an_import_larger_than_a_few_mib_is_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    let studio = studio(dir.path());
    let file = dir.path().join("huge.json");
    // Valid JSON, 6 MiB: the old import read and parsed all of it.
    let padding = "x".repeat(6 << 20);
    let mut doc: serde_json::Value = serde_json::from_str(&studio_default_work_order()).unwrap();
    doc["description"] = serde_json::Value::String(padding);
    std::fs::write(&file, doc.to_string()).unwrap();
    let error = studio.import_mapping(&file).unwrap_err();
    assert_eq!(error.code, "file_too_large", "{}", error.message);
    assert!(error.message.contains("4 MiB"), "{}", error.message);
    assert_eq!(
        error.location.unwrap().file.as_deref(),
        Some(file.display().to_string().as_str())
    );
}

#[cfg(unix)]
#[test]
fn drafts_are_private_and_never_written_through_a_planted_symlink() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let studio = studio(dir.path());
    let drafts = dir.path().join("drafts");
    std::fs::create_dir_all(&drafts).unwrap();
    std::fs::set_permissions(&drafts, std::fs::Permissions::from_mode(0o755)).unwrap();
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "keep me").unwrap();
    // The temporary name the old writer used.
    std::os::unix::fs::symlink(&victim, drafts.join("work_order.tmp~")).unwrap();
    let text = doubling(1);
    studio.save_draft("work_order", &text).unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&drafts), 0o700);
    assert_eq!(mode(&drafts.join("work_order.json")), 0o600);
    assert_eq!(studio.mapping("work_order").unwrap().draft, Some(text));
}

#[cfg(unix)]
#[test]
fn an_old_workspaces_drafts_are_tightened_when_the_studio_opens_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let drafts = dir.path().join("drafts");
    std::fs::create_dir_all(&drafts).unwrap();
    std::fs::write(drafts.join("work_order.json"), "{}").unwrap();
    std::fs::set_permissions(&drafts, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(
        drafts.join("work_order.json"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let _studio = studio(dir.path());
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&drafts), 0o700);
    assert_eq!(mode(&drafts.join("work_order.json")), 0o600);
}

#[tokio::test]
async fn the_studios_cancel_ends_a_pull_waiting_on_corrigo() {
    use unifield_corrigo_sandbox::{start, Config};
    let config = Config {
        work_orders: 20,
        // Every answer a minute late: only a cancel that reaches the request ends it.
        faults: "latency-ms=60000".parse().unwrap(),
        ..Config::default()
    };
    let running = start(config.clone(), ([127, 0, 0, 1], 0).into())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut studio = studio(dir.path());
    studio
        .add_connection(&NewConnection {
            name: "sandbox".into(),
            company: config.company.clone(),
            region: None,
            base_url: Some(running.base_url.clone()),
            client_id: config.client_id.clone(),
            secret: config.client_secret.clone(),
        })
        .unwrap();
    let job = studio
        .pull_job("sandbox", &["WorkOrder".to_string()])
        .unwrap();
    let cancel = unifield_studio_service::Cancel::default();
    let canceller = {
        let cancel = cancel.clone();
        async move {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            cancel.cancel();
        }
    };
    let (report, ()) = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        tokio::join!(job.run(1, cancel, |_| {}), canceller)
    })
    .await
    .expect("the cancel ends the pull");
    let report = report.unwrap();
    assert!(report.cancelled);
    assert_eq!(report.entities[0].status, "cancelled");
    running.stop().await;
}

#[test]
fn coverage_of_a_mapping_that_trips_a_limit_stops_at_the_first_record_saying_where() {
    let dir = tempfile::tempdir().unwrap();
    let mut studio = studio(dir.path());
    let error = studio
        .coverage(
            &RecordSource::Samples,
            &doubling(32),
            &unifield_studio_service::Cancel::default(),
            |_, _| {},
        )
        .unwrap_err();
    assert_eq!(error.code, "mapping_over_limit", "{}", error.message);
    let location = error.location.unwrap();
    assert_eq!(
        (location.field.as_deref(), location.step),
        (Some("custom.blowup"), Some(22))
    );
}

#[test]
fn a_draft_or_version_larger_than_a_mapping_may_be_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut studio = studio(dir.path());
    let mut doc: serde_json::Value = serde_json::from_str(&studio_default_work_order()).unwrap();
    doc["description"] = serde_json::Value::String("x".repeat(5 << 20));
    let huge = doc.to_string();
    assert_eq!(
        studio.save_draft("work_order", &huge).unwrap_err().code,
        "file_too_large"
    );
    assert_eq!(
        studio
            .save_mapping("work_order", &huge, None)
            .unwrap_err()
            .code,
        "file_too_large"
    );
    assert!(studio.history("work_order").unwrap().is_empty());
    assert!(studio.mapping("work_order").unwrap().draft.is_none());
}
