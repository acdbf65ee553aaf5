//! The charts of a report, as SVG markup (built by `sustain_core::chart` with maud, so every
//! label is escaped): carbon and energy by month, carbon by site and by model, cost against
//! revenue, and each target's planned and actual path.

use maud::Markup;
use sustain_core::chart::{Bar, Series, bar_svg, line_svg};

use crate::accounts::{Accounts, Breakdown};
use crate::figures::fig;
use crate::targets::Progress;

fn bars(rows: &[Breakdown], f: fn(&Breakdown) -> f64, unit: &str) -> Vec<Bar> {
    rows.iter()
        .map(|b| Bar {
            label: b.group.clone(),
            value: f(b).max(0.0),
            annotation: format!("{} {unit}", fig(f(b))),
        })
        .collect()
}

/// The charts of `a` and its `targets`: (caption, SVG).
pub fn charts(a: &Accounts, targets: &[Progress]) -> Vec<(String, Markup)> {
    let e = &a.environmental;
    let mut out = Vec::new();
    if !e.by_month.is_empty() {
        out.push((
            "Carbon by month".to_string(),
            bar_svg(
                "Location-based carbon by month",
                "gCO2e",
                &bars(&e.by_month, |b| b.co2e_location_g, "g"),
            ),
        ));
        out.push((
            "Energy by month".to_string(),
            bar_svg(
                "Facility energy by month",
                "Wh",
                &bars(&e.by_month, |b| b.facility_wh, "Wh"),
            ),
        ));
    }
    if !e.by_site.is_empty() {
        out.push((
            "Carbon by site".to_string(),
            bar_svg(
                "Location-based carbon by site",
                "gCO2e",
                &bars(&e.by_site, |b| b.co2e_location_g, "g"),
            ),
        ));
    }
    if !e.by_model.is_empty() {
        out.push((
            "Carbon by model".to_string(),
            bar_svg(
                "Location-based carbon by model",
                "gCO2e",
                &bars(&e.by_model, |b| b.co2e_location_g, "g"),
            ),
        ));
    }
    let m = &a.economic;
    let money_bars: Vec<Bar> = m
        .total_cost
        .iter()
        .map(|(c, v)| (format!("cost ({c})"), *v, c))
        .chain(
            m.revenue
                .iter()
                .map(|(c, v)| (format!("revenue ({c})"), *v, c)),
        )
        .map(|(label, v, c)| Bar {
            label,
            value: v.max(0.0),
            annotation: format!("{v:.2} {c}"),
        })
        .collect();
    if !money_bars.is_empty() {
        out.push((
            "Cost and revenue".to_string(),
            bar_svg("Cost against revenue", "amount", &money_bars),
        ));
    }
    for p in targets {
        let (Some(b), Some(g), Some(v)) = (p.baseline_value, p.goal_value, p.value) else {
            continue;
        };
        let Ok(baseline) = crate::Period::parse(&p.target.baseline) else {
            continue;
        };
        let days = |d: chrono::NaiveDate| (d - baseline.to).num_days() as f64;
        let now = a.period.to.min(p.target.by);
        out.push((
            format!("Target {}", p.target.name),
            line_svg(
                &format!("Target {}: {} ({})", p.target.name, p.target.metric, p.unit),
                &format!("days after the baseline {}", p.target.baseline),
                &p.unit,
                &[
                    Series {
                        name: "planned".into(),
                        points: vec![(0.0, b), (days(p.target.by), g)],
                    },
                    Series {
                        name: "actual".into(),
                        points: vec![(0.0, b), (days(now), v)],
                    },
                ],
            ),
        ));
    }
    out
}
