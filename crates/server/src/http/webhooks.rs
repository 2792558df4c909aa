//! Webhook endpoints over HTTP: thin handlers over `crate::webhooks`, documented in the
//! OpenAPI document with the rest of the API, plus the document's `webhooks` section (what
//! each event's delivery carries).

use super::AppState;
use crate::error::{Error, ErrorBody, Result};
use crate::service::Service;
use crate::storage::Principal;
use crate::webhooks::{
    DeliveryView, WebhookInput, WebhookPatch, WebhookView, WebhookWithSecret, MAX_DELIVERIES_LISTED,
};
use axum::body::Bytes;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The webhook routes, merged into the API's route table.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_webhook, list_webhooks))
        .routes(routes!(get_webhook, update_webhook, delete_webhook))
        .routes(routes!(rotate_webhook_secret))
        .routes(routes!(test_webhook))
        .routes(routes!(list_webhook_deliveries))
        .routes(routes!(redeliver_webhook))
}

async fn blocking<T: Send + 'static>(
    service: &AppState,
    work: impl FnOnce(&Service) -> Result<T> + Send + 'static,
) -> Result<T> {
    let service = service.clone();
    tokio::task::spawn_blocking(move || work(&service))
        .await
        .map_err(|e| Error::Internal(format!("a request task failed: {e}")))?
}

/// Webhooks are the organization's: connection tokens cannot manage them.
fn org_of(principal: &Principal) -> Result<String> {
    match principal {
        Principal::Organization { org_id, .. } => Ok(org_id.clone()),
        Principal::Connection { .. } => Err(Error::Forbidden {
            code: "organization_key_required",
            message: "webhooks are managed with an organization API key, not a connection token"
                .into(),
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

#[derive(Serialize, utoipa::ToSchema)]
pub struct PingQueued {
    /// The ping's event id: the `webhook-id` it arrives with.
    pub event_id: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RedeliveryQueued {
    /// The new delivery, queued behind the endpoint's pending ones.
    pub delivery_id: i64,
}

/// Documentation of the query (parsed by [`delivery_limit`], so a bad value gets the API's
/// error shape rather than the framework's).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct DeliveriesParams {
    /// Newest first; at most 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

fn delivery_limit(query: Option<&str>) -> Result<usize> {
    let mut limit = 100;
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        if name == "limit" {
            limit = value
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_DELIVERIES_LISTED).contains(n))
                .ok_or_else(|| {
                    Error::bad_request(
                        "invalid_limit",
                        format!("limit must be a whole number from 1 to {MAX_DELIVERIES_LISTED}"),
                    )
                })?;
        }
    }
    Ok(limit)
}

#[utoipa::path(post, path = "/api/webhooks", tag = "webhooks",
    request_body = WebhookInput,
    responses((status = 201, body = WebhookWithSecret, description = "The endpoint and its signing secret, shown this once"),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "`webhook_limit_reached`: the organization has as many endpoints as it may (50 by default)")))]
pub async fn create_webhook(
    State(service): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: Bytes,
) -> Result<(StatusCode, Json<WebhookWithSecret>)> {
    let org = org_of(&principal)?;
    let input: WebhookInput = parse_json(&body)?;
    let created = blocking(&service, move |s| s.create_webhook(&org, input)).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(get, path = "/api/webhooks", tag = "webhooks",
    responses((status = 200, body = Vec<WebhookView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_webhooks(
    State(service): State<AppState>,
    Extension(principal): Extension<Principal>,
) -> Result<Json<Vec<WebhookView>>> {
    let org = org_of(&principal)?;
    Ok(Json(blocking(&service, move |s| s.webhooks(&org)).await?))
}

#[utoipa::path(get, path = "/api/webhooks/{id}", tag = "webhooks",
    params(("id" = String, Path, description = "Webhook endpoint id")),
    responses((status = 200, body = WebhookView, description = "With `disabled_reason` when deliveries stopped"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_webhook(
    State(service): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<WebhookView>> {
    let org = org_of(&principal)?;
    Ok(Json(
        blocking(&service, move |s| s.webhook(&org, &id)).await?,
    ))
}

#[utoipa::path(patch, path = "/api/webhooks/{id}", tag = "webhooks",
    params(("id" = String, Path, description = "Webhook endpoint id")),
    request_body = WebhookPatch,
    responses((status = 200, body = WebhookView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_webhook(
    State(service): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<WebhookView>> {
    let org = org_of(&principal)?;
    // Another organization's id is a 404 whatever the body: ownership is checked first.
    let patch = parse_json::<WebhookPatch>(&body);
    Ok(Json(
        blocking(&service, move |s| {
            s.webhook(&org, &id)?;
            s.update_webhook(&org, &id, patch?)
        })
        .await?,
    ))
}

#[utoipa::path(delete, path = "/api/webhooks/{id}", tag = "webhooks",
    params(("id" = String, Path, description = "Webhook endpoint id")),
    responses((status = 204, description = "Deleted with its deliveries"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_webhook(
    State(service): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let org = org_of(&principal)?;
    blocking(&service, move |s| s.delete_webhook(&org, &id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/webhooks/{id}/rotate-secret", tag = "webhooks",
    params(("id" = String, Path, description = "Webhook endpoint id")),
    responses((status = 200, body = WebhookWithSecret, description = "The new secret, shown this once; the old one keeps signing (a second signature) for 24 hours"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn rotate_webhook_secret(
    State(service): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<WebhookWithSecret>> {
    let org = org_of(&principal)?;
    Ok(Json(
        blocking(&service, move |s| s.rotate_webhook_secret(&org, &id)).await?,
    ))
}

#[utoipa::path(post, path = "/api/webhooks/{id}/test", tag = "webhooks",
    params(("id" = String, Path, description = "Webhook endpoint id")),
    responses((status = 202, body = PingQueued, description = "A `ping` event was queued for this endpoint"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "The endpoint is disabled")))]
pub async fn test_webhook(
    State(service): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<PingQueued>)> {
    let org = org_of(&principal)?;
    let event_id = blocking(&service, move |s| s.ping_webhook(&org, &id)).await?;
    Ok((StatusCode::ACCEPTED, Json(PingQueued { event_id })))
}

#[utoipa::path(get, path = "/api/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = String, Path, description = "Webhook endpoint id"), DeliveriesParams),
    responses((status = 200, body = Vec<DeliveryView>, description = "Newest first, each with its attempts (time, status, latency, first 1 KB of the response, error)"),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_webhook_deliveries(
    State(service): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<DeliveryView>>> {
    let org = org_of(&principal)?;
    let limit = delivery_limit(query.as_deref())?;
    Ok(Json(
        blocking(&service, move |s| s.webhook_deliveries(&org, &id, limit)).await?,
    ))
}

#[utoipa::path(post, path = "/api/webhooks/{id}/deliveries/{delivery_id}/redeliver", tag = "webhooks",
    params(("id" = String, Path, description = "Webhook endpoint id"),
           ("delivery_id" = i64, Path, description = "A delivery of this endpoint")),
    responses((status = 202, body = RedeliveryQueued),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "The endpoint is disabled")))]
pub async fn redeliver_webhook(
    State(service): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, delivery_id)): Path<(String, String)>,
) -> Result<(StatusCode, Json<RedeliveryQueued>)> {
    let org = org_of(&principal)?;
    let delivery_id = blocking(&service, move |s| {
        s.webhook(&org, &id)?;
        // Delivery ids are numbers; anything else names no delivery.
        let delivery_id = delivery_id.parse::<i64>().map_err(|_| {
            Error::NotFound(format!(
                "delivery {delivery_id:?} of webhook endpoint `{id}`"
            ))
        })?;
        s.redeliver_webhook(&org, &id, delivery_id)
    })
    .await?;
    Ok((StatusCode::ACCEPTED, Json(RedeliveryQueued { delivery_id })))
}

/// The OpenAPI 3.1 `webhooks` section: one POST per event type, with its payload and the
/// signature headers. utoipa has no field for it, so it goes in as a top-level member.
pub fn document_events(doc: &mut utoipa::openapi::OpenApi) {
    let headers = json!([
        {"name": "webhook-id", "in": "header", "required": true,
         "description": "The event id; the same on every attempt: dedupe on it.",
         "schema": {"type": "string"}},
        {"name": "webhook-timestamp", "in": "header", "required": true,
         "description": "Unix seconds at signing; refuse deliveries more than 5 minutes away from your clock.",
         "schema": {"type": "string"}},
        {"name": "webhook-signature", "in": "header", "required": true,
         "description": "Space-separated `v1,<base64 HMAC-SHA256>` over `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the base64-decoded part of the endpoint's `whsec_` secret (Standard Webhooks). Two entries while a rotated secret is still valid.",
         "schema": {"type": "string"}},
    ]);
    let connection = json!({"type": "string", "description": "The connection the event is about"});
    let data_of = |properties: Value, required: Value| json!({"type": "object", "properties": properties, "required": required, "additionalProperties": true});
    let events: Vec<(&str, &str, Value)> = vec![
        ("sync.completed", "A connection's sync finished.",
         data_of(json!({"connection_id": connection, "sync_run": {"type": "integer"}, "records": {"type": "integer"}, "error": {"type": ["string", "null"]}}), json!(["connection_id"]))),
        ("sync.failed", "A connection's sync failed; what it committed is kept.",
         data_of(json!({"connection_id": connection, "sync_run": {"type": "integer"}, "records": {"type": "integer"}, "error": {"type": ["string", "null"]}}), json!(["connection_id"]))),
        ("connection.reauthorization_required", "Corrigo refused the connection's credentials; syncing stopped until PUT /api/connections/{id}/credentials.",
         data_of(json!({"connection_id": connection, "reason": {"type": ["string", "null"]}, "action": {"type": "string"}}), json!(["connection_id"]))),
        ("connection.status_changed", "A connection's status changed (ok, syncing, reauthorization_required, error).",
         data_of(json!({"connection_id": connection, "from": {"type": ["string", "null"]}, "to": {"type": "string"}, "reason": {"type": ["string", "null"]}}), json!(["connection_id"]))),
        ("mapping.published", "A new mapping version became active on a connection.",
         data_of(json!({"connection_id": connection, "entity": {"type": "string"}, "version": {"type": "integer"}, "previous_version": {"type": ["integer", "null"]}, "content_hash": {"type": "string"}, "key_name": {"type": ["string", "null"]}, "note": {"type": ["string", "null"]}}), json!(["connection_id"]))),
        ("mapping.rolled_back", "A connection's mapping was rolled back (a new version equal to an old one).",
         data_of(json!({"connection_id": connection, "entity": {"type": "string"}, "version": {"type": "integer"}, "previous_version": {"type": ["integer", "null"]}}), json!(["connection_id"]))),
        ("work_order.created", "A sync saw a new work order; `record` is the unified record made with the active mapping (custom fields included).",
         data_of(json!({"connection_id": connection, "record": {"type": "object"}}), json!(["connection_id"]))),
        ("work_order.updated", "A sync saw a work order whose content changed; `record` as for work_order.created.",
         data_of(json!({"connection_id": connection, "record": {"type": "object"}}), json!(["connection_id"]))),
        ("webhook.disabled", "One of the organization's endpoints was disabled at the end of its retry schedule.",
         data_of(json!({"endpoint_id": {"type": "string"}, "reason": {"type": "string"}}), json!(["endpoint_id", "reason"]))),
        ("ping", "Sent by POST /api/webhooks/{id}/test to that endpoint only.",
         data_of(json!({"endpoint_id": {"type": "string"}}), json!(["endpoint_id"]))),
    ];
    let mut section = serde_json::Map::new();
    for (kind, description, data) in events {
        let body = json!({
            "type": "object",
            "required": ["type", "timestamp", "data"],
            "properties": {
                "type": {"const": kind},
                "timestamp": {"type": "string", "format": "date-time"},
                "data": data,
            },
        });
        section.insert(
            kind.to_owned(),
            json!({"post": {
                "summary": kind,
                "description": format!("{description} Answer 2xx within 10 s; anything else is retried with exponential backoff for up to 24 h, then the endpoint is disabled."),
                "parameters": headers,
                "requestBody": {"required": true, "content": {"application/json": {"schema": body}}},
                "responses": {"200": {"description": "Received (any 2xx)"}},
            }}),
        );
    }
    doc.extensions
        .get_or_insert_with(Default::default)
        .insert("webhooks".to_owned(), Value::Object(section));
}
