//! Runs: list, one run, its samples, and pushing a finished run (`sustain run --remote`).

use axum::Json;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sustain_core::run::RunStatus;
use sustain_core::run_json::RunJson;
use sustain_ledger::{Ledger, Role, RunFilter};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::auth::{Editor, Viewer};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;
use crate::wire::{RunUpload, WireSample};

/// Pushed runs may be large (many samples).
const PUSH_LIMIT: usize = 64 * 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, push).layer(DefaultBodyLimit::max(PUSH_LIMIT)))
        .routes(routes!(show))
        .routes(routes!(samples))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// 1 to 1000 (default 50)
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
    /// a date or RFC 3339 time
    since: Option<String>,
    /// running, succeeded, failed, killed, failed_to_start or incomplete
    #[param(value_type = Option<RunStatus>)]
    status: Option<String>,
}

/// Runs, newest first, in the stable run JSON (docs/reference/run-json.md).
#[utoipa::path(
    get,
    path = "/api/v1/runs",
    params(ListQuery),
    extensions(("x-role" = json!(Role::Viewer))),
    responses(
        (status = 200, description = "The runs, newest first", body = Vec<RunJson>),
        (status = 400, description = "An invalid limit, since or status", body = ErrorBody),
    )
)]
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
        Some(s) => Some(sustain_core::time::parse_since(s).map_err(|e| e.at("since"))?),
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

/// One run, by id or unique prefix.
#[utoipa::path(
    get,
    path = "/api/v1/runs/{id}",
    params(("id" = String, Path, description = "run id or unique prefix")),
    extensions(("x-role" = json!(Role::Viewer))),
    responses(
        (status = 200, description = "The run", body = RunJson),
        (status = 400, description = "The prefix matches several runs", body = ErrorBody),
        (status = 404, description = "No such run", body = ErrorBody),
    )
)]
async fn show(
    _auth: Viewer,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let run = state.ledger(move |l| Ok(l.run(&id)?)).await?;
    Ok(Json(run.to_json()))
}

/// The samples of a run.
#[utoipa::path(
    get,
    path = "/api/v1/runs/{id}/samples",
    params(("id" = String, Path, description = "run id or unique prefix")),
    extensions(("x-role" = json!(Role::Viewer))),
    responses(
        (status = 200, description = "The samples, in order", body = Vec<WireSample>),
        (status = 400, description = "The prefix matches several runs", body = ErrorBody),
        (status = 404, description = "No such run", body = ErrorBody),
    )
)]
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

/// The answer to a pushed run.
// Fields in alphabetical order: the order of the keys this answer has always had.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct PushedRun {
    /// The run's id.
    id: String,
    /// The run as recorded, with the impacts the server computed.
    #[schema(value_type = RunJson)]
    run: Value,
}

/// Records a finished run (start, samples, end), as `sustain run --remote` pushes it; impacts are computed by the server.
#[utoipa::path(
    post,
    path = "/api/v1/runs",
    request_body = RunUpload,
    extensions(("x-role" = json!(Role::Editor))),
    responses(
        (status = 201, description = "Recorded", body = PushedRun),
        (status = 400, description = "A field is invalid (named in `field`)", body = ErrorBody),
        (status = 409, description = "The run is already recorded", body = ErrorBody),
        (status = 422, description = "Refused by the ledger's rules", body = ErrorBody),
    )
)]
async fn push(
    auth: Editor,
    State(state): State<AppState>,
    ApiJson(upload): ApiJson<RunUpload>,
) -> ApiResult<(StatusCode, Json<PushedRun>)> {
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
        Json(PushedRun {
            id: view.start.id.clone(),
            run: view.to_json(),
        }),
    ))
}
