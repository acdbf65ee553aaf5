//! Strategy targets: the metrics they can track, and their progress. A target runs in a straight
//! line from its baseline value (the metric over the baseline period, at that period's end) to
//! its goal on its deadline; a period is on track when its value is at or beyond that line at the
//! period's end.

use chrono::NaiveDate;
use serde::Serialize;
use sustain_core::business::{Goal, Target};
use sustain_ledger::Business;

use crate::accounts::{Accounts, accounts};
use crate::error::{ReportError, Result};
use crate::period::Period;
use crate::scope::Scope;

/// Whether less or more of a metric is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    /// Less is better (carbon, energy, cost).
    Lower,
    /// More is better (revenue, profit, measured share).
    Higher,
}

/// The metrics a target can track: name, unit, which way is better, what it is.
pub const METRICS: &[(&str, &str, Better, &str)] = &[
    ("energy_wh", "Wh", Better::Lower, "facility energy"),
    (
        "co2e_location_g",
        "g",
        Better::Lower,
        "location-based carbon",
    ),
    ("co2e_market_g", "g", Better::Lower, "market-based carbon"),
    (
        "co2e_embodied_g",
        "g",
        Better::Lower,
        "embodied carbon (modelled)",
    ),
    ("water_l", "L", Better::Lower, "water"),
    (
        "co2e_per_1k_requests",
        "g",
        Better::Lower,
        "location-based carbon per 1,000 requests",
    ),
    (
        "sci_per_1k_requests",
        "g",
        Better::Lower,
        "SCI per 1,000 requests: location-based plus embodied carbon",
    ),
    (
        "sci_per_training_run",
        "g",
        Better::Lower,
        "SCI per training run: location-based plus embodied carbon of training runs",
    ),
    (
        "wh_per_1k_requests",
        "Wh",
        Better::Lower,
        "facility energy per 1,000 requests",
    ),
    (
        "co2e_per_revenue",
        "g per currency unit",
        Better::Lower,
        "location-based carbon per unit of revenue",
    ),
    (
        "cost",
        "currency",
        Better::Lower,
        "total cost (one currency)",
    ),
    (
        "cost_per_1k_requests",
        "currency",
        Better::Lower,
        "total cost per 1,000 requests",
    ),
    (
        "revenue",
        "currency",
        Better::Higher,
        "revenue (one currency)",
    ),
    (
        "profit",
        "currency",
        Better::Higher,
        "profit (one currency)",
    ),
    ("margin", "ratio", Better::Higher, "profit / revenue"),
    (
        "measured_share",
        "ratio",
        Better::Higher,
        "share of IT energy measured by counters",
    ),
    ("requests", "requests", Better::Higher, "requests served"),
    (
        "social_index",
        "score 0-100",
        Better::Higher,
        "the social index of the configured indicators",
    ),
    (
        "demographic_parity_difference",
        "ratio",
        Better::Lower,
        "worst demographic parity difference of the period's evaluations",
    ),
    (
        "equalized_odds_difference",
        "ratio",
        Better::Lower,
        "worst equalized odds difference of the period's evaluations",
    ),
];

/// Looks a metric up; the error lists them all.
pub fn metric(name: &str) -> Result<(&'static str, &'static str, Better)> {
    METRICS
        .iter()
        .find(|m| m.0 == name)
        .map(|m| (m.0, m.1, m.2))
        .ok_or_else(|| ReportError::Invalid {
            what: "--metric".into(),
            value: name.into(),
            expected: format!(
                "one of {}",
                METRICS.iter().map(|m| m.0).collect::<Vec<_>>().join(", ")
            ),
        })
}

fn single(m: &std::collections::BTreeMap<String, f64>) -> Option<f64> {
    (m.len() == 1).then(|| m.values().next().copied()).flatten()
}

/// The value of `metric` in `a`; none when the accounts do not have it (no requests, no
/// revenue, several currencies, no market-based figure).
pub fn value(a: &Accounts, metric: &str) -> Option<f64> {
    let e = &a.environmental;
    let m = &a.economic;
    let per_1k = |v: f64| (m.requests > 0).then(|| v * 1e3 / m.requests as f64);
    match metric {
        "energy_wh" => Some(e.energy_wh.facility),
        "co2e_location_g" => Some(e.co2e_location_g),
        "co2e_market_g" => e.co2e_market_g,
        "co2e_embodied_g" => e.embodied_co2e_g,
        "water_l" => Some(e.water_l),
        "sci_per_1k_requests" => per_1k(e.co2e_location_g + e.embodied_co2e_g.unwrap_or(0.0)),
        "sci_per_training_run" => e
            .by_kind
            .iter()
            .find(|b| b.group == "train" && b.runs > 0)
            .map(|b| (b.co2e_location_g + b.embodied_co2e_g) / b.runs as f64),
        "co2e_per_1k_requests" => per_1k(e.co2e_location_g),
        "wh_per_1k_requests" => per_1k(e.energy_wh.facility),
        "co2e_per_revenue" => single(&m.revenue)
            .filter(|r| *r > 0.0)
            .map(|r| e.co2e_location_g / r),
        "cost" => single(&m.total_cost),
        "cost_per_1k_requests" => single(&m.total_cost).and_then(per_1k),
        "revenue" => single(&m.revenue),
        "profit" => single(&m.profit),
        "margin" => m
            .margin
            .values()
            .next()
            .copied()
            .flatten()
            .filter(|_| m.margin.len() == 1),
        "measured_share" => (e.energy_wh.it > 0.0).then_some(e.measured_share),
        "requests" => Some(m.requests as f64),
        "social_index" => a.social.index.as_ref().and_then(|i| i.score),
        "demographic_parity_difference" => a
            .social
            .fairness
            .iter()
            .map(|f| f.demographic_parity_difference[0])
            .reduce(f64::max),
        "equalized_odds_difference" => a
            .social
            .fairness
            .iter()
            .filter_map(|f| f.equalized_odds_difference.map(|d| d[0]))
            .reduce(f64::max),
        _ => None,
    }
}

/// Checks a new target: its metric, scope and baseline exist and the deadline is after the
/// baseline.
pub fn check(t: &Target) -> Result<()> {
    metric(&t.metric)?;
    Scope::parse(&t.scope)?;
    let baseline = Period::parse(&t.baseline)?;
    if t.by < baseline.to {
        return Err(ReportError::Invalid {
            what: "--by".into(),
            value: t.by.to_string(),
            expected: format!(
                "a deadline after the baseline period {} (which ends on {})",
                baseline.label,
                baseline.to.pred_opt().unwrap_or(baseline.to)
            ),
        });
    }
    if let Goal::Relative(f) = t.goal
        && f == 0.0
    {
        return Err(ReportError::Invalid {
            what: "--goal".into(),
            value: "0%".into(),
            expected: "a change such as -30%".into(),
        });
    }
    Ok(())
}

/// How a target stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// The goal is met.
    Achieved,
    /// At or beyond the straight line to the goal.
    OnTrack,
    /// Behind the line.
    OffTrack,
    /// The baseline or the period has no value for the metric.
    NoData,
}

impl Verdict {
    /// The verdict as in JSON: `achieved`, `on-track`, `off-track`, `no-data`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Achieved => "achieved",
            Verdict::OnTrack => "on-track",
            Verdict::OffTrack => "off-track",
            Verdict::NoData => "no-data",
        }
    }
}

/// A target's progress as of a period.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Progress {
    /// The target.
    pub target: Target,
    /// The metric's unit.
    pub unit: String,
    /// Which way is better.
    pub better: Better,
    /// The period it is judged on.
    pub period: String,
    /// Value over the baseline period.
    pub baseline_value: Option<f64>,
    /// Goal value.
    pub goal_value: Option<f64>,
    /// Value over the period.
    pub value: Option<f64>,
    /// Where the straight line from baseline to goal is at the period's end.
    pub expected: Option<f64>,
    /// Share of the way from baseline to goal covered (1 = goal met).
    pub progress: Option<f64>,
    /// The verdict.
    pub verdict: Verdict,
    /// The verdict in words, with its figures.
    pub explanation: String,
}

/// The period `t` is judged on: `given` when there is one, else the period of the same kind as
/// its baseline (month, quarter, half, year) that contains `today`. `sustain target list`, the
/// API's targets and the targets page all judge a target here.
pub fn judged_on(t: &Target, given: Option<&Period>, today: NaiveDate) -> Result<Period> {
    match given {
        Some(p) => Ok(p.clone()),
        None => Ok(Period::parse(&t.baseline)?.like_containing(today)),
    }
}

/// The progress of every target of the ledger, each judged on [`judged_on`]`(given, today)`.
pub fn all(
    ledger: &impl Business,
    given: Option<&Period>,
    today: NaiveDate,
) -> Result<Vec<Progress>> {
    ledger
        .targets()?
        .iter()
        .map(|t| progress(ledger, t, &judged_on(t, given, today)?))
        .collect()
}

/// The progress of the targets whose scope is `scope`, judged on `period`: the targets of a
/// report.
pub fn of_scope(ledger: &impl Business, scope: &Scope, period: &Period) -> Result<Vec<Progress>> {
    ledger
        .targets()?
        .iter()
        .filter(|t| Scope::parse(&t.scope).is_ok_and(|s| s == *scope))
        .map(|t| progress(ledger, t, period))
        .collect()
}

/// The progress of `t` as of `period`.
pub fn progress(ledger: &impl Business, t: &Target, period: &Period) -> Result<Progress> {
    let (_, unit, better) = metric(&t.metric)?;
    let scope = Scope::parse(&t.scope)?;
    let baseline = Period::parse(&t.baseline)?;
    let base = value(&accounts(ledger, &baseline, &scope)?, &t.metric);
    let now = value(&accounts(ledger, period, &scope)?, &t.metric);
    let goal = base.map(|b| t.goal.value(b));
    let start = baseline.to;
    let at = period.to.min(t.by);
    let fraction = |d: NaiveDate| {
        let total = (t.by - start).num_days().max(1) as f64;
        ((d - start).num_days() as f64 / total).clamp(0.0, 1.0)
    };
    let expected = base.zip(goal).map(|(b, g)| b + (g - b) * fraction(at));
    let beyond = |v: f64, line: f64| match better {
        Better::Lower => v <= line,
        Better::Higher => v >= line,
    };
    let (verdict, progress, explanation) = match (base, goal, now, expected) {
        (Some(b), Some(g), Some(v), Some(line)) => {
            let progress = if g != b {
                Some((v - b) / (g - b))
            } else {
                None
            };
            let fmt = |x: f64| sustain_core::format::sig(x);
            let verdict = if beyond(v, g) {
                Verdict::Achieved
            } else if beyond(v, line) {
                Verdict::OnTrack
            } else {
                Verdict::OffTrack
            };
            let words = match verdict {
                Verdict::Achieved => format!(
                    "achieved: {} {unit} in {} against a goal of {} {unit} by {} (baseline {} {unit} in {})",
                    fmt(v),
                    period.label,
                    fmt(g),
                    t.by,
                    fmt(b),
                    baseline.label
                ),
                Verdict::OnTrack => format!(
                    "on track: {} {unit} in {}, at or beyond the {} {unit} a straight line from the baseline ({} {unit}, {}) to the goal ({} {unit} by {}) expects by {}",
                    fmt(v),
                    period.label,
                    fmt(line),
                    fmt(b),
                    baseline.label,
                    fmt(g),
                    t.by,
                    at
                ),
                _ => format!(
                    "off track: {} {unit} in {}, behind the {} {unit} a straight line from the baseline ({} {unit}, {}) to the goal ({} {unit} by {}) expects by {}",
                    fmt(v),
                    period.label,
                    fmt(line),
                    fmt(b),
                    baseline.label,
                    fmt(g),
                    t.by,
                    at
                ),
            };
            (verdict, progress, words)
        }
        (None, ..) => (
            Verdict::NoData,
            None,
            format!(
                "no data: the baseline period {} has no value of {} for {}",
                baseline.label, t.metric, t.scope
            ),
        ),
        _ => (
            Verdict::NoData,
            None,
            format!(
                "no data: {} has no value of {} for {}",
                period.label, t.metric, t.scope
            ),
        ),
    };
    Ok(Progress {
        target: t.clone(),
        unit: unit.to_string(),
        better,
        period: period.label.clone(),
        baseline_value: base,
        goal_value: goal,
        value: now,
        expected,
        progress,
        verdict,
        explanation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_read_as_in_json() {
        for v in [
            Verdict::Achieved,
            Verdict::OnTrack,
            Verdict::OffTrack,
            Verdict::NoData,
        ] {
            assert_eq!(serde_json::to_value(v).unwrap(), v.as_str());
        }
    }
}
