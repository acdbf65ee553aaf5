//! Social indicators, the weights of the social index, and scenarios: read with a viewer token,
//! added with an editor token (audited with the token's name). A saved scenario runs over any
//! period and scope with `GET /api/v1/scenarios/{name}`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};
use sustain_core::business::{IndexWeight, Indicator, SavedScenario};
use sustain_core::hardware::AcceleratorCatalog;
use sustain_ledger::Business;
use sustain_report::scenario::{self, Context, ScenarioFile};

use crate::auth::{Editor, Viewer};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;

use super::business::PeriodQuery;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/indicators", get(indicators).post(add_indicator))
        .route("/api/v1/index-weights", get(weights).post(set_weight))
        .route("/api/v1/scenarios", get(scenarios).post(save_scenario))
        .route("/api/v1/scenarios/{id}", get(run_scenario))
}

async fn indicators(
    _auth: Viewer,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<Json<Value>> {
    let period = super::period(q.period.as_deref())?;
    let (from, to) = (period.from, period.to);
    let rows = state.ledger(move |l| Ok(l.indicators(from, to)?)).await?;
    Ok(Json(json!({"period": period.label, "indicators": rows})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewIndicator {
    name: String,
    value: f64,
    unit: String,
    #[serde(default = "company")]
    scope: String,
    day: Option<String>,
    #[serde(default)]
    description: String,
}

fn company() -> String {
    "company".into()
}

async fn add_indicator(
    auth: Editor,
    State(state): State<AppState>,
    ApiJson(i): ApiJson<NewIndicator>,
) -> ApiResult<(StatusCode, Json<Indicator>)> {
    let day = match i.day.as_deref() {
        None => Utc::now().date_naive(),
        Some(s) => chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
            ApiError::field(
                "day",
                format!("invalid day {s:?}: expected a date such as 2026-07-10"),
            )
        })?,
    };
    let i = Indicator::new(i.name, day, i.scope, i.value, i.unit, i.description)?;
    let actor = auth.caller.actor();
    let stored = i.clone();
    state
        .ledger(move |l| Ok(l.add_indicator(&stored, &actor)?))
        .await?;
    Ok((StatusCode::CREATED, Json(i)))
}

async fn weights(
    _auth: Viewer,
    State(state): State<AppState>,
) -> ApiResult<Json<Vec<IndexWeight>>> {
    Ok(Json(state.ledger(|l| Ok(l.index_weights()?)).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewWeight {
    indicator: String,
    weight: f64,
    direction: String,
    reference: f64,
}

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

async fn scenarios(_auth: Viewer, State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let saved = state.ledger(|l| Ok(l.scenarios()?)).await?;
    let list: Vec<Value> = saved
        .iter()
        .map(|s| {
            let levers: Vec<String> = ScenarioFile::parse(&s.body)
                .map(|f| f.levers.iter().map(|l| l.label()).collect())
                .unwrap_or_default();
            json!({"name": s.name, "recorded_at": s.recorded_at, "levers": levers, "toml": s.body})
        })
        .collect();
    Ok(Json(json!({"scenarios": list})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewScenario {
    /// The scenario's TOML, as `sustain scenario run` reads it.
    toml: String,
}

async fn save_scenario(
    auth: Editor,
    State(state): State<AppState>,
    ApiJson(s): ApiJson<NewScenario>,
) -> ApiResult<(StatusCode, Json<Value>)> {
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
        Json(
            json!({"name": saved.name, "levers": file.levers.len(), "recorded_at": saved.recorded_at}),
        ),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RunQuery {
    period: Option<String>,
    scope: Option<String>,
}

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
