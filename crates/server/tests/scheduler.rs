//! The scheduler: a new connection syncs at once without being asked, then again every
//! sync interval.

mod common;

use common::{fast_settings, key_file, loopback, start_sandbox};
use std::time::{Duration, Instant};
use unifield_server::{MasterKeySource, ServerConfig};

async fn connections_sync_when_added_and_then_every_interval(db: common::Db) {
    let Some(database) = common::database_on(db) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (sandbox, sandbox_config) = start_sandbox(20, "").await;
    let mut config = ServerConfig::new(loopback(), dir.path().join("data"));
    config.database = database;
    config.key_source = MasterKeySource::File(key_file(dir.path()));
    config.settings = fast_settings();
    config.settings.sync_interval = Duration::from_secs(1);
    let server = unifield_server::start(config).await.unwrap();
    let service = &server.service;
    let org = service.add_org("acme").unwrap();
    let connection = service
        .add_connection(
            &org,
            unifield_server::service::ConnectionInput {
                name: "sb".into(),
                company: sandbox_config.company.clone(),
                region: None,
                base_url: Some(sandbox.base_url.clone()),
                client_id: sandbox_config.client_id.clone(),
                client_secret: common::CLIENT_SECRET.into(),
            },
        )
        .unwrap()
        .id;
    let completed = || {
        service
            .storage
            .events_after(0, 100_000)
            .unwrap()
            .iter()
            .filter(|e| {
                e.kind == "sync.completed"
                    && e.connection_id.as_deref() == Some(connection.as_str())
            })
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while completed() < 3 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(completed() >= 3, "{} syncs completed in 60 s", completed());
    let status = service.status(&org, &connection).unwrap();
    assert!(
        status.status == "ok" || status.status == "syncing",
        "{status:?}"
    );
    assert_eq!(
        service.storage.raw_count(&connection, "WorkOrder").unwrap(),
        20
    );
    server.stop().await;
}

on_both_backends!(connections_sync_when_added_and_then_every_interval);
