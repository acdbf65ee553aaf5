//! Errors of the model server, and the HTTP answer each gives: the client's mistakes are 4xx
//! with a message saying what is wrong and what would be right; a full queue is 503; anything
//! else is a 500 whose detail goes to the log, not to the client.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use thiserror::Error;

/// Why a request or the server failed.
#[derive(Debug, Error)]
pub enum ServeError {
    /// The request is wrong (400, or the status of the body's rejection, such as 413).
    #[error("{message}")]
    BadRequest {
        /// The HTTP status.
        status: StatusCode,
        /// What is wrong and what would be right.
        message: String,
    },
    /// The queue is full or the server is stopping (503).
    #[error("{0}")]
    Unavailable(String),
    /// The model failed on valid input (500; the detail is logged).
    #[error("{0}")]
    Internal(String),
    /// The model directory cannot be loaded (the user's input).
    #[error("{0}")]
    Model(String),
    /// The server cannot start or stop cleanly.
    #[error("{0}")]
    Start(String),
}

impl ServeError {
    /// A 400 with `message`.
    pub fn bad(message: impl Into<String>) -> Self {
        ServeError::BadRequest {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    /// The HTTP status it answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            ServeError::BadRequest { status, .. } => *status,
            ServeError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ServeError::Internal(_) | ServeError::Model(_) | ServeError::Start(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

impl IntoResponse for ServeError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = match &self {
            ServeError::Internal(detail)
            | ServeError::Model(detail)
            | ServeError::Start(detail) => {
                tracing::error!(%detail, "inference failed");
                "internal error: the model could not answer; the server log has the detail"
                    .to_string()
            }
            other => other.to_string(),
        };
        (status, Json(json!({"error": message}))).into_response()
    }
}

/// Result with [`ServeError`].
pub type Result<T, E = ServeError> = std::result::Result<T, E>;
