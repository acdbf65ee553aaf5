//! The JSON API under `/api/v1`: one module per area, each with its `router()`, merged here.
//! Every route needs a token: reads a viewer's, writes an editor's, token admin an admin's.
//!
//! Each handler is declared once, with `#[utoipa::path]` (its method, path, parameters, body,
//! answers and role in `x-role`), and registered with `utoipa_axum::routes!`, which puts it in
//! the router and in the OpenAPI document together (`crate::openapi`).

pub(crate) mod accounts;
pub(crate) mod business;
mod lineage;
mod runs;
mod social;
mod tokens;

use axum::Json;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sustain_ledger::Role;
use sustain_report::{Period, Scope};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Viewer;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The API's routes, each with its operation of the OpenAPI document.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(whoami))
        .merge(runs::router())
        .merge(lineage::router())
        .merge(business::router())
        .merge(accounts::router())
        .merge(tokens::router())
        .merge(social::router())
}

/// The caller's token.
// Fields in alphabetical order: the order of the keys this answer has always had.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct WhoAmI {
    /// When the token was created.
    created_at: DateTime<Utc>,
    /// The token's public id.
    id: String,
    /// Its name.
    name: String,
    /// Its role.
    role: Role,
}

/// The caller's token: id, name and role.
#[utoipa::path(
    get,
    path = "/api/v1/whoami",
    extensions(("x-role" = json!(Role::Viewer))),
    responses((status = 200, description = "The caller's token", body = WhoAmI))
)]
async fn whoami(auth: Viewer) -> Json<WhoAmI> {
    let t = auth.caller.0;
    Json(WhoAmI {
        created_at: t.created_at,
        id: t.id,
        name: t.name,
        role: t.role,
    })
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
