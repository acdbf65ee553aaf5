//! Runs: list, one run, its samples, and pushing a finished run (`sustain run --remote`).

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use sustain_core::run::RunStatus;
use sustain_ledger::{Ledger, RunFilter};

use crate::auth::{Editor, Viewer};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;
use crate::wire::{RunUpload, WireSample};

/// Pushed runs may be large (many samples).
const PUSH_LIMIT: usize = 64 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/runs",
            get(list)
                .post(push)
                .layer(DefaultBodyLimit::max(PUSH_LIMIT)),
        )
        .route("/api/v1/runs/{id}", get(show))
        .route("/api/v1/runs/{id}/samples", get(samples))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    limit: Option<usize>,
    since: Option<String>,
    status: Option<String>,
}

/// Newest first.
async fn list(
    _auth: Viewer,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Value>> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::field(
            "limit",
            "limit: a number of runs from 1 to 1000",
        ));
    }
    let since = match q.since.as_deref() {
        Some(s) => Some(
            chrono::DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&chrono::Utc))
                .or_else(|_| {
                    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                        .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
                })
                .map_err(|_| {
                    ApiError::field(
                        "since",
                        format!(
                            "invalid since {s:?}: expected a date (2026-07-01) or an RFC 3339 time"
                        ),
                    )
                })?,
        ),
        None => None,
    };
    let status = match q.status.as_deref() {
        Some(s) => Some(
            s.parse::<RunStatus>()
                .map_err(|e| ApiError::field("status", e.to_string()))?,
        ),
        None => None,
    };
    let runs = state
        .ledger(move |l| {
            Ok(l.runs(&RunFilter {
                since,
                status,
                limit: Some(limit),
            })?)
        })
        .await?;
    Ok(Json(Value::Array(
        runs.iter().map(|r| r.to_json()).collect(),
    )))
}

/// One run by id or unique prefix.
async fn show(
    _auth: Viewer,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let run = state.ledger(move |l| Ok(l.run(&id)?)).await?;
    Ok(Json(run.to_json()))
}

/// The samples of a run.
async fn samples(
    _auth: Viewer,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<WireSample>>> {
    let samples = state
        .ledger(move |l| {
            let run = l.run(&id)?;
            Ok(l.samples(&run.start.id)?)
        })
        .await?;
    Ok(Json(samples.iter().map(WireSample::from).collect()))
}

/// Records a finished run pushed by `sustain run --remote`.
async fn push(
    auth: Editor,
    State(state): State<AppState>,
    ApiJson(upload): ApiJson<RunUpload>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let (start, samples, end) = upload.into_records()?;
    let actor = auth.caller.actor();
    let view = state
        .ledger(move |l| {
            // One transaction: of concurrent pushes of one run, one is recorded (201) and the
            // others find its id taken (409); none half-records it.
            l.record_run(&start, &samples, &end)?;
            tracing::info!(run = %start.id, %actor, samples = samples.len(), "run pushed");
            Ok(l.run(&start.id)?)
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": view.start.id, "run": view.to_json()})),
    ))
}
