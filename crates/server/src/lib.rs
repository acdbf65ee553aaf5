//! # sustain-server
//!
//! `sustain serve`: the ledger over HTTP, for a team that shares one ledger.
//!
//! - a JSON API under `/api/v1` (runs, models, datasets, products, usage, cost lines, accounts,
//!   targets, reports, tokens), described by the OpenAPI document at `/openapi.json`;
//! - `/metrics` in the Prometheus text format;
//! - web pages (overview, accounts, runs, models, products, targets, scenarios) rendered on
//!   the server with maud from the report crate's figures and SVG charts;
//! - security headers on every response (`headers`: CSP without inline script, nosniff, no
//!   framing);
//! - token authentication on everything that shows data (`auth`), with roles viewer, editor and
//!   admin.
//!
//! The shape follows axum's examples: [`app`] builds the router from an [`AppState`], so tests
//! drive it in process with `tower::ServiceExt::oneshot`; [`serve`] binds it to a listener. The
//! ledger is SQLite, whose connections are not `Sync`: handlers borrow a pooled connection on a
//! blocking thread (`state`).

pub mod api;
pub mod auth;
pub mod cache;
pub mod client;
pub mod error;
pub mod extract;
pub mod headers;
pub mod metrics;
pub mod openapi;
pub mod overview;
pub mod pages;
pub mod request_id;
pub mod state;
pub mod wire;

use axum::Router;
use axum::{Json, middleware};
use serde::Serialize;
use tokio::net::TcpListener;

pub use error::{ApiError, ApiResult};
pub use state::AppState;

/// The whole application: API, metrics, OpenAPI document, pages.
pub fn app(state: AppState) -> Router {
    // Every route but the pages comes with its operation of the OpenAPI document.
    let (documented, _) = openapi::router().split_for_parts();
    documented
        .merge(pages::router())
        .fallback(api::not_found)
        .layer(middleware::from_fn(headers::layer))
        .layer(middleware::from_fn(request_id::layer))
        .with_state(state)
}

/// Liveness.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// Always `ok`.
    #[schema(pattern = "^ok$")]
    pub status: &'static str,
}

/// Liveness: {"status": "ok"}.
#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "Alive", body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// Serves `app` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
}
