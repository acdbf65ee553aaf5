//! Reports: Markdown for people, JSON and CSV for scripts. Every figure is the accounts' figure
//! (grams to one decimal, money to the cent); JSON and CSV carry full precision.

use std::collections::BTreeMap;
use std::fmt::Write;

use sustain_core::chart::{Bar, Series, bar_chart, line_chart};

use crate::accounts::{Accounts, Breakdown};
use crate::scenario::ScenarioResult;
use crate::sheets::ModelSheet;
use crate::targets::Progress;

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Markdown.
    Markdown,
    /// JSON (the accounts as they are).
    Json,
    /// CSV: `section,metric,group,value,unit`, one figure per row.
    Csv,
    /// One self-contained HTML file (inline CSS and SVG charts; opens offline).
    Html,
}

impl Format {
    /// Parses `md`, `json` or `csv`.
    pub fn parse(s: &str) -> crate::Result<Self> {
        match s {
            "md" | "markdown" => Ok(Format::Markdown),
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            "html" => Ok(Format::Html),
            other => Err(crate::ReportError::Invalid {
                what: "--format".into(),
                value: other.into(),
                expected: "md, html, json or csv".into(),
            }),
        }
    }
}

/// The sections of a full report beyond the accounts and targets.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Extras {
    /// The saved scenarios, run over the report's period and scope.
    pub scenarios: Vec<ScenarioResult>,
    /// Per-model sheets of the models trained in the period.
    pub model_sheets: Vec<ModelSheet>,
    /// The strategy map, Mermaid source (empty without targets and scenarios).
    pub strategy_map: String,
    /// Saved scenarios that could not be run over this period, and why.
    pub scenario_errors: Vec<String>,
}

/// Renders `a`, and the progress of the targets of its scope, in `format`.
pub fn render(a: &Accounts, targets: &[Progress], format: Format) -> String {
    render_full(a, targets, &Extras::default(), format)
}

/// Renders the accounts, targets, strategy map, scenarios and model sheets in `format`.
pub fn render_full(a: &Accounts, targets: &[Progress], x: &Extras, format: Format) -> String {
    match format {
        Format::Markdown => markdown(a, targets, x),
        Format::Json => {
            let mut v = serde_json::to_value(a).unwrap_or_default();
            v["targets"] = serde_json::to_value(targets).unwrap_or_default();
            v["scenarios"] = serde_json::to_value(&x.scenarios).unwrap_or_default();
            v["model_sheets"] = serde_json::to_value(&x.model_sheets).unwrap_or_default();
            for (json, sheet) in v["model_sheets"]
                .as_array_mut()
                .into_iter()
                .flatten()
                .zip(&x.model_sheets)
            {
                json["hugging_face_yaml"] = sheet.hugging_face_yaml().into();
                json["annex_xi"] = sheet
                    .annex_xi()
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), serde_json::Value::from(v)))
                    .collect::<serde_json::Map<_, _>>()
                    .into();
            }
            v["strategy_map"] = x.strategy_map.clone().into();
            serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
        }
        Format::Csv => csv(a, targets, x),
        Format::Html => html(a, targets, x),
    }
}

fn bars(rows: &[Breakdown], f: fn(&Breakdown) -> f64, unit: &str) -> Vec<Bar> {
    rows.iter()
        .map(|b| Bar {
            label: b.group.clone(),
            value: f(b).max(0.0),
            annotation: format!("{} {unit}", fig(f(b))),
        })
        .collect()
}

/// The charts of a report, as inline SVG: carbon and energy by month, carbon by site and by
/// model, cost against revenue, and each target's planned and actual path.
pub fn charts(a: &Accounts, targets: &[Progress]) -> Vec<(String, String)> {
    let e = &a.environmental;
    let mut out = Vec::new();
    if !e.by_month.is_empty() {
        out.push((
            "Carbon by month".to_string(),
            bar_chart(
                "Location-based carbon by month",
                "gCO2e",
                &bars(&e.by_month, |b| b.co2e_location_g, "g"),
            ),
        ));
        out.push((
            "Energy by month".to_string(),
            bar_chart(
                "Facility energy by month",
                "Wh",
                &bars(&e.by_month, |b| b.facility_wh, "Wh"),
            ),
        ));
    }
    if !e.by_site.is_empty() {
        out.push((
            "Carbon by site".to_string(),
            bar_chart(
                "Location-based carbon by site",
                "gCO2e",
                &bars(&e.by_site, |b| b.co2e_location_g, "g"),
            ),
        ));
    }
    if !e.by_model.is_empty() {
        out.push((
            "Carbon by model".to_string(),
            bar_chart(
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
            bar_chart("Cost against revenue", "amount", &money_bars),
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
            line_chart(
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

fn html(a: &Accounts, targets: &[Progress], x: &Extras) -> String {
    let md = markdown(a, targets, x);
    let mut body = String::new();
    let parser = pulldown_cmark::Parser::new_ext(&md, pulldown_cmark::Options::ENABLE_TABLES);
    pulldown_cmark::html::push_html(&mut body, parser);
    let mut figures = String::new();
    if a.has_data {
        for (title, svg) in charts(a, targets) {
            let _ = writeln!(
                figures,
                "<figure><figcaption>{}</figcaption>{svg}</figure>",
                title.replace('&', "&amp;").replace('<', "&lt;")
            );
        }
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>Sustain report: {} {}</title>\n<style>\n{CSS}</style></head>\n<body><main>\n{body}\n<section class=\"charts\"><h2>Charts</h2>\n{figures}</section>\n</main></body></html>\n",
        a.period.label.replace('<', "&lt;"),
        a.scope.replace('<', "&lt;")
    )
}

const CSS: &str = "body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#fafafa;color:#222}
main{max-width:1000px;margin:0 auto;padding:24px;background:#fff}
table{border-collapse:collapse;margin:12px 0}th,td{border:1px solid #ddd;padding:4px 8px}
th{background:#f0f0f0}td{text-align:right}td:first-child{text-align:left}
h1{font-size:1.6em}h2{border-bottom:2px solid #2ca02c;padding-bottom:4px}
figure{margin:16px 0}figcaption{font-weight:600;margin-bottom:4px}svg{max-width:100%;height:auto}
";

/// The targets section of a Markdown report.
pub fn targets_markdown(targets: &[Progress]) -> String {
    let mut o = String::new();
    if targets.is_empty() {
        return o;
    }
    let _ = writeln!(
        o,
        "| target | metric | baseline | goal | value | expected now | verdict |\n| --- | --- | ---: | ---: | ---: | ---: | --- |"
    );
    let opt = |v: Option<f64>| v.map_or("—".to_string(), fig);
    for p in targets {
        let _ = writeln!(
            o,
            "| {} | {} ({}) | {} ({}) | {} ({} by {}) | {} ({}) | {} | **{}** |",
            p.target.name,
            p.target.metric,
            p.unit,
            opt(p.baseline_value),
            p.target.baseline,
            opt(p.goal_value),
            p.target.goal.label(),
            p.target.by,
            opt(p.value),
            p.period,
            opt(p.expected),
            serde_json::to_value(p.verdict)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default()
        );
    }
    let _ = writeln!(o);
    for p in targets {
        let _ = writeln!(o, "- **{}**: {}", p.target.name, p.explanation);
    }
    o
}

/// A physical figure for reading: one decimal from 100 up, else three significant digits (so
/// small runs do not print as 0.0).
pub(crate) fn fig(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.1}")
    } else {
        sustain_core::format::sig(v)
    }
}

fn money(m: &BTreeMap<String, f64>) -> String {
    if m.is_empty() {
        return "—".into();
    }
    m.iter()
        .map(|(c, v)| format!("{v:.2} {c}"))
        .collect::<Vec<_>>()
        .join(" + ")
}

fn change(now: f64, before: f64) -> String {
    if before == 0.0 {
        if now == 0.0 {
            "—".into()
        } else {
            "new".into()
        }
    } else {
        format!("{:+.1} %", 100.0 * (now - before) / before)
    }
}

fn breakdown_table(out: &mut String, title: &str, head: &str, rows: &[Breakdown]) {
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n### {title}\n");
    let _ = writeln!(
        out,
        "| {head} | runs | IT energy (Wh) | facility energy (Wh) | CO2e location (g) | water (L) |\n| --- | ---: | ---: | ---: | ---: | ---: |"
    );
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            r.group,
            r.runs,
            fig(r.energy_wh),
            fig(r.facility_wh),
            fig(r.co2e_location_g),
            fig(r.water_l)
        );
    }
}

fn markdown(a: &Accounts, targets: &[Progress], x: &Extras) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# Sustain report: {}, {}\n", a.period.label, a.scope);
    let _ = writeln!(
        o,
        "Period {} to {} (UTC, runs by their start); scope `{}`.",
        a.period.from,
        a.period.to.pred_opt().unwrap_or(a.period.to),
        a.scope
    );
    excluded_markdown(&mut o, a);
    if !a.has_data {
        let _ = writeln!(
            o,
            "\n## No data\n\nThe ledger holds no runs, usage or cost lines for {} in {}. Record runs with `sustain run --tag ...`, usage with `sustain usage add`, costs with `sustain cost add`.",
            a.scope, a.period.label
        );
        return o;
    }
    let (h, p) = (&a.headline, &a.previous);
    let _ = writeln!(o, "\n## Summary\n");
    let _ = writeln!(
        o,
        "| | {} | {} | change |\n| --- | ---: | ---: | ---: |",
        h.period, p.period
    );
    let _ = writeln!(
        o,
        "| runs | {} | {} | {} |",
        h.runs,
        p.runs,
        change(h.runs as f64, p.runs as f64)
    );
    let _ = writeln!(
        o,
        "| facility energy (Wh) | {} | {} | {} |",
        fig(h.energy_wh),
        fig(p.energy_wh),
        change(h.energy_wh, p.energy_wh)
    );
    let _ = writeln!(
        o,
        "| CO2e, location-based (g) | {} | {} | {} |",
        fig(h.co2e_location_g),
        fig(p.co2e_location_g),
        change(h.co2e_location_g, p.co2e_location_g)
    );
    let opt = |v: Option<f64>| v.map_or("no data".to_string(), fig);
    let _ = writeln!(
        o,
        "| CO2e, embodied (g, modelled) | {} | {} | {} |",
        opt(h.embodied_co2e_g),
        opt(p.embodied_co2e_g),
        match (h.embodied_co2e_g, p.embodied_co2e_g) {
            (Some(a), Some(b)) => change(a, b),
            _ => String::new(),
        }
    );
    let _ = writeln!(
        o,
        "| water (L) | {} | {} | {} |",
        fig(h.water_l),
        fig(p.water_l),
        change(h.water_l, p.water_l)
    );
    let _ = writeln!(o, "| cost | {} | {} | |", money(&h.cost), money(&p.cost));
    let _ = writeln!(
        o,
        "| revenue | {} | {} | |",
        money(&h.revenue),
        money(&p.revenue)
    );
    let _ = writeln!(
        o,
        "| requests | {} | {} | {} |",
        h.requests,
        p.requests,
        change(h.requests as f64, p.requests as f64)
    );

    let e = &a.environmental;
    let _ = writeln!(o, "\n## Environmental account\n");
    let _ = writeln!(
        o,
        "| energy (Wh) | CPU | GPU | memory | IT | facility (IT x PUE) |\n| --- | ---: | ---: | ---: | ---: | ---: |\n| | {} | {} | {} | {} | {} |",
        fig(e.energy_wh.cpu),
        fig(e.energy_wh.gpu),
        fig(e.energy_wh.ram),
        fig(e.energy_wh.it),
        fig(e.energy_wh.facility)
    );
    let _ = writeln!(
        o,
        "\n{:.1} % of the IT energy was measured by hardware counters, the rest modelled.\n",
        100.0 * e.measured_share
    );
    let _ = writeln!(
        o,
        "- CO2e, location-based: **{} g**",
        fig(e.co2e_location_g)
    );
    match e.co2e_market_g {
        Some(m) => {
            let _ = writeln!(
                o,
                "- CO2e, market-based: **{} g** ({} of {} runs; reported apart, never added)",
                fig(m),
                e.market_runs,
                e.runs
            );
        }
        None => {
            let _ = writeln!(
                o,
                "- CO2e, market-based: no data (no run's site has a contractual factor)"
            );
        }
    }
    match e.embodied_co2e_g {
        Some(m) => {
            let _ = writeln!(
                o,
                "- CO2e, embodied (modelled; hardware manufacturing amortized over its lifetime): **{} g** ({} of {} runs; reported apart, never added to the operational figures)",
                fig(m),
                e.embodied_runs,
                e.runs
            );
        }
        None => {
            let _ = writeln!(
                o,
                "- CO2e, embodied: no data (no run recorded its host's embodied figures)"
            );
        }
    }
    let _ = writeln!(o, "- water: **{} L**", fig(e.water_l));
    match e.renewable_share {
        Some(r) => {
            let _ = writeln!(
                o,
                "- renewable share of the electricity: **{:.1} %** (each site's grid mix; covers {:.0} % of the facility energy)",
                100.0 * r,
                100.0 * e.renewable_coverage
            );
        }
        None => {
            let _ = writeln!(
                o,
                "- renewable share: no data (no run's site has a known grid mix)"
            );
        }
    }
    breakdown_table(&mut o, "By site", "site", &e.by_site);
    breakdown_table(&mut o, "By kind of run", "kind", &e.by_kind);
    breakdown_table(&mut o, "By month", "month", &e.by_month);
    breakdown_table(&mut o, "By model", "model", &e.by_model);
    if !e.per_product.is_empty() {
        let _ = writeln!(
            o,
            "\n### Per functional unit\n\nOperational carbon is location-based; the SCI adds the embodied carbon the runs recorded: `SCI = (E x I + M) / R`.\n\n| product | runs | training runs | requests | tokens | Wh / 1k requests | g CO2e / 1k requests | SCI g / 1k requests | SCI g / 1k tokens | SCI g / training run |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        );
        let opt = |v: Option<f64>| v.map_or("—".to_string(), fig);
        for u in &e.per_product {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                u.product,
                u.runs,
                u.training_runs,
                u.requests,
                u.tokens,
                opt(u.wh_per_1k_requests),
                opt(u.co2e_g_per_1k_requests),
                opt(u.sci_g_per_1k_requests),
                opt(u.sci_g_per_1k_tokens),
                opt(u.sci_g_per_training_run)
            );
        }
    }

    let m = &a.economic;
    let _ = writeln!(o, "\n## Economic account\n");
    let _ = writeln!(o, "| | amount |\n| --- | ---: |");
    let _ = writeln!(
        o,
        "| run cost (energy, hardware-hours) | {} |",
        money(&m.run_cost)
    );
    for (cat, v) in &m.cost_lines_by_category {
        let _ = writeln!(o, "| cost lines: {cat} | {} |", money(v));
    }
    let _ = writeln!(o, "| **total cost** | **{}** |", money(&m.total_cost));
    let _ = writeln!(o, "| revenue | {} |", money(&m.revenue));
    let _ = writeln!(o, "| **profit** | **{}** |", money(&m.profit));
    for (c, v) in &m.margin {
        let _ = writeln!(
            o,
            "| margin ({c}) | {} |",
            v.map_or("— (no revenue)".to_string(), |v| format!(
                "{:.1} %",
                100.0 * v
            ))
        );
    }
    for (c, v) in &m.cost_per_1k_requests {
        if let Some(v) = v {
            let _ = writeln!(o, "| cost per 1k requests ({c}) | {v:.4} |");
        }
    }
    for (c, v) in &m.co2e_g_per_revenue {
        if let Some(v) = v {
            let _ = writeln!(o, "| CO2e per {c} of revenue (g) | {} |", fig(*v));
        }
    }
    if !m.usage.is_empty() {
        let _ = writeln!(
            o,
            "\n| product | requests | tokens | revenue |\n| --- | ---: | ---: | ---: |"
        );
        for u in &m.usage {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {:.2} {} |",
                u.product, u.requests, u.tokens, u.revenue, u.currency
            );
        }
    }

    social_markdown(&mut o, &a.social);
    if !targets.is_empty() {
        let _ = writeln!(o, "\n## Targets\n\n{}", targets_markdown(targets));
    }
    if !x.strategy_map.is_empty() {
        let _ = writeln!(
            o,
            "\n## Strategy map\n\nLevers of the saved scenarios, the metrics they move, and the targets that track those metrics (Mermaid; dotted lines: derived metrics).\n\n```mermaid\n{}```",
            x.strategy_map
        );
    }
    if !x.scenarios.is_empty() || !x.scenario_errors.is_empty() {
        let _ = writeln!(o, "\n## Scenarios\n");
        for r in &x.scenarios {
            let _ = writeln!(o, "{}", crate::scenario::markdown(r));
        }
        for e in &x.scenario_errors {
            let _ = writeln!(o, "- not run: {e}");
        }
    }
    if !x.model_sheets.is_empty() {
        let _ = writeln!(
            o,
            "\n## Model sheets\n\n{}",
            crate::sheets::markdown(&x.model_sheets)
        );
    }
    if !a.notes.is_empty() {
        let _ = writeln!(o, "\n## Notes\n");
        for n in &a.notes {
            let _ = writeln!(o, "- {n}");
        }
    }
    let _ = writeln!(
        o,
        "\n## Methods\n\n- Energy: `docs/methods/cpu-energy.md`, `memory-energy.md`, `gpu-energy.md` (each run says measured or modelled).\n- Carbon, water and cost: `docs/methods/impacts.md` (location- and market-based carbon per the GHG Protocol Scope 2 guidance).\n- Embodied carbon and the SCI: `docs/methods/embodied.md` (the SCI specification's `M = TE x TS x RS`).\n- Accounts, periods, scopes and per-unit figures: `docs/methods/accounts.md`."
    );
    o
}

/// A warning naming the records left out of the figures (none on a ledger within bounds).
fn excluded_markdown(o: &mut String, a: &Accounts) {
    if a.excluded.is_empty() {
        return;
    }
    let _ = writeln!(
        o,
        "\n> **Warning:** {} record(s) of this period are left out of every figure below: a figure of theirs is outside its plausible bounds (`docs/reference/bounds.md`).\n",
        a.excluded.len()
    );
    for r in &a.excluded {
        let _ = writeln!(
            o,
            "- {} {} ({}): {}",
            r.kind.as_str().replace('_', " "),
            md_text(&r.id),
            r.day,
            md_text(&r.problem)
        );
    }
}

/// Text shown in Markdown as it is: characters Markdown or HTML would read escaped.
fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

fn social_markdown(o: &mut String, s: &crate::social::Social) {
    let _ = writeln!(o, "\n## Social account\n");
    if !s.fairness.is_empty() {
        let _ = writeln!(
            o,
            "### Fairness of evaluated models\n\n| model | dataset | attribute (favourable class) | groups | demographic parity difference [95 % CI] | equalized odds difference [95 % CI] | accuracy | run |\n| --- | --- | --- | ---: | ---: | ---: | ---: | --- |"
        );
        let ci = |d: &[f64; 3]| format!("{:.3} [{:.3}–{:.3}]", d[0], d[1], d[2]);
        for f in &s.fairness {
            let _ = writeln!(
                o,
                "| {} | {} | {} ({}) | {}{} | {} | {} | {} | `{}` |",
                f.model,
                f.dataset,
                f.attribute,
                f.positive_class,
                f.groups,
                if f.flagged_groups > 0 {
                    format!(" ({} flagged)", f.flagged_groups)
                } else {
                    String::new()
                },
                ci(&f.demographic_parity_difference),
                f.equalized_odds_difference
                    .as_ref()
                    .map_or("undefined".into(), ci),
                f.accuracy
                    .map_or("—".into(), |a| format!("{:.1} %", a * 100.0)),
                f.run_id.get(..8).unwrap_or(&f.run_id)
            );
        }
        let _ = writeln!(o);
    }
    if !s.indicators.is_empty() {
        let _ = writeln!(
            o,
            "### Indicators\n\n| indicator | total | unit | entries |\n| --- | ---: | --- | ---: |"
        );
        for i in &s.indicators {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} |",
                i.name,
                fig(i.total),
                i.unit,
                i.entries
            );
        }
        let _ = writeln!(o);
    }
    if let Some(idx) = &s.index {
        let _ = writeln!(
            o,
            "### Social index: {}\n\nThe weighted mean of the component scores (0–100) that have data; it covers {:.0} % of the configured weight.\n\n| indicator | value | direction | scores 100 at | weight | score |\n| --- | ---: | --- | ---: | ---: | ---: |",
            idx.score
                .map_or("no data".into(), |v| format!("**{v:.1}** / 100")),
            idx.coverage * 100.0
        );
        for c in &idx.components {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} |",
                c.indicator,
                c.value.map_or("no data".into(), fig),
                c.direction.as_str(),
                fig(c.reference),
                fig(c.weight),
                c.score.map_or("—".into(), |v| format!("{v:.1}"))
            );
        }
        let _ = writeln!(o);
    }
    for n in &s.notes {
        let _ = writeln!(o, "- {n}");
    }
}

fn csv(a: &Accounts, targets: &[Progress], x: &Extras) -> String {
    let mut o = String::from("section,metric,group,value,unit\n");
    let mut row = |section: &str, metric: &str, group: &str, value: f64, unit: &str| {
        let q = |s: &str| {
            if s.contains([',', '"', '\n']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.to_string()
            }
        };
        let _ = writeln!(
            o,
            "{},{},{},{},{}",
            q(section),
            q(metric),
            q(group),
            value,
            q(unit)
        );
    };
    let e = &a.environmental;
    row("environmental", "runs", "all", e.runs as f64, "runs");
    row("environmental", "energy_cpu", "all", e.energy_wh.cpu, "Wh");
    row("environmental", "energy_gpu", "all", e.energy_wh.gpu, "Wh");
    row("environmental", "energy_ram", "all", e.energy_wh.ram, "Wh");
    row("environmental", "energy_it", "all", e.energy_wh.it, "Wh");
    row(
        "environmental",
        "energy_facility",
        "all",
        e.energy_wh.facility,
        "Wh",
    );
    row(
        "environmental",
        "measured_share",
        "all",
        e.measured_share,
        "ratio",
    );
    row(
        "environmental",
        "co2e_location",
        "all",
        e.co2e_location_g,
        "g",
    );
    if let Some(m) = e.co2e_market_g {
        row("environmental", "co2e_market", "all", m, "g");
    }
    if let Some(m) = e.embodied_co2e_g {
        row("environmental", "co2e_embodied", "all", m, "g");
    }
    row("environmental", "water", "all", e.water_l, "L");
    if let Some(r) = e.renewable_share {
        row("environmental", "renewable_share", "all", r, "ratio");
    }
    for (name, rows) in [
        ("site", &e.by_site),
        ("kind", &e.by_kind),
        ("month", &e.by_month),
        ("model", &e.by_model),
    ] {
        for b in rows.iter() {
            let g = format!("{name}:{}", b.group);
            row("environmental", "runs", &g, b.runs as f64, "runs");
            row("environmental", "energy_facility", &g, b.facility_wh, "Wh");
            row("environmental", "co2e_location", &g, b.co2e_location_g, "g");
            row("environmental", "water", &g, b.water_l, "L");
        }
    }
    for u in &e.per_product {
        let g = format!("product:{}", u.product);
        if let Some(v) = u.co2e_g_per_1k_requests {
            row("environmental", "co2e_per_1k_requests", &g, v, "g");
        }
        if let Some(v) = u.co2e_g_per_1k_tokens {
            row("environmental", "co2e_per_1k_tokens", &g, v, "g");
        }
        for (metric, v) in [
            ("sci_per_1k_requests", u.sci_g_per_1k_requests),
            ("sci_per_1k_tokens", u.sci_g_per_1k_tokens),
            ("sci_per_training_run", u.sci_g_per_training_run),
        ] {
            if let Some(v) = v {
                row("environmental", metric, &g, v, "g");
            }
        }
    }
    let m = &a.economic;
    for (metric, map) in [
        ("run_cost", &m.run_cost),
        ("total_cost", &m.total_cost),
        ("revenue", &m.revenue),
        ("profit", &m.profit),
    ] {
        for (c, v) in map.iter() {
            row("economic", metric, "all", *v, c);
        }
    }
    for (cat, map) in &m.cost_lines_by_category {
        for (c, v) in map {
            row("economic", "cost_lines", &format!("category:{cat}"), *v, c);
        }
    }
    row("economic", "requests", "all", m.requests as f64, "requests");
    for p in targets {
        let g = format!("target:{}", p.target.name);
        if let Some(v) = p.value {
            row("targets", &p.target.metric, &g, v, &p.unit);
        }
        if let Some(v) = p.expected {
            row("targets", "expected", &g, v, &p.unit);
        }
    }
    row("economic", "tokens", "all", m.tokens as f64, "tokens");
    for (c, v) in &m.cost_per_1k_requests {
        if let Some(v) = v {
            row("economic", "cost_per_1k_requests", "all", *v, c);
        }
    }
    let so = &a.social;
    for f in &so.fairness {
        let g = format!("run:{}", f.run_id);
        let unit = format!("attribute:{}", f.attribute);
        row(
            "social",
            "demographic_parity_difference",
            &g,
            f.demographic_parity_difference[0],
            &unit,
        );
        if let Some(d) = f.equalized_odds_difference {
            row("social", "equalized_odds_difference", &g, d[0], &unit);
        }
    }
    for i in &so.indicators {
        row("social", &i.name, "all", i.total, &i.unit);
    }
    if let Some(v) = so.index.as_ref().and_then(|i| i.score) {
        row("social", "social_index", "all", v, "score 0-100");
    }
    for r in &x.scenarios {
        for (which, f) in [("actual", &r.actual), ("scenario", &r.scenario)] {
            let g = format!("{}:{which}", r.name);
            row("scenario", "energy_facility", &g, f.facility_wh, "Wh");
            row("scenario", "co2e_location", &g, f.co2e_location_g, "g");
            if let Some(m) = f.co2e_market_g {
                row("scenario", "co2e_market", &g, m, "g");
            }
            row("scenario", "water", &g, f.water_l, "L");
            for (c, v) in &f.cost {
                row("scenario", "total_cost", &g, *v, c);
            }
            for (c, v) in &f.revenue {
                row("scenario", "revenue", &g, *v, c);
            }
        }
    }
    for m in &x.model_sheets {
        let g = format!("model:{}", m.model);
        row("model", "energy_facility", &g, m.facility_wh, "Wh");
        row("model", "co2e_location", &g, m.co2e_location_g, "g");
    }
    o
}
