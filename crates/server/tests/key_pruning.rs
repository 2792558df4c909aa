//! Revoked API keys were never deleted (revoked connection tokens are, see
//! token_pruning.rs): an organization's revoked key rows grew without bound. Now a revoked
//! key is listed for `revoked_key_grace` (30 days by default), then deleted by a later key
//! revocation of its organization, a bounded batch at a time. What an audit reads stays:
//! the mapping versions a key published keep its name.

mod common;

use common::{assert_error, fast_settings, Db, Harness};
use reqwest::StatusCode;
use std::time::Duration;

on_both_backends!(
    revoked_keys_past_their_grace_are_deleted_by_later_revocations,
    revoked_keys_within_their_grace_stay_listed,
);

/// The organization's keys as listed: (name, revoked), by name (keys made within one
/// millisecond are listed in id order).
fn listed(h: &Harness, org: &str) -> Vec<(String, bool)> {
    let mut keys: Vec<_> = h
        .server
        .service
        .keys(org)
        .unwrap()
        .into_iter()
        .map(|k| (k.name, k.revoked_at.is_some()))
        .collect();
    keys.sort();
    keys
}

fn revoke(h: &Harness, org: &str, key_id: &str) {
    h.server.service.revoke_key(org, key_id).unwrap();
    // Revocation times are kept to the millisecond: the next one is later.
    std::thread::sleep(Duration::from_millis(20));
}

async fn revoked_keys_past_their_grace_are_deleted_by_later_revocations(db: Db) {
    let mut settings = fast_settings();
    // Every revoked key is past its grace by the next revocation.
    settings.revoked_key_grace = Duration::ZERO;
    let Some((h, _)) = Harness::start_with_settings(db, 1, "", settings).await else {
        return;
    };
    let service = &h.server.service;
    let (_, acme_key) = h.org("acme");
    h.org("beta");
    let keys: Vec<_> = (0..3)
        .map(|n| service.create_key("acme", &format!("deploy {n}")).unwrap())
        .collect();
    let beta_extra = service.create_key("beta", "beta deploy").unwrap();
    revoke(&h, "beta", &beta_extra.id);

    // The first key publishes a mapping version: its name is on the version.
    let connection = h.add_connection(&acme_key, "sandbox").await;
    let (base, _) = h.mapping(&acme_key, &connection, "WorkOrder").await;
    h.push_round(&keys[0].secret, &connection, &base, 1).await;

    revoke(&h, "acme", &keys[0].id);
    // The first revocation had nothing past its grace to delete.
    assert_eq!(
        listed(&h, "acme"),
        vec![
            ("acme key".to_string(), false),
            ("deploy 0".to_string(), true),
            ("deploy 1".to_string(), false),
            ("deploy 2".to_string(), false),
        ]
    );
    revoke(&h, "acme", &keys[1].id);
    assert_eq!(
        listed(&h, "acme"),
        vec![
            ("acme key".to_string(), false),
            ("deploy 1".to_string(), true),
            ("deploy 2".to_string(), false),
        ],
        "the key revoked first is deleted"
    );
    // Deleted or revoked, a key no longer authenticates; the live ones still do.
    for key in &keys[..2] {
        let (status, body) = h.get("/api/connections", &key.secret).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_error(&body, "unauthorized");
    }
    for secret in [&keys[2].secret, &acme_key] {
        let (status, body) = h.get("/api/connections", secret).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    // The audit trail: the version the deleted key published still names it.
    let (status, versions) = h
        .get(
            &format!("/api/connections/{connection}/mappings/WorkOrder/versions"),
            &acme_key,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{versions}");
    let published: Vec<_> = versions
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["version"] == 1)
        .map(|v| v["key_name"].clone())
        .collect();
    assert_eq!(published, vec![serde_json::json!("deploy 0")], "{versions}");
    // Another organization's revoked key is its own business: still listed.
    assert_eq!(
        listed(&h, "beta"),
        vec![
            ("beta deploy".to_string(), true),
            ("beta key".to_string(), false)
        ]
    );
}

async fn revoked_keys_within_their_grace_stay_listed(db: Db) {
    let Some((h, _)) = Harness::start_with_settings(db, 1, "", fast_settings()).await else {
        return;
    };
    assert_eq!(
        h.server.service.settings.revoked_key_grace,
        Duration::from_secs(30 * 24 * 3600)
    );
    let service = &h.server.service;
    h.org("acme");
    let keys: Vec<_> = (0..3)
        .map(|n| service.create_key("acme", &format!("deploy {n}")).unwrap())
        .collect();
    for key in &keys {
        revoke(&h, "acme", &key.id);
    }
    assert_eq!(
        listed(&h, "acme"),
        vec![
            ("acme key".to_string(), false),
            ("deploy 0".to_string(), true),
            ("deploy 1".to_string(), true),
            ("deploy 2".to_string(), true),
        ]
    );
}
