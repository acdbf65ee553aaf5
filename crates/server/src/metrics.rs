//! `GET /metrics`: the ledger's all-time totals in the Prometheus text format (version 0.0.4),
//! labelled by site, run kind and product tag, so that `sum by (site)`, `sum by (product)` and so
//! on are each a correct total. Names carry their unit. A viewer token is needed (Prometheus:
//! `authorization: {credentials: <token>}` in the scrape config). Recomputed only when the ledger
//! has changed.

use std::collections::BTreeMap;
use std::fmt::Write;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use sustain_ledger::{Ledger, Role, ScopeTotals, SqliteLedger, Views};

use crate::auth::Viewer;
use crate::error::ApiResult;
use crate::state::AppState;

/// Content type of the Prometheus text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The metric families: name, type, help, value of a row.
#[allow(clippy::type_complexity)]
const FAMILIES: &[(&str, &str, &str, fn(&ScopeTotals) -> f64)] = &[
    (
        "sustain_runs_total",
        "counter",
        "Ended runs in the ledger.",
        |t| t.runs as f64,
    ),
    (
        "sustain_cpu_energy_joules_total",
        "counter",
        "CPU energy of ended runs, J.",
        |t| t.cpu_j,
    ),
    (
        "sustain_gpu_energy_joules_total",
        "counter",
        "GPU energy of ended runs, J.",
        |t| t.gpu_j,
    ),
    (
        "sustain_ram_energy_joules_total",
        "counter",
        "Memory energy of ended runs, J.",
        |t| t.ram_j,
    ),
    (
        "sustain_facility_energy_joules_total",
        "counter",
        "Facility energy (IT energy x PUE) of ended runs, J.",
        |t| t.facility_j,
    ),
    (
        "sustain_co2e_location_grams_total",
        "counter",
        "Location-based carbon of ended runs, gCO2e.",
        |t| t.co2e_location_g,
    ),
    (
        "sustain_co2e_market_grams_total",
        "counter",
        "Market-based carbon of the ended runs whose site has a contractual factor, gCO2e.",
        |t| t.co2e_market_g,
    ),
    (
        "sustain_co2e_embodied_grams_total",
        "counter",
        "Embodied carbon (modelled) of the ended runs that recorded one, gCO2e.",
        |t| t.embodied_g,
    ),
    (
        "sustain_water_litres_total",
        "counter",
        "Water of ended runs, L.",
        |t| t.water_l,
    ),
    (
        "sustain_run_duration_seconds_total",
        "counter",
        "Wall-clock time of ended runs, s.",
        |t| t.duration_s,
    ),
];

/// A label value, escaped as the format requires.
fn esc(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The metrics text of a ledger.
pub fn render(l: &SqliteLedger) -> ApiResult<String> {
    let rows = l.scope_totals()?;
    // Rows come per cost currency: merge them per site, kind and product for the other families.
    let mut merged: BTreeMap<(String, String, String), ScopeTotals> = BTreeMap::new();
    for r in &rows {
        let m = merged
            .entry((r.site.clone(), r.kind.clone(), r.product.clone()))
            .or_insert_with(|| ScopeTotals {
                site: r.site.clone(),
                kind: r.kind.clone(),
                product: r.product.clone(),
                ..Default::default()
            });
        m.runs += r.runs;
        m.cpu_j += r.cpu_j;
        m.gpu_j += r.gpu_j;
        m.ram_j += r.ram_j;
        m.facility_j += r.facility_j;
        m.co2e_location_g += r.co2e_location_g;
        m.co2e_market_g += r.co2e_market_g;
        m.embodied_g += r.embodied_g;
        m.water_l += r.water_l;
        m.duration_s += r.duration_s;
    }
    let labels = |t: &ScopeTotals| {
        format!(
            "site=\"{}\",kind=\"{}\",product=\"{}\"",
            esc(&t.site),
            esc(&t.kind),
            esc(&t.product)
        )
    };
    let mut o = String::new();
    for (name, kind, help, value) in FAMILIES {
        let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for t in merged.values() {
            let _ = writeln!(o, "{name}{{{}}} {}", labels(t), value(t));
        }
    }
    let _ = writeln!(
        o,
        "# HELP sustain_cost_total Cost of ended runs (energy and hardware-hours), in units of the currency label.\n# TYPE sustain_cost_total counter"
    );
    for t in rows.iter().filter(|t| !t.currency.is_empty()) {
        let _ = writeln!(
            o,
            "sustain_cost_total{{{},currency=\"{}\"}} {}",
            labels(t),
            esc(&t.currency),
            t.cost
        );
    }
    let _ = writeln!(
        o,
        "# HELP sustain_runs_without_cost_total Ended runs without a cost (no price or rate known).\n# TYPE sustain_runs_without_cost_total counter"
    );
    for t in rows.iter().filter(|t| t.currency.is_empty()) {
        let _ = writeln!(
            o,
            "sustain_runs_without_cost_total{{{}}} {}",
            labels(t),
            t.runs
        );
    }
    Ok(o)
}

/// The gauge of open runs (not cached: a run's start does not change the revision).
fn open_runs(l: &SqliteLedger) -> ApiResult<String> {
    Ok(format!(
        "# HELP sustain_runs_open Runs started and not ended.\n# TYPE sustain_runs_open gauge\nsustain_runs_open {}\n",
        l.open_runs()?.len()
    ))
}

/// All-time totals in the Prometheus text format, by site, kind and product.
#[utoipa::path(
    get,
    path = "/metrics",
    extensions(("x-role" = json!(Role::Viewer))),
    responses(
        (status = 200, description = "The metric families (text format 0.0.4)",
            content((String = "text/plain; version=0.0.4; charset=utf-8")))
    )
)]
pub async fn metrics(_auth: Viewer, State(state): State<AppState>) -> ApiResult<impl IntoResponse> {
    let st = state.clone();
    let text = state
        .ledger(move |l| {
            Ok(format!(
                "{}{}",
                st.cache().metrics(l, render)?,
                open_runs(l)?
            ))
        })
        .await?;
    Ok(([(header::CONTENT_TYPE, CONTENT_TYPE)], text))
}
