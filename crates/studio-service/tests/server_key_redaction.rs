//! The server API key the studio is given goes to the keyring only: a `{:?}` of the form
//! that carries it (as a log line or an error might print it) does not show it.

use unifield_studio_service::servers::NewServer;

#[test]
fn debug_output_of_a_new_server_hides_its_api_key() {
    let key = "ufk_0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
    let new: NewServer = serde_json::from_value(serde_json::json!({
        "name": "production",
        "url": "https://unifield.example",
        "apiKey": key,
    }))
    .unwrap();
    assert_eq!(new.api_key, key);
    let printed = format!("{new:?}");
    assert!(!printed.contains(key), "{printed}");
    assert!(printed.contains("production"), "{printed}");
}
