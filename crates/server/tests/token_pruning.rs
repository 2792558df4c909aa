//! The security review's finding on revoked tokens: they were never deleted (the cap counts
//! live ones only, so an organization could pile revoked rows up without bound). Now a
//! revoked token is listed for `revoked_token_grace` (30 days by default), then deleted by
//! a later revocation of its organization, a bounded batch at a time.

mod common;

use common::{assert_error, fast_settings, Db, Harness};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::time::Duration;

on_both_backends!(
    revoked_tokens_past_their_grace_are_deleted_by_later_revocations,
    revoked_tokens_within_their_grace_stay_listed,
);

/// A new token of the connection: (id, secret).
async fn create_token(h: &Harness, key: &str, connection: &str) -> (String, String) {
    let (status, body) = h.post_token(key, connection).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (
        body["id"].as_str().unwrap().to_string(),
        body["secret"].as_str().unwrap().to_string(),
    )
}

async fn revoke(h: &Harness, key: &str, connection: &str, token: &str) {
    let (status, _, body) = h
        .send(
            Method::DELETE,
            &format!("/api/connections/{connection}/tokens/{token}"),
            Some(key),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    // Revocation times are kept to the millisecond: the next one is later.
    tokio::time::sleep(Duration::from_millis(20)).await;
}

/// The connection's tokens as listed: (id, revoked), sorted (tokens made within one
/// millisecond are listed in id order).
async fn listed(h: &Harness, key: &str, connection: &str) -> Vec<(String, bool)> {
    let (status, body) = h
        .get(&format!("/api/connections/{connection}/tokens"), key)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array()
        .unwrap()
        .iter()
        .map(|t: &Value| {
            (
                t["id"].as_str().unwrap().to_string(),
                !t["revoked_at"].is_null(),
            )
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

fn sorted(mut tokens: Vec<(String, bool)>) -> Vec<(String, bool)> {
    tokens.sort();
    tokens
}

async fn revoked_tokens_past_their_grace_are_deleted_by_later_revocations(db: Db) {
    let mut settings = fast_settings();
    // Every revoked token is past its grace by the next revocation.
    settings.revoked_token_grace = Duration::ZERO;
    let Some((h, _)) = Harness::start_with_settings(db, 1, "", settings).await else {
        return;
    };
    let (_, acme) = h.org("acme");
    let (_, beta) = h.org("beta");
    let connection = h.add_connection(&acme, "sandbox").await;
    let beta_connection = h.add_connection(&beta, "sandbox").await;
    let mut tokens = Vec::new();
    for _ in 0..4 {
        tokens.push(create_token(&h, &acme, &connection).await);
    }
    let (beta_token, _) = create_token(&h, &beta, &beta_connection).await;
    revoke(&h, &beta, &beta_connection, &beta_token).await;

    revoke(&h, &acme, &connection, &tokens[0].0).await;
    // The first revocation had nothing past its grace to delete.
    let after_first = listed(&h, &acme, &connection).await;
    assert_eq!(after_first.len(), 4, "{after_first:?}");
    assert!(after_first.contains(&(tokens[0].0.clone(), true)));

    revoke(&h, &acme, &connection, &tokens[1].0).await;
    let after_second = listed(&h, &acme, &connection).await;
    assert_eq!(
        after_second,
        sorted(vec![
            (tokens[1].0.clone(), true),
            (tokens[2].0.clone(), false),
            (tokens[3].0.clone(), false),
        ]),
        "the token revoked first is deleted"
    );
    revoke(&h, &acme, &connection, &tokens[2].0).await;
    let after_third = listed(&h, &acme, &connection).await;
    assert_eq!(
        after_third,
        sorted(vec![
            (tokens[2].0.clone(), true),
            (tokens[3].0.clone(), false)
        ])
    );
    // Deleted or revoked, a token no longer authenticates; the live one still does.
    for (_, secret) in &tokens[..3] {
        let (status, body) = h.get("/api/eam/statuses/work-orders", secret).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_error(&body, "unauthorized");
    }
    let (status, body) = h.get("/api/eam/statuses/work-orders", &tokens[3].1).await;
    assert_ne!(status, StatusCode::UNAUTHORIZED, "{body}");
    // Another organization's revoked token is its own business: still listed.
    assert_eq!(
        listed(&h, &beta, &beta_connection).await,
        vec![(beta_token, true)]
    );
}

async fn revoked_tokens_within_their_grace_stay_listed(db: Db) {
    let Some((h, _)) = Harness::start_with_settings(db, 1, "", fast_settings()).await else {
        return;
    };
    assert_eq!(
        h.server.service.settings.revoked_token_grace,
        Duration::from_secs(30 * 24 * 3600)
    );
    let (_, acme) = h.org("acme");
    let connection = h.add_connection(&acme, "sandbox").await;
    let mut tokens = Vec::new();
    for _ in 0..3 {
        tokens.push(create_token(&h, &acme, &connection).await.0);
    }
    for token in &tokens {
        revoke(&h, &acme, &connection, token).await;
    }
    let all = listed(&h, &acme, &connection).await;
    assert_eq!(
        all,
        sorted(tokens.iter().map(|t| (t.clone(), true)).collect())
    );
}
