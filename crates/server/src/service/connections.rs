//! Connections: create (secret sealed), list, read, delete, status, reconnect.

use super::{event, now, Service};
use crate::crypto::{new_id, sha256_hex};
use crate::error::{Error, Result};
use crate::storage::{ConnectionRow, NewConnection};
use serde::{Deserialize, Serialize};
use serde_json::json;
use unifield_corrigo_client as corrigo;

/// `POST /api/connections`. The secret is sealed at once and never returned.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionInput {
    pub name: String,
    /// The Corrigo company name.
    pub company: String,
    /// `am`, `emea` or `apac` (the API host is found through Corrigo's locator); or use base_url.
    #[serde(default)]
    pub region: Option<String>,
    /// A fixed API base URL (https, or http on loopback for the sandbox).
    #[serde(default)]
    pub base_url: Option<String>,
    pub client_id: String,
    pub client_secret: String,
}

/// `PUT /api/connections/{id}/credentials`: tested before anything is stored.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CredentialsInput {
    pub client_id: String,
    pub client_secret: String,
    /// A new region or base URL; the connection's current one when both are absent.
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub base_url: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConnectionView {
    pub id: String,
    pub name: String,
    pub company: String,
    pub region: Option<String>,
    pub base_url: Option<String>,
    pub client_id: String,
    /// `ok`, `syncing`, `reauthorization_required` or `error`.
    pub status: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SyncView {
    pub started_at: String,
    pub finished_at: Option<String>,
    /// `running`, `completed`, `failed` or `reauthorization_required`.
    pub status: String,
    pub records: i64,
    pub error: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StatusView {
    pub connection_id: String,
    /// `ok`, `syncing`, `reauthorization_required` or `error`.
    pub status: String,
    pub reason: Option<String>,
    /// What to do about it, when something is needed.
    pub action: Option<String>,
    pub last_sync: Option<SyncView>,
    /// When the next sync is due (none while reauthorization is required).
    pub next_sync_at: Option<String>,
}

impl From<&ConnectionRow> for ConnectionView {
    fn from(row: &ConnectionRow) -> ConnectionView {
        ConnectionView {
            id: row.id.clone(),
            name: row.name.clone(),
            company: row.company.clone(),
            region: row.region.clone(),
            base_url: row.base_url.clone(),
            client_id: row.client_id.clone(),
            status: row.status.clone(),
            created_at: row.created_at.clone(),
        }
    }
}

const TEXT_LIMIT: usize = 500;

fn check_text(field: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() || value.len() > TEXT_LIMIT || value.chars().any(char::is_control) {
        return Err(Error::bad_request(
            "invalid_input",
            format!("`{field}` must be 1 to {TEXT_LIMIT} printable characters"),
        ));
    }
    Ok(())
}

/// Region or base URL, exactly one, and a base URL that does not send credentials in
/// clear: https, or http only to a loopback host (the sandbox).
pub fn check_endpoint(region: Option<&str>, base_url: Option<&str>) -> Result<corrigo::Endpoint> {
    match (region, base_url) {
        (Some(region), None) => match region {
            "am" | "emea" | "apac" => Ok(corrigo::Endpoint::Region(region.to_string())),
            other => Err(Error::bad_request(
                "invalid_region",
                format!("region `{other}` is not one of am, emea, apac"),
            )),
        },
        (None, Some(base)) => {
            let url = url::Url::parse(base).map_err(|e| {
                Error::bad_request("invalid_base_url", format!("base_url is not a URL: {e}"))
            })?;
            let loopback = match url.host() {
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
                None => false,
            };
            match url.scheme() {
                "https" => {}
                "http" if loopback => {}
                "http" => {
                    return Err(Error::bad_request(
                        "insecure_base_url",
                        "base_url must use https (http is allowed only for a loopback sandbox): credentials would travel in clear",
                    ))
                }
                other => {
                    return Err(Error::bad_request(
                        "invalid_base_url",
                        format!("base_url scheme `{other}` is not https"),
                    ))
                }
            }
            if !url.username().is_empty() || url.password().is_some() {
                return Err(Error::bad_request(
                    "invalid_base_url",
                    "base_url must not carry credentials",
                ));
            }
            Ok(corrigo::Endpoint::BaseUrl(
                base.trim_end_matches('/').to_string(),
            ))
        }
        _ => Err(Error::bad_request(
            "invalid_endpoint",
            "give exactly one of `region` and `base_url`",
        )),
    }
}

fn endpoint_columns(endpoint: &corrigo::Endpoint) -> (Option<String>, Option<String>) {
    match endpoint {
        corrigo::Endpoint::Region(r) => (Some(r.clone()), None),
        corrigo::Endpoint::BaseUrl(u) => (None, Some(u.clone())),
    }
}

impl Service {
    pub(crate) fn connection_row(&self, org_id: &str, id: &str) -> Result<ConnectionRow> {
        self.storage
            .connection(org_id, id)?
            .ok_or_else(|| Error::NotFound(format!("connection `{id}`")))
    }

    pub fn add_connection(&self, org_id: &str, input: ConnectionInput) -> Result<ConnectionView> {
        check_text("name", &input.name)?;
        check_text("company", &input.company)?;
        check_text("client_id", &input.client_id)?;
        check_text("client_secret", &input.client_secret)?;
        let endpoint = check_endpoint(input.region.as_deref(), input.base_url.as_deref())?;
        let (region, base_url) = endpoint_columns(&endpoint);
        let id = new_id("con")?;
        let sealed_secret = self.key()?.seal(&id, &input.client_secret)?;
        let mut defaults = Vec::new();
        for mapping in &unifield_bundle::MAPPINGS {
            let loaded = unifield_engine::load(mapping.text, Some(mapping.file))
                .map_err(|e| Error::Internal(format!("a bundled mapping does not load: {e}")))?;
            defaults.push((
                loaded.doc.target.entity.clone(),
                mapping.text.to_string(),
                sha256_hex(mapping.text),
            ));
        }
        let new = NewConnection {
            id: id.clone(),
            org_id: org_id.to_string(),
            name: input.name,
            company: input.company,
            region,
            base_url,
            client_id: input.client_id,
            sealed_secret,
            created_at: now(),
        };
        self.storage.add_connection(&new, &defaults)?;
        self.wake.notify_one();
        Ok(ConnectionView::from(&self.connection_row(org_id, &id)?))
    }

    pub fn connections(&self, org_id: &str) -> Result<Vec<ConnectionView>> {
        Ok(self
            .storage
            .connections(org_id)?
            .iter()
            .map(ConnectionView::from)
            .collect())
    }

    pub fn connection(&self, org_id: &str, id: &str) -> Result<ConnectionView> {
        Ok(ConnectionView::from(&self.connection_row(org_id, id)?))
    }

    pub fn delete_connection(&self, org_id: &str, id: &str) -> Result<()> {
        if !self.storage.delete_connection(org_id, id)? {
            return Err(Error::NotFound(format!("connection `{id}`")));
        }
        Ok(())
    }

    pub fn status(&self, org_id: &str, id: &str) -> Result<StatusView> {
        let row = self.connection_row(org_id, id)?;
        let last = self.storage.last_sync(id)?;
        let action = match row.status.as_str() {
            "reauthorization_required" => Some(
                "Corrigo refused the connection's credentials: send current ones with PUT /api/connections/{id}/credentials; syncing resumes once they work".replace("{id}", id),
            ),
            "error" => Some("the last sync failed; it is retried at next_sync_at, or POST …/sync to retry now".to_string()),
            _ => None,
        };
        Ok(StatusView {
            connection_id: row.id,
            status: row.status,
            reason: row.status_reason,
            action,
            last_sync: last.map(|s| SyncView {
                started_at: s.started_at,
                finished_at: s.finished_at,
                status: s.status,
                records: s.records,
                error: s.error,
                reason: s.reason,
            }),
            next_sync_at: row.next_sync_at,
        })
    }

    /// A Corrigo client for a stored connection (its secret opened with the master key).
    pub(crate) fn client(&self, row: &ConnectionRow) -> Result<corrigo::Client> {
        let endpoint = match (&row.region, &row.base_url) {
            (Some(region), _) => corrigo::Endpoint::Region(region.clone()),
            (None, Some(url)) => corrigo::Endpoint::BaseUrl(url.clone()),
            (None, None) => return Err(Error::Internal("a connection without an endpoint".into())),
        };
        let credentials = corrigo::Credentials {
            company: row.company.clone(),
            client_id: row.client_id.clone(),
            client_secret: self.key()?.open(&row.id, &row.sealed_secret)?,
            endpoint,
        };
        corrigo::Client::new(credentials, self.settings.corrigo.clone())
            .map_err(|e| Error::Internal(e.to_string()))
    }

    /// Reconnect: signs in with the new credentials and asks Corrigo one small question;
    /// only when that works are they stored, the connection set `ok` and a sync started.
    /// Refused credentials change nothing.
    pub async fn replace_credentials(
        &self,
        org_id: &str,
        id: &str,
        input: CredentialsInput,
    ) -> Result<StatusView> {
        let row = self.connection_row(org_id, id)?;
        check_text("client_id", &input.client_id)?;
        check_text("client_secret", &input.client_secret)?;
        let endpoint = match (input.region.as_deref(), input.base_url.as_deref()) {
            (None, None) => check_endpoint(row.region.as_deref(), row.base_url.as_deref())?,
            (region, base) => check_endpoint(region, base)?,
        };
        let credentials = corrigo::Credentials {
            company: row.company.clone(),
            client_id: input.client_id.clone(),
            client_secret: input.client_secret.clone(),
            endpoint: endpoint.clone(),
        };
        let mut options = self.settings.corrigo.clone();
        // A test of credentials answers the person waiting: a few attempts, not ten.
        options.attempts = options.attempts.min(3);
        let client = corrigo::Client::new(credentials, options)
            .map_err(|e| Error::Internal(e.to_string()))?;
        let probe = corrigo::QueryExpression::default()
            .properties(&["Id"])
            .page(0, 1);
        let tested = async {
            client.api_host().await?;
            client.query("WorkZone", &probe).await
        }
        .await;
        if let Err(error) = tested {
            return Err(match error {
                corrigo::ClientError::ReauthorizationRequired(reason) => {
                    Error::CredentialsRefused(reason)
                }
                other => Error::CorrigoUnavailable(other.to_string()),
            });
        }
        let (region, base_url) = endpoint_columns(&endpoint);
        let sealed = self.key()?.seal(id, &input.client_secret)?;
        let mut events = Vec::new();
        if row.status != "ok" && row.status != "syncing" {
            events.push(event(
                org_id,
                Some(id),
                "connection.status_changed",
                json!({"from": row.status, "to": "ok", "reason": "credentials replaced"}),
            )?);
        }
        self.storage.replace_credentials(
            org_id,
            id,
            &input.client_id,
            region.as_deref(),
            base_url.as_deref(),
            &sealed,
            &now(),
            &events,
        )?;
        self.wake.notify_one();
        self.status(org_id, id)
    }
}
