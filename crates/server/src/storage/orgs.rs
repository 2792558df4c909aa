//! Organizations, their API keys and connection tokens. Keys and tokens are stored as
//! SHA-256 hashes only; the clear value is shown once, at creation.

use super::{Result, Sqlite};
use rusqlite::{params, OptionalExtension};

/// Who a request is, once its bearer credential is recognised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// An organization's API key: everything the organization owns.
    Organization { org_id: String, key_name: String },
    /// A connection token: reads of one connection only.
    Connection {
        org_id: String,
        connection_id: String,
        token_name: String,
    },
}

impl Principal {
    pub fn org_id(&self) -> &str {
        match self {
            Principal::Organization { org_id, .. } | Principal::Connection { org_id, .. } => org_id,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRow {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub prefix: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub id: String,
    pub connection_id: String,
    pub name: String,
    pub prefix: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

impl Sqlite {
    /// Adds an organization; `None` when the name is taken.
    pub fn add_org(&self, id: &str, name: &str, now: &str) -> Result<Option<()>> {
        let db = self.write();
        let inserted = db.execute(
            "INSERT INTO organizations (id, name, created_at) VALUES (?1, ?2, ?3) ON CONFLICT(name) DO NOTHING",
            params![id, name, now],
        )?;
        Ok((inserted == 1).then_some(()))
    }

    pub fn org_by_name(&self, name: &str) -> Result<Option<String>> {
        Ok(self
            .read()
            .query_row(
                "SELECT id FROM organizations WHERE name = ?1",
                [name],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// `(id, name)` of every organization.
    pub fn orgs(&self) -> Result<Vec<(String, String)>> {
        let db = self.read();
        let mut statement = db.prepare("SELECT id, name FROM organizations ORDER BY name")?;
        let rows = statement.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn add_api_key(&self, row: &ApiKeyRow, hash: &str) -> Result<()> {
        self.write().execute(
            "INSERT INTO api_keys (id, org_id, name, prefix, hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![row.id, row.org_id, row.name, row.prefix, hash, row.created_at],
        )?;
        Ok(())
    }

    pub fn api_keys(&self, org_id: &str) -> Result<Vec<ApiKeyRow>> {
        let db = self.read();
        let mut statement = db.prepare(
            "SELECT id, org_id, name, prefix, created_at, revoked_at FROM api_keys WHERE org_id = ?1 ORDER BY created_at, id",
        )?;
        let rows = statement.query_map([org_id], |r| {
            Ok(ApiKeyRow {
                id: r.get(0)?,
                org_id: r.get(1)?,
                name: r.get(2)?,
                prefix: r.get(3)?,
                created_at: r.get(4)?,
                revoked_at: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Revokes a key of the organization; false when it has no such live key.
    pub fn revoke_api_key(&self, org_id: &str, key_id: &str, now: &str) -> Result<bool> {
        Ok(self.write().execute(
            "UPDATE api_keys SET revoked_at = ?3 WHERE org_id = ?1 AND id = ?2 AND revoked_at IS NULL",
            params![org_id, key_id, now],
        )? == 1)
    }

    /// Deletes at most `limit` of the organization's API keys revoked before
    /// `revoked_before` (oldest first); how many went. Nothing refers to a key's row: a
    /// mapping version keeps the name of the key that published it as text.
    pub fn prune_revoked_api_keys(
        &self,
        org_id: &str,
        revoked_before: &str,
        limit: usize,
    ) -> Result<usize> {
        self.prune_revoked("api_keys", org_id, revoked_before, limit)
    }

    /// The principal a bearer credential's hash belongs to, if it is live.
    pub fn principal(&self, hash: &str) -> Result<Option<Principal>> {
        let db = self.read();
        let key = db
            .query_row(
                "SELECT org_id, name FROM api_keys WHERE hash = ?1 AND revoked_at IS NULL",
                [hash],
                |r| {
                    Ok(Principal::Organization {
                        org_id: r.get(0)?,
                        key_name: r.get(1)?,
                    })
                },
            )
            .optional()?;
        if key.is_some() {
            return Ok(key);
        }
        Ok(db
            .query_row(
                "SELECT t.org_id, t.connection_id, t.name FROM connection_tokens t
                 JOIN connections c ON c.id = t.connection_id
                 WHERE t.hash = ?1 AND t.revoked_at IS NULL",
                [hash],
                |r| {
                    Ok(Principal::Connection {
                        org_id: r.get(0)?,
                        connection_id: r.get(1)?,
                        token_name: r.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    pub fn add_token(&self, org_id: &str, row: &TokenRow, hash: &str) -> Result<()> {
        self.write().execute(
            "INSERT INTO connection_tokens (id, org_id, connection_id, name, prefix, hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![row.id, org_id, row.connection_id, row.name, row.prefix, hash, row.created_at],
        )?;
        Ok(())
    }

    /// [`Sqlite::add_token`] unless the organization already has `cap` live (unrevoked)
    /// tokens over its connections (false then, nothing written); one transaction.
    pub fn add_token_within(
        &self,
        org_id: &str,
        row: &TokenRow,
        hash: &str,
        cap: usize,
    ) -> Result<bool> {
        let mut db = self.write();
        let tx = db.transaction()?;
        let live =
            "SELECT count(*) FROM connection_tokens t JOIN connections c ON c.id = t.connection_id
                    WHERE t.org_id = ?1 AND t.revoked_at IS NULL";
        if !super::has_room(&tx, org_id, live, cap)? {
            return Ok(false);
        }
        tx.execute(
            "INSERT INTO connection_tokens (id, org_id, connection_id, name, prefix, hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![row.id, org_id, row.connection_id, row.name, row.prefix, hash, row.created_at],
        )?;
        tx.commit()?;
        Ok(true)
    }

    pub fn tokens(&self, org_id: &str, connection_id: &str) -> Result<Vec<TokenRow>> {
        let db = self.read();
        let mut statement = db.prepare(
            "SELECT id, connection_id, name, prefix, created_at, revoked_at FROM connection_tokens
             WHERE org_id = ?1 AND connection_id = ?2 ORDER BY created_at, id",
        )?;
        let rows = statement.query_map([org_id, connection_id], |r| {
            Ok(TokenRow {
                id: r.get(0)?,
                connection_id: r.get(1)?,
                name: r.get(2)?,
                prefix: r.get(3)?,
                created_at: r.get(4)?,
                revoked_at: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn revoke_token(
        &self,
        org_id: &str,
        connection_id: &str,
        token_id: &str,
        now: &str,
    ) -> Result<bool> {
        Ok(self.write().execute(
            "UPDATE connection_tokens SET revoked_at = ?4
             WHERE org_id = ?1 AND connection_id = ?2 AND id = ?3 AND revoked_at IS NULL",
            params![org_id, connection_id, token_id, now],
        )? == 1)
    }

    /// Deletes at most `limit` of the organization's tokens revoked before
    /// `revoked_before` (oldest first); how many went.
    pub fn prune_revoked_tokens(
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
        Ok(self.write().execute(
            &format!(
                "DELETE FROM {table} WHERE id IN (
                     SELECT id FROM {table}
                     WHERE org_id = ?1 AND revoked_at IS NOT NULL AND revoked_at < ?2
                     ORDER BY revoked_at, id LIMIT ?3)"
            ),
            params![org_id, revoked_before, limit as i64],
        )?)
    }
}
