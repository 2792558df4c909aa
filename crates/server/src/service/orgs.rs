//! Organizations, API keys and connection tokens.

use super::{now, Service};
use crate::crypto::{new_id, new_secret, sha256_hex};
use crate::error::{Error, Result};
use crate::storage::{timestamp, ApiKeyRow, TokenRow};
use serde::Serialize;

/// A key or token as listed: never the secret itself.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KeyView {
    pub id: String,
    pub name: String,
    /// The first characters of the key, to tell keys apart.
    pub prefix: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

/// A key or token just made: the only time its secret is shown.
#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct CreatedKey {
    pub id: String,
    pub name: String,
    /// Shown once; the server keeps only its SHA-256 hash.
    pub secret: String,
}

/// Redacted: a `{:?}` in a log line or an error must not print a live bearer credential.
impl std::fmt::Debug for CreatedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedKey")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("secret", &"<redacted>")
            .finish()
    }
}

fn prefix_of(secret: &str) -> String {
    secret.chars().take(10).collect()
}

const NAME_LIMIT: usize = 200;

fn check_name(what: &str, name: &str) -> Result<()> {
    if name.trim().is_empty() || name.len() > NAME_LIMIT || name.chars().any(char::is_control) {
        return Err(Error::bad_request(
            "invalid_name",
            format!("{what} must be 1 to {NAME_LIMIT} printable characters"),
        ));
    }
    Ok(())
}

impl Service {
    pub fn add_org(&self, name: &str) -> Result<String> {
        check_name("an organization's name", name)?;
        let id = new_id("org")?;
        self.storage
            .add_org(&id, name, &now())?
            .ok_or_else(|| Error::Conflict(format!("an organization named `{name}` exists")))?;
        Ok(id)
    }

    pub fn org_id(&self, name: &str) -> Result<String> {
        self.storage
            .org_by_name(name)?
            .ok_or_else(|| Error::NotFound(format!("organization `{name}`")))
    }

    pub fn create_key(&self, org_name: &str, label: &str) -> Result<CreatedKey> {
        check_name("a key's name", label)?;
        let org_id = self.org_id(org_name)?;
        let secret = new_secret("ufk")?;
        let row = ApiKeyRow {
            id: new_id("key")?,
            org_id,
            name: label.to_string(),
            prefix: prefix_of(&secret),
            created_at: now(),
            revoked_at: None,
        };
        self.storage.add_api_key(&row, &sha256_hex(&secret))?;
        Ok(CreatedKey {
            id: row.id,
            name: row.name,
            secret,
        })
    }

    pub fn keys(&self, org_name: &str) -> Result<Vec<KeyView>> {
        let org_id = self.org_id(org_name)?;
        Ok(self
            .storage
            .api_keys(&org_id)?
            .into_iter()
            .map(|k| KeyView {
                id: k.id,
                name: k.name,
                prefix: k.prefix,
                created_at: k.created_at,
                revoked_at: k.revoked_at,
            })
            .collect())
    }

    pub fn revoke_key(&self, org_name: &str, key_id: &str) -> Result<()> {
        let org_id = self.org_id(org_name)?;
        let revoked_at = chrono::Utc::now();
        if !self
            .storage
            .revoke_api_key(&org_id, key_id, &timestamp(revoked_at))?
        {
            return Err(Error::NotFound(format!("live key `{key_id}`")));
        }
        // As with tokens (see `revoke_token`): a revoked key stays listed for
        // `revoked_key_grace`, then a later revocation deletes a bounded batch of them, so
        // revoked rows cannot pile up. What an audit reads stays: each mapping version
        // keeps the name of the key that published it (text, not a reference to the key's
        // row), and keys revoked within the grace are listed with when they were made and
        // revoked. After the grace the key's row (its name, prefix and hash) is gone.
        if let Some(cutoff) = grace_cutoff(revoked_at, self.settings.revoked_key_grace) {
            if let Err(error) = self.storage.prune_revoked_api_keys(
                &org_id,
                &timestamp(cutoff),
                REVOKED_PRUNED_PER_REVOCATION,
            ) {
                eprintln!(
                    "unifield-server: pruning revoked API keys failed: {error} [{}]",
                    error.code()
                );
            }
        }
        Ok(())
    }

    pub fn create_token(
        &self,
        org_id: &str,
        connection_id: &str,
        label: &str,
    ) -> Result<CreatedKey> {
        check_name("a token's name", label)?;
        self.connection_row(org_id, connection_id)?;
        let secret = new_secret("uct")?;
        let row = TokenRow {
            id: new_id("tok")?,
            connection_id: connection_id.to_string(),
            name: label.to_string(),
            prefix: prefix_of(&secret),
            created_at: now(),
            revoked_at: None,
        };
        let cap = self.settings.max_tokens_per_org;
        if !self
            .storage
            .add_token_within(org_id, &row, &sha256_hex(&secret), cap)?
        {
            return Err(Error::LimitReached {
                code: "token_limit_reached",
                message: format!(
                    "this organization has {cap} live connection tokens, the most this server allows; revoke one first"
                ),
            });
        }
        Ok(CreatedKey {
            id: row.id,
            name: row.name,
            secret,
        })
    }

    pub fn tokens(&self, org_id: &str, connection_id: &str) -> Result<Vec<KeyView>> {
        self.connection_row(org_id, connection_id)?;
        Ok(self
            .storage
            .tokens(org_id, connection_id)?
            .into_iter()
            .map(|t| KeyView {
                id: t.id,
                name: t.name,
                prefix: t.prefix,
                created_at: t.created_at,
                revoked_at: t.revoked_at,
            })
            .collect())
    }

    pub fn revoke_token(&self, org_id: &str, connection_id: &str, token_id: &str) -> Result<()> {
        self.connection_row(org_id, connection_id)?;
        let revoked_at = chrono::Utc::now();
        if !self
            .storage
            .revoke_token(org_id, connection_id, token_id, &timestamp(revoked_at))?
        {
            return Err(Error::NotFound(format!("live token `{token_id}`")));
        }
        // Revoked tokens are kept a while (listed with `revoked_at`), then deleted: each
        // revocation deletes a bounded batch of the organization's tokens revoked longer
        // than `revoked_token_grace` ago, so its revoked rows cannot pile up (they only
        // grow by revocations). A failed prune does not undo the revocation.
        // Counted from this revocation's time, so it never deletes its own token (revoked
        // at the cutoff, not before). A grace too long to subtract keeps every token.
        if let Some(cutoff) = grace_cutoff(revoked_at, self.settings.revoked_token_grace) {
            if let Err(error) = self.storage.prune_revoked_tokens(
                org_id,
                &timestamp(cutoff),
                REVOKED_PRUNED_PER_REVOCATION,
            ) {
                eprintln!(
                    "unifield-server: pruning revoked tokens failed: {error} [{}]",
                    error.code()
                );
            }
        }
        Ok(())
    }
}

/// Revoked tokens (or keys) past their grace deleted by one revocation at most: more than
/// the one it adds, so the backlog shrinks, and bounded, so a revocation stays quick.
pub const REVOKED_PRUNED_PER_REVOCATION: usize = 100;

/// Rows revoked before this are past their `grace` (counted from a revocation at
/// `revoked_at`, so that revocation's own row, revoked at the cutoff, is never among
/// them); None, keeping every row, when the grace is too long to subtract.
fn grace_cutoff(
    revoked_at: chrono::DateTime<chrono::Utc>,
    grace: std::time::Duration,
) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::Duration::from_std(grace)
        .ok()
        .and_then(|grace| revoked_at.checked_sub_signed(grace))
}
