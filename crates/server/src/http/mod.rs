//! The HTTP layer: thin handlers that parse, call the service, and render. The OpenAPI
//! document is built from the same route table (utoipa-axum), so it cannot list a route
//! the server does not have or miss one it has.

mod handlers;
mod webhooks;

use crate::error::{Error, ErrorBody};
use crate::service::Service;
use crate::storage::Principal;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::collections::HashMap;
use std::sync::Arc;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Request bodies larger than this are refused (a mapping file is a few kilobytes).
pub const BODY_LIMIT: usize = 2 << 20;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Unifield connection server",
        description = "Corrigo connections, versioned per-connection mappings and a unified maintenance read API shaped like Makini's EAM API. Every operation except this document needs `Authorization: Bearer <key>`.",
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(
        ErrorBody,
        handlers::Collection,
        handlers::MappingEntity,
        handlers::FilterMatch,
        handlers::SortDirection
    ))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

pub type AppState = Arc<Service>;

/// The API routes with their OpenAPI description.
fn api() -> OpenApiRouter<AppState> {
    use handlers::*;
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(create_connection, list_connections))
        .routes(routes!(get_connection, delete_connection))
        .routes(routes!(connection_status))
        .routes(routes!(sync_connection))
        .routes(routes!(replace_credentials))
        .routes(routes!(raw_records))
        .routes(routes!(list_mappings))
        .routes(routes!(get_mapping, put_mapping))
        .routes(routes!(list_versions))
        .routes(routes!(get_version))
        .routes(routes!(rollback_mapping))
        .routes(routes!(create_token, list_tokens))
        .routes(routes!(revoke_token))
        .routes(routes!(list_unified))
        .routes(routes!(get_unified))
        .routes(routes!(custom_fields))
        .routes(routes!(work_order_statuses))
        .routes(routes!(token_list_unified))
        .routes(routes!(token_get_unified))
        .routes(routes!(token_custom_fields))
        .routes(routes!(token_work_order_statuses))
        .merge(webhooks::routes())
}

/// The OpenAPI 3.1 document of the whole API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = api().split_for_parts();
    // Before the health check and this document are added: they need no key and take no
    // body, so neither answer applies to them.
    document_shares(&mut doc);
    webhooks::document_events(&mut doc);
    doc.paths.paths.insert(
        "/api/health".into(),
        utoipa::openapi::path::PathItem::new(
            utoipa::openapi::HttpMethod::Get,
            utoipa::openapi::path::OperationBuilder::new()
                .operation_id(Some("health"))
                .summary(Some("For a load balancer: this node, its database and migration version"))
                .description(Some("No credential needed. `{\"status\": \"ok\", \"node\", \"database\": \"sqlite\"|\"postgres\", \"migration_version\"}`; 503 with `status: unavailable` when the database does not answer."))
                .security(utoipa::openapi::security::SecurityRequirement::default())
                .response(
                    "200",
                    utoipa::openapi::ResponseBuilder::new().description("The node serves and its database answers"),
                )
                .response(
                    "503",
                    utoipa::openapi::ResponseBuilder::new().description("The database does not answer (`status: unavailable`), or the node is serving as many requests as it allows (`overloaded`, with `Retry-After`)"),
                ),
        ),
    );
    doc.paths.paths.insert(
        "/api/openapi.json".into(),
        utoipa::openapi::path::PathItem::new(
            utoipa::openapi::HttpMethod::Get,
            utoipa::openapi::path::OperationBuilder::new()
                .operation_id(Some("openapi"))
                .summary(Some("This document"))
                .security(utoipa::openapi::security::SecurityRequirement::default())
                .response(
                    "200",
                    utoipa::openapi::ResponseBuilder::new().description("The OpenAPI 3.1 document"),
                ),
        ),
    );
    document_unavailable(&mut doc);
    doc
}

/// Any operation may answer 503: `overloaded` (the concurrent-request limit, with
/// `Retry-After`) or `timeout` (the request took longer than the server allows).
fn document_unavailable(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, HeaderBuilder, Ref, ResponseBuilder};
    let response = ResponseBuilder::new()
        .description("`overloaded`: the server is serving as many requests as it allows (retry after `Retry-After` seconds); `timeout`: the request took longer than the server allows")
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::Type::Integer))
                .description(Some("Seconds to wait (with `overloaded`)"))
                .build(),
        )
        .build();
    for item in doc.paths.paths.values_mut() {
        for operation in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            operation
                .responses
                .responses
                .entry("503".to_string())
                .or_insert_with(|| response.clone().into());
        }
    }
}

/// Every authenticated operation may answer 429 `too_many_requests` (its organization's
/// share of the node's request slots is taken, with `Retry-After`); every one that takes a
/// body 408 `body_timeout` (it did not arrive in time) and 413 `body_too_large`.
fn document_shares(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, HeaderBuilder, Ref, ResponseBuilder};
    let error_content = || {
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ErrorBody")))
            .build()
    };
    let busy = ResponseBuilder::new()
        .description("`too_many_requests`: the caller's organization has as many requests in progress as one organization may have at once on this node (retry after `Retry-After` seconds)")
        .content("application/json", error_content())
        .header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::Type::Integer))
                .description(Some("Seconds to wait"))
                .build(),
        )
        .build();
    let slow_body = ResponseBuilder::new()
        .description("`body_timeout`: the request body did not arrive within the time the server allows for it (10 s by default)")
        .content("application/json", error_content())
        .build();
    let large_body = ResponseBuilder::new()
        .description("`body_too_large`: the request body is larger than the server takes (2 MiB)")
        .content("application/json", error_content())
        .build();
    for item in doc.paths.paths.values_mut() {
        for (operation, takes_body) in [
            (&mut item.get, false),
            (&mut item.delete, false),
            (&mut item.put, true),
            (&mut item.post, true),
            (&mut item.patch, true),
        ] {
            let Some(operation) = operation else { continue };
            let responses = &mut operation.responses.responses;
            responses
                .entry("429".to_string())
                .or_insert_with(|| busy.clone().into());
            if takes_body {
                responses
                    .entry("408".to_string())
                    .or_insert_with(|| slow_body.clone().into());
                responses
                    .entry("413".to_string())
                    .or_insert_with(|| large_body.clone().into());
            }
        }
    }
}

/// The whole application: the API behind bearer authentication, the document outside it.
pub fn router(service: AppState) -> Router {
    let (api, _) = api().split_for_parts();
    let document = openapi();
    let for_health = Arc::clone(&service);
    let limit = Limit {
        // Clamped: a setting above MAX_PERMITS would panic here (the CLI refuses it, the
        // library's callers may not).
        permits: Arc::new(tokio::sync::Semaphore::new(
            service
                .settings
                .max_concurrent_requests
                .clamp(1, tokio::sync::Semaphore::MAX_PERMITS),
        )),
        retry_after_secs: service.settings.overload_retry_after.as_secs().max(1),
    };
    let timeout = service.settings.request_timeout;
    let share = OrgShare {
        in_flight: Arc::new(std::sync::Mutex::new(HashMap::new())),
        per_org: service.settings.requests_per_org(),
        retry_after_secs: service.settings.overload_retry_after.as_secs().max(1),
    };
    let body_read_timeout = service.settings.body_read_timeout;
    // Inside out: the body is read (within its deadline) only once the caller is known
    // and its organization's share has room, so an anonymous caller cannot make the
    // server buffer anything and a slow body holds its slot seconds, not the whole
    // request timeout.
    let api = api
        .layer(middleware::from_fn_with_state(
            body_read_timeout,
            body_in_time,
        ))
        .layer(middleware::from_fn_with_state(share, within_org_share))
        .layer(middleware::from_fn_with_state(
            service.clone(),
            authenticate,
        ))
        .with_state(service);
    let limited_api = Router::new()
        .merge(api)
        .fallback(|| async { Error::NoSuchRoute })
        .method_not_allowed_fallback(|| async { Error::MethodNotAllowed })
        .layer(middleware::from_fn_with_state(timeout, bounded_in_time))
        // Outside the timeout: a refused request starts nothing.
        .layer(middleware::from_fn_with_state(limit, limited));
    // The health check and the document are registered outside the concurrent-request
    // limit: one tenant filling every slot must not make the load balancer's health check
    // answer 503 and take the node out. Both are cheap and take no request body.
    Router::new()
        .route(
            "/api/openapi.json",
            axum::routing::get(move || {
                let document = document.clone();
                async move { axum::Json(document) }
            }),
        )
        .route(
            "/api/health",
            axum::routing::get(move || health(Arc::clone(&for_health))),
        )
        .layer(middleware::from_fn_with_state(timeout, bounded_in_time))
        .merge(limited_api)
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
}

/// The concurrent-request limit: a request that finds every permit taken is answered 503
/// `overloaded` with `Retry-After` at once (load shedding) rather than queued, so a flood
/// cannot pile up work and memory behind the requests being served.
#[derive(Clone)]
struct Limit {
    permits: Arc<tokio::sync::Semaphore>,
    retry_after_secs: u64,
}

async fn limited(State(limit): State<Limit>, request: Request, next: Next) -> Response {
    match Arc::clone(&limit.permits).try_acquire_owned() {
        Ok(_permit) => next.run(request).await,
        Err(_) => Error::Overloaded {
            retry_after_secs: limit.retry_after_secs,
        }
        .into_response(),
    }
}

/// One organization's share of the node's request slots: requests in progress per
/// organization (an entry only while it has some), counted after authentication.
#[derive(Clone)]
struct OrgShare {
    in_flight: Arc<std::sync::Mutex<HashMap<String, usize>>>,
    per_org: usize,
    retry_after_secs: u64,
}

/// A request's place in its organization's share, given back when it is dropped (also
/// when the request is cancelled or times out).
struct OrgSlot {
    in_flight: Arc<std::sync::Mutex<HashMap<String, usize>>>,
    org: String,
}

impl OrgShare {
    fn take(&self, org: &str) -> Option<OrgSlot> {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        let count = in_flight.entry(org.to_string()).or_insert(0);
        if *count >= self.per_org {
            return None;
        }
        *count += 1;
        Some(OrgSlot {
            in_flight: Arc::clone(&self.in_flight),
            org: org.to_string(),
        })
    }
}

impl Drop for OrgSlot {
    fn drop(&mut self) {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = in_flight.get_mut(&self.org) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                in_flight.remove(&self.org);
            }
        }
    }
}

/// Refuses a request at once (429 `too_many_requests`, `Retry-After`) when its
/// organization already has its share of the node's slots in progress.
async fn within_org_share(State(share): State<OrgShare>, request: Request, next: Next) -> Response {
    let Some(org) = request
        .extensions()
        .get::<Principal>()
        .map(|principal| principal.org_id().to_string())
    else {
        // `authenticate` runs first and always sets the principal.
        return Error::Unauthorized.into_response();
    };
    let Some(_slot) = share.take(&org) else {
        return Error::OrganizationBusy {
            limit: share.per_org,
            retry_after_secs: share.retry_after_secs,
        }
        .into_response();
    };
    next.run(request).await
}

/// How long a request body may take to arrive by default (`Settings::body_read_timeout`).
pub const BODY_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Reads the whole request body (at most [`BODY_LIMIT`]) within `deadline` before the
/// handler runs: 408 `body_timeout` when it does not arrive in time, 413 `body_too_large`
/// beyond the limit.
async fn body_in_time(
    State(deadline): State<std::time::Duration>,
    request: Request,
    next: Next,
) -> Response {
    use futures_util::StreamExt;
    let (parts, body) = request.into_parts();
    let declared = parts
        .headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > BODY_LIMIT as u64) {
        return Error::BodyTooLarge { limit: BODY_LIMIT }.into_response();
    }
    let read = async {
        let mut stream = body.into_data_stream();
        let mut buffer = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| {
                Error::bad_request("body_unreadable", format!("the request body: {e}"))
            })?;
            if buffer.len() + chunk.len() > BODY_LIMIT {
                return Err(Error::BodyTooLarge { limit: BODY_LIMIT });
            }
            buffer.extend_from_slice(&chunk);
        }
        Ok(buffer)
    };
    match tokio::time::timeout(deadline, read).await {
        Ok(Ok(bytes)) => {
            next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
                .await
        }
        Ok(Err(error)) => error.into_response(),
        Err(_) => Error::BodyTimeout { after: deadline }.into_response(),
    }
}

/// This node's name: `UNIFIELD_NODE`, else `hostname:pid`.
pub fn node_name() -> String {
    std::env::var("UNIFIELD_NODE")
        .ok()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| {
            let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
                .map(|h| h.trim().to_string())
                .unwrap_or_else(|_| "localhost".into());
            format!("{host}:{}", std::process::id())
        })
}

/// `GET /api/health`: asks the database for its migration version, so a node whose
/// database is gone answers 503 and leaves the load balancer's pool.
async fn health(service: AppState) -> Response {
    let database = service.storage.backend_name();
    let version = tokio::task::spawn_blocking(move || service.storage.schema_version()).await;
    let node = node_name();
    match version {
        Ok(Ok(version)) => axum::Json(serde_json::json!({
            "status": "ok",
            "node": node,
            "database": database,
            "migration_version": version,
        }))
        .into_response(),
        Ok(Err(error)) => {
            eprintln!("unifield-server: health: {error} [{}]", error.code());
            unavailable(node, database)
        }
        Err(_) => unavailable(node, database),
    }
}

fn unavailable(node: String, database: &str) -> Response {
    (
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        axum::Json(serde_json::json!({
            "status": "unavailable",
            "node": node,
            "database": database,
        })),
    )
        .into_response()
}

/// No request takes longer than this to answer by default (`Settings::request_timeout`;
/// a filter over every cached record is the slowest: about 0.35 s at 100,000 work orders).
/// The handler's future is dropped then, which cancels a filter's scan.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

async fn bounded_in_time(
    State(timeout): State<std::time::Duration>,
    request: Request,
    next: Next,
) -> Response {
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => Error::Timeout.into_response(),
    }
}

/// Resolves `Authorization: Bearer` to a principal (401 otherwise). Revocations apply
/// from the next request: nothing is cached.
async fn authenticate(
    State(service): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let bearer = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.len() <= 200)
        .map(String::from);
    let Some(bearer) = bearer else {
        return Error::Unauthorized.into_response();
    };
    let started = std::time::Instant::now();
    let principal = {
        let service = service.clone();
        tokio::task::spawn_blocking(move || service.authenticate(&bearer)).await
    };
    let took = started.elapsed();
    match principal {
        Ok(Ok(principal)) => {
            request.extensions_mut().insert(principal);
            let mut response = next.run(request).await;
            // The lookup's time is the database's and the blocking pool's load: only when
            // the operator asked (Settings::server_timing_load).
            if service.settings.server_timing_load {
                handlers::append_server_timing(
                    &mut response,
                    &[("auth", "looking the key up", took)],
                );
            }
            response
        }
        Ok(Err(error)) => error.into_response(),
        Err(join) => Error::Internal(join.to_string()).into_response(),
    }
}
