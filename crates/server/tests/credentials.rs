//! Refused credentials and reconnecting; and the secret and API key never leaving: not
//! in the database file, its WAL, or any response.

mod common;

use common::{assert_error, start_sandbox, Harness, CLIENT_SECRET};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

async fn revoked_credentials_stop_syncing_until_a_reconnect_with_working_ones(db: common::Db) {
    // Four API calls are served: the work orders' pages, two windows of two pages of 100
    // (the second window: 50 records and an empty page); then the credentials are revoked.
    // With three, the third and fourth calls race, and either page may be the refused one.
    let Some(h) = Harness::start_on(db, 250, "revoke-after=4").await else {
        return;
    };
    let (org, key) = h.org("acme");
    let id = h.add_connection(&key, "sb").await;
    let outcome = h.server.service.sync_connection(&org, &id).await.unwrap();
    assert_eq!(outcome.status, "reauthorization_required", "{outcome:?}");

    let (_, status) = h.get(&format!("/api/connections/{id}/status"), &key).await;
    assert_eq!(status["status"], "reauthorization_required", "{status}");
    assert!(status["action"].as_str().unwrap().contains("/credentials"));
    assert_eq!(status["next_sync_at"], Value::Null);
    assert_eq!(status["last_sync"]["status"], "reauthorization_required");
    // Syncing stops: not due, and not on request.
    assert!(h
        .server
        .service
        .storage
        .due_connections("9999")
        .unwrap()
        .is_empty());
    let (code, _, body) = h
        .send(
            Method::POST,
            &format!("/api/connections/{id}/sync"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    assert_error(&body, "reauthorization_required");
    // What was committed before the refusal is kept and served.
    let (_, work_orders) = h
        .get(
            &format!("/api/connections/{id}/eam/work-orders?per_page=1"),
            &key,
        )
        .await;
    assert_eq!(work_orders["meta"]["total"], 250);
    let kinds: Vec<String> = h
        .server
        .service
        .storage
        .events_after(0, 10_000)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    for kind in [
        "sync.failed",
        "connection.reauthorization_required",
        "connection.status_changed",
    ] {
        assert!(
            kinds.iter().any(|k| k == kind),
            "{kind} missing from {kinds:?}"
        );
    }

    // A working Corrigo elsewhere; bad credentials there change nothing.
    let (fresh, fresh_config) = start_sandbox(40, "").await;
    let bad = json!({"client_id": fresh_config.client_id, "client_secret": "not-the-secret", "base_url": fresh.base_url});
    let (code, _, body) = h
        .send(
            Method::PUT,
            &format!("/api/connections/{id}/credentials"),
            Some(&key),
            Some(&bad),
        )
        .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_error(&body, "credentials_refused");
    let (_, after_bad) = h.get(&format!("/api/connections/{id}"), &key).await;
    assert_eq!(after_bad["status"], "reauthorization_required");
    assert_eq!(after_bad["base_url"], h.sandbox.base_url.as_str());

    let good = json!({"client_id": fresh_config.client_id, "client_secret": CLIENT_SECRET, "base_url": fresh.base_url});
    let (code, _, body) = h
        .send(
            Method::PUT,
            &format!("/api/connections/{id}/credentials"),
            Some(&key),
            Some(&good),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ok");
    assert!(body["next_sync_at"].is_string());
    assert_eq!(
        h.server
            .service
            .storage
            .due_connections("9999")
            .unwrap()
            .len(),
        1
    );
    let outcome = h.server.service.sync_connection(&org, &id).await.unwrap();
    assert_eq!(outcome.status, "completed", "{outcome:?}");
    let (_, status) = h.get(&format!("/api/connections/{id}/status"), &key).await;
    assert_eq!(status["status"], "ok");
    assert_eq!(status["last_sync"]["status"], "completed");
}

/// Reconnect moves a connection from a base URL to a region: the server keeps the region
/// (and no base URL) and its syncs find the API host through Corrigo's locator, here a
/// second sandbox standing in for Corrigo's token and locator hosts. A region not known,
/// or a region and a base URL at once, is refused and changes nothing.
async fn a_reconnect_moves_a_connection_from_a_base_url_to_a_region(db: common::Db) {
    // Its own client id: the first sandbox refuses it, so a sync that completes with it
    // went to the regional one.
    let regional_config = unifield_corrigo_sandbox::Config {
        work_orders: 40,
        client_id: "regional-client".into(),
        client_secret: CLIENT_SECRET.into(),
        ..Default::default()
    };
    let regional = unifield_corrigo_sandbox::start(regional_config.clone(), common::loopback())
        .await
        .unwrap();
    let mut settings = common::fast_settings();
    settings.corrigo.token_url = Some(format!("{}/OAuth/token", regional.base_url));
    settings.corrigo.locator_url = Some(regional.base_url.clone());
    let Some((h, _)) = Harness::start_with_settings(db, 30, "", settings).await else {
        return;
    };
    let (org, key) = h.org("acme");
    let id = h.synced_connection(&key, &org).await;
    let path = format!("/api/connections/{id}/credentials");
    let credentials = |extra: Value| {
        let mut body =
            json!({"client_id": regional_config.client_id, "client_secret": CLIENT_SECRET});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    for (extra, code) in [
        (json!({"region": "mars"}), "invalid_region"),
        (
            json!({"region": "emea", "base_url": regional.base_url}),
            "invalid_endpoint",
        ),
    ] {
        let (status, _, body) = h
            .send(Method::PUT, &path, Some(&key), Some(&credentials(extra)))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_error(&body, code);
    }
    let (_, unchanged) = h.get(&format!("/api/connections/{id}"), &key).await;
    assert_eq!(unchanged["base_url"], h.sandbox.base_url.as_str());
    assert_eq!(unchanged["region"], Value::Null);

    let (status, _, body) = h
        .send(
            Method::PUT,
            &path,
            Some(&key),
            Some(&credentials(json!({"region": "emea"}))),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, moved) = h.get(&format!("/api/connections/{id}"), &key).await;
    assert_eq!(moved["region"], "emea", "{moved}");
    assert_eq!(moved["base_url"], Value::Null, "{moved}");
    // The next sync reaches the regional Corrigo with its credentials.
    let outcome = h.server.service.sync_connection(&org, &id).await.unwrap();
    assert_eq!(outcome.status, "completed", "{outcome:?}");
    assert!(outcome.records > 0, "{outcome:?}");
    regional.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_client_secret_and_api_key_appear_in_no_file_and_no_response() {
    let h = Harness::start(60, "").await;
    let (org, key) = h.org("acme");
    let id = h.synced_connection(&key, &org).await;
    let mut bodies: Vec<String> = Vec::new();
    let requests: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, "/api/connections".into(), None),
        (Method::GET, format!("/api/connections/{id}"), None),
        (Method::GET, format!("/api/connections/{id}/status"), None),
        (
            Method::GET,
            format!("/api/connections/{id}/raw/WorkOrder?limit=5"),
            None,
        ),
        (
            Method::GET,
            format!("/api/connections/{id}/eam/work-orders?per_page=5"),
            None,
        ),
        (Method::GET, format!("/api/connections/{id}/mappings"), None),
        (Method::GET, format!("/api/connections/{id}/tokens"), None),
        (
            Method::POST,
            "/api/connections".into(),
            Some(
                json!({"name": "x", "company": "y", "base_url": "http://evil.example", "client_id": "z", "client_secret": CLIENT_SECRET}),
            ),
        ),
        (
            Method::POST,
            "/api/connections".into(),
            Some(json!({"name": "x", "client_secret": CLIENT_SECRET})),
        ),
        (
            Method::PUT,
            format!("/api/connections/{id}/credentials"),
            Some(json!({"client_id": "wrong", "client_secret": format!("{CLIENT_SECRET}-old")})),
        ),
        (
            Method::PUT,
            format!("/api/connections/{id}/credentials"),
            Some(json!({"client_id": h.sandbox_config.client_id, "client_secret": CLIENT_SECRET})),
        ),
    ];
    for (method, path, body) in requests {
        let (_, headers, answer) = h.send(method, &path, Some(&key), body.as_ref()).await;
        bodies.push(format!("{headers:?} {answer}"));
    }
    let (_, _, unauthorized) = h
        .send(
            Method::GET,
            "/api/connections",
            Some(&format!("{key}x")),
            None,
        )
        .await;
    bodies.push(unauthorized.to_string());
    for body in &bodies {
        assert!(!body.contains(CLIENT_SECRET), "{body}");
        assert!(!body.contains(&key), "{body}");
    }

    let data = h.dir.path().join("data");
    let mut files = 0;
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            !contains(&bytes, CLIENT_SECRET),
            "{} holds the client secret",
            path.display()
        );
        assert!(
            !contains(&bytes, &key),
            "{} holds the API key",
            path.display()
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode & 0o077, 0, "{} is mode {mode:o}", path.display());
        files += 1;
    }
    assert!(data.join("server.sqlite-wal").exists());
    assert!(files >= 2);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&data).unwrap().permissions().mode() & 0o777,
        0o700
    );
}

#[test]
fn a_key_file_others_can_read_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = common::key_file(dir.path());
    assert!(
        unifield_server::MasterKey::load(&unifield_server::MasterKeySource::File(path.clone()))
            .is_ok()
    );
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let error = unifield_server::MasterKey::load(&unifield_server::MasterKeySource::File(path))
        .err()
        .unwrap();
    assert_eq!(error.code(), "master_key_unavailable");
    assert!(error.to_string().contains("chmod 600"), "{error}");
}

on_both_backends!(
    revoked_credentials_stop_syncing_until_a_reconnect_with_working_ones,
    a_reconnect_moves_a_connection_from_a_base_url_to_a_region
);
