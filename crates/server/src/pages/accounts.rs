//! `/accounts`: the accounts of a chosen period and scope with the targets of the scope, as
//! the report shows them, and their charts.

use axum::extract::{Query, State};
use chrono::Utc;
use maud::html;
use serde::Deserialize;
use sustain_ledger::Business;
use sustain_report::render::{charts, html_body};
use sustain_report::{Extras, Period, targets};

use super::{PageResult, PageUser, figures, page, percent_encode};
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub(super) struct AccountsQuery {
    period: Option<String>,
    scope: Option<String>,
}

pub(super) async fn accounts(
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
            let targets = targets::of_scope(l, &s, &p)?;
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
    let e = &a.environmental;
    scopes.extend(e.by_site.iter().map(|b| format!("site:{}", b.group)));
    scopes.extend(e.by_kind.iter().map(|b| format!("kind:{}", b.group)));
    let report = format!(
        "/api/v1/reports?period={}&scope={}&format=html",
        percent_encode(&period.label),
        percent_encode(&scope.label())
    );
    let main = html! {
        h1 { "Accounts" }
        p.sub { "Environmental and economic accounts of a period and scope, with the previous period." }
        form.select method="get" action="/accounts" {
            label { "Period" input name="period" list="periods" value=(period.label) placeholder="2026-Q3"; }
            datalist id="periods" { @for v in &periods { option value=(v); } }
            label { "Scope" input name="scope" list="scopes" value=(scope.label()) placeholder="company"; }
            datalist id="scopes" { @for v in &scopes { option value=(v); } }
            button type="submit" { "Show" }
            a href=(report) { "Report as one HTML file" }
        }
        div class="panel report" { (html_body(&a, &targets, &Extras::default())) }
        @if a.has_data { (figures(&charts(&a, &targets))) }
    };
    Ok(page(&state, "/accounts", Some(&who), "Accounts", main))
}
