//! `/runs`: the latest runs, newest first; each id links to the run's JSON.

use axum::extract::{Query, State};
use maud::html;
use serde::Deserialize;
use sustain_core::format::si;
use sustain_ledger::{Ledger, RunFilter};

use super::{PageResult, PageUser, page, percent_encode};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub(super) struct RunsQuery {
    limit: Option<usize>,
}

pub(super) async fn runs(
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
    let main = html! {
        h1 { "Runs" }
        p.sub { "The latest " (runs.len()) " runs, newest first. Each id links to the run's JSON." }
        div.panel {
            @if runs.is_empty() {
                p.empty { "No runs yet." }
            } @else {
                table {
                    tr {
                        th { "started (UTC)" } th.l { "id" } th.l { "name" } th.l { "kind" } th.l { "status" }
                        th { "duration" } th { "energy" } th { "CO2e (location)" } th.l { "site" } th.l { "tags" }
                    }
                    @for r in &runs {
                        @let j = r.to_json();
                        @let status = r.status().as_str();
                        @let tags = r.start.tags.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ");
                        tr {
                            td { (r.start.started_at.format("%Y-%m-%d %H:%M:%S")) }
                            td.l { a href={ "/api/v1/runs/" (percent_encode(&r.start.id)) } { code { (r.start.id.get(..8).unwrap_or(&r.start.id)) } } }
                            td.l { (r.start.name) }
                            td.l { (r.start.kind.as_str()) }
                            td class={ "l status-" (status) } { (status) }
                            td { (j["duration_s"].as_f64().map_or("—".into(), |s| format!("{s:.1} s"))) }
                            td { (j["energy"]["facility_wh"].as_f64().map_or("—".into(), |v| si(v, "Wh"))) }
                            td { (j["co2e"]["location_g"].as_f64().map_or("—".into(), |v| si(v, "g"))) }
                            td.l { (r.start.site.id) }
                            td.l { (tags) }
                        }
                    }
                }
            }
        }
    };
    Ok(page(&state, "/runs", Some(&who), "Runs", main))
}
