//! Products, usage, cost lines and targets: read with a viewer token, added with an editor
//! token through the ledger's `Business` methods (audited with the token's name).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sustain_core::CoreError;
use sustain_core::business::{CostLine, Goal, Product, Target, Usage, UsageInput};
use sustain_ledger::{Business, Role, SqliteLedger, UsageTotal};
use sustain_report::targets::{self, Progress};
use sustain_report::{Period, Scope};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::{OneOfBuilder, RefOr};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Editor, Viewer};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(products, add_product))
        .routes(routes!(usage, add_usage))
        .routes(routes!(costs, add_cost))
        .routes(routes!(list_targets, add_target))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct PeriodQuery {
    /// 2026, 2026-Q3, 2026-09, 2026-09-14 or 2026-07-01..2026-09-30 (default: this month, UTC)
    pub period: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct TargetsQuery {
    /// judge every target on this period (default: the period of its baseline's kind that contains today)
    period: Option<String>,
}

/// A day of a request (`YYYY-MM-DD`), or today: the CLI's rule (`sustain_core::time`).
fn day(field: &str, given: Option<&str>) -> ApiResult<NaiveDate> {
    Ok(sustain_core::time::day_or_today(field, given).map_err(|e| e.at(field))?)
}

/// The current products.
#[utoipa::path(
    get,
    path = "/api/v1/products",
    extensions(("x-role" = json!(Role::Viewer))),
    responses((status = 200, description = "The products", body = Vec<Product>))
)]
async fn products(_auth: Viewer, State(state): State<AppState>) -> ApiResult<Json<Vec<Product>>> {
    Ok(Json(state.ledger(|l| Ok(l.products()?)).await?))
}

/// A product to add.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewProduct {
    /// Name, also the value of the runs' `product` tag.
    name: String,
    /// Its functional unit (`request`, `1k tokens`, ...).
    #[serde(default = "request")]
    #[schema(default = "request")]
    unit: String,
    /// Price per 1,000 requests, if requests are billed.
    price_per_1k_requests: Option<f64>,
    /// Price per 1,000,000 tokens, if tokens are billed.
    price_per_1m_tokens: Option<f64>,
    /// Currency of the prices (needed with a price).
    currency: Option<String>,
    /// Free text.
    #[serde(default)]
    description: String,
}

fn request() -> String {
    "request".into()
}

/// Adds a product, or supersedes one of the same name.
#[utoipa::path(
    post,
    path = "/api/v1/products",
    request_body = NewProduct,
    extensions(("x-role" = json!(Role::Editor))),
    responses(
        (status = 201, description = "Recorded", body = Product),
        (status = 400, description = "A field is invalid", body = ErrorBody),
        (status = 422, description = "Refused by the ledger's rules", body = ErrorBody),
    )
)]
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

/// The usage of a period.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct UsageList {
    /// The period, as given.
    period: String,
    /// Usage per product and currency.
    usage: Vec<UsageTotal>,
}

/// Usage per product of a period.
#[utoipa::path(
    get,
    path = "/api/v1/usage",
    params(PeriodQuery),
    extensions(("x-role" = json!(Role::Viewer))),
    responses(
        (status = 200, description = "The usage", body = UsageList),
        (status = 400, description = "An invalid period", body = ErrorBody),
    )
)]
async fn usage(
    _auth: Viewer,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<Json<UsageList>> {
    let period = super::period(q.period.as_deref())?;
    let (from, to) = (period.from, period.to);
    let totals = state.ledger(move |l| Ok(l.usage_totals(from, to)?)).await?;
    Ok(Json(UsageList {
        period: period.label,
        usage: totals,
    }))
}

/// A day's usage of a product.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewUsage {
    /// The product (added before).
    product: String,
    /// The day, default: today (UTC).
    #[schema(format = Date)]
    day: Option<String>,
    /// Requests served.
    #[serde(default)]
    requests: u64,
    /// Tokens served.
    #[serde(default)]
    tokens: u64,
    /// Revenue; default: from the product's prices.
    revenue: Option<f64>,
    /// Currency of the revenue (only with revenue).
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

/// Records a day's usage of a product; revenue from the product's prices unless given.
#[utoipa::path(
    post,
    path = "/api/v1/usage",
    request_body = NewUsage,
    extensions(("x-role" = json!(Role::Editor))),
    responses(
        (status = 201, description = "Recorded", body = Usage),
        (status = 400, description = "A field is invalid", body = ErrorBody),
        (status = 422, description = "An unknown product", body = ErrorBody),
    )
)]
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

/// The cost lines of a period.
// Fields in alphabetical order: the order of the keys this answer has always had.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct CostList {
    /// The cost lines.
    cost_lines: Vec<CostLine>,
    /// The period, as given.
    period: String,
}

/// Cost lines of a period.
#[utoipa::path(
    get,
    path = "/api/v1/costs",
    params(PeriodQuery),
    extensions(("x-role" = json!(Role::Viewer))),
    responses(
        (status = 200, description = "The cost lines", body = CostList),
        (status = 400, description = "An invalid period", body = ErrorBody),
    )
)]
async fn costs(
    _auth: Viewer,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<Json<CostList>> {
    let period = super::period(q.period.as_deref())?;
    let (from, to) = (period.from, period.to);
    let lines = state.ledger(move |l| Ok(l.cost_lines(from, to)?)).await?;
    Ok(Json(CostList {
        cost_lines: lines,
        period: period.label,
    }))
}

/// A cost line to record.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewCost {
    /// Amount, >= 0.
    amount: f64,
    /// Currency (ISO 4217).
    currency: String,
    /// Category, such as `storage` or `staff`.
    category: String,
    /// `company`, or `product:NAME`, `team:NAME`, `model:NAME`, `site:ID`.
    #[serde(default = "company")]
    #[schema(default = "company")]
    scope: String,
    /// The day it is booked on, default: today (UTC).
    #[schema(format = Date)]
    day: Option<String>,
    /// Free text.
    #[serde(default)]
    description: String,
}

fn company() -> String {
    "company".into()
}

/// Records a cost line.
#[utoipa::path(
    post,
    path = "/api/v1/costs",
    request_body = NewCost,
    extensions(("x-role" = json!(Role::Editor))),
    responses(
        (status = 201, description = "Recorded", body = CostLine),
        (status = 400, description = "A field is invalid", body = ErrorBody),
        (status = 422, description = "Refused by the ledger's rules", body = ErrorBody),
    )
)]
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
    Ok(targets::all(l, period, Utc::now().date_naive())?)
}

/// Targets with their progress and verdict.
#[utoipa::path(
    get,
    path = "/api/v1/targets",
    params(TargetsQuery),
    extensions(("x-role" = json!(Role::Viewer))),
    responses(
        (status = 200, description = "Each target's progress", body = Vec<Progress>),
        (status = 400, description = "An invalid period", body = ErrorBody),
    )
)]
async fn list_targets(
    _auth: Viewer,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<TargetsQuery>,
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

/// A target to add.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewTarget {
    /// Name (adding it again supersedes).
    name: String,
    /// The account metric (`co2e_location_g`, `co2e_g_per_1k_requests`, ...).
    metric: String,
    /// The scope (`company`, `product:chat`, ...).
    #[serde(default = "company")]
    #[schema(default = "company")]
    scope: String,
    /// The baseline period (`2026-Q1`).
    baseline: String,
    /// `-30%` or a value.
    #[schema(schema_with = goal_schema)]
    goal: Value,
    /// The deadline.
    #[schema(format = Date)]
    by: String,
}

/// A goal is a string (`-30%`) or a number (a value).
fn goal_schema() -> impl Into<RefOr<Schema>> {
    OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::String))
        .item(ObjectBuilder::new().schema_type(Type::Number))
        .description(Some("-30% or a value"))
}

/// Adds a target, or supersedes one of the same name.
#[utoipa::path(
    post,
    path = "/api/v1/targets",
    request_body = NewTarget,
    extensions(("x-role" = json!(Role::Editor))),
    responses(
        (status = 201, description = "Recorded", body = Target),
        (status = 400, description = "A field is invalid", body = ErrorBody),
        (status = 422, description = "An unknown product in the scope, or refused by the ledger's rules", body = ErrorBody),
    )
)]
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
