//! Findings of a security review, each pinned by a test over real HTTP on 127.0.0.1 (or
//! the real service the server runs): what a hostile client or a careless log line could
//! get out of the server.

mod common;

use common::Harness;
use serde_json::json;

/// A `{:?}` of what key and token creation and webhook creation return (as a log line or
/// an error might print it) shows neither the bearer credential nor the signing secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_output_of_created_keys_and_webhook_secrets_is_redacted() {
    let harness = Harness::start(1, "").await;
    let service = &harness.server.service;
    let (org_id, key) = harness.org("acme");
    let created = service.create_key("acme", "second key").unwrap();
    assert!(created.secret.starts_with("ufk_"));
    let printed = format!("{created:?}");
    assert!(!printed.contains(&created.secret), "{printed}");
    assert!(printed.contains(&created.id), "{printed}");

    let connection_id = harness.add_connection(&key, "sandbox").await;
    let token = service
        .create_token(&org_id, &connection_id, "reader")
        .unwrap();
    assert!(token.secret.starts_with("uct_"));
    let printed = format!("{token:?}");
    assert!(!printed.contains(&token.secret), "{printed}");

    let input: unifield_server::webhooks::WebhookInput = serde_json::from_value(json!({
        "url": "https://receiver.example/hooks",
        "events": ["ping"],
    }))
    .unwrap();
    let endpoint = service.create_webhook(&org_id, input).unwrap();
    assert!(endpoint.secret.starts_with("whsec_"));
    let printed = format!("{endpoint:?}");
    assert!(!printed.contains(&endpoint.secret), "{printed}");
    assert!(printed.contains(&endpoint.endpoint.id), "{printed}");
}

/// The server speaks plain HTTP: a careless `--listen 0.0.0.0:8787` would take API keys
/// and Corrigo client secrets over the network in clear. Only loopback is accepted unless
/// the operator states a TLS-terminating proxy is in front.
#[test]
fn a_non_loopback_listen_address_needs_a_tls_proxy_in_front() {
    let address = |text: &str| text.parse::<std::net::SocketAddr>().unwrap();
    for loopback in ["127.0.0.1:8787", "127.0.0.2:0", "[::1]:8787"] {
        assert_eq!(
            unifield_server::check_listen(address(loopback), false),
            Ok(())
        );
    }
    for exposed in [
        "0.0.0.0:8787",
        "[::]:8787",
        "10.1.2.3:80",
        "[::ffff:127.0.0.1]:80",
    ] {
        let refused = unifield_server::check_listen(address(exposed), false).unwrap_err();
        assert!(refused.contains("--behind-tls-proxy"), "{refused}");
        assert_eq!(
            unifield_server::check_listen(address(exposed), true),
            Ok(())
        );
    }
}

/// `UNIFIELD_DATABASE_URL` is where the PostgreSQL password goes; a `{:?}` of the server's
/// configuration does not print it.
#[test]
fn debug_output_of_the_server_configuration_hides_the_database_password() {
    let mut config = unifield_server::ServerConfig::new(
        "127.0.0.1:0".parse().unwrap(),
        std::path::PathBuf::from("/nonexistent"),
    );
    config.database = Some("postgres://unifield:pg-Secret-4711@db.internal:5432/unifield".into());
    let printed = format!("{config:?}");
    assert!(!printed.contains("pg-Secret-4711"), "{printed}");
    assert!(printed.contains("db.internal"), "{printed}");
    config.database = Some("postgres://unifield:pg-Secret-4711@db internal/x".into());
    let printed = format!("{config:?}");
    assert!(!printed.contains("pg-Secret-4711"), "{printed}");
}
