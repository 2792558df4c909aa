//! The sandbox over real HTTP on a loopback port, as a Corrigo client sees it.

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::net::SocketAddr;
use unifield_corrigo_sandbox::{start, Config, Running};

async fn sandbox(faults: &str) -> Running {
    let config = Config {
        work_orders: 250,
        faults: faults.parse().unwrap(),
        ..Config::default()
    };
    start(config, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap()
}

async fn sign_in(client: &Client, base: &str) -> String {
    let config = Config::default();
    let response: Value = client
        .post(format!("{base}/OAuth/token"))
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
    assert_eq!(response["token_type"], "bearer");
    response["access_token"].as_str().unwrap().to_string()
}

fn call(
    client: &Client,
    method: reqwest::Method,
    url: String,
    token: &str,
) -> reqwest::RequestBuilder {
    client
        .request(method, url)
        .bearer_auth(token)
        .header("CompanyName", Config::default().company)
}

/// Sends `request` and reads its JSON body, whatever the status.
async fn answer(request: reqwest::RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn token_then_locator_then_reads_with_corrigo_envelopes() {
    let running = sandbox("").await;
    let base = running.base_url.clone();
    let client = Client::new();
    let token = sign_in(&client, &base).await;

    let located = answer(call(&client, reqwest::Method::POST, format!("{base}/api/v1/cmd/GetCompanyWsdkUrlCommand"), &token)
        .json(&json!({"Command": {"CompanyName": "Unifield Sandbox", "Protocol": "HTTP", "ApiType": "REST"}, "RequestId": "r1"}))).await;
    assert_eq!(located["CommandResult"]["Url"], format!("{base}/"));
    assert_eq!(located["RequestId"], "r1");

    let one = answer(call(
        &client,
        reqwest::Method::GET,
        format!("{base}/api/v1/base/workorder/10001"),
        &token,
    ))
    .await;
    assert_eq!(
        one["Data"]["Id"], 10001,
        "entity names are case-insensitive"
    );
    assert!(
        one["Data"].get("Items").is_none(),
        "collections only on request"
    );
    let projected = answer(call(
        &client,
        reqwest::Method::GET,
        format!("{base}/api/v1/base/WorkOrder?ID=10001&properties=Number,Priority.*"),
        &token,
    ))
    .await;
    assert_eq!(
        projected["Data"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["Number", "Priority"]
    );

    let missing = call(
        &client,
        reqwest::Method::GET,
        format!("{base}/api/v1/base/WorkOrder/1"),
        &token,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["ErrorCode"], "ERROR_CODE_1019");
    assert!(body["TimeStamp"].as_str().unwrap().ends_with('Z'));
    running.stop().await;
}

#[tokio::test]
async fn queries_page_by_offset_until_a_short_page() {
    let running = sandbox("").await;
    let base = running.base_url.clone();
    let client = Client::new();
    let token = sign_in(&client, &base).await;
    let mut ids = Vec::new();
    let mut first = 0;
    loop {
        let page = answer(call(&client, reqwest::Method::POST, format!("{base}/api/v1/query/WorkOrder"), &token)
            .json(&json!({"QueryExpression": {"PropertySet": {"Properties": ["Id", "StatusId"]},
                "Criteria": {"Conditions": [{"PropertyName": "StatusId", "Operator": "NotIn", "Values": ["Completed"]}], "FilterOperator": "And"},
                "Orders": [{"PropertyName": "Id", "OrderType": "Ascending"}], "Count": 40, "FirstResultIndex": first}}))).await;
        let entities = page["Entities"].as_array().unwrap();
        ids.extend(entities.iter().map(|e| e["Data"]["Id"].as_i64().unwrap()));
        assert!(entities
            .iter()
            .all(|e| e["Data"]["StatusId"] != "Completed"));
        if entities.len() < 40 {
            break;
        }
        first += 40;
    }
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(ids, sorted, "ascending, no duplicates across pages");
    assert!(ids.len() > 40 && ids.len() < 250, "{}", ids.len());
    let bad = call(
        &client,
        reqwest::Method::POST,
        format!("{base}/api/v1/query/Spaceship"),
        &token,
    )
    .json(&json!({"QueryExpression": {}}))
    .send()
    .await
    .unwrap();
    assert_eq!(
        bad.json::<Value>().await.unwrap()["ErrorCode"],
        "ENTITY_NOT_FOUND"
    );
    running.stop().await;
}

#[tokio::test]
async fn authorization_and_company_are_checked_with_corrigo_codes() {
    let running = sandbox("").await;
    let base = running.base_url.clone();
    let client = Client::new();
    let url = format!("{base}/api/v1/base/WorkZone/1");
    let code = |response: reqwest::Response| async move {
        (
            response.status(),
            response.json::<Value>().await.unwrap()["ErrorCode"].clone(),
        )
    };
    assert_eq!(
        code(client.get(&url).send().await.unwrap()).await,
        (
            StatusCode::UNAUTHORIZED,
            json!("MISSING_AUTHORIZATION_HEADER")
        )
    );
    assert_eq!(
        code(
            client
                .get(&url)
                .header("Authorization", "Basic x")
                .send()
                .await
                .unwrap()
        )
        .await,
        (StatusCode::FORBIDDEN, json!("MISSING_AUTHORIZATION_SCHEME"))
    );
    assert_eq!(
        code(
            call(&client, reqwest::Method::GET, url.clone(), "forged")
                .send()
                .await
                .unwrap()
        )
        .await,
        (StatusCode::FORBIDDEN, json!("INCORRECT_TOKEN"))
    );
    let token = sign_in(&client, &base).await;
    let wrong_company = client
        .get(&url)
        .bearer_auth(&token)
        .header("CompanyName", "Someone Else")
        .send()
        .await
        .unwrap();
    assert_eq!(
        code(wrong_company).await,
        (StatusCode::BAD_REQUEST, json!("DATABASE_VERSION_MISMATCH"))
    );
    let wrong_secret = client
        .post(format!("{base}/OAuth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "ceapiclient.1.sandbox.0001"),
            ("client_secret", "nope"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_secret.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        wrong_secret.json::<Value>().await.unwrap()["error"],
        "invalid_client"
    );
    running.stop().await;
}

#[tokio::test]
async fn faults_throttle_fail_truncate_expire_and_revoke() {
    let running = sandbox("429=0.2,500=0.2,truncate=0.2").await;
    let base = running.base_url.clone();
    let client = Client::new();
    let token = sign_in(&client, &base).await;
    let (mut ok, mut throttled, mut failed, mut truncated) = (0, 0, 0, 0);
    for _ in 0..200 {
        let response = call(
            &client,
            reqwest::Method::GET,
            format!("{base}/api/v1/base/WorkZone/1"),
            &token,
        )
        .send()
        .await
        .unwrap();
        match response.status() {
            StatusCode::TOO_MANY_REQUESTS => {
                assert_eq!(response.headers()["retry-after"], "1");
                throttled += 1;
            }
            StatusCode::INTERNAL_SERVER_ERROR => failed += 1,
            StatusCode::OK => match response.json::<Value>().await {
                Ok(_) => ok += 1,
                Err(_) => truncated += 1,
            },
            other => panic!("unexpected {other}"),
        }
    }
    // 20% each of 200 calls, drawn from a seeded generator: loose bounds, not exact counts.
    for (what, n) in [
        ("throttled", throttled),
        ("failed", failed),
        ("truncated", truncated),
    ] {
        assert!((10..=70).contains(&n), "{what}: {n}");
    }
    assert!(ok > 50, "{ok}");
    running.stop().await;

    let running = sandbox("token-ttl-s=1,revoke-after=3").await;
    let base = running.base_url.clone();
    let token_value = sign_in(&client, &base).await;
    let url = format!("{base}/api/v1/base/WorkZone/1");
    assert_eq!(
        call(&client, reqwest::Method::GET, url.clone(), &token_value)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let expired = call(&client, reqwest::Method::GET, url.clone(), &token_value)
        .send()
        .await
        .unwrap();
    assert_eq!(
        expired.json::<Value>().await.unwrap()["ErrorCode"],
        "EXPIRED_TOKEN"
    );
    let fresh = sign_in(&client, &base).await;
    let served = call(&client, reqwest::Method::GET, url.clone(), &fresh)
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), StatusCode::OK);
    // Three API calls made: the credentials are now revoked.
    let revoked = call(&client, reqwest::Method::GET, url.clone(), &fresh)
        .send()
        .await
        .unwrap();
    assert_eq!(
        revoked.json::<Value>().await.unwrap()["ErrorCode"],
        "INCORRECT_TOKEN"
    );
    let config = Config::default();
    let refused = client
        .post(format!("{base}/OAuth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &config.client_id),
            ("client_secret", &config.client_secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    running.stop().await;
}

#[tokio::test]
async fn writes_keep_concurrency_soft_delete_and_refuse_what_corrigo_refuses() {
    let running = sandbox("").await;
    let base = running.base_url.clone();
    let client = Client::new();
    let token = sign_in(&client, &base).await;
    let send = |method: reqwest::Method, path: &str, body: Option<Value>| {
        let request = call(&client, method, format!("{base}{path}"), &token);
        let request = match body {
            Some(b) => request.json(&b),
            None => request,
        };
        async move {
            let response = request.send().await.unwrap();
            (response.status(), response.json::<Value>().await.unwrap())
        }
    };
    let (status, created) = send(reqwest::Method::POST, "/api/v1/base/Customer", Some(json!({"Entity": {"Name": "New Tenant", "DisplayAs": "New Tenant", "WorkZone": {"Id": 1, "DisplayAs": "x"}}}))).await;
    assert_eq!(status, StatusCode::OK);
    let id = created["EntitySpecifier"]["Id"].as_i64().unwrap();
    assert_eq!(created["EntitySpecifier"]["ConcurrencyId"], 1);
    let (_, read) = send(
        reqwest::Method::GET,
        &format!("/api/v1/base/Customer/{id}"),
        None,
    )
    .await;
    assert_eq!(
        read["Data"]["WorkZone"],
        json!({"Id": 1}),
        "a reference stays a reference"
    );

    let (status, stale) = send(reqwest::Method::PUT, "/api/v1/base/Customer", Some(json!({"Properties": ["Name"], "Entity": {"Id": id, "Name": "Renamed", "ConcurrencyId": 7}}))).await;
    assert_eq!(
        (status, stale["ErrorCode"].clone()),
        (StatusCode::BAD_REQUEST, json!("ERROR_CODE_6"))
    );
    let (_, updated) = send(reqwest::Method::PUT, "/api/v1/base/Customer", Some(json!({"Properties": ["Name"], "Entity": {"Id": id, "Name": "Renamed", "ConcurrencyId": 1}}))).await;
    assert_eq!(updated["EntitySpecifier"]["ConcurrencyId"], 2);
    let (_, unknown) = send(
        reqwest::Method::PUT,
        "/api/v1/base/Customer",
        Some(json!({"Properties": ["Nickname"], "Entity": {"Id": id}})),
    )
    .await;
    assert_eq!(
        unknown["ErrorMessage"],
        "Customer entity does not expose \"Nickname\" property."
    );

    let (status, _) = send(
        reqwest::Method::DELETE,
        &format!("/api/v1/base/Customer/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, deleted) = send(
        reqwest::Method::GET,
        &format!("/api/v1/base/Customer/{id}"),
        None,
    )
    .await;
    assert_eq!(
        (
            deleted["Data"]["IsRemoved"].clone(),
            deleted["Data"]["DisplayAs"].clone()
        ),
        (json!(true), json!("New Tenant (deleted)"))
    );
    let (_, refused) = send(
        reqwest::Method::DELETE,
        "/api/v1/base/WorkOrder/10001",
        None,
    )
    .await;
    assert_eq!(refused["ErrorCode"], "ERROR_CODE_1000");
    running.stop().await;
}

#[tokio::test]
async fn work_orders_move_through_the_status_commands_and_refuse_bad_transitions() {
    let running = sandbox("").await;
    let base = running.base_url.clone();
    let client = Client::new();
    let token = sign_in(&client, &base).await;
    let command = |name: &str, body: Value| {
        let request = call(
            &client,
            reqwest::Method::POST,
            format!("{base}/api/v1/cmd/{name}"),
            &token,
        )
        .json(&json!({"Command": body, "RequestId": "t"}));
        answer(request)
    };
    let created = command("Workorder/Create", json!({"WorkOrder": {"Items": [{"Asset": {"Id": 2003}, "Task": {"Id": 14389}}], "TypeCategory": 4, "WorkZone": {"Id": 2}, "Customer": {"Id": 3}}})).await;
    let wo = &created["CommandResult"]["Wo"];
    assert_eq!(
        (
            wo["StatusId"].clone(),
            wo["TypeCategory"].clone(),
            created["RequestId"].clone()
        ),
        (json!("New"), json!("Request"), json!("t"))
    );
    let id = wo["Id"].as_i64().unwrap();
    assert!(
        wo["Number"].as_str().unwrap().starts_with("ASN002"),
        "{}",
        wo["Number"]
    );
    let refused = command("WoCompleteCommand", json!({"WorkOrderId": id})).await;
    assert_eq!(
        refused["ErrorMessage"],
        "{!{Work Order}!} that is in state 'New' cannot be placed in the state 'Completed'"
    );
    assert_eq!(refused["RequestId"], "t");
    for (name, state) in [
        ("WoPickUpCommand", "Open"),
        ("WoStartCommand", "InProgress"),
        ("WoPauseCommand", "Paused"),
        ("WoCompleteCommand", "Completed"),
    ] {
        assert_eq!(
            command(name, json!({"WorkOrderId": id})).await["CommandResult"]["Wo"]["StatusId"],
            state,
            "{name}"
        );
    }
    assert_eq!(
        command("WoCancelCommand", json!({"WorkOrderId": id})).await["ErrorCode"],
        "BUSINESS_LOGIC_ERROR"
    );
    let reopened = command("WoReopenCommand", json!({"WorkOrderId": id})).await;
    assert_eq!(reopened["CommandResult"]["Wo"]["StatusId"], "New");
    assert_eq!(
        reopened["CommandResult"]["Wo"]["ConcurrencyId"], 6,
        "one increment per change"
    );
    assert_eq!(
        command("WoTeleportCommand", json!({"WorkOrderId": id})).await["ErrorCode"],
        "COMMAND_NOT_FOUND"
    );
    running.stop().await;
}

/// A property nested deeper than 16 members is refused (400 `PROPERTY_TOO_DEEP`) by a
/// query and a read by id, where one with 40 dots once made the sandbox build 2^40
/// projection nodes.
#[tokio::test]
async fn a_property_nested_too_deep_is_refused() {
    let running = sandbox("").await;
    let base = running.base_url.clone();
    let client = Client::new();
    let token = sign_in(&client, &base).await;
    let deep = std::iter::once("Items")
        .chain(std::iter::repeat_n("Asset", 40))
        .collect::<Vec<_>>()
        .join(".");
    let query = call(
        &client,
        reqwest::Method::POST,
        format!("{base}/api/v1/query/WorkOrder"),
        &token,
    )
    .json(&json!({"QueryExpression": {"PropertySet": {"Properties": ["Id", deep]}, "Count": 5}}))
    .send()
    .await
    .unwrap();
    assert_eq!(query.status(), StatusCode::BAD_REQUEST);
    let body: Value = query.json().await.unwrap();
    assert_eq!(body["ErrorCode"], "PROPERTY_TOO_DEEP", "{body}");
    let read = call(
        &client,
        reqwest::Method::GET,
        format!("{base}/api/v1/base/WorkOrder/10001?properties=Id,{deep}"),
        &token,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(read.status(), StatusCode::BAD_REQUEST);
    let body: Value = read.json().await.unwrap();
    assert_eq!(body["ErrorCode"], "PROPERTY_TOO_DEEP", "{body}");
    // Sixteen dots are served.
    let sixteen = std::iter::once("Items")
        .chain(std::iter::repeat_n("Asset", 16))
        .collect::<Vec<_>>()
        .join(".");
    let served = answer(
        call(&client, reqwest::Method::POST, format!("{base}/api/v1/query/WorkOrder"), &token)
            .json(&json!({"QueryExpression": {"PropertySet": {"Properties": ["Id", sixteen]}, "Count": 5}})),
    )
    .await;
    assert_eq!(served["Entities"].as_array().unwrap().len(), 5, "{served}");
    running.stop().await;
}

/// Which properties an entity exposes comes from its declared members, not the records
/// held: in a 2-work-order sandbox where neither has items, `Items.*` is still served
/// (the records come back without `Items`, as Corrigo leaves an empty collection out),
/// while a name the entity does not declare is refused as Corrigo refuses it.
#[tokio::test]
async fn a_declared_property_no_stored_record_has_is_served_and_an_undeclared_one_refused() {
    let seed = (1..200)
        .find(|&seed| {
            unifield_corrigo_sandbox::Data::generate(seed, 2)
                .records("WorkOrder")
                .iter()
                .all(|wo| wo.get("Items").is_none())
        })
        .expect("a seed whose two work orders have no items");
    let config = Config {
        seed,
        work_orders: 2,
        ..Config::default()
    };
    let running = start(config, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let base = running.base_url.clone();
    let client = Client::new();
    let token = sign_in(&client, &base).await;
    let query = |properties: Value| {
        call(
            &client,
            reqwest::Method::POST,
            format!("{base}/api/v1/query/WorkOrder"),
            &token,
        )
        .json(&json!({"QueryExpression": {"PropertySet": {"Properties": properties}, "Count": 10}}))
        .send()
    };
    let served = query(json!(["Id", "Items.*", "items.Task.Id"]))
        .await
        .unwrap();
    assert_eq!(served.status(), StatusCode::OK);
    let served: Value = served.json().await.unwrap();
    let entities = served["Entities"].as_array().unwrap();
    assert_eq!(entities.len(), 2, "{served}");
    for entity in entities {
        assert!(entity["Data"]["Id"].is_i64(), "{served}");
        assert!(entity["Data"].get("Items").is_none(), "{served}");
    }
    let refused = query(json!(["Id", "Workorder"])).await.unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let refused: Value = refused.json().await.unwrap();
    assert_eq!(refused["ErrorCode"], "ERROR_CODE_1002", "{refused}");
    assert_eq!(
        refused["ErrorMessage"],
        "WorkOrder entity does not expose \"Workorder\" property."
    );
    let read = answer(call(
        &client,
        reqwest::Method::GET,
        format!(
            "{base}/api/v1/base/WorkOrder/{}?properties=Id,Items.*",
            entities[0]["Data"]["Id"]
        ),
        &token,
    ))
    .await;
    assert!(read["Data"]["Id"].is_i64(), "{read}");
    running.stop().await;
}
