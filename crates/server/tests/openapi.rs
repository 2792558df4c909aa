//! The OpenAPI document and the routes cannot drift: every documented operation is
//! answered by a route (never the no-such-route fallback nor 405), and the document lists
//! exactly the operations this test knows the server has.

mod common;

use common::{Db, Harness};
use reqwest::{Method, StatusCode};
use serde_json::Value;

const EXPECTED: &[&str] = &[
    "GET /api/connections",
    "POST /api/connections",
    "GET /api/connections/{id}",
    "DELETE /api/connections/{id}",
    "PUT /api/connections/{id}/credentials",
    "GET /api/connections/{id}/eam/statuses/work-orders",
    "GET /api/connections/{id}/eam/{collection}",
    "GET /api/connections/{id}/eam/{collection}/custom-fields",
    "GET /api/connections/{id}/eam/{collection}/{key}",
    "GET /api/connections/{id}/mappings",
    "GET /api/connections/{id}/mappings/{entity}",
    "PUT /api/connections/{id}/mappings/{entity}",
    "POST /api/connections/{id}/mappings/{entity}/rollback",
    "GET /api/connections/{id}/mappings/{entity}/versions",
    "GET /api/connections/{id}/mappings/{entity}/versions/{version}",
    "GET /api/connections/{id}/raw/{entity}",
    "GET /api/connections/{id}/status",
    "POST /api/connections/{id}/sync",
    "GET /api/connections/{id}/tokens",
    "POST /api/connections/{id}/tokens",
    "DELETE /api/connections/{id}/tokens/{token_id}",
    "GET /api/eam/statuses/work-orders",
    "GET /api/eam/{collection}",
    "GET /api/eam/{collection}/custom-fields",
    "GET /api/eam/{collection}/{key}",
    "GET /api/health",
    "GET /api/openapi.json",
    "GET /api/webhooks",
    "POST /api/webhooks",
    "GET /api/webhooks/{id}",
    "PATCH /api/webhooks/{id}",
    "DELETE /api/webhooks/{id}",
    "POST /api/webhooks/{id}/rotate-secret",
    "POST /api/webhooks/{id}/test",
    "GET /api/webhooks/{id}/deliveries",
    "POST /api/webhooks/{id}/deliveries/{delivery_id}/redeliver",
];

on_both_backends!(the_document_and_the_routes_agree);

async fn the_document_and_the_routes_agree(db: Db) {
    let Some(h) = Harness::start_on(db, 5, "").await else {
        return;
    };
    let (org, key) = h.org("acme");
    let connection = h.synced_connection(&key, &org).await;
    let (_, _, token) = h
        .send(
            Method::POST,
            &format!("/api/connections/{connection}/tokens"),
            Some(&key),
            None,
        )
        .await;
    let token = token["secret"].as_str().unwrap().to_string();

    // Served without a key.
    let response = h.http.get(h.url("/api/openapi.json")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let document: Value = response.json().await.unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    assert_eq!(
        document,
        serde_json::to_value(unifield_server::http::openapi()).unwrap()
    );

    let mut documented = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    documented.sort();
    let mut expected: Vec<String> = EXPECTED.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(documented, expected);

    for operation in EXPECTED {
        let (method, template) = operation.split_once(' ').unwrap();
        let path = template
            .replace("{id}", &connection)
            .replace("{entity}", "WorkOrder")
            .replace("{collection}", "work-orders")
            .replace("{key}", "no-such-key")
            .replace("{version}", "0")
            .replace("{token_id}", "tok_none");
        let bearer = if template.starts_with("/api/eam") {
            &token
        } else {
            &key
        };
        let method: Method = method.parse().unwrap();
        let response = h
            .http
            .request(method.clone(), h.url(&path))
            .bearer_auth(bearer)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{operation}");
        assert_ne!(body["code"], "no_such_route", "{operation}: {body}");
        assert!(!status.is_server_error(), "{operation}: {status} {body}");
        // Every documented operation declares the status it answered.
        let responses = &document["paths"][template][method.as_str().to_lowercase()]["responses"];
        assert!(
            responses.get(status.as_str()).is_some(),
            "{operation} answered {status}, which its document does not list: {body}"
        );
    }
    // And a path the document does not have is the fallback.
    let (status, body) = h.get("/api/nothing-here", &key).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "no_such_route");
}
