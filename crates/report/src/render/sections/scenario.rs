//! A scenario's section: the actual figures and the scenario's side by side, then what each
//! lever moved and on what basis.

use crate::figures::{change, fig};
use crate::render::doc::{Align, Doc, Table, lit, text};
use crate::scenario::ScenarioResult;

use Align::{Left as L, Right as R};

/// One scenario's result.
pub fn scenario(d: &mut Doc, r: &ScenarioResult) {
    d.heading(
        3,
        vec![
            lit("Scenario "),
            text(&r.name),
            lit(": "),
            text(&r.period),
            lit(", "),
            text(&r.scope),
        ],
    );
    if !r.description.is_empty() {
        d.para(vec![text(&r.description)]);
    }
    let mut t = Table::new(&[("figure", L), ("actual", R), ("scenario", R), ("change", R)]);
    let (a, s) = (&r.actual, &r.scenario);
    let mut row = |name: Vec<crate::render::doc::Span>, x: f64, y: f64| {
        t.row_lines(vec![
            name,
            vec![text(fig(x))],
            vec![text(fig(y))],
            vec![text(change(x, y))],
        ]);
    };
    let named = |n: &'static str| vec![lit(n)];
    let per = |n: &'static str, c: &str| vec![lit(n), lit(" ("), text(c), lit(")")];
    row(named("IT energy (Wh)"), a.it_wh, s.it_wh);
    row(named("facility energy (Wh)"), a.facility_wh, s.facility_wh);
    row(
        named("CO2e, location-based (g)"),
        a.co2e_location_g,
        s.co2e_location_g,
    );
    if a.co2e_market_g.is_some() || s.co2e_market_g.is_some() {
        row(
            named("CO2e, market-based (g, covered energy)"),
            a.co2e_market_g.unwrap_or(0.0),
            s.co2e_market_g.unwrap_or(0.0),
        );
    }
    if a.embodied_co2e_g > 0.0 || s.embodied_co2e_g > 0.0 {
        row(
            named("CO2e, embodied (g, modelled)"),
            a.embodied_co2e_g,
            s.embodied_co2e_g,
        );
    }
    row(named("water (L)"), a.water_l, s.water_l);
    for (c, v) in &a.cost {
        row(per("cost", c), *v, s.cost.get(c).copied().unwrap_or(0.0));
    }
    for (c, v) in s.cost.iter().filter(|(c, _)| !a.cost.contains_key(*c)) {
        row(per("cost", c), 0.0, *v);
    }
    for (c, v) in &a.revenue {
        row(
            per("revenue", c),
            *v,
            s.revenue.get(c).copied().unwrap_or(0.0),
        );
    }
    for (c, v) in &a.profit {
        row(
            per("profit", c),
            *v,
            s.profit.get(c).copied().unwrap_or(0.0),
        );
    }
    if a.requests > 0.0 || s.requests > 0.0 {
        row(named("requests"), a.requests, s.requests);
    }
    if let (Some(x), Some(y)) = (a.co2e_g_per_1k_requests, s.co2e_g_per_1k_requests) {
        row(named("CO2e per 1k requests (g)"), x, y);
    }
    d.table(t);
    let mut t = Table::new(&[
        ("#", R),
        ("lever", L),
        ("cells", R),
        ("Δ CO2e location (g)", R),
        ("Δ CO2e market (g)", R),
        ("Δ facility energy (Wh)", R),
        ("Δ cost", L),
        ("basis", L),
    ]);
    for e in &r.levers {
        let cost = e
            .cost
            .iter()
            .map(|(c, v)| format!("{v:+.2} {c}"))
            .collect::<Vec<_>>()
            .join(", ");
        t.row([
            text(e.index.to_string()),
            text(&e.label),
            text(e.cells.to_string()),
            text(fig(e.co2e_location_g)),
            text(fig(e.co2e_market_g)),
            text(fig(e.facility_wh)),
            text(if cost.is_empty() { "—".into() } else { cost }),
            text(&e.basis),
        ]);
    }
    d.table(t);
    d.list(r.notes.iter().map(|n| vec![text(n)]).collect());
}
