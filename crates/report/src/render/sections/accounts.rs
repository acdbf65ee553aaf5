//! The accounts' sections of a report: the title, the summary against the previous period, the
//! environmental account (with the carbon avoided by scheduling, where any is recorded) and the
//! economic account.

use sustain_ledger::AvoidedTotals;

use crate::accounts::{Accounts, Avoided, Breakdown};
use crate::figures::{change, fig, money};
use crate::render::doc::{Align, Doc, Line, Table, code, lit, strong, text};

use Align::{Left as L, Right as R};

/// The title and the period's line; with no data, the section that says so.
pub fn title(d: &mut Doc, a: &Accounts) {
    d.heading(
        1,
        vec![
            lit("Sustain report: "),
            text(&a.period.label),
            lit(", "),
            text(&a.scope),
        ],
    );
    d.para(vec![
        text(format!(
            "Period {} to {} (UTC, runs by their start); scope ",
            a.period.from,
            a.period.to.pred_opt().unwrap_or(a.period.to)
        )),
        code(&a.scope),
        lit("."),
    ]);
    excluded(d, a);
    if !a.has_data {
        d.heading(2, vec![lit("No data")]);
        d.para(vec![
            lit("The ledger holds no runs, usage or cost lines for "),
            text(&a.scope),
            lit(" in "),
            text(&a.period.label),
            lit(". Record runs with "),
            code("sustain run --tag ..."),
            lit(", usage with "),
            code("sustain usage add"),
            lit(", costs with "),
            code("sustain cost add"),
            lit("."),
        ]);
    }
}

/// A warning naming the records left out of the figures (none on a ledger within bounds).
fn excluded(d: &mut Doc, a: &Accounts) {
    if a.excluded.is_empty() {
        return;
    }
    d.para(vec![
        strong("Warning:"),
        text(format!(
            " {} record(s) of this period are left out of every figure below: a figure of theirs is outside its plausible bounds (",
            a.excluded.len()
        )),
        code("docs/reference/bounds.md"),
        lit(")."),
    ]);
    d.list(
        a.excluded
            .iter()
            .map(|r| {
                vec![text(format!(
                    "{} {} ({}): {}",
                    r.kind.as_str().replace('_', " "),
                    r.id,
                    r.day,
                    r.problem
                ))]
            })
            .collect(),
    );
}

/// This period against the previous one.
pub fn summary(d: &mut Doc, a: &Accounts) {
    let (h, p) = (&a.headline, &a.previous);
    d.heading(2, vec![lit("Summary")]);
    let mut t = Table::with_head(
        vec![
            vec![],
            vec![text(&h.period)],
            vec![text(&p.period)],
            vec![lit("change")],
        ],
        vec![L, R, R, R],
    );
    let mut row = |name: &'static str, now: String, before: String, ch: String| {
        t.row([lit(name), text(now), text(before), text(ch)]);
    };
    row(
        "runs",
        h.runs.to_string(),
        p.runs.to_string(),
        change(p.runs as f64, h.runs as f64),
    );
    row(
        "facility energy (Wh)",
        fig(h.energy_wh),
        fig(p.energy_wh),
        change(p.energy_wh, h.energy_wh),
    );
    row(
        "CO2e, location-based (g)",
        fig(h.co2e_location_g),
        fig(p.co2e_location_g),
        change(p.co2e_location_g, h.co2e_location_g),
    );
    let opt = |v: Option<f64>| v.map_or("no data".to_string(), fig);
    row(
        "CO2e, embodied (g, modelled)",
        opt(h.embodied_co2e_g),
        opt(p.embodied_co2e_g),
        match (h.embodied_co2e_g, p.embodied_co2e_g) {
            (Some(now), Some(before)) => change(before, now),
            _ => String::new(),
        },
    );
    if h.avoided_co2e_g.is_some() || p.avoided_co2e_g.is_some() {
        // Shown only where scheduling was recorded, so other reports keep their bytes.
        row(
            "CO2e avoided by scheduling (g, modelled, not subtracted)",
            opt(h.avoided_co2e_g),
            opt(p.avoided_co2e_g),
            match (h.avoided_co2e_g, p.avoided_co2e_g) {
                (Some(now), Some(before)) => change(before, now),
                _ => String::new(),
            },
        );
    }
    row(
        "water (L)",
        fig(h.water_l),
        fig(p.water_l),
        change(p.water_l, h.water_l),
    );
    row("cost", money(&h.cost), money(&p.cost), String::new());
    row(
        "revenue",
        money(&h.revenue),
        money(&p.revenue),
        String::new(),
    );
    row(
        "requests",
        h.requests.to_string(),
        p.requests.to_string(),
        change(p.requests as f64, h.requests as f64),
    );
    d.table(t);
}

fn breakdown(d: &mut Doc, title: &'static str, head: &'static str, rows: &[Breakdown]) {
    if rows.is_empty() {
        return;
    }
    d.heading(3, vec![lit(title)]);
    let mut t = Table::new(&[
        (head, L),
        ("runs", R),
        ("IT energy (Wh)", R),
        ("facility energy (Wh)", R),
        ("CO2e location (g)", R),
        ("water (L)", R),
    ]);
    for r in rows {
        t.row([
            text(&r.group),
            text(r.runs.to_string()),
            text(fig(r.energy_wh)),
            text(fig(r.facility_wh)),
            text(fig(r.co2e_location_g)),
            text(fig(r.water_l)),
        ]);
    }
    d.table(t);
}

/// The environmental account: energy by component, carbon, water, renewables, breakdowns and
/// the per-unit figures of each product.
pub fn environmental(d: &mut Doc, a: &Accounts) {
    let e = &a.environmental;
    d.heading(2, vec![lit("Environmental account")]);
    let mut t = Table::new(&[
        ("energy (Wh)", L),
        ("CPU", R),
        ("GPU", R),
        ("memory", R),
        ("IT", R),
        ("facility (IT x PUE)", R),
    ]);
    let w = &e.energy_wh;
    t.row_lines(
        [
            None,
            Some(w.cpu),
            Some(w.gpu),
            Some(w.ram),
            Some(w.it),
            Some(w.facility),
        ]
        .into_iter()
        .map(|v| v.map_or(vec![], |v| vec![text(fig(v))]))
        .collect(),
    );
    d.table(t);
    d.para(vec![text(format!(
        "{:.1} % of the IT energy was measured by hardware counters, the rest modelled.",
        100.0 * e.measured_share
    ))]);
    let mut items = vec![vec![
        lit("CO2e, location-based: "),
        strong(format!("{} g", fig(e.co2e_location_g))),
    ]];
    items.push(match e.co2e_market_g {
        Some(m) => vec![
            lit("CO2e, market-based: "),
            strong(format!("{} g", fig(m))),
            text(format!(
                " ({} of {} runs; reported apart, never added)",
                e.market_runs, e.runs
            )),
        ],
        None => vec![lit(
            "CO2e, market-based: no data (no run's site has a contractual factor)",
        )],
    });
    items.push(match e.embodied_co2e_g {
        Some(m) => vec![
            lit("CO2e, embodied (modelled; hardware manufacturing amortized over its lifetime): "),
            strong(format!("{} g", fig(m))),
            text(format!(
                " ({} of {} runs; reported apart, never added to the operational figures)",
                e.embodied_runs, e.runs
            )),
        ],
        None => vec![lit(
            "CO2e, embodied: no data (no run recorded its host's embodied figures)",
        )],
    });
    items.push(vec![
        lit("water: "),
        strong(format!("{} L", fig(e.water_l))),
    ]);
    if let Some(a) = &e.avoided {
        items.push(vec![
            lit("CO2e avoided by carbon-aware scheduling ("),
            text(&a.method),
            lit("): "),
            strong(format!("{} g", fig(a.total.avoided_co2e_g))),
            text(format!(
                " ({} jobs of plans for execution; reported beside the actual carbon, never subtracted from it)",
                a.total.jobs
            )),
        ]);
    }
    items.push(match e.renewable_share {
        Some(r) => vec![
            lit("renewable share of the electricity: "),
            strong(format!("{:.1} %", 100.0 * r)),
            text(format!(
                " (each site's grid mix; covers {:.0} % of the facility energy)",
                100.0 * e.renewable_coverage
            )),
        ],
        None => vec![lit(
            "renewable share: no data (no run's site has a known grid mix)",
        )],
    });
    d.list(items);
    breakdown(d, "By site", "site", &e.by_site);
    breakdown(d, "By kind of run", "kind", &e.by_kind);
    breakdown(d, "By month", "month", &e.by_month);
    breakdown(d, "By model", "model", &e.by_model);
    if let Some(a) = &e.avoided {
        avoided(d, a);
    }
    if !e.per_product.is_empty() {
        d.heading(3, vec![lit("Per functional unit")]);
        d.para(vec![
            lit("Operational carbon is location-based; the SCI adds the embodied carbon the runs recorded: "),
            code("SCI = (E x I + M) / R"),
            lit("."),
        ]);
        let mut t = Table::new(&[
            ("product", L),
            ("runs", R),
            ("training runs", R),
            ("requests", R),
            ("tokens", R),
            ("Wh / 1k requests", R),
            ("g CO2e / 1k requests", R),
            ("SCI g / 1k requests", R),
            ("SCI g / 1k tokens", R),
            ("SCI g / training run", R),
        ]);
        let opt = |v: Option<f64>| text(v.map_or("—".to_string(), fig));
        for u in &e.per_product {
            t.row([
                text(&u.product),
                text(u.runs.to_string()),
                text(u.training_runs.to_string()),
                text(u.requests.to_string()),
                text(u.tokens.to_string()),
                opt(u.wh_per_1k_requests),
                opt(u.co2e_g_per_1k_requests),
                opt(u.sci_g_per_1k_requests),
                opt(u.sci_g_per_1k_tokens),
                opt(u.sci_g_per_training_run),
            ]);
        }
        d.table(t);
    }
}

/// The carbon avoided by scheduling: all the jobs counted, then by site and by month.
fn avoided(d: &mut Doc, a: &Avoided) {
    d.heading(3, vec![lit("Carbon avoided by scheduling")]);
    d.para(vec![
        lit("Modelled against "),
        code("fifo"),
        lit(" on the true series: each job of a plan for execution, as scheduled (or as it ran, where an outcome is recorded), against the same job run at its submit time at its home site, on the same intensity series ("),
        code("docs/methods/avoided-carbon.md"),
        lit("). Beside the actual carbon above, never subtracted from it."),
    ]);
    let mut t = Table::new(&[
        ("", L),
        ("jobs", R),
        ("shifted", R),
        ("moved", R),
        ("with outcome", R),
        ("CO2e fifo (g)", R),
        ("CO2e scheduled (g)", R),
        ("CO2e avoided (g)", R),
    ]);
    let mut row = |group: Line, r: &AvoidedTotals| {
        t.row_lines(vec![
            group,
            vec![text(r.jobs.to_string())],
            vec![text(r.shifted_jobs.to_string())],
            vec![text(r.moved_jobs.to_string())],
            vec![text(r.jobs_with_outcome.to_string())],
            vec![text(fig(r.baseline_co2e_g))],
            vec![text(fig(r.scheduled_co2e_g))],
            vec![strong(fig(r.avoided_co2e_g))],
        ]);
    };
    row(vec![lit("all")], &a.total);
    for r in &a.by_site {
        row(vec![lit("site "), text(&r.group)], r);
    }
    for r in &a.by_month {
        row(vec![lit("month "), text(&r.group)], r);
    }
    d.table(t);
}

/// The economic account: cost, revenue, profit, margin and per-unit figures; usage by product.
pub fn economic(d: &mut Doc, a: &Accounts) {
    let m = &a.economic;
    d.heading(2, vec![lit("Economic account")]);
    let mut t = Table::new(&[("", L), ("amount", R)]);
    t.row([
        lit("run cost (energy, hardware-hours)"),
        text(money(&m.run_cost)),
    ]);
    for (cat, v) in &m.cost_lines_by_category {
        t.row_lines(vec![
            vec![lit("cost lines: "), text(cat)],
            vec![text(money(v))],
        ]);
    }
    t.row([strong("total cost"), strong(money(&m.total_cost))]);
    t.row([lit("revenue"), text(money(&m.revenue))]);
    t.row([strong("profit"), strong(money(&m.profit))]);
    for (c, v) in &m.margin {
        t.row_lines(vec![
            vec![lit("margin ("), text(c), lit(")")],
            vec![text(v.map_or("— (no revenue)".to_string(), |v| {
                format!("{:.1} %", 100.0 * v)
            }))],
        ]);
    }
    for (c, v) in &m.cost_per_1k_requests {
        if let Some(v) = v {
            t.row_lines(vec![
                vec![lit("cost per 1k requests ("), text(c), lit(")")],
                vec![text(format!("{v:.4}"))],
            ]);
        }
    }
    for (c, v) in &m.co2e_g_per_revenue {
        if let Some(v) = v {
            t.row_lines(vec![
                vec![lit("CO2e per "), text(c), lit(" of revenue (g)")],
                vec![text(fig(*v))],
            ]);
        }
    }
    d.table(t);
    if !m.usage.is_empty() {
        let mut t = Table::new(&[
            ("product", L),
            ("requests", R),
            ("tokens", R),
            ("revenue", R),
        ]);
        for u in &m.usage {
            t.row([
                text(&u.product),
                text(u.requests.to_string()),
                text(u.tokens.to_string()),
                text(format!("{:.2} {}", u.revenue, u.currency)),
            ]);
        }
        d.table(t);
    }
}
