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

use super::events::{EventRow, NewEvent};
use super::orgs::{ApiKeyRow, Principal, TokenRow};
use super::{Result, StorageError};
use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod};
use std::future::Future;
use tokio_postgres::NoTls;

/// Forward-only migrations, applied in order; `schema_migrations` records each.
const MIGRATIONS: &[&str] = &[include_str!("../../migrations/postgres/0001_server.sql")];

/// The advisory lock key under which migrations run (any constant both nodes agree on:
/// "unifield" in ASCII).
const MIGRATION_LOCK: i64 = 0x756e_6966_6965_6c64;

/// Connections per node.
const POOL_SIZE: usize = 16;

pub(crate) struct Postgres {
    /// Drives the pool's connections; shut down in the background on drop (dropping a
    /// runtime inside async code would panic).
    runtime: Option<tokio::runtime::Runtime>,
    pool: Pool,
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

/// The URL without its password, for messages.
fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
            }
            parsed.to_string()
        }
        Err(_) => "(unparsable URL)".into(),
    }
}

impl Postgres {
    pub(crate) fn open(url: &str) -> Result<Postgres> {
        let fail = |reason: String| StorageError::Open {
            path: redacted(url),
            reason,
        };
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e: tokio_postgres::Error| fail(format!("not a PostgreSQL URL: {e}")))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("unifield-postgres")
            .enable_all()
            .build()
            .map_err(|e| fail(format!("cannot start the driver's runtime: {e}")))?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = {
            let _entered = runtime.enter();
            Pool::builder(manager)
                .max_size(POOL_SIZE)
                .runtime(deadpool_postgres::Runtime::Tokio1)
                .wait_timeout(Some(std::time::Duration::from_secs(30)))
                .create_timeout(Some(std::time::Duration::from_secs(10)))
                .build()
                .map_err(|e| fail(format!("cannot build the connection pool: {e}")))?
        };
        let db = Postgres {
            runtime: Some(runtime),
            pool,
        };
        db.migrate().map_err(|e| fail(e.to_string()))?;
        Ok(db)
    }

    /// Runs `future` to completion on this thread, with the driver's runtime entered.
    fn block<T>(&self, future: impl Future<Output = Result<T>>) -> Result<T> {
        let _entered = self.runtime.as_ref().map(|r| r.enter());
        futures_executor::block_on(future)
    }

    async fn client(&self) -> Result<deadpool_postgres::Object> {
        self.pool.get().await.map_err(pool_error)
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
                .client()
                .await?
                .query_one(
                    "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                    &[],
                )
                .await
                .map_err(pg)?;
            Ok(row.get::<_, i32>(0) as u32)
        })
    }

    pub(crate) fn integrity_check(&self) -> Result<String> {
        self.block(async {
            let row = self
                .client()
                .await?
                .query_one("SELECT 'ok'::text", &[])
                .await
                .map_err(pg)?;
            Ok(row.get(0))
        })
    }

    // Organizations, API keys, connection tokens.

    pub(crate) fn add_org(&self, id: &str, name: &str, now: &str) -> Result<Option<()>> {
        self.block(async {
            let inserted = self
                .client()
                .await?
                .execute(
                    "INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
                    &[&id, &name, &now],
                )
                .await
                .map_err(pg)?;
            Ok((inserted == 1).then_some(()))
        })
    }

    pub(crate) fn org_by_name(&self, name: &str) -> Result<Option<String>> {
        self.block(async {
            let row = self
                .client()
                .await?
                .query_opt("SELECT id FROM organizations WHERE name = $1", &[&name])
                .await
                .map_err(pg)?;
            Ok(row.map(|r| r.get(0)))
        })
    }

    pub(crate) fn orgs(&self) -> Result<Vec<(String, String)>> {
        self.block(async {
            let rows = self
                .client()
                .await?
                .query("SELECT id, name FROM organizations ORDER BY name", &[])
                .await
                .map_err(pg)?;
            Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
        })
    }

    pub(crate) fn add_api_key(&self, row: &ApiKeyRow, hash: &str) -> Result<()> {
        self.block(async {
            self.client()
                .await?
                .execute(
                    "INSERT INTO api_keys (id, org_id, name, prefix, hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                    &[&row.id, &row.org_id, &row.name, &row.prefix, &hash, &row.created_at],
                )
                .await
                .map_err(pg)?;
            Ok(())
        })
    }

    pub(crate) fn api_keys(&self, org_id: &str) -> Result<Vec<ApiKeyRow>> {
        self.block(async {
            let rows = self
                .client()
                .await?
                .query(
                    "SELECT id, org_id, name, prefix, created_at, revoked_at FROM api_keys WHERE org_id = $1 ORDER BY created_at, id",
                    &[&org_id],
                )
                .await
                .map_err(pg)?;
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
                .client()
                .await?
                .execute(
                    "UPDATE api_keys SET revoked_at = $3 WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL",
                    &[&org_id, &key_id, &now],
                )
                .await
                .map_err(pg)?;
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
            self.client()
                .await?
                .execute(
                    "INSERT INTO connection_tokens (id, org_id, connection_id, name, prefix, hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    &[&row.id, &org_id, &row.connection_id, &row.name, &row.prefix, &hash, &row.created_at],
                )
                .await
                .map_err(pg)?;
            Ok(())
        })
    }

    pub(crate) fn tokens(&self, org_id: &str, connection_id: &str) -> Result<Vec<TokenRow>> {
        self.block(async {
            let rows = self
                .client()
                .await?
                .query(
                    "SELECT id, connection_id, name, prefix, created_at, revoked_at FROM connection_tokens
                     WHERE org_id = $1 AND connection_id = $2 ORDER BY created_at, id",
                    &[&org_id, &connection_id],
                )
                .await
                .map_err(pg)?;
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
                .client()
                .await?
                .execute(
                    "UPDATE connection_tokens SET revoked_at = $4
                     WHERE org_id = $1 AND connection_id = $2 AND id = $3 AND revoked_at IS NULL",
                    &[&org_id, &connection_id, &token_id, &now],
                )
                .await
                .map_err(pg)?;
            Ok(changed == 1)
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
                .client()
                .await?
                .query(
                    "SELECT seq, id, org_id, connection_id, type, payload, created_at FROM events
                     WHERE seq > $1 ORDER BY seq LIMIT $2",
                    &[&seq, &(limit as i64)],
                )
                .await
                .map_err(pg)?;
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

/// Appends events inside the caller's transaction (the change and its events commit
/// together).
pub(crate) async fn append_events(tx: &impl GenericClient, events: &[NewEvent]) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let statement = tx
        .prepare_cached(
            "INSERT INTO events (id, org_id, connection_id, type, payload, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
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
                &event.created_at,
            ],
        )
        .await
        .map_err(pg)?;
    }
    Ok(())
}
