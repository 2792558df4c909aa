//! The PostgreSQL backend: the same operations as the SQLite files beside it, over
//! tokio-postgres with a deadpool pool.
//!
//! Why an async driver behind a synchronous API: the storage API is synchronous (the HTTP
//! layer calls the service on tokio's blocking pool, and tests and start-up call it from
//! async code directly). The pool and the connections' I/O live on a small runtime this
//! backend owns; each operation runs its future to completion on the calling thread with
//! that runtime entered (`futures_executor::block_on`), which is allowed from any thread,
//! unlike `Runtime::block_on` inside another runtime. The caller blocks exactly as it does
//! on SQLite's connection lock.
//!
//! No state is cached in this process: several nodes share one database, so every answer
//! comes from the database (record counts are counted, pages are seeked per request).

// TLS: sslmode, sslrootcert, the plaintext policy and the rustls connector (postgres/tls.rs).
mod tls;
// Webhook endpoints, deliveries and attempts (postgres/webhooks.rs).
mod webhooks;

use super::connections::{ConnectionRow, NewConnection, SyncRunRow};
use super::events::{EventRow, NewEvent};
use super::mappings::{MappingVersionRow, Stale};
use super::orgs::{ApiKeyRow, Principal, TokenRow};
use super::records::{PageChange, RawRecord};
use super::{Result, StorageError};
use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod};
use futures_util::TryStreamExt;
use std::future::Future;
use tokio_postgres::types::ToSql;
use tokio_postgres::{NoTls, Row};

/// Forward-only migrations, applied in order; `schema_migrations` records each.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/postgres/0001_server.sql"),
    include_str!("../../migrations/postgres/0002_sync_lease.sql"),
    include_str!("../../migrations/postgres/0003_webhooks.sql"),
    include_str!("../../migrations/postgres/0004_raw_record_counts.sql"),
    include_str!("../../migrations/postgres/0005_sync_properties.sql"),
];

/// The advisory lock key under which migrations run (any constant both nodes agree on:
/// "unifield" in ASCII).
const MIGRATION_LOCK: i64 = 0x756e_6966_6965_6c64;

/// Connections per node when `--database-pool-size` is not given.
pub const DEFAULT_POSTGRES_POOL_SIZE: usize = 16;

pub(crate) struct Postgres {
    /// Drives the pool's connections; shut down in the background on drop (dropping a
    /// runtime inside async code would panic).
    runtime: Option<tokio::runtime::Runtime>,
    pool: Pool,
    /// The database's hosts, for the typed TLS errors of any new connection.
    hosts: String,
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

fn pg(error: tokio_postgres::Error) -> StorageError {
    // The server's message only: DETAIL lines can quote a row's values.
    match error.as_db_error() {
        Some(db) => StorageError::Postgres(format!("{} ({})", db.message(), db.code().code())),
        None => StorageError::Postgres(error.to_string()),
    }
}

fn pool_error(error: deadpool_postgres::PoolError) -> StorageError {
    match error {
        deadpool_postgres::PoolError::Backend(e) => pg(e),
        other => StorageError::Postgres(format!("connection pool: {other}")),
    }
}

/// Where a connection string (URL or `key=value` form) points, for messages: rebuilt from
/// what the driver reads of it (user, hosts and ports, database), so no password is ever
/// part of it, however it was written (`user:password@` with the driver's split at the
/// first `@`, a `password=` parameter, percent-encoded keys). A user or database name
/// with other characters than letters, digits, `_`, `.` and `-` is not shown either (a
/// mistyped string can put a password there). A string the driver cannot read is not
/// shown at all.
fn redacted(connection: &str) -> String {
    let (rest, _) = tls::take_tls_options(connection);
    let Ok(config) = rest.parse::<tokio_postgres::Config>() else {
        return "(a connection string the driver cannot read, not shown)".into();
    };
    let plain = |text: &str| {
        !text.is_empty()
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    };
    let mut shown = String::from("postgres://");
    if let Some(user) = config.get_user() {
        shown.push_str(if plain(user) {
            user
        } else {
            "(user not shown)"
        });
        shown.push('@');
    }
    let ports = config.get_ports();
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, host)| {
            let mut text = match host {
                tokio_postgres::config::Host::Tcp(name)
                    if plain(name) || name.parse::<std::net::IpAddr>().is_ok() =>
                {
                    name.clone()
                }
                tokio_postgres::config::Host::Tcp(_) => "(host not shown)".into(),
                #[cfg(unix)]
                tokio_postgres::config::Host::Unix(path) => {
                    format!("(socket in {})", path.display())
                }
            };
            let port = ports.get(i).or(if ports.len() == 1 {
                ports.first()
            } else {
                None
            });
            if let Some(port) = port.filter(|port| **port != 5432) {
                text.push_str(&format!(":{port}"));
            }
            text
        })
        .collect();
    shown.push_str(&hosts.join(","));
    if let Some(database) = config.get_dbname() {
        shown.push('/');
        shown.push_str(if plain(database) {
            database
        } else {
            "(database not shown)"
        });
    }
    shown
}

/// Whether the driver reads a password from this connection string (the URL's userinfo
/// split at its first `@`, or a `password` parameter in either form).
pub(crate) fn carries_password(connection: &str) -> bool {
    let (rest, _) = tls::take_tls_options(connection);
    rest.parse::<tokio_postgres::Config>()
        .is_ok_and(|config| config.get_password().is_some())
}

impl Postgres {
    /// The database at `url` with at most `pool_size` connections from this node, over
    /// TLS as its `sslmode` and `sslrootcert` say (see [`tls`]: a remote host defaults to
    /// `verify-full`). A remote database without TLS is refused unless `allow_plaintext`.
    /// A certificate that is not trusted or not for the host fails here, with its own code.
    pub(crate) fn open(url: &str, pool_size: usize, allow_plaintext: bool) -> Result<Postgres> {
        let fail = |reason: String| StorageError::Open {
            path: redacted(url),
            reason,
        };
        let tls::Plan { config, tls } = tls::plan(url, allow_plaintext)?;
        let hosts = tls::host_list(&config);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("unifield-postgres")
            .enable_all()
            .build()
            .map_err(|e| fail(format!("cannot start the driver's runtime: {e}")))?;
        let manager_config = ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        let manager = match &tls {
            None => Manager::from_config(config, NoTls, manager_config),
            Some((check, roots)) => {
                Manager::from_config(config, tls::connector(*check, roots)?, manager_config)
            }
        };
        let pool = {
            let _entered = runtime.enter();
            Pool::builder(manager)
                .max_size(pool_size.max(1))
                .runtime(deadpool_postgres::Runtime::Tokio1)
                .wait_timeout(Some(std::time::Duration::from_secs(30)))
                .create_timeout(Some(std::time::Duration::from_secs(10)))
                .build()
                .map_err(|e| fail(format!("cannot build the connection pool: {e}")))?
        };
        let db = Postgres {
            runtime: Some(runtime),
            pool,
            hosts,
        };
        // The first connection: a TLS failure gets its own error and code (as it does on
        // any later connection, see `client`); any other failure says where.
        db.block(async {
            db.client().await.map(drop).map_err(|error| match error {
                StorageError::DatabaseCertificateUntrusted { .. }
                | StorageError::DatabaseHostNameMismatch { .. }
                | StorageError::DatabaseTlsUnsupported { .. } => error,
                other => fail(other.to_string()),
            })
        })?;
        db.migrate().map_err(|e| fail(e.to_string()))?;
        Ok(db)
    }

    /// Runs `future` to completion on this thread, with the driver's runtime entered.
    fn block<T>(&self, future: impl Future<Output = Result<T>>) -> Result<T> {
        let _entered = self.runtime.as_ref().map(|r| r.enter());
        futures_executor::block_on(future)
    }

    /// A pooled connection. One the pool opens now can fail TLS as the first did (the
    /// database's certificate replaced by one not trusted, say): it gets the same typed
    /// error and code, not a generic `storage_error`.
    async fn client(&self) -> Result<deadpool_postgres::Object> {
        self.pool.get().await.map_err(|error| match error {
            deadpool_postgres::PoolError::Backend(error) => {
                tls::classify(&error, &self.hosts).unwrap_or_else(|| pg(error))
            }
            other => pool_error(other),
        })
    }

    // One statement on a pooled connection, outside any transaction: what most
    // operations are.
    async fn query(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>> {
        self.client().await?.query(sql, params).await.map_err(pg)
    }

    async fn query_one(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Row> {
        self.client()
            .await?
            .query_one(sql, params)
            .await
            .map_err(pg)
    }

    async fn query_opt(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Option<Row>> {
        self.client()
            .await?
            .query_opt(sql, params)
            .await
            .map_err(pg)
    }

    async fn execute(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        self.client().await?.execute(sql, params).await.map_err(pg)
    }

    /// Applies the migrations this database lacks, in one transaction under an advisory
    /// lock: a second node starting at the same moment waits, then finds them applied.
    fn migrate(&self) -> Result<()> {
        self.block(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(pg)?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
                .await
                .map_err(pg)?;
            tx.batch_execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (
                     version     INTEGER PRIMARY KEY,
                     applied_at  TIMESTAMPTZ NOT NULL DEFAULT now()
                 )",
            )
            .await
            .map_err(pg)?;
            let current: i32 = tx
                .query_one(
                    "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                    &[],
                )
                .await
                .map_err(pg)?
                .get(0);
            let current = current as usize;
            if current > MIGRATIONS.len() {
                return Err(StorageError::TooNew {
                    path: "the PostgreSQL database".into(),
                    found: current,
                    known: MIGRATIONS.len(),
                });
            }
            for (index, sql) in MIGRATIONS.iter().enumerate().skip(current) {
                tx.batch_execute(sql).await.map_err(pg)?;
                tx.execute(
                    "INSERT INTO schema_migrations (version) VALUES ($1)",
                    &[&((index + 1) as i32)],
                )
                .await
                .map_err(pg)?;
            }
            tx.commit().await.map_err(pg)?;
            Ok(())
        })
    }

    pub(crate) fn schema_version(&self) -> Result<u32> {
        self.block(async {
            let row = self
                .query_one(
                    "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                    &[],
                )
                .await?;
            Ok(row.get::<_, i32>(0) as u32)
        })
    }

    pub(crate) fn integrity_check(&self) -> Result<String> {
        self.block(async {
            let row = self.query_one("SELECT 'ok'::text", &[]).await?;
            Ok(row.get(0))
        })
    }

    // Organizations, API keys, connection tokens.

    pub(crate) fn add_org(&self, id: &str, name: &str, now: &str) -> Result<Option<()>> {
        self.block(async {
            let inserted = self
                .execute(
                    "INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
                    &[&id, &name, &now],
                )
                .await?;
            Ok((inserted == 1).then_some(()))
        })
    }

    pub(crate) fn org_by_name(&self, name: &str) -> Result<Option<String>> {
        self.block(async {
            let row = self
                .query_opt("SELECT id FROM organizations WHERE name = $1", &[&name])
                .await?;
            Ok(row.map(|r| r.get(0)))
        })
    }

    pub(crate) fn orgs(&self) -> Result<Vec<(String, String)>> {
        self.block(async {
            let rows = self
                .query("SELECT id, name FROM organizations ORDER BY name", &[])
                .await?;
            Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
        })
    }

    pub(crate) fn add_api_key(&self, row: &ApiKeyRow, hash: &str) -> Result<()> {
        self.block(async {
            self
                .execute(
                    "INSERT INTO api_keys (id, org_id, name, prefix, hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                    &[&row.id, &row.org_id, &row.name, &row.prefix, &hash, &row.created_at],
                )
                .await?;
            Ok(())
        })
    }

    pub(crate) fn api_keys(&self, org_id: &str) -> Result<Vec<ApiKeyRow>> {
        self.block(async {
            let rows = self
                .query(
                    "SELECT id, org_id, name, prefix, created_at, revoked_at FROM api_keys WHERE org_id = $1 ORDER BY created_at, id",
                    &[&org_id],
                )
                .await?;
            Ok(rows
                .iter()
                .map(|r| ApiKeyRow {
                    id: r.get(0),
                    org_id: r.get(1),
                    name: r.get(2),
                    prefix: r.get(3),
                    created_at: r.get(4),
                    revoked_at: r.get(5),
                })
                .collect())
        })
    }

    pub(crate) fn revoke_api_key(&self, org_id: &str, key_id: &str, now: &str) -> Result<bool> {
        self.block(async {
            let changed = self
                .execute(
                    "UPDATE api_keys SET revoked_at = $3 WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL",
                    &[&org_id, &key_id, &now],
                )
                .await?;
            Ok(changed == 1)
        })
    }

    pub(crate) fn principal(&self, hash: &str) -> Result<Option<Principal>> {
        self.block(async {
            let client = self.client().await?;
            if let Some(r) = client
                .query_opt(
                    "SELECT org_id, name FROM api_keys WHERE hash = $1 AND revoked_at IS NULL",
                    &[&hash],
                )
                .await
                .map_err(pg)?
            {
                return Ok(Some(Principal::Organization {
                    org_id: r.get(0),
                    key_name: r.get(1),
                }));
            }
            let token = client
                .query_opt(
                    "SELECT t.org_id, t.connection_id, t.name FROM connection_tokens t
                     JOIN connections c ON c.id = t.connection_id
                     WHERE t.hash = $1 AND t.revoked_at IS NULL",
                    &[&hash],
                )
                .await
                .map_err(pg)?;
            Ok(token.map(|r| Principal::Connection {
                org_id: r.get(0),
                connection_id: r.get(1),
                token_name: r.get(2),
            }))
        })
    }

    pub(crate) fn add_token(&self, org_id: &str, row: &TokenRow, hash: &str) -> Result<()> {
        self.block(async {
            self
                .execute(
                    "INSERT INTO connection_tokens (id, org_id, connection_id, name, prefix, hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    &[&row.id, &org_id, &row.connection_id, &row.name, &row.prefix, &hash, &row.created_at],
                )
                .await?;
            Ok(())
        })
    }

    /// Counted and written with the organization's row locked (see `add_connection_within`).
    pub(crate) fn add_token_within(
        &self,
        org_id: &str,
        row: &TokenRow,
        hash: &str,
        cap: usize,
    ) -> Result<bool> {
        self.block(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(pg)?;
            let live = "SELECT count(*) FROM connection_tokens t JOIN connections c ON c.id = t.connection_id
                        WHERE t.org_id = $1 AND t.revoked_at IS NULL";
            if !has_room(&tx, org_id, live, cap).await? {
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO connection_tokens (id, org_id, connection_id, name, prefix, hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[&row.id, &org_id, &row.connection_id, &row.name, &row.prefix, &hash, &row.created_at],
            )
            .await
            .map_err(pg)?;
            tx.commit().await.map_err(pg)?;
            Ok(true)
        })
    }

    pub(crate) fn tokens(&self, org_id: &str, connection_id: &str) -> Result<Vec<TokenRow>> {
        self.block(async {
            let rows = self
                .query(
                    "SELECT id, connection_id, name, prefix, created_at, revoked_at FROM connection_tokens
                     WHERE org_id = $1 AND connection_id = $2 ORDER BY created_at, id",
                    &[&org_id, &connection_id],
                )
                .await?;
            Ok(rows
                .iter()
                .map(|r| TokenRow {
                    id: r.get(0),
                    connection_id: r.get(1),
                    name: r.get(2),
                    prefix: r.get(3),
                    created_at: r.get(4),
                    revoked_at: r.get(5),
                })
                .collect())
        })
    }

    pub(crate) fn revoke_token(
        &self,
        org_id: &str,
        connection_id: &str,
        token_id: &str,
        now: &str,
    ) -> Result<bool> {
        self.block(async {
            let changed = self
                .execute(
                    "UPDATE connection_tokens SET revoked_at = $4
                     WHERE org_id = $1 AND connection_id = $2 AND id = $3 AND revoked_at IS NULL",
                    &[&org_id, &connection_id, &token_id, &now],
                )
                .await?;
            Ok(changed == 1)
        })
    }

    /// As on SQLite.
    pub(crate) fn prune_revoked_api_keys(
        &self,
        org_id: &str,
        revoked_before: &str,
        limit: usize,
    ) -> Result<usize> {
        self.prune_revoked("api_keys", org_id, revoked_before, limit)
    }

    /// As on SQLite.
    pub(crate) fn prune_revoked_tokens(
        &self,
        org_id: &str,
        revoked_before: &str,
        limit: usize,
    ) -> Result<usize> {
        self.prune_revoked("connection_tokens", org_id, revoked_before, limit)
    }

    /// Deletes at most `limit` of the organization's rows of `table` (`api_keys` or
    /// `connection_tokens`, both with `org_id` and `revoked_at`) revoked before
    /// `revoked_before`, oldest first; how many went. `table` is one of this module's
    /// names, never input.
    fn prune_revoked(
        &self,
        table: &'static str,
        org_id: &str,
        revoked_before: &str,
        limit: usize,
    ) -> Result<usize> {
        let sql = format!(
            "DELETE FROM {table} WHERE id IN (
                 SELECT id FROM {table}
                 WHERE org_id = $1 AND revoked_at IS NOT NULL AND revoked_at < $2
                 ORDER BY revoked_at, id LIMIT $3)"
        );
        self.block(async {
            let deleted = self
                .execute(&sql, &[&org_id, &revoked_before, &(limit as i64)])
                .await?;
            Ok(deleted as usize)
        })
    }

    // The event outbox.

    pub(crate) fn append_events(&self, events: &[NewEvent]) -> Result<()> {
        self.block(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(pg)?;
            append_events(&tx, events).await?;
            tx.commit().await.map_err(pg)?;
            Ok(())
        })
    }

    pub(crate) fn events_after(&self, seq: i64, limit: usize) -> Result<Vec<EventRow>> {
        self.block(async {
            let rows = self
                .query(
                    "SELECT seq, id, org_id, connection_id, type, payload, created_at FROM events
                     WHERE seq > $1 ORDER BY seq LIMIT $2",
                    &[&seq, &(limit as i64)],
                )
                .await?;
            Ok(rows
                .iter()
                .map(|r| EventRow {
                    seq: r.get(0),
                    id: r.get(1),
                    org_id: r.get(2),
                    connection_id: r.get(3),
                    kind: r.get(4),
                    payload: r.get(5),
                    created_at: r.get(6),
                })
                .collect())
        })
    }
}

const CONNECTION_COLUMNS: &str = "id, org_id, name, company, region, base_url, client_id, sealed_secret, status, status_reason, next_sync_at, created_at";

fn connection(r: &Row) -> ConnectionRow {
    ConnectionRow {
        id: r.get(0),
        org_id: r.get(1),
        name: r.get(2),
        company: r.get(3),
        region: r.get(4),
        base_url: r.get(5),
        client_id: r.get(6),
        sealed_secret: r.get(7),
        status: r.get(8),
        status_reason: r.get(9),
        next_sync_at: r.get(10),
        created_at: r.get(11),
    }
}

fn sync_run(r: &Row) -> SyncRunRow {
    SyncRunRow {
        id: r.get(0),
        started_at: r.get(1),
        finished_at: r.get(2),
        status: r.get(3),
        records: r.get(4),
        error: r.get(5),
        reason: r.get(6),
    }
}

const VERSION_COLUMNS: &str =
    "entity, version, body, content_hash, key_name, note, rolled_back_to, created_at";

fn version_row(r: &Row) -> MappingVersionRow {
    MappingVersionRow {
        entity: r.get(0),
        version: r.get(1),
        body: r.get(2),
        content_hash: r.get(3),
        key_name: r.get(4),
        note: r.get(5),
        rolled_back_to: r.get(6),
        created_at: r.get(7),
    }
}

fn raw_record(r: &Row) -> RawRecord {
    RawRecord {
        id: r.get(0),
        source_id: r.get(1),
        body: r.get(2),
    }
}

impl Postgres {
    // Connections, sealed secrets, sync runs.

    pub(crate) fn add_connection(
        &self,
        new: &NewConnection,
        default_mappings: &[(String, String, String)],
    ) -> Result<()> {
        self.block(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(pg)?;
            insert_connection(&tx, new, default_mappings).await?;
            tx.commit().await.map_err(pg)?;
            Ok(())
        })
    }

    /// The organization's row is locked for the transaction, so nodes adding connections
    /// to one organization at once count one after the other.
    pub(crate) fn add_connection_within(
        &self,
        new: &NewConnection,
        default_mappings: &[(String, String, String)],
        cap: usize,
    ) -> Result<bool> {
        self.block(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(pg)?;
            let held = "SELECT count(*) FROM connections WHERE org_id = $1";
            if !has_room(&tx, &new.org_id, held, cap).await? {
                return Ok(false);
            }
            insert_connection(&tx, new, default_mappings).await?;
            tx.commit().await.map_err(pg)?;
            Ok(true)
        })
    }

    pub(crate) fn connection(&self, org_id: &str, id: &str) -> Result<Option<ConnectionRow>> {
        self.block(async {
            let row = self
                .query_opt(
                    &format!("SELECT {CONNECTION_COLUMNS} FROM connections WHERE org_id = $1 AND id = $2"),
                    &[&org_id, &id],
                )
                .await?;
            Ok(row.as_ref().map(connection))
        })
    }

    pub(crate) fn connections(&self, org_id: &str) -> Result<Vec<ConnectionRow>> {
        self.block(async {
            let rows = self
                .query(
                    &format!("SELECT {CONNECTION_COLUMNS} FROM connections WHERE org_id = $1 ORDER BY created_at, id"),
                    &[&org_id],
                )
                .await?;
            Ok(rows.iter().map(connection).collect())
        })
    }

    /// As on SQLite, at the database's time now, not the node's `now`: next syncs are set
    /// on that clock (adding, requesting, replacing credentials, finishing a sync), so a
    /// node whose clock runs ahead does not sync a connection early and one whose clock
    /// runs behind does not leave a due connection waiting.
    pub(crate) fn due_connections(&self, _now: &str) -> Result<Vec<ConnectionRow>> {
        self.block(async {
            let rows = self
                .query(
                    &format!(
                        "SELECT {CONNECTION_COLUMNS} FROM connections
                         WHERE status != 'reauthorization_required' AND next_sync_at IS NOT NULL
                           AND next_sync_at <= {DATABASE_NOW}
                         ORDER BY next_sync_at"
                    ),
                    &[],
                )
                .await?;
            Ok(rows.iter().map(connection).collect())
        })
    }

    pub(crate) fn delete_connection(&self, org_id: &str, id: &str) -> Result<bool> {
        self.block(async {
            let deleted = self
                .execute(
                    "DELETE FROM connections WHERE org_id = $1 AND id = $2",
                    &[&org_id, &id],
                )
                .await?;
            Ok(deleted == 1)
        })
    }

    pub(crate) fn set_status(
        &self,
        org_id: &str,
        id: &str,
        status: &str,
        reason: Option<&str>,
        events: &[NewEvent],
    ) -> Result<bool> {
        self.block(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(pg)?;
            let changed = tx
                .execute(
                    "UPDATE connections SET status = $3, status_reason = $4 WHERE org_id = $1 AND id = $2",
                    &[&org_id, &id, &status, &reason],
                )
                .await
                .map_err(pg)?;
            append_events(&tx, events).await?;
            tx.commit().await.map_err(pg)?;
            Ok(changed == 1)
        })
    }

    /// As on SQLite; due at the database's time now, not the node's.
    pub(crate) fn set_sync_due_now(&self, id: &str, _now: &str) -> Result<()> {
        self.block(async {
            self.execute(
                &format!("UPDATE connections SET next_sync_at = {DATABASE_NOW} WHERE id = $1"),
                &[&id],
            )
            .await?;
            Ok(())
        })
    }

    /// As on SQLite; the next sync is due at the database's time now, not the node's.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn replace_credentials(
        &self,
        org_id: &str,
        id: &str,
        client_id: &str,
        region: Option<&str>,
        base_url: Option<&str>,
        sealed_secret: &[u8],
        _now: &str,
        events: &[NewEvent],
    ) -> Result<bool> {
        self.block(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(pg)?;
            let changed = tx
                .execute(
                    &format!(
                        "UPDATE connections SET client_id = $3, region = $4, base_url = $5, sealed_secret = $6,
                                status = 'ok', status_reason = NULL, next_sync_at = {DATABASE_NOW}
                         WHERE org_id = $1 AND id = $2"
                    ),
                    &[&org_id, &id, &client_id, &region, &base_url, &sealed_secret],
                )
                .await
                .map_err(pg)?;
            if changed == 1 {
                append_events(&tx, events).await?;
            }
            tx.commit().await.map_err(pg)?;
            Ok(changed == 1)
        })
    }

    /// As on SQLite, but the run starts at the database's time now, not the node's `now`:
    /// a run another node fails on taking its lease over ends on that clock (see
    /// `lease_sync`), and runs shown from nodes whose clocks disagree read in order.
    pub(crate) fn begin_sync(&self, id: &str, _now: &str, events: &[NewEvent]) -> Result<i64> {
        self.block(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(pg)?;
            let run: i64 = tx
                .query_one(
                    &format!(
                        "INSERT INTO sync_runs (connection_id, started_at, status) VALUES ($1, {DATABASE_NOW}, 'running') RETURNING id"
                    ),
                    &[&id],
                )
                .await
                .map_err(pg)?
                .get(0);
            tx.execute(
                "UPDATE connections SET status = 'syncing', status_reason = NULL WHERE id = $1",
                &[&id],
            )
            .await
            .map_err(pg)?;
            append_events(&tx, events).await?;
            tx.commit().await.map_err(pg)?;
            Ok(run)
        })
    }

    /// As on SQLite, but the run ends at the database's time now, not the node's `now`
    /// (the clock it started on, see `begin_sync`).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn finish_sync(
        &self,
        connection_id: &str,
        run: i64,
        run_status: &str,
        error: Option<&str>,
        reason: Option<&str>,
        connection_status: &str,
        next_sync_after: Option<std::time::Duration>,
        _now: &str,
        events: &[NewEvent],
    ) -> Result<()> {
        self.block(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(pg)?;
            // The connection's row first, as `lease_sync` (FOR UPDATE, then the runs) and
            // `commit_page` (FOR SHARE) lock it: in the opposite order a take-over and this
            // could each hold the row the other waits for (a deadlock PostgreSQL breaks by
            // failing one). NO KEY UPDATE: this may update the row below.
            tx.execute(
                "SELECT 1 FROM connections WHERE id = $1 FOR NO KEY UPDATE",
                &[&connection_id],
            )
            .await
            .map_err(pg)?;
            // As on SQLite: only a run still running is ended (a take-over, which fails
            // the old holder's run, holds that row's lock until it commits).
            let ended = tx
                .execute(
                    &format!(
                        "UPDATE sync_runs SET status = $2, error = $3, reason = $4, finished_at = {DATABASE_NOW}
                         WHERE id = $1 AND status = 'running'"
                    ),
                    &[&run, &run_status, &error, &reason],
                )
                .await
                .map_err(pg)?;
            if ended == 0 {
                return Ok(());
            }
            // The next sync is due that long after the database's time now (the clock
            // `due_connections` reads), not after the node's.
            let next_sync_at = match next_sync_after {
                Some(after) => Some(database_times(&tx, millis(after)).await?.1),
                None => None,
            };
            tx.execute(
                "UPDATE connections SET status = $2, status_reason = $3, next_sync_at = $4 WHERE id = $1",
                &[&connection_id, &connection_status, &reason, &next_sync_at],
            )
            .await
            .map_err(pg)?;
            append_events(&tx, events).await?;
            tx.commit().await.map_err(pg)?;
            Ok(())
        })
    }

    /// Takes (or renews) the connection's sync lease for `node` until `until`, when it is
    /// free, expired at `now`, or already this node's. Taking a lease this node did not
    /// hold (another node's expired one, or one released) fails the run left `running`, in
    /// the same transaction.
    ///
    /// Times are the database's, not the node's: `now` and `until` give the lease's length
    /// only, so nodes whose clocks disagree still agree on when a lease ends.
    pub(crate) fn lease_sync(&self, id: &str, node: &str, now: &str, until: &str) -> Result<bool> {
        self.block(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(pg)?;
            let (now, until) = database_times(&tx, lease_length(now, until)).await?;
            let (now, until) = (now.as_str(), until.as_str());
            let before = tx
                .query_opt(
                    "SELECT sync_node, sync_lease_until FROM connections WHERE id = $1 FOR UPDATE",
                    &[&id],
                )
                .await
                .map_err(pg)?;
            let Some(before) = before else {
                return Ok(false);
            };
            let holder: Option<String> = before.get(0);
            let lease_until: Option<String> = before.get(1);
            let free = match (&holder, &lease_until) {
                (Some(holder), Some(until)) => holder == node || until.as_str() <= now,
                _ => true,
            };
            if !free {
                return Ok(false);
            }
            // Any holder but this node, none included: a lease released while its run was
        // still running (a node shutting down gives up the syncs it could not stop)
        // leaves that run to be failed here, or the stalled node could still write.
        if holder.as_deref() != Some(node) {
                tx.execute(
                    "UPDATE sync_runs SET status = 'failed', error = 'the node syncing it stopped', finished_at = $2
                     WHERE connection_id = $1 AND status = 'running'",
                    &[&id, &now],
                )
                .await
                .map_err(pg)?;
            }
            tx.execute(
                "UPDATE connections SET sync_node = $2, sync_lease_until = $3 WHERE id = $1",
                &[&id, &node, &until],
            )
            .await
            .map_err(pg)?;
            tx.commit().await.map_err(pg)?;
            Ok(true)
        })
    }

    /// Gives the lease up if `node` holds it.
    pub(crate) fn release_sync_lease(&self, id: &str, node: &str) -> Result<()> {
        self.block(async {
            self
                .execute(
                    "UPDATE connections SET sync_node = NULL, sync_lease_until = NULL WHERE id = $1 AND sync_node = $2",
                    &[&id, &node],
                )
                .await?;
            Ok(())
        })
    }

    pub(crate) fn last_sync(&self, connection_id: &str) -> Result<Option<SyncRunRow>> {
        self.block(async {
            let row = self
                .query_opt(
                    "SELECT id, started_at, finished_at, status, records, error, reason FROM sync_runs
                     WHERE connection_id = $1 ORDER BY id DESC LIMIT 1",
                    &[&connection_id],
                )
                .await?;
            Ok(row.as_ref().map(sync_run))
        })
    }

    pub(crate) fn watermark(
        &self,
        connection_id: &str,
        entity: &str,
    ) -> Result<Option<Option<String>>> {
        Ok(self
            .watermark_row(connection_id, entity)?
            .map(|(since, _)| since))
    }

    /// The entity's watermark row, (since, properties): None without one.
    fn watermark_row(
        &self,
        connection_id: &str,
        entity: &str,
    ) -> Result<Option<(Option<String>, Option<String>)>> {
        self.block(async {
            let row = self
                .query_opt(
                    "SELECT since, properties FROM sync_watermarks
                     WHERE connection_id = $1 AND entity = $2",
                    &[&connection_id, &entity],
                )
                .await?;
            Ok(row.map(|r| (r.get(0), r.get(1))))
        })
    }

    pub(crate) fn set_watermark(
        &self,
        connection_id: &str,
        entity: &str,
        since: Option<&str>,
    ) -> Result<()> {
        self.block(async {
            self.execute(
                "INSERT INTO sync_watermarks (connection_id, entity, since) VALUES ($1, $2, $3)
                     ON CONFLICT (connection_id, entity) DO UPDATE SET since = excluded.since",
                &[&connection_id, &entity, &since],
            )
            .await?;
            Ok(())
        })
    }

    pub(crate) fn cached_properties(
        &self,
        connection_id: &str,
        entity: &str,
    ) -> Result<Option<Option<String>>> {
        Ok(self
            .watermark_row(connection_id, entity)?
            .map(|(_, properties)| properties))
    }

    pub(crate) fn set_cached_properties(
        &self,
        connection_id: &str,
        entity: &str,
        properties: &str,
    ) -> Result<()> {
        self.block(async {
            self.execute(
                "INSERT INTO sync_watermarks (connection_id, entity, since, properties) VALUES ($1, $2, NULL, $3)
                     ON CONFLICT (connection_id, entity) DO UPDATE SET properties = excluded.properties",
                &[&connection_id, &entity, &properties],
            )
            .await?;
            Ok(())
        })
    }

    // Mapping versions.

    pub(crate) fn active_mappings(&self, connection_id: &str) -> Result<Vec<MappingVersionRow>> {
        self.block(async {
            let rows = self
                .query(
                    &format!(
                        "SELECT DISTINCT ON (entity) {VERSION_COLUMNS} FROM mapping_versions
                         WHERE connection_id = $1 ORDER BY entity, version DESC"
                    ),
                    &[&connection_id],
                )
                .await?;
            Ok(rows.iter().map(version_row).collect())
        })
    }

    pub(crate) fn active_mapping(
        &self,
        connection_id: &str,
        entity: &str,
    ) -> Result<Option<MappingVersionRow>> {
        self.block(async {
            let row = self
                .query_opt(
                    &format!(
                        "SELECT {VERSION_COLUMNS} FROM mapping_versions WHERE connection_id = $1 AND entity = $2
                         ORDER BY version DESC LIMIT 1"
                    ),
                    &[&connection_id, &entity],
                )
                .await?;
            Ok(row.as_ref().map(version_row))
        })
    }

    pub(crate) fn active_version(&self, connection_id: &str, entity: &str) -> Result<Option<i64>> {
        self.block(async {
            let row = self
                .query_one(
                    "SELECT MAX(version) FROM mapping_versions WHERE connection_id = $1 AND entity = $2",
                    &[&connection_id, &entity],
                )
                .await?;
            Ok(row.get(0))
        })
    }

    pub(crate) fn mapping_versions(
        &self,
        connection_id: &str,
        entity: &str,
    ) -> Result<Vec<MappingVersionRow>> {
        self.block(async {
            let rows = self
                .query(
                    &format!(
                        "SELECT {VERSION_COLUMNS} FROM mapping_versions WHERE connection_id = $1 AND entity = $2 ORDER BY version"
                    ),
                    &[&connection_id, &entity],
                )
                .await?;
            Ok(rows.iter().map(version_row).collect())
        })
    }

    pub(crate) fn mapping_version(
        &self,
        connection_id: &str,
        entity: &str,
        version: i64,
    ) -> Result<Option<MappingVersionRow>> {
        self.block(async {
            let row = self
                .query_opt(
                    &format!(
                        "SELECT {VERSION_COLUMNS} FROM mapping_versions WHERE connection_id = $1 AND entity = $2 AND version = $3"
                    ),
                    &[&connection_id, &entity, &version],
                )
                .await?;
            Ok(row.as_ref().map(version_row))
        })
    }

    /// As on SQLite; publishes to one connection are serialised by locking its row, so two
    /// nodes publishing after the same version get one new version and one `Stale`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn publish_mapping(
        &self,
        connection_id: &str,
        entity: &str,
        expected: i64,
        body: &str,
        content_hash: &str,
        key_name: Option<&str>,
        note: Option<&str>,
        rolled_back_to: Option<i64>,
        _now: &str,
        events: impl FnOnce(i64) -> Vec<NewEvent>,
    ) -> Result<std::result::Result<i64, Stale>> {
        self.block(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(pg)?;
            tx.execute(
                "SELECT 1 FROM connections WHERE id = $1 FOR UPDATE",
                &[&connection_id],
            )
            .await
            .map_err(pg)?;
            let active: Option<i64> = tx
                .query_one(
                    "SELECT MAX(version) FROM mapping_versions WHERE connection_id = $1 AND entity = $2",
                    &[&connection_id, &entity],
                )
                .await
                .map_err(pg)?
                .get(0);
            let active = active.unwrap_or(-1);
            if active != expected {
                return Ok(Err(Stale { active }));
            }
            let version = active + 1;
            // Made at the database's time now (read under the row's lock), not the
            // node's `now`: versions pushed through nodes whose clocks disagree then read
            // in the order they were made.
            tx.execute(
                &format!(
                    "INSERT INTO mapping_versions (connection_id, entity, version, body, content_hash, key_name, note, rolled_back_to, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, {DATABASE_CLOCK})"
                ),
                &[&connection_id, &entity, &version, &body, &content_hash, &key_name, &note, &rolled_back_to],
            )
            .await
            .map_err(pg)?;
            append_events(&tx, &events(version)).await?;
            tx.commit().await.map_err(pg)?;
            Ok(Ok(version))
        })
    }

    // Cached raw records. Nothing is cached in the process: counts are read from the
    // database's per-entity count (kept by triggers, migration 0004) and pages seeked per
    // request, so every node answers from the same truth.

    pub(crate) fn commit_page(
        &self,
        connection_id: &str,
        entity: &str,
        run: i64,
        records: &[(String, String, String)],
        now: &str,
        events: impl FnOnce(&[PageChange]) -> Vec<NewEvent>,
    ) -> Result<Vec<PageChange>> {
        self.block(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(pg)?;
            // Fenced: the page is written only while its run is running, checked under a
            // share lock on the connection's row. A take-over (`lease_sync`, which locks
            // that row FOR UPDATE and fails the old holder's run in its transaction) then
            // waits for a page being written, and a stalled node's next page is refused.
            tx.execute(
                "SELECT 1 FROM connections WHERE id = $1 FOR SHARE",
                &[&connection_id],
            )
            .await
            .map_err(pg)?;
            let running: bool = tx
                .query_one(
                    "SELECT EXISTS(SELECT 1 FROM sync_runs WHERE id = $1 AND status = 'running')",
                    &[&run],
                )
                .await
                .map_err(pg)?
                .get(0);
            if !running {
                return Err(StorageError::SyncRunEnded { run });
            }
            // One query for the page's stored hashes, then one statement for the writes.
            let source_ids: Vec<&str> = records.iter().map(|(id, _, _)| id.as_str()).collect();
            let before: std::collections::HashMap<String, String> = tx
                .query(
                    "SELECT source_id, content_hash FROM raw_records
                     WHERE connection_id = $1 AND entity = $2 AND source_id = ANY($3)",
                    &[&connection_id, &entity, &source_ids],
                )
                .await
                .map_err(pg)?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect();
            let mut changes = Vec::with_capacity(records.len());
            // The page's writes as one statement (the count trigger then fires once per
            // page, not once per record). One row per source id: a source id repeated
            // within the page is written once, with the last of its bodies that would
            // have been written one by one (each occurrence's change is decided against
            // the one before it, as the row-by-row SQLite path decides it); rows in the
            // order of their first write, so new records get ids in page order.
            let mut seen = std::collections::HashMap::<&str, &str>::new();
            let mut slot = std::collections::HashMap::<&str, usize>::new();
            let mut writes: Vec<(&str, &str, &str)> = Vec::new();
            for (source_id, body, hash) in records {
                let stored = seen
                    .get(source_id.as_str())
                    .copied()
                    .or_else(|| before.get(source_id).map(String::as_str));
                let change = match stored {
                    None => PageChange::Created,
                    Some(stored) if stored != hash => PageChange::Updated,
                    Some(_) => PageChange::Unchanged,
                };
                if change != PageChange::Unchanged {
                    seen.insert(source_id, hash);
                    let write = (source_id.as_str(), body.as_str(), hash.as_str());
                    match slot.get(source_id.as_str()) {
                        Some(&at) => writes[at] = write,
                        None => {
                            slot.insert(source_id, writes.len());
                            writes.push(write);
                        }
                    }
                }
                changes.push(change);
            }
            if !writes.is_empty() {
                let source_ids: Vec<&str> = writes.iter().map(|w| w.0).collect();
                let bodies: Vec<&str> = writes.iter().map(|w| w.1).collect();
                let hashes: Vec<&str> = writes.iter().map(|w| w.2).collect();
                tx.execute(
                    "INSERT INTO raw_records (connection_id, entity, source_id, body, content_hash, updated_at)
                     SELECT $1, $2, w.source_id, w.body, w.content_hash, $6
                     FROM unnest($3::text[], $4::text[], $5::text[]) WITH ORDINALITY
                          AS w(source_id, body, content_hash, n)
                     ORDER BY w.n
                     ON CONFLICT (connection_id, entity, source_id) DO UPDATE SET
                        body = excluded.body, content_hash = excluded.content_hash, updated_at = excluded.updated_at",
                    &[&connection_id, &entity, &source_ids, &bodies, &hashes, &now],
                )
                .await
                .map_err(pg)?;
            }
            tx.execute(
                "UPDATE sync_runs SET records = records + $2 WHERE id = $1",
                &[&run, &(records.len() as i64)],
            )
            .await
            .map_err(pg)?;
            append_events(&tx, &events(&changes)).await?;
            tx.commit().await.map_err(pg)?;
            Ok(changes)
        })
    }

    pub(crate) fn raw_page(
        &self,
        connection_id: &str,
        entity: &str,
        after: i64,
        limit: usize,
    ) -> Result<Vec<RawRecord>> {
        self.block(async {
            let rows = self
                .query(
                    "SELECT id, source_id, body FROM raw_records WHERE connection_id = $1 AND entity = $2 AND id > $3
                     ORDER BY id LIMIT $4",
                    &[&connection_id, &entity, &after, &(limit as i64)],
                )
                .await?;
            Ok(rows.iter().map(raw_record).collect())
        })
    }

    /// A deferred join: the page's ids are found on the (connection_id, entity, id) index
    /// alone (an index-only scan: OFFSET skips index entries, not whole rows with their
    /// bodies), then only those rows are read by primary key.
    pub(crate) fn raw_slice(
        &self,
        connection_id: &str,
        entity: &str,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<RawRecord>> {
        self.block(async {
            let rows = self
                .query(
                    "SELECT id, source_id, body FROM raw_records WHERE id IN (
                         SELECT id FROM raw_records WHERE connection_id = $1 AND entity = $2
                         ORDER BY id LIMIT $3 OFFSET $4)
                     ORDER BY id",
                    &[&connection_id, &entity, &(limit as i64), &(offset as i64)],
                )
                .await?;
            Ok(rows.iter().map(raw_record).collect())
        })
    }

    /// The count the triggers on raw_records keep in the same transaction as each insert
    /// and delete (no row: nothing cached for that entity).
    pub(crate) fn raw_count(&self, connection_id: &str, entity: &str) -> Result<usize> {
        self.block(async {
            let row = self
                .query_opt(
                    "SELECT records FROM raw_record_counts WHERE connection_id = $1 AND entity = $2",
                    &[&connection_id, &entity],
                )
                .await?;
            Ok(row.map_or(0, |r| r.get::<_, i64>(0).max(0) as usize))
        })
    }

    /// Streams the rows (one query, rows read as they arrive), never the whole set in
    /// memory at once.
    pub(crate) fn each_raw(
        &self,
        connection_id: &str,
        entity: &str,
        mut each: impl FnMut(RawRecord),
    ) -> Result<()> {
        self.block(async {
            let client = self.client().await?;
            let params: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [&connection_id, &entity];
            let stream = client
                .query_raw(
                    "SELECT id, source_id, body FROM raw_records WHERE connection_id = $1 AND entity = $2 ORDER BY id",
                    params,
                )
                .await
                .map_err(pg)?;
            futures_util::pin_mut!(stream);
            while let Some(row) = stream.try_next().await.map_err(pg)? {
                each(raw_record(&row));
            }
            Ok(())
        })
    }

    pub(crate) fn raw_by_ids(
        &self,
        connection_id: &str,
        entity: &str,
        ids: &[i64],
    ) -> Result<Vec<RawRecord>> {
        self.block(async {
            let rows = self
                .query(
                    "SELECT id, source_id, body FROM raw_records WHERE connection_id = $1 AND entity = $2 AND id = ANY($3)",
                    &[&connection_id, &entity, &ids],
                )
                .await?;
            // In the order given, as on SQLite.
            let mut found: std::collections::HashMap<i64, RawRecord> =
                rows.iter().map(|r| (r.get(0), raw_record(r))).collect();
            Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
        })
    }

    pub(crate) fn raw_by_source_id(
        &self,
        connection_id: &str,
        entity: &str,
        source_id: &str,
    ) -> Result<Option<RawRecord>> {
        self.block(async {
            let row = self
                .query_opt(
                    "SELECT id, source_id, body FROM raw_records WHERE connection_id = $1 AND entity = $2 AND source_id = $3",
                    &[&connection_id, &entity, &source_id],
                )
                .await?;
            Ok(row.as_ref().map(raw_record))
        })
    }
}

/// The database's time now as SQL, written as stored timestamps are (see
/// [`database_times`]), for statements that compare or set due times in place: webhook
/// deliveries' and connections' next syncs are due on this one clock, so nodes whose
/// clocks disagree still agree on what is due.
pub(crate) const DATABASE_NOW: &str =
    "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";

/// [`DATABASE_NOW`] read when the statement runs rather than when its transaction began
/// (PostgreSQL's `now()`), for times that must follow an order taken under a lock inside
/// the transaction: a publish that began first but waited for the connection's row would
/// otherwise be dated before the version it follows.
pub(crate) const DATABASE_CLOCK: &str =
    "to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";

/// A length as milliseconds for [`database_times`], at most a thousand years: a longer
/// one is as good as never, and the database's timestamps end (year 294276) well before
/// `i64::MAX` milliseconds from now would.
pub(crate) fn millis(length: std::time::Duration) -> i64 {
    const THOUSAND_YEARS_MS: i64 = 1000 * 366 * 24 * 3600 * 1000;
    i64::try_from(length.as_millis())
        .unwrap_or(i64::MAX)
        .min(THOUSAND_YEARS_MS)
}

/// The length of a lease a node asked for as `now` .. `until` (its own clock), in
/// milliseconds; 0 when they do not parse.
pub(crate) fn lease_length(now: &str, until: &str) -> i64 {
    match (
        chrono::DateTime::parse_from_rfc3339(now),
        chrono::DateTime::parse_from_rfc3339(until),
    ) {
        (Ok(now), Ok(until)) => (until - now).num_milliseconds().max(0),
        _ => 0,
    }
}

/// The database's time now and `lease_ms` later, written as stored timestamps are
/// (RFC 3339, milliseconds, `Z`, see `storage::timestamp`), so they compare as text with
/// the rest. Leases are taken and checked on this one clock: a node whose clock runs ahead
/// cannot see another node's live lease as expired.
pub(crate) async fn database_times(
    tx: &impl GenericClient,
    lease_ms: i64,
) -> Result<(String, String)> {
    let row = tx
        .query_one(
            "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),
                    to_char((now() + $1::bigint * interval '1 millisecond') AT TIME ZONE 'UTC',
                            'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')",
            &[&lease_ms],
        )
        .await
        .map_err(pg)?;
    Ok((row.get(0), row.get(1)))
}

/// Locks the organization's row for the caller's transaction, so nodes counting what an
/// organization holds before adding to it (connections, tokens) count one after the other.
async fn lock_organization(tx: &impl GenericClient, org_id: &str) -> Result<()> {
    tx.execute(
        "SELECT 1 FROM organizations WHERE id = $1 FOR UPDATE",
        &[&org_id],
    )
    .await
    .map_err(pg)?;
    Ok(())
}

/// Whether the organization holds fewer than `cap` of what `count` counts (SQL with the
/// organization's id as `$1`), taking [`lock_organization`] first so that nodes adding at
/// once count one after the other and cannot both take the last place.
async fn has_room(tx: &impl GenericClient, org_id: &str, count: &str, cap: usize) -> Result<bool> {
    lock_organization(tx, org_id).await?;
    let held: i64 = tx.query_one(count, &[&org_id]).await.map_err(pg)?.get(0);
    Ok((held as u64) < cap as u64)
}

/// Writes a new connection and its version-0 mappings (`(entity, body, hash)`) in the
/// caller's transaction (for add_connection and add_connection_within).
async fn insert_connection(
    tx: &impl GenericClient,
    new: &NewConnection,
    default_mappings: &[(String, String, String)],
) -> Result<()> {
    // Due for its first sync at the database's time now (the clock `due_connections`
    // reads), and made then too, not at the node's `created_at`: connections are listed
    // by it, and its bundled default mappings (version 0) are dated by it, before the
    // versions pushed later (on that clock, see `publish_mapping`).
    tx.execute(
        &format!(
            "INSERT INTO connections (id, org_id, name, company, region, base_url, client_id, sealed_secret, status, next_sync_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'ok', {DATABASE_NOW}, {DATABASE_NOW})"
        ),
        &[&new.id, &new.org_id, &new.name, &new.company, &new.region, &new.base_url, &new.client_id, &new.sealed_secret],
    )
    .await
    .map_err(pg)?;
    for (entity, body, hash) in default_mappings {
        tx.execute(
            &format!(
                "INSERT INTO mapping_versions (connection_id, entity, version, body, content_hash, note, created_at)
                 VALUES ($1, $2, 0, $3, $4, 'bundled default', {DATABASE_NOW})"
            ),
            &[&new.id, entity, body, hash],
        )
        .await
        .map_err(pg)?;
    }
    Ok(())
}

/// The advisory lock event writers hold from their insert to their commit ("events").
const EVENTS_LOCK: i64 = 0x6576_656e_7473;

/// Appends events inside the caller's transaction (the change and its events commit
/// together).
///
/// An identity value is taken at insert, not at commit: with two writers, seq 11 can
/// commit before seq 10, and a reader of `events_after(10)` that ran in between would
/// never see 10. Writers therefore take a transaction-scoped advisory lock before
/// inserting, so events commit in `seq` order. Callers append events last, just before
/// committing, so the lock is held only for the commit itself.
pub(crate) async fn append_events(tx: &impl GenericClient, events: &[NewEvent]) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&EVENTS_LOCK])
        .await
        .map_err(pg)?;
    // Made at the database's time now, not the node's `created_at`: fanning events out
    // compares it with an endpoint's creation (on that clock too, see
    // `insert_webhook_endpoint`), so an endpoint added on a node whose clock runs ahead
    // still gets the events made after it, and one added on a node whose clock runs
    // behind does not get events made before it. The payload is kept exactly as given.
    let statement = tx
        .prepare_cached(&format!(
            "INSERT INTO events (id, org_id, connection_id, type, payload, created_at) VALUES ($1, $2, $3, $4, $5, {DATABASE_NOW})"
        ))
        .await
        .map_err(pg)?;
    for event in events {
        tx.execute(
            &statement,
            &[
                &event.id,
                &event.org_id,
                &event.connection_id,
                &event.kind,
                &event.payload,
            ],
        )
        .await
        .map_err(pg)?;
    }
    Ok(())
}

#[cfg(test)]
mod redaction_tests {
    use super::{carries_password, redacted};

    /// Every way a password can be written into a connection string: none reaches the
    /// message, and the driver reads one from each (so the command line refuses them).
    #[test]
    fn no_password_reaches_a_message_however_it_is_written() {
        let written = [
            ("postgres://u:secret@db/x", "postgres://u@db/x"),
            // The driver splits the userinfo at the first `@`: password `1234/abc`, where a
            // URL parser sees host `u`, port 1234 and no password.
            ("postgres://u:1234/abc@db/x", "postgres://u@db/x"),
            ("postgres://u@db/x?password=secret", "postgres://u@db/x"),
            (
                "postgresql://u@db:5433/x?sslmode=verify-full&password=secret&application_name=a",
                "postgres://u@db:5433/x",
            ),
            // A percent-encoded key is decoded by the driver.
            ("postgres://u@db/x?pass%77ord=secret", "postgres://u@db/x"),
            ("postgres://u:se%40cret@db/x", "postgres://u@db/x"),
            (
                "host=db user=u password=secret dbname=x",
                "postgres://u@db/x",
            ),
            (
                "host=db user=u password='se cret' dbname=x",
                "postgres://u@db/x",
            ),
        ];
        for (connection, shown) in written {
            let message = redacted(connection);
            assert_eq!(message, shown, "{connection}");
            assert!(
                !message.contains("secret")
                    && !message.contains("1234")
                    && !message.contains("cret"),
                "{message}"
            );
            assert!(carries_password(connection), "{connection}");
        }
    }

    #[test]
    fn what_the_driver_cannot_read_or_takes_as_a_name_is_not_shown() {
        // No `:` before the first `@`: the driver's user is `db/x?password=secret`.
        let message = redacted("postgres://db/x?password=secret@b/y");
        assert!(!message.contains("secret"), "{message}");
        assert_eq!(
            redacted("postgres://u@db/x?password"),
            "(a connection string the driver cannot read, not shown)"
        );
        assert_eq!(
            redacted("host=/run/postgresql user=u dbname=x"),
            "postgres://u@(socket in /run/postgresql)/x"
        );
        assert_eq!(
            redacted("postgres://u@10.0.0.1,db2:6543/x"),
            "postgres://u@10.0.0.1,db2:6543/x"
        );
        assert!(!carries_password("postgres://u@db/x"));
    }

    #[test]
    fn the_command_line_refuses_a_password_in_any_form() {
        for url in [
            "postgres://u:secret@db/x",
            "postgres://u:1234/abc@db/x",
            "postgres://u@db/x?password=secret",
            "postgres://u@db/x?PASSWORD=secret",
            "postgres://u@db/x?sslrootcert=/etc/ca.pem&pass%77ord=secret",
        ] {
            let refused = crate::check_database_argument(url).unwrap_err();
            assert!(
                refused.contains("[database_password_on_command_line]"),
                "{url}: {refused}"
            );
            assert!(refused.contains(crate::DATABASE_URL_ENV), "{refused}");
            assert!(
                !refused.contains("secret") && !refused.contains("1234"),
                "{refused}"
            );
        }
        crate::check_database_argument(
            "postgres://u@db/x?sslmode=verify-full&sslrootcert=/etc/ca.pem",
        )
        .unwrap();
    }
}
