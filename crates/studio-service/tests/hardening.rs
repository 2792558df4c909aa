//! What a careless form, a hostile file or a pasted secret can do to the studio's service
//! (issue 10): each is refused at entry with a located error, and secrets never show.

use std::sync::Arc;
use unifield_studio_service::types::NewConnection;
use unifield_studio_service::Studio;
use unifield_workspace::MemorySecrets;

fn studio(dir: &std::path::Path) -> Studio {
    Studio::open(dir, Arc::new(MemorySecrets::default())).unwrap()
}

fn new_connection(base_url: &str) -> NewConnection {
    NewConnection {
        name: "acme".into(),
        company: "Acme".into(),
        region: None,
        base_url: Some(base_url.into()),
        client_id: "client".into(),
        secret: "TOPSECRET".into(),
    }
}

#[test]
fn a_new_connection_never_shows_its_secret_in_debug() {
    let shown = format!("{:?}", new_connection("https://x.corrigo.com"));
    assert!(!shown.contains("TOPSECRET"), "{shown}");
    assert!(shown.contains("acme"), "the rest still shows: {shown}");
}
