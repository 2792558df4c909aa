//! A workspace: the store (one SQLite file) and the secrets (the system keyring) of one
//! integrator's projects, with the operations that must touch both together. The studio's
//! commands and the CLI call these; neither talks to the store and keyring on its own.

pub use unifield_secrets::{Keyring, MemorySecrets, SecretError, SecretStore};
pub use unifield_store::{
    ConnectionSettings, Endpoint, MappingVersion, PullRun, PullStatus, Region, Store, StoreError,
    StoredConnection,
};

mod projection;
mod pull;

pub use projection::{draft_path, UnpulledRead};
pub use pull::{PullOptions, PullSummary};
pub use unifield_corrigo_client::Cancellation;

use chrono::Utc;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error("the client secret must not be empty")]
    EmptySecret,
    #[error("no data directory is known for this user; pass --workspace DIR")]
    NoDataDirectory,
    #[error("connection `{0}` has no secret in the system keyring; set it again (the studio's Connections: Set secret, or `unifield connection set-secret NAME`)")]
    MissingSecret(String),
    #[error(transparent)]
    Corrigo(#[from] unifield_corrigo_client::ClientError),
    #[error("Corrigo did not finish the connection test within {} s; check the region or base URL and the network, then test again", .0.as_secs_f32())]
    CheckTimedOut(std::time::Duration),
}

impl WorkspaceError {
    pub fn code(&self) -> &'static str {
        match self {
            WorkspaceError::Store(e) => e.code(),
            WorkspaceError::Secret(e) => e.code(),
            WorkspaceError::EmptySecret => "empty_secret",
            WorkspaceError::NoDataDirectory => "no_data_directory",
            WorkspaceError::MissingSecret(_) => "missing_secret",
            WorkspaceError::Corrigo(e) => e.code(),
            WorkspaceError::CheckTimedOut(_) => "connection_test_timed_out",
        }
    }
}

pub type Result<T> = std::result::Result<T, WorkspaceError>;

/// The most a connection test may take, sign-in, locator and query together: the person
/// who pressed "Test" is waiting, so throttling or a dead host is reported, not waited out.
pub const CHECK_BUDGET: std::time::Duration = std::time::Duration::from_secs(15);

/// A connection as listed: its settings and whether the keyring holds its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionInfo {
    pub connection: StoredConnection,
    pub has_secret: bool,
}

pub struct Workspace {
    pub store: Store,
    secrets: Arc<dyn SecretStore>,
}

/// The default workspace directory: the user's data directory (`~/.local/share/unifield`
/// on Linux, `~/Library/Application Support/unifield` on macOS, `%APPDATA%\unifield`).
pub fn default_directory() -> Result<PathBuf> {
    dirs::data_dir()
        .map(|d| d.join("unifield"))
        .ok_or(WorkspaceError::NoDataDirectory)
}

impl Workspace {
    /// Opens the workspace in `dir`. Fails at once when `secrets` would not keep a secret
    /// past this process (a build without its platform's keyring).
    pub fn open(dir: &Path, secrets: Arc<dyn SecretStore>) -> Result<Workspace> {
        secrets.ensure_persistent()?;
        Ok(Workspace {
            store: Store::open(dir)?,
            secrets,
        })
    }

    /// A second handle on the same workspace (its own SQLite connection, the same
    /// secrets), for work that runs beside this one: a pull while the studio previews.
    pub fn reopen(&self) -> Result<Workspace> {
        let dir = self.store.path().parent().unwrap_or(Path::new("."));
        Ok(Workspace {
            store: Store::open(dir)?,
            secrets: Arc::clone(&self.secrets),
        })
    }

    /// Adds a connection: settings to the store, secret to the keyring. If the keyring
    /// refuses, the connection is not kept, so no connection exists without its secret.
    /// The secret is kept without surrounding whitespace: a pasted newline would otherwise
    /// reach the token endpoint and come back as a misleading reauthorization error.
    pub fn add_connection(
        &self,
        settings: &ConnectionSettings,
        secret: &str,
    ) -> Result<StoredConnection> {
        let secret = usable_secret(secret)?;
        let stored = self.store.add_connection(settings, Utc::now())?;
        if let Err(error) = self.secrets.set(&settings.name, secret) {
            self.store.remove_connection(&settings.name)?;
            return Err(error.into());
        }
        Ok(stored)
    }

    /// Sets (or replaces) the keyring secret of an existing connection, the same way
    /// [`Workspace::add_connection`] stores it; the connection's settings, cached records
    /// and pull runs stay as they are. The way back from a secret that went missing from
    /// the keyring (a new keyring, another machine) or was rotated in Corrigo.
    pub fn set_secret(&self, name: &str, secret: &str) -> Result<()> {
        let secret = usable_secret(secret)?;
        self.store.connection(name)?;
        self.secrets.set(name, secret)?;
        Ok(())
    }

    /// Removes a connection, its cached records and pull runs, and its secret.
    pub fn remove_connection(&self, name: &str) -> Result<()> {
        self.store.remove_connection(name)?;
        self.secrets.delete(name)?;
        Ok(())
    }

    pub fn connections(&self) -> Result<Vec<ConnectionInfo>> {
        self.store
            .connections()?
            .into_iter()
            .map(|connection| {
                let has_secret = self.secrets.exists(&connection.settings.name)?;
                Ok(ConnectionInfo {
                    connection,
                    has_secret,
                })
            })
            .collect()
    }

    /// A Corrigo client for the named connection, signed in with its keyring secret.
    pub fn client(&self, name: &str) -> Result<unifield_corrigo_client::Client> {
        use unifield_corrigo_client as corrigo;
        let settings = self.store.connection(name)?.settings;
        let secret = self
            .secrets
            .get(name)?
            .ok_or_else(|| WorkspaceError::MissingSecret(name.to_string()))?;
        let endpoint = match settings.endpoint {
            Endpoint::Region(region) => corrigo::Endpoint::Region(region.as_str().to_string()),
            Endpoint::BaseUrl(url) => corrigo::Endpoint::BaseUrl(url),
        };
        let credentials = corrigo::Credentials {
            company: settings.company,
            client_id: settings.client_id,
            client_secret: secret,
            endpoint,
        };
        Ok(corrigo::Client::new(
            credentials,
            corrigo::Options::default(),
        )?)
    }

    /// Signs in with the named connection and asks Corrigo one small question, all
    /// within [`CHECK_BUDGET`]. Gives the API host the locator returned.
    pub async fn check(client: &unifield_corrigo_client::Client) -> Result<String> {
        Self::check_within(client, CHECK_BUDGET).await
    }

    /// [`Workspace::check`] within `budget`: a test that cannot finish in time is a
    /// `connection_test_timed_out`, whatever the client's own retries would still try.
    pub async fn check_within(
        client: &unifield_corrigo_client::Client,
        budget: std::time::Duration,
    ) -> Result<String> {
        use unifield_corrigo_client::QueryExpression;
        let checked = async {
            let host = client.api_host().await?;
            let probe = QueryExpression::default().properties(&["Id"]).page(0, 1);
            client.query("WorkZone", &probe).await?;
            Ok(host)
        };
        tokio::time::timeout(budget, checked)
            .await
            .map_err(|_| WorkspaceError::CheckTimedOut(budget))?
    }

    /// The secret of a connection, for the client that signs in with it.
    pub fn secret(&self, name: &str) -> Result<Option<String>> {
        self.store.connection(name)?;
        Ok(self.secrets.get(name)?)
    }
}

/// The secret as kept: without surrounding whitespace (see [`Workspace::add_connection`]),
/// and never empty.
fn usable_secret(secret: &str) -> Result<&str> {
    let secret = secret.trim();
    if secret.is_empty() {
        return Err(WorkspaceError::EmptySecret);
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(name: &str) -> ConnectionSettings {
        ConnectionSettings {
            name: name.into(),
            company: "Asurion".into(),
            endpoint: Endpoint::Region(Region::Am),
            client_id: "client".into(),
        }
    }

    /// A keyring that refuses every secret.
    struct Refusing;
    impl SecretStore for Refusing {
        fn set(&self, connection: &str, _: &str) -> std::result::Result<(), SecretError> {
            Err(SecretError::Refused {
                connection: connection.into(),
                reason: "locked".into(),
            })
        }
        fn get(&self, _: &str) -> std::result::Result<Option<String>, SecretError> {
            Ok(None)
        }
        fn exists(&self, _: &str) -> std::result::Result<bool, SecretError> {
            Ok(false)
        }
        fn delete(&self, _: &str) -> std::result::Result<(), SecretError> {
            Ok(())
        }
    }

    #[test]
    fn a_connection_and_its_secret_come_and_go_together() {
        let dir = tempfile::tempdir().unwrap();
        let workspace = Workspace::open(dir.path(), Arc::new(MemorySecrets::default())).unwrap();
        workspace
            .add_connection(&settings("acme"), "s3cret")
            .unwrap();
        assert_eq!(workspace.secret("acme").unwrap().as_deref(), Some("s3cret"));
        assert!(workspace.connections().unwrap()[0].has_secret);
        workspace.remove_connection("acme").unwrap();
        assert!(workspace.connections().unwrap().is_empty());
        assert_eq!(
            workspace.secret("acme").unwrap_err().code(),
            "unknown_connection"
        );
        assert_eq!(
            workspace
                .add_connection(&settings("x"), "  ")
                .unwrap_err()
                .code(),
            "empty_secret"
        );
    }

    /// Secrets in memory that count how often one was read.
    #[derive(Default)]
    struct CountingReads {
        inner: MemorySecrets,
        reads: std::sync::atomic::AtomicUsize,
    }
    impl SecretStore for CountingReads {
        fn set(&self, c: &str, s: &str) -> std::result::Result<(), SecretError> {
            self.inner.set(c, s)
        }
        fn get(&self, c: &str) -> std::result::Result<Option<String>, SecretError> {
            self.reads
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.inner.get(c)
        }
        fn exists(&self, c: &str) -> std::result::Result<bool, SecretError> {
            self.inner.exists(c)
        }
        fn delete(&self, c: &str) -> std::result::Result<(), SecretError> {
            self.inner.delete(c)
        }
    }

    #[test]
    fn listing_connections_does_not_read_their_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = Arc::new(CountingReads::default());
        let workspace = Workspace::open(dir.path(), secrets.clone()).unwrap();
        workspace
            .add_connection(&settings("acme"), "s3cret")
            .unwrap();
        let listed = workspace.connections().unwrap();
        assert!(listed[0].has_secret);
        assert_eq!(
            secrets.reads.load(std::sync::atomic::Ordering::Relaxed),
            0,
            "has_secret must come from an existence check, not a read"
        );
    }

    #[test]
    fn a_pasted_secret_is_kept_without_surrounding_whitespace() {
        let dir = tempfile::tempdir().unwrap();
        let workspace = Workspace::open(dir.path(), Arc::new(MemorySecrets::default())).unwrap();
        workspace
            .add_connection(&settings("acme"), "  s3cret\r\n")
            .unwrap();
        assert_eq!(workspace.secret("acme").unwrap().as_deref(), Some("s3cret"));
    }

    /// A store like keyring's mock: it keeps nothing past the process.
    struct Forgetful;
    impl SecretStore for Forgetful {
        fn set(&self, _: &str, _: &str) -> std::result::Result<(), SecretError> {
            Ok(())
        }
        fn get(&self, _: &str) -> std::result::Result<Option<String>, SecretError> {
            Ok(None)
        }
        fn exists(&self, _: &str) -> std::result::Result<bool, SecretError> {
            Ok(false)
        }
        fn delete(&self, _: &str) -> std::result::Result<(), SecretError> {
            Ok(())
        }
        fn ensure_persistent(&self) -> std::result::Result<(), SecretError> {
            Err(SecretError::NotPersistent {
                missing: "the test's native store",
                kept: "until the process exits".into(),
            })
        }
    }

    #[test]
    fn a_workspace_does_not_open_over_a_store_that_forgets() {
        let dir = tempfile::tempdir().unwrap();
        let error = Workspace::open(dir.path(), Arc::new(Forgetful))
            .err()
            .expect("refused at start-up");
        assert_eq!(error.code(), "keyring_not_persistent");
    }

    #[test]
    fn a_refused_secret_leaves_no_connection_behind() {
        let dir = tempfile::tempdir().unwrap();
        let workspace = Workspace::open(dir.path(), Arc::new(Refusing)).unwrap();
        let error = workspace
            .add_connection(&settings("acme"), "s3cret")
            .unwrap_err();
        assert_eq!(error.code(), "keyring_refused");
        assert!(!error.to_string().contains("s3cret"), "{error}");
        assert!(workspace.store.connections().unwrap().is_empty());
    }
}
