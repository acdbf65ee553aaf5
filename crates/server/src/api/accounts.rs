//! Accounts, the overview's headline figures, and reports in every format of `sustain report`.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sustain_report::accounts::Headline;
use sustain_report::render::{Format, render};
use sustain_report::{Accounts, Scope};

use crate::auth::Viewer;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiQuery;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/overview", get(overview))
        .route("/api/v1/accounts", get(accounts))
        .route("/api/v1/reports", get(report))
}

/// This month against the previous one, for the whole company.
#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    /// This month's headline figures.
    pub headline: Headline,
    /// The previous month's.
    pub previous: Headline,
    /// Change of each figure in percent (none when the previous month had none of it).
    pub change_pct: Change,
    /// Whether this month holds any runs, usage or cost lines.
    pub has_data: bool,
}

/// Changes in percent.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// Runs.
    pub runs: Option<f64>,
    /// Facility energy.
    pub energy_wh: Option<f64>,
    /// Location-based carbon.
    pub co2e_location_g: Option<f64>,
    /// Water.
    pub water_l: Option<f64>,
    /// Requests.
    pub requests: Option<f64>,
}

fn pct(now: f64, before: f64) -> Option<f64> {
    (before != 0.0).then(|| 100.0 * (now - before) / before)
}

impl Overview {
    /// From this month's accounts.
    pub fn of(a: &Accounts) -> Self {
        let (h, p) = (&a.headline, &a.previous);
        Overview {
            change_pct: Change {
                runs: pct(h.runs as f64, p.runs as f64),
                energy_wh: pct(h.energy_wh, p.energy_wh),
                co2e_location_g: pct(h.co2e_location_g, p.co2e_location_g),
                water_l: pct(h.water_l, p.water_l),
                requests: pct(h.requests as f64, p.requests as f64),
            },
            headline: h.clone(),
            previous: p.clone(),
            has_data: a.has_data,
        }
    }
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
    let a = this_month(&state).await?;
    Ok(Json(Overview::of(&a)))
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
