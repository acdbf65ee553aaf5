//! The API's one error type. Each variant says its HTTP status; the body is JSON that names what
//! is wrong and, where it applies, the field. Internal causes are logged with the request id and
//! never sent: the client gets a generic message and that id.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sustain_ledger::LedgerError;
use sustain_report::ReportError;

use crate::request_id;

/// An error answered to a client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is malformed or a value is invalid.
    #[error("{message}")]
    BadRequest {
        /// The query parameter or JSON field, when one is at fault.
        field: Option<String>,
        /// What is wrong and what would be right.
        message: String,
    },
    /// 401: no token, or one that is unknown or revoked.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: the token's role may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such record or route.
    #[error("{0}")]
    NotFound(String),
    /// 413: the body is larger than the route accepts.
    #[error("{0}")]
    TooLarge(String),
    /// 409: the record exists already.
    #[error("{0}")]
    Conflict(String),
    /// 422: well-formed, but refused by the ledger's rules (an unknown product, say).
    #[error("{0}")]
    Unprocessable(String),
    /// 503: the ledger is locked by another writer for longer than the busy timeout.
    #[error("{0}")]
    Busy(String),
    /// 500: logged, never sent.
    #[error("internal error")]
    Internal,
}

impl ApiError {
    /// A 400 about `field`.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            field: Some(field.to_string()),
            message: message.into(),
        }
    }

    /// A 500 whose cause is logged here, with the request id.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(request_id = %request_id::current(), "internal error: {cause}");
        ApiError::Internal
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::NotFound(id) => ApiError::NotFound(format!("no run with id '{id}'")),
            LedgerError::Ambiguous { .. } => ApiError::BadRequest {
                field: Some("id".into()),
                message: e.to_string(),
            },
            LedgerError::Invalid(m) => ApiError::Unprocessable(m),
            LedgerError::Rejected(core) => core.into(),
            LedgerError::Conflict(m) => ApiError::Conflict(m),
            LedgerError::Locked { .. } => {
                ApiError::Busy("the ledger is busy with another writer; retry in a moment".into())
            }
            other => ApiError::internal(&other),
        }
    }
}

impl From<ReportError> for ApiError {
    fn from(e: ReportError) -> Self {
        match e {
            ReportError::Invalid { ref what, .. } => {
                let field = what.trim_start_matches("--").to_string();
                ApiError::BadRequest {
                    field: Some(field),
                    message: e.to_string(),
                }
            }
            ReportError::Ledger(l) => l.into(),
            other @ ReportError::Write(_) => ApiError::internal(&other),
        }
    }
}

/// The JSON field a record's error names: the records name fields by the CLI's flags
/// (`--price-per-1k-requests`, `--date`), the API by its JSON fields (`price_per_1k_requests`,
/// `day`); paths such as `end.duration_s` are the API's already.
fn api_field(name: &str) -> String {
    match name.strip_prefix("--") {
        Some("date") => "day".into(),
        Some(flag) => flag.replace('-', "_"),
        None => name.to_string(),
    }
}

impl From<sustain_core::CoreError> for ApiError {
    fn from(e: sustain_core::CoreError) -> Self {
        use sustain_core::CoreError;
        match e {
            CoreError::InvalidValue { ref what, .. } => ApiError::BadRequest {
                field: Some(api_field(what)),
                message: e.to_string(),
            },
            // A figure outside its plausible bounds: 400, like any invalid value, naming it.
            CoreError::OutOfBounds(ref b) => ApiError::BadRequest {
                field: Some(api_field(&b.field)),
                message: e.to_string(),
            },
            CoreError::At { field, error } => ApiError::BadRequest {
                field: Some(field),
                message: error.to_string(),
            },
            other => ApiError::Unprocessable(other.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = match &self {
            ApiError::Internal => {
                "internal error: the server logged it; quote the request id when reporting it"
                    .to_string()
            }
            other => other.to_string(),
        };
        let field = match &self {
            ApiError::BadRequest { field, .. } => field.clone(),
            _ => None,
        };
        let body = ErrorBody {
            error: message,
            field,
            request_id: request_id::current(),
            status: status.as_u16(),
        };
        let mut res = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"sustain\""),
            );
        }
        res
    }
}

/// The JSON body of every error answer.
// Fields in alphabetical order: the order of the keys this body has always had.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What is wrong and what would be right (for a 500, only that it was logged).
    pub error: String,
    /// The query parameter or JSON field at fault, when one is (400 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub field: Option<String>,
    /// The request's id, also in the `x-request-id` header and in the server's log.
    pub request_id: String,
    /// The HTTP status, repeated.
    pub status: u16,
}

/// Result with [`ApiError`].
pub type ApiResult<T> = Result<T, ApiError>;
