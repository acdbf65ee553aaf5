//! The web pages, rendered on the server from the same figures as the API: overview, accounts,
//! runs, models, products, targets, scenarios and the login form. One module per page.
//!
//! Every page is built with maud, which escapes each spliced value (`(expr)`): tag values,
//! product, model, target and token names can only ever be text. The few trusted fragments
//! spliced whole are the report crate's (itself maud, from its own document) and the SVG charts
//! (maud too). CSS and a few lines of optional JavaScript are files under `/assets/`
//! (`include_str!`): no inline script, so the Content-Security-Policy of every response
//! (`crate::headers`) allows scripts from this origin only. No build step, no CDN: the pages
//! work offline.
//!
//! A page needs the login cookie (or a Bearer header); without one it redirects to `/login`,
//! whose form checks the token and sets the cookie (HttpOnly, SameSite=Strict).

mod accounts;
mod login;
mod models;
mod overview;
mod runs;
mod targets;

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{DOCTYPE, Markup, html};
use sustain_ledger::Role;

use crate::auth::{Caller, authenticate};
use crate::error::ApiError;
use crate::state::AppState;

const STYLE: &str = include_str!("../../assets/style.css");
const SCRIPT: &str = include_str!("../../assets/app.js");

/// Pages and their assets.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(overview::overview))
        .route("/accounts", get(accounts::accounts))
        .route("/runs", get(runs::runs))
        .route("/models", get(models::models))
        .route("/products", get(models::products))
        .route("/targets", get(targets::targets))
        .route("/scenarios", get(targets::scenarios))
        .route("/fragments/overview-charts", get(overview::overview_charts))
        .route("/login", get(login::login_form).post(login::login))
        .route("/logout", post(login::logout))
        .route(
            "/assets/style.css",
            get(|| asset(STYLE, "text/css; charset=utf-8")),
        )
        .route(
            "/assets/app.js",
            get(|| asset(SCRIPT, "text/javascript; charset=utf-8")),
        )
}

async fn asset(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// `s` for a URL's path or query: every byte but unreserved ASCII (and `/`) percent-encoded.
/// (maud then escapes the URL for the attribute.)
pub(crate) fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A signed-in viewer of the pages; without a token, a redirect to the login form.
pub struct PageUser(Caller);

impl FromRequestParts<AppState> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match authenticate(parts, state, Role::Viewer).await {
            Ok(c) => Ok(PageUser(c)),
            Err(ApiError::Unauthorized(_)) => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map_or("/", |p| p.as_str())
                    .to_string();
                Err(Redirect::to(&format!("/login?next={}", percent_encode(&next))).into_response())
            }
            Err(e) => Err(PageError(e).into_response()),
        }
    }
}

/// An error shown as a page.
pub(crate) struct PageError(pub(crate) ApiError);

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        PageError(e)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        let message = match &self.0 {
            ApiError::Internal => format!(
                "Internal error; the server logged it (request {}).",
                crate::request_id::current()
            ),
            other => other.to_string(),
        };
        let body = html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    title { "Error · Sustain" }
                    link rel="stylesheet" href="/assets/style.css";
                }
                body { main {
                    h1 { (status.as_u16()) }
                    p.error { (message) }
                    p { a href="/" { "Back to the overview" } }
                } }
            }
        };
        (status, Html(body.into_string())).into_response()
    }
}

pub(crate) type PageResult = Result<Html<String>, PageError>;

const NAV: &[(&str, &str)] = &[
    ("/", "Overview"),
    ("/accounts", "Accounts"),
    ("/runs", "Runs"),
    ("/models", "Models"),
    ("/products", "Products"),
    ("/targets", "Targets"),
    ("/scenarios", "Scenarios"),
];

/// A whole page: the navigation and who is signed in (for a signed-in viewer), `main`, and a
/// footer that names the ledger only to a signed-in viewer (the login page is public).
pub(crate) fn page(
    state: &AppState,
    active: &str,
    who: Option<&Caller>,
    title: &str,
    main: Markup,
) -> Html<String> {
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Sustain" }
                link rel="stylesheet" href="/assets/style.css";
                script src="/assets/app.js" defer {}
            }
            body {
                header.top {
                    a.brand href="/" { "Sustain" }
                    nav {
                        @if who.is_some() {
                            @for (href, label) in NAV {
                                a href=(href) class=[(*href == active).then_some("on")] { (label) }
                            }
                        }
                    }
                    div.who {
                        @if let Some(c) = who {
                            span { (c.0.name) " (" (c.0.role) ")" }
                            form method="post" action="/logout" {
                                button.link type="submit" { "Log out" }
                            }
                        }
                    }
                }
                main { (main) }
                footer {
                    "Sustain " (env!("CARGO_PKG_VERSION"))
                    @if who.is_some() {
                        " · figures from the ledger " code { (state.path().display().to_string()) }
                    }
                    " · " a href="/openapi.json" { "API" }
                }
            }
        }
    };
    Html(page.into_string())
}

/// Charts in a section, one figure each.
pub(crate) fn figures(list: &[(String, Markup)]) -> Markup {
    html! {
        @if !list.is_empty() {
            section.charts { (sustain_report::render::html::figures(list)) }
        }
    }
}

/// Amounts per currency, to the cent.
pub(crate) fn money(m: &BTreeMap<String, f64>) -> String {
    sustain_report::figures::money(m)
}
