//! `/targets` (each target judged on the period of its baseline's kind that contains today,
//! with its planned and actual path) and `/scenarios` (a saved scenario run over a period and
//! scope beside the actual figures).

use axum::extract::{Query, State};
use chrono::Utc;
use maud::html;
use serde::Deserialize;
use sustain_ledger::Business;
use sustain_report::render::{charts, scenario_html, targets_html};
use sustain_report::scenario::{self, Context, ScenarioFile};
use sustain_report::targets;

use super::{PageResult, PageUser, figures, page};
use crate::api::accounts::this_month;
use crate::state::AppState;

pub(super) async fn targets(PageUser(who): PageUser, State(state): State<AppState>) -> PageResult {
    let today = Utc::now().date_naive();
    let list = state
        .ledger(move |l| Ok(targets::all(l, None, today)?))
        .await?;
    let charts = if list.is_empty() {
        Vec::new()
    } else {
        let a = this_month(&state).await?;
        charts(&a, &list)
            .into_iter()
            .filter(|(t, _)| t.starts_with("Target "))
            .collect()
    };
    let main = html! {
        h1 { "Targets" }
        p.sub {
            "Each target is judged on the period of its baseline's kind that contains today, against a straight line from its baseline to its goal."
        }
        div.panel {
            @if list.is_empty() {
                p.empty { "No targets: " code { "sustain target add" } " or " code { "POST /api/v1/targets" } "." }
            } @else {
                (targets_html(&list))
            }
        }
        (figures(&charts))
    };
    Ok(page(&state, "/targets", Some(&who), "Targets", main))
}

#[derive(Debug, Deserialize)]
pub(super) struct ScenariosQuery {
    name: Option<String>,
    period: Option<String>,
    scope: Option<String>,
}

/// The saved scenarios, and one of them run over a period and scope beside the actual figures.
pub(super) async fn scenarios(
    PageUser(who): PageUser,
    State(state): State<AppState>,
    Query(q): Query<ScenariosQuery>,
) -> PageResult {
    let period = crate::api::period(q.period.as_deref())?;
    let scope = crate::api::scope(q.scope.as_deref())?;
    let st = state.clone();
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
                        sites: st.sites(),
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
    let current = result.as_ref().map(|r| r.name.as_str()).unwrap_or_default();
    let main = html! {
        h1 { "Scenarios" }
        p.sub {
            "Levers applied to a period's runs, usage and costs, beside the actual figures (docs/methods/scenarios.md). Save one with "
            code { "sustain scenario run FILE.toml --save" } " or " code { "POST /api/v1/scenarios" } "."
        }
        @if saved.is_empty() {
            div.panel { p.empty { "No saved scenarios yet." } }
        } @else {
            form.select method="get" action="/scenarios" {
                label { "Scenario"
                    select name="name" {
                        @for x in &saved {
                            option value=(x.name) selected[x.name == current] { (x.name) }
                        }
                    }
                }
                label { "Period" input name="period" value=(period.label) placeholder="2026-Q3"; }
                label { "Scope" input name="scope" value=(scope.label()) placeholder="company"; }
                button type="submit" { "Run" }
            }
            @if let Some(r) = &result {
                div class="panel report" { (scenario_html(r)) }
            }
        }
    };
    Ok(page(&state, "/scenarios", Some(&who), "Scenarios", main))
}
