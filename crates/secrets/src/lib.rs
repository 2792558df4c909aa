//! Connection secrets (Corrigo client secrets, API keys) live in the operating system's
//! keyring, one entry per connection, and nowhere else: not in the workspace database,
//! logs, exports or error messages. Errors here never carry the secret.

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
}

impl SecretError {
    pub fn code(&self) -> &'static str {
        match self {
            SecretError::Unavailable(_) => "keyring_unavailable",
            SecretError::Refused { .. } => "keyring_refused",
        }
    }
}

/// Where secrets are kept, by connection name.
pub trait SecretStore: Send + Sync {
    fn set(&self, connection: &str, secret: &str) -> Result<(), SecretError>;
    /// `None` when the connection has no secret stored.
    fn get(&self, connection: &str) -> Result<Option<String>, SecretError>;
    /// Removing a secret that is not there is not an error.
    fn delete(&self, connection: &str) -> Result<(), SecretError>;
}

/// The operating system's keyring: Secret Service on Linux desktops (and keyutils where
/// the build selects it), Keychain on macOS, Credential Manager on Windows.
#[derive(Debug, Default, Clone, Copy)]
pub struct Keyring;

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

    fn delete(&self, connection: &str) -> Result<(), SecretError> {
        match Self::entry(connection)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(describe(connection, e)),
        }
    }
}

/// Secrets in memory, for tests of code that takes a `SecretStore`.
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

    fn delete(&self, connection: &str) -> Result<(), SecretError> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(connection);
        Ok(())
    }
}
