//! A client for Corrigo Enterprise's REST API.
//!
//! - Auth: OAuth2 client credentials. Tokens last 20 minutes with no refresh token, so
//!   the client renews ahead of expiry, and concurrent calls share one renewal.
//! - Host discovery: the regional locator is asked for the company's API host at every
//!   renewal (keeping only scheme and host); a custom base URL (the sandbox) skips it.
//! - Failures: 5xx, 429 (honouring Retry-After), timeouts and truncated bodies are
//!   retried with capped exponential backoff and full jitter; commands only when Corrigo
//!   cannot have applied them (refused connection, 429). An expired or rejected token
//!   is renewed once and the call retried; credentials the token endpoint refuses, or a
//!   token still rejected after renewal, put the client in `reauthorization_required`.
//! - Paging: offset pages ordered by Id, fetched a window at a time concurrently, stopping
//!   at the first short page.

mod expression;

pub use expression::{property_set, property_set_covers, Filter, Operator, QueryExpression};

use serde_json::{json, Value};
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Where the API is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `am`, `emea` or `apac`: the host is discovered through the regional locator.
    Region(String),
    /// A fixed base URL such as the local sandbox; token and API are both served there.
    BaseUrl(String),
}

/// What the client signs in with. `Debug` never shows the secret.
#[derive(Clone)]
pub struct Credentials {
    pub company: String,
    pub client_id: String,
    pub client_secret: String,
    pub endpoint: Endpoint,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("company", &self.company)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<in the keyring>")
            .field("endpoint", &self.endpoint)
            .finish()
    }
}

/// Limits and timing.
#[derive(Debug, Clone)]
pub struct Options {
    pub timeout: Duration,
    /// Larger responses are refused rather than buffered.
    pub max_body: usize,
    /// Attempts per call, the first included.
    pub attempts: u32,
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// Renew a token this long before it expires (at most half its lifetime).
    pub renew_margin: Duration,
    /// Overrides for region endpoints: the token URL and the locator's base URL
    /// (default: Corrigo's own hosts). Tests point them at the local sandbox.
    pub token_url: Option<String>,
    pub locator_url: Option<String>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            timeout: Duration::from_secs(60),
            max_body: 256 << 20,
            attempts: 10,
            backoff_base: Duration::from_millis(100),
            backoff_cap: Duration::from_secs(10),
            renew_margin: Duration::from_secs(60),
            token_url: None,
            locator_url: None,
        }
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientError {
    #[error("Corrigo refused the request: {code}: {message} (HTTP {status})")]
    Api {
        status: u16,
        code: String,
        message: String,
    },
    #[error("the connection's credentials no longer work ({0}); reconnect it with a current client id and secret")]
    ReauthorizationRequired(String),
    #[error("gave up after {attempts} attempts; last: {last}")]
    Exhausted { attempts: u32, last: String },
    #[error("the response is larger than {0} bytes")]
    TooLarge(usize),
    /// A command failed in a way that leaves open whether Corrigo applied it (a timeout,
    /// a 5xx, a cut-off answer): sending it again could, say, create a second work order.
    #[error("the command may or may not have been applied ({last}); check Corrigo before sending it again")]
    OutcomeUnknown { last: String },
    #[error("unexpected response from Corrigo: {0}")]
    Unexpected(String),
}

impl ClientError {
    /// A stable code the UI branches on.
    pub fn code(&self) -> &'static str {
        match self {
            ClientError::Api { .. } => "corrigo_error",
            ClientError::ReauthorizationRequired(_) => "reauthorization_required",
            ClientError::Exhausted { .. } => "corrigo_unavailable",
            ClientError::TooLarge(_) => "response_too_large",
            ClientError::OutcomeUnknown { .. } => "command_outcome_unknown",
            ClientError::Unexpected(_) => "corrigo_unexpected",
        }
    }
}

/// The outcome of one attempt, before the retry policy decides.
enum Attempt {
    Done(Value),
    /// Worth retrying; `after` is the server's Retry-After. `unapplied`: Corrigo cannot
    /// have acted on the request (it never connected, or it was throttled), so even a
    /// command may be sent again.
    Retry {
        reason: String,
        after: Option<Duration>,
        unapplied: bool,
    },
    /// The token was rejected: renew once, then give up.
    Rejected(String),
    Fatal(ClientError),
}

struct Session {
    token: String,
    /// `scheme://host[:port]`, no trailing slash.
    api: String,
    renew_at: Instant,
}

pub struct Client {
    http: reqwest::Client,
    credentials: Credentials,
    options: Options,
    session: Mutex<Option<Arc<Session>>>,
    reauthorization_required: AtomicBool,
    dice: AtomicU64,
    renewals: AtomicU64,
}

const TOKEN_URL: &str = "https://oauth-pro-v2.corrigo.com/OAuth/token";

impl Client {
    pub fn new(credentials: Credentials, options: Options) -> Result<Client, ClientError> {
        let http = reqwest::Client::builder()
            .timeout(options.timeout)
            .gzip(true)
            .build()
            .map_err(|e| ClientError::Unexpected(format!("cannot build the HTTP client: {e}")))?;
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64);
        Ok(Client {
            http,
            credentials,
            options,
            session: Mutex::new(None),
            reauthorization_required: AtomicBool::new(false),
            dice: AtomicU64::new(seed | 1),
            renewals: AtomicU64::new(0),
        })
    }

    /// True once the credentials have been refused; every later call fails fast.
    pub fn needs_reauthorization(&self) -> bool {
        self.reauthorization_required.load(Ordering::Relaxed)
    }

    /// How many tokens this client has obtained (renewals are shared by concurrent calls).
    pub fn token_renewals(&self) -> u64 {
        self.renewals.load(Ordering::Relaxed)
    }

    /// The API host in use, signing in if needed.
    pub async fn api_host(&self) -> Result<String, ClientError> {
        Ok(self.session(None).await?.api.clone())
    }

    /// Reads one entity by id (`GET base/{Entity}/{id}`), optionally projected.
    pub async fn get(
        &self,
        entity: &str,
        id: i64,
        properties: &[&str],
    ) -> Result<Value, ClientError> {
        let mut path = format!("/api/v1/base/{entity}/{id}");
        if !properties.is_empty() {
            path.push_str(&format!("?properties={}", properties.join(",")));
        }
        let body = self
            .call(reqwest::Method::GET, &path, None, Replay::Always)
            .await?;
        body.get("Data")
            .cloned()
            .ok_or_else(|| ClientError::Unexpected("a read without Data".into()))
    }

    /// Runs a query (`POST query/{Entity}`), returning the records of the page.
    pub async fn query(
        &self,
        entity: &str,
        expression: &QueryExpression,
    ) -> Result<Vec<Value>, ClientError> {
        let body = self
            .call(
                reqwest::Method::POST,
                &format!("/api/v1/query/{entity}"),
                Some(&expression.to_json()),
                Replay::Always,
            )
            .await?;
        let Some(Value::Array(entities)) = body.get("Entities") else {
            return Err(ClientError::Unexpected(
                "a query response without Entities".into(),
            ));
        };
        Ok(entities
            .iter()
            .map(|e| e.get("Data").cloned().unwrap_or_else(|| e.clone()))
            .collect())
    }

    /// Runs a command (`POST cmd/{Command}`), returning its CommandResult. Commands are
    /// not idempotent (`Workorder/Create` twice is two work orders), so one is sent again
    /// only when Corrigo cannot have applied it: the connection was refused, the call was
    /// throttled (429) or the token rejected. After a timeout, a 5xx or a cut-off answer
    /// it fails with [`ClientError::OutcomeUnknown`].
    pub async fn command(&self, name: &str, command: Value) -> Result<Value, ClientError> {
        let body = self
            .call(
                reqwest::Method::POST,
                &format!("/api/v1/cmd/{name}"),
                Some(&json!({"Command": command})),
                Replay::OnlyUnapplied,
            )
            .await?;
        body.get("CommandResult").cloned().ok_or_else(|| {
            ClientError::Unexpected("a command response without CommandResult".into())
        })
    }

    /// Every record the query selects, in pages of `page_size` ordered by Id, fetching
    /// `concurrency` pages at a time. `on_page(first_index, records)` sees pages in order
    /// and may stop the pull by returning false.
    pub async fn pull(
        self: &Arc<Self>,
        entity: &str,
        expression: QueryExpression,
        page_size: usize,
        concurrency: usize,
        mut on_page: impl FnMut(usize, Vec<Value>) -> bool,
    ) -> Result<(), ClientError> {
        let page_size = page_size.max(1);
        let expression = QueryExpression {
            orders: vec![("Id".into(), false)],
            ..expression
        };
        let mut first = 0;
        loop {
            let mut window = tokio::task::JoinSet::new();
            for k in 0..concurrency.max(1) {
                let client = Arc::clone(self);
                let page = expression.clone().page(first + k * page_size, page_size);
                let entity = entity.to_string();
                window.spawn(async move { (k, client.query(&entity, &page).await) });
            }
            let mut pages: Vec<Option<Result<Vec<Value>, ClientError>>> =
                (0..concurrency.max(1)).map(|_| None).collect();
            while let Some(joined) = window.join_next().await {
                let (k, result) = joined
                    .map_err(|e| ClientError::Unexpected(format!("a page task failed: {e}")))?;
                pages[k] = Some(result);
            }
            for (k, page) in pages.into_iter().enumerate() {
                let records = page.expect("every page joined")?;
                let short = records.len() < page_size;
                if !on_page(first + k * page_size, records) || short {
                    return Ok(());
                }
            }
            first += concurrency.max(1) * page_size;
        }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        replay: Replay,
    ) -> Result<Value, ClientError> {
        if self.needs_reauthorization() {
            return Err(ClientError::ReauthorizationRequired(
                "the credentials were refused earlier".into(),
            ));
        }
        let mut session = self.session(None).await?;
        let mut renewed = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.attempt(&session, method.clone(), path, body).await {
                Attempt::Done(value) => return Ok(value),
                Attempt::Fatal(error) => return Err(error),
                Attempt::Rejected(_) if !renewed => {
                    renewed = true;
                    session = self.session(Some(&session)).await?;
                }
                Attempt::Rejected(code) => {
                    self.reauthorization_required.store(true, Ordering::Relaxed);
                    return Err(ClientError::ReauthorizationRequired(format!(
                        "Corrigo answers {code} even to a new token"
                    )));
                }
                Attempt::Retry {
                    reason,
                    unapplied: false,
                    ..
                } if replay == Replay::OnlyUnapplied => {
                    return Err(ClientError::OutcomeUnknown { last: reason });
                }
                Attempt::Retry { reason, after, .. } => {
                    if attempt >= self.options.attempts {
                        return Err(ClientError::Exhausted {
                            attempts: attempt,
                            last: reason,
                        });
                    }
                    tokio::time::sleep(after.unwrap_or_else(|| self.backoff(attempt))).await;
                    // The token may have lapsed while waiting.
                    session = self.session(None).await?;
                }
            }
        }
    }

    /// Full jitter: a random wait up to base × 2^attempt, capped.
    fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self
            .options
            .backoff_base
            .saturating_mul(1 << attempt.min(16))
            .min(self.options.backoff_cap);
        let mut x = self
            .dice
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
        x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        let share = ((x ^ (x >> 31)) >> 11) as f64 / (1u64 << 53) as f64;
        ceiling.mul_f64(share)
    }

    async fn attempt(
        &self,
        session: &Session,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Attempt {
        let mut request = self
            .http
            .request(method, format!("{}{path}", session.api))
            .bearer_auth(&session.token)
            .header("CompanyName", &self.credentials.company);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => {
                return Attempt::Retry {
                    reason: transport(&e),
                    after: None,
                    // A refused connection sent nothing; a timeout may have sent it all.
                    unapplied: e.is_connect() && !e.is_timeout(),
                };
            }
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let bytes = match read_limited(response, self.options.max_body).await {
            Ok(bytes) => bytes,
            Err(Some(error)) => return Attempt::Fatal(error),
            Err(None) => {
                return Attempt::Retry {
                    reason: "the response was cut off".into(),
                    after: None,
                    unapplied: false,
                }
            }
        };
        let parsed: Result<Value, _> = serde_json::from_slice(&bytes);
        match status {
            200 => match parsed {
                Ok(value) => Attempt::Done(value),
                // A body cut short by the network or the server: ask again.
                Err(e) => Attempt::Retry {
                    reason: format!("an incomplete response ({e})"),
                    after: None,
                    unapplied: false,
                },
            },
            429 => Attempt::Retry {
                reason: "throttled (429)".into(),
                after: retry_after,
                unapplied: true,
            },
            500..=599 => Attempt::Retry {
                reason: format!("server error ({status})"),
                after: None,
                unapplied: false,
            },
            _ => {
                let envelope = parsed.unwrap_or(Value::Null);
                let code = envelope
                    .get("ErrorCode")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let message = envelope
                    .get("ErrorMessage")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                match code.as_str() {
                    "EXPIRED_TOKEN" | "INCORRECT_TOKEN" => Attempt::Rejected(code),
                    _ => Attempt::Fatal(ClientError::Api {
                        status,
                        code,
                        message,
                    }),
                }
            }
        }
    }

    /// The current session, renewing it when it is near expiry or when `stale` (a session
    /// the server just rejected) is still the current one. Concurrent callers wait for one
    /// renewal instead of each making their own.
    async fn session(&self, stale: Option<&Arc<Session>>) -> Result<Arc<Session>, ClientError> {
        let mut current = self.session.lock().await;
        if let Some(session) = current.as_ref() {
            let rejected = stale.is_some_and(|s| Arc::ptr_eq(s, session));
            if !rejected && Instant::now() < session.renew_at {
                return Ok(Arc::clone(session));
            }
        }
        let session = Arc::new(self.sign_in().await?);
        self.renewals.fetch_add(1, Ordering::Relaxed);
        *current = Some(Arc::clone(&session));
        Ok(session)
    }

    async fn sign_in(&self) -> Result<Session, ClientError> {
        let token_url = match &self.credentials.endpoint {
            Endpoint::BaseUrl(base) => format!("{}/OAuth/token", base.trim_end_matches('/')),
            Endpoint::Region(_) => self
                .options
                .token_url
                .clone()
                .unwrap_or_else(|| TOKEN_URL.to_string()),
        };
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.credentials.client_id.as_str()),
            ("client_secret", self.credentials.client_secret.as_str()),
        ];
        let mut attempt = 0;
        let (token, lifetime) = loop {
            attempt += 1;
            let outcome = self.http.post(&token_url).form(&form).send().await;
            let retry = match outcome {
                Err(e) => transport(&e),
                Ok(response) if response.status().is_success() => {
                    let body: Value = response
                        .json()
                        .await
                        .map_err(|e| ClientError::Unexpected(format!("token response: {e}")))?;
                    let token = body
                        .get("access_token")
                        .and_then(Value::as_str)
                        .ok_or_else(|| ClientError::Unexpected("no access_token".into()))?;
                    let lifetime = body
                        .get("expires_in")
                        .and_then(Value::as_u64)
                        .unwrap_or(1200);
                    break (token.to_string(), Duration::from_secs(lifetime));
                }
                Ok(response) if matches!(response.status().as_u16(), 400 | 401 | 403) => {
                    self.reauthorization_required.store(true, Ordering::Relaxed);
                    return Err(ClientError::ReauthorizationRequired(format!(
                        "the token endpoint refused the client (HTTP {})",
                        response.status().as_u16()
                    )));
                }
                Ok(response) => format!("token endpoint answered {}", response.status().as_u16()),
            };
            if attempt >= self.options.attempts {
                return Err(ClientError::Exhausted {
                    attempts: attempt,
                    last: retry,
                });
            }
            tokio::time::sleep(self.backoff(attempt)).await;
        };
        let margin = self.options.renew_margin.min(lifetime / 2);
        let renew_at = Instant::now() + lifetime - margin;
        let api = match &self.credentials.endpoint {
            Endpoint::BaseUrl(base) => base.trim_end_matches('/').to_string(),
            Endpoint::Region(region) => self.locate(region, &token).await?,
        };
        Ok(Session {
            token,
            api,
            renew_at,
        })
    }

    /// Asks the regional locator for the company's API host.
    async fn locate(&self, region: &str, token: &str) -> Result<String, ClientError> {
        let base = self
            .options
            .locator_url
            .clone()
            .unwrap_or_else(|| format!("https://{region}-apilocator.corrigo.com"));
        let url = format!(
            "{}/api/v1/cmd/GetCompanyWsdkUrlCommand",
            base.trim_end_matches('/')
        );
        let body = json!({"Command": {"CompanyName": self.credentials.company, "Protocol": "HTTPS", "ApiType": "REST"}});
        let response = self
            .http
            .post(url)
            .bearer_auth(token)
            .header("CompanyName", &self.credentials.company)
            .json(&body)
            .send()
            .await
            .map_err(|e| {
                ClientError::Unexpected(format!("the {region} locator: {}", transport(&e)))
            })?;
        let body: Value = response
            .json()
            .await
            .map_err(|e| ClientError::Unexpected(format!("the locator's answer: {e}")))?;
        let url = body
            .pointer("/CommandResult/Url")
            .and_then(Value::as_str)
            .ok_or_else(|| ClientError::Unexpected("the locator gave no Url".into()))?;
        host_of(url).ok_or_else(|| {
            ClientError::Unexpected(format!("the locator gave `{url}`, which has no host"))
        })
    }
}

/// Whether a failed call may be sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Replay {
    /// Reads and queries: sending them twice changes nothing.
    Always,
    /// Commands: only when Corrigo cannot have applied the first one.
    OnlyUnapplied,
}

/// `scheme://host[:port]` of a URL that may lack a scheme or carry a path.
pub fn host_of(url: &str) -> Option<String> {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (scheme, rest),
        None => ("https", url),
    };
    let host = rest
        .split(['/', '?', '#'])
        .next()
        .filter(|h| !h.is_empty())?;
    Some(format!("{scheme}://{host}"))
}

fn transport(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "timed out".into()
    } else if error.is_connect() {
        "cannot connect".into()
    } else {
        format!("network error: {error}")
    }
}

/// The body, refusing more than `limit` bytes. `Err(None)`: the body was cut off.
async fn read_limited(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, Option<ClientError>> {
    if response
        .content_length()
        .is_some_and(|n| n as usize > limit)
    {
        return Err(Some(ClientError::TooLarge(limit)));
    }
    let mut bytes = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if bytes.len() + chunk.len() > limit {
                    return Err(Some(ClientError::TooLarge(limit)));
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(bytes),
            Err(_) => return Err(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_keep_only_scheme_and_host() {
        assert_eq!(
            host_of("https://am-ce98c.corrigo.com/").as_deref(),
            Some("https://am-ce98c.corrigo.com")
        );
        assert_eq!(
            host_of("am-ce98c.corrigo.com/wsdk/x").as_deref(),
            Some("https://am-ce98c.corrigo.com")
        );
        assert_eq!(
            host_of("http://127.0.0.1:8765/").as_deref(),
            Some("http://127.0.0.1:8765")
        );
        assert_eq!(host_of("https:///x"), None);
    }

    #[test]
    fn credentials_never_show_their_secret() {
        let credentials = Credentials {
            company: "C".into(),
            client_id: "id".into(),
            client_secret: "TOPSECRET".into(),
            endpoint: Endpoint::Region("am".into()),
        };
        assert!(!format!("{credentials:?}").contains("TOPSECRET"));
    }
}
