//! Replays the requests in tests/fixtures/corrigo/examples.json (Corrigo's published
//! request/response pairs) against the sandbox and checks each answer has the same shape:
//! the same HTTP status, the same envelope members, the same error code, and, for records
//! both sides return, the same JSON type for every member both have. Ids are swapped for
//! ids the sandbox has (for status commands, a work order in the state the example
//! implies); entities and commands the sandbox does not serve are skipped, each with why.

use reqwest::{Client, Method};
use serde_json::{json, Value};
use std::net::SocketAddr;
use unifield_corrigo_sandbox::{start, Config};

/// Commands the sandbox does not serve, and why.
const NOT_SERVED: &[(&str, &str)] = &[
    (
        "ApStatusChangeCommand",
        "vendor invoicing (WorkOrderCost) is not in the sandbox",
    ),
    (
        "ApSubmitPaymentCommand",
        "vendor invoicing (WorkOrderCost) is not in the sandbox",
    ),
    (
        "CostStatusChangeCommand",
        "vendor invoicing (WorkOrderCost) is not in the sandbox",
    ),
    ("SpaceCreateCommand", "spaces are not in the sandbox"),
    ("TimeCardActionCommand", "time cards are not in the sandbox"),
    (
        "UpdateInvoiceStateCommand",
        "invoices are not in the sandbox",
    ),
    (
        "WorkZoneCreateCommand",
        "work zone creation is not served yet",
    ),
    (
        "SendWorkOrderCommand",
        "the recorded answer is a stale-ConcurrencyId error from its own database",
    ),
];

fn examples() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/corrigo/examples.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The first record in a response, wherever its envelope keeps it.
fn first_record(body: &Value) -> Option<&Value> {
    body.get("Data")
        .or_else(|| body.pointer("/Entities/0/Data"))
        .or_else(|| body.pointer("/CommandResult/Wo"))
        .or_else(|| body.get("EntitySpecifier"))
}

struct Sandbox {
    client: Client,
    base: String,
    token: String,
}

impl Sandbox {
    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("CompanyName", Config::default().company)
    }

    async fn first_id(&self, entity: &str, condition: Option<(&str, &str)>) -> Option<i64> {
        let conditions: Vec<Value> = condition
            .map(|(p, v)| json!({"PropertyName": p, "Operator": "Equal", "Values": [v]}))
            .into_iter()
            .collect();
        let body = json!({"QueryExpression": {"PropertySet": {"Properties": ["Id"]}, "Criteria": {"Conditions": conditions}, "Count": 1}});
        let answer: Value = self
            .request(Method::POST, &format!("/api/v1/query/{entity}"))
            .json(&body)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        answer
            .pointer("/Entities/0/Data/Id")
            .and_then(Value::as_i64)
    }
}

#[tokio::test]
async fn replayed_examples_get_answers_of_the_same_shape() {
    let config = Config {
        work_orders: 300,
        ..Config::default()
    };
    let running = start(config.clone(), SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let client = Client::new();
    let token: Value = client
        .post(format!("{}/OAuth/token", running.base_url))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &config.client_id),
            ("client_secret", &config.client_secret),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sandbox = Sandbox {
        client,
        base: running.base_url.clone(),
        token: token["access_token"].as_str().unwrap().to_string(),
    };

    let (mut replayed, mut skipped, mut mismatches) = (0, Vec::new(), Vec::new());
    for example in examples() {
        let name = format!(
            "{} / {}",
            example["collection"].as_str().unwrap(),
            example["name"].as_str().unwrap()
        );
        let (Some(path), Some(status)) = (example["path"].as_str(), example["status"].as_u64())
        else {
            skipped.push(format!("{name}: no recorded response"));
            continue;
        };
        let mut parts = path.trim_start_matches("/api/v1/").splitn(2, '/');
        let (kind, rest) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let target = rest.split(['?', '/']).next().unwrap_or("");
        let mut body = example["request_body"].clone();
        let expected = &example["response_body"];
        let method = Method::from_bytes(example["method"].as_str().unwrap().as_bytes()).unwrap();
        let request_path = match kind {
            "base" | "query" => {
                let Some(entity) = unifield_corrigo_sandbox::Data::entity(target) else {
                    skipped.push(format!("{name}: {target} is not in the sandbox"));
                    continue;
                };
                if kind == "query" {
                    format!("/api/v1/query/{target}")
                } else {
                    let Some(id) = sandbox.first_id(entity, None).await else {
                        panic!("no {entity} in the sandbox")
                    };
                    if let Some(Value::Object(entity_body)) = body.get_mut("Entity") {
                        // The examples' ids and ConcurrencyIds belong to their own database.
                        entity_body.retain(|k, _| !k.eq_ignore_ascii_case("ConcurrencyId"));
                        for key in ["Id", "ID"] {
                            if entity_body.contains_key(key) {
                                entity_body.insert(key.into(), json!(id));
                            }
                        }
                    }
                    match method {
                        Method::POST | Method::PUT => format!("/api/v1/base/{target}"),
                        _ => format!("/api/v1/base/{target}/{id}"),
                    }
                }
            }
            "cmd" => {
                if let Some((_, why)) = NOT_SERVED.iter().find(|(c, _)| *c == rest) {
                    skipped.push(format!("{name}: {why}"));
                    continue;
                }
                if body.pointer("/Command/WorkOrderId").is_some() {
                    // A work order in the state the example implies.
                    let message = expected["ErrorMessage"].as_str().unwrap_or("");
                    let state = message
                        .split("in state '")
                        .nth(1)
                        .and_then(|s| s.split('\'').next());
                    let state = state.or(if rest == "WoReopenCommand" {
                        Some("Completed")
                    } else {
                        None
                    });
                    let id = sandbox
                        .first_id("WorkOrder", state.map(|s| ("StatusId", s)))
                        .await
                        .expect("a work order in that state");
                    body["Command"]["WorkOrderId"] = json!(id);
                }
                format!("/api/v1/cmd/{rest}")
            }
            _ => {
                skipped.push(format!("{name}: {kind} endpoints are not served"));
                continue;
            }
        };
        let mut request = sandbox.request(method, &request_path);
        match &body {
            Value::Null => {}
            Value::String(raw) => {
                request = request
                    .header("content-type", "application/json")
                    .body(raw.clone())
            }
            other => request = request.json(other),
        }
        let response = request.send().await.unwrap();
        let actual_status = response.status().as_u16() as u64;
        let actual: Value = response.json().await.unwrap_or(Value::Null);
        replayed += 1;
        let mut problems = Vec::new();
        if actual_status != status {
            problems.push(format!("status {actual_status}, recorded {status}"));
        }
        let keys = |v: &Value| {
            v.as_object()
                .map(|m| {
                    let mut k: Vec<String> = m.keys().cloned().collect();
                    k.sort();
                    k
                })
                .unwrap_or_default()
        };
        if keys(&actual) != keys(expected) {
            problems.push(format!(
                "envelope {:?}, recorded {:?}",
                keys(&actual),
                keys(expected)
            ));
        }
        if expected.get("ErrorCode").is_some()
            && actual.get("ErrorCode") != expected.get("ErrorCode")
        {
            problems.push(format!(
                "error {}, recorded {}",
                actual["ErrorCode"], expected["ErrorCode"]
            ));
        }
        if let (Some(Value::Object(a)), Some(Value::Object(e))) =
            (first_record(&actual), first_record(expected))
        {
            for (key, value) in e {
                if let Some(ours) = a.get(key) {
                    if type_of(ours) != type_of(value) && !value.is_null() {
                        problems.push(format!(
                            "{key} is {}, recorded {}",
                            type_of(ours),
                            type_of(value)
                        ));
                    }
                }
            }
        }
        if !problems.is_empty() {
            mismatches.push(format!(
                "{name} ({} {path}): {}",
                example["method"],
                problems.join("; ")
            ));
        }
    }
    println!(
        "replayed {replayed} examples; skipped {}:\n  {}",
        skipped.len(),
        skipped.join("\n  ")
    );
    assert!(
        mismatches.is_empty(),
        "{} of {replayed} differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    assert!(replayed >= 50, "only {replayed} examples replayed");
    running.stop().await;
}
