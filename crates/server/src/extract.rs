//! JSON bodies and query strings whose rejections are the API's JSON errors, naming the field.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// The field named in a serde message such as "missing field `name`" or "unknown field `x`".
fn field_of(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(message[start..start + len].to_string())
}

/// A JSON body; a bad one is a 400 that says what is wrong, one over the limit a 413.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            // A body over the route's limit is axum's 413, kept as such (not a bad request).
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::TooLarge(format!(
                    "the request body is larger than this route accepts: {}",
                    rejection.body_text()
                )))
            }
            Err(rejection) => {
                let message = match &rejection {
                    JsonRejection::MissingJsonContentType(_) => {
                        "send the body as JSON with `Content-Type: application/json`".to_string()
                    }
                    other => other.body_text(),
                };
                Err(ApiError::BadRequest {
                    field: field_of(&message),
                    message,
                })
            }
        }
    }
}

/// A query string; a bad one is a 400 that names the parameter.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(v)) => Ok(ApiQuery(v)),
            Err(rejection) => {
                let message = match &rejection {
                    QueryRejection::FailedToDeserializeQueryString(e) => e.body_text(),
                    other => other.body_text(),
                };
                Err(ApiError::BadRequest {
                    field: field_of(&message),
                    message,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fields_are_found_in_serde_messages() {
        assert_eq!(
            super::field_of("missing field `name` at line 1").as_deref(),
            Some("name")
        );
        assert_eq!(super::field_of("expected value"), None);
    }
}
