//! Running a scenario: the period's cells, usage and cost lines, the measured effects of
//! optimization runs, then each lever in order with its marginal effect.

use std::collections::BTreeMap;
use std::path::Path;

use sustain_core::hardware::AcceleratorCatalog;
use sustain_core::site::SiteCatalog;
use sustain_ledger::{Business, Group, TotalsQuery, UsageTotal};

use super::apply::apply;
use super::cells::{State, cell, diff, query};
use super::file::ScenarioFile;
use super::lever::Lever;
use super::result::{LeverEffect, ScenarioResult};
use crate::error::Result;
use crate::period::Period;
use crate::scope::Scope;

/// The inputs of [`run`] besides the ledger.
pub struct Context<'a> {
    /// Sites (with the user's overrides).
    pub sites: &'a SiteCatalog,
    /// Accelerators.
    pub accelerators: &'a AcceleratorCatalog,
    /// The scenario file's path, to resolve relative series paths.
    pub file: Option<&'a Path>,
}

/// Runs `scenario` over `period` and `scope`.
pub fn run(
    ledger: &impl Business,
    scenario: &ScenarioFile,
    period: &Period,
    scope: &Scope,
    ctx: &Context<'_>,
) -> Result<ScenarioResult> {
    let totals = ledger.run_totals(&query(period, scope))?;
    let usage: Vec<UsageTotal> = ledger
        .usage_totals(period.from, period.to)?
        .into_iter()
        .filter(|u| scope.covers_product(&u.product))
        .collect();
    let mut cost_lines = BTreeMap::new();
    for c in ledger.cost_lines(period.from, period.to)? {
        if scope.covers_cost_scope(&c.scope) {
            *cost_lines.entry(c.currency.clone()).or_default() += c.amount;
        }
    }
    let mut st = State {
        cells: totals.iter().map(|t| cell(t, ctx.sites)).collect(),
        usage,
        cost_lines,
    };
    // Measured effects of optimization steps: `sustain compare` records, in the eval run of a
    // pruned or quantized model compared beside its parent, outcomes.effects.energy_factor,
    // with the parent (the model whose runs the lever scales) in the run's `parent` tag.
    let optimizations = ledger.run_outcomes(
        &TotalsQuery {
            from: chrono::DateTime::<chrono::Utc>::MIN_UTC,
            to: period.end(),
            tag: None,
            site: None,
            kind: None,
            group: Group::All,
        },
        &["eval"],
    )?;
    let measured = |kind: &str, model: Option<&str>| -> Option<(f64, String)> {
        optimizations
            .iter()
            .rev()
            .filter(|o| o.status == "succeeded")
            .filter(|o| {
                o.outcomes
                    .pointer("/effects/method")
                    .and_then(|v| v.as_str())
                    == Some(kind)
            })
            .filter(|o| model.is_none_or(|m| o.tags.get("parent").map(String::as_str) == Some(m)))
            .find_map(|o| {
                let f = o.outcomes.pointer("/effects/energy_factor")?.as_f64()?;
                Some((
                    f,
                    format!(
                        "energy × {f:.3}, measured by sustain compare (eval run {})",
                        o.run_id
                    ),
                ))
            })
    };
    let actual = st.figures();
    let mut notes = Vec::new();
    if actual.runs == 0 {
        notes.push(format!(
            "no runs in {} for {}: the levers on runs change nothing",
            period.label,
            scope.label()
        ));
    }
    let mut effects = Vec::new();
    let mut before = actual.clone();
    for (i, l) in scenario.levers.iter().enumerate() {
        let (cells, basis) = apply(l, i + 1, &mut st, ctx, &measured, &mut notes)?;
        let after = st.figures();
        effects.push(LeverEffect {
            index: i + 1,
            label: l.label(),
            cells,
            co2e_location_g: after.co2e_location_g - before.co2e_location_g,
            co2e_market_g: after.co2e_market_g.unwrap_or(0.0) - before.co2e_market_g.unwrap_or(0.0),
            facility_wh: after.facility_wh - before.facility_wh,
            water_l: after.water_l - before.water_l,
            cost: diff(&before.cost, &after.cost),
            revenue: diff(&before.revenue, &after.revenue),
            basis,
        });
        if cells == 0 && !matches!(l, Lever::Price { .. }) {
            notes.push(format!("lever {} ({}) selected no runs", i + 1, l.label()));
        }
        before = after;
    }
    Ok(ScenarioResult {
        name: scenario.name.clone(),
        description: scenario.description.clone(),
        period: period.label.clone(),
        scope: scope.label(),
        actual,
        scenario: before,
        levers: effects,
        notes,
    })
}
