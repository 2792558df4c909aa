//! `unifield serve --demo`: the whole loop in one command. An in-process Corrigo sandbox,
//! an organization with an API key, one connection to the sandbox already synced. It
//! needs no keyring: the master key lives in the data directory (0600) and the caller is
//! told so.

use crate::error::{Error, Result};
use crate::service::{ConnectionInput, Settings};
use crate::{start_with, MasterKey, MasterKeySource, RunningServer, Service, Storage};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

pub const ORG: &str = "demo";
/// The names of the key and the connection each demo run makes (and the next run on the
/// same data directory revokes and deletes).
const KEY_NAME: &str = "demo key";
const CONNECTION_NAME: &str = "Sandbox";
/// Work orders the demo sandbox holds unless told otherwise.
pub const WORK_ORDERS: usize = 1000;
/// The most work orders `--demo-work-orders` accepts: the sandbox holds them in memory and
/// the demo syncs them all before it serves.
pub const MAX_WORK_ORDERS: usize = 100_000;

/// The demo listens on loopback only: it lets connections reach this machine (its sandbox
/// is an http:// URL on 127.0.0.1, so `allow_loopback_connections` is on) and prints a key
/// to a fresh organization; off loopback, behind a proxy, any caller with that key could
/// point a connection at the server's own host.
pub fn check_listen(listen: SocketAddr) -> Result<()> {
    if listen.ip().is_loopback() {
        return Ok(());
    }
    Err(Error::BadRequest {
        code: "demo_off_loopback",
        message: format!(
            "--demo listens on loopback only (127.0.0.1 or [::1]), not {listen}: it lets connections reach this machine; serve without --demo to listen there"
        ),
    })
}

/// `--allow-loopback-connections` and `--allow-insecure-webhooks` are for local development
/// on loopback only: off loopback (behind a proxy) any caller with a key could point a
/// connection or a webhook at services on the server's own host, which the address
/// policy they switch off keeps them from.
pub fn check_development_flags(
    listen: SocketAddr,
    allow_loopback_connections: bool,
    allow_insecure_webhooks: bool,
) -> Result<()> {
    if listen.ip().is_loopback() {
        return Ok(());
    }
    let flag = match (allow_loopback_connections, allow_insecure_webhooks) {
        (true, _) => "--allow-loopback-connections",
        (false, true) => "--allow-insecure-webhooks",
        (false, false) => return Ok(()),
    };
    Err(Error::BadRequest {
        code: "development_flag_off_loopback",
        message: format!(
            "{flag} is accepted on loopback only (127.0.0.1 or [::1]), not {listen}: it lets callers reach services on this machine; serve without it to listen there"
        ),
    })
}

/// `--demo-work-orders N`: a whole number from 1 to [`MAX_WORK_ORDERS`].
pub fn parse_work_orders(text: &str) -> std::result::Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_WORK_ORDERS).contains(&n) => Ok(n),
        _ => Err(format!(
            "demo work orders: a whole number from 1 to {MAX_WORK_ORDERS} is expected, not {text:?}"
        )),
    }
}

pub struct Demo {
    pub server: RunningServer,
    pub sandbox: unifield_corrigo_sandbox::Running,
    pub api_key: String,
    pub connection_id: String,
    pub data_dir: PathBuf,
    pub key_file: PathBuf,
    pub synced_records: u64,
}

/// The demo with [`WORK_ORDERS`] work orders.
pub async fn start_demo(
    listen: SocketAddr,
    data_dir: Option<PathBuf>,
    settings: Settings,
) -> Result<Demo> {
    start_demo_with(listen, data_dir, settings, WORK_ORDERS).await
}

/// The demo whose sandbox holds `work_orders` work orders (1 to [`MAX_WORK_ORDERS`]).
pub async fn start_demo_with(
    listen: SocketAddr,
    data_dir: Option<PathBuf>,
    settings: Settings,
    work_orders: usize,
) -> Result<Demo> {
    check_listen(listen)?;
    parse_work_orders(&work_orders.to_string()).map_err(|message| Error::BadRequest {
        code: "demo_work_orders_out_of_range",
        message,
    })?;
    let data_dir = match data_dir {
        Some(dir) => dir,
        None => {
            let name = format!(
                "unifield-demo-{}",
                hex::encode(crate::crypto::random_bytes::<6>()?)
            );
            std::env::temp_dir().join(name)
        }
    };
    let sandbox_config = unifield_corrigo_sandbox::Config {
        work_orders,
        ..Default::default()
    };
    let sandbox = unifield_corrigo_sandbox::start(
        sandbox_config.clone(),
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .map_err(|e| Error::Internal(format!("cannot start the sandbox: {e}")))?;
    let storage = Storage::open_serving(&data_dir)?;
    let key_file = data_dir.join("master.key");
    let key = MasterKey::load(&MasterKeySource::DemoFile(key_file.clone()))?;
    storage.fail_interrupted_syncs(&crate::service::now_text())?;
    // The demo's connection is the in-process sandbox, over http on loopback.
    let settings = Settings {
        allow_loopback_connections: true,
        ..settings
    };
    let service = Arc::new(Service::new(storage, Some(key), settings));
    if service.storage.org_by_name(ORG)?.is_none() {
        service.add_org(ORG)?;
    }
    let org_id = service.org_id(ORG)?;
    // A demo directory used again: the earlier runs' keys are revoked and their
    // connections (to sandboxes that are gone) deleted, so runs do not pile keys and
    // connections up (the connection cap would refuse the 101st run).
    for key in service.keys(ORG)? {
        if key.name == KEY_NAME && key.revoked_at.is_none() {
            service.revoke_key(ORG, &key.id)?;
        }
    }
    for connection in service.connections(&org_id)? {
        if connection.name == CONNECTION_NAME {
            service.delete_connection(&org_id, &connection.id)?;
        }
    }
    let api_key = service.create_key(ORG, KEY_NAME)?.secret;
    // A fresh connection to this run's sandbox.
    let connection = service.add_connection(
        &org_id,
        ConnectionInput {
            name: CONNECTION_NAME.into(),
            company: sandbox_config.company.clone(),
            region: None,
            base_url: Some(sandbox.base_url.clone()),
            client_id: sandbox_config.client_id.clone(),
            client_secret: sandbox_config.client_secret.clone(),
        },
    )?;
    let outcome = service.sync_connection(&org_id, &connection.id).await?;
    if outcome.status != "completed" {
        return Err(Error::Internal(format!(
            "the demo's first sync ended {}: {}",
            outcome.status,
            outcome.error.unwrap_or_default()
        )));
    }
    let server = start_with(service, listen, true).await?;
    Ok(Demo {
        server,
        sandbox,
        api_key,
        connection_id: connection.id,
        data_dir,
        key_file,
        synced_records: outcome.records,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_orders_are_bounded_with_a_clear_error() {
        assert_eq!(parse_work_orders("1"), Ok(1));
        assert_eq!(parse_work_orders("10000"), Ok(10_000));
        assert_eq!(parse_work_orders(" 100000 "), Ok(MAX_WORK_ORDERS));
        for bad in ["0", "100001", "-3", "ten", ""] {
            let error = parse_work_orders(bad).unwrap_err();
            assert!(error.contains("from 1 to 100000"), "{bad}: {error}");
        }
    }

    #[tokio::test]
    async fn the_demo_refuses_work_orders_out_of_range_before_starting() {
        let dir = tempfile::tempdir().unwrap();
        for n in [0, MAX_WORK_ORDERS + 1] {
            let refused = start_demo_with(
                SocketAddr::from(([127, 0, 0, 1], 0)),
                Some(dir.path().join("demo")),
                Settings::default(),
                n,
            )
            .await;
            let Err(error) = refused else {
                panic!("{n} work orders were accepted")
            };
            assert_eq!(error.code(), "demo_work_orders_out_of_range", "{error}");
            assert!(
                !dir.path().join("demo").exists(),
                "nothing was made for {n}"
            );
        }
    }

    #[tokio::test]
    async fn the_demo_refuses_to_listen_off_loopback_before_starting() {
        let dir = tempfile::tempdir().unwrap();
        // TEST-NET-1 and the unspecified address: neither is loopback.
        for listen in ["192.0.2.1:8787", "0.0.0.0:0", "[::]:0"] {
            let refused = start_demo_with(
                listen.parse().unwrap(),
                Some(dir.path().join("demo")),
                Settings::default(),
                5,
            )
            .await;
            let Err(error) = refused else {
                panic!("the demo started on {listen}")
            };
            assert_eq!(error.code(), "demo_off_loopback", "{error}");
            assert!(error.to_string().contains(listen), "{error}");
            assert!(!dir.path().join("demo").exists(), "nothing was made");
        }
        for listen in ["127.0.0.1:0", "[::1]:0"] {
            assert!(check_listen(listen.parse().unwrap()).is_ok(), "{listen}");
        }
    }

    /// A demo directory used again does not pile keys and connections up: the run before's
    /// key stops working and its connection is gone.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_demo_run_again_on_its_data_replaces_the_key_and_connection() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("demo");
        let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
        let first = start_demo_with(loopback, Some(data.clone()), Settings::default(), 5)
            .await
            .unwrap();
        let first_key = first.api_key.clone();
        let first_connection = first.connection_id.clone();
        first.server.stop().await;
        first.sandbox.stop().await;
        let second = start_demo_with(loopback, Some(data), Settings::default(), 5)
            .await
            .unwrap();
        let service = &second.server.service;
        let org_id = service.org_id(ORG).unwrap();
        let connections: Vec<String> = service
            .connections(&org_id)
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(connections, vec![second.connection_id.clone()]);
        assert_ne!(second.connection_id, first_connection);
        let live: Vec<_> = service
            .keys(ORG)
            .unwrap()
            .into_iter()
            .filter(|k| k.revoked_at.is_none())
            .collect();
        assert_eq!(live.len(), 1, "{live:?}");
        assert!(service.authenticate(&second.api_key).is_ok());
        assert_eq!(
            service.authenticate(&first_key).unwrap_err().code(),
            "unauthorized"
        );
        second.server.stop().await;
        second.sandbox.stop().await;
    }
}
