//! The front page: this month's headline cards against the previous month, and its charts,
//! which load in a second request so the figures never wait for them.

use axum::extract::State;
use axum::response::Html;
use maud::{Markup, html};
use sustain_core::format::si;
use sustain_report::accounts::Headline;
use sustain_report::render::{charts, html::figures};

use super::{PageResult, PageUser, money, page, percent_encode};
use crate::api::accounts::{overview_now, this_month};
use crate::state::AppState;

/// The change in percent, coloured when more is worse (energy, carbon, water) and plain for
/// figures that are neither good nor bad by themselves (runs, requests).
fn change(now: f64, before: f64, more_is_worse: bool) -> Markup {
    if before == 0.0 {
        return html! { span.flat { @if now == 0.0 { "—" } @else { "new" } } };
    }
    let pct = 100.0 * (now - before) / before;
    let class = if !more_is_worse || pct.abs() <= 0.05 {
        "flat"
    } else if pct > 0.0 {
        "up"
    } else {
        "down"
    };
    html! { span class=(class) { (format!("{pct:+.1} %")) } }
}

/// One headline card. `data-metric` and `data-value` carry the API's figure exactly.
fn card(
    metric: &str,
    label: &str,
    (now, before): (f64, f64),
    shown: String,
    prev: String,
) -> Markup {
    html! {
        div.card data-metric=(metric) data-value=(now) data-previous=(before) {
            div.label { (label) }
            div.value { (shown) }
            div.prev { (change(now, before, !matches!(metric, "runs" | "requests"))) " · previous " (prev) }
        }
    }
}

fn cards(h: &Headline, p: &Headline) -> Markup {
    html! {
        section.cards {
            (card("energy_wh", "Facility energy", (h.energy_wh, p.energy_wh), si(h.energy_wh, "Wh"), si(p.energy_wh, "Wh")))
            (card("co2e_location_g", "Carbon, location-based", (h.co2e_location_g, p.co2e_location_g), si(h.co2e_location_g, "g") + "CO2e", si(p.co2e_location_g, "g")))
            @if let Some(m) = h.embodied_co2e_g {
                (card(
                    "embodied_co2e_g",
                    "Carbon, embodied (modelled)",
                    (m, p.embodied_co2e_g.unwrap_or(0.0)),
                    si(m, "g") + "CO2e",
                    p.embodied_co2e_g.map_or_else(|| "no data".to_string(), |v| si(v, "g")),
                ))
            }
            (card("water_l", "Water", (h.water_l, p.water_l), si(h.water_l, "L"), si(p.water_l, "L")))
            (card("runs", "Runs", (h.runs as f64, p.runs as f64), h.runs.to_string(), p.runs.to_string()))
            (card("requests", "Requests served", (h.requests as f64, p.requests as f64), h.requests.to_string(), p.requests.to_string()))
            div.card data-metric="cost" {
                div.label { "Cost" }
                div.value { (money(&h.cost)) }
                div.prev { "previous " (money(&p.cost)) }
            }
            div.card data-metric="revenue" {
                div.label { "Revenue" }
                div.value { (money(&h.revenue)) }
                div.prev { "previous " (money(&p.revenue)) }
            }
        }
    }
}

/// `/`: this month's cards; the charts come from `/fragments/overview-charts`.
pub(super) async fn overview(PageUser(who): PageUser, State(state): State<AppState>) -> PageResult {
    let o = overview_now(&state).await?;
    let (h, p) = (&o.headline, &o.previous);
    let main = html! {
        h1 { "This month: " (h.period) }
        p.sub {
            "The whole company, " (h.period) " against " (p.period) " (UTC, runs by their start). "
            a href={ "/accounts?period=" (percent_encode(&h.period)) } { "Full accounts" }
        }
        (cards(h, p))
        @if !o.has_data {
            p class="panel empty" {
                "No runs, usage or cost lines yet this month. Record runs with "
                code { "sustain run" } " or " code { "sustain run --remote" } "."
            }
        } @else {
            // The charts need every breakdown of the month: they come in a second request,
            // so the figures above never wait for them (and without JavaScript, the link is
            // there).
            section.charts id="overview-charts" data-src="/fragments/overview-charts" {
                p { a href="/accounts" { "Charts of this month" } }
            }
        }
    };
    Ok(page(&state, "/", Some(&who), "Overview", main))
}

/// The overview's charts, as an HTML fragment (the month's carbon by site and by model, cost
/// against revenue), from the cached accounts of the month.
pub(super) async fn overview_charts(_who: PageUser, State(state): State<AppState>) -> PageResult {
    let a = this_month(&state).await?;
    let wanted = ["Carbon by site", "Carbon by model", "Cost and revenue"];
    let list: Vec<_> = charts(&a, &[])
        .into_iter()
        .filter(|(t, _)| wanted.contains(&t.as_str()))
        .collect();
    Ok(Html(figures(&list).into_string()))
}
