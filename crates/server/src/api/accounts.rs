//! Accounts, the overview's headline figures, and reports in every format of `sustain report`.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;
use sustain_core::hardware::AcceleratorCatalog;
use sustain_ledger::Role;
use sustain_report::scenario::Context;
use sustain_report::{Accounts, Format, Report, Scope};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Viewer;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiQuery;
use crate::openapi::ReportJson;
use crate::overview::Overview;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(overview))
        .routes(routes!(accounts))
        .routes(routes!(report))
}

/// The company's accounts of this month (cached while the ledger does not change).
pub(crate) async fn this_month(state: &AppState) -> ApiResult<std::sync::Arc<Accounts>> {
    let period = super::this_month()?;
    let st = state.clone();
    state
        .ledger(move |l| st.cache().accounts(l, &period, &Scope::Company))
        .await
}

/// Headline figures of this month against the previous month (company).
#[utoipa::path(
    get,
    path = "/api/v1/overview",
    extensions(("x-role" = json!(Role::Viewer))),
    responses((status = 200, description = "This month and the previous one", body = Overview))
)]
async fn overview(_auth: Viewer, State(state): State<AppState>) -> ApiResult<Json<Overview>> {
    Ok(Json((*overview_now(&state).await?).clone()))
}

/// This month's overview (cached while the ledger does not change).
pub(crate) async fn overview_now(state: &AppState) -> ApiResult<std::sync::Arc<Overview>> {
    let month = crate::overview::this_month()?;
    let st = state.clone();
    state.ledger(move |l| st.cache().overview(l, &month)).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct AccountsQuery {
    /// 2026, 2026-Q3, 2026-09, 2026-09-14 or 2026-07-01..2026-09-30 (default: this month, UTC)
    period: Option<String>,
    /// company (default), product:NAME, model:NAME, team:NAME, site:ID, kind:KIND or tag:KEY=VALUE
    scope: Option<String>,
}

/// The accounts of a period and scope (the JSON of `sustain report --format json`, without targets).
#[utoipa::path(
    get,
    path = "/api/v1/accounts",
    params(AccountsQuery),
    extensions(("x-role" = json!(Role::Viewer))),
    responses(
        (status = 200, description = "The accounts", body = Accounts),
        (status = 400, description = "An invalid period or scope", body = ErrorBody),
    )
)]
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

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ReportQuery {
    /// 2026, 2026-Q3, 2026-09, 2026-09-14 or 2026-07-01..2026-09-30 (default: this month, UTC)
    period: Option<String>,
    /// company (default), product:NAME, model:NAME, team:NAME, site:ID, kind:KIND or tag:KEY=VALUE
    scope: Option<String>,
    /// json (default), md, csv or html
    #[param(pattern = "^(json|md|markdown|csv|html)$")]
    format: Option<String>,
}

/// A report as `sustain report` writes it: the same assembly (`Report`), so the same bytes
/// for the same ledger, period and scope; the accounts come from the cache.
#[utoipa::path(
    get,
    path = "/api/v1/reports",
    params(ReportQuery),
    extensions(("x-role" = json!(Role::Viewer))),
    responses(
        (status = 200, description = "The report in the format asked for",
            content(
                (ReportJson = "application/json"),
                (String = "text/markdown; charset=utf-8"),
                (String = "text/csv; charset=utf-8"),
                (String = "text/html; charset=utf-8"),
            )
        ),
        (status = 400, description = "An invalid period, scope or format", body = ErrorBody),
    )
)]
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
