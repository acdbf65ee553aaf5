//! The overview: the whole company's headline figures of this month against the previous
//! month. It is what the front page shows, so it has its own fast path: the run totals of the two
//! months are summed by SQLite over the rollup's range (`Views::period_totals`), usage and cost
//! lines are added as the report crate adds them, and nothing else is computed. A test checks the
//! figures against `sustain_report::accounts`' headline; the result is cached by revision like
//! the accounts.

use std::collections::BTreeMap;

use chrono::Utc;
use serde::Serialize;
use sustain_ledger::{Business, Group, InvalidRecord, SqliteLedger, TotalsQuery, Views};
use sustain_report::Period;
use sustain_report::accounts::Headline;

use crate::error::ApiResult;

/// This month against the previous one, for the whole company.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Overview {
    /// This month's headline figures.
    pub headline: Headline,
    /// The previous month's.
    pub previous: Headline,
    /// Change of each figure in percent (none when the previous month had none of it).
    pub change_pct: Change,
    /// Whether this month holds any runs, usage or cost lines.
    pub has_data: bool,
    /// This month's records left out of the figures because a figure of theirs is outside its
    /// plausible bounds (only an older ledger holds them); absent when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded: Vec<InvalidRecord>,
}

/// Changes in percent.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Change {
    /// Runs.
    pub runs: Option<f64>,
    /// Facility energy.
    pub energy_wh: Option<f64>,
    /// Location-based carbon.
    pub co2e_location_g: Option<f64>,
    /// Water.
    pub water_l: Option<f64>,
    /// Requests.
    pub requests: Option<f64>,
}

fn pct(now: f64, before: f64) -> Option<f64> {
    (before != 0.0).then(|| 100.0 * (now - before) / before)
}

/// The company's headline of `period`, and whether it has any data.
fn headline(l: &SqliteLedger, period: &Period) -> ApiResult<(Headline, bool)> {
    let runs = l.period_totals(period.start(), period.end())?;
    let usage = l.usage_totals(period.from, period.to)?;
    let lines = l.cost_lines(period.from, period.to)?;
    let mut cost = runs.cost.clone();
    for c in &lines {
        *cost.entry(c.currency.clone()).or_default() += c.amount;
    }
    let mut revenue: BTreeMap<String, f64> = BTreeMap::new();
    for u in &usage {
        *revenue.entry(u.currency.clone()).or_default() += u.revenue;
    }
    // Carbon avoided by scheduling (plans for execution), as the report's headline has it.
    let avoided = l
        .avoided_carbon(&TotalsQuery {
            from: period.start(),
            to: period.end(),
            tag: None,
            site: None,
            kind: None,
            group: Group::All,
        })?
        .first()
        .map(|t| t.avoided_co2e_g);
    let has_data = runs.runs > 0 || !usage.is_empty() || !lines.is_empty() || avoided.is_some();
    Ok((
        Headline {
            period: period.label.clone(),
            runs: runs.runs,
            energy_wh: runs.facility_j / 3600.0,
            co2e_location_g: runs.co2e_location_g,
            embodied_co2e_g: runs.embodied_g,
            avoided_co2e_g: avoided,
            water_l: runs.water_l,
            cost,
            revenue,
            requests: usage.iter().map(|u| u.requests).sum(),
        },
        has_data,
    ))
}

/// The current month (UTC).
pub fn this_month() -> ApiResult<Period> {
    Ok(Period::parse(&Utc::now().format("%Y-%m").to_string())?)
}

/// The overview of `month` (this month in the API).
pub fn compute(l: &SqliteLedger, month: &Period) -> ApiResult<Overview> {
    let (h, has_data) = headline(l, month)?;
    let (p, _) = headline(l, &month.previous())?;
    let excluded = l.invalid_records(&TotalsQuery {
        from: month.start(),
        to: month.end(),
        tag: None,
        site: None,
        kind: None,
        group: Group::All,
    })?;
    Ok(Overview {
        change_pct: Change {
            runs: pct(h.runs as f64, p.runs as f64),
            energy_wh: pct(h.energy_wh, p.energy_wh),
            co2e_location_g: pct(h.co2e_location_g, p.co2e_location_g),
            water_l: pct(h.water_l, p.water_l),
            requests: pct(h.requests as f64, p.requests as f64),
        },
        headline: h,
        previous: p,
        has_data,
        excluded,
    })
}
