//! Connections: add (secret to the keyring), list with what is cached, test (health with
//! the reason and what to do), remove, and pull with progress and cancel.

use crate::error::{Result, ServiceError};
use crate::types::{
    ConnectionInfo, EntityCount, Health, NewConnection, PullEntityReport, PullInfo, PullProgress,
    PullReport,
};
use crate::{Cancel, Studio};
use std::time::Instant;
use unifield_bundle::source_entities;
use unifield_connection_rules as rules;
use unifield_workspace::{
    ConnectionSettings, Endpoint, PullOptions, PullStatus, Region, Workspace, WorkspaceError,
};

fn invalid(field: &str, message: &str) -> ServiceError {
    ServiceError::new("invalid_connection", message).at(crate::Location {
        field: Some(field.to_string()),
        ..Default::default()
    })
}

/// Checks the add form in Rust, whatever the UI let through.
fn settings(new: &NewConnection) -> Result<ConnectionSettings> {
    let name = new.name.trim();
    if name.is_empty() || name.len() > 64 || name.chars().any(char::is_control) {
        return Err(invalid(
            "name",
            "a name of 1 to 64 printable characters is needed",
        ));
    }
    let company = new.company.trim();
    if company.is_empty() {
        return Err(invalid("company", "the Corrigo company name is needed"));
    }
    // Printable ASCII: refused here, not retried later as a network error.
    let company =
        rules::check_company_name(company).map_err(|e| invalid("company", &e.to_string()))?;
    let client_id = new.client_id.trim();
    if client_id.is_empty() || client_id.chars().any(char::is_control) {
        return Err(invalid("clientId", "the client id is needed"));
    }
    if new.secret.trim().is_empty() {
        return Err(invalid("secret", "the client secret is needed"));
    }
    let region = new
        .region
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let base_url = new
        .base_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty());
    let endpoint = match (region, base_url) {
        (Some(region), None) => Endpoint::Region(
            Region::parse(region)
                .ok_or_else(|| invalid("region", "the region is one of am, emea, apac"))?,
        ),
        // https, or http to this machine only; no user name or password in it.
        (None, Some(url)) => Endpoint::BaseUrl(
            rules::parse_base_url(url)
                .map_err(|e| invalid("baseUrl", &e.to_string()))?
                .to_string(),
        ),
        _ => {
            return Err(invalid(
                "region",
                "choose a region or give a custom base URL (one of the two)",
            ))
        }
    };
    Ok(ConnectionSettings {
        name: name.to_string(),
        company: company.to_string(),
        endpoint,
        client_id: client_id.to_string(),
    })
}

/// Each entity's newest run of `runs` (newest first, as [`unifield_store::Store::pull_runs`]
/// answers), oldest of those first: the order a pull of every entity ran them in.
fn last_pull_of_each_entity(runs: Vec<unifield_store::PullRun>) -> Vec<PullInfo> {
    let mut newest: Vec<unifield_store::PullRun> = Vec::new();
    for run in runs {
        if !newest.iter().any(|n| n.entity == run.entity) {
            newest.push(run);
        }
    }
    newest.sort_by_key(|run| run.id);
    newest
        .into_iter()
        .map(|run| PullInfo {
            entity: run.entity,
            status: run.status.as_str().into(),
            records: run.records as u32,
            error: run.error,
            started_at: run.started_at,
        })
        .collect()
}

impl Studio {
    pub fn connections(&self) -> Result<Vec<ConnectionInfo>> {
        let store = &self.workspace.store;
        self.workspace
            .connections()?
            .into_iter()
            .map(|info| {
                let s = info.connection.settings;
                let counts = source_entities()
                    .into_iter()
                    .map(|entity| {
                        Ok(EntityCount {
                            records: store.record_count(&s.name, &entity)? as u32,
                            entity,
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                let last_pull = last_pull_of_each_entity(store.pull_runs(&s.name)?);
                let origin = crate::servers::server_of_cache(&self.dir, &s);
                Ok(ConnectionInfo {
                    server_removed: origin.as_ref().is_some_and(|o| o.removed),
                    server: origin.map(|o| o.server),
                    endpoint: match &s.endpoint {
                        Endpoint::Region(r) => r.as_str().to_string(),
                        Endpoint::BaseUrl(url) => url.clone(),
                    },
                    name: s.name,
                    company: s.company,
                    client_id: s.client_id,
                    has_secret: info.has_secret,
                    counts,
                    last_pull,
                })
            })
            .collect()
    }

    pub fn add_connection(&mut self, new: &NewConnection) -> Result<ConnectionInfo> {
        let name = add_connection(&self.workspace, new)?;
        self.connection(&name)
    }

    /// The named connection as listed.
    pub fn connection(&self, name: &str) -> Result<ConnectionInfo> {
        self.connections()?
            .into_iter()
            .find(|c| c.name == name)
            .ok_or_else(|| ServiceError::new("unknown_connection", "the connection vanished"))
    }

    pub fn remove_connection(&mut self, name: &str) -> Result<()> {
        self.workspace.remove_connection(name)?;
        self.forget(name);
        Ok(())
    }

    /// A client for the named connection, to test it outside the studio's lock.
    pub fn client(&self, name: &str) -> Result<unifield_corrigo_client::Client> {
        crate::servers::refuse_direct(&self.dir, &self.workspace.store, name)?;
        Ok(self.workspace.client(name)?)
    }

    /// Connection work that waits on the keyring (a D-Bus call, which can wait for the
    /// user to unlock it), on its own handle of the workspace: a caller that keeps the
    /// studio behind a lock does it without holding that lock.
    pub fn keyring_work(&self) -> Result<KeyringWork> {
        Ok(KeyringWork {
            workspace: self.workspace.reopen()?,
            dir: self.dir.clone(),
        })
    }
}

/// See [`Studio::keyring_work`]. After `add_connection`, list it with
/// [`Studio::connection`]; after `remove_connection`, call [`Studio::forget`].
pub struct KeyringWork {
    workspace: unifield_workspace::Workspace,
    /// The workspace directory (its servers' list).
    dir: std::path::PathBuf,
}

impl KeyringWork {
    /// Adds the connection (its secret to the keyring) and gives its name.
    pub fn add_connection(&self, new: &NewConnection) -> Result<String> {
        add_connection(&self.workspace, new)
    }

    /// Removes the connection, its cached records and its keyring secret.
    pub fn remove_connection(&self, name: &str) -> Result<()> {
        Ok(self.workspace.remove_connection(name)?)
    }

    /// Sets (or replaces) the keyring secret of an existing direct connection, as adding it
    /// stored it; its settings and cached records stay. A connection pulled through a
    /// server has no secret here (the server holds its credentials) and is refused.
    pub fn set_secret(&self, name: &str, secret: &str) -> Result<()> {
        if secret.trim().is_empty() {
            return Err(invalid("secret", "the client secret is needed"));
        }
        self.workspace.store.connection(name)?;
        crate::servers::refuse_direct(&self.dir, &self.workspace.store, name)?;
        Ok(self.workspace.set_secret(name, secret)?)
    }

    /// A client for the named connection (reads its secret from the keyring).
    pub fn client(&self, name: &str) -> Result<unifield_corrigo_client::Client> {
        crate::servers::refuse_direct(&self.dir, &self.workspace.store, name)?;
        Ok(self.workspace.client(name)?)
    }
}

fn add_connection(
    workspace: &unifield_workspace::Workspace,
    new: &NewConnection,
) -> Result<String> {
    let settings = settings(new)?;
    workspace.add_connection(&settings, &new.secret)?;
    Ok(settings.name)
}

impl Studio {
    /// A pull of `entities` (all that the mappings read when empty), on its own handle of
    /// the workspace so the studio keeps answering while it runs.
    pub fn pull_job(&self, connection: &str, entities: &[String]) -> Result<PullJob> {
        self.workspace.store.connection(connection)?;
        crate::servers::refuse_direct(&self.dir, &self.workspace.store, connection)?;
        let known = source_entities();
        if let Some(unknown) = entities.iter().find(|e| !known.contains(e)) {
            return Err(ServiceError::new(
                "unknown_entity",
                format!(
                    "`{unknown}` is not an entity the mappings read ({})",
                    known.join(", ")
                ),
            ));
        }
        Ok(PullJob {
            workspace: self.workspace.reopen()?,
            connection: connection.to_string(),
            entities: if entities.is_empty() {
                known
            } else {
                entities.to_vec()
            },
        })
    }
}

/// A connection's health from a sign-in and one small query.
pub async fn test_connection(client: &unifield_corrigo_client::Client) -> Health {
    let started = Instant::now();
    let checked = Workspace::check(client).await;
    let millis = started.elapsed().as_millis() as u64;
    match checked {
        Ok(host) => Health {
            status: "ok".into(),
            code: None,
            reason: None,
            action: None,
            host: Some(host),
            millis,
        },
        Err(error) => {
            let code = error.code();
            let (status, action) = match code {
                "reauthorization_required" => (
                    "reauthorization_required",
                    "Corrigo refused the client id and secret: if only the secret changed, give the current one from Corrigo Enterprise (Settings → Integrations) with Replace secret; for a new client id, remove the connection and add it again.",
                ),
                "corrigo_unavailable" | "connection_test_timed_out" => (
                    "error",
                    "Corrigo did not answer: check the region or base URL and the network, then test again.",
                ),
                _ => (
                    "error",
                    "Check the company name, region or base URL, then test again.",
                ),
            };
            Health {
                status: status.into(),
                code: Some(code.into()),
                reason: Some(error.to_string()),
                action: Some(action.into()),
                host: None,
                millis,
            }
        }
    }
}

pub struct PullJob {
    workspace: Workspace,
    connection: String,
    entities: Vec<String>,
}

impl PullJob {
    pub fn connection(&self) -> &str {
        &self.connection
    }

    /// Pulls each entity in turn. A cancel ends the entity in flight at once, even
    /// mid-request (its committed pages kept, resumable) and skips the rest; refused
    /// credentials stop the job; other failures are reported per entity.
    pub async fn run(
        mut self,
        job: u32,
        cancel: Cancel,
        mut progress: impl FnMut(PullProgress) + Send,
    ) -> Result<PullReport> {
        let mut report = PullReport {
            cancelled: false,
            entities: Vec::new(),
        };
        let of = self.entities.len() as u32;
        for (done, entity) in self.entities.iter().enumerate() {
            if cancel.is_cancelled() {
                report.cancelled = true;
                break;
            }
            progress(PullProgress {
                job,
                entity: entity.clone(),
                done: done as u32,
                of,
                pages: 0,
                records: 0,
            });
            let options = PullOptions {
                resume: true,
                cancel: Some(cancel.cancellation()),
                ..PullOptions::default()
            };
            let pulled = self
                .workspace
                .pull(&self.connection, entity, &options, |pages, records| {
                    progress(PullProgress {
                        job,
                        entity: entity.clone(),
                        done: done as u32,
                        of,
                        pages: pages as u32,
                        records: records as u32,
                    });
                    !cancel.is_cancelled()
                })
                .await;
            match pulled {
                Ok(summary) => {
                    report.cancelled |= summary.status == PullStatus::Cancelled;
                    report.entities.push(PullEntityReport {
                        entity: entity.clone(),
                        status: summary.status.as_str().into(),
                        records: summary.records as u32,
                        inserted: summary.outcome.inserted as u32,
                        updated: summary.outcome.updated as u32,
                        unchanged: summary.outcome.unchanged as u32,
                        error: None,
                    })
                }
                Err(error) => {
                    let stop = matches!(
                        &error,
                        WorkspaceError::Corrigo(
                            unifield_corrigo_client::ClientError::ReauthorizationRequired(_)
                        ) | WorkspaceError::MissingSecret(_)
                    );
                    report.entities.push(PullEntityReport {
                        entity: entity.clone(),
                        status: error.code().into(),
                        records: 0,
                        inserted: 0,
                        updated: 0,
                        unchanged: 0,
                        error: Some(error.to_string()),
                    });
                    if stop {
                        break;
                    }
                }
            }
        }
        Ok(report)
    }
}
