//! Models and datasets: what training runs produced and trained on.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use sustain_ledger::{DatasetVersion, ModelVersion, Role, Views};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Viewer;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiQuery;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(models))
        .routes(routes!(datasets))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct Limit {
    /// 1 to 1000 (default 100)
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

/// Model versions that training runs produced, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/models",
    params(Limit),
    extensions(("x-role" = json!(Role::Viewer))),
    responses(
        (status = 200, description = "The model versions", body = Vec<ModelVersion>),
        (status = 400, description = "An invalid limit", body = ErrorBody),
    )
)]
async fn models(
    _auth: Viewer,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<Limit>,
) -> ApiResult<Json<Vec<ModelVersion>>> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::field(
            "limit",
            "limit: a number of models from 1 to 1000",
        ));
    }
    Ok(Json(state.ledger(move |l| Ok(l.models(limit)?)).await?))
}

/// Dataset versions that models were trained on.
#[utoipa::path(
    get,
    path = "/api/v1/datasets",
    extensions(("x-role" = json!(Role::Viewer))),
    responses((status = 200, description = "The dataset versions", body = Vec<DatasetVersion>))
)]
async fn datasets(
    _auth: Viewer,
    State(state): State<AppState>,
) -> ApiResult<Json<Vec<DatasetVersion>>> {
    Ok(Json(state.ledger(|l| Ok(l.datasets()?)).await?))
}
