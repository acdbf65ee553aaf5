//! Models and datasets: what training runs produced and trained on.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use sustain_ledger::{DatasetVersion, ModelVersion, Views};

use crate::auth::Viewer;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiQuery;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/models", get(models))
        .route("/api/v1/datasets", get(datasets))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Limit {
    limit: Option<usize>,
}

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

async fn datasets(
    _auth: Viewer,
    State(state): State<AppState>,
) -> ApiResult<Json<Vec<DatasetVersion>>> {
    Ok(Json(state.ledger(|l| Ok(l.datasets()?)).await?))
}
