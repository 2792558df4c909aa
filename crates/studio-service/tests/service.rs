//! Every command the studio's UI can send, on a temporary workspace, without a window.

use serde_json::{json, Value};
use std::sync::Arc;
use unifield_studio_service::types::{NewConnection, RecordSource};
use unifield_studio_service::{test_connection, Cancel, Studio};
use unifield_workspace::MemorySecrets;

fn studio(dir: &std::path::Path) -> Studio {
    Studio::open(dir, Arc::new(MemorySecrets::default())).unwrap()
}

fn work_order_text(studio: &Studio) -> String {
    studio.mapping("work_order").unwrap().saved_text
}

/// The mapping with one field's binding replaced.
fn rebind(text: &str, field: &str, binding: Value) -> String {
    let mut doc: Value = serde_json::from_str(text).unwrap();
    doc["fields"][field] = binding;
    serde_json::to_string_pretty(&doc).unwrap()
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
fn a_new_workspace_is_the_bundled_offline_one() {
    let dir = tempfile::tempdir().unwrap();
    let studio = studio(dir.path());
    let info = studio.info().unwrap();
    assert_eq!(info.sources.len(), 1, "no connections yet");
    assert_eq!(info.sources[0].source, RecordSource::Samples);
    let count = |entity: &str| {
        info.sources[0]
            .counts
            .iter()
            .find(|c| c.entity == entity)
            .unwrap()
            .records
    };
    assert_eq!((count("WorkOrder"), count("Location")), (400, 221));
    let names: Vec<&str> = info.mappings.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "work_order",
            "asset",
            "location",
            "site",
            "user",
            "vendor",
            "customer",
            "part"
        ]
    );
    let work_order = &info.mappings[0];
    assert_eq!(
        (
            work_order.source_entity.as_str(),
            work_order.target_entity.as_str(),
            work_order.version,
            work_order.has_draft
        ),
        ("WorkOrder", "WorkOrder", None, false)
    );
    let model = info.model.iter().find(|e| e.name == "WorkOrder").unwrap();
    let status = model.fields.iter().find(|f| f.name == "status").unwrap();
    assert_eq!(status.kind, "enum");
    assert!(status.enum_values.iter().any(|v| v.name == "in_progress"));
    let map_values = info
        .transforms
        .iter()
        .find(|t| t.name == "map_values")
        .unwrap();
    assert!(map_values
        .params
        .iter()
        .any(|p| p.name == "map" && p.required));
}

#[test]
fn records_are_listed_searched_and_shown_as_a_tree_with_fill_rates() {
    let dir = tempfile::tempdir().unwrap();
    let mut studio = studio(dir.path());
    let all = studio
        .list_records(&RecordSource::Samples, "WorkOrder", "")
        .unwrap();
    assert_eq!((all.total, all.rows.len()), (400, 400));
    let first = &all.rows[0];
    let number = first.label.split(" · ").next().unwrap().to_string();
    let found = studio
        .list_records(&RecordSource::Samples, "WorkOrder", &number.to_lowercase())
        .unwrap();
    assert_eq!(found.total, 400);
    assert!(found.rows.iter().any(|r| r.id == first.id));
    assert!(found.rows.len() < 400);

    let tree = studio
        .record_tree(&RecordSource::Samples, "WorkOrder", &first.id)
        .unwrap();
    assert_eq!(tree.records, 400);
    let id = tree.nodes.iter().find(|n| n.path == "$.Id").unwrap();
    assert_eq!((id.kind.as_str(), id.fill_rate), ("integer", 1.0));
    assert_eq!(id.value, Some(json!(first.id.parse::<i64>().unwrap())));
    assert!(
        tree.nodes
            .iter()
            .any(|n| n.fill_rate > 0.0 && n.fill_rate < 1.0),
        "some paths are filled in only some records"
    );
    for node in &tree.nodes {
        let selector = unifield_engine::path::Selector::parse(&node.path).unwrap();
        let record = studio
            .record(&RecordSource::Samples, "WorkOrder", &first.id)
            .unwrap();
        assert_eq!(
            selector.query(&record).len(),
            usize::from(node.present),
            "{} finds its node, or nothing when the record lacks it",
            node.path
        );
    }

    // A scalar path this record lacks (a collection node lists no sample values).
    let absent = tree
        .nodes
        .iter()
        .find(|n| !n.present && n.kind != "array" && n.kind != "object")
        .unwrap();
    assert!(absent.fill_rate > 0.0 && !absent.samples.is_empty());

    let missing = studio
        .record_tree(&RecordSource::Samples, "WorkOrder", "no-such-id")
        .unwrap_err();
    assert_eq!(missing.code, "unknown_record");
    let entity = studio
        .list_records(&RecordSource::Samples, "Nope", "")
        .unwrap_err();
    assert_eq!(entity.code, "unknown_entity");
}

#[test]
fn preview_follows_every_edit_and_locates_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let mut studio = studio(dir.path());
    let id = first_work_order(&mut studio);
    let record = studio
        .record(&RecordSource::Samples, "WorkOrder", &id)
        .unwrap();
    let text = work_order_text(&studio);

    let before = studio.preview(&RecordSource::Samples, &text, &id).unwrap();
    assert!(before.problems.is_empty(), "{:?}", before.problems);
    let output = before.output.unwrap();
    assert_eq!(output["key"], json!(id));
    assert_eq!(output["code"], record["Number"]);

    // Bind `title` to the work order number, upper-cased: the preview shows it at once.
    let edited = rebind(
        &text,
        "title",
        json!({"path": "$.Number", "steps": ["lower"]}),
    );
    let after = studio
        .preview(&RecordSource::Samples, &edited, &id)
        .unwrap();
    let title = after.output.unwrap()["title"].clone();
    assert_eq!(
        title,
        json!(record["Number"].as_str().unwrap().to_lowercase())
    );
    let field = after.fields.iter().find(|f| f.field == "title").unwrap();
    assert_eq!(field.outcome, "filled");

    // A path that is not JSONPath: no output, a problem that names the field.
    let broken = rebind(&text, "title", json!({"path": "$.[Number"}));
    let preview = studio
        .preview(&RecordSource::Samples, &broken, &id)
        .unwrap();
    assert!(preview.output.is_none());
    let problem = &preview.problems[0];
    assert_eq!(problem.field.as_deref(), Some("title"));
    assert!(problem.line.is_some(), "{problem:?}");

    // A step that fails on this record: the field says which step and why.
    let failing = rebind(
        &text,
        "dueAt",
        json!({"path": "$.Number", "steps": ["parse_datetime"]}),
    );
    let preview = studio
        .preview(&RecordSource::Samples, &failing, &id)
        .unwrap();
    assert!(preview.output.is_some(), "{:?}", preview.problems);
    let field = preview.fields.iter().find(|f| f.field == "dueAt").unwrap();
    assert_eq!((field.outcome.as_str(), field.step), ("error", Some(1)));
    assert!(field.code.is_some());
}

#[test]
fn coverage_counts_every_record_reports_progress_and_can_be_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let mut studio = studio(dir.path());
    let text = work_order_text(&studio);
    let mut reports = Vec::new();
    let coverage = studio
        .coverage(
            &RecordSource::Samples,
            &text,
            &Cancel::default(),
            |done, of| reports.push((done, of)),
        )
        .unwrap();
    assert_eq!(coverage.records + coverage.skipped, 400);
    assert_eq!(reports.last(), Some(&(400, 400)));
    let key = coverage.fields.iter().find(|f| f.field == "key").unwrap();
    assert_eq!((key.filled, key.null, key.error), (400, 0, 0));
    let status = coverage
        .fields
        .iter()
        .find(|f| f.field == "status")
        .unwrap();
    assert_eq!(status.filled + status.null + status.error, coverage.records);

    // Drop one status from the value map: coverage lists it as unmapped, with its count.
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    let map = doc["fields"]["status"]["steps"][0]["map"]
        .as_object_mut()
        .unwrap();
    map.remove("Open");
    doc["fields"]["status"]["steps"][0]["failOnUnmapped"] = json!(false);
    let narrowed = serde_json::to_string(&doc).unwrap();
    let coverage = studio
        .coverage(
            &RecordSource::Samples,
            &narrowed,
            &Cancel::default(),
            |_, _| {},
        )
        .unwrap();
    let status = coverage
        .fields
        .iter()
        .find(|f| f.field == "status")
        .unwrap();
    let open = status.unmapped.iter().find(|u| u.value == "Open").unwrap();
    assert!(open.count > 0);

    let cancel = Cancel::default();
    cancel.cancel();
    let cancelled = studio
        .coverage(&RecordSource::Samples, &text, &cancel, |_, _| {})
        .unwrap_err();
    assert_eq!(cancelled.code, "cancelled");

    let invalid = studio
        .coverage(&RecordSource::Samples, "{", &Cancel::default(), |_, _| {})
        .unwrap_err();
    assert_eq!(invalid.code, "invalid_mapping");
    assert_eq!(invalid.location.unwrap().line, Some(1));
}

#[test]
fn explain_shows_each_step_of_one_field() {
    let dir = tempfile::tempdir().unwrap();
    let mut studio = studio(dir.path());
    let id = first_work_order(&mut studio);
    let record = studio
        .record(&RecordSource::Samples, "WorkOrder", &id)
        .unwrap();
    let text = work_order_text(&studio);
    let explained = studio
        .explain(&RecordSource::Samples, &text, &id, "code")
        .unwrap();
    assert_eq!(explained.paths[0].path, "$.Number");
    assert_eq!(explained.paths[0].matches[0].value, record["Number"]);
    let functions: Vec<&str> = explained
        .steps
        .iter()
        .map(|s| s.function.as_str())
        .collect();
    assert_eq!(functions, ["trim", "null_if_empty"]);
    assert_eq!(explained.steps[0].input.as_ref(), Some(&record["Number"]));
    let unknown = studio
        .explain(&RecordSource::Samples, &text, &id, "noSuchField")
        .unwrap_err();
    assert_eq!(unknown.code, "unknown_field");
}

#[test]
fn suggestions_propose_bindings_for_unbound_fields() {
    let dir = tempfile::tempdir().unwrap();
    let mut studio = studio(dir.path());
    let mut doc: Value = serde_json::from_str(&work_order_text(&studio)).unwrap();
    doc["fields"].as_object_mut().unwrap().remove("code");
    let text = serde_json::to_string(&doc).unwrap();
    let suggestions = studio.suggestions(&RecordSource::Samples, &text).unwrap();
    let code = suggestions.iter().find(|s| s.field == "code").unwrap();
    assert_eq!(code.bindings[0].path, "$.Number");
    assert!(code.bindings[0].score > 0.5);
    assert!(
        !suggestions.iter().any(|s| s.field == "title"),
        "bound fields get no proposals"
    );
}

#[test]
fn saving_keeps_every_version_diffs_and_restores() {
    let dir = tempfile::tempdir().unwrap();
    let mut studio = studio(dir.path());
    let original = work_order_text(&studio);
    assert!(studio.history("work_order").unwrap().is_empty());

    let v1 = studio
        .save_mapping("work_order", &original, Some("first"))
        .unwrap();
    assert_eq!(v1.version, 1);
    let edited = rebind(&original, "title", json!({"path": "$.Number"}));
    let v2 = studio.save_mapping("work_order", &edited, None).unwrap();
    assert_eq!(v2.version, 2);
    let state = studio.mapping("work_order").unwrap();
    assert_eq!(state.version, Some(2));
    assert!(state.saved_text.contains("\"$.Number\""));

    let diff = studio.diff("work_order", 1, 2).unwrap();
    assert_eq!(diff.changes.len(), 1, "{:?}", diff.changes);
    assert_eq!(
        (diff.changes[0].at.as_str(), diff.changes[0].change.as_str()),
        ("fields.title", "changed")
    );
    assert_eq!(diff.changes[0].after, Some(json!({"path": "$.Number"})));
    assert!(studio.diff("work_order", 0, 1).unwrap().changes.is_empty());

    let v3 = studio.restore("work_order", 1).unwrap();
    assert_eq!(v3.version, 3);
    assert_eq!(v3.message.as_deref(), Some("restored version 1"));
    assert_eq!(
        studio.version_text("work_order", 3).unwrap(),
        studio.version_text("work_order", 1).unwrap()
    );
    let history: Vec<u32> = studio
        .history("work_order")
        .unwrap()
        .iter()
        .map(|v| v.version)
        .collect();
    assert_eq!(history, [3, 2, 1]);

    // An invalid mapping is refused, located, and nothing is saved.
    let broken = rebind(
        &original,
        "status",
        json!({"path": "$.StatusId", "steps": ["no_such_fn"]}),
    );
    let refused = studio
        .save_mapping("work_order", &broken, None)
        .unwrap_err();
    assert_eq!(refused.code, "invalid_mapping");
    let location = refused.location.unwrap();
    assert_eq!(
        (location.field.as_deref(), location.step),
        (Some("status"), Some(1))
    );
    assert_eq!(studio.history("work_order").unwrap().len(), 3);

    let unknown = studio.save_mapping("nope", &original, None).unwrap_err();
    assert_eq!(unknown.code, "unknown_mapping");
}

#[test]
fn a_draft_survives_the_studio_going_away() {
    let dir = tempfile::tempdir().unwrap();
    let edited = {
        let studio = studio(dir.path());
        let edited = rebind(
            &work_order_text(&studio),
            "title",
            json!({"path": "$.Number"}),
        );
        studio.save_draft("work_order", &edited).unwrap();
        edited
        // Dropped without saving: as after a crash or a kill.
    };
    let mut studio = studio(dir.path());
    assert_eq!(
        studio.mapping("work_order").unwrap().draft,
        Some(edited.clone())
    );
    assert!(studio.info().unwrap().mappings[0].has_draft);
    studio.save_mapping("work_order", &edited, None).unwrap();
    assert_eq!(
        studio.mapping("work_order").unwrap().draft,
        None,
        "saving clears it"
    );
    // A draft equal to the saved text is no draft.
    studio
        .save_draft(
            "work_order",
            &studio.mapping("work_order").unwrap().saved_text,
        )
        .unwrap();
    assert!(!studio.info().unwrap().mappings[0].has_draft);
}

#[test]
fn export_writes_canonical_json_and_import_refuses_invalid_files_changing_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let studio = studio(dir.path());
    let text = rebind(
        &work_order_text(&studio),
        "title",
        json!({"path": "$.Number"}),
    );
    let file = dir.path().join("wo.json");
    let exported = studio.export_mapping(&text, &file).unwrap();
    let written = std::fs::read_to_string(&file).unwrap();
    assert_eq!(exported.bytes as usize, written.len());
    assert!(unifield_engine::load(&written, None).is_ok());

    let imported = studio.import_mapping(&file).unwrap();
    assert_eq!(
        (imported.name.as_str(), imported.text.as_str()),
        ("work_order", written.as_str())
    );

    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        "{\n  \"format\": \"unifield.mapping/v1\",\n  \"fields\": 3\n",
    )
    .unwrap();
    let refused = studio.import_mapping(&bad).unwrap_err();
    assert_eq!(refused.code, "invalid_mapping");
    let location = refused.location.unwrap();
    assert_eq!(
        location.file.as_deref(),
        Some(bad.display().to_string().as_str())
    );
    assert!(!refused.problems.is_empty());
    assert!(
        studio.history("work_order").unwrap().is_empty(),
        "nothing saved"
    );
    assert_eq!(
        studio.mapping("work_order").unwrap().draft,
        None,
        "no draft"
    );

    let missing = studio
        .import_mapping(&dir.path().join("none.json"))
        .unwrap_err();
    assert_eq!(missing.code, "unreadable_file");
    let refused = studio
        .export_mapping("{}", &dir.path().join("x.json"))
        .unwrap_err();
    assert_eq!(refused.code, "invalid_mapping");
    assert!(!dir.path().join("x.json").exists());
}

fn new_connection(base_url: &str, secret: &str) -> NewConnection {
    let config = unifield_corrigo_sandbox::Config::default();
    NewConnection {
        name: "sandbox".into(),
        company: config.company,
        region: None,
        base_url: Some(base_url.into()),
        client_id: config.client_id,
        secret: secret.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_are_added_tested_pulled_with_progress_and_cancelled() {
    let config = unifield_corrigo_sandbox::Config {
        work_orders: 1_200,
        ..Default::default()
    };
    let secret = config.client_secret.clone();
    let running = unifield_corrigo_sandbox::start(config, ([127, 0, 0, 1], 0).into())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut studio = studio(dir.path());

    let mut bad = new_connection(&running.base_url, &secret);
    bad.base_url = Some("ftp://x".into());
    let refused = studio.add_connection(&bad).unwrap_err();
    assert_eq!(refused.code, "invalid_connection");
    assert_eq!(refused.location.unwrap().field.as_deref(), Some("baseUrl"));
    bad.base_url = None;
    let refused = studio.add_connection(&bad).unwrap_err();
    assert_eq!(refused.location.unwrap().field.as_deref(), Some("region"));

    let added = studio
        .add_connection(&new_connection(&running.base_url, &secret))
        .unwrap();
    assert!(added.has_secret);
    assert_eq!(added.endpoint, running.base_url);
    let health = test_connection(&studio.client("sandbox").unwrap()).await;
    assert_eq!(health.status, "ok", "{health:?}");

    // Cancel during the first page of work orders: the job stops, pages kept.
    let cancel = Cancel::default();
    let job = studio.pull_job("sandbox", &["WorkOrder".into()]).unwrap();
    let watcher = cancel.clone();
    let report = job
        .run(1, cancel, move |p| {
            if p.pages >= 1 {
                watcher.cancel();
            }
        })
        .await
        .unwrap();
    assert!(report.cancelled);
    assert_eq!(report.entities[0].status, "cancelled");
    let kept = report.entities[0].records;
    assert!(kept > 0 && kept < 1_200, "{kept}");

    // Pull everything the mappings read: progress per page, then the cache is a source.
    let mut seen = Vec::new();
    let job = studio.pull_job("sandbox", &[]).unwrap();
    let report = job
        .run(2, Cancel::default(), |p| {
            seen.push((p.entity.clone(), p.records))
        })
        .await
        .unwrap();
    assert!(!report.cancelled);
    assert!(
        report.entities.iter().all(|e| e.status == "completed"),
        "{:?}",
        report.entities
    );
    assert!(seen.iter().any(|(e, n)| e == "WorkOrder" && *n > 0));
    // The connection's last pull is the whole pull, entity by entity in the order it ran:
    // its last run alone named `Product` after what the person saw as a work-order pull.
    let listed = studio.connections().unwrap();
    let last: Vec<(&str, &str)> = listed[0]
        .last_pull
        .iter()
        .map(|run| (run.entity.as_str(), run.status.as_str()))
        .collect();
    let entities = unifield_bundle::source_entities();
    assert_eq!(
        last,
        entities
            .iter()
            .map(|e| (e.as_str(), "completed"))
            .collect::<Vec<_>>(),
        "each entity's last run, in pull order"
    );
    assert_eq!(last[0].0, "WorkOrder");
    assert!(listed[0].last_pull[0].records > 0);
    studio.forget("sandbox");
    let source = RecordSource::Connection {
        name: "sandbox".into(),
    };
    let listed = studio.list_records(&source, "WorkOrder", "").unwrap();
    assert_eq!(
        listed.total, 1_200,
        "the cancelled run resumed, nothing lost"
    );
    let info = studio.info().unwrap();
    assert_eq!(info.sources.len(), 2);
    let text = work_order_text(&studio);
    let coverage = studio
        .coverage(&source, &text, &Cancel::default(), |_, _| {})
        .unwrap();
    assert_eq!(coverage.records + coverage.skipped, 1_200);

    let unknown = studio.pull_job("sandbox", &["Nope".into()]).err().unwrap();
    assert_eq!(unknown.code, "unknown_entity");
    studio.remove_connection("sandbox").unwrap();
    assert_eq!(studio.info().unwrap().sources.len(), 1);
    drop(running);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replacing_a_refused_secret_beside_the_studio_makes_the_connection_test_ok_and_keeps_its_cache(
) {
    let running = unifield_corrigo_sandbox::start(Default::default(), ([127, 0, 0, 1], 0).into())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut studio = studio(dir.path());
    studio
        .add_connection(&new_connection(&running.base_url, "wrong-secret"))
        .unwrap();
    let before = studio.connection("sandbox").unwrap();
    // A refused secret reads as reauthorization required, with what to do and no secret.
    let refused = test_connection(&studio.client("sandbox").unwrap()).await;
    assert_eq!(refused.status, "reauthorization_required", "{refused:?}");
    assert!(refused.action.unwrap().contains("Replace secret"));
    assert!(
        !refused.reason.unwrap().contains("wrong-secret"),
        "no secret in messages"
    );
    let work = studio.keyring_work().unwrap();
    let refused = test_connection(&work.client("sandbox").unwrap()).await;
    assert_eq!(refused.status, "reauthorization_required", "{refused:?}");

    // What the Connections dialog's Replace secret does, off the studio's lock.
    let empty = work.set_secret("sandbox", "  ").unwrap_err();
    assert_eq!(empty.code, "invalid_connection");
    assert_eq!(
        empty.location.and_then(|l| l.field).as_deref(),
        Some("secret")
    );
    let secret = unifield_corrigo_sandbox::Config::default().client_secret;
    work.set_secret("sandbox", &secret).unwrap();
    let health = test_connection(&work.client("sandbox").unwrap()).await;
    assert_eq!(health.status, "ok", "{health:?}");
    let after = studio.connection("sandbox").unwrap();
    assert_eq!(
        (
            &after.company,
            &after.endpoint,
            &after.client_id,
            after.has_secret
        ),
        (&before.company, &before.endpoint, &before.client_id, true)
    );

    let unknown = work.set_secret("nobody", &secret).unwrap_err();
    assert_eq!(unknown.code, "unknown_connection", "{unknown:?}");
    assert!(!unknown.message.contains(&secret), "no secret in messages");
}

#[test]
fn the_canonical_text_is_what_saving_stores_so_saving_it_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut studio = studio(dir.path());
    // An edit as the UI makes it: members out of model order, compact JSON.
    let edited = rebind(
        &work_order_text(&studio),
        "instructions",
        json!({"steps": ["upper"], "path": "$.ShortLocation"}),
    );
    let canonical = unifield_studio_service::canonical_text(&edited).unwrap();
    assert_ne!(
        canonical, edited,
        "the edit was not canonical to begin with"
    );
    studio.save_mapping("work_order", &canonical, None).unwrap();
    assert_eq!(
        studio.mapping("work_order").unwrap().saved_text,
        canonical,
        "saving the canonical text stores it unchanged"
    );
    assert_eq!(
        unifield_studio_service::canonical_text(&canonical).unwrap(),
        canonical,
        "the canonical form is a fixed point"
    );
    let broken = unifield_studio_service::canonical_text("{\"format\": 1}").unwrap_err();
    assert_eq!(broken.code, "invalid_mapping");
}

#[test]
fn records_read_beside_the_studio_are_held_once_and_never_after_they_were_forgotten() {
    let dir = tempfile::tempdir().unwrap();
    let mut studio = studio(dir.path());
    let samples = RecordSource::Samples;
    assert!(!studio.holds(&samples, "WorkOrder"));
    // Read without the studio (the shell does this off its lock), then hand over.
    let reader = studio.record_reader().unwrap();
    let (generation, set) = reader.read(&samples, "WorkOrder").unwrap();
    let held = studio.hold(&samples, "WorkOrder", generation, set);
    assert!(studio.holds(&samples, "WorkOrder"));
    assert!(
        Arc::ptr_eq(&held, &studio.records(&samples, "WorkOrder").unwrap()),
        "the studio uses the set it was handed, without reading again"
    );
    // A set read before records were forgotten (a pull changed them) is not kept.
    let reader = studio.record_reader().unwrap();
    studio.forget("any-connection");
    let (stale, set) = reader.read(&samples, "Location").unwrap();
    let used = studio.hold(&samples, "Location", stale, set);
    assert!(
        !used.is_empty(),
        "the read set still serves the call that read it"
    );
    assert!(
        !studio.holds(&samples, "Location"),
        "but a stale read is not kept"
    );

    let text = work_order_text(&studio);
    let entities = unifield_studio_service::entities_read(&text);
    assert_eq!(entities[0], "WorkOrder", "{entities:?}");
    assert!(unifield_studio_service::entities_read("{").is_empty());
}

#[test]
fn keyring_work_adds_tests_and_removes_a_connection_beside_the_studio() {
    let dir = tempfile::tempdir().unwrap();
    let mut studio = studio(dir.path());
    // What the shell does off the studio's lock, then lists or forgets under it.
    let work = studio.keyring_work().unwrap();
    let name = work
        .add_connection(&new_connection("http://127.0.0.1:9", "s3cret"))
        .unwrap();
    let listed = studio.connection(&name).unwrap();
    assert!(listed.has_secret, "the secret went to the store");
    assert!(work.client(&name).is_ok(), "a client reads the secret back");
    work.remove_connection(&name).unwrap();
    studio.forget(&name);
    assert!(studio.connections().unwrap().is_empty());
    let gone = work
        .client(&name)
        .err()
        .expect("no client for a removed connection");
    assert_eq!(
        gone.code, "unknown_connection",
        "nothing of it is left: {gone:?}"
    );
}
