//! The studio and a connection server: a real `unifield-server` on 127.0.0.1 (the demo: an
//! in-process Corrigo sandbox, an organization, a synced connection of 1,000 work orders and
//! an API key) and a temporary workspace. Add the server, list its connections, pull through
//! it (cancel, resume), preview a push (diff, impact, problems), push, verify, conflict,
//! versions and rollback, without a window.

use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use unifield_studio_service::servers::{self, NewServer, PushRefusal};
use unifield_studio_service::types::RecordSource;
use unifield_studio_service::{Cancel, Studio};
use unifield_workspace::MemorySecrets;

const WORK_ORDERS: usize = unifield_server::demo::WORK_ORDERS;

async fn demo(dir: &std::path::Path) -> unifield_server::demo::Demo {
    demo_with(dir, unifield_server::Settings::default()).await
}

/// [`demo`] with these server settings.
async fn demo_with(
    dir: &std::path::Path,
    settings: unifield_server::Settings,
) -> unifield_server::demo::Demo {
    unifield_server::demo::start_demo(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        Some(dir.join("server")),
        settings,
    )
    .await
    .expect("the demo server starts")
}

/// A Corrigo sandbox on 127.0.0.1 with `config`; it and its config.
async fn sandbox(
    config: unifield_corrigo_sandbox::Config,
) -> (
    unifield_corrigo_sandbox::Running,
    unifield_corrigo_sandbox::Config,
) {
    let running =
        unifield_corrigo_sandbox::start(config.clone(), SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
    (running, config)
}

/// A studio on the workspace in `dir` with the demo server added as "demo", and a client
/// for that server.
async fn studio_with_demo(
    dir: &std::path::Path,
    demo: &unifield_server::demo::Demo,
) -> (Studio, unifield_server_client::ServerClient) {
    let studio = Studio::open(dir, Arc::new(MemorySecrets::default())).unwrap();
    studio
        .add_server(&NewServer {
            name: "demo".into(),
            url: demo.server.url.clone(),
            api_key: demo.api_key.clone(),
        })
        .await
        .unwrap();
    let client = studio.server_client("demo").unwrap();
    (studio, client)
}

fn edited(text: &str, edit: impl FnOnce(&mut Value)) -> String {
    let mut doc: Value = serde_json::from_str(text).unwrap();
    edit(&mut doc);
    serde_json::to_string_pretty(&doc).unwrap()
}

/// The mapping `text` also reading the work order's main asset's comment, which the
/// demo's records were not pulled with.
fn reading_the_asset_comment(text: &str) -> String {
    edited(text, |doc| {
        doc["custom"]["assetComment"] = json!({"path": "$.MainAsset.Comment"});
    })
}

/// Every file under `dir`, as bytes (the workspace's SQLite file, its WAL, servers.json…).
fn every_file(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(every_file(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path, bytes));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_pull_preview_push_verify_conflict_rollback() {
    let server_dir = tempfile::tempdir().unwrap();
    let demo = demo(server_dir.path()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut studio = Studio::open(dir.path(), Arc::new(MemorySecrets::default())).unwrap();

    // Adding: cleartext off this machine is refused and nothing is kept.
    let refused = studio
        .add_server(&NewServer {
            name: "remote".into(),
            url: "http://unifield.example.com".into(),
            api_key: demo.api_key.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code, "invalid_server");
    assert_eq!(
        refused.location.as_ref().and_then(|l| l.field.as_deref()),
        Some("url")
    );
    assert!(studio.servers().unwrap().is_empty());
    let added = studio
        .add_server(&NewServer {
            name: "demo".into(),
            url: demo.server.url.clone(),
            api_key: demo.api_key.clone(),
        })
        .await
        .unwrap();
    assert!(added.has_key);
    assert_eq!(studio.servers().unwrap(), vec![added]);
    // The key is in the keyring only: in no file of the workspace.
    for (path, bytes) in every_file(dir.path()) {
        assert!(
            !bytes
                .windows(demo.api_key.len())
                .any(|w| w == demo.api_key.as_bytes()),
            "the API key is in {}",
            path.display()
        );
    }

    let client = studio.server_client("demo").unwrap();
    let connections = servers::server_connections(&client).await.unwrap();
    assert_eq!(connections.len(), 1);
    assert_eq!(connections[0].id, demo.connection_id);
    assert_eq!(connections[0].status, "ok");
    assert_eq!(
        connections[0].last_sync.as_ref().map(|s| s.status.as_str()),
        Some("completed")
    );

    // Pull through the server, cancelled after the first page, then resumed to the end.
    let entities = vec!["WorkOrder".to_string()];
    let job = studio
        .server_pull_job(client.clone(), "demo", &demo.connection_id, &entities)
        .unwrap();
    let cancel = Cancel::default();
    let stopper = cancel.clone();
    let (cache, first) = job
        .run(1, cancel, move |progress| {
            if progress.pages >= 1 {
                stopper.cancel();
            }
        })
        .await
        .unwrap();
    assert!(first.cancelled);
    let first_records = first.entities[0].records as usize;
    assert!(
        first_records > 0 && first_records < WORK_ORDERS,
        "{first:?}"
    );
    let source = RecordSource::Connection {
        name: cache.clone(),
    };
    let mut seen = Vec::new();
    let (_, second) = studio
        .server_pull_job(client.clone(), "demo", &demo.connection_id, &entities)
        .unwrap()
        .run(2, Cancel::default(), |progress| seen.push(progress.records))
        .await
        .unwrap();
    assert!(!second.cancelled);
    assert_eq!(second.entities[0].status, "completed");
    // The second run carried on after the first one's pages; it did not start again.
    assert_eq!(
        second.entities[0].records as usize,
        WORK_ORDERS - first_records
    );
    assert_eq!(
        second.entities[0].inserted as usize,
        WORK_ORDERS - first_records
    );
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    studio.forget(&cache);
    assert_eq!(
        studio.records(&source, "WorkOrder").unwrap().len(),
        WORK_ORDERS
    );

    // Push preview: a new custom field, one that fails on every record, one field that
    // becomes null; diffed against version 0 and measured on the 1,000 cached records.
    let active = servers::active_mapping(&client, &demo.connection_id, "WorkOrder")
        .await
        .unwrap();
    assert_eq!(active.version, 0);

    // The cache holds what the server's sync asked Corrigo for, and says so: coverage of
    // the active mapping finds nothing missing (it said "pull again" when a server pull
    // was recorded as `*`). A mapping reading more is told the server's syncs did not ask
    // for it (pulling through the server again cannot bring it).
    let covered = studio
        .coverage(&source, &active.text, &Cancel::default(), |_, _| {})
        .unwrap();
    assert_eq!(covered.unpulled, Vec::<String>::new());
    assert_eq!(covered.unpulled_server, None);
    let reads_more = reading_the_asset_comment(&active.text);
    let short = studio
        .coverage(&source, &reads_more, &Cancel::default(), |_, _| {})
        .unwrap();
    assert_eq!(short.unpulled, vec!["MainAsset.Comment".to_string()]);
    assert_eq!(short.unpulled_server.as_deref(), Some("demo"));
    assert!(!short.unpulled_server_removed);

    // The cache is a server connection: listed as such, and never tested or pulled
    // directly (it has no secret here; that used to fail on the missing secret).
    let listed = studio
        .connections()
        .unwrap()
        .into_iter()
        .find(|c| c.name == cache)
        .expect("the cache is listed");
    assert_eq!(listed.server.as_deref(), Some("demo"));
    assert!(!listed.server_removed, "the server is still there");
    assert!(!listed.has_secret);
    for refused in [
        studio.pull_job(&cache, &[]).err(),
        studio.client(&cache).err(),
        studio.keyring_work().unwrap().client(&cache).err(),
    ] {
        let refused = refused.expect("refused");
        assert_eq!(refused.code, "server_connection", "{refused:?}");
        assert!(refused.message.contains("server `demo`"), "{refused:?}");
    }

    // Impact leaves out the records the mapping's source filter skips, and counts them.
    let open_only = edited(&active.text, |doc| {
        doc["source"]["filter"] = json!({"path": "$.StatusId", "in": ["Open"]});
    });
    let not_open = studio
        .records(&source, "WorkOrder")
        .unwrap()
        .parsed(None)
        .filter(|r| r["StatusId"] != json!("Open"))
        .count();
    assert!(not_open > 0 && not_open < WORK_ORDERS, "{not_open}");
    let filtered = studio
        .push_preview(&source, &open_only, &active, None)
        .unwrap();
    assert_eq!(filtered.records as usize, WORK_ORDERS);
    assert_eq!(filtered.skipped as usize, not_open);
    assert_eq!(filtered.skipped_before, 0);
    assert!(
        filtered.impact.is_empty(),
        "skipped records are not field changes: {:?}",
        filtered.impact
    );

    let text = edited(&active.text, |doc| {
        doc["custom"]["pushedNumber"] = json!({"path": "$.Number"});
        doc["custom"]["numberAsInteger"] = json!({"path": "$.Number", "steps": ["to_integer"]});
        doc["fields"]["title"] = json!({"path": "$.NoSuchMember"});
    });
    let preview = studio.push_preview(&source, &text, &active, None).unwrap();
    assert!(!preview.blocked, "{:?}", preview.problems);
    assert_eq!(preview.active_version, 0);
    assert_eq!(preview.records as usize, WORK_ORDERS);
    assert_eq!((preview.skipped, preview.skipped_before), (0, 0));
    let change = |at: &str| {
        preview
            .changes
            .iter()
            .find(|c| c.at == at)
            .map(|c| c.change.as_str())
    };
    assert_eq!(change("custom.pushedNumber"), Some("added"));
    assert_eq!(change("fields.title"), Some("changed"));
    let impact = |field: &str| {
        preview
            .impact
            .iter()
            .find(|f| f.field == field)
            .unwrap_or_else(|| panic!("no impact on {field}: {:?}", preview.impact))
    };
    let pushed = impact("custom.pushedNumber");
    assert_eq!(pushed.changed as usize, WORK_ORDERS);
    assert_eq!(pushed.examples.len(), 3);
    assert_eq!(pushed.examples[0].before, Value::Null);
    assert!(pushed.examples[0].after.is_string());
    assert_eq!(
        impact("custom.numberAsInteger").start_failing as usize,
        WORK_ORDERS
    );
    let title = impact("fields.title".trim_start_matches("fields."));
    assert!(title.became_null > 0 && title.became_null == title.changed);
    assert!(
        preview.impact.iter().all(|f| f.field != "code"),
        "code did not change"
    );

    // A mapping with an error cannot be pushed, and says where the error is.
    let broken = edited(&active.text, |doc| {
        doc["fields"]["title"] = json!({"path": "$.TaskRefinement", "steps": ["trim", "shout"]});
    });
    let blocked = studio
        .push_preview(&source, &broken, &active, None)
        .unwrap();
    assert!(blocked.blocked);
    assert!(blocked
        .problems
        .iter()
        .any(|p| p.severity == "error" && p.field.as_deref() == Some("title")));
    match servers::push(
        &client,
        &demo.connection_id,
        &broken,
        blocked.active_version,
        None,
    )
    .await
    {
        Err(PushRefusal::Error(error)) => assert_eq!(error.code, "invalid_mapping"),
        other => panic!("a blocked push was not refused: {other:?}"),
    }

    // Push; then verify the first cached record: the server serves what the studio shows.
    let (version, previous) = servers::push(
        &client,
        &demo.connection_id,
        &text,
        preview.active_version,
        Some("studio test"),
    )
    .await
    .unwrap();
    assert_eq!((version, previous), (1, 0));
    let record_id = studio.list_records(&source, "WorkOrder", "").unwrap().rows[0]
        .id
        .clone();
    let ours = studio.studio_record(&source, &text, &record_id).unwrap();
    let verified = servers::verify(&client, &demo.connection_id, "WorkOrder", &record_id, &ours)
        .await
        .unwrap();
    assert!(verified.matches, "{:?}", verified.differences);
    assert_eq!(verified.mapping_version, 1);

    // A second client pushed in between: the stale push sends nothing and names version 2.
    let other = edited(&text, |doc| {
        doc["custom"]["fromElsewhere"] = json!({"const": "x"});
    });
    servers::push(&client, &demo.connection_id, &other, 1, None)
        .await
        .unwrap();
    match servers::push(
        &client,
        &demo.connection_id,
        &text,
        preview.active_version,
        None,
    )
    .await
    {
        Err(PushRefusal::Conflict { expected, active }) => {
            assert_eq!((expected, active.version), (0, 2));
            let again = studio.push_preview(&source, &text, &active, None).unwrap();
            assert_eq!(again.active_version, 2);
            assert_eq!(
                again
                    .changes
                    .iter()
                    .map(|c| (c.at.as_str(), c.change.as_str()))
                    .collect::<Vec<_>>(),
                vec![("custom.fromElsewhere", "removed")]
            );
        }
        other => panic!("expected a conflict, got {other:?}"),
    }

    // Versions and rollback to 0: verify now names the fields the server no longer serves.
    let versions = servers::server_versions(&client, &demo.connection_id, "WorkOrder")
        .await
        .unwrap();
    let numbers: Vec<i64> = versions.iter().map(|v| v.version).collect();
    assert_eq!(numbers.len(), 3, "{numbers:?}");
    assert!(versions
        .iter()
        .any(|v| v.note.as_deref() == Some("studio test")));
    let between = servers::server_version_diff(&client, &demo.connection_id, "WorkOrder", 1, 2)
        .await
        .unwrap();
    assert_eq!(
        between
            .iter()
            .map(|c| (c.at.as_str(), c.change.as_str()))
            .collect::<Vec<_>>(),
        vec![("custom.fromElsewhere", "added")]
    );
    let restored = servers::rollback(&client, &demo.connection_id, "WorkOrder", 0)
        .await
        .unwrap();
    assert_eq!(restored, 3);
    let differs = servers::verify(&client, &demo.connection_id, "WorkOrder", &record_id, &ours)
        .await
        .unwrap();
    assert!(!differs.matches);
    assert_eq!(differs.mapping_version, 3);
    let fields: Vec<&str> = differs
        .differences
        .iter()
        .map(|d| d.field.as_str())
        .collect();
    assert!(fields.contains(&"customFields.pushedNumber"), "{fields:?}");
    assert!(fields.contains(&"title"), "{fields:?}");
    // Verify after a rollback compares the server with the studio's preview of the
    // version rolled back to (same record, same engine): it serves exactly that.
    let rolled_back_to = servers::version_text(&client, &demo.connection_id, "WorkOrder", 0)
        .await
        .unwrap();
    assert_eq!(rolled_back_to, active.text);
    let theirs = studio
        .studio_record(&source, &rolled_back_to, &record_id)
        .unwrap();
    let rolled = servers::verify(
        &client,
        &demo.connection_id,
        "WorkOrder",
        &record_id,
        &theirs,
    )
    .await
    .unwrap();
    assert!(rolled.matches, "{:?}", rolled.differences);
    assert_eq!(rolled.mapping_version, 3);

    // After the server is removed its cache still says which server it came through.
    let cache_name = cache.clone();

    // Removing the server forgets its key.
    studio.remove_server("demo").unwrap();
    assert!(studio.servers().unwrap().is_empty());
    assert_eq!(
        studio.server_client("demo").unwrap_err().code,
        "unknown_server"
    );
    let orphan = studio
        .connections()
        .unwrap()
        .into_iter()
        .find(|c| c.name == cache_name)
        .expect("the cache stays");
    assert_eq!(orphan.server.as_deref(), Some("demo"));
    assert!(orphan.server_removed, "{orphan:?}");
    assert!(!orphan.has_secret);
    // Coverage of what its records lack says the server is gone: no pull through it.
    studio.forget(&cache_name);
    let short = studio
        .coverage(&source, &reads_more, &Cancel::default(), |_, _| {})
        .unwrap();
    assert_eq!(short.unpulled, vec!["MainAsset.Comment".to_string()]);
    assert_eq!(short.unpulled_server.as_deref(), Some("demo"));
    assert!(short.unpulled_server_removed, "{short:?}");
    // Nothing tries Corrigo directly with a secret it never had: the studio says why.
    let refused = studio.client(&cache_name).err().expect("no direct client");
    assert_eq!(refused.code, "server_connection", "{refused:?}");
    assert!(
        refused.message.contains("was removed"),
        "{}",
        refused.message
    );
    demo.sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnect_refuses_bad_credentials_and_changes_nothing() {
    let server_dir = tempfile::tempdir().unwrap();
    let demo = demo(server_dir.path()).await;
    let dir = tempfile::tempdir().unwrap();
    let (_studio, client) = studio_with_demo(dir.path(), &demo).await;
    let sandbox = unifield_corrigo_sandbox::Config::default();
    let refused = servers::reconnect(
        &client,
        &demo.connection_id,
        &sandbox.client_id,
        "not-the-secret-Qx81",
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(refused.code, "credentials_refused", "{refused:?}");
    assert!(!refused.message.contains("not-the-secret-Qx81"));
    let after = servers::server_connections(&client).await.unwrap();
    assert_eq!(after[0].status, "ok", "refused credentials changed nothing");
    let accepted = servers::reconnect(
        &client,
        &demo.connection_id,
        &sandbox.client_id,
        &sandbox.client_secret,
        None,
    )
    .await
    .unwrap();
    assert_eq!(accepted.id, demo.connection_id);
    assert_ne!(accepted.status, "reauthorization_required");
    let empty = servers::reconnect(&client, &demo.connection_id, "", "x", None)
        .await
        .unwrap_err();
    assert_eq!(empty.code, "invalid_credentials");
    demo.sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_events_panel_lists_the_organizations_deliveries() {
    let server_dir = tempfile::tempdir().unwrap();
    let mut settings = unifield_server::Settings::default();
    settings.webhooks.allow_insecure = true;
    settings.webhooks.poll_interval = std::time::Duration::from_millis(50);
    let demo = demo_with(server_dir.path(), settings).await;
    let dir = tempfile::tempdir().unwrap();
    let (_studio, client) = studio_with_demo(dir.path(), &demo).await;
    assert!(servers::recent_deliveries(&client, 20)
        .await
        .unwrap()
        .is_empty());

    // An endpoint nobody listens on (a port just freed), and a ping to it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let hook = format!("http://127.0.0.1:{port}/hook");
    let service = &demo.server.service;
    let org = service.org_id(unifield_server::demo::ORG).unwrap();
    let input = serde_json::from_value(json!({"url": hook, "events": ["*"]})).unwrap();
    let endpoint = service.create_webhook(&org, input).unwrap();
    service.ping_webhook(&org, &endpoint.endpoint.id).unwrap();
    let mut found = Vec::new();
    for _ in 0..50 {
        found = servers::recent_deliveries(&client, 20).await.unwrap();
        if !found.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].endpoint, hook);
    assert_eq!(found[0].event_type, "ping");
    assert!(
        ["pending", "failed"].contains(&found[0].state.as_str()),
        "{found:?}"
    );
    demo.sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_connection_shows_why_and_reconnects_to_where_corrigo_answers() {
    let server_dir = tempfile::tempdir().unwrap();
    let demo = demo(server_dir.path()).await;
    // A Corrigo whose credentials stop working at once: the first sync is refused.
    let (revoked, revoked_config) = sandbox(unifield_corrigo_sandbox::Config {
        work_orders: 20,
        faults: unifield_corrigo_sandbox::Faults {
            revoke_after: Some(0),
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let service = &demo.server.service;
    let org = service.org_id(unifield_server::demo::ORG).unwrap();
    let input = serde_json::from_value(json!({
        "name": "Revoked",
        "company": revoked_config.company,
        "base_url": revoked.base_url,
        "client_id": revoked_config.client_id,
        "client_secret": revoked_config.client_secret,
    }))
    .unwrap();
    // The server's scheduler syncs a new connection at once.
    let connection = service.add_connection(&org, input).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let (_studio, client) = studio_with_demo(dir.path(), &demo).await;
    let listed = |all: Vec<servers::ServerConnectionInfo>| {
        all.into_iter()
            .find(|c| c.id == connection.id)
            .expect("the revoked connection is listed")
    };
    let mut shown = listed(servers::server_connections(&client).await.unwrap());
    for _ in 0..300 {
        if shown.status == "reauthorization_required" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        shown = listed(servers::server_connections(&client).await.unwrap());
    }
    assert_eq!(shown.status, "reauthorization_required", "{shown:?}");
    // Its first sync was refused: the server holds none of its records, so the studio
    // offers Reconnect, not a preview of nothing.
    assert_eq!(shown.records_held, Some(false), "{shown:?}");
    let reason = shown.reason.clone().unwrap_or_default();
    assert!(reason.contains("refused"), "the reason is shown: {shown:?}");
    assert!(
        shown
            .action
            .as_deref()
            .unwrap_or("")
            .contains("credentials"),
        "{shown:?}"
    );

    // Where it was, Corrigo refuses even the right secret: said plainly, nothing changes.
    let refused = servers::reconnect(
        &client,
        &connection.id,
        &revoked_config.client_id,
        &revoked_config.client_secret,
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(refused.code, "credentials_refused", "{refused:?}");
    assert!(refused.message.contains("nothing changed"), "{refused:?}");
    let after = listed(servers::server_connections(&client).await.unwrap());
    assert_eq!(after.status, "reauthorization_required");
    assert_eq!(after.reason, shown.reason);

    // A base URL off this machine in clear is refused before anything is sent.
    let insecure = servers::reconnect(
        &client,
        &connection.id,
        &revoked_config.client_id,
        &revoked_config.client_secret,
        Some("http://corrigo.example.com"),
    )
    .await
    .unwrap_err();
    assert_eq!(insecure.code, "insecure_url", "{insecure:?}");
    assert_eq!(
        insecure.location.as_ref().and_then(|l| l.field.as_deref()),
        Some("baseUrl")
    );

    // A base URL where no Corrigo answers: said in the studio's words (not the server's
    // "502 ... gave up after 3 attempts"), and nothing changes.
    let nothing_there = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        format!("http://127.0.0.1:{port}")
    };
    let unreachable = servers::reconnect(
        &client,
        &connection.id,
        &revoked_config.client_id,
        &revoked_config.client_secret,
        Some(&nothing_there),
    )
    .await
    .unwrap_err();
    assert_eq!(unreachable.code, "corrigo_unavailable", "{unreachable:?}");
    assert_eq!(
        unreachable.message,
        "Nothing changed: Corrigo did not answer at that region/base URL. \
         Check the region or base URL and try again."
    );
    assert_eq!(
        unreachable
            .location
            .as_ref()
            .and_then(|l| l.field.as_deref()),
        Some("baseUrl")
    );
    let after = listed(servers::server_connections(&client).await.unwrap());
    assert_eq!(after.status, "reauthorization_required", "nothing changed");
    assert_eq!(after.reason, shown.reason);

    // The customer's Corrigo moved (a working one): a wrong secret there is refused too;
    // the right one reconnects, and the connection is ok.
    let (fresh, fresh_config) = sandbox(unifield_corrigo_sandbox::Config {
        work_orders: 20,
        ..Default::default()
    })
    .await;
    let wrong = servers::reconnect(
        &client,
        &connection.id,
        &fresh_config.client_id,
        "not-the-secret-Zr40",
        Some(&fresh.base_url),
    )
    .await
    .unwrap_err();
    assert_eq!(wrong.code, "credentials_refused", "{wrong:?}");
    assert!(!wrong.message.contains("not-the-secret-Zr40"));
    assert_eq!(
        listed(servers::server_connections(&client).await.unwrap()).status,
        "reauthorization_required"
    );
    let accepted = servers::reconnect(
        &client,
        &connection.id,
        &fresh_config.client_id,
        &fresh_config.client_secret,
        Some(&format!(" {} ", fresh.base_url)),
    )
    .await
    .unwrap();
    assert_eq!(accepted.id, connection.id);
    assert_ne!(accepted.status, "reauthorization_required", "{accepted:?}");
    assert_eq!(accepted.reason, None, "{accepted:?}");
    assert_eq!(
        accepted.records_held, None,
        "asked only while it cannot sync"
    );
    revoked.stop().await;
    fresh.stop().await;
    demo.sandbox.stop().await;
}

/// The "pull again" warning closes its loop through the server: a mapping reading what
/// the server's records lack is flagged; once it is pushed, the server's raw pages say
/// the records lack it (`properties`) until the sync the push made due pulls work orders
/// whole, and a pull through the server after that holds it: nothing is flagged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mapping_reading_more_is_flagged_until_the_server_resyncs_after_its_push() {
    let server_dir = tempfile::tempdir().unwrap();
    let demo = demo(server_dir.path()).await;
    let dir = tempfile::tempdir().unwrap();
    let (mut studio, client) = studio_with_demo(dir.path(), &demo).await;
    let entities = vec!["WorkOrder".to_string()];
    let pull = |studio: &Studio| {
        studio
            .server_pull_job(client.clone(), "demo", &demo.connection_id, &entities)
            .unwrap()
    };
    let (cache, _) = pull(&studio)
        .run(1, Cancel::default(), |_| {})
        .await
        .unwrap();
    let source = RecordSource::Connection { name: cache };
    let active = servers::active_mapping(&client, &demo.connection_id, "WorkOrder")
        .await
        .unwrap();
    let reads_more = reading_the_asset_comment(&active.text);
    let flagged = studio
        .coverage(&source, &reads_more, &Cancel::default(), |_, _| {})
        .unwrap();
    assert_eq!(flagged.unpulled, vec!["MainAsset.Comment".to_string()]);
    assert_eq!(flagged.unpulled_server.as_deref(), Some("demo"));

    servers::push(
        &client,
        &demo.connection_id,
        &reads_more,
        active.version,
        None,
    )
    .await
    .map_err(|_| "the push was refused")
    .unwrap();
    // The server's scheduler runs the sync the push made due; its raw pages say when the
    // records hold what the syncs ask for (bounded wait).
    let mut page = client
        .raw_page(&demo.connection_id, "WorkOrder", None, 1)
        .await
        .unwrap();
    assert!(page
        .sync_properties
        .iter()
        .any(|p| p == "MainAsset.Comment"));
    for _ in 0..300 {
        if page.properties == page.sync_properties {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        page = client
            .raw_page(&demo.connection_id, "WorkOrder", None, 1)
            .await
            .unwrap();
    }
    assert_eq!(
        page.properties, page.sync_properties,
        "the server re-synced"
    );

    pull(&studio)
        .run(2, Cancel::default(), |_| {})
        .await
        .unwrap();
    let covered = studio
        .coverage(&source, &reads_more, &Cancel::default(), |_, _| {})
        .unwrap();
    assert_eq!(covered.unpulled, Vec::<String>::new());
    assert_eq!(covered.unpulled_server, None);
    demo.sandbox.stop().await;
}

/// Reconnect can move a connection from a base URL to a region (the Reconnect field takes
/// `am`, `emea` or `apac` as well as a URL): the server then finds the company's API host
/// through Corrigo's locator (here the sandbox, standing in for Corrigo's token and locator
/// hosts), and the connection keeps the region, not the old base URL. Something that is
/// neither is refused before anything is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnect_moves_a_connection_from_a_base_url_to_a_region() {
    let (moved, moved_config) = sandbox(unifield_corrigo_sandbox::Config {
        work_orders: 20,
        ..Default::default()
    })
    .await;
    let mut settings = unifield_server::Settings::default();
    settings.corrigo.token_url = Some(format!("{}/OAuth/token", moved.base_url));
    settings.corrigo.locator_url = Some(moved.base_url.clone());
    let server_dir = tempfile::tempdir().unwrap();
    let demo = demo_with(server_dir.path(), settings).await;
    let dir = tempfile::tempdir().unwrap();
    let (_studio, client) = studio_with_demo(dir.path(), &demo).await;
    let connection = client.connections().await.unwrap().remove(0);
    assert_eq!(
        connection.base_url.as_deref(),
        Some(demo.sandbox.base_url.as_str())
    );

    let neither = servers::reconnect(
        &client,
        &connection.id,
        &moved_config.client_id,
        &moved_config.client_secret,
        Some("europe"),
    )
    .await
    .unwrap_err();
    assert_eq!(
        neither.location.as_ref().and_then(|l| l.field.as_deref()),
        Some("baseUrl"),
        "{neither:?}"
    );
    assert!(neither.message.contains("am, emea, apac"), "{neither:?}");

    let accepted = servers::reconnect(
        &client,
        &connection.id,
        &moved_config.client_id,
        &moved_config.client_secret,
        Some(" EMEA "),
    )
    .await
    .unwrap();
    assert_eq!(accepted.id, connection.id);
    assert!(
        ["ok", "syncing"].contains(&accepted.status.as_str()),
        "{accepted:?}"
    );
    let kept = client.connections().await.unwrap().remove(0);
    assert_eq!(kept.region.as_deref(), Some("emea"), "{kept:?}");
    assert_eq!(kept.base_url, None, "{kept:?}");
    moved.stop().await;
    demo.sandbox.stop().await;
}

/// The field a refusal is placed at.
fn field_of(error: &unifield_studio_service::ServiceError) -> Option<&str> {
    error.location.as_ref().and_then(|l| l.field.as_deref())
}

/// A server is kept only when it answers and accepts the key: a wrong key (401, placed at
/// the API key), a URL nothing listens on (connection refused) or https to a port that speaks
/// plain HTTP (TLS failed), both placed at the URL, are refused with their codes, no error
/// quotes the key, and neither servers.json nor the keyring gains anything (the list never
/// holds a server that cannot work).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adding_a_server_that_refuses_the_key_or_does_not_answer_keeps_nothing() {
    use unifield_workspace::SecretStore;
    let server_dir = tempfile::tempdir().unwrap();
    let demo = demo(server_dir.path()).await;
    let dir = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemorySecrets::default());
    let studio = Studio::open(dir.path(), Arc::clone(&secrets) as Arc<dyn SecretStore>).unwrap();
    let files_before = every_file(dir.path());

    let wrong_key = studio
        .add_server(&NewServer {
            name: "wrong".into(),
            url: demo.server.url.clone(),
            api_key: format!("{}x", demo.api_key),
        })
        .await
        .unwrap_err();
    assert_eq!(wrong_key.code, "server_unauthorized", "{wrong_key:?}");
    assert_eq!(field_of(&wrong_key), Some("apiKey"), "{wrong_key:?}");
    assert!(
        wrong_key.message.contains("refused the API key"),
        "{wrong_key:?}"
    );
    assert!(
        !format!("{wrong_key:?}").contains(&demo.api_key),
        "the key is in no error"
    );

    // A loopback port nothing listens on (bound, then let go).
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let unreachable = studio
        .add_server(&NewServer {
            name: "nowhere".into(),
            url: format!("http://127.0.0.1:{port}"),
            api_key: demo.api_key.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        unreachable.code, "server_connection_refused",
        "{unreachable:?}"
    );
    assert_eq!(field_of(&unreachable), Some("url"), "{unreachable:?}");
    assert!(
        unreachable.message.contains("the connection was refused"),
        "{unreachable:?}"
    );
    assert!(!format!("{unreachable:?}").contains(&demo.api_key));

    // https to a port that speaks plain HTTP (the demo's): the TLS handshake fails.
    let plain = demo.server.url.replacen("http://", "https://", 1);
    let tls = studio
        .add_server(&NewServer {
            name: "tls".into(),
            url: plain,
            api_key: demo.api_key.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(tls.code, "server_tls_failed", "{tls:?}");
    assert_eq!(field_of(&tls), Some("url"), "{tls:?}");
    assert!(!format!("{tls:?}").contains(&demo.api_key));

    assert!(studio.servers().unwrap().is_empty(), "nothing is listed");
    for name in ["wrong", "nowhere", "tls"] {
        assert!(
            !secrets
                .exists(&format!("unifield-server-api-key:{name}"))
                .unwrap(),
            "no key kept for `{name}`"
        );
    }
    assert_eq!(
        every_file(dir.path()),
        files_before,
        "the workspace's files are unchanged (no servers.json written)"
    );

    // The right key is kept, and only then.
    let added = studio
        .add_server(&NewServer {
            name: "demo".into(),
            url: demo.server.url.clone(),
            api_key: demo.api_key.clone(),
        })
        .await
        .unwrap();
    assert_eq!(studio.servers().unwrap(), vec![added]);
    assert!(secrets.exists("unifield-server-api-key:demo").unwrap());
}

/// Verify needs a record the change affects (a ✓ on a record the change leaves alone proves
/// nothing): the push preview counts the records the change affects and says whether the
/// selected one is among them. Measured on the bundled samples; no server is involved.
#[test]
fn the_push_preview_says_whether_the_change_affects_the_selected_record() {
    let dir = tempfile::tempdir().unwrap();
    let mut studio = Studio::open(dir.path(), Arc::new(MemorySecrets::default())).unwrap();
    let source = RecordSource::Samples;
    let active = unifield_server_client::VersionedMapping {
        text: studio.mapping("work_order").unwrap().saved_text,
        version: 3,
    };
    // A custom field read from a member only some work orders have: the others keep null.
    let text = edited(&active.text, |doc| {
        doc["custom"]["requestor"] = json!({"path": "$.RequestorContact.Id"});
    });
    let (with, without): (Vec<Value>, Vec<Value>) = studio
        .records(&source, "WorkOrder")
        .unwrap()
        .parsed(None)
        .partition(|r| {
            !r.pointer("/RequestorContact/Id")
                .unwrap_or(&Value::Null)
                .is_null()
        });
    assert!(
        !with.is_empty() && !without.is_empty(),
        "the samples have both kinds"
    );
    // A record's id as the studio lists it: its `Id`, a string as it is.
    let id = |r: &Value| match &r["Id"] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let (touched, untouched) = (id(&with[0]), id(&without[0]));

    let preview = studio
        .push_preview(&source, &text, &active, Some(&touched))
        .unwrap();
    assert_eq!(preview.skipped, 0);
    assert_eq!(preview.affected as usize, with.len(), "{preview:?}");
    assert_eq!(preview.selected_affected, Some(true));
    let examples = &preview
        .impact
        .iter()
        .find(|f| f.field == "custom.requestor")
        .expect("the new field's impact")
        .examples;
    assert!(!examples.is_empty());
    for example in examples {
        assert!(
            with.iter().any(|r| id(r) == example.record_id),
            "an impact example is a record the change affects: {}",
            example.record_id
        );
    }

    let unaffected = studio
        .push_preview(&source, &text, &active, Some(&untouched))
        .unwrap();
    assert_eq!(
        unaffected.selected_affected,
        Some(false),
        "its fields stay as they were"
    );
    assert_eq!(unaffected.affected, preview.affected);

    let unknown = studio
        .push_preview(&source, &text, &active, Some("no-such-record"))
        .unwrap();
    assert_eq!(unknown.selected_affected, None, "not a cached record");
    let none = studio.push_preview(&source, &text, &active, None).unwrap();
    assert_eq!(none.selected_affected, None);

    // No change at all: nothing is affected.
    let same = studio
        .push_preview(&source, &active.text, &active, Some(&touched))
        .unwrap();
    assert_eq!((same.affected, same.selected_affected), (0, Some(false)));
}
