//! Social indicators, the weights of the social index, and scenarios: read with a viewer token,
//! added with an editor token (audited with the token's name). A saved scenario runs over any
//! period and scope with `GET /api/v1/scenarios/{name}`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sustain_core::business::{Direction, IndexWeight, Indicator, SavedScenario};
use sustain_core::hardware::AcceleratorCatalog;
use sustain_ledger::{Business, Role};
use sustain_report::scenario::{self, Context, ScenarioFile};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Editor, Viewer};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;

use super::business::PeriodQuery;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(indicators, add_indicator))
        .routes(routes!(weights, set_weight))
        .routes(routes!(scenarios, save_scenario))
        .routes(routes!(run_scenario))
}

/// The indicators of a period.
// Fields in alphabetical order: the order of the keys this answer has always had.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct IndicatorList {
    /// The amounts entered, each on its day.
    indicators: Vec<Indicator>,
    /// The period, as given.
    period: String,
}

/// Social indicators entered on days of a period.
#[utoipa::path(
    get,
    path = "/api/v1/indicators",
    params(PeriodQuery),
    extensions(("x-role" = json!(Role::Viewer))),
    responses(
        (status = 200, description = "The indicators", body = IndicatorList),
        (status = 400, description = "An invalid period", body = ErrorBody),
    )
)]
async fn indicators(
    _auth: Viewer,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<Json<IndicatorList>> {
    let period = super::period(q.period.as_deref())?;
    let (from, to) = (period.from, period.to);
    let rows = state.ledger(move |l| Ok(l.indicators(from, to)?)).await?;
    Ok(Json(IndicatorList {
        indicators: rows,
        period: period.label,
    }))
}

/// An amount of a social indicator to record.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewIndicator {
    /// The indicator (`training_hours`, ...; not `fairness.*`, which Sustain computes).
    name: String,
    /// The amount.
    value: f64,
    /// Its unit (`h`, `USD`, `people`).
    unit: String,
    /// `company`, `product:NAME`, `team:NAME`, `site:ID` or `model:NAME`.
    #[serde(default = "company")]
    #[schema(default = "company")]
    scope: String,
    /// The day, default: today (UTC).
    #[schema(format = Date)]
    day: Option<String>,
    /// Free text.
    #[serde(default)]
    description: String,
}

fn company() -> String {
    "company".into()
}

/// Records an amount of a social indicator (training hours, education investment, ...).
#[utoipa::path(
    post,
    path = "/api/v1/indicators",
    request_body = NewIndicator,
    extensions(("x-role" = json!(Role::Editor))),
    responses(
        (status = 201, description = "Recorded", body = Indicator),
        (status = 400, description = "A field is invalid", body = ErrorBody),
        (status = 422, description = "Refused by the ledger's rules", body = ErrorBody),
    )
)]
async fn add_indicator(
    auth: Editor,
    State(state): State<AppState>,
    ApiJson(i): ApiJson<NewIndicator>,
) -> ApiResult<(StatusCode, Json<Indicator>)> {
    let day = sustain_core::time::day_or_today("day", i.day.as_deref()).map_err(|e| e.at("day"))?;
    let i = Indicator::new(i.name, day, i.scope, i.value, i.unit, i.description)?;
    let actor = auth.caller.actor();
    let stored = i.clone();
    state
        .ledger(move |l| Ok(l.add_indicator(&stored, &actor)?))
        .await?;
    Ok((StatusCode::CREATED, Json(i)))
}

/// The weights of the social index (latest per indicator).
#[utoipa::path(
    get,
    path = "/api/v1/index-weights",
    extensions(("x-role" = json!(Role::Viewer))),
    responses((status = 200, description = "The weights", body = Vec<IndexWeight>))
)]
async fn weights(
    _auth: Viewer,
    State(state): State<AppState>,
) -> ApiResult<Json<Vec<IndexWeight>>> {
    Ok(Json(state.ledger(|l| Ok(l.index_weights()?)).await?))
}

/// An indicator's place in the social index.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewWeight {
    /// The indicator.
    indicator: String,
    /// Its weight, >= 0.
    #[schema(minimum = 0)]
    weight: f64,
    /// Whether more or less of it is better.
    #[schema(value_type = Direction)]
    direction: String,
    /// The amount that scores 100, > 0.
    #[schema(exclusive_minimum = 0)]
    reference: f64,
}

/// Sets an indicator's weight, direction and reference in the social index.
#[utoipa::path(
    post,
    path = "/api/v1/index-weights",
    request_body = NewWeight,
    extensions(("x-role" = json!(Role::Editor))),
    responses(
        (status = 201, description = "Recorded", body = IndexWeight),
        (status = 400, description = "A field is invalid", body = ErrorBody),
        (status = 422, description = "Refused by the ledger's rules", body = ErrorBody),
    )
)]
async fn set_weight(
    auth: Editor,
    State(state): State<AppState>,
    ApiJson(w): ApiJson<NewWeight>,
) -> ApiResult<(StatusCode, Json<IndexWeight>)> {
    let w = IndexWeight::new(w.indicator, w.weight, &w.direction, w.reference)?;
    let actor = auth.caller.actor();
    let stored = w.clone();
    state
        .ledger(move |l| Ok(l.set_index_weight(&stored, &actor)?))
        .await?;
    Ok((StatusCode::CREATED, Json(w)))
}

/// The saved scenarios.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ScenarioList {
    /// Each saved scenario, latest version.
    scenarios: Vec<ScenarioEntry>,
}

/// A saved scenario.
// Fields in alphabetical order: the order of the keys this answer has always had.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ScenarioEntry {
    /// Its levers, in words (empty when its TOML no longer parses).
    levers: Vec<String>,
    /// Its name.
    name: String,
    /// When it was saved.
    recorded_at: DateTime<Utc>,
    /// Its TOML, as saved.
    toml: String,
}

/// The saved scenarios with their levers and TOML.
#[utoipa::path(
    get,
    path = "/api/v1/scenarios",
    extensions(("x-role" = json!(Role::Viewer))),
    responses((status = 200, description = "The scenarios", body = ScenarioList))
)]
async fn scenarios(_auth: Viewer, State(state): State<AppState>) -> ApiResult<Json<ScenarioList>> {
    let saved = state.ledger(|l| Ok(l.scenarios()?)).await?;
    let scenarios = saved
        .into_iter()
        .map(|s| ScenarioEntry {
            levers: ScenarioFile::parse(&s.body)
                .map(|f| f.levers.iter().map(|l| l.label()).collect())
                .unwrap_or_default(),
            name: s.name,
            recorded_at: s.recorded_at,
            toml: s.body,
        })
        .collect();
    Ok(Json(ScenarioList { scenarios }))
}

/// A scenario to check and save.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewScenario {
    /// The scenario file's TOML, as `sustain scenario run` reads it (docs/methods/scenarios.md).
    toml: String,
}

/// A saved scenario.
// Fields in alphabetical order: the order of the keys this answer has always had.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct SavedScenarioAnswer {
    /// Its number of levers.
    levers: usize,
    /// Its name, from the TOML.
    name: String,
    /// When it was saved.
    recorded_at: DateTime<Utc>,
}

/// Checks and saves a scenario (its TOML, as `sustain scenario run` reads it) under its name.
#[utoipa::path(
    post,
    path = "/api/v1/scenarios",
    request_body = NewScenario,
    extensions(("x-role" = json!(Role::Editor))),
    responses(
        (status = 201, description = "Saved", body = SavedScenarioAnswer),
        (status = 400, description = "The TOML is not a valid scenario", body = ErrorBody),
        (status = 422, description = "Refused by the ledger's rules", body = ErrorBody),
    )
)]
async fn save_scenario(
    auth: Editor,
    State(state): State<AppState>,
    ApiJson(s): ApiJson<NewScenario>,
) -> ApiResult<(StatusCode, Json<SavedScenarioAnswer>)> {
    let file = ScenarioFile::parse(&s.toml)?;
    let saved = SavedScenario {
        name: file.name.clone(),
        body: s.toml,
        recorded_at: Utc::now(),
    };
    let actor = auth.caller.actor();
    let stored = saved.clone();
    state
        .ledger(move |l| Ok(l.save_scenario(&stored, &actor)?))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(SavedScenarioAnswer {
            levers: file.levers.len(),
            name: saved.name,
            recorded_at: saved.recorded_at,
        }),
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct RunQuery {
    /// 2026, 2026-Q3, 2026-09, 2026-09-14 or 2026-07-01..2026-09-30 (default: this month, UTC)
    period: Option<String>,
    /// company (default), product:NAME, model:NAME, team:NAME, site:ID, kind:KIND or tag:KEY=VALUE
    scope: Option<String>,
}

/// Runs the saved scenario named {id} over a period and scope: actual and scenario figures, and each lever's effect.
#[utoipa::path(
    get,
    path = "/api/v1/scenarios/{id}",
    params(("id" = String, Path, description = "the saved scenario's name"), RunQuery),
    extensions(("x-role" = json!(Role::Viewer))),
    responses(
        (status = 200, description = "The scenario's figures against the actual ones", body = scenario::ScenarioResult),
        (status = 400, description = "An invalid period or scope", body = ErrorBody),
        (status = 404, description = "No saved scenario of that name", body = ErrorBody),
        (status = 422, description = "The saved scenario cannot be run", body = ErrorBody),
    )
)]
async fn run_scenario(
    _auth: Viewer,
    State(state): State<AppState>,
    Path(name): Path<String>,
    ApiQuery(q): ApiQuery<RunQuery>,
) -> ApiResult<Json<scenario::ScenarioResult>> {
    let period = super::period(q.period.as_deref())?;
    let scope = super::scope(q.scope.as_deref())?;
    let sites = state.sites().clone();
    let r = state
        .ledger(move |l| {
            let saved = l.scenarios()?;
            let Some(s) = saved.into_iter().find(|s| s.name == name) else {
                return Err(ApiError::NotFound(format!(
                    "no saved scenario '{name}'; GET /api/v1/scenarios lists them"
                )));
            };
            let file = ScenarioFile::parse(&s.body)?;
            let accelerators = AcceleratorCatalog::bundled()?;
            let ctx = Context {
                sites: &sites,
                accelerators: &accelerators,
                file: None,
            };
            Ok(scenario::run(l, &file, &period, &scope, &ctx)?)
        })
        .await?;
    Ok(Json(r))
}
