//! The JSON API under `/api/v1`: one module per area, each with its `router()`, merged here.
//! Every route needs a token: reads a viewer's, writes an editor's, token admin an admin's.

pub(crate) mod accounts;
pub(crate) mod business;
mod lineage;
mod runs;
mod social;
mod tokens;

use axum::Json;
use axum::Router;
use axum::routing::get;
use serde_json::{Value, json};
use sustain_report::{Period, Scope};

use crate::auth::Viewer;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The API's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/whoami", get(whoami))
        .merge(runs::router())
        .merge(lineage::router())
        .merge(business::router())
        .merge(accounts::router())
        .merge(tokens::router())
        .merge(social::router())
}

/// The caller's token: id, name, role.
async fn whoami(auth: Viewer) -> Json<Value> {
    let t = auth.caller.0;
    Json(json!({"id": t.id, "name": t.name, "role": t.role, "created_at": t.created_at}))
}

/// The period of a query (`period=2026-Q3`), this month by default.
pub(crate) fn period(given: Option<&str>) -> ApiResult<Period> {
    match given {
        Some(p) if !p.trim().is_empty() => Ok(Period::parse(p)?),
        _ => this_month(),
    }
}

/// The current month (UTC).
pub(crate) fn this_month() -> ApiResult<Period> {
    crate::overview::this_month()
}

/// The scope of a query, the whole company by default.
pub(crate) fn scope(given: Option<&str>) -> ApiResult<Scope> {
    match given {
        Some(s) if !s.trim().is_empty() => Ok(Scope::parse(s)?),
        _ => Ok(Scope::Company),
    }
}

/// A 404 for unknown API paths, as JSON.
pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such API route; see /openapi.json".into())
}
