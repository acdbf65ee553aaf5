//! Accounts, the overview's headline figures, and reports in every format of `sustain report`.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;
use sustain_report::render::{Format, render};
use sustain_report::{Accounts, Scope};

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

/// A report as `sustain report` writes it, with the targets of its scope.
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
            let targets = super::business::progress(l, Some(&period))?
                .into_iter()
                .filter(|p| Scope::parse(&p.target.scope).is_ok_and(|s| s == scope))
                .collect::<Vec<_>>();
            Ok(render(&a, &targets, format))
        })
        .await?;
    let content_type = match format {
        Format::Markdown => "text/markdown; charset=utf-8",
        Format::Json => "application/json",
        Format::Csv => "text/csv; charset=utf-8",
        Format::Html => "text/html; charset=utf-8",
    };
    Ok(([(header::CONTENT_TYPE, content_type)], text).into_response())
}
