//! Tenant isolation: two organizations, every operation of the OpenAPI document, each
//! organization's key against the other's ids. Nothing is read or written across. On both
//! backends (SQLite, PostgreSQL).

mod common;

use common::{Db, Harness};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Every operation in the document, as (method, path template).
fn operations(document: &Value) -> Vec<(Method, String)> {
    let mut out = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, _) in item.as_object().unwrap() {
            let method = match method.as_str() {
                "get" => Method::GET,
                "post" => Method::POST,
                "put" => Method::PUT,
                "delete" => Method::DELETE,
                "patch" => Method::PATCH,
                _ => continue,
            };
            out.push((method, path.clone()));
        }
    }
    out
}

on_both_backends!(no_key_reads_or_writes_another_organizations_connection);

async fn no_key_reads_or_writes_another_organizations_connection(db: Db) {
    let Some(h) = Harness::start_on(db, 20, "").await else {
        return;
    };
    let (org_a, key_a) = h.org("alpha");
    let (org_b, key_b) = h.org("beta");
    let connection_a = h.synced_connection(&key_a, &org_a).await;
    let connection_b = h.synced_connection(&key_b, &org_b).await;
    let (_, _, token_a) = h
        .send(
            Method::POST,
            &format!("/api/connections/{connection_a}/tokens"),
            Some(&key_a),
            None,
        )
        .await;
    let token_a_id = token_a["id"].as_str().unwrap().to_string();

    let (_, document) = h.get("/api/openapi.json", &key_a).await;
    let operations = operations(&document);
    assert!(operations.len() >= 20, "{}", operations.len());

    let (mapping_b, _) = h.mapping(&key_b, &connection_b, "WorkOrder").await;
    let versions_before = h
        .server
        .service
        .versions(&org_a, &connection_a, "WorkOrder")
        .unwrap();
    let mut checked = 0;
    for (key, other_connection) in [(&key_b, &connection_a), (&key_a, &connection_b)] {
        for (method, template) in &operations {
            if !template.contains("{id}") {
                continue;
            }
            let path = template
                .replace("{id}", other_connection)
                .replace("{entity}", "WorkOrder")
                .replace("{collection}", "work-orders")
                .replace("{key}", "1")
                .replace("{version}", "0")
                .replace("{token_id}", &token_a_id);
            let body = match (method.as_str(), template.as_str()) {
                ("PUT", t) if t.ends_with("/credentials") => {
                    Some(json!({"client_id": "x", "client_secret": "y"}))
                }
                ("POST", t) if t.ends_with("/rollback") => Some(json!({"version": 0})),
                _ => None,
            };
            let response = {
                let mut request = h
                    .http
                    .request(method.clone(), h.url(&path))
                    .bearer_auth(key);
                if template.ends_with("/mappings/{entity}") && method == Method::PUT {
                    request = request
                        .header("if-match", "\"0\"")
                        .body(mapping_b.to_string());
                } else if let Some(body) = &body {
                    request = request.json(body);
                }
                request.send().await.unwrap()
            };
            let status = response.status();
            let text = response.text().await.unwrap();
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {text}");
            let error: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(error["code"], "not_found", "{method} {path}: {text}");
            checked += 1;
        }
    }
    assert!(checked >= 36, "{checked}");

    // Each still sees exactly its own, unchanged.
    let (_, list_a) = h.get("/api/connections", &key_a).await;
    let (_, list_b) = h.get("/api/connections", &key_b).await;
    assert_eq!(list_a.as_array().unwrap().len(), 1);
    assert_eq!(list_a[0]["id"], connection_a.as_str());
    assert_eq!(list_b.as_array().unwrap().len(), 1);
    assert_eq!(list_b[0]["id"], connection_b.as_str());
    let versions_after = h
        .server
        .service
        .versions(&org_a, &connection_a, "WorkOrder")
        .unwrap();
    assert_eq!(versions_before.len(), versions_after.len());
    let (_, tokens) = h
        .get(&format!("/api/connections/{connection_a}/tokens"), &key_a)
        .await;
    assert_eq!(tokens[0]["revoked_at"], Value::Null);
    let (status, _) = h
        .get(&format!("/api/connections/{connection_a}/status"), &key_a)
        .await;
    assert_eq!(status, StatusCode::OK);
    // A token reads only its own connection.
    let secret = token_a["secret"].as_str().unwrap();
    let (_, own) = h.get("/api/eam/work-orders?per_page=500", secret).await;
    let (_, direct) = h
        .get(
            &format!("/api/connections/{connection_a}/eam/work-orders?per_page=500"),
            &key_a,
        )
        .await;
    assert_eq!(own["data"], direct["data"]);
    let (status, _) = h
        .get(
            &format!("/api/connections/{connection_b}/eam/work-orders"),
            secret,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
