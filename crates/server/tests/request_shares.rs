//! The security review's open finding on request slots: one tenant could take every slot.
//! - Each organization gets a bounded share of the node's concurrent-request slots, counted
//!   after authentication (half by default): beyond it, 429 `too_many_requests` with
//!   `Retry-After`, while another organization is still served.
//! - A request body must arrive within `body_read_timeout` (10 s by default): a slow POST
//!   body gets 408 `body_timeout` and frees its slot instead of holding it for the whole
//!   request timeout. A body over the limit gets 413 `body_too_large`.
//!
//! The middleware plays no part in storage: SQLite only.

mod common;

use common::{assert_error, fast_settings, served_and_refused, Db, Harness};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_organization_gets_at_most_its_share_of_the_request_slots() {
    let mut settings = fast_settings();
    // Four slots on the node: one organization may hold two (half, the default).
    settings.max_concurrent_requests = 4;
    settings.overload_retry_after = Duration::from_secs(3);
    // Each Corrigo call takes 3 s: a credentials test holds its request (and slot) that long.
    let Some((h, _)) =
        Harness::start_with_settings(Db::Sqlite, 1, "latency-ms=3000", settings).await
    else {
        return;
    };
    assert_eq!(h.server.service.settings.requests_per_org(), 2);
    let (_, acme) = h.org("acme");
    let (_, beta) = h.org("beta");
    let id = h.add_connection(&acme, "sandbox").await;
    let reconnect = || h.spawn_reconnect(&acme, &id);
    // Three at once from one organization, with two free slots left on the node: two are
    // served, the third is refused at once.
    let requests = [reconnect(), reconnect(), reconnect()];
    // While acme holds its two: beta is served, acme's next request is refused.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, listed) = h.get("/api/connections", &beta).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "another organization is served: {listed}"
    );
    let (status, headers, body) = h
        .send(Method::GET, "/api/connections", Some(&acme), None)
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_error(&body, "too_many_requests");
    assert_eq!(headers["retry-after"], "3");

    let (served, refused) = served_and_refused(requests, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(served, 2, "{refused:?}");
    assert_eq!(refused.len(), 1, "{refused:?}");
    let (retry_after, body) = &refused[0];
    assert_eq!(retry_after.as_deref(), Some("3"));
    assert_error(body, "too_many_requests");
    assert!(
        body["message"].as_str().unwrap().contains("2 requests"),
        "{body}"
    );
    // Its places are given back when the requests end.
    let (status, listed) = h.get("/api/connections", &acme).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
}

/// Writes `request` to the server as it is (then sends nothing more, the connection left
/// open) and reads the answer, within 20 s, as raw text.
async fn raw_exchange(h: &Harness, request: Vec<u8>) -> String {
    use std::io::{Read, Write};
    let addr = h.server.addr;
    tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        // The server may answer before it has read everything: a failed write is fine.
        let _ = stream.write_all(&request);
        let _ = stream.flush();
        let mut response = Vec::new();
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    response.extend_from_slice(&buffer[..n]);
                    if String::from_utf8_lossy(&response).contains("\"problems\"") {
                        break;
                    }
                }
            }
        }
        String::from_utf8_lossy(&response).into_owned()
    })
    .await
    .unwrap()
}

fn post_head(h: &Harness, key: &str, length_header: &str) -> String {
    format!(
        "POST /api/connections HTTP/1.1\r\nhost: {}\r\nauthorization: Bearer {key}\r\ncontent-type: application/json\r\n{length_header}\r\n\r\n",
        h.server.addr
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_slow_request_body_is_refused_and_frees_its_slot() {
    let mut settings = fast_settings();
    settings.max_concurrent_requests = 1;
    settings.body_read_timeout = Duration::from_millis(300);
    // Far longer than the test waits: without the body deadline the stalled request would
    // hold the one slot until then.
    settings.request_timeout = Duration::from_secs(60);
    let Some((h, _)) = Harness::start_with_settings(Db::Sqlite, 1, "", settings).await else {
        return;
    };
    let (_, key) = h.org("acme");
    // The head and the start of a 200-byte body, then nothing more.
    let stalled = format!("{}{{\"name\": ", post_head(&h, &key, "content-length: 200"));
    let response = raw_exchange(&h, stalled.into_bytes()).await;
    assert!(
        response.starts_with("HTTP/1.1 408"),
        "a stalled body: {response}"
    );
    assert!(response.contains("\"body_timeout\""), "{response}");
    // The one slot is free again.
    let (status, listed) = h.get("/api/connections", &key).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed, json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_limit_is_refused_with_a_code() {
    let h = Harness::start(1, "").await;
    let (_, key) = h.org("acme");
    let big = "x".repeat(unifield_server::http::BODY_LIMIT + 1);
    // Declared too large: refused before anything is read.
    let response = h
        .http
        .post(h.url("/api/connections"))
        .bearer_auth(&key)
        .header("content-type", "application/json")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_error(&body, "body_too_large");
    // Chunked, with no length: the limit is found while reading.
    let mut request = post_head(&h, &key, "transfer-encoding: chunked").into_bytes();
    for chunk in big.as_bytes().chunks(64 * 1024) {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    let response = raw_exchange(&h, request).await;
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(response.contains("\"body_too_large\""), "{response}");
}

/// Clients generated from the document (and schemathesis) expect the new answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_lists_the_share_and_body_answers() {
    let document = serde_json::to_value(unifield_server::http::openapi()).unwrap();
    let paths = document["paths"].as_object().unwrap();
    let mut checked = 0;
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            let responses = &operation["responses"];
            let public = path == "/api/health" || path == "/api/openapi.json";
            if !["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                continue;
            }
            checked += 1;
            assert_eq!(
                responses["429"].is_object(),
                !public,
                "{method} {path}: 429"
            );
            let takes_body = ["put", "post", "patch"].contains(&method.as_str());
            assert_eq!(responses["408"].is_object(), takes_body, "{method} {path}");
            assert_eq!(responses["413"].is_object(), takes_body, "{method} {path}");
        }
    }
    assert!(checked > 30, "{checked}");
    let busy = &document["paths"]["/api/connections"]["get"]["responses"]["429"];
    assert!(busy["headers"]["Retry-After"].is_object(), "{busy}");
}
