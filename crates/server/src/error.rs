//! One error type for the service layer, with a machine code and an HTTP status; the
//! HTTP layer renders every error as `{"code", "message", "problems": [...]}`.

use crate::storage::StorageError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("missing or unknown API key: send `Authorization: Bearer <key>`")]
    Unauthorized,
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    #[error("{0} not found")]
    NotFound(String),
    #[error("this path does not take that method")]
    MethodNotAllowed,
    #[error("no such path in this API (see /api/openapi.json)")]
    NoSuchRoute,
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("the mapping has {} problem(s); nothing was changed", .0.len())]
    InvalidMapping(Vec<Value>),
    #[error("send `If-Match` with the version you edited (the ETag of GET …/mappings/{{entity}})")]
    IfMatchRequired,
    #[error(
        "the active version is {active}, not the one in If-Match; fetch it, merge and push again"
    )]
    Stale { active: i64 },
    #[error("{0}")]
    Conflict(String),
    /// A value the server will not use, located at its field: `problems` holds
    /// `{field, code, message}` with the finer code (such as `address_refused`).
    #[error("{field}: {message}")]
    FieldRefused {
        code: &'static str,
        field: &'static str,
        problem: &'static str,
        message: String,
    },
    /// An organization reached one of the server's caps (409).
    #[error("{message}")]
    LimitReached { code: &'static str, message: String },
    /// More requests at once than the server serves (503 with `Retry-After`).
    #[error(
        "the server is serving as many requests as it allows; retry after {retry_after_secs} s"
    )]
    Overloaded { retry_after_secs: u64 },
    /// The caller's organization has as many requests in progress on this node as one
    /// organization may (429 with `Retry-After`): its share of the node's slots.
    #[error("your organization has {limit} requests in progress, the most one organization may have at once; retry after {retry_after_secs} s")]
    OrganizationBusy { limit: usize, retry_after_secs: u64 },
    /// The request body did not arrive in time (408).
    #[error("the request body did not arrive within {after:?}; send it at once")]
    BodyTimeout { after: std::time::Duration },
    /// The request body is larger than the server takes (413).
    #[error("the request body is larger than {limit} bytes")]
    BodyTooLarge { limit: usize },
    #[error("Corrigo refused the credentials: {0}")]
    CredentialsRefused(String),
    #[error("Corrigo could not be reached: {0}")]
    CorrigoUnavailable(String),
    #[error("the server's master key: {0}")]
    MasterKey(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("internal error: {0}")]
    Internal(String),
    #[error(
        "the request took longer than the server allows; narrow it (fewer filters, a smaller page)"
    )]
    Timeout,
}

impl Error {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Error {
        Error::BadRequest {
            code,
            message: message.into(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Error::Unauthorized => "unauthorized",
            Error::Forbidden { code, .. }
            | Error::BadRequest { code, .. }
            | Error::FieldRefused { code, .. }
            | Error::LimitReached { code, .. } => code,
            Error::Overloaded { .. } => "overloaded",
            Error::OrganizationBusy { .. } => "too_many_requests",
            Error::BodyTimeout { .. } => "body_timeout",
            Error::BodyTooLarge { .. } => "body_too_large",
            Error::NotFound(_) => "not_found",
            Error::MethodNotAllowed => "method_not_allowed",
            Error::NoSuchRoute => "no_such_route",
            Error::InvalidMapping(_) => "invalid_mapping",
            Error::IfMatchRequired => "if_match_required",
            Error::Stale { .. } => "version_mismatch",
            Error::Conflict(_) => "conflict",
            Error::CredentialsRefused(_) => "credentials_refused",
            Error::CorrigoUnavailable(_) => "corrigo_unavailable",
            Error::MasterKey(_) => "master_key_unavailable",
            Error::Storage(e) => e.code(),
            Error::Internal(_) => "internal_error",
            Error::Timeout => "timeout",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Error::Unauthorized => StatusCode::UNAUTHORIZED,
            Error::Forbidden { .. } => StatusCode::FORBIDDEN,
            Error::NotFound(_) | Error::NoSuchRoute => StatusCode::NOT_FOUND,
            Error::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Error::BadRequest { .. } | Error::FieldRefused { .. } => StatusCode::BAD_REQUEST,
            Error::LimitReached { .. } => StatusCode::CONFLICT,
            Error::Overloaded { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Error::OrganizationBusy { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::BodyTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            Error::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Error::InvalidMapping(_) | Error::CredentialsRefused(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Error::IfMatchRequired => StatusCode::PRECONDITION_REQUIRED,
            Error::Stale { .. } => StatusCode::PRECONDITION_FAILED,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::CorrigoUnavailable(_) => StatusCode::BAD_GATEWAY,
            Error::Timeout => StatusCode::SERVICE_UNAVAILABLE,
            Error::Storage(StorageError::NotSupported { .. }) => StatusCode::NOT_IMPLEMENTED,
            Error::MasterKey(_) | Error::Storage(_) | Error::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    pub fn body(&self) -> ErrorBody {
        // Storage errors can quote SQL; the client gets the code and a plain sentence.
        let message = match self {
            Error::Storage(e @ StorageError::NotSupported { .. }) => e.to_string(),
            Error::Storage(_) | Error::Internal(_) => {
                "the server could not complete the request; see its log".to_string()
            }
            other => other.to_string(),
        };
        let problems = match self {
            Error::InvalidMapping(problems) => problems.clone(),
            Error::FieldRefused {
                field,
                problem,
                message,
                ..
            } => vec![serde_json::json!({"field": field, "code": problem, "message": message})],
            _ => Vec::new(),
        };
        ErrorBody {
            code: self.code().to_string(),
            message,
            problems,
        }
    }
}

/// The one error shape of the API.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A stable machine code, such as `version_mismatch`.
    pub code: String,
    pub message: String,
    /// Located problems (for an invalid mapping: file, line, field, step, message).
    #[schema(value_type = Vec<Object>)]
    pub problems: Vec<Value>,
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        if self.status().is_server_error() {
            eprintln!("unifield-server: {} [{}]", self, self.code());
        }
        let mut response = (self.status(), axum::Json(self.body())).into_response();
        if let Error::Stale { active } = self {
            if let Ok(value) = format!("\"{active}\"").parse() {
                response.headers_mut().insert("etag", value);
            }
        }
        if let Error::Overloaded { retry_after_secs }
        | Error::OrganizationBusy {
            retry_after_secs, ..
        } = self
        {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(retry_after_secs),
            );
        }
        response
    }
}

pub type Result<T> = std::result::Result<T, Error>;
