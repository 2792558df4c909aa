//! One delivery attempt: a signed POST of the exact payload bytes, through the checking
//! resolver, with no proxy and no redirects, within a time limit; only 2xx counts.

use std::error::Error as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE, USER_AGENT};

use crate::policy::{CheckingResolver, DestinationPolicy, HostLookup, PolicyError, SystemLookup};
use crate::secret::SigningSecret;
use crate::signature::sign;

/// What a receiver has to answer within.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// How much of a response is kept with the attempt (for the owner to read).
pub const RESPONSE_PREFIX_BYTES: usize = 1024;

/// Why an attempt did not count as delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttemptError {
    #[error(transparent)]
    Refused(#[from] PolicyError),
    #[error("no answer within {0} ms")]
    Timeout(u128),
    #[error("could not connect: {0}")]
    Connect(String),
    #[error("the receiver answered {0}; only 2xx counts")]
    Status(u16),
    #[error("the receiver answered {0} (a redirect); redirects are not followed")]
    Redirect(u16),
    #[error("the request failed: {0}")]
    Request(String),
}

impl AttemptError {
    pub fn code(&self) -> &'static str {
        match self {
            AttemptError::Refused(error) => error.code(),
            AttemptError::Timeout(_) => "timeout",
            AttemptError::Connect(_) => "connect",
            AttemptError::Status(_) => "status",
            AttemptError::Redirect(_) => "redirect",
            AttemptError::Request(_) => "request",
        }
    }

    /// A refused destination will be refused again: retrying it is pointless.
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            AttemptError::Refused(
                PolicyError::InvalidUrl(_)
                    | PolicyError::UrlTooLong
                    | PolicyError::UnsupportedScheme(_)
                    | PolicyError::InsecureScheme
                    | PolicyError::CredentialsInUrl
                    | PolicyError::MissingHost
            )
        )
    }
}

/// The result of one attempt, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptOutcome {
    pub status: Option<u16>,
    pub latency: Duration,
    /// The first [`RESPONSE_PREFIX_BYTES`] of the response body, lossy UTF-8.
    pub response_prefix: String,
    pub error: Option<AttemptError>,
}

impl AttemptOutcome {
    pub fn delivered(&self) -> bool {
        self.error.is_none() && matches!(self.status, Some(200..=299))
    }
}

/// One message to send.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    /// The event id: the `webhook-id`, the same on every attempt.
    pub id: &'a str,
    /// The exact bytes to send and sign.
    pub payload: &'a [u8],
    /// Unix seconds at signing.
    pub timestamp: i64,
}

#[derive(Clone)]
pub struct DeliveryClientConfig {
    pub policy: DestinationPolicy,
    pub timeout: Duration,
    pub lookup: Arc<dyn HostLookup>,
}

impl Default for DeliveryClientConfig {
    fn default() -> Self {
        DeliveryClientConfig {
            policy: DestinationPolicy::strict(),
            timeout: DEFAULT_TIMEOUT,
            lookup: Arc::new(SystemLookup),
        }
    }
}

/// Sends deliveries. One per process: it keeps connections to receivers open between
/// deliveries (each pooled connection was made to a checked address).
#[derive(Clone)]
pub struct DeliveryClient {
    http: reqwest::Client,
    policy: DestinationPolicy,
    timeout: Duration,
}

impl DeliveryClient {
    pub fn new(config: DeliveryClientConfig) -> Result<Self, AttemptError> {
        let resolver = CheckingResolver::new(config.policy, config.lookup);
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would connect on our behalf to addresses we never checked.
            .no_proxy()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .pool_max_idle_per_host(8)
            .dns_resolver(Arc::new(resolver))
            .build()
            .map_err(|error| AttemptError::Request(error.to_string()))?;
        Ok(DeliveryClient {
            http,
            policy: config.policy,
            timeout: config.timeout,
        })
    }

    pub fn policy(&self) -> DestinationPolicy {
        self.policy
    }

    /// POSTs one message to `url`, signed with every secret given.
    pub async fn send(
        &self,
        url: &str,
        message: Message<'_>,
        secrets: &[&SigningSecret],
    ) -> AttemptOutcome {
        let started = Instant::now();
        let failed = |error: AttemptError| AttemptOutcome {
            status: None,
            latency: started.elapsed(),
            response_prefix: String::new(),
            error: Some(error),
        };
        let url = match self.policy.check_url(url) {
            Ok(url) => url,
            Err(error) => return failed(error.into()),
        };
        let signed = sign(message.id, message.timestamp, message.payload, secrets);
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(USER_AGENT, HeaderValue::from_static("Unifield-Webhooks/1"));
        for (name, value) in signed.pairs() {
            let Ok(value) = HeaderValue::from_str(&value) else {
                return failed(AttemptError::Request(format!(
                    "the {name} header is not a valid header value"
                )));
            };
            headers.insert(HeaderName::from_static(name), value);
        }
        let sent = self
            .http
            .post(url)
            .headers(headers)
            .body(message.payload.to_vec())
            .send()
            .await;
        let mut response = match sent {
            Ok(response) => response,
            Err(error) => return failed(self.classify(&error)),
        };
        let status = response.status().as_u16();
        let mut prefix = Vec::new();
        // The body is read only up to the kept prefix, within what is left of the timeout;
        // the status has already decided the outcome.
        let remaining = self.timeout.saturating_sub(started.elapsed());
        let _ = tokio::time::timeout(remaining, async {
            while prefix.len() < RESPONSE_PREFIX_BYTES {
                match response.chunk().await {
                    Ok(Some(chunk)) => {
                        let take = chunk.len().min(RESPONSE_PREFIX_BYTES - prefix.len());
                        prefix.extend_from_slice(&chunk[..take]);
                    }
                    Ok(None) | Err(_) => break,
                }
            }
        })
        .await;
        let error = match status {
            200..=299 => None,
            300..=399 => Some(AttemptError::Redirect(status)),
            _ => Some(AttemptError::Status(status)),
        };
        AttemptOutcome {
            status: Some(status),
            latency: started.elapsed(),
            response_prefix: String::from_utf8_lossy(&prefix).into_owned(),
            error,
        }
    }

    fn classify(&self, error: &reqwest::Error) -> AttemptError {
        // A refusal from the checking resolver travels inside the connect error.
        let mut source = error.source();
        while let Some(inner) = source {
            if let Some(policy) = inner.downcast_ref::<PolicyError>() {
                return AttemptError::Refused(policy.clone());
            }
            source = inner.source();
        }
        if error.is_timeout() {
            AttemptError::Timeout(self.timeout.as_millis())
        } else if error.is_connect() {
            AttemptError::Connect(describe(error))
        } else {
            AttemptError::Request(describe(error))
        }
    }
}

/// The error and its causes on one line (reqwest's own message stops at "error sending
/// request"). URLs carry no credentials (refused by the policy), so this leaks nothing.
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}
