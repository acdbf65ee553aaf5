//! `/login` and `/logout`. The login page is public: it shows the form and nothing of the
//! ledger (not even its path).

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;
use sustain_ledger::Tokens;

use super::{PageError, page};
use crate::auth::COOKIE;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub(super) struct LoginQuery {
    next: Option<String>,
}

fn login_page(state: &AppState, next: &str, error: Option<&str>) -> Html<String> {
    let main = html! {
        div class="login panel" {
            h1 { "Log in" }
            p.sub { "Paste a token made with " code { "sustain token create --role viewer" } "." }
            @if let Some(e) = error { p.error { (e) } }
            form method="post" action="/login" {
                input type="hidden" name="next" value=(next);
                label { "Token" input type="password" name="token" id="token" autocomplete="off" required; }
                p { button type="submit" id="login" { "Log in" } }
            }
        }
    };
    page(state, "/login", None, "Log in", main)
}

pub(super) async fn login_form(
    State(state): State<AppState>,
    Query(q): Query<LoginQuery>,
) -> Html<String> {
    login_page(&state, &safe_next(q.next.as_deref()), None)
}

/// Only paths of this site: never `//host` or a scheme.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".to_string(),
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct LoginForm {
    token: String,
    next: Option<String>,
}

pub(super) async fn login(State(state): State<AppState>, Form(f): Form<LoginForm>) -> Response {
    let next = safe_next(f.next.as_deref());
    let token = f.token.trim().to_string();
    let checked = {
        let token = token.clone();
        state.ledger(move |l| Ok(l.authenticate(&token)?)).await
    };
    match checked {
        Ok(Some(_)) => {
            let cookie =
                format!("{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=2592000");
            let mut res = Redirect::to(&next).into_response();
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                res.headers_mut().insert(header::SET_COOKIE, v);
            }
            res
        }
        Ok(None) => (
            StatusCode::UNAUTHORIZED,
            login_page(&state, &next, Some("That token is unknown or revoked.")),
        )
            .into_response(),
        Err(e) => PageError(e).into_response(),
    }
}

pub(super) async fn logout() -> Response {
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("sustain_token=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    res
}
