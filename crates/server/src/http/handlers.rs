//! One handler per operation: parse, call the service (off the async threads: SQLite
//! and mapping evaluation block), render. Errors render as `{code, message, problems}`.

use super::AppState;
use crate::error::{Error, ErrorBody, Result};
use crate::service::{
    entity_of_segment, ConnectionInput, ConnectionView, CreatedKey, CredentialsInput, KeyView,
    ListQuery, MappingSummary, PublishOutcome, ScanCancel, Service, StatusView, VersionView,
};
use crate::storage::Principal;
use axum::body::Bytes;
use axum::extract::{Extension, OriginalUri, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;

async fn blocking<T: Send + 'static>(
    service: &AppState,
    work: impl FnOnce(&Service) -> Result<T> + Send + 'static,
) -> Result<T> {
    let service = service.clone();
    tokio::task::spawn_blocking(move || work(&service))
        .await
        .map_err(|e| Error::Internal(format!("a request task failed: {e}")))?
}

/// The organization of an organization key; connection tokens may only read.
fn org_of(principal: &Principal) -> Result<String> {
    match principal {
        Principal::Organization { org_id, .. } => Ok(org_id.clone()),
        Principal::Connection { .. } => Err(Error::Forbidden {
            code: "organization_key_required",
            message: "a connection token can only read its connection at /api/eam/…; this needs an organization API key".into(),
        }),
    }
}

fn key_name_of(principal: &Principal) -> Option<String> {
    match principal {
        Principal::Organization { key_name, .. } => Some(key_name.clone()),
        Principal::Connection { .. } => None,
    }
}

/// The connection a token reads; organization keys name the connection in the path.
fn token_connection(principal: &Principal) -> Result<(String, String)> {
    match principal {
        Principal::Connection {
            org_id,
            connection_id,
            ..
        } => Ok((org_id.clone(), connection_id.clone())),
        Principal::Organization { .. } => Err(Error::Forbidden {
            code: "connection_token_required",
            message: "/api/eam/… answers connection tokens; with an organization key use /api/connections/{id}/eam/…".into(),
        }),
    }
}

fn parse_json<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| {
        Error::bad_request(
            "invalid_body",
            format!("the request body is not the expected JSON: {e}"),
        )
    })
}

fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

fn with_version(mut response: Response, version: i64) -> Response {
    if let Ok(value) = HeaderValue::from_str(&version.to_string()) {
        response.headers_mut().insert("x-mapping-version", value);
    }
    response
}

// ---- documentation-only types ------------------------------------------------------

/// Makini's list envelope.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ListEnvelope {
    /// Unified records: model fields, `customFields`, `_source`, and `_diagnostics` when a field failed.
    pub data: Vec<Value>,
    pub links: Links,
    pub meta: ListMeta,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Links {
    pub first: String,
    pub last: String,
    pub prev: Option<String>,
    pub next: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ListMeta {
    pub current_page: u64,
    pub from: Option<u64>,
    pub last_page: u64,
    pub path: String,
    pub per_page: u64,
    pub to: Option<u64>,
    pub total: u64,
    /// The mapping version the records were made with.
    pub mapping_version: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RecordEnvelope {
    pub data: Value,
    pub meta: VersionMeta,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct VersionMeta {
    pub mapping_version: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct NamesEnvelope {
    pub data: Vec<String>,
    pub meta: VersionMeta,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct StatusCatalog {
    /// `{key, name, status}`: a source status and the unified status it becomes.
    pub data: Vec<Value>,
    pub meta: VersionMeta,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RawPage {
    /// Raw Corrigo records as cached.
    pub data: Vec<Value>,
    /// Pass as `cursor` for the next page; null at the end.
    pub next_cursor: Option<String>,
    /// The Corrigo PropertySet every cached record of this entity holds (`*`, `Items.*`,
    /// `MainAsset.TypeId`, …): what the connection's syncs asked Corrigo for, narrowed to
    /// what records synced under earlier mappings hold. When nothing is cached yet, what
    /// the syncs ask for.
    pub properties: Vec<String>,
    /// The PropertySet the connection's syncs ask for this entity under its active
    /// mappings. When it holds more than `properties` (a mapping that reads more was
    /// pushed), the next sync, due at once, pulls the entity whole; `properties` follows
    /// when it completes.
    pub sync_properties: Vec<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SyncAccepted {
    pub connection_id: String,
    /// The sync was queued; follow it at …/status.
    pub status: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RollbackInput {
    /// The version to restore; a new version equal to it becomes active.
    pub version: i64,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenInput {
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)] // documentation only: the OpenAPI schema of a parameter
pub enum FilterMatch {
    Any,
    All,
}

#[derive(Serialize, utoipa::ToSchema)]
#[allow(dead_code)] // documentation only: the OpenAPI schema of a parameter
pub enum SortDirection {
    #[serde(rename = "0")]
    Ascending,
    #[serde(rename = "1")]
    Descending,
}

/// The unified collections.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
#[allow(dead_code)] // documentation only: the OpenAPI schema of a parameter
pub enum Collection {
    WorkOrders,
    Assets,
    Locations,
    Sites,
    Users,
    Vendors,
    Customers,
    Parts,
}

/// The unified entities a mapping can target.
#[derive(Serialize, utoipa::ToSchema)]
#[allow(dead_code)] // documentation only: the OpenAPI schema of a parameter
pub enum MappingEntity {
    WorkOrder,
    Asset,
    Location,
    Site,
    User,
    Vendor,
    Customer,
    Part,
}

/// Makini's list parameters.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code, non_snake_case)]
pub struct ListParams {
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 1000000)]
    page: Option<u32>,
    /// Records per page (default 100).
    #[param(minimum = 1, maximum = 500)]
    per_page: Option<u32>,
    /// `any`: a record passes when one filter matches; `all` (default): when every one does.
    filterMatch: Option<FilterMatch>,
    /// `filter[field]=v` (equal) or `filter[field:op]=v`, op one of contains, startsWith,
    /// gt, gteq, lt, lted (also lteq), neq. Custom fields: `filter[customFields.name]`.
    #[param(style = DeepObject, explode, value_type = Option<HashMap<String, String>>)]
    filter: Option<HashMap<String, String>>,
    /// `sort[field]=1` descending, `0` ascending.
    #[param(style = DeepObject, explode, value_type = Option<HashMap<String, SortDirection>>)]
    sort: Option<HashMap<String, String>>,
}

#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct RawParams {
    /// From the previous page's `next_cursor`.
    cursor: Option<String>,
    /// Records per page (default 100).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct PushParams {
    /// A note kept with the version.
    note: Option<String>,
}

// ---- connections ---------------------------------------------------------------------

#[utoipa::path(post, path = "/api/connections", tag = "connections",
    request_body = ConnectionInput,
    responses((status = 201, body = ConnectionView),
              (status = 400, body = ErrorBody, description = "Invalid input, or a base URL the server will not send requests to (`insecure_base_url`, `base_url_address_refused`, …; `problems` names the field)"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "`connection_limit_reached`: the organization has as many connections as the server allows")))]
pub async fn create_connection(
    State(service): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: Bytes,
) -> Result<(StatusCode, Json<ConnectionView>)> {
    let org = org_of(&principal)?;
    let input: ConnectionInput = parse_json(&body)?;
    service
        .check_connection_endpoint(input.region.as_deref(), input.base_url.as_deref())
        .await?;
    let view = blocking(&service, move |s| s.add_connection(&org, input)).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[utoipa::path(get, path = "/api/connections", tag = "connections",
    responses((status = 200, body = Vec<ConnectionView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_connections(
    State(service): State<AppState>,
    Extension(principal): Extension<Principal>,
) -> Result<Json<Vec<ConnectionView>>> {
    let org = org_of(&principal)?;
    Ok(Json(
        blocking(&service, move |s| s.connections(&org)).await?,
    ))
}

#[utoipa::path(get, path = "/api/connections/{id}", tag = "connections",
    params(("id" = String, Path, description = "Connection id")),
    responses((status = 200, body = ConnectionView), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_connection(
    State(service): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<ConnectionView>> {
    let org = org_of(&principal)?;
    Ok(Json(
        blocking(&service, move |s| s.connection(&org, &id)).await?,
    ))
}

#[utoipa::path(delete, path = "/api/connections/{id}", tag = "connections",
    params(("id" = String, Path, description = "Connection id")),
    responses((status = 204, description = "Deleted with its records, mappings and tokens"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_connection(
    State(service): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let org = org_of(&principal)?;
    blocking(&service, move |s| s.delete_connection(&org, &id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/connections/{id}/status", tag = "connections",
    params(("id" = String, Path, description = "Connection id")),
    responses((status = 200, body = StatusView), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn connection_status(
    State(service): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<StatusView>> {
    let org = org_of(&principal)?;
    Ok(Json(
        blocking(&service, move |s| s.status(&org, &id)).await?,
    ))
}

#[utoipa::path(post, path = "/api/connections/{id}/sync", tag = "connections",
    params(("id" = String, Path, description = "Connection id")),
    responses((status = 202, body = SyncAccepted), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "A sync is running")))]
pub async fn sync_connection(
    State(service): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<SyncAccepted>)> {
    let org = org_of(&principal)?;
    let connection_id = id.clone();
    blocking(&service, move |s| s.request_sync(&org, &id)).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(SyncAccepted {
            connection_id,
            status: "queued".into(),
        }),
    ))
}

#[utoipa::path(put, path = "/api/connections/{id}/credentials", tag = "connections",
    params(("id" = String, Path, description = "Connection id")),
    request_body = CredentialsInput,
    responses((status = 200, body = StatusView, description = "Tested, stored, syncing resumes"),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody, description = "Corrigo refused them; nothing changed"),
              (status = 502, body = ErrorBody)))]
pub async fn replace_credentials(
    State(service): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<StatusView>> {
    let org = org_of(&principal)?;
    let input: CredentialsInput = parse_json(&body)?;
    Ok(Json(service.replace_credentials(&org, &id, input).await?))
}

#[utoipa::path(get, path = "/api/connections/{id}/raw/{entity}", tag = "connections",
    params(("id" = String, Path, description = "Connection id"),
           ("entity" = String, Path, description = "A Corrigo entity: WorkOrder, Location, WorkZone, Employee, Customer, Product, …"),
           RawParams),
    responses((status = 200, body = RawPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn raw_records(
    State(service): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, entity)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>> {
    let org = org_of(&principal)?;
    let mut cursor = None;
    let mut limit = 100;
    for (name, value) in query_pairs(raw.as_deref()) {
        match name.as_str() {
            "cursor" => cursor = Some(value),
            "limit" => {
                limit = value
                    .parse::<usize>()
                    .ok()
                    .filter(|l| (1..=500).contains(l))
                    .ok_or_else(|| {
                        Error::bad_request(
                            "invalid_query",
                            format!("limit must be 1 to 500, not `{value}`"),
                        )
                    })?;
            }
            other => {
                return Err(Error::bad_request(
                    "invalid_query",
                    format!("unknown parameter `{other}` (known: cursor, limit)"),
                ))
            }
        }
    }
    let (data, next, (properties, sync_properties)) = blocking(&service, move |s| {
        let (data, next) = s.raw_records(&org, &id, &entity, cursor.as_deref(), limit)?;
        // Read after the page: a sync narrowing the set meanwhile makes it say less than
        // the page's records hold, never more.
        Ok((data, next, s.raw_properties(&id, &entity)?))
    })
    .await?;
    Ok(Json(
        json!({"data": data, "next_cursor": next, "properties": properties, "sync_properties": sync_properties}),
    ))
}

// ---- mappings ------------------------------------------------------------------------

#[utoipa::path(get, path = "/api/connections/{id}/mappings", tag = "mappings",
    params(("id" = String, Path, description = "Connection id")),
    responses((status = 200, body = Vec<MappingSummary>), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_mappings(
    State(service): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<Vec<MappingSummary>>> {
    let org = org_of(&principal)?;
    Ok(Json(
        blocking(&service, move |s| s.mappings(&org, &id)).await?,
    ))
}

fn mapping_response(body: String, version: i64, etag: bool) -> Response {
    let mut response = (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response();
    if etag {
        if let Ok(value) = HeaderValue::from_str(&format!("\"{version}\"")) {
            response
                .headers_mut()
                .insert(axum::http::header::ETAG, value);
        }
    }
    with_version(response, version)
}

#[utoipa::path(get, path = "/api/connections/{id}/mappings/{entity}", tag = "mappings",
    params(("id" = String, Path, description = "Connection id"),
           ("entity" = MappingEntity, Path, description = "The unified entity")),
    responses((status = 200, description = "The active mapping file; ETag is its version", body = Object,
               headers(("ETag" = String, description = "The version, quoted"))),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_mapping(
    State(service): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, entity)): Path<(String, String)>,
) -> Result<Response> {
    let org = org_of(&principal)?;
    let row = blocking(&service, move |s| s.mapping(&org, &id, &entity)).await?;
    Ok(mapping_response(row.body, row.version, true))
}

#[utoipa::path(put, path = "/api/connections/{id}/mappings/{entity}", tag = "mappings",
    params(("id" = String, Path, description = "Connection id"),
           ("entity" = MappingEntity, Path, description = "The unified entity"),
           ("If-Match" = String, Header, description = "The version you edited, as its ETag"),
           PushParams),
    request_body(content = Object, description = "The mapping file (unifield.mapping/v1)"),
    responses((status = 200, body = PublishOutcome, description = "The new active version"),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody),
              (status = 412, body = ErrorBody, description = "If-Match is not the active version"),
              (status = 422, body = ErrorBody, description = "The mapping does not load; every problem located"),
              (status = 428, body = ErrorBody, description = "If-Match missing")))]
pub async fn put_mapping(
    State(service): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, entity)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    let org = org_of(&principal)?;
    let key_name = key_name_of(&principal);
    let if_match = match headers.get(axum::http::header::IF_MATCH) {
        Some(value) => Some(
            value
                .to_str()
                .map_err(|_| Error::bad_request("invalid_if_match", "If-Match is not text"))?
                .to_string(),
        ),
        None => None,
    };
    let mut note = None;
    for (name, value) in query_pairs(raw.as_deref()) {
        match name.as_str() {
            "note" => note = Some(value),
            other => {
                return Err(Error::bad_request(
                    "invalid_query",
                    format!("unknown parameter `{other}` (known: note)"),
                ))
            }
        }
    }
    let text = String::from_utf8(body.to_vec())
        .map_err(|_| Error::bad_request("invalid_body", "the mapping is not UTF-8 text"))?;
    let outcome = blocking(&service, move |s| {
        s.publish(
            &org,
            &id,
            &entity,
            if_match.as_deref(),
            &text,
            key_name.as_deref(),
            note.as_deref(),
        )
    })
    .await?;
    let version = outcome.version;
    let mut response = Json(outcome).into_response();
    if let Ok(value) = HeaderValue::from_str(&format!("\"{version}\"")) {
        response
            .headers_mut()
            .insert(axum::http::header::ETAG, value);
    }
    Ok(with_version(response, version))
}

#[utoipa::path(get, path = "/api/connections/{id}/mappings/{entity}/versions", tag = "mappings",
    params(("id" = String, Path, description = "Connection id"),
           ("entity" = MappingEntity, Path, description = "The unified entity")),
    responses((status = 200, body = Vec<VersionView>), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_versions(
    State(service): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, entity)): Path<(String, String)>,
) -> Result<Json<Vec<VersionView>>> {
    let org = org_of(&principal)?;
    Ok(Json(
        blocking(&service, move |s| s.versions(&org, &id, &entity)).await?,
    ))
}

#[utoipa::path(get, path = "/api/connections/{id}/mappings/{entity}/versions/{version}", tag = "mappings",
    params(("id" = String, Path, description = "Connection id"),
           ("entity" = MappingEntity, Path, description = "The unified entity"),
           ("version" = i64, Path, description = "A version number", minimum = 0)),
    responses((status = 200, description = "That version's mapping file", body = Object),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_version(
    State(service): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, entity, version)): Path<(String, String, String)>,
) -> Result<Response> {
    let org = org_of(&principal)?;
    let version = version.parse::<i64>().map_err(|_| {
        Error::bad_request(
            "invalid_version",
            format!("`{version}` is not a version number"),
        )
    })?;
    let row = blocking(&service, move |s| s.version(&org, &id, &entity, version)).await?;
    Ok(mapping_response(row.body, row.version, false))
}

#[utoipa::path(post, path = "/api/connections/{id}/mappings/{entity}/rollback", tag = "mappings",
    params(("id" = String, Path, description = "Connection id"),
           ("entity" = MappingEntity, Path, description = "The unified entity")),
    request_body = RollbackInput,
    responses((status = 200, body = PublishOutcome, description = "A new version equal to the one restored"),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 412, body = ErrorBody)))]
pub async fn rollback_mapping(
    State(service): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, entity)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response> {
    let org = org_of(&principal)?;
    let key_name = key_name_of(&principal);
    let input: RollbackInput = parse_json(&body)?;
    let outcome = blocking(&service, move |s| {
        s.rollback(&org, &id, &entity, input.version, key_name.as_deref())
    })
    .await?;
    let version = outcome.version;
    Ok(with_version(Json(outcome).into_response(), version))
}

// ---- connection tokens ---------------------------------------------------------------

#[utoipa::path(post, path = "/api/connections/{id}/tokens", tag = "tokens",
    params(("id" = String, Path, description = "Connection id")),
    request_body = TokenInput,
    responses((status = 201, body = CreatedKey, description = "The token, shown once"),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "`token_limit_reached`: the organization has as many live tokens as the server allows")))]
pub async fn create_token(
    State(service): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<CreatedKey>)> {
    let org = org_of(&principal)?;
    let input: TokenInput = if body.is_empty() {
        TokenInput { name: None }
    } else {
        parse_json(&body)?
    };
    let name = input.name.unwrap_or_else(|| "connection token".into());
    let created = blocking(&service, move |s| s.create_token(&org, &id, &name)).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(get, path = "/api/connections/{id}/tokens", tag = "tokens",
    params(("id" = String, Path, description = "Connection id")),
    responses((status = 200, body = Vec<KeyView>), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_tokens(
    State(service): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<Vec<KeyView>>> {
    let org = org_of(&principal)?;
    Ok(Json(
        blocking(&service, move |s| s.tokens(&org, &id)).await?,
    ))
}

#[utoipa::path(delete, path = "/api/connections/{id}/tokens/{token_id}", tag = "tokens",
    params(("id" = String, Path, description = "Connection id"), ("token_id" = String, Path, description = "Token id")),
    responses((status = 204, description = "Revoked from the next request on"), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    State(service): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, token_id)): Path<(String, String)>,
) -> Result<StatusCode> {
    let org = org_of(&principal)?;
    blocking(&service, move |s| s.revoke_token(&org, &id, &token_id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- the unified read API ------------------------------------------------------------

async fn list(
    service: &AppState,
    org: String,
    id: String,
    collection: String,
    raw: Option<String>,
    path: String,
) -> Result<Response> {
    let entity = entity_of_segment(&collection)?;
    let pairs = query_pairs(raw.as_deref());
    let query = ListQuery::parse(&pairs)?;
    // Dropped with this future when the request times out: the scan stops with it.
    let cancel = ScanCancel::default();
    let _cancel_on_drop = cancel.on_drop();
    let started = std::time::Instant::now();
    let page = blocking(service, move |s| {
        s.list_unified_until(&org, &id, entity, &query, &cancel)
    })
    .await?;
    let in_service = started.elapsed();
    let version = page.mapping_version;
    let timing = page.timing;
    let serialising = std::time::Instant::now();
    let body = serde_json::to_vec(&crate::service::envelope(page, &path, &pairs))
        .map_err(|e| Error::Internal(format!("the page does not serialise: {e}")))?;
    let mut response = (
        [(
            axum::http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response();
    let own = [
        ("map", "mapping", timing.mapping),
        ("json", "serialisation", serialising.elapsed()),
    ];
    // The database's time and the wait for a worker measure the node's load as much as
    // this request: only when the operator asked (Settings::server_timing_load).
    if service.settings.server_timing_load {
        append_server_timing(
            &mut response,
            &[
                ("db", "database", timing.database),
                own[0],
                own[1],
                (
                    "queue",
                    "waiting for a blocking thread",
                    in_service.saturating_sub(timing.database + timing.mapping),
                ),
            ],
        );
    } else {
        append_server_timing(&mut response, &own);
    }
    Ok(with_version(response, version))
}

/// Adds a `Server-Timing` header (W3C Server Timing: `name;dur=ms;desc="…"`, shown by
/// browsers' developer tools and readable by any client) naming where a request's time
/// went, so an integrator sees a slow read's cause without access to the server.
pub(crate) fn append_server_timing(
    response: &mut Response,
    parts: &[(&str, &str, std::time::Duration)],
) {
    let text = parts
        .iter()
        .map(|(name, description, took)| {
            format!(
                "{name};dur={:.3};desc=\"{description}\"",
                took.as_secs_f64() * 1000.0
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    if let Ok(value) = HeaderValue::from_str(&text) {
        response.headers_mut().append("server-timing", value);
    }
}

async fn one(
    service: &AppState,
    org: String,
    id: String,
    collection: String,
    key: String,
) -> Result<Response> {
    let entity = entity_of_segment(&collection)?;
    let cancel = ScanCancel::default();
    let _cancel_on_drop = cancel.on_drop();
    let (record, version) = blocking(service, move |s| {
        s.get_unified_until(&org, &id, entity, &key, &cancel)
    })
    .await?;
    Ok(with_version(
        Json(json!({"data": record, "meta": {"mapping_version": version}})).into_response(),
        version,
    ))
}

async fn custom(
    service: &AppState,
    org: String,
    id: String,
    collection: String,
) -> Result<Response> {
    let entity = entity_of_segment(&collection)?;
    let (names, version) = blocking(service, move |s| s.custom_fields(&org, &id, entity)).await?;
    Ok(with_version(
        Json(json!({"data": names, "meta": {"mapping_version": version}})).into_response(),
        version,
    ))
}

async fn statuses(service: &AppState, org: String, id: String) -> Result<Response> {
    let (data, version) = blocking(service, move |s| s.work_order_statuses(&org, &id)).await?;
    Ok(with_version(
        Json(json!({"data": data, "meta": {"mapping_version": version}})).into_response(),
        version,
    ))
}

#[utoipa::path(get, path = "/api/connections/{id}/eam/{collection}", tag = "unified",
    params(("id" = String, Path, description = "Connection id"), ("collection" = Collection, Path, description = "The unified collection"), ListParams),
    responses((status = 200, body = ListEnvelope, headers(("X-Mapping-Version" = i64), ("Server-Timing" = String, description = "Where the time went, in ms: `map` (mapping the records), `json` (serialisation); with the operator's `--server-timing-load` also `auth` (the key looked up), `db` (database reads), `queue` (waiting for a worker thread)"))),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_unified(
    State(service): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, collection)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    OriginalUri(uri): OriginalUri,
) -> Result<Response> {
    let org = org_of(&principal)?;
    list(&service, org, id, collection, raw, uri.path().to_string()).await
}

#[utoipa::path(get, path = "/api/connections/{id}/eam/{collection}/{key}", tag = "unified",
    params(("id" = String, Path, description = "Connection id"), ("collection" = Collection, Path, description = "The unified collection"),
           ("key" = String, Path, description = "The record's unified key")),
    responses((status = 200, body = RecordEnvelope, headers(("X-Mapping-Version" = i64))),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_unified(
    State(service): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, collection, key)): Path<(String, String, String)>,
) -> Result<Response> {
    let org = org_of(&principal)?;
    one(&service, org, id, collection, key).await
}

#[utoipa::path(get, path = "/api/connections/{id}/eam/{collection}/custom-fields", tag = "unified",
    params(("id" = String, Path, description = "Connection id"), ("collection" = Collection, Path, description = "The unified collection")),
    responses((status = 200, body = NamesEnvelope, description = "The active mapping's custom field names"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn custom_fields(
    State(service): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, collection)): Path<(String, String)>,
) -> Result<Response> {
    let org = org_of(&principal)?;
    custom(&service, org, id, collection).await
}

#[utoipa::path(get, path = "/api/connections/{id}/eam/statuses/work-orders", tag = "unified",
    params(("id" = String, Path, description = "Connection id")),
    responses((status = 200, body = StatusCatalog, description = "Source statuses and the unified status each becomes"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn work_order_statuses(
    State(service): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response> {
    let org = org_of(&principal)?;
    statuses(&service, org, id).await
}

#[utoipa::path(get, path = "/api/eam/{collection}", tag = "connection token",
    params(("collection" = Collection, Path, description = "The unified collection"), ListParams),
    responses((status = 200, body = ListEnvelope, headers(("X-Mapping-Version" = i64), ("Server-Timing" = String, description = "Where the time went, in ms: `map` (mapping the records), `json` (serialisation); with the operator's `--server-timing-load` also `auth` (the key looked up), `db` (database reads), `queue` (waiting for a worker thread)"))),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn token_list_unified(
    State(service): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(collection): Path<String>,
    RawQuery(raw): RawQuery,
    OriginalUri(uri): OriginalUri,
) -> Result<Response> {
    let (org, id) = token_connection(&principal)?;
    list(&service, org, id, collection, raw, uri.path().to_string()).await
}

#[utoipa::path(get, path = "/api/eam/{collection}/{key}", tag = "connection token",
    params(("collection" = Collection, Path, description = "The unified collection"), ("key" = String, Path, description = "The record's unified key")),
    responses((status = 200, body = RecordEnvelope, headers(("X-Mapping-Version" = i64))),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn token_get_unified(
    State(service): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((collection, key)): Path<(String, String)>,
) -> Result<Response> {
    let (org, id) = token_connection(&principal)?;
    one(&service, org, id, collection, key).await
}

#[utoipa::path(get, path = "/api/eam/{collection}/custom-fields", tag = "connection token",
    params(("collection" = Collection, Path, description = "The unified collection")),
    responses((status = 200, body = NamesEnvelope), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn token_custom_fields(
    State(service): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(collection): Path<String>,
) -> Result<Response> {
    let (org, id) = token_connection(&principal)?;
    custom(&service, org, id, collection).await
}

#[utoipa::path(get, path = "/api/eam/statuses/work-orders", tag = "connection token",
    responses((status = 200, body = StatusCatalog), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn token_work_order_statuses(
    State(service): State<AppState>,
    Extension(principal): Extension<Principal>,
) -> Result<Response> {
    let (org, id) = token_connection(&principal)?;
    statuses(&service, org, id).await
}
