//! `Storage`, the one interface everything above storage calls: an enum over the backends
//! (SQLite, the default; PostgreSQL). Each operation is listed once below and forwards to
//! the backend's function of the same name and signature.
//!
//! An enum rather than a trait object: several operations take a closure that builds
//! events from what the transaction found (`impl FnOnce`), which a trait object cannot
//! take without boxing, and the set of backends is closed.
//!
//! Operations that only make sense on SQLite (one process per file) are listed under
//! `sqlite_only`: on a PostgreSQL database they answer `StorageError::NotSupported` (code
//! `storage_not_supported`) and touch nothing. Every other operation exists on both. A new
//! storage function is added to one of the two lists.

use super::mappings::Stale;
use super::postgres::Postgres;
pub use super::postgres::DEFAULT_POSTGRES_POOL_SIZE;
use super::ApiKeyRow;
use super::{
    ClaimedWebhookDelivery, ConnectionRow, EventRow, MappingVersionRow, NewConnection, NewEvent,
    PageChange, Principal, RawRecord, Result, Sqlite, StorageError, SyncRunRow, TokenRow,
    WebhookAttemptRow, WebhookDeliveryRow, WebhookEndpointChange, WebhookEndpointRow, WebhookNext,
};

pub(crate) enum Backend {
    Sqlite(Sqlite),
    Postgres(Postgres),
}

/// The server's storage: SQLite in a data directory, or a PostgreSQL database.
pub struct Storage {
    pub(crate) backend: Backend,
    /// A serving process's lock on its SQLite file, held as long as this lives (see
    /// serving_lock.rs); None on PostgreSQL and for administration.
    _serving: Option<super::serving_lock::ServingLock>,
}

macro_rules! storage_operations {
    (
        both { $( $(#[$both_meta:meta])* fn $both:ident(&self $(, $both_arg:ident : $both_ty:ty)* $(,)?) -> $both_ret:ty; )* }
        sqlite_only { $( $(#[$only_meta:meta])* fn $only:ident(&self $(, $only_arg:ident : $only_ty:ty)* $(,)?) -> $only_ret:ty; )* }
    ) => {
        impl Storage {
            $(
                $(#[$both_meta])*
                #[allow(clippy::too_many_arguments)]
                pub fn $both(&self $(, $both_arg: $both_ty)*) -> $both_ret {
                    match &self.backend {
                        Backend::Sqlite(db) => db.$both($($both_arg),*),
                        Backend::Postgres(db) => db.$both($($both_arg),*),
                    }
                }
            )*
            $(
                $(#[$only_meta])*
                #[allow(clippy::too_many_arguments)]
                pub fn $only(&self $(, $only_arg: $only_ty)*) -> $only_ret {
                    match &self.backend {
                        Backend::Sqlite(db) => db.$only($($only_arg),*),
                        Backend::Postgres(_) => {
                            $( let _ = $only_arg; )*
                            Err(StorageError::NotSupported { operation: stringify!($only) })
                        }
                    }
                }
            )*
        }

        /// The SQLite-only operations (answered with `NotSupported` on PostgreSQL).
        pub const NOT_ON_POSTGRES: &[&str] = &[$(stringify!($only)),*];
    };
}

storage_operations! {
    both {
        // Organizations, API keys, connection tokens.
        fn add_org(&self, id: &str, name: &str, now: &str) -> Result<Option<()>>;
        fn org_by_name(&self, name: &str) -> Result<Option<String>>;
        fn orgs(&self) -> Result<Vec<(String, String)>>;
        fn add_api_key(&self, row: &ApiKeyRow, hash: &str) -> Result<()>;
        fn api_keys(&self, org_id: &str) -> Result<Vec<ApiKeyRow>>;
        fn revoke_api_key(&self, org_id: &str, key_id: &str, now: &str) -> Result<bool>;
        fn prune_revoked_api_keys(&self, org_id: &str, revoked_before: &str, limit: usize) -> Result<usize>;
        fn principal(&self, hash: &str) -> Result<Option<Principal>>;
        fn add_token(&self, org_id: &str, row: &TokenRow, hash: &str) -> Result<()>;
        // Capped: counted and written in one transaction (the organization's row locked on
        // PostgreSQL, so nodes at once cannot both take the last place); false at the cap.
        fn add_token_within(&self, org_id: &str, row: &TokenRow, hash: &str, cap: usize) -> Result<bool>;
        fn tokens(&self, org_id: &str, connection_id: &str) -> Result<Vec<TokenRow>>;
        fn revoke_token(&self, org_id: &str, connection_id: &str, token_id: &str, now: &str) -> Result<bool>;
        fn prune_revoked_tokens(&self, org_id: &str, revoked_before: &str, limit: usize) -> Result<usize>;
        // The event outbox.
        fn append_events(&self, events: &[NewEvent]) -> Result<()>;
        fn events_after(&self, seq: i64, limit: usize) -> Result<Vec<EventRow>>;
        // Connections, sealed secrets, sync runs.
        fn add_connection(&self, new: &NewConnection, default_mappings: &[(String, String, String)]) -> Result<()>;
        fn add_connection_within(&self, new: &NewConnection, default_mappings: &[(String, String, String)], cap: usize) -> Result<bool>;
        fn connection(&self, org_id: &str, id: &str) -> Result<Option<ConnectionRow>>;
        fn connections(&self, org_id: &str) -> Result<Vec<ConnectionRow>>;
        fn due_connections(&self, now: &str) -> Result<Vec<ConnectionRow>>;
        fn delete_connection(&self, org_id: &str, id: &str) -> Result<bool>;
        fn set_status(&self, org_id: &str, id: &str, status: &str, reason: Option<&str>, events: &[NewEvent]) -> Result<bool>;
        fn set_sync_due_now(&self, id: &str, now: &str) -> Result<()>;
        fn replace_credentials(&self, org_id: &str, id: &str, client_id: &str, region: Option<&str>, base_url: Option<&str>, sealed_secret: &[u8], now: &str, events: &[NewEvent]) -> Result<bool>;
        fn begin_sync(&self, id: &str, now: &str, events: &[NewEvent]) -> Result<i64>;
        fn finish_sync(&self, connection_id: &str, run: i64, run_status: &str, error: Option<&str>, reason: Option<&str>, connection_status: &str, next_sync_after: Option<std::time::Duration>, now: &str, events: &[NewEvent]) -> Result<()>;
        fn lease_sync(&self, id: &str, node: &str, now: &str, until: &str) -> Result<bool>;
        fn release_sync_lease(&self, id: &str, node: &str) -> Result<()>;
        fn last_sync(&self, connection_id: &str) -> Result<Option<SyncRunRow>>;
        fn watermark(&self, connection_id: &str, entity: &str) -> Result<Option<Option<String>>>;
        fn set_watermark(&self, connection_id: &str, entity: &str, since: Option<&str>) -> Result<()>;
        fn cached_properties(&self, connection_id: &str, entity: &str) -> Result<Option<Option<String>>>;
        fn set_cached_properties(&self, connection_id: &str, entity: &str, properties: &str) -> Result<()>;
        // Mapping versions.
        fn active_mappings(&self, connection_id: &str) -> Result<Vec<MappingVersionRow>>;
        fn active_mapping(&self, connection_id: &str, entity: &str) -> Result<Option<MappingVersionRow>>;
        fn active_version(&self, connection_id: &str, entity: &str) -> Result<Option<i64>>;
        fn mapping_versions(&self, connection_id: &str, entity: &str) -> Result<Vec<MappingVersionRow>>;
        fn mapping_version(&self, connection_id: &str, entity: &str, version: i64) -> Result<Option<MappingVersionRow>>;
        fn publish_mapping(&self, connection_id: &str, entity: &str, expected: i64, body: &str, content_hash: &str, key_name: Option<&str>, note: Option<&str>, rolled_back_to: Option<i64>, now: &str, events: impl FnOnce(i64) -> Vec<NewEvent>) -> Result<std::result::Result<i64, Stale>>;
        // Cached raw records.
        fn commit_page(&self, connection_id: &str, entity: &str, run: i64, records: &[(String, String, String)], now: &str, events: impl FnOnce(&[PageChange]) -> Vec<NewEvent>) -> Result<Vec<PageChange>>;
        fn raw_page(&self, connection_id: &str, entity: &str, after: i64, limit: usize) -> Result<Vec<RawRecord>>;
        fn raw_slice(&self, connection_id: &str, entity: &str, offset: usize, limit: usize) -> Result<Vec<RawRecord>>;
        fn raw_count(&self, connection_id: &str, entity: &str) -> Result<usize>;
        fn each_raw(&self, connection_id: &str, entity: &str, each: impl FnMut(RawRecord)) -> Result<()>;
        fn raw_by_ids(&self, connection_id: &str, entity: &str, ids: &[i64]) -> Result<Vec<RawRecord>>;
        fn raw_by_source_id(&self, connection_id: &str, entity: &str, source_id: &str) -> Result<Option<RawRecord>>;
        // Webhook endpoints, the fan-out cursor, deliveries (claimed with a lease per node)
        // and attempts.
        fn add_webhook_endpoint(&self, row: &WebhookEndpointRow) -> Result<()>;
        fn add_webhook_endpoint_within(&self, row: &WebhookEndpointRow, cap: usize) -> Result<bool>;
        fn webhook_endpoints(&self, org_id: &str) -> Result<Vec<WebhookEndpointRow>>;
        fn webhook_endpoint(&self, org_id: &str, id: &str) -> Result<Option<WebhookEndpointRow>>;
        fn webhook_endpoint_org(&self, id: &str) -> Result<Option<String>>;
        fn update_webhook_endpoint(&self, org_id: &str, id: &str, change: &WebhookEndpointChange, now: &str) -> Result<bool>;
        fn rotate_webhook_secret(&self, org_id: &str, id: &str, sealed_secret: &[u8], previous_kept_for: std::time::Duration, now: &str) -> Result<bool>;
        fn delete_webhook_endpoint(&self, org_id: &str, id: &str) -> Result<bool>;
        fn fan_out_webhook_events(&self, limit: usize, now: &str) -> Result<usize>;
        fn claim_webhook_deliveries(&self, node: &str, now: &str, lease_until: &str, limit: usize) -> Result<Vec<ClaimedWebhookDelivery>>;
        fn finish_webhook_attempt(&self, node: &str, attempt: &WebhookAttemptRow, next: &WebhookNext, now: &str, claim_next: Option<(&str, &str)>) -> Result<Option<ClaimedWebhookDelivery>>;
        fn webhook_deliveries(&self, endpoint_id: &str, limit: usize) -> Result<Vec<(WebhookDeliveryRow, Vec<WebhookAttemptRow>)>>;
        fn redeliver_webhook(&self, endpoint_id: &str, delivery_id: i64, now: &str) -> Result<Option<i64>>;
        fn release_webhook_leases(&self, node: &str) -> Result<usize>;
        fn prune_webhook_deliveries(&self, kept_for: std::time::Duration, now: &str, limit: usize) -> Result<usize>;
        fn pending_webhook_deliveries(&self) -> Result<i64>;
        fn webhook_work_waiting(&self, now: &str) -> Result<bool>;
    }
    sqlite_only {
        // Failing every `running` sync at start is right for one process per SQLite file
        // only; on shared PostgreSQL `lease_sync` fails a dead node's run on take-over.
        fn fail_interrupted_syncs(&self, now: &str) -> Result<usize>;
    }
}

impl Storage {
    /// The SQLite database in `dir` (created 0700/0600 if needed), schema brought up to date.
    pub fn open(dir: &std::path::Path) -> Result<Storage> {
        Ok(Storage {
            backend: Backend::Sqlite(Sqlite::open(dir)?),
            _serving: None,
        })
    }

    /// [`Storage::open`] for a server: it holds an exclusive lock on the lock file beside
    /// the database ([`super::LOCK_FILE`], 0600) as long as it lives, and is refused with
    /// `StorageError::DatabaseInUse` (`storage_in_use`) while another server holds it.
    pub fn open_serving(dir: &std::path::Path) -> Result<Storage> {
        // Taken before the database is opened: a refused second server changes nothing.
        let lock = super::serving_lock::ServingLock::take(dir)?;
        Ok(Storage {
            backend: Backend::Sqlite(Sqlite::open(dir)?),
            _serving: Some(lock),
        })
    }

    /// The PostgreSQL database at `url` (`postgres://…`), migrations applied under an
    /// advisory lock so that nodes starting together migrate once.
    pub fn open_postgres(url: &str) -> Result<Storage> {
        Storage::open_postgres_pooled(url, DEFAULT_POSTGRES_POOL_SIZE)
    }

    /// [`Storage::open_postgres`] with at most `pool_size` database connections from this
    /// node (`--database-pool-size`; at least 1).
    pub fn open_postgres_pooled(url: &str, pool_size: usize) -> Result<Storage> {
        Storage::open_postgres_with(url, pool_size, false)
    }

    /// [`Storage::open_postgres_pooled`], and with `allow_plaintext` a database on another
    /// machine without TLS too. TLS follows the URL's `sslmode` and `sslrootcert` (a host
    /// that is not loopback or a Unix socket directory defaults to `verify-full`); without
    /// `allow_plaintext` such a host with `sslmode=disable` is refused with
    /// [`StorageError::PlaintextRemoteDatabase`](super::StorageError) before any
    /// connection is made (`--allow-plaintext-database`, `UNIFIELD_DATABASE_ALLOW_PLAINTEXT=1`).
    pub fn open_postgres_with(
        url: &str,
        pool_size: usize,
        allow_plaintext: bool,
    ) -> Result<Storage> {
        Ok(Storage {
            backend: Backend::Postgres(Postgres::open(url, pool_size, allow_plaintext)?),
            _serving: None,
        })
    }

    /// `sqlite` or `postgres`.
    pub fn backend_name(&self) -> &'static str {
        match &self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// The backend's consistency check: "ok" when sound (SQLite's `PRAGMA integrity_check`;
    /// on PostgreSQL, a round trip to the database).
    pub fn integrity_check(&self) -> Result<String> {
        match &self.backend {
            Backend::Sqlite(db) => db.integrity_check(),
            Backend::Postgres(db) => db.integrity_check(),
        }
    }

    /// How many migrations the database has applied.
    pub fn schema_version(&self) -> Result<u32> {
        match &self.backend {
            Backend::Sqlite(db) => db.schema_version(),
            Backend::Postgres(db) => db.schema_version(),
        }
    }
}
