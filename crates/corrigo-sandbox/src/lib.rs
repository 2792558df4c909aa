//! A local server that speaks Corrigo Enterprise's REST API: OAuth token, the host
//! locator, `base` reads and the `query` engine, with Corrigo's envelopes, headers and
//! error codes, over deterministic seeded data, and with injectable faults (throttling,
//! server errors, truncated bodies, latency, expiring tokens, revoked credentials) so a
//! client can be tested against what real APIs do, offline.
//!
//! Writes go through `base` (create, update with ConcurrencyId, soft delete) and work
//! orders through `cmd` (create and the status commands, with their transition rules).

mod data;
pub mod query;
mod schema;
mod write;

pub use data::{Data, ENTITIES};

use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Faults to inject, parsed from `429=0.10,500=0.05,truncate=0.01,latency-ms=20,token-ttl-s=30,revoke-after=5000`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    /// Share of API calls answered 429 with `Retry-After`.
    pub throttle: f64,
    /// Share of API calls answered 500.
    pub server_error: f64,
    /// Share of successful responses whose body is cut in half.
    pub truncate: f64,
    /// Delay added to every API call.
    pub latency: Duration,
    /// Lifetime of issued tokens (Corrigo's is 20 minutes).
    pub token_ttl: Option<Duration>,
    /// After this many API calls the credentials stop working.
    pub revoke_after: Option<u64>,
}

impl FromStr for Faults {
    type Err = String;
    fn from_str(spec: &str) -> Result<Faults, String> {
        let mut faults = Faults::default();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| format!("fault `{part}` needs a value (key=value)"))?;
            let share = || -> Result<f64, String> {
                value
                    .parse::<f64>()
                    .ok()
                    .filter(|v| (0.0..=1.0).contains(v))
                    .ok_or_else(|| {
                        format!("`{key}` must be a share between 0 and 1, not `{value}`")
                    })
            };
            let whole = || {
                value
                    .parse::<u64>()
                    .map_err(|_| format!("`{key}` must be a whole number, not `{value}`"))
            };
            match key {
                "429" => faults.throttle = share()?,
                "500" => faults.server_error = share()?,
                "truncate" => faults.truncate = share()?,
                "latency-ms" => faults.latency = Duration::from_millis(whole()?),
                "token-ttl-s" => faults.token_ttl = Some(Duration::from_secs(whole()?)),
                "revoke-after" => faults.revoke_after = Some(whole()?),
                other => return Err(format!("unknown fault `{other}` (known: 429, 500, truncate, latency-ms, token-ttl-s, revoke-after)")),
            }
        }
        Ok(faults)
    }
}

/// What the sandbox serves and accepts. `Debug` never shows the client secret.
#[derive(Clone)]
pub struct Config {
    pub seed: u64,
    pub work_orders: usize,
    pub client_id: String,
    pub client_secret: String,
    pub company: String,
    pub faults: Faults,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("seed", &self.seed)
            .field("work_orders", &self.work_orders)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("company", &self.company)
            .field("faults", &self.faults)
            .finish()
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            seed: 2026,
            work_orders: 1000,
            client_id: "ceapiclient.1.sandbox.0001".into(),
            client_secret: "sandbox-secret".into(),
            company: "Unifield Sandbox".into(),
            faults: Faults::default(),
        }
    }
}

/// Corrigo's default token lifetime.
const TOKEN_TTL: Duration = Duration::from_secs(20 * 60);

/// The most tokens the sandbox remembers. Expired ones are dropped as new ones are
/// issued; past this many live ones the oldest is forgotten (its holder signs in again),
/// so a client asking for tokens in a loop cannot grow the table without end.
pub const MAX_TOKENS: usize = 1024;

struct Shared {
    config: Config,
    data: std::sync::RwLock<Data>,
    base_url: String,
    tokens: Mutex<HashMap<String, Instant>>,
    calls: AtomicU64,
    issued: AtomicU64,
    dice: Mutex<u64>,
}

impl Shared {
    /// A deterministic draw in [0, 1) (SplitMix64 over a seeded counter).
    fn roll(&self) -> f64 {
        let mut state = self.dice.lock().unwrap_or_else(|p| p.into_inner());
        *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn revoked(&self) -> bool {
        self.config
            .faults
            .revoke_after
            .is_some_and(|n| self.calls.load(Ordering::Relaxed) >= n)
    }
}

/// A running sandbox. Dropping it stops the server.
pub struct Running {
    pub base_url: String,
    pub addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Serves until the process ends (for `unifield sandbox`).
    pub async fn wait(mut self) {
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Starts the sandbox on `addr` (port 0 picks a free port).
pub async fn start(config: Config, addr: SocketAddr) -> std::io::Result<Running> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let base_url = format!("http://{addr}");
    let shared = Arc::new(Shared {
        data: std::sync::RwLock::new(Data::generate(config.seed, config.work_orders)),
        base_url: base_url.clone(),
        tokens: Mutex::new(HashMap::new()),
        calls: AtomicU64::new(0),
        issued: AtomicU64::new(0),
        dice: Mutex::new(config.seed),
        config,
    });
    let api = Router::new()
        .route("/api/v1/cmd/GetCompanyWsdkUrlCommand", post(locator))
        .route(
            "/api/v1/base/{entity}",
            get(base_by_query)
                .post(base_create)
                .put(base_update)
                .delete(base_delete_by_query),
        )
        .route(
            "/api/v1/base/{entity}/{id}",
            get(base_by_path)
                .put(base_update)
                .delete(base_delete_by_path),
        )
        .route("/api/v1/query/{entity}", post(run_query))
        .route("/api/v1/cmd/{command}", post(run_command))
        .route("/api/v1/cmd/{entity}/{verb}", post(run_short_command))
        .layer(middleware::from_fn_with_state(shared.clone(), guard));
    let app = Router::new()
        .route("/OAuth/token", post(token))
        .merge(api)
        .with_state(shared);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
    });
    Ok(Running {
        base_url,
        addr,
        shutdown: Some(tx),
        task: Some(task),
    })
}

/// Corrigo's error envelope.
fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(envelope(code, message, None))).into_response()
}

/// Corrigo's error body; `RequestId` only when the request carried one.
fn envelope(code: &str, message: &str, request_id: Option<Value>) -> Value {
    let stamp = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    let mut body = json!({"ErrorMessage": message, "ErrorCode": code, "TimeStamp": stamp});
    if let Some(id) = request_id {
        body["RequestId"] = id;
    }
    body
}

#[derive(serde::Deserialize)]
struct TokenForm {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

async fn token(State(shared): State<Arc<Shared>>, Form(form): Form<TokenForm>) -> Response {
    let refused = |description: &str| {
        (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_client", "error_description": description})),
        )
            .into_response()
    };
    if form.grant_type.as_deref() != Some("client_credentials") {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "unsupported_grant_type"})),
        )
            .into_response();
    }
    let config = &shared.config;
    if form.client_id.as_deref() != Some(config.client_id.as_str())
        || form.client_secret.as_deref() != Some(config.client_secret.as_str())
    {
        return refused("unknown client or wrong secret");
    }
    if shared.revoked() {
        return refused("the client's credentials have been revoked");
    }
    let n = shared.issued.fetch_add(1, Ordering::Relaxed);
    let token = format!(
        "sandbox.{}.{:016x}",
        n,
        (shared.roll() * u64::MAX as f64) as u64
    );
    let ttl = config.faults.token_ttl.unwrap_or(TOKEN_TTL);
    let now = Instant::now();
    let mut tokens = shared.tokens.lock().unwrap_or_else(|p| p.into_inner());
    if tokens.len() >= MAX_TOKENS {
        tokens.retain(|_, until| *until > now);
    }
    while tokens.len() >= MAX_TOKENS {
        let Some(oldest) = tokens
            .iter()
            .min_by_key(|(_, until)| **until)
            .map(|(token, _)| token.clone())
        else {
            break;
        };
        tokens.remove(&oldest);
    }
    tokens.insert(token.clone(), now + ttl);
    drop(tokens);
    Json(json!({"access_token": token, "token_type": "bearer", "expires_in": ttl.as_secs()}))
        .into_response()
}

/// Checks headers and injects faults for every API call, as Corrigo's gateway would.
async fn guard(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    request: Request,
    next: Next,
) -> Response {
    let faults = &shared.config.faults;
    if !faults.latency.is_zero() {
        tokio::time::sleep(faults.latency).await;
    }
    // Revocation is decided before this call is counted: "revoke-after=N" serves N calls.
    let revoked = shared.revoked();
    shared.calls.fetch_add(1, Ordering::Relaxed);
    let Some(authorization) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return error(
            StatusCode::UNAUTHORIZED,
            "MISSING_AUTHORIZATION_HEADER",
            "Authorization header is missing.",
        );
    };
    let Some(token) = authorization
        .strip_prefix("Bearer ")
        .or_else(|| authorization.strip_prefix("bearer "))
    else {
        return error(
            StatusCode::FORBIDDEN,
            "MISSING_AUTHORIZATION_SCHEME",
            "Authorization scheme must be Bearer.",
        );
    };
    let expiry = shared
        .tokens
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(token)
        .copied();
    match expiry {
        None => {
            return error(
                StatusCode::FORBIDDEN,
                "INCORRECT_TOKEN",
                "The token is not valid.",
            )
        }
        Some(_) if revoked => {
            return error(
                StatusCode::FORBIDDEN,
                "INCORRECT_TOKEN",
                "The token is not valid.",
            )
        }
        Some(until) if Instant::now() >= until => {
            return error(
                StatusCode::FORBIDDEN,
                "EXPIRED_TOKEN",
                "The token has expired.",
            )
        }
        Some(_) => {}
    }
    let company = headers
        .get("companyname")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if company != shared.config.company {
        return error(
            StatusCode::BAD_REQUEST,
            "DATABASE_VERSION_MISMATCH",
            "Company name does not match the database.",
        );
    }
    if shared.roll() < faults.throttle {
        let mut response = error(
            StatusCode::TOO_MANY_REQUESTS,
            "TOO_MANY_REQUESTS",
            "Too many requests.",
        );
        response
            .headers_mut()
            .insert("retry-after", HeaderValue::from_static("1"));
        return response;
    }
    if shared.roll() < faults.server_error {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_SERVER_ERROR",
            "An unexpected error occurred.",
        );
    }
    let response = next.run(request).await;
    if response.status() == StatusCode::OK && shared.roll() < faults.truncate {
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .unwrap_or_default();
        let cut = bytes.slice(..bytes.len() / 2);
        let mut response = Response::from_parts(parts, Body::from(cut));
        response.headers_mut().remove("content-length");
        return response;
    }
    response
}

async fn locator(State(shared): State<Arc<Shared>>, body: Option<Json<Value>>) -> Response {
    let request_id = body.as_ref().and_then(|b| b.get("RequestId").cloned());
    let mut out = json!({"CommandResult": {
        "Url": format!("{}/", shared.base_url),
        "CompanyName": shared.config.company,
        "Protocol": "HTTP",
        "CompanyVersion": "9.8.0.0",
        "CompanyId": 1
    }});
    if let Some(id) = request_id {
        out["RequestId"] = id;
    }
    Json(out).into_response()
}

fn data(shared: &Shared) -> std::sync::RwLockReadGuard<'_, Data> {
    shared.data.read().unwrap_or_else(|p| p.into_inner())
}

fn data_mut(shared: &Shared) -> std::sync::RwLockWriteGuard<'_, Data> {
    shared.data.write().unwrap_or_else(|p| p.into_inner())
}

/// A request body as JSON; Corrigo answers unreadable bodies with DATA_PARSING_ERROR.
fn parse_body(bytes: &[u8]) -> Result<Value, write::Refusal> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(bytes).map_err(|e| {
        write::refuse(
            "DATA_PARSING_ERROR",
            format!("The request body is not valid JSON: {e}"),
        )
    })
}

/// Builds a JSON answer (success or Corrigo error envelope) carrying the RequestId.
fn answer(result: Result<Value, write::Refusal>, body: &Value) -> Response {
    let request_id = body.get("RequestId").cloned();
    match result {
        Ok(mut value) => {
            if let Some(id) = request_id {
                value["RequestId"] = id;
            }
            Json(value).into_response()
        }
        Err(refusal) => (
            StatusCode::BAD_REQUEST,
            Json(envelope(refusal.code, &refusal.message, request_id)),
        )
            .into_response(),
    }
}

fn entity_or_error(entity: &str) -> Result<&'static str, write::Refusal> {
    Data::entity(entity).ok_or_else(|| {
        write::refuse(
            "ENTITY_NOT_FOUND",
            format!("Entity type '{entity}' is not found."),
        )
    })
}

async fn base_create(
    State(shared): State<Arc<Shared>>,
    Path(entity): Path<String>,
    bytes: axum::body::Bytes,
) -> Response {
    let entity = match entity_or_error(&entity) {
        Ok(e) => e,
        Err(r) => return answer(Err(r), &Value::Null),
    };
    let body = match parse_body(&bytes) {
        Ok(b) => b,
        Err(r) => return answer(Err(r), &Value::Null),
    };
    answer(write::create(&mut data_mut(&shared), entity, &body), &body)
}

async fn base_update(
    State(shared): State<Arc<Shared>>,
    Path(params): Path<Vec<(String, String)>>,
    bytes: axum::body::Bytes,
) -> Response {
    let entity = params
        .iter()
        .find(|(k, _)| k == "entity")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let entity = match entity_or_error(&entity) {
        Ok(e) => e,
        Err(r) => return answer(Err(r), &Value::Null),
    };
    let mut body = match parse_body(&bytes) {
        Ok(b) => b,
        Err(r) => return answer(Err(r), &Value::Null),
    };
    if let (Some((_, id)), Some(Value::Object(target))) = (
        params.iter().find(|(k, _)| k == "id"),
        body.get_mut("Entity"),
    ) {
        if let Ok(id) = id.parse::<i64>() {
            target.entry("Id").or_insert(Value::from(id));
        }
    }
    answer(write::update(&mut data_mut(&shared), entity, &body), &body)
}

fn delete_one(shared: &Shared, entity: &str, id: &str, headers: &HeaderMap) -> Response {
    let entity = match entity_or_error(entity) {
        Ok(e) => e,
        Err(r) => return answer(Err(r), &Value::Null),
    };
    let Ok(id) = id.trim().parse::<i64>() else {
        return error(
            StatusCode::BAD_REQUEST,
            "DATA_PARSING_ERROR",
            &format!("'{id}' is not a valid identifier."),
        );
    };
    let ignore = headers
        .get("ignoremissingentityondelete")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    answer(
        write::delete(&mut data_mut(shared), entity, id, ignore),
        &Value::Null,
    )
}

async fn base_delete_by_path(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((entity, id)): Path<(String, String)>,
) -> Response {
    delete_one(&shared, &entity, &id, &headers)
}

async fn base_delete_by_query(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(entity): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    match params.iter().find(|(k, _)| k.eq_ignore_ascii_case("id")) {
        Some((_, id)) => delete_one(&shared, &entity, id, &headers),
        None => error(
            StatusCode::BAD_REQUEST,
            "EMPTY_INPUT_PARAMETER",
            "The ID parameter is required.",
        ),
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Runs a command. An unknown command is reported before the body is read, as Corrigo
/// does (its published examples include one with an unreadable body).
fn command_response(shared: &Shared, name: &str, bytes: &[u8]) -> Response {
    let body = match parse_body(bytes) {
        Ok(body) => body,
        Err(_) if !write::is_known(name) => Value::Null,
        Err(refusal) => return answer(Err(refusal), &Value::Null),
    };
    let result = write::command(&mut data_mut(shared), name, &body, &now())
        .map(|r| json!({"CommandResult": r}));
    answer(result, &body)
}

async fn run_command(
    State(shared): State<Arc<Shared>>,
    Path(command): Path<String>,
    bytes: axum::body::Bytes,
) -> Response {
    command_response(&shared, &command, &bytes)
}

async fn run_short_command(
    State(shared): State<Arc<Shared>>,
    Path((entity, verb)): Path<(String, String)>,
    bytes: axum::body::Bytes,
) -> Response {
    command_response(&shared, &format!("{entity}/{verb}"), &bytes)
}

fn read_one(shared: &Shared, entity: &str, id: &str, properties: Option<&str>) -> Response {
    let Some(entity) = Data::entity(entity) else {
        return error(
            StatusCode::BAD_REQUEST,
            "ENTITY_NOT_FOUND",
            &format!("Entity type '{entity}' is not found."),
        );
    };
    let Ok(id) = id.trim().parse::<i64>() else {
        return error(
            StatusCode::BAD_REQUEST,
            "DATA_PARSING_ERROR",
            &format!("'{id}' is not a valid identifier."),
        );
    };
    let data = data(shared);
    let Some(record) = data.get(entity, id) else {
        return error(
            StatusCode::BAD_REQUEST,
            "ERROR_CODE_1019",
            &format!("{entity} with Id {id} is not found."),
        );
    };
    let properties: Vec<String> = properties
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(String::from)
        .collect();
    if let Err(message) = query::check_depth(&properties) {
        return error(StatusCode::BAD_REQUEST, query::PROPERTY_TOO_DEEP, &message);
    }
    Json(json!({"Data": query::project(record, &properties)})).into_response()
}

async fn base_by_path(
    State(shared): State<Arc<Shared>>,
    Path((entity, id)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let properties = params
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("properties"))
        .map(|(_, v)| v.as_str());
    read_one(&shared, &entity, &id, properties)
}

async fn base_by_query(
    State(shared): State<Arc<Shared>>,
    Path(entity): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let find = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    match find("id") {
        Some(id) => read_one(&shared, &entity, id, find("properties")),
        None => error(
            StatusCode::BAD_REQUEST,
            "EMPTY_INPUT_PARAMETER",
            "The ID parameter is required.",
        ),
    }
}

async fn run_query(
    State(shared): State<Arc<Shared>>,
    Path(entity): Path<String>,
    body: Option<Json<Value>>,
) -> Response {
    let Some(entity) = Data::entity(&entity) else {
        return error(
            StatusCode::BAD_REQUEST,
            "ENTITY_NOT_FOUND",
            &format!("Entity type '{entity}' is not found."),
        );
    };
    let Some(Json(body)) = body else {
        return error(
            StatusCode::BAD_REQUEST,
            "DATA_PARSING_ERROR",
            "The request body is not JSON.",
        );
    };
    let Some(expression) = body.get("QueryExpression") else {
        return error(
            StatusCode::BAD_REQUEST,
            "EMPTY_INPUT_PARAMETER",
            "QueryExpression is required.",
        );
    };
    let data = data(&shared);
    let properties = query::properties(expression);
    if let Err(refusal) = write::check_properties(&data, entity, &properties) {
        return answer(Err(refusal), &body);
    }
    match query::run_page(expression, data.records(entity).iter()) {
        Ok((page, projection)) => {
            // Written out straight from the stored records: building the page as a value
            // copied every record up to three times (`json!` serialises an expression
            // into a new value) only to write it out.
            #[derive(serde::Serialize)]
            struct Entity<'a> {
                #[serde(rename = "Data")]
                data: query::Projected<'a>,
            }
            #[derive(serde::Serialize)]
            struct Page<'a> {
                #[serde(rename = "Entities")]
                entities: Vec<Entity<'a>>,
                #[serde(rename = "RequestId", skip_serializing_if = "Option::is_none")]
                request_id: Option<&'a Value>,
            }
            let page = Page {
                entities: page
                    .into_iter()
                    .map(|record| Entity {
                        data: query::Projected {
                            record,
                            projection: &projection,
                        },
                    })
                    .collect(),
                request_id: body.get("RequestId"),
            };
            Json(page).into_response()
        }
        Err(e) => error(StatusCode::BAD_REQUEST, e.code, &e.message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_never_shows_its_secret() {
        let config = Config {
            client_secret: "TOPSECRET".into(),
            ..Config::default()
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("TOPSECRET"), "{shown}");
    }

    #[test]
    fn fault_specs_parse_and_bad_ones_say_why() {
        let faults: Faults =
            "429=0.10,500=0.05,truncate=0.01,latency-ms=20,token-ttl-s=30,revoke-after=5000"
                .parse()
                .unwrap();
        assert_eq!(faults.throttle, 0.10);
        assert_eq!(faults.server_error, 0.05);
        assert_eq!(faults.truncate, 0.01);
        assert_eq!(faults.latency, Duration::from_millis(20));
        assert_eq!(faults.token_ttl, Some(Duration::from_secs(30)));
        assert_eq!(faults.revoke_after, Some(5000));
        assert_eq!("".parse::<Faults>().unwrap(), Faults::default());
        assert!("429=2"
            .parse::<Faults>()
            .unwrap_err()
            .contains("between 0 and 1"));
        assert!("teapot=1"
            .parse::<Faults>()
            .unwrap_err()
            .contains("unknown fault `teapot`"));
        assert!("latency-ms"
            .parse::<Faults>()
            .unwrap_err()
            .contains("needs a value"));
    }
}
