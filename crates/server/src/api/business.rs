//! Products, usage, cost lines and targets: read with a viewer token, added with an editor
//! token through the ledger's `Business` methods (audited with the token's name).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use sustain_core::CoreError;
use sustain_core::business::{CostLine, Goal, Product, Target, Usage, UsageInput};
use sustain_ledger::{Business, SqliteLedger};
use sustain_report::targets::{self, Progress};
use sustain_report::{Period, Scope};

use crate::auth::{Editor, Viewer};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/products", get(products).post(add_product))
        .route("/api/v1/usage", get(usage).post(add_usage))
        .route("/api/v1/costs", get(costs).post(add_cost))
        .route("/api/v1/targets", get(list_targets).post(add_target))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PeriodQuery {
    pub period: Option<String>,
}

fn day(field: &str, given: Option<&str>) -> ApiResult<NaiveDate> {
    match given {
        None => Ok(Utc::now().date_naive()),
        Some(s) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
            ApiError::field(
                field,
                format!("invalid {field} {s:?}: expected a date such as 2026-07-10"),
            )
        }),
    }
}

async fn products(_auth: Viewer, State(state): State<AppState>) -> ApiResult<Json<Vec<Product>>> {
    Ok(Json(state.ledger(|l| Ok(l.products()?)).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewProduct {
    name: String,
    #[serde(default = "request")]
    unit: String,
    price_per_1k_requests: Option<f64>,
    price_per_1m_tokens: Option<f64>,
    currency: Option<String>,
    #[serde(default)]
    description: String,
}

fn request() -> String {
    "request".into()
}

async fn add_product(
    auth: Editor,
    State(state): State<AppState>,
    ApiJson(p): ApiJson<NewProduct>,
) -> ApiResult<(StatusCode, Json<Product>)> {
    let p = Product::new(
        p.name,
        p.unit,
        p.price_per_1k_requests,
        p.price_per_1m_tokens,
        p.currency,
        p.description,
    )?;
    let actor = auth.caller.actor();
    let stored = p.clone();
    state
        .ledger(move |l| Ok(l.add_product(&stored, &actor)?))
        .await?;
    Ok((StatusCode::CREATED, Json(p)))
}

async fn usage(
    _auth: Viewer,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<Json<Value>> {
    let period = super::period(q.period.as_deref())?;
    let (from, to) = (period.from, period.to);
    let totals = state.ledger(move |l| Ok(l.usage_totals(from, to)?)).await?;
    Ok(Json(json!({"period": period.label, "usage": totals})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUsage {
    product: String,
    day: Option<String>,
    #[serde(default)]
    requests: u64,
    #[serde(default)]
    tokens: u64,
    revenue: Option<f64>,
    currency: Option<String>,
}

/// A usage row, made by the one rule every entry point uses (`Usage::from_input`).
fn usage_row(l: &SqliteLedger, u: NewUsage, day: NaiveDate) -> ApiResult<Usage> {
    let input = UsageInput {
        product: u.product,
        day,
        requests: u.requests,
        tokens: u.tokens,
        revenue: u.revenue,
        currency: u.currency,
        source: "api".into(),
    };
    Usage::from_input(&l.products()?, input).map_err(|e| match e {
        CoreError::UnknownProduct { .. } => {
            ApiError::Unprocessable(format!("{e}: add it first (POST /api/v1/products)"))
        }
        other => other.into(),
    })
}

async fn add_usage(
    auth: Editor,
    State(state): State<AppState>,
    ApiJson(u): ApiJson<NewUsage>,
) -> ApiResult<(StatusCode, Json<Usage>)> {
    let day = day("day", u.day.as_deref())?;
    let actor = auth.caller.actor();
    let row = state
        .ledger(move |l| {
            let row = usage_row(l, u, day)?;
            l.add_usage(std::slice::from_ref(&row), &actor, "usage.add")?;
            Ok(row)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(row)))
}

async fn costs(
    _auth: Viewer,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<Json<Value>> {
    let period = super::period(q.period.as_deref())?;
    let (from, to) = (period.from, period.to);
    let lines = state.ledger(move |l| Ok(l.cost_lines(from, to)?)).await?;
    Ok(Json(json!({"period": period.label, "cost_lines": lines})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewCost {
    amount: f64,
    currency: String,
    category: String,
    #[serde(default = "company")]
    scope: String,
    day: Option<String>,
    #[serde(default)]
    description: String,
}

fn company() -> String {
    "company".into()
}

async fn add_cost(
    auth: Editor,
    State(state): State<AppState>,
    ApiJson(c): ApiJson<NewCost>,
) -> ApiResult<(StatusCode, Json<CostLine>)> {
    let line = CostLine::new(
        day("day", c.day.as_deref())?,
        c.scope,
        c.category,
        c.amount,
        &c.currency,
        c.description,
    )?;
    let actor = auth.caller.actor();
    let stored = line.clone();
    state
        .ledger(move |l| Ok(l.add_cost_line(&stored, &actor)?))
        .await?;
    Ok((StatusCode::CREATED, Json(line)))
}

/// The progress of every target, each judged on `period` or, without one, on the period of its
/// baseline's kind that contains today (as `sustain target list`).
pub(crate) fn progress(l: &SqliteLedger, period: Option<&Period>) -> ApiResult<Vec<Progress>> {
    let today = Utc::now().date_naive();
    l.targets()?
        .iter()
        .map(|t| {
            let p = match period {
                Some(p) => p.clone(),
                None => Period::parse(&t.baseline)?.like_containing(today),
            };
            Ok(targets::progress(l, t, &p)?)
        })
        .collect()
}

async fn list_targets(
    _auth: Viewer,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<Json<Vec<Progress>>> {
    let period = q
        .period
        .as_deref()
        .filter(|p| !p.trim().is_empty())
        .map(Period::parse)
        .transpose()?;
    Ok(Json(
        state.ledger(move |l| progress(l, period.as_ref())).await?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTarget {
    name: String,
    metric: String,
    #[serde(default = "company")]
    scope: String,
    baseline: String,
    /// `-30%` or a value.
    goal: Value,
    by: String,
}

async fn add_target(
    auth: Editor,
    State(state): State<AppState>,
    ApiJson(t): ApiJson<NewTarget>,
) -> ApiResult<(StatusCode, Json<Target>)> {
    let goal = match &t.goal {
        Value::String(s) => Goal::parse(s)?,
        Value::Number(n) => Goal::parse(&n.to_string())?,
        other => {
            return Err(ApiError::field(
                "goal",
                format!("invalid goal {other}: a change such as \"-30%\" or a value such as 1200"),
            ));
        }
    };
    let target = Target {
        name: t.name,
        metric: t.metric,
        scope: t.scope,
        baseline: t.baseline,
        goal,
        by: day("by", Some(&t.by))?,
        recorded_at: Utc::now(),
    };
    targets::check(&target)?;
    if let Scope::Product(p) = Scope::parse(&target.scope)? {
        let known = state.ledger(|l| Ok(l.products()?)).await?;
        if !known.iter().any(|k| k.name == p) {
            return Err(ApiError::Unprocessable(format!(
                "unknown product '{p}' in scope {}: add it first (POST /api/v1/products)",
                target.scope
            )));
        }
    }
    let actor = auth.caller.actor();
    let stored = target.clone();
    state
        .ledger(move |l| Ok(l.add_target(&stored, &actor)?))
        .await?;
    Ok((StatusCode::CREATED, Json(target)))
}
