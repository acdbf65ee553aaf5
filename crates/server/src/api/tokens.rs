//! Token administration (admin tokens only): create, list, revoke.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use sustain_ledger::{Role, TokenInfo, Tokens};

use crate::auth::Admin;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tokens", get(list).post(create))
        .route("/api/v1/tokens/{id}/revoke", post(revoke))
}

async fn list(_auth: Admin, State(state): State<AppState>) -> ApiResult<Json<Vec<TokenInfo>>> {
    Ok(Json(state.ledger(|l| Ok(l.tokens()?)).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    name: String,
    role: String,
}

/// The token's text is in the answer, once; the ledger keeps its hash.
async fn create(
    auth: Admin,
    State(state): State<AppState>,
    ApiJson(t): ApiJson<NewToken>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let role: Role = t
        .role
        .parse()
        .map_err(|e: sustain_ledger::LedgerError| ApiError::field("role", e.to_string()))?;
    let actor = auth.caller.actor();
    let new = state
        .ledger(move |l| Ok(l.create_token(&t.name, role, &actor)?))
        .await?;
    let mut body = serde_json::to_value(&new.info).map_err(|e| ApiError::internal(&e))?;
    body["token"] = json!(new.token);
    Ok((StatusCode::CREATED, Json(body)))
}

async fn revoke(
    auth: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<TokenInfo>> {
    let actor = auth.caller.actor();
    Ok(Json(
        state
            .ledger(move |l| Ok(l.revoke_token(&id, &actor)?))
            .await?,
    ))
}
