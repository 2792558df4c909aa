//! The sandbox's token table is bounded (issue 10): a client that signs in over and over
//! cannot grow it without end; past the bound the oldest token is forgotten.

use reqwest::Client;
use serde_json::Value;
use std::net::SocketAddr;
use unifield_corrigo_sandbox::{start, Config, MAX_TOKENS};

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
    response["access_token"].as_str().unwrap().to_string()
}

async fn read_with(client: &Client, base: &str, token: &str) -> Value {
    client
        .get(format!("{base}/api/v1/base/WorkOrder/10001"))
        .bearer_auth(token)
        .header("CompanyName", Config::default().company)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn signing_in_without_end_forgets_the_oldest_token_not_memory() {
    let config = Config {
        work_orders: 5,
        ..Config::default()
    };
    let running = start(config, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let base = running.base_url.clone();
    let client = Client::new();
    let first = sign_in(&client, &base).await;
    assert_eq!(read_with(&client, &base, &first).await["Data"]["Id"], 10001);
    let mut latest = String::new();
    for _ in 0..MAX_TOKENS {
        latest = sign_in(&client, &base).await;
    }
    assert_eq!(
        read_with(&client, &base, &first).await["ErrorCode"],
        "INCORRECT_TOKEN",
        "the oldest of {} live tokens was forgotten",
        MAX_TOKENS + 1
    );
    assert_eq!(
        read_with(&client, &base, &latest).await["Data"]["Id"],
        10001
    );
    running.stop().await;
}
