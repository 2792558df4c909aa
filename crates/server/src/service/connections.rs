//! Connections: create (secret sealed), list, read, delete, status, reconnect.

use super::{event, now, Service, Settings};
use crate::crypto::{new_id, sha256_hex};
use crate::error::{Error, Result};
use crate::storage::{ConnectionRow, NewConnection};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use unifield_corrigo_client as corrigo;
use unifield_webhooks::policy::{
    host_is, AddressClass, CheckingResolver, DestinationPolicy, HostLookup, PolicyError,
    SystemLookup,
};

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
    /// A fixed API base URL: https to a public host (http to a loopback sandbox only on a
    /// server run with --allow-loopback-connections).
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
    /// When it was added (connections are listed in this order). On the database's clock
    /// (PostgreSQL), as every node reads it; with SQLite, the server's.
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SyncView {
    /// When the run started. On the database's clock (PostgreSQL), as every node reads it; with SQLite, the server's.
    pub started_at: String,
    /// When the run ended (none while running). On the database's clock (PostgreSQL), as every node reads it; with SQLite, the server's.
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

/// Where connections may send requests. A connection's base URL is chosen by whoever
/// holds an organization key, and the server sends its client secret there from inside
/// the operator's network: unchecked, that is a server-side request forgery (services on
/// this host, metadata endpoints, private hosts). So connection hosts get the webhook
/// address policy (unifield-webhooks' `DestinationPolicy`: https only, public addresses
/// only), with loopback over http allowed only by the operator
/// (`--allow-loopback-connections`, for the sandbox). IP literals are checked here; names
/// by address in the resolver every Corrigo request connects through
/// ([`Service::connection_options`]), so a name that turns into 127.0.0.1 after it was
/// saved (DNS rebinding) is refused at request time.
fn policy(settings: &Settings) -> DestinationPolicy {
    DestinationPolicy {
        allow_insecure_loopback: settings.allow_loopback_connections,
    }
}

const LOOPBACK_FLAG: &str = "--allow-loopback-connections";

/// The policy's refusal, worded for a connection's base URL.
fn refusal_message(error: &PolicyError, allow_loopback: bool) -> String {
    match error {
        PolicyError::InvalidUrl(reason) => format!("not a URL: {reason}"),
        PolicyError::UrlTooLong => error.to_string(),
        PolicyError::UnsupportedScheme(scheme) => {
            format!("a Corrigo base URL uses https:// (found {scheme}://)")
        }
        PolicyError::InsecureScheme if allow_loopback => {
            "http:// is allowed only to this machine (a loopback sandbox); use https://: credentials would travel in clear".to_string()
        }
        PolicyError::InsecureScheme => format!(
            "use https://: credentials would travel in clear (http:// to a sandbox on this machine only when the server runs with {LOOPBACK_FLAG})"
        ),
        PolicyError::CredentialsInUrl => "must not carry a user name or password".to_string(),
        PolicyError::MissingHost => "has no host".to_string(),
        // The class only: what an internal name resolves to is the operator's business,
        // not an organization key holder's (the address goes to the server's log, see
        // `log_refused_address`). An address the caller wrote is named as written.
        PolicyError::AddressRefused { host, class, .. } => {
            let verb = host_is(host);
            let mut message = format!(
                "{host} {verb} a {} address; the server sends Corrigo requests only to public addresses",
                class.as_str()
            );
            if *class == AddressClass::Loopback && !allow_loopback {
                message.push_str(&format!(
                    " (to this machine only when it runs with {LOOPBACK_FLAG})"
                ));
            }
            message
        }
        PolicyError::LookupFailed { host, reason } => format!("{host} did not resolve: {reason}"),
        PolicyError::NoAddresses(host) => format!("{host} resolved to no address"),
    }
}

/// The address behind a refused host goes to the operator's log only.
fn log_refused_address(error: &PolicyError) {
    if let PolicyError::AddressRefused {
        host,
        address,
        class,
    } = error
    {
        eprintln!(
            "unifield-server: a connection's base URL was refused: {host} resolves to {address}, a {} address [address_refused]",
            class.as_str()
        );
    }
}

/// A refused base URL, located at its field, with the policy's code in `problems`.
fn refused_base_url(error: &PolicyError, allow_loopback: bool) -> Error {
    log_refused_address(error);
    let code = match error {
        PolicyError::InsecureScheme => "insecure_base_url",
        PolicyError::AddressRefused { .. } => "base_url_address_refused",
        PolicyError::LookupFailed { .. } | PolicyError::NoAddresses(_) => "base_url_lookup_failed",
        _ => "invalid_base_url",
    };
    Error::FieldRefused {
        code,
        field: "base_url",
        problem: error.code(),
        message: refusal_message(error, allow_loopback),
    }
}

/// Region or base URL, exactly one, and a base URL the connection policy allows (see
/// [`policy`]): no credentials in it, https to a public host, or http to loopback when
/// the operator allowed it.
pub fn check_endpoint(
    settings: &Settings,
    region: Option<&str>,
    base_url: Option<&str>,
) -> Result<corrigo::Endpoint> {
    match (region, base_url) {
        (Some(region), None) => match region {
            "am" | "emea" | "apac" => Ok(corrigo::Endpoint::Region(region.to_string())),
            other => Err(Error::bad_request(
                "invalid_region",
                format!("region `{other}` is not one of am, emea, apac"),
            )),
        },
        (None, Some(base)) => {
            policy(settings)
                .check_url(base)
                .map_err(|e| refused_base_url(&e, settings.allow_loopback_connections))?;
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

/// Resolves names through the connection policy for Corrigo's client: every address a
/// name resolves to must be allowed. A refusal is a `RefusedDestination`, which the
/// client does not retry; a failed lookup stays an ordinary, retried connection error.
struct CheckingConnectionResolver {
    settings_allow_loopback: bool,
    lookup: Arc<dyn HostLookup>,
}

impl reqwest::dns::Resolve for CheckingConnectionResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_loopback = self.settings_allow_loopback;
        let checking = CheckingResolver::new(
            DestinationPolicy {
                allow_insecure_loopback: allow_loopback,
            },
            Arc::clone(&self.lookup),
        );
        let host = name.as_str().to_owned();
        Box::pin(async move {
            match checking.resolve_checked(&host).await {
                Ok(addresses) => {
                    // Port 0: the client puts the URL's port in.
                    let addrs: reqwest::dns::Addrs = Box::new(
                        addresses
                            .into_iter()
                            .map(|ip| SocketAddr::new(ip, 0))
                            .collect::<Vec<_>>()
                            .into_iter(),
                    );
                    Ok(addrs)
                }
                Err(error @ (PolicyError::LookupFailed { .. } | PolicyError::NoAddresses(_))) => {
                    Err(Box::new(std::io::Error::other(error.to_string())) as _)
                }
                Err(error) => Err(Box::new(corrigo::RefusedDestination({
                    log_refused_address(&error);
                    format!(
                        "base_url: {} [{}]",
                        refusal_message(&error, allow_loopback),
                        error.code()
                    )
                })) as _),
            }
        })
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

    fn connection_lookup(&self) -> Arc<dyn HostLookup> {
        match &self.settings.connection_lookup {
            Some(shared) => Arc::clone(&shared.0),
            None => Arc::new(SystemLookup),
        }
    }

    /// The options of a Corrigo client for a connection: the service's, with every host
    /// name resolved through the connection policy (checked at each connection made).
    pub(crate) fn connection_options(&self) -> corrigo::Options {
        let mut options = self.settings.corrigo.clone();
        options.resolver = Some(corrigo::Resolver(Arc::new(CheckingConnectionResolver {
            settings_allow_loopback: self.settings.allow_loopback_connections,
            lookup: self.connection_lookup(),
        })));
        options
    }

    /// Checks a region or base URL before it is saved: the policy, then, for a host name,
    /// every address it resolves to now (a name resolving to a refused address is
    /// refused). A name that does not resolve now is not refused for that: it is checked
    /// again, by address, at every request.
    pub async fn check_connection_endpoint(
        &self,
        region: Option<&str>,
        base_url: Option<&str>,
    ) -> Result<()> {
        let endpoint = check_endpoint(&self.settings, region, base_url)?;
        let corrigo::Endpoint::BaseUrl(base) = endpoint else {
            return Ok(());
        };
        let Some(url::Host::Domain(name)) = url::Url::parse(&base)
            .ok()
            .and_then(|u| u.host().map(|h| h.to_owned()))
        else {
            return Ok(());
        };
        let checking = CheckingResolver::new(policy(&self.settings), self.connection_lookup());
        match checking.resolve_checked(&name).await {
            Err(error @ PolicyError::AddressRefused { .. }) => Err(refused_base_url(
                &error,
                self.settings.allow_loopback_connections,
            )),
            _ => Ok(()),
        }
    }

    /// Adds a connection (policy checks without a lookup: see
    /// [`Service::check_connection_endpoint`] for the one the API makes first). At most
    /// `max_connections_per_org` per organization.
    pub fn add_connection(&self, org_id: &str, input: ConnectionInput) -> Result<ConnectionView> {
        check_text("name", &input.name)?;
        check_text("company", &input.company)?;
        check_text("client_id", &input.client_id)?;
        check_text("client_secret", &input.client_secret)?;
        let endpoint = check_endpoint(
            &self.settings,
            input.region.as_deref(),
            input.base_url.as_deref(),
        )?;
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
        let cap = self.settings.max_connections_per_org;
        if !self.storage.add_connection_within(&new, &defaults, cap)? {
            return Err(Error::LimitReached {
                code: "connection_limit_reached",
                message: format!(
                    "this organization has {cap} connections, the most this server allows; delete one first"
                ),
            });
        }
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
        // The policy may have changed since the connection was saved (a server restarted
        // without --allow-loopback-connections): its base URL is checked again here, and
        // its host's addresses at every connection the client makes.
        if let corrigo::Endpoint::BaseUrl(base) = &endpoint {
            policy(&self.settings)
                .check_url(base)
                .map_err(|e| refused_base_url(&e, self.settings.allow_loopback_connections))?;
        }
        let credentials = corrigo::Credentials {
            company: row.company.clone(),
            client_id: row.client_id.clone(),
            client_secret: self.key()?.open(&row.id, &row.sealed_secret)?,
            endpoint,
        };
        corrigo::Client::new(credentials, self.connection_options())
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
        let (region, base_url) = match (input.region.as_deref(), input.base_url.as_deref()) {
            (None, None) => (row.region.as_deref(), row.base_url.as_deref()),
            given => given,
        };
        self.check_connection_endpoint(region, base_url).await?;
        let endpoint = check_endpoint(&self.settings, region, base_url)?;
        let credentials = corrigo::Credentials {
            company: row.company.clone(),
            client_id: input.client_id.clone(),
            client_secret: input.client_secret.clone(),
            endpoint: endpoint.clone(),
        };
        let mut options = self.connection_options();
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
                // The host turned into a refused address between the check and the request.
                corrigo::ClientError::DestinationRefused(reason) => Error::FieldRefused {
                    code: "base_url_address_refused",
                    field: "base_url",
                    problem: "address_refused",
                    message: reason,
                },
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
