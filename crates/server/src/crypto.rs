//! The server's master key and what it protects: each connection's client secret is
//! sealed with ChaCha20-Poly1305 (random nonce, the connection id as additional data, so
//! a sealed secret copied onto another connection does not open). Also random ids, keys
//! and their SHA-256 hashes.

use crate::error::{Error, Result};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The keyring entry (under unifield-secrets' service) that holds the master key.
pub const KEYRING_ENTRY: &str = "unifield-server-master-key";
/// The environment variable naming a key file for hosts without a keyring.
pub const KEY_FILE_ENV: &str = "UNIFIELD_SERVER_KEY_FILE";

/// Where the master key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MasterKeySource {
    /// The OS keyring; created there on first start.
    Keyring,
    /// A file of 64 hex digits, readable by its owner only (headless hosts).
    File(PathBuf),
    /// `--demo`: a 0600 file in the data directory, created when missing.
    DemoFile(PathBuf),
}

impl MasterKeySource {
    /// `UNIFIELD_SERVER_KEY_FILE` when set, else the keyring.
    pub fn from_env() -> MasterKeySource {
        match std::env::var_os(KEY_FILE_ENV) {
            Some(path) if !path.is_empty() => MasterKeySource::File(PathBuf::from(path)),
            _ => MasterKeySource::Keyring,
        }
    }
}

pub struct MasterKey(Key);

impl MasterKey {
    pub fn load(source: &MasterKeySource) -> Result<MasterKey> {
        match source {
            MasterKeySource::Keyring => {
                use unifield_secrets::{Keyring, SecretStore};
                let keyring = Keyring;
                let text = match keyring
                    .get(KEYRING_ENTRY)
                    .map_err(|e| Error::MasterKey(e.to_string()))?
                {
                    Some(text) => text,
                    None => {
                        let text = hex::encode(random_bytes::<32>()?);
                        keyring
                            .set(KEYRING_ENTRY, &text)
                            .map_err(|e| Error::MasterKey(e.to_string()))?;
                        text
                    }
                };
                MasterKey::from_hex(&text, "the keyring entry")
            }
            MasterKeySource::File(path) => {
                check_private(path)?;
                let text = std::fs::read_to_string(path).map_err(|e| {
                    Error::MasterKey(format!("cannot read {}: {e}", path.display()))
                })?;
                MasterKey::from_hex(text.trim(), &path.display().to_string())
            }
            MasterKeySource::DemoFile(path) => {
                if !path.exists() {
                    write_private(path, &hex::encode(random_bytes::<32>()?))?;
                }
                check_private(path)?;
                let text = std::fs::read_to_string(path).map_err(|e| {
                    Error::MasterKey(format!("cannot read {}: {e}", path.display()))
                })?;
                MasterKey::from_hex(text.trim(), &path.display().to_string())
            }
        }
    }

    fn from_hex(text: &str, place: &str) -> Result<MasterKey> {
        let bytes = hex::decode(text)
            .ok()
            .filter(|b| b.len() == 32)
            .ok_or_else(|| Error::MasterKey(format!("{place} must hold 64 hex digits")))?;
        Ok(MasterKey(*Key::from_slice(&bytes)))
    }

    /// nonce || ciphertext+tag.
    pub fn seal(&self, connection_id: &str, secret: &str) -> Result<Vec<u8>> {
        let nonce = random_bytes::<12>()?;
        let cipher = ChaCha20Poly1305::new(&self.0);
        let sealed = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: secret.as_bytes(),
                    aad: connection_id.as_bytes(),
                },
            )
            .map_err(|_| Error::Internal("sealing a secret failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    pub fn open(&self, connection_id: &str, sealed: &[u8]) -> Result<String> {
        if sealed.len() < 12 {
            return Err(Error::MasterKey("a stored secret is cut short".into()));
        }
        let (nonce, body) = sealed.split_at(12);
        let cipher = ChaCha20Poly1305::new(&self.0);
        let clear = cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: connection_id.as_bytes(),
                },
            )
            .map_err(|_| {
                Error::MasterKey(
                    "a stored secret does not open with this master key (was the key replaced?)"
                        .into(),
                )
            })?;
        String::from_utf8(clear)
            .map_err(|_| Error::MasterKey("a stored secret is not UTF-8".into()))
    }
}

/// Refuses a key file that its group or others could read or write.
fn check_private(path: &Path) -> Result<()> {
    let meta = std::fs::metadata(path)
        .map_err(|e| Error::MasterKey(format!("cannot read {}: {e}", path.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(Error::MasterKey(format!(
                "{} is accessible to others (mode {mode:o}); run `chmod 600 {}`",
                path.display(),
                path.display()
            )));
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    Ok(())
}

fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| Error::MasterKey(format!("cannot create {}: {e}", path.display())))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::MasterKey(format!("cannot write {}: {e}", path.display())))
}

pub fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::getrandom(&mut bytes)
        .map_err(|e| Error::Internal(format!("no randomness from the OS: {e}")))?;
    Ok(bytes)
}

/// A new id such as `con_3f9a…` (16 random bytes).
pub fn new_id(prefix: &str) -> Result<String> {
    Ok(format!("{prefix}_{}", hex::encode(random_bytes::<16>()?)))
}

/// A new bearer credential such as `ufk_…` (32 random bytes).
pub fn new_secret(prefix: &str) -> Result<String> {
    Ok(format!("{prefix}_{}", hex::encode(random_bytes::<32>()?)))
}

pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}
