//! Token authentication. A request carries its token in `Authorization: Bearer <token>`, or, for
//! the web pages, in the `sustain_token` cookie that the login form sets (HttpOnly,
//! SameSite=Strict). The cookie is honoured for reads (GET, HEAD) only: writes need the header,
//! so no page of another site can make a browser write with its cookie.
//!
//! Roles are ordered: a viewer reads, an editor also writes, an admin also manages tokens.
//! Handlers ask for a role with the extractors [`Viewer`], [`Editor`] and [`Admin`]: no token is
//! 401, a token below the role is 403.

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, header};
use sustain_ledger::{Role, TokenInfo, Tokens};

use crate::error::ApiError;
use crate::state::AppState;

/// Name of the login cookie.
pub const COOKIE: &str = "sustain_token";

/// Who is calling: the token's record.
#[derive(Debug, Clone)]
pub struct Caller(pub TokenInfo);

impl Caller {
    /// The actor written in the audit log for this caller's changes: `api:` and the token's name.
    pub fn actor(&self) -> String {
        format!("api:{}", self.0.name)
    }
}

/// The lowest role an extractor accepts.
pub trait MinRole {
    /// The role.
    const ROLE: Role;
}

/// Marker: viewers and up.
#[derive(Debug)]
pub struct ViewerRole;
/// Marker: editors and up.
#[derive(Debug)]
pub struct EditorRole;
/// Marker: admins.
#[derive(Debug)]
pub struct AdminRole;

impl MinRole for ViewerRole {
    const ROLE: Role = Role::Viewer;
}
impl MinRole for EditorRole {
    const ROLE: Role = Role::Editor;
}
impl MinRole for AdminRole {
    const ROLE: Role = Role::Admin;
}

/// An authenticated caller whose role is at least `R::ROLE`.
#[derive(Debug)]
pub struct Auth<R: MinRole> {
    /// The caller.
    pub caller: Caller,
    role: PhantomData<R>,
}

/// A caller who may read.
pub type Viewer = Auth<ViewerRole>;
/// A caller who may write.
pub type Editor = Auth<EditorRole>;
/// A caller who may manage tokens.
pub type Admin = Auth<AdminRole>;

/// The token a request carries, and whether it came from the cookie.
pub fn token_of(parts: &Parts) -> Option<(String, bool)> {
    if let Some(v) = parts.headers.get(header::AUTHORIZATION) {
        let v = v.to_str().ok()?.trim();
        let (scheme, token) = v.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| (token.trim().to_string(), false));
    }
    cookie(parts, COOKIE).map(|t| (t, true))
}

/// The value of a cookie.
pub fn cookie(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_string())
}

/// Checks the request's token and role.
pub async fn authenticate(parts: &Parts, state: &AppState, min: Role) -> Result<Caller, ApiError> {
    let Some((token, from_cookie)) = token_of(parts) else {
        return Err(ApiError::Unauthorized(
            "no token: send `Authorization: Bearer <token>` (create one with `sustain token create --role viewer`)".into(),
        ));
    };
    if from_cookie && !matches!(parts.method, Method::GET | Method::HEAD) {
        return Err(ApiError::Unauthorized(
            "writes need an `Authorization: Bearer <token>` header; the login cookie is for reading".into(),
        ));
    }
    let info = state
        .ledger(move |l| Ok(l.authenticate(&token)?))
        .await?
        .ok_or_else(|| ApiError::Unauthorized("the token is unknown or revoked".into()))?;
    if info.role < min {
        return Err(ApiError::Forbidden(format!(
            "token '{}' has the role {}; this needs {}",
            info.name, info.role, min
        )));
    }
    Ok(Caller(info))
}

impl<R: MinRole> FromRequestParts<AppState> for Auth<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(Auth {
            caller: authenticate(parts, state, R::ROLE).await?,
            role: PhantomData,
        })
    }
}
