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
//! - Paging: offset pages ordered by Id, fetched through a sliding window of concurrent
//!   requests and handed over in order, stopping at the first short page.
//! - Bounds: redirects are never followed (a 307 would re-send the secret-bearing token
//!   form elsewhere); Retry-After is capped; token and locator answers are read up to
//!   64 KiB, pages up to 32 MiB decompressed; a [`Cancellation`] ends waits, retries and
//!   requests in flight at once. URLs and the company name follow
//!   `unifield-connection-rules` (https, or http to this machine only).

mod expression;

pub use expression::{
    property_set, property_set_covers, pull_property_set, Filter, Operator, QueryExpression,
};

use serde_json::{json, Value};
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;
use unifield_connection_rules as rules;

/// Stops a client's work: every call in progress or to come ends at once with
/// [`ClientError::Cancelled`], whether it is sending, waiting for an answer, or sleeping
/// before a retry. Clones share one signal.
#[derive(Debug, Clone)]
pub struct Cancellation(Arc<tokio::sync::watch::Sender<bool>>);

impl Default for Cancellation {
    fn default() -> Cancellation {
        Cancellation(Arc::new(tokio::sync::watch::channel(false).0))
    }
}

impl Cancellation {
    pub fn cancel(&self) {
        self.0.send_replace(true);
    }

    pub fn is_cancelled(&self) -> bool {
        *self.0.borrow()
    }

    /// Completes once [`Cancellation::cancel`] has been called.
    pub async fn cancelled(&self) {
        let mut watching = self.0.subscribe();
        // The sender lives in `self`, so waiting cannot fail for want of one.
        let _ = watching.wait_for(|cancelled| *cancelled).await;
    }
}

/// What a [`Resolver`] returns to refuse an address (a server's policy on where
/// connections may go). The call then fails at once with
/// [`ClientError::DestinationRefused`], unretried: asking again would get the same answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RefusedDestination(pub String);

/// A name resolver every request of a client connects through, so the address checked is
/// the address connected to (no second lookup to race). A refusal is a
/// [`RefusedDestination`] error.
#[derive(Clone)]
pub struct Resolver(pub Arc<dyn reqwest::dns::Resolve>);

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Resolver")
    }
}

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
    /// The longest Retry-After honoured; a longer one waits this long.
    pub retry_after_cap: Duration,
    /// The most read of a token or locator answer (a few hundred bytes when honest).
    pub max_small_body: usize,
    /// How host names are resolved (None: the system's resolver). A server passes one
    /// that refuses addresses its operator did not allow.
    pub resolver: Option<Resolver>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            timeout: Duration::from_secs(60),
            // Four pages in flight at once must fit in memory with room to spare.
            max_body: 32 << 20,
            attempts: 10,
            backoff_base: Duration::from_millis(100),
            backoff_cap: Duration::from_secs(10),
            renew_margin: Duration::from_secs(60),
            token_url: None,
            locator_url: None,
            retry_after_cap: Duration::from_secs(60),
            max_small_body: 64 << 10,
            resolver: None,
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
    /// Redirects are not followed: the request (and for the token, the secret) would go
    /// to a host nobody chose.
    #[error("{what} answered with a redirect (HTTP {status}), which is not followed; check the connection's region or base URL")]
    Redirected { what: &'static str, status: u16 },
    /// A URL or company name that breaks the connection rules, or a locator answer that
    /// is not an https Corrigo host.
    #[error(transparent)]
    Rule(#[from] rules::RuleError),
    #[error("cancelled")]
    Cancelled,
    /// The resolver refused the address the request would have gone to.
    #[error("{0}")]
    DestinationRefused(String),
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
            ClientError::Redirected { .. } => "corrigo_redirect",
            ClientError::Rule(e) => e.code(),
            ClientError::Cancelled => "cancelled",
            ClientError::DestinationRefused(_) => "destination_refused",
        }
    }
}

/// One page being fetched by a pull's window.
type PageFuture<T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Vec<T>, ClientError>> + Send>>;

/// A pull's pages in flight, in page order. Dropping it (the pull ended, failed, was
/// stopped by its caller or dropped) aborts the requests still out.
struct PagesAhead<T>(
    std::collections::VecDeque<tokio::task::JoinHandle<Result<Vec<T>, ClientError>>>,
);

impl<T> Drop for PagesAhead<T> {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// One record of a query page as Corrigo sent it: its JSON text, with the whitespace
/// between tokens taken out, and its `Id` (null when it has none). A pull stores records
/// as text, so parsing each into a `Value` only to write it out again would be most of
/// the client's CPU per record.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordText {
    pub id: Value,
    pub json: String,
}

fn parse_value(bytes: &[u8]) -> serde_json::Result<Value> {
    serde_json::from_slice(bytes)
}

/// A query page's records as text: `Entities[*].Data` (or the entity itself when it has
/// no `Data`, or a null one), each checked JSON but never built into a value. `None` when
/// the answer has no `Entities`. serde_json reads the page once (a malformed page is
/// refused here, with its line and column); each entity's text is then gone over by
/// [`record_text`], which relies on that check.
fn parse_page_text(bytes: &[u8]) -> serde_json::Result<Option<Vec<RecordText>>> {
    use serde_json::value::RawValue;
    #[derive(serde::Deserialize)]
    struct Page<'a> {
        #[serde(rename = "Entities", borrow)]
        entities: Option<Vec<&'a RawValue>>,
    }
    let page: Page = serde_json::from_slice(bytes)?;
    Ok(page
        .entities
        .map(|entities| entities.into_iter().map(|e| record_text(e.get())).collect()))
}

/// One entity of a page, whose text serde_json has read as one JSON value (every string
/// closes, every bracket pairs; nothing here can panic on other text, it would only find
/// less): its record, `Data` or the entity itself, as compact text, and the record's `Id`.
/// It finds what deserializing `{"Data": Option<&RawValue>}` and then `{"Id": Value}`
/// would: names matched exactly once unescaped, a name given twice found as absent
/// (serde refuses a duplicate field), no `Id` where the record is not an object. The
/// entity's members are gone over once: `Data`'s value is copied without whitespace as it
/// is passed, noting its `Id` (a first scan to find `Data`, then a second to copy it,
/// were a third of the client's page reading).
fn record_text(entity: &str) -> RecordText {
    let bytes = entity.as_bytes();
    let (json, id) = match compact_data_member(bytes) {
        Some(data) => data,
        None => {
            let (json, id, _) = compact_value(bytes, 0);
            (json, id)
        }
    };
    // Only ASCII whitespace was taken out, so the text is still UTF-8.
    let json = String::from_utf8(json)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    RecordText {
        id: id.unwrap_or(Value::Null),
        json,
    }
}

/// The compact text and `Id` of member `Data` of the object `bytes` holds; None when
/// `bytes` is not an object, has no `Data`, has it twice, or has it null.
fn compact_data_member(bytes: &[u8]) -> Option<(Vec<u8>, Option<Value>)> {
    if bytes.first() != Some(&b'{') {
        return None;
    }
    let mut found = None;
    let mut at = skip_whitespace(bytes, 1);
    while bytes.get(at) == Some(&b'"') {
        let name_end = string_end(bytes, at);
        let quoted = &bytes[at..name_end];
        // The name, its colon, its value.
        at = skip_whitespace(bytes, name_end);
        at = skip_whitespace(bytes, at + 1);
        let end = if is_name(quoted, "Data") {
            if found.is_some() {
                return None;
            }
            let (json, id, end) = compact_value(bytes, at);
            found = Some((json, id));
            end
        } else {
            value_end(bytes, at)
        };
        at = skip_whitespace(bytes, end);
        if bytes.get(at) != Some(&b',') {
            break;
        }
        at = skip_whitespace(bytes, at + 1);
    }
    found.filter(|(json, _)| json != b"null")
}

/// Where the string starting at `bytes[at]` (a quote) ends: just past its closing quote.
fn string_end(bytes: &[u8], mut at: usize) -> usize {
    at += 1;
    // Most of a record's bytes are inside strings: memchr goes over them many at a time.
    // (Looking at a string's first 16 bytes one by one before calling it saved nothing.)
    while let Some(offset) = memchr::memchr2(b'"', b'\\', &bytes[at.min(bytes.len())..]) {
        at += offset;
        if bytes[at] == b'\\' {
            at += 2;
        } else {
            return at + 1;
        }
    }
    bytes.len()
}

/// Where the value starting at `bytes[at]` ends.
fn value_end(bytes: &[u8], mut at: usize) -> usize {
    match bytes.get(at) {
        Some(b'"') => string_end(bytes, at),
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            while at < bytes.len() {
                match bytes[at] {
                    b'"' => {
                        at = string_end(bytes, at);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            return at + 1;
                        }
                    }
                    _ => {}
                }
                at += 1;
            }
            bytes.len()
        }
        _ => {
            while at < bytes.len()
                && !matches!(bytes[at], b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t')
            {
                at += 1;
            }
            at
        }
    }
}

fn skip_whitespace(bytes: &[u8], mut at: usize) -> usize {
    while at < bytes.len() && matches!(bytes[at], b' ' | b'\n' | b'\r' | b'\t') {
        at += 1;
    }
    at
}

/// Whether `quoted` (a JSON string with its quotes) is `name`.
fn is_name(quoted: &[u8], name: &str) -> bool {
    if quoted.contains(&b'\\') {
        serde_json::from_slice::<String>(quoted).is_ok_and(|unescaped| unescaped == name)
    } else {
        quoted.len() == name.len() + 2 && &quoted[1..quoted.len() - 1] == name.as_bytes()
    }
}

/// The value starting at `bytes[start]` without the whitespace between its tokens (strings
/// untouched): what `serde_json::to_string` of it would write, for text that came compact
/// or pretty-printed alike; the value of its top-level `Id` when it is an object that has
/// exactly one; and where the value ends. Text between whitespace is copied a run at a
/// time (a compact record is one copy).
fn compact_value(bytes: &[u8], start: usize) -> (Vec<u8>, Option<Value>, usize) {
    if !matches!(bytes.get(start), Some(b'{' | b'[')) {
        let end = value_end(bytes, start).min(bytes.len());
        return (bytes[start.min(end)..end].to_vec(), None, end);
    }
    let object = bytes[start] == b'{';
    let mut out = Vec::with_capacity(bytes.len() - start);
    // `bytes[run..at]` is text still to be copied to `out`.
    let mut run = start;
    let mut at = start;
    let mut depth = 0usize;
    // At depth 1 of an object, the next string is a member's name.
    let mut name_next = false;
    let mut ids = 0;
    let mut id_named = false;
    let mut id_from: Option<usize> = None;
    let mut id_span = None;
    while at < bytes.len() {
        let byte = bytes[at];
        match byte {
            b'"' => {
                let end = string_end(bytes, at);
                if depth == 1 && name_next {
                    name_next = false;
                    if is_name(&bytes[at..end], "Id") {
                        ids += 1;
                        id_named = true;
                    }
                }
                at = end;
                continue;
            }
            b' ' | b'\n' | b'\r' | b'\t' => {
                out.extend_from_slice(&bytes[run..at]);
                at = skip_whitespace(bytes, at);
                run = at;
                continue;
            }
            b'{' | b'[' => {
                depth += 1;
                if depth == 1 {
                    name_next = object;
                }
            }
            b'}' | b']' | b',' => {
                if depth == 1 {
                    if let Some(from) = id_from.take() {
                        id_span = Some(from..out.len() + (at - run));
                    }
                    name_next = object && byte == b',';
                }
                if byte != b',' {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        at += 1;
                        break;
                    }
                }
            }
            b':' if depth == 1 && id_named => {
                id_named = false;
                id_from = Some(out.len() + (at - run) + 1);
            }
            _ => {}
        }
        at += 1;
    }
    out.extend_from_slice(&bytes[run..at]);
    let id = match id_span {
        Some(span) if object && ids == 1 => id_value(&out[span]),
        _ => None,
    };
    (out, id, at)
}

/// The value of an `Id`'s text. Corrigo's ids are integers: plain digits are read as
/// serde_json reads them (an unsigned number) without its parser, whose set-up for a few
/// digits cost as much as copying the record; anything else goes through serde_json.
fn id_value(text: &[u8]) -> Option<Value> {
    let plain = !text.is_empty()
        && text.len() <= 18
        && text.iter().all(u8::is_ascii_digit)
        && (text[0] != b'0' || text.len() == 1);
    if plain {
        let n = text
            .iter()
            .fold(0u64, |n, digit| n * 10 + u64::from(digit - b'0'));
        return Some(Value::from(n));
    }
    serde_json::from_slice(text).ok()
}

/// `text` as [`compact_value`] copies it, and its `Id`.
#[cfg(test)]
fn compact_noting_id(text: &str) -> (String, Option<Value>) {
    let (json, id, _) = compact_value(text.as_bytes(), 0);
    (String::from_utf8(json).unwrap(), id)
}

#[cfg(test)]
fn compact(text: &str) -> String {
    compact_noting_id(text).0
}

/// The outcome of one attempt, before the retry policy decides.
enum Attempt<T = Value> {
    Done(T),
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

/// The most pages a pull asks for at once (`pull`'s `concurrency` is clamped to it).
pub const MAX_PULL_CONCURRENCY: usize = 32;

pub struct Client {
    http: reqwest::Client,
    credentials: Credentials,
    options: Options,
    session: Mutex<Option<Arc<Session>>>,
    reauthorization_required: AtomicBool,
    dice: AtomicU64,
    renewals: AtomicU64,
    cancellation: Cancellation,
    /// The locator's base URL, checked (region endpoints only).
    locator: Option<rules::BaseUrl>,
}

const TOKEN_URL: &str = "https://oauth-pro-v2.corrigo.com/OAuth/token";

impl Client {
    /// A client, once its settings pass the connection rules: the company name is
    /// printable ASCII, every URL https (or http to this machine), the region a plain word.
    pub fn new(credentials: Credentials, options: Options) -> Result<Client, ClientError> {
        let mut credentials = credentials;
        credentials.company = rules::check_company_name(&credentials.company)?.to_string();
        let mut locator = None;
        match &credentials.endpoint {
            Endpoint::BaseUrl(base) => {
                credentials.endpoint =
                    Endpoint::BaseUrl(rules::parse_base_url(base)?.as_str().to_string());
            }
            Endpoint::Region(region) => {
                if region.is_empty() || !region.chars().all(|c| c.is_ascii_alphanumeric()) {
                    return Err(ClientError::Unexpected(format!(
                        "`{region}` is not a Corrigo region (am, emea or apac)"
                    )));
                }
                let base = options
                    .locator_url
                    .clone()
                    .unwrap_or_else(|| format!("https://{region}-apilocator.corrigo.com"));
                locator = Some(rules::parse_base_url(&base)?);
            }
        }
        if let Some(token_url) = &options.token_url {
            rules::parse_base_url(token_url)?;
        }
        let mut builder = reqwest::Client::builder()
            .timeout(options.timeout)
            .gzip(true)
            .redirect(reqwest::redirect::Policy::none());
        if let Some(resolver) = &options.resolver {
            // No proxy with a checking resolver (the server's case): through an HTTP(S)_PROXY
            // or ALL_PROXY from the environment the resolver would only ever see the proxy's
            // name, and the target host would never be checked. Without a resolver (the
            // studio on a user's machine) the user's proxy is still honoured.
            builder = builder.dns_resolver(Arc::clone(&resolver.0)).no_proxy();
        }
        let http = builder
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
            cancellation: Cancellation::default(),
            locator,
        })
    }

    /// This client, stopped by `cancellation` (see [`Cancellation`]).
    pub fn with_cancellation(mut self, cancellation: Cancellation) -> Client {
        self.cancellation = cancellation;
        self
    }

    /// Runs `work` unless the client is cancelled first, or while it runs.
    async fn cancellable<T>(
        &self,
        work: impl std::future::Future<Output = Result<T, ClientError>>,
    ) -> Result<T, ClientError> {
        if self.cancellation.is_cancelled() {
            return Err(ClientError::Cancelled);
        }
        tokio::select! {
            biased;
            () = self.cancellation.cancelled() => Err(ClientError::Cancelled),
            result = work => result,
        }
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
        Ok(self.cancellable(self.session(None)).await?.api.clone())
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
    /// `concurrency` pages at a time (1 to [`MAX_PULL_CONCURRENCY`]; outside, the nearest).
    /// `on_page(first_index, records)` sees pages in order and may stop the pull by
    /// returning false.
    pub async fn pull(
        self: &Arc<Self>,
        entity: &str,
        expression: QueryExpression,
        page_size: usize,
        concurrency: usize,
        on_page: impl FnMut(usize, Vec<Value>) -> bool,
    ) -> Result<(), ClientError> {
        self.pull_pages(
            entity,
            expression,
            page_size,
            concurrency,
            |client, entity, page| Box::pin(async move { client.query(&entity, &page).await }),
            on_page,
        )
        .await
    }

    /// [`Client::pull`] with each record as the JSON text Corrigo sent ([`RecordText`]):
    /// for a caller that stores records as text, which then never builds a `Value` of one.
    pub async fn pull_text(
        self: &Arc<Self>,
        entity: &str,
        expression: QueryExpression,
        page_size: usize,
        concurrency: usize,
        on_page: impl FnMut(usize, Vec<RecordText>) -> bool,
    ) -> Result<(), ClientError> {
        self.pull_pages(
            entity,
            expression,
            page_size,
            concurrency,
            |client, entity, page| Box::pin(async move { client.query_text(&entity, &page).await }),
            on_page,
        )
        .await
    }

    /// Runs a query (`POST query/{Entity}`), returning the page's records as text.
    pub async fn query_text(
        &self,
        entity: &str,
        expression: &QueryExpression,
    ) -> Result<Vec<RecordText>, ClientError> {
        self.call_parsed(
            reqwest::Method::POST,
            &format!("/api/v1/query/{entity}"),
            Some(&expression.to_json()),
            Replay::Always,
            parse_page_text,
        )
        .await?
        .ok_or_else(|| ClientError::Unexpected("a query response without Entities".into()))
    }

    async fn pull_pages<T: Send + 'static>(
        self: &Arc<Self>,
        entity: &str,
        expression: QueryExpression,
        page_size: usize,
        concurrency: usize,
        fetch: fn(Arc<Self>, String, QueryExpression) -> PageFuture<T>,
        mut on_page: impl FnMut(usize, Vec<T>) -> bool,
    ) -> Result<(), ClientError> {
        let page_size = page_size.max(1);
        // Bounded: the window is allocated up front (a huge value panicked there), and
        // more pages at once than this only loads Corrigo.
        let concurrency = concurrency.clamp(1, MAX_PULL_CONCURRENCY);
        let expression = QueryExpression {
            orders: vec![("Id".into(), false)],
            ..expression
        };
        // A sliding window: at most `concurrency` pages are held at once (asked for, or
        // answered and waiting their turn), and each is handed to `on_page` in order as
        // soon as it and those before it are in; the page after the window is asked for
        // once one leaves it. While the caller stores a page, the next ones are already
        // on their way: a window fetched whole and then stored page by page left the
        // network idle for every store (most of a pull's time at 8 pages at once).
        // Concurrency 1 stays one page at a time: the next is asked for after the
        // previous one was handed over.
        let mut ahead = PagesAhead::<T>(std::collections::VecDeque::with_capacity(concurrency));
        let mut next_page = 0;
        let mut handed = 0;
        loop {
            while ahead.0.len() < concurrency {
                let client = Arc::clone(self);
                let page = expression.clone().page(next_page * page_size, page_size);
                ahead
                    .0
                    .push_back(tokio::spawn(fetch(client, entity.to_string(), page)));
                next_page += 1;
            }
            let task = ahead
                .0
                .pop_front()
                .expect("the window holds at least one page");
            let records = task
                .await
                .map_err(|e| ClientError::Unexpected(format!("a page task failed: {e}")))??;
            let short = records.len() < page_size;
            if !on_page(handed * page_size, records) || short {
                return Ok(());
            }
            handed += 1;
        }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        replay: Replay,
    ) -> Result<Value, ClientError> {
        self.cancellable(self.call_with_retries(method, path, body, replay, parse_value))
            .await
    }

    /// Like `call`, with a 200 answer's body read by `parse` instead of into a `Value`
    /// (a body `parse` refuses is an incomplete answer, retried like one).
    async fn call_parsed<T>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        replay: Replay,
        parse: fn(&[u8]) -> serde_json::Result<T>,
    ) -> Result<T, ClientError> {
        self.cancellable(self.call_with_retries(method, path, body, replay, parse))
            .await
    }

    async fn call_with_retries<T>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        replay: Replay,
        parse: fn(&[u8]) -> serde_json::Result<T>,
    ) -> Result<T, ClientError> {
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
            match self
                .attempt(&session, method.clone(), path, body, parse)
                .await
            {
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

    async fn attempt<T>(
        &self,
        session: &Session,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        parse: fn(&[u8]) -> serde_json::Result<T>,
    ) -> Attempt<T> {
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
            // A request that could not be built (a header value) fails the same each time.
            Err(e) if e.is_builder() => {
                return Attempt::Fatal(ClientError::Unexpected(format!(
                    "the request could not be made: {e}"
                )))
            }
            Err(e) => {
                if let Some(refusal) = refused(&e) {
                    return Attempt::Fatal(refusal);
                }
                return Attempt::Retry {
                    reason: transport(&e),
                    after: None,
                    // A refused connection sent nothing; a timeout may have sent it all.
                    unapplied: e.is_connect() && !e.is_timeout(),
                };
            }
        };
        let status = response.status().as_u16();
        if response.status().is_redirection() {
            return Attempt::Fatal(ClientError::Redirected {
                what: "the Corrigo API",
                status,
            });
        }
        // Capped: a hostile or broken server's `Retry-After: 86400` must not park a pull.
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|seconds| Duration::from_secs(seconds).min(self.options.retry_after_cap));
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
        match status {
            200 => match parse(&bytes) {
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
                let envelope: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
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
                Err(e) => match refused(&e) {
                    Some(refusal) => return Err(refusal),
                    None => transport(&e),
                },
                Ok(response) if response.status().is_redirection() => {
                    return Err(ClientError::Redirected {
                        what: "the token endpoint",
                        status: response.status().as_u16(),
                    });
                }
                Ok(response) if response.status().is_success() => {
                    let body: Value = read_json(response, self.options.max_small_body)
                        .await
                        .map_err(|e| e.context("the token response"))?;
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
                refused(&e).unwrap_or_else(|| {
                    ClientError::Unexpected(format!("the {region} locator: {}", transport(&e)))
                })
            })?;
        if response.status().is_redirection() {
            return Err(ClientError::Redirected {
                what: "the locator",
                status: response.status().as_u16(),
            });
        }
        let body: Value = read_json(response, self.options.max_small_body)
            .await
            .map_err(|e| e.context("the locator's answer"))?;
        let url = body
            .pointer("/CommandResult/Url")
            .and_then(Value::as_str)
            .ok_or_else(|| ClientError::Unexpected("the locator gave no Url".into()))?;
        // The token goes to whatever host this names: only an https Corrigo host will do
        // (or, for a locator on this machine, this machine).
        let Some(locator) = self.locator.as_ref() else {
            return Err(ClientError::Unexpected(
                "no locator is set for this region connection".into(),
            ));
        };
        Ok(rules::api_host_from_locator(url, locator)?)
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

/// A small JSON answer (token, locator), read up to `limit` bytes.
async fn read_json(response: reqwest::Response, limit: usize) -> Result<Value, ClientError> {
    let bytes = read_limited(response, limit)
        .await
        .map_err(|e| e.unwrap_or_else(|| ClientError::Unexpected("it was cut off".into())))?;
    serde_json::from_slice(&bytes).map_err(|e| ClientError::Unexpected(e.to_string()))
}

impl ClientError {
    /// The same error, saying what it was about (for unexpected answers).
    fn context(self, what: &str) -> ClientError {
        match self {
            ClientError::Unexpected(reason) => ClientError::Unexpected(format!("{what}: {reason}")),
            ClientError::TooLarge(limit) => {
                ClientError::Unexpected(format!("{what} is larger than {limit} bytes"))
            }
            other => other,
        }
    }
}

/// A request the resolver refused (a [`RefusedDestination`] somewhere in the error's
/// chain of causes).
fn refused(error: &reqwest::Error) -> Option<ClientError> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = cause {
        if let Some(refusal) = current.downcast_ref::<RefusedDestination>() {
            return Some(ClientError::DestinationRefused(refusal.0.clone()));
        }
        cause = current.source();
    }
    None
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
    let announced = response.content_length().map(|n| n as usize);
    if announced.is_some_and(|n| n > limit) {
        return Err(Some(ClientError::TooLarge(limit)));
    }
    // Sized once for the length announced (within the limit): a page grown chunk by
    // chunk was copied through every doubling on the way to its size.
    let mut bytes = Vec::with_capacity(announced.unwrap_or(0));
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
    fn page_text_keeps_each_records_text_and_id_and_equals_its_compact_value() {
        let body = br#"{"Entities": [
            {"Id": 7, "Data": {"Id": 7, "Number": "WO 1", "Note": "a  b\n\"c\" \\ ", "Items": [ {"x": 1.5e3} ]}},
            {"Data": {"Number": "no id"}},
            {"Id": "A-9", "Name": "no Data: the entity itself"}
        ], "TotalCount": 3}"#;
        let records = parse_page_text(body).unwrap().unwrap();
        let ids: Vec<&Value> = records.iter().map(|r| &r.id).collect();
        assert_eq!(ids, [&json!(7), &Value::Null, &json!("A-9")]);
        let whole: Value = serde_json::from_slice(body).unwrap();
        for (record, entity) in records.iter().zip(whole["Entities"].as_array().unwrap()) {
            let want = entity.get("Data").unwrap_or(entity);
            // The text is the record's, whitespace between tokens taken out (inside
            // strings kept), and reads back as the same value.
            assert_eq!(serde_json::from_str::<Value>(&record.json).unwrap(), *want);
        }
        // Where serde_json would write the same text (no exponents here), it does.
        for record in &records[1..] {
            let value: Value = serde_json::from_str(&record.json).unwrap();
            assert_eq!(record.json, serde_json::to_string(&value).unwrap());
        }
        assert_eq!(
            records[0].json,
            r#"{"Id":7,"Number":"WO 1","Note":"a  b\n\"c\" \\ ","Items":[{"x":1.5e3}]}"#
        );
        // Pretty-printed answers store the same text as compact ones.
        let value = json!({"a": [1, {"b": "x \\\" y\\", "c": null}], "d": "tab\there", "e": {}});
        let pretty = serde_json::to_string_pretty(&value).unwrap();
        assert!(pretty.contains('\n'));
        assert_eq!(compact(&pretty), value.to_string());
        assert_eq!(parse_page_text(br#"{"Total": 0}"#).unwrap(), None);
        assert!(parse_page_text(br#"{"Entities": [{"Data": {"Id": 1}"#).is_err());
    }

    /// How a page's records were read before [`record_text`]: serde_json deserializing
    /// each entity's `Data`, then the record's `Id`, then the compact copy. The one-pass
    /// reading must find the same.
    fn record_text_through_serde(entity: &str) -> RecordText {
        use serde_json::value::RawValue;
        #[derive(serde::Deserialize)]
        struct Entity<'a> {
            #[serde(rename = "Data", borrow)]
            data: Option<&'a RawValue>,
        }
        #[derive(serde::Deserialize)]
        struct IdOnly {
            #[serde(rename = "Id", default)]
            id: Value,
        }
        let record = serde_json::from_str::<Entity>(entity)
            .ok()
            .and_then(|e| e.data)
            .map_or(entity, |data| data.get());
        let id = serde_json::from_str::<IdOnly>(record)
            .map(|r| r.id)
            .unwrap_or(Value::Null);
        // Compact as serde_json's own writer, for records without exponents or
        // escapes it would write otherwise (every one below).
        let json = serde_json::to_string(&serde_json::from_str::<Value>(record).unwrap()).unwrap();
        RecordText { id, json }
    }

    fn sample_records() -> Vec<Value> {
        let samples = [
            include_str!("../../../mappings/corrigo/samples/WorkOrder.jsonl"),
            include_str!("../../../mappings/corrigo/samples/Customer.jsonl"),
            include_str!("../../../mappings/corrigo/samples/Location.jsonl"),
        ];
        samples
            .iter()
            .flat_map(|text| text.lines().filter(|l| !l.trim().is_empty()))
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    #[test]
    fn the_one_pass_reading_finds_each_records_text_and_id_as_serde_does() {
        let mut entities: Vec<String> = Vec::new();
        for record in sample_records() {
            let wrapped = json!({"Id": record.get("Id"), "Data": record});
            entities.push(wrapped.to_string());
            entities.push(serde_json::to_string_pretty(&wrapped).unwrap());
            entities.push(record.to_string());
        }
        // What serde's reading decides that a plain scan could get wrong.
        entities.extend(
            [
                r#"{"Data": null, "Id": 3}"#,
                r#"{"Data": {"Id": 1}, "Data": {"Id": 2}, "Id": 9}"#,
                r#"{"Data": {"Id": 1, "Id": 2}}"#,
                r#"{"\u0044ata": {"\u0049d": 5, "Name": "escaped names"}}"#,
                r#"{"Data": {"Name": "no id", "Child": {"Id": 4}}}"#,
                r#"{"Data": {"Id": {"Id": 6}, "Ids": [1, {"Id": 2}]}}"#,
                r#"{"Data": {"Note": "\"Id\": 1, {[", "Id": "A-9"}}"#,
                r#"{"Data": "a string record"}"#,
                r#"{"data": {"Id": 8}}"#,
                r#"{ "Data" : { "Id" : -12.5 , "x" : [ ] } , "Other" : { } }"#,
                r#"{"Data":{"Id":7}}"#,
                r#"{}"#,
                r#"{"Data": {}}"#,
                r#"{"Data": {"Id": null}}"#,
                r#"{"Data": {"Id": 1, "Items": [{"Id": 2}], "Id2": 3}}"#,
                r#""a string entity""#,
                r#"42"#,
                r#"{"Data": {"Text": "ünïcödé \ud83d\ude00 and \\ \" \/"}}"#,
                // Data not first, not an object, spaced, or given twice with a null.
                r#"{"Other": {"Data": {"Id": 1}}, "Data": { "Id" : 3 , "a" : [ 1, 2 ] } }"#,
                r#"{"Id": 9, "Data" : [ 1 , {"Id": 2} ] }"#,
                r#"{"Data": 17, "Id": 1}"#,
                r#"{"Data": "text \"quoted\" ", "x": null}"#,
                r#"{"Data": null, "Data": {"Id": 2}}"#,
                r#"{"Data": {"Id": 1}, "Data": null}"#,
                r#"{"Data": {"Id": 1 }, "Id": 2}"#,
                // Ids read without serde_json, and those left to it.
                r#"{"Data": {"Id": 0}}"#,
                r#"{"Data": {"Id": 999999999999999999}}"#,
                r#"{"Data": {"Id": 18446744073709551615}}"#,
                r#"{"Data": {"Id": 18446744073709551616}}"#,
                r#"{"Data": {"Id": -0}}"#,
                r#"{"Data": {"Id": 12e2}}"#,
                r#"{"Data": {"Id": true}}"#,
            ]
            .map(String::from),
        );
        for entity in &entities {
            // As the entity sits in a page: serde_json's raw text of it.
            let page = format!("{{\"Entities\": [{entity}]}}");
            let records = parse_page_text(page.as_bytes()).unwrap().unwrap();
            let want = record_text_through_serde(entity);
            assert_eq!(records[0].id, want.id, "{entity}");
            assert_eq!(
                serde_json::from_str::<Value>(&records[0].json).unwrap(),
                serde_json::from_str::<Value>(&want.json).unwrap(),
                "{entity}"
            );
            assert!(!records[0].json.contains(['\n', '\t']), "{entity}");
        }
        assert!(entities.len() > 100, "{} entities compared", entities.len());
    }

    #[test]
    fn malformed_pages_are_refused_saying_where_and_never_panic() {
        for page in [
            r#"{"Entities": [{"Data": {"Id": 1}"#,
            r#"{"Entities": [{"Data": {"Id": 1,}}]}"#,
            r#"{"Entities": [{"Data": {"Id": "open}]}"#,
            r#"{"Entities": [{"Data": {"Id": 1}}], }"#,
            r#"{"Entities": [{"Data": {"Name": "\x"}}]}"#,
            r#"{"Entities": [{"Data": {"Id" 1}}]}"#,
            r#"{"Entities": {"Data": {"Id": 1}}}"#,
            r#"{"Entities": [{"Data": {"Id": 1}}]} trailing"#,
            "{\"Entities\": [{\"Data\": {\"Name\": \"\u{1}\"}}]}",
            "",
        ] {
            let error = parse_page_text(page.as_bytes()).unwrap_err().to_string();
            assert!(
                error.contains("line") && error.contains("column"),
                "{page}: {error}"
            );
        }
        assert!(parse_page_text(b"{\"Entities\": [{\"Data\": {\"N\": \"\xff\"}}]}").is_err());
        // Every byte of a real page broken in turn: refused, or (where the text is
        // still JSON) read as serde reads it; never a panic.
        let record = &sample_records()[0];
        let page = serde_json::to_string_pretty(&json!({"Entities": [{"Id": 1, "Data": record}]}))
            .unwrap();
        let mut read = 0;
        for at in (0..page.len()).step_by(3) {
            for replacement in [b'"', b'\\', b'{', b'}', b',', b':', b' ', b'x'] {
                let mut broken = page.clone().into_bytes();
                broken[at] = replacement;
                if let Ok(Some(records)) = parse_page_text(&broken) {
                    read += 1;
                    // The entity's own text, as serde_json hands it over.
                    #[derive(serde::Deserialize)]
                    struct Page<'a> {
                        #[serde(rename = "Entities", borrow)]
                        entities: Vec<&'a serde_json::value::RawValue>,
                    }
                    let entities: Page = serde_json::from_slice(&broken).unwrap();
                    let entity = entities.entities[0].get();
                    assert_eq!(records[0].id, record_text_through_serde(entity).id);
                }
            }
        }
        assert!(
            read > 0,
            "some changes (a space for a space) keep the page JSON"
        );
    }

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
