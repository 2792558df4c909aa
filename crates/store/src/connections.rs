//! Connections: a customer's Corrigo account, by name. No secrets here.

use crate::{timestamp, Result, Store, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row};
use unifield_connection_rules as rules;

/// Corrigo's regional API clusters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Region {
    Am,
    Emea,
    Apac,
}

impl Region {
    pub fn as_str(self) -> &'static str {
        match self {
            Region::Am => "am",
            Region::Emea => "emea",
            Region::Apac => "apac",
        }
    }

    pub fn parse(text: &str) -> Option<Region> {
        match text.to_ascii_lowercase().as_str() {
            "am" => Some(Region::Am),
            "emea" => Some(Region::Emea),
            "apac" => Some(Region::Apac),
            _ => None,
        }
    }
}

/// Where a connection's API is: a region (host discovered through Corrigo's locator) or
/// a fixed base URL (the local sandbox, a proxy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Region(Region),
    BaseUrl(String),
}

/// A connection's non-secret settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionSettings {
    pub name: String,
    pub company: String,
    pub endpoint: Endpoint,
    pub client_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredConnection {
    pub id: i64,
    pub settings: ConnectionSettings,
    pub created_at: String,
}

fn from_row(row: &Row) -> rusqlite::Result<StoredConnection> {
    let region: Option<String> = row.get("region")?;
    let base_url: Option<String> = row.get("base_url")?;
    let endpoint = match (region.as_deref().and_then(Region::parse), base_url) {
        (Some(region), _) => Endpoint::Region(region),
        (None, Some(url)) => Endpoint::BaseUrl(url),
        // The schema's CHECK makes this unreachable for rows it accepted.
        (None, None) => Endpoint::BaseUrl(String::new()),
    };
    Ok(StoredConnection {
        id: row.get("id")?,
        settings: ConnectionSettings {
            name: row.get("name")?,
            company: row.get("company")?,
            endpoint,
            client_id: row.get("client_id")?,
        },
        created_at: row.get("created_at")?,
    })
}

impl Store {
    pub fn add_connection(
        &self,
        settings: &ConnectionSettings,
        at: DateTime<Utc>,
    ) -> Result<StoredConnection> {
        for (what, value) in [
            ("name", &settings.name),
            ("company", &settings.company),
            ("client id", &settings.client_id),
        ] {
            if value.trim().is_empty() {
                return Err(StoreError::InvalidConnection(format!(
                    "the {what} must not be empty"
                )));
            }
        }
        rules::check_company_name(&settings.company)?;
        let base_url = match &settings.endpoint {
            Endpoint::Region(_) => None,
            Endpoint::BaseUrl(url) => Some(rules::parse_base_url(url)?),
        };
        let region = match &settings.endpoint {
            Endpoint::Region(region) => Some(region.as_str()),
            Endpoint::BaseUrl(_) => None,
        };
        let base_url = base_url.as_ref().map(rules::BaseUrl::as_str);
        let inserted = self.db.execute(
            "INSERT INTO connections (name, company, region, base_url, client_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![settings.name, settings.company, region, base_url, settings.client_id, timestamp(at)],
        );
        match inserted {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                Err(StoreError::DuplicateConnection(settings.name.clone()))
            }
            other => {
                other?;
                self.connection(&settings.name)
            }
        }
    }

    pub fn connection(&self, name: &str) -> Result<StoredConnection> {
        self.db
            .query_row(
                "SELECT * FROM connections WHERE name = ?1",
                [name],
                from_row,
            )
            .optional()?
            .ok_or_else(|| StoreError::UnknownConnection(name.to_string()))
    }

    pub fn connections(&self) -> Result<Vec<StoredConnection>> {
        let mut statement = self.db.prepare("SELECT * FROM connections ORDER BY name")?;
        let rows = statement.query_map([], from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Removes a connection with its cached records and pull runs.
    pub fn remove_connection(&self, name: &str) -> Result<()> {
        match self
            .db
            .execute("DELETE FROM connections WHERE name = ?1", [name])?
        {
            0 => Err(StoreError::UnknownConnection(name.to_string())),
            _ => Ok(()),
        }
    }
}
