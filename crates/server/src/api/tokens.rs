//! Token administration (admin tokens only): create, list, revoke.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sustain_ledger::{Role, TokenInfo, Tokens};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Admin;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(revoke))
}

/// Every token (never its secret).
#[utoipa::path(
    get,
    path = "/api/v1/tokens",
    extensions(("x-role" = json!(Role::Admin))),
    responses((status = 200, description = "The tokens", body = Vec<TokenInfo>))
)]
async fn list(_auth: Admin, State(state): State<AppState>) -> ApiResult<Json<Vec<TokenInfo>>> {
    Ok(Json(state.ledger(|l| Ok(l.tokens()?)).await?))
}

/// A token to create.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewToken {
    /// A name for people: who or what uses it (`ci`, `alice`).
    name: String,
    /// Its role.
    #[schema(value_type = Role)]
    role: String,
}

/// A token just created: its record and, this once, its text.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct CreatedToken {
    /// The token's record.
    #[serde(flatten)]
    info: TokenInfo,
    /// The whole token text, `sst_<id>_<secret>`: give it to its user; it is not shown again.
    token: String,
}

/// Creates a token; the answer holds its text, once.
///
/// The ledger keeps only its hash.
#[utoipa::path(
    post,
    path = "/api/v1/tokens",
    request_body = NewToken,
    extensions(("x-role" = json!(Role::Admin))),
    responses(
        (status = 201, description = "Created", body = CreatedToken),
        (status = 400, description = "A field is invalid", body = ErrorBody),
        (status = 422, description = "Refused by the ledger's rules", body = ErrorBody),
    )
)]
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
    // Through a JSON value, whose keys are sorted: the order the answer has always had.
    let body = serde_json::to_value(CreatedToken {
        info: new.info,
        token: new.token,
    })
    .map_err(|e| ApiError::internal(&e))?;
    Ok((StatusCode::CREATED, Json(body)))
}

/// Revokes a token by id or name.
#[utoipa::path(
    post,
    path = "/api/v1/tokens/{id}/revoke",
    params(("id" = String, Path, description = "the token's id or name")),
    extensions(("x-role" = json!(Role::Admin))),
    responses(
        (status = 200, description = "The revoked token", body = TokenInfo),
        (status = 422, description = "No active token of that id or name, several of that name, or already revoked", body = ErrorBody),
    )
)]
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
