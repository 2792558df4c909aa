//! Connection secrets (Corrigo client secrets, API keys) live in the operating system's
//! keyring, one entry per connection, and nowhere else: not in the workspace database,
//! logs, exports or error messages. Errors here never carry the secret.

use keyring::credential::{CredentialBuilderApi, CredentialPersistence};
use std::collections::HashMap;
use std::sync::Mutex;

/// The keyring service name every Unifield entry is filed under.
pub const SERVICE: &str = "dev.unifield.connection";

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The platform's secret store is missing, locked or refused the request.
    #[error("the system keyring is not available: {0}")]
    Unavailable(String),
    #[error("the system keyring refused the secret for connection `{connection}`: {reason}")]
    Refused { connection: String, reason: String },
    /// The build's credential store would lose the secret (keyring's in-memory mock, or a
    /// store that forgets at reboot): nothing is stored rather than silently lost.
    #[error("this build has no lasting secret store: {missing} is missing (keyring's store here keeps secrets only {kept}), so no secret can be kept")]
    NotPersistent { missing: &'static str, kept: String },
}

impl SecretError {
    pub fn code(&self) -> &'static str {
        match self {
            SecretError::Unavailable(_) => "keyring_unavailable",
            SecretError::Refused { .. } => "keyring_refused",
            SecretError::NotPersistent { .. } => "keyring_not_persistent",
        }
    }
}

/// Where secrets are kept, by connection name.
pub trait SecretStore: Send + Sync {
    fn set(&self, connection: &str, secret: &str) -> Result<(), SecretError>;
    /// `None` when the connection has no secret stored.
    fn get(&self, connection: &str) -> Result<Option<String>, SecretError>;
    /// Whether the connection has a secret, without reading the secret into this process
    /// (listing connections must not pull every secret into memory).
    fn exists(&self, connection: &str) -> Result<bool, SecretError>;
    /// Fails when secrets set here would not outlive the process. Called when a workspace
    /// opens, so a build without a lasting store says so at start-up, not after a restart.
    fn ensure_persistent(&self) -> Result<(), SecretError> {
        Ok(())
    }
    /// Removing a secret that is not there is not an error.
    fn delete(&self, connection: &str) -> Result<(), SecretError>;
}

/// The operating system's keyring: the Secret Service on Linux and the BSDs, the Keychain
/// on macOS, the Credential Manager on Windows (see Cargo.toml). Elsewhere keyring would
/// use its in-memory mock, which `Keyring` refuses.
#[derive(Debug, Default, Clone, Copy)]
pub struct Keyring;

/// The native store this build is meant to use, for the error that says it is missing.
const NATIVE_STORE: &str = if cfg!(target_os = "macos") {
    "the macOS Keychain (keyring feature `apple-native`)"
} else if cfg!(target_os = "windows") {
    "the Windows Credential Manager (keyring feature `windows-native`)"
} else if cfg!(any(
    target_os = "linux",
    target_os = "freebsd",
    target_os = "openbsd"
)) {
    "the Secret Service (keyring feature `sync-secret-service`)"
} else {
    "a native credential store (this platform has none in keyring)"
};

/// Refuses a credential store whose secrets do not last until deleted.
pub fn require_persistent(builder: &dyn CredentialBuilderApi) -> Result<(), SecretError> {
    let kept = match builder.persistence() {
        CredentialPersistence::UntilDelete => return Ok(()),
        CredentialPersistence::EntryOnly => "while one entry object lives",
        CredentialPersistence::ProcessOnly => "until the process exits",
        CredentialPersistence::UntilReboot => "until the machine restarts",
        _ => "for an unknown time",
    };
    Err(SecretError::NotPersistent {
        missing: NATIVE_STORE,
        kept: kept.to_string(),
    })
}

impl Keyring {
    fn entry(connection: &str) -> Result<keyring::Entry, SecretError> {
        keyring::Entry::new(SERVICE, connection).map_err(|e| describe(connection, e))
    }
}

/// keyring's errors, in words that never include the secret (keyring's own do not either;
/// `BadEncoding` would carry bytes, so it is reduced to a reason here).
fn describe(connection: &str, error: keyring::Error) -> SecretError {
    match error {
        keyring::Error::PlatformFailure(e) | keyring::Error::NoStorageAccess(e) => {
            SecretError::Unavailable(e.to_string())
        }
        keyring::Error::BadEncoding(_) => SecretError::Refused {
            connection: connection.to_string(),
            reason: "the stored secret is not UTF-8".into(),
        },
        other => SecretError::Refused {
            connection: connection.to_string(),
            reason: other.to_string(),
        },
    }
}

impl SecretStore for Keyring {
    fn set(&self, connection: &str, secret: &str) -> Result<(), SecretError> {
        self.ensure_persistent()?;
        Self::entry(connection)?
            .set_password(secret)
            .map_err(|e| describe(connection, e))
    }

    fn get(&self, connection: &str) -> Result<Option<String>, SecretError> {
        match Self::entry(connection)?.get_password() {
            Ok(secret) => Ok(Some(secret)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(describe(connection, e)),
        }
    }

    /// Reads the entry's attributes only: the Secret Service and the Credential Manager
    /// answer without the secret (keyring's macOS store reads it inside keyring and drops it).
    fn exists(&self, connection: &str) -> Result<bool, SecretError> {
        match Self::entry(connection)?.get_attributes() {
            Ok(_) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(describe(connection, e)),
        }
    }

    fn delete(&self, connection: &str) -> Result<(), SecretError> {
        match Self::entry(connection)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(describe(connection, e)),
        }
    }

    fn ensure_persistent(&self) -> Result<(), SecretError> {
        require_persistent(keyring::default::default_credential_builder().as_ref())
    }
}

/// Secrets in memory, for tests of code that takes a `SecretStore` (never a product store:
/// nothing outlives the process).
#[derive(Debug, Default)]
pub struct MemorySecrets(Mutex<HashMap<String, String>>);

impl SecretStore for MemorySecrets {
    fn set(&self, connection: &str, secret: &str) -> Result<(), SecretError> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(connection.to_string(), secret.to_string());
        Ok(())
    }

    fn get(&self, connection: &str) -> Result<Option<String>, SecretError> {
        Ok(self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(connection)
            .cloned())
    }

    fn exists(&self, connection: &str) -> Result<bool, SecretError> {
        Ok(self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(connection))
    }

    fn delete(&self, connection: &str) -> Result<(), SecretError> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(connection);
        Ok(())
    }
}
