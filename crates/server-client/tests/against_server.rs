//! The client against a real `unifield-server` on 127.0.0.1 (the demo: an in-process Corrigo
//! sandbox, an organization, a synced connection and an API key), over real HTTP.

use serde_json::Value;
use std::net::SocketAddr;
use unifield_server_client::{ApiKey, Error, ServerClient, Unreachability};

async fn demo(dir: &std::path::Path) -> unifield_server::demo::Demo {
    unifield_server::demo::start_demo(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        Some(dir.join("data")),
        unifield_server::Settings::default(),
    )
    .await
    .expect("the demo server starts")
}

fn with_custom_field(text: &str, name: &str, path: &str) -> String {
    let mut mapping: Value = serde_json::from_str(text).unwrap();
    mapping["custom"][name] = serde_json::json!({ "path": path });
    serde_json::to_string_pretty(&mapping).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_loop_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let demo = demo(dir.path()).await;
    let client = ServerClient::new(&demo.server.url, ApiKey::new(&demo.api_key).unwrap()).unwrap();
    let id = demo.connection_id.clone();

    let connections = client.connections().await.unwrap();
    assert_eq!(connections.len(), 1);
    assert_eq!(connections[0].id, id);
    let status = client.status(&id).await.unwrap();
    assert_eq!(status.status, "ok");
    assert_eq!(
        status.last_sync.as_ref().map(|s| s.status.as_str()),
        Some("completed")
    );

    // Raw records page by page to the end: every synced work order, once.
    let mut cursor = None;
    let mut ids = std::collections::BTreeSet::new();
    let mut pages = 0;
    loop {
        let page = client
            .raw_page(&id, "WorkOrder", cursor.as_deref(), 300)
            .await
            .unwrap();
        pages += 1;
        assert!(page.data.len() <= 300);
        // What the server's syncs asked Corrigo for: `*` and what the mappings read beyond.
        assert_eq!(page.properties.first().map(String::as_str), Some("*"));
        assert!(page.properties.len() > 1, "{:?}", page.properties);
        // Nothing pushed since the sync: the records hold what the syncs ask for.
        assert_eq!(page.sync_properties, page.properties);
        for record in &page.data {
            assert!(ids.insert(record["Id"].to_string()), "a record came twice");
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
        assert!(pages < 100, "paging does not end");
    }
    assert_eq!(ids.len(), unifield_server::demo::WORK_ORDERS);
    assert!(pages >= 4);

    // Push against the active version; the unified API serves the new field at once.
    let active = client.active_mapping(&id, "WorkOrder").await.unwrap();
    assert_eq!(active.version, 0);
    let pushed_text = with_custom_field(&active.text, "pushedNumber", "$.Number");
    let published = client
        .push(
            &id,
            "WorkOrder",
            &pushed_text,
            active.version,
            Some("from the client test"),
        )
        .await
        .unwrap();
    assert_eq!((published.previous_version, published.version), (0, 1));
    let key = ids.iter().next().unwrap().trim_matches('"').to_string();
    let record = client.unified_record(&id, "WorkOrder", &key).await.unwrap();
    assert_eq!(record.mapping_version, 1);
    assert!(
        record.data["customFields"]["pushedNumber"].is_string(),
        "{}",
        record.data
    );

    // A second push made against version 0 is a conflict naming version 1; nothing changes.
    let stale = client
        .push(&id, "WorkOrder", &active.text, 0, None)
        .await
        .unwrap_err();
    assert!(
        matches!(
            stale,
            Error::Conflict {
                expected: 0,
                active: 1
            }
        ),
        "{stale:?}"
    );
    assert_eq!(stale.code(), "version_mismatch");
    assert_eq!(
        client
            .active_mapping(&id, "WorkOrder")
            .await
            .unwrap()
            .version,
        1
    );

    // An invalid mapping is refused with its problems located.
    let broken = with_custom_field(&active.text, "broken", "$[");
    match client.push(&id, "WorkOrder", &broken, 1, None).await {
        Err(Error::Invalid { problems, .. }) => {
            assert!(!problems.is_empty());
            assert!(problems.iter().any(|p| !p.message.is_empty()));
        }
        other => panic!("expected a refusal, got {other:?}"),
    }

    // Versions and rollback (a new version equal to 0): the field is gone again.
    let versions = client.versions(&id, "WorkOrder").await.unwrap();
    let numbers: Vec<i64> = versions.iter().map(|v| v.version).collect();
    assert!(numbers.contains(&0) && numbers.contains(&1), "{numbers:?}");
    assert!(versions
        .iter()
        .any(|v| v.note.as_deref() == Some("from the client test")));
    let old = client.version(&id, "WorkOrder", 1).await.unwrap();
    assert_eq!(old.text, pushed_text);
    let rolled = client.rollback(&id, "WorkOrder", 0).await.unwrap();
    assert_eq!(rolled.version, 2);
    let record = client.unified_record(&id, "WorkOrder", &key).await.unwrap();
    assert_eq!(record.mapping_version, 2);
    assert!(record.data["customFields"].get("pushedNumber").is_none());

    // Webhook deliveries: the demo has no endpoint; an unknown one is not found.
    assert!(client.webhooks().await.unwrap().is_empty());
    assert!(matches!(
        client.deliveries("no-such-endpoint", 10).await,
        Err(Error::NotFound(_))
    ));

    // Unknown connection: not found; wrong key: unauthorized, and the key is in no error.
    assert!(matches!(
        client.status("no-such-connection").await,
        Err(Error::NotFound(_))
    ));
    let wrong =
        ServerClient::new(&demo.server.url, ApiKey::new("uf_wrong_key_Zq").unwrap()).unwrap();
    let refused = wrong.connections().await.unwrap_err();
    assert_eq!(refused.code(), "server_unauthorized");
    assert!(!format!("{refused} {refused:?}").contains("uf_wrong_key_Zq"));

    demo.sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_is_said_plainly() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = ServerClient::new(
        &format!("http://127.0.0.1:{port}"),
        ApiKey::new("uf_key_never_shown").unwrap(),
    )
    .unwrap();
    let error = client.connections().await.unwrap_err();
    assert_eq!(error.code(), "server_unreachable");
    assert!(
        matches!(
            error,
            Error::Unreachable {
                cause: Unreachability::Refused,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("the connection was refused"),
        "{error}"
    );
    assert!(!format!("{error} {error:?}").contains("uf_key_never_shown"));
}

/// https to a port that answers plain HTTP: the TLS handshake fails, and the error says so
/// (typed: the cause is read from the rustls error in the chain, not from words).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_to_a_plain_http_port_is_a_tls_failure() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // One connection: read what the client sends (its TLS hello), answer in plain HTTP.
    let answering = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        let mut hello = [0u8; 512];
        let _ = stream.read(&mut hello);
        let _ = stream.write_all(
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        );
    });
    let client = ServerClient::new(
        &format!("https://127.0.0.1:{port}"),
        ApiKey::new("uf_key_never_shown").unwrap(),
    )
    .unwrap();
    let error = client.connections().await.unwrap_err();
    answering.join().unwrap();
    assert!(
        matches!(
            error,
            Error::Unreachable {
                cause: Unreachability::Tls,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("TLS"), "{error}");
    assert!(!format!("{error} {error:?}").contains("uf_key_never_shown"));
}

/// A server that takes the connection and never answers: the request's bound ends it, and
/// the error says the server did not answer in time (here bounded to 1 s, not the 65 s of
/// [`unifield_server_client::REQUEST_TIMEOUT`]).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_is_a_timeout() {
    // Bound and listening: the kernel accepts the connection; nothing reads or answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let client = ServerClient::with_timeout(
        &format!("http://127.0.0.1:{port}"),
        ApiKey::new("uf_key_never_shown").unwrap(),
        std::time::Duration::from_secs(1),
    )
    .unwrap();
    let error = client.connections().await.unwrap_err();
    drop(listener);
    assert!(
        matches!(
            error,
            Error::Unreachable {
                cause: Unreachability::Timeout,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("no answer in time"), "{error}");
    assert!(!format!("{error} {error:?}").contains("uf_key_never_shown"));
}
