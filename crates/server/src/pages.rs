//! The web pages, rendered on the server from the same figures as the API: overview, accounts,
//! runs, models, products and targets. HTML, CSS and a few lines of JavaScript are compiled in
//! (`include_str!`): no build step, no CDN, the pages work offline. Charts are the report
//! crate's inline SVG.
//!
//! A page needs the login cookie (or a Bearer header); without one it redirects to `/login`,
//! whose form checks the token and sets the cookie (HttpOnly, SameSite=Strict).

use std::collections::BTreeMap;
use std::fmt::Write;

use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::Utc;
use pulldown_cmark::{Event, Options, Parser};
use serde::Deserialize;
use sustain_core::format::si;
use sustain_ledger::{Business, Ledger, Role, RunFilter, Tokens, Views};
use sustain_report::accounts::Headline;
use sustain_report::render::{Format, charts, render, targets_markdown};
use sustain_report::{Period, Scope};

use crate::api::accounts::{overview_now, this_month};
use crate::api::business::progress;
use crate::auth::{COOKIE, Caller, authenticate};
use crate::error::ApiError;
use crate::state::AppState;

const LAYOUT: &str = include_str!("../assets/layout.html");
const STYLE: &str = include_str!("../assets/style.css");
const SCRIPT: &str = include_str!("../assets/app.js");

/// Pages and their assets.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(overview))
        .route("/accounts", get(accounts))
        .route("/runs", get(runs))
        .route("/models", get(models))
        .route("/products", get(products))
        .route("/targets", get(targets))
        .route("/scenarios", get(scenarios))
        .route("/fragments/overview-charts", get(overview_charts))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
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

/// HTML-escapes text.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn percent_encode(s: &str) -> String {
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
struct PageError(ApiError);

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
        let body = format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Error · Sustain</title><link rel=\"stylesheet\" href=\"/assets/style.css\"></head><body><main><h1>{}</h1><p class=\"error\">{}</p><p><a href=\"/\">Back to the overview</a></p></main></body></html>",
            status.as_u16(),
            esc(&message)
        );
        (status, Html(body)).into_response()
    }
}

type PageResult = Result<Html<String>, PageError>;

const NAV: &[(&str, &str)] = &[
    ("/", "Overview"),
    ("/accounts", "Accounts"),
    ("/runs", "Runs"),
    ("/models", "Models"),
    ("/products", "Products"),
    ("/targets", "Targets"),
    ("/scenarios", "Scenarios"),
];

fn page(
    state: &AppState,
    active: &str,
    who: Option<&Caller>,
    title: &str,
    main: &str,
) -> Html<String> {
    let nav: String = if who.is_some() {
        NAV.iter()
            .map(|(href, label)| {
                let on = if *href == active { " class=\"on\"" } else { "" };
                format!("<a href=\"{href}\"{on}>{label}</a>")
            })
            .collect()
    } else {
        String::new()
    };
    let who = who.map_or(String::new(), |c| {
        format!(
            "<span>{} ({})</span><form method=\"post\" action=\"/logout\"><button class=\"link\" type=\"submit\">Log out</button></form>",
            esc(&c.0.name),
            c.0.role
        )
    });
    Html(
        LAYOUT
            .replace("{{title}}", &esc(title))
            .replace("{{nav}}", &nav)
            .replace("{{who}}", &who)
            .replace("{{version}}", env!("CARGO_PKG_VERSION"))
            .replace("{{ledger}}", &esc(&state.path().display().to_string()))
            .replace("{{main}}", main),
    )
}

/// Markdown from the report crate as HTML, with any raw HTML in it (a tag value, say) escaped.
fn markdown_html(md: &str) -> String {
    let parser = Parser::new_ext(md, Options::ENABLE_TABLES).map(|e| match e {
        Event::Html(t) | Event::InlineHtml(t) => Event::Text(t),
        other => other,
    });
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, parser);
    out
}

fn figures(out: &mut String, list: Vec<(String, String)>) {
    if list.is_empty() {
        return;
    }
    out.push_str("<section class=\"charts\">");
    for (title, svg) in list {
        let _ = write!(
            out,
            "<figure><figcaption>{}</figcaption>{svg}</figure>",
            esc(&title)
        );
    }
    out.push_str("</section>");
}

/// The change in percent, coloured when more is worse (energy, carbon, water) and plain for
/// figures that are neither good nor bad by themselves (runs, requests).
fn change(now: f64, before: f64, more_is_worse: bool) -> String {
    if before == 0.0 {
        return if now == 0.0 {
            "<span class=\"flat\">—</span>".into()
        } else {
            "<span class=\"flat\">new</span>".into()
        };
    }
    let pct = 100.0 * (now - before) / before;
    let class = if !more_is_worse || pct.abs() <= 0.05 {
        "flat"
    } else if pct > 0.0 {
        "up"
    } else {
        "down"
    };
    format!("<span class=\"{class}\">{pct:+.1} %</span>")
}

fn money(m: &BTreeMap<String, f64>) -> String {
    if m.is_empty() {
        return "—".into();
    }
    m.iter()
        .map(|(c, v)| format!("{v:.2} {}", esc(c)))
        .collect::<Vec<_>>()
        .join(" + ")
}

/// One headline card. `data-metric` and `data-value` carry the API's figure exactly.
fn card(
    o: &mut String,
    metric: &str,
    label: &str,
    (now, before): (f64, f64),
    shown: String,
    prev: String,
) {
    let _ = write!(
        o,
        "<div class=\"card\" data-metric=\"{metric}\" data-value=\"{now}\" data-previous=\"{before}\"><div class=\"label\">{label}</div><div class=\"value\">{shown}</div><div class=\"prev\">{} · previous {prev}</div></div>",
        change(now, before, !matches!(metric, "runs" | "requests"))
    );
}

fn cards(h: &Headline, p: &Headline) -> String {
    let mut o = String::from("<section class=\"cards\">");
    card(
        &mut o,
        "energy_wh",
        "Facility energy",
        (h.energy_wh, p.energy_wh),
        si(h.energy_wh, "Wh"),
        si(p.energy_wh, "Wh"),
    );
    card(
        &mut o,
        "co2e_location_g",
        "Carbon, location-based",
        (h.co2e_location_g, p.co2e_location_g),
        si(h.co2e_location_g, "g") + "CO2e",
        si(p.co2e_location_g, "g"),
    );
    if let Some(m) = h.embodied_co2e_g {
        let before = p.embodied_co2e_g.unwrap_or(0.0);
        card(
            &mut o,
            "embodied_co2e_g",
            "Carbon, embodied (modelled)",
            (m, before),
            si(m, "g") + "CO2e",
            p.embodied_co2e_g
                .map_or_else(|| "no data".to_string(), |v| si(v, "g")),
        );
    }
    card(
        &mut o,
        "water_l",
        "Water",
        (h.water_l, p.water_l),
        si(h.water_l, "L"),
        si(p.water_l, "L"),
    );
    card(
        &mut o,
        "runs",
        "Runs",
        (h.runs as f64, p.runs as f64),
        h.runs.to_string(),
        p.runs.to_string(),
    );
    card(
        &mut o,
        "requests",
        "Requests served",
        (h.requests as f64, p.requests as f64),
        h.requests.to_string(),
        p.requests.to_string(),
    );
    let _ = write!(
        o,
        "<div class=\"card\" data-metric=\"cost\"><div class=\"label\">Cost</div><div class=\"value\">{}</div><div class=\"prev\">previous {}</div></div>",
        money(&h.cost),
        money(&p.cost)
    );
    let _ = write!(
        o,
        "<div class=\"card\" data-metric=\"revenue\"><div class=\"label\">Revenue</div><div class=\"value\">{}</div><div class=\"prev\">previous {}</div></div>",
        money(&h.revenue),
        money(&p.revenue)
    );
    o.push_str("</section>");
    o
}

async fn overview(PageUser(who): PageUser, State(state): State<AppState>) -> PageResult {
    let o = overview_now(&state).await?;
    let mut main = format!(
        "<h1>This month: {}</h1><p class=\"sub\">The whole company, {} against {} (UTC, runs by their start). <a href=\"/accounts?period={}\">Full accounts</a></p>",
        esc(&o.headline.period),
        esc(&o.headline.period),
        esc(&o.previous.period),
        esc(&o.headline.period)
    );
    main.push_str(&cards(&o.headline, &o.previous));
    if !o.has_data {
        main.push_str("<p class=\"panel empty\">No runs, usage or cost lines yet this month. Record runs with <code>sustain run</code> or <code>sustain run --remote</code>.</p>");
    } else {
        // The charts need every breakdown of the month: they come in a second request, so
        // the figures above never wait for them (and without JavaScript, the link is there).
        main.push_str("<section class=\"charts\" id=\"overview-charts\" data-src=\"/fragments/overview-charts\"><p><a href=\"/accounts\">Charts of this month</a></p></section>");
    }
    Ok(page(&state, "/", Some(&who), "Overview", &main))
}

/// The overview's charts, as an HTML fragment (the month's carbon by site and by model, cost
/// against revenue), from the cached accounts of the month.
async fn overview_charts(_who: PageUser, State(state): State<AppState>) -> PageResult {
    let a = this_month(&state).await?;
    let wanted = ["Carbon by site", "Carbon by model", "Cost and revenue"];
    let mut out = String::new();
    for (title, svg) in charts(&a, &[])
        .into_iter()
        .filter(|(t, _)| wanted.contains(&t.as_str()))
    {
        let _ = write!(
            out,
            "<figure><figcaption>{}</figcaption>{svg}</figure>",
            esc(&title)
        );
    }
    Ok(Html(out))
}

#[derive(Debug, Deserialize)]
struct AccountsQuery {
    period: Option<String>,
    scope: Option<String>,
}

async fn accounts(
    PageUser(who): PageUser,
    State(state): State<AppState>,
    Query(q): Query<AccountsQuery>,
) -> PageResult {
    let period = crate::api::period(q.period.as_deref())?;
    let scope = crate::api::scope(q.scope.as_deref())?;
    let st = state.clone();
    let (p, s) = (period.clone(), scope.clone());
    let (a, targets, products) = state
        .ledger(move |l| {
            let a = st.cache().accounts(l, &p, &s)?;
            let targets: Vec<_> = progress(l, Some(&p))?
                .into_iter()
                .filter(|t| Scope::parse(&t.target.scope).is_ok_and(|x| x == s))
                .collect();
            Ok((a, targets, l.products()?))
        })
        .await?;
    let today = Utc::now().date_naive();
    let month = Period::parse(&today.format("%Y-%m").to_string()).map_err(ApiError::from)?;
    let mut periods = vec![
        month.label.clone(),
        month.previous().label,
        Period::parse("2026-Q1")
            .map(|q| q.like_containing(today).label)
            .unwrap_or_default(),
        today.format("%Y").to_string(),
    ];
    periods.retain(|p| !p.is_empty());
    let mut scopes = vec!["company".to_string()];
    scopes.extend(products.iter().map(|p| format!("product:{}", p.name)));
    scopes.extend(
        a.environmental
            .by_site
            .iter()
            .map(|b| format!("site:{}", b.group)),
    );
    scopes.extend(
        a.environmental
            .by_kind
            .iter()
            .map(|b| format!("kind:{}", b.group)),
    );
    let options = |list: &[String], id: &str| {
        let mut o = format!("<datalist id=\"{id}\">");
        for v in list {
            let _ = write!(o, "<option value=\"{}\">", esc(v));
        }
        o + "</datalist>"
    };
    let mut main = format!(
        "<h1>Accounts</h1><p class=\"sub\">Environmental and economic accounts of a period and scope, with the previous period.</p>\
         <form class=\"select\" method=\"get\" action=\"/accounts\">\
         <label>Period<input name=\"period\" list=\"periods\" value=\"{}\" placeholder=\"2026-Q3\"></label>{}\
         <label>Scope<input name=\"scope\" list=\"scopes\" value=\"{}\" placeholder=\"company\"></label>{}\
         <button type=\"submit\">Show</button>\
         <a href=\"/api/v1/reports?period={}&amp;scope={}&amp;format=html\">Report as one HTML file</a></form>",
        esc(&period.label),
        options(&periods, "periods"),
        esc(&scope.label()),
        options(&scopes, "scopes"),
        esc(&percent_encode(&period.label)),
        esc(&percent_encode(&scope.label())),
    );
    let _ = write!(
        main,
        "<div class=\"panel report\">{}</div>",
        markdown_html(&render(&a, &targets, Format::Markdown))
    );
    if a.has_data {
        figures(&mut main, charts(&a, &targets));
    }
    Ok(page(&state, "/accounts", Some(&who), "Accounts", &main))
}

#[derive(Debug, Deserialize)]
struct RunsQuery {
    limit: Option<usize>,
}

async fn runs(
    PageUser(who): PageUser,
    State(state): State<AppState>,
    Query(q): Query<RunsQuery>,
) -> PageResult {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let runs = state
        .ledger(move |l| {
            Ok(l.runs(&RunFilter {
                limit: Some(limit),
                ..Default::default()
            })?)
        })
        .await?;
    let mut main = format!(
        "<h1>Runs</h1><p class=\"sub\">The latest {} runs, newest first. Each id links to the run's JSON.</p><div class=\"panel\">",
        runs.len()
    );
    if runs.is_empty() {
        main.push_str("<p class=\"empty\">No runs yet.</p>");
    } else {
        main.push_str("<table><tr><th>started (UTC)</th><th class=\"l\">id</th><th class=\"l\">name</th><th class=\"l\">kind</th><th class=\"l\">status</th><th>duration</th><th>energy</th><th>CO2e (location)</th><th class=\"l\">site</th><th class=\"l\">tags</th></tr>");
        for r in &runs {
            let j = r.to_json();
            let f = |v: &serde_json::Value| v.as_f64();
            let status = r.status().as_str();
            let tags: Vec<String> = r
                .start
                .tags
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            let _ = write!(
                main,
                "<tr><td>{}</td><td class=\"l\"><a href=\"/api/v1/runs/{}\"><code>{}</code></a></td><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l status-{status}\">{status}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td></tr>",
                r.start.started_at.format("%Y-%m-%d %H:%M:%S"),
                esc(&r.start.id),
                esc(r.start.id.get(..8).unwrap_or(&r.start.id)),
                esc(&r.start.name),
                r.start.kind.as_str(),
                f(&j["duration_s"]).map_or("—".into(), |s| format!("{s:.1} s")),
                f(&j["energy"]["facility_wh"]).map_or("—".into(), |v| si(v, "Wh")),
                f(&j["co2e"]["location_g"]).map_or("—".into(), |v| si(v, "g")),
                esc(&r.start.site.id),
                esc(&tags.join(" "))
            );
        }
        main.push_str("</table>");
    }
    main.push_str("</div>");
    Ok(page(&state, "/runs", Some(&who), "Runs", &main))
}

async fn models(PageUser(who): PageUser, State(state): State<AppState>) -> PageResult {
    let (models, datasets) = state
        .ledger(|l| Ok((l.models(200)?, l.datasets()?)))
        .await?;
    let short = |s: &str| esc(s.get(..12).unwrap_or(s));
    let mut main = String::from(
        "<h1>Models</h1><p class=\"sub\">Model versions that <code>sustain train</code> produced (by the SHA-256 of their weights), with their test metrics and the footprint of their training.</p><div class=\"panel\">",
    );
    if models.is_empty() {
        main.push_str("<p class=\"empty\">No trained models yet: <code>sustain train tabular-mlp</code> makes one.</p>");
    } else {
        main.push_str("<table><tr><th>trained (UTC)</th><th class=\"l\">task</th><th class=\"l\">version</th><th class=\"l\">dataset</th><th>test accuracy</th><th>test F1</th><th>energy</th><th>CO2e</th><th class=\"l\">site</th><th class=\"l\">path</th></tr>");
        for m in &models {
            let metric = |k: &str| {
                m.metrics["test"][k]
                    .as_f64()
                    .map_or("—".into(), |v| format!("{v:.3}"))
            };
            let _ = write!(
                main,
                "<tr><td>{}</td><td class=\"l\">{}</td><td class=\"l\"><code>{}</code></td><td class=\"l\"><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td></tr>",
                m.trained_at.format("%Y-%m-%d %H:%M"),
                esc(&m.name),
                short(&m.sha256),
                m.dataset_sha256.as_deref().map_or("—".into(), short),
                metric("accuracy"),
                metric("f1"),
                si(m.energy_wh, "Wh"),
                si(m.co2e_location_g, "g"),
                esc(&m.site),
                esc(m.path.as_deref().unwrap_or("—"))
            );
        }
        main.push_str("</table>");
    }
    main.push_str("</div><h2>Datasets</h2><div class=\"panel\">");
    if datasets.is_empty() {
        main.push_str("<p class=\"empty\">No datasets yet.</p>");
    } else {
        main.push_str("<table><tr><th class=\"l\">version</th><th class=\"l\">used by</th><th>trainings</th><th>first</th><th>latest</th><th>CO2e of the trainings</th></tr>");
        for d in &datasets {
            let _ = write!(
                main,
                "<tr><td class=\"l\"><code>{}</code></td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                short(&d.sha256),
                esc(&d.names.join(", ")),
                d.runs,
                d.first_used.format("%Y-%m-%d"),
                d.last_used.format("%Y-%m-%d"),
                si(d.co2e_location_g, "g")
            );
        }
        main.push_str("</table>");
    }
    main.push_str("</div>");
    Ok(page(&state, "/models", Some(&who), "Models", &main))
}

async fn products(PageUser(who): PageUser, State(state): State<AppState>) -> PageResult {
    let month = crate::api::this_month()?;
    let (from, to) = (month.from, month.to);
    let (products, usage) = state
        .ledger(move |l| Ok((l.products()?, l.usage_totals(from, to)?)))
        .await?;
    let mut main = String::from(
        "<h1>Products</h1><p class=\"sub\">What the company sells; runs belong to a product through the tag <code>product=NAME</code>.</p><div class=\"panel\">",
    );
    if products.is_empty() {
        main.push_str("<p class=\"empty\">No products: <code>sustain product add NAME</code> or <code>POST /api/v1/products</code>.</p>");
    } else {
        main.push_str("<table><tr><th class=\"l\">product</th><th class=\"l\">unit</th><th>per 1k requests</th><th>per 1M tokens</th><th class=\"l\">currency</th><th class=\"l\">since</th><th class=\"l\">description</th></tr>");
        let price = |p: Option<f64>| p.map_or("—".into(), |v| format!("{v}"));
        for p in &products {
            let _ = write!(
                main,
                "<tr><td class=\"l\"><a href=\"/accounts?scope=product:{}\">{}</a></td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td></tr>",
                esc(&percent_encode(&p.name)),
                esc(&p.name),
                esc(&p.unit),
                price(p.price_per_1k_requests),
                price(p.price_per_1m_tokens),
                esc(p.currency.as_deref().unwrap_or("")),
                p.recorded_at.format("%Y-%m-%d"),
                esc(&p.description)
            );
        }
        main.push_str("</table>");
    }
    let _ = write!(
        main,
        "</div><h2>Usage in {}</h2><div class=\"panel\">",
        esc(&month.label)
    );
    if usage.is_empty() {
        main.push_str("<p class=\"empty\">No usage recorded this month.</p>");
    } else {
        main.push_str("<table><tr><th class=\"l\">product</th><th>requests</th><th>tokens</th><th>revenue</th><th>entries</th></tr>");
        for u in &usage {
            let _ = write!(
                main,
                "<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{:.2} {}</td><td>{}</td></tr>",
                esc(&u.product),
                u.requests,
                u.tokens,
                u.revenue,
                esc(&u.currency),
                u.entries
            );
        }
        main.push_str("</table>");
    }
    main.push_str("</div>");
    Ok(page(&state, "/products", Some(&who), "Products", &main))
}

async fn targets(PageUser(who): PageUser, State(state): State<AppState>) -> PageResult {
    let list = state.ledger(|l| progress(l, None)).await?;
    let mut main = String::from(
        "<h1>Targets</h1><p class=\"sub\">Each target is judged on the period of its baseline's kind that contains today, against a straight line from its baseline to its goal.</p><div class=\"panel\">",
    );
    if list.is_empty() {
        main.push_str("<p class=\"empty\">No targets: <code>sustain target add</code> or <code>POST /api/v1/targets</code>.</p>");
    } else {
        main.push_str(&markdown_html(&targets_markdown(&list)));
    }
    main.push_str("</div>");
    if !list.is_empty() {
        let a = this_month(&state).await?;
        figures(
            &mut main,
            charts(&a, &list)
                .into_iter()
                .filter(|(t, _)| t.starts_with("Target "))
                .collect(),
        );
    }
    Ok(page(&state, "/targets", Some(&who), "Targets", &main))
}

#[derive(Debug, Deserialize)]
struct ScenariosQuery {
    name: Option<String>,
    period: Option<String>,
    scope: Option<String>,
}

/// The saved scenarios, and one of them run over a period and scope beside the actual figures.
async fn scenarios(
    PageUser(who): PageUser,
    State(state): State<AppState>,
    Query(q): Query<ScenariosQuery>,
) -> PageResult {
    use sustain_ledger::Business;
    use sustain_report::scenario::{self, Context, ScenarioFile};
    let period = crate::api::period(q.period.as_deref())?;
    let scope = crate::api::scope(q.scope.as_deref())?;
    let sites = state.sites().clone();
    let (p, s, name) = (period.clone(), scope.clone(), q.name.clone());
    let (saved, result) = state
        .ledger(move |l| {
            let saved = l.scenarios()?;
            let chosen = name
                .as_deref()
                .and_then(|n| saved.iter().find(|x| x.name == n))
                .or_else(|| saved.first());
            let result = match chosen {
                Some(c) => {
                    let file = ScenarioFile::parse(&c.body)?;
                    let accelerators = sustain_core::hardware::AcceleratorCatalog::bundled()?;
                    let ctx = Context {
                        sites: &sites,
                        accelerators: &accelerators,
                        file: None,
                    };
                    Some(scenario::run(l, &file, &p, &s, &ctx)?)
                }
                None => None,
            };
            Ok((saved, result))
        })
        .await?;
    let mut main = String::from(
        "<h1>Scenarios</h1><p class=\"sub\">Levers applied to a period's runs, usage and costs, beside the actual figures (docs/methods/scenarios.md). Save one with <code>sustain scenario run FILE.toml --save</code> or <code>POST /api/v1/scenarios</code>.</p>",
    );
    if saved.is_empty() {
        main.push_str("<div class=\"panel\"><p class=\"empty\">No saved scenarios yet.</p></div>");
        return Ok(page(&state, "/scenarios", Some(&who), "Scenarios", &main));
    }
    let current = result.as_ref().map(|r| r.name.clone()).unwrap_or_default();
    let mut select = String::new();
    for x in &saved {
        let on = if x.name == current { " selected" } else { "" };
        let _ = write!(
            select,
            "<option value=\"{0}\"{on}>{0}</option>",
            esc(&x.name)
        );
    }
    let _ = write!(
        main,
        "<form class=\"select\" method=\"get\" action=\"/scenarios\">\
         <label>Scenario<select name=\"name\">{select}</select></label>\
         <label>Period<input name=\"period\" value=\"{}\" placeholder=\"2026-Q3\"></label>\
         <label>Scope<input name=\"scope\" value=\"{}\" placeholder=\"company\"></label>\
         <button type=\"submit\">Run</button></form>",
        esc(&period.label),
        esc(&scope.label())
    );
    if let Some(r) = &result {
        let _ = write!(
            main,
            "<div class=\"panel report\">{}</div>",
            markdown_html(&scenario::markdown(r))
        );
    }
    Ok(page(&state, "/scenarios", Some(&who), "Scenarios", &main))
}

#[derive(Debug, Deserialize)]
struct LoginQuery {
    next: Option<String>,
}

fn login_page(state: &AppState, next: &str, error: Option<&str>) -> Html<String> {
    let error = error.map_or(String::new(), |e| {
        format!("<p class=\"error\">{}</p>", esc(e))
    });
    page(
        state,
        "/login",
        None,
        "Log in",
        &format!(
            "<div class=\"login panel\"><h1>Log in</h1><p class=\"sub\">Paste a token made with <code>sustain token create --role viewer</code>.</p>{error}\
             <form method=\"post\" action=\"/login\"><input type=\"hidden\" name=\"next\" value=\"{}\">\
             <label>Token<input type=\"password\" name=\"token\" id=\"token\" autocomplete=\"off\" required></label>\
             <p><button type=\"submit\" id=\"login\">Log in</button></p></form></div>",
            esc(next)
        ),
    )
}

async fn login_form(State(state): State<AppState>, Query(q): Query<LoginQuery>) -> Html<String> {
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
struct LoginForm {
    token: String,
    next: Option<String>,
}

async fn login(State(state): State<AppState>, Form(f): Form<LoginForm>) -> Response {
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

async fn logout() -> Response {
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("sustain_token=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    res
}
