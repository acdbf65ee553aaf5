//! Accounts, the overview's headline figures, and reports in every format of `sustain report`.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;
use sustain_core::hardware::AcceleratorCatalog;
use sustain_report::scenario::Context;
use sustain_report::{Accounts, Format, Report, Scope};

use crate::auth::Viewer;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiQuery;
use crate::overview::Overview;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/overview", get(overview))
        .route("/api/v1/accounts", get(accounts))
        .route("/api/v1/reports", get(report))
}

/// The company's accounts of this month (cached while the ledger does not change).
pub(crate) async fn this_month(state: &AppState) -> ApiResult<std::sync::Arc<Accounts>> {
    let period = super::this_month()?;
    let st = state.clone();
    state
        .ledger(move |l| st.cache().accounts(l, &period, &Scope::Company))
        .await
}

async fn overview(_auth: Viewer, State(state): State<AppState>) -> ApiResult<Json<Overview>> {
    Ok(Json((*overview_now(&state).await?).clone()))
}

/// This month's overview (cached while the ledger does not change).
pub(crate) async fn overview_now(state: &AppState) -> ApiResult<std::sync::Arc<Overview>> {
    let month = crate::overview::this_month()?;
    let st = state.clone();
    state.ledger(move |l| st.cache().overview(l, &month)).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountsQuery {
    period: Option<String>,
    scope: Option<String>,
}

async fn accounts(
    _auth: Viewer,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<AccountsQuery>,
) -> ApiResult<Json<Value>> {
    let period = super::period(q.period.as_deref())?;
    let scope = super::scope(q.scope.as_deref())?;
    let st = state.clone();
    let a = state
        .ledger(move |l| st.cache().accounts(l, &period, &scope))
        .await?;
    Ok(Json(
        serde_json::to_value(&*a).map_err(|e| ApiError::internal(&e))?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportQuery {
    period: Option<String>,
    scope: Option<String>,
    format: Option<String>,
}

/// A report as `sustain report` writes it: the same assembly (`Report`), so the same bytes
/// for the same ledger, period and scope; the accounts come from the cache.
async fn report(
    _auth: Viewer,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Response> {
    let period = super::period(q.period.as_deref())?;
    let scope = super::scope(q.scope.as_deref())?;
    let format = Format::parse(q.format.as_deref().unwrap_or("json"))?;
    let st = state.clone();
    let text = state
        .ledger(move |l| {
            let a = st.cache().accounts(l, &period, &scope)?;
            let accelerators = AcceleratorCatalog::bundled()?;
            let ctx = Context {
                sites: st.sites(),
                accelerators: &accelerators,
                file: None,
            };
            Ok(Report::with_accounts(l, (*a).clone(), &ctx)?.render(format))
        })
        .await?;
    Ok(([(header::CONTENT_TYPE, format.content_type())], text).into_response())
}
