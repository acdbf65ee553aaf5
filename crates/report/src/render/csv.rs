//! The report as CSV, one figure per row: `section,metric,group,value,unit`. Written by the
//! `csv` crate, which quotes every field that holds a comma, a quote, `\r` or `\n` (user
//! strings: groups, products, indicators, units), so each row reads back as five fields.

use crate::accounts::Accounts;
use crate::report::Extras;
use crate::targets::Progress;

/// Rows written as they come (into memory, which cannot fail: results are not checked).
struct Rows {
    w: csv::Writer<Vec<u8>>,
}

impl Rows {
    fn put(&mut self, section: &str, metric: &str, group: &str, value: f64, unit: &str) {
        let _ = self
            .w
            .write_record([section, metric, group, &value.to_string(), unit]);
    }
}

/// The report as CSV, with its header row.
pub fn csv(a: &Accounts, targets: &[Progress], x: &Extras) -> String {
    let w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let mut row = Rows { w };
    let _ = row
        .w
        .write_record(["section", "metric", "group", "value", "unit"]);
    let e = &a.environmental;
    row.put("environmental", "runs", "all", e.runs as f64, "runs");
    row.put("environmental", "energy_cpu", "all", e.energy_wh.cpu, "Wh");
    row.put("environmental", "energy_gpu", "all", e.energy_wh.gpu, "Wh");
    row.put("environmental", "energy_ram", "all", e.energy_wh.ram, "Wh");
    row.put("environmental", "energy_it", "all", e.energy_wh.it, "Wh");
    row.put(
        "environmental",
        "energy_facility",
        "all",
        e.energy_wh.facility,
        "Wh",
    );
    row.put(
        "environmental",
        "measured_share",
        "all",
        e.measured_share,
        "ratio",
    );
    row.put(
        "environmental",
        "co2e_location",
        "all",
        e.co2e_location_g,
        "g",
    );
    if let Some(m) = e.co2e_market_g {
        row.put("environmental", "co2e_market", "all", m, "g");
    }
    if let Some(m) = e.embodied_co2e_g {
        row.put("environmental", "co2e_embodied", "all", m, "g");
    }
    row.put("environmental", "water", "all", e.water_l, "L");
    if let Some(a) = &e.avoided {
        // Modelled against fifo on the true series; beside co2e_location, never subtracted.
        row.put(
            "environmental",
            "co2e_avoided",
            "all",
            a.total.avoided_co2e_g,
            "g",
        );
        for (name, rows) in [("site", &a.by_site), ("month", &a.by_month)] {
            for t in rows.iter() {
                let g = format!("{name}:{}", t.group);
                row.put("environmental", "co2e_avoided", &g, t.avoided_co2e_g, "g");
            }
        }
        row.put(
            "environmental",
            "scheduled_jobs",
            "all",
            a.total.jobs as f64,
            "jobs",
        );
    }
    if let Some(r) = e.renewable_share {
        row.put("environmental", "renewable_share", "all", r, "ratio");
    }
    for (name, rows) in [
        ("site", &e.by_site),
        ("kind", &e.by_kind),
        ("month", &e.by_month),
        ("model", &e.by_model),
    ] {
        for b in rows.iter() {
            let g = format!("{name}:{}", b.group);
            row.put("environmental", "runs", &g, b.runs as f64, "runs");
            row.put("environmental", "energy_facility", &g, b.facility_wh, "Wh");
            row.put("environmental", "co2e_location", &g, b.co2e_location_g, "g");
            row.put("environmental", "water", &g, b.water_l, "L");
        }
    }
    for u in &e.per_product {
        let g = format!("product:{}", u.product);
        if let Some(v) = u.co2e_g_per_1k_requests {
            row.put("environmental", "co2e_per_1k_requests", &g, v, "g");
        }
        if let Some(v) = u.co2e_g_per_1k_tokens {
            row.put("environmental", "co2e_per_1k_tokens", &g, v, "g");
        }
        for (metric, v) in [
            ("sci_per_1k_requests", u.sci_g_per_1k_requests),
            ("sci_per_1k_tokens", u.sci_g_per_1k_tokens),
            ("sci_per_training_run", u.sci_g_per_training_run),
        ] {
            if let Some(v) = v {
                row.put("environmental", metric, &g, v, "g");
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
            row.put("economic", metric, "all", *v, c);
        }
    }
    for (cat, map) in &m.cost_lines_by_category {
        for (c, v) in map {
            row.put("economic", "cost_lines", &format!("category:{cat}"), *v, c);
        }
    }
    row.put("economic", "requests", "all", m.requests as f64, "requests");
    for p in targets {
        let g = format!("target:{}", p.target.name);
        if let Some(v) = p.value {
            row.put("targets", &p.target.metric, &g, v, &p.unit);
        }
        if let Some(v) = p.expected {
            row.put("targets", "expected", &g, v, &p.unit);
        }
    }
    row.put("economic", "tokens", "all", m.tokens as f64, "tokens");
    for (c, v) in &m.cost_per_1k_requests {
        if let Some(v) = v {
            row.put("economic", "cost_per_1k_requests", "all", *v, c);
        }
    }
    let so = &a.social;
    for f in &so.fairness {
        let g = format!("run:{}", f.run_id);
        let unit = format!("attribute:{}", f.attribute);
        row.put(
            "social",
            "demographic_parity_difference",
            &g,
            f.demographic_parity_difference[0],
            &unit,
        );
        if let Some(d) = f.equalized_odds_difference {
            row.put("social", "equalized_odds_difference", &g, d[0], &unit);
        }
    }
    for i in &so.indicators {
        row.put("social", &i.name, "all", i.total, &i.unit);
    }
    if let Some(v) = so.index.as_ref().and_then(|i| i.score) {
        row.put("social", "social_index", "all", v, "score 0-100");
    }
    for r in &x.scenarios {
        for (which, f) in [("actual", &r.actual), ("scenario", &r.scenario)] {
            let g = format!("{}:{which}", r.name);
            row.put("scenario", "energy_facility", &g, f.facility_wh, "Wh");
            row.put("scenario", "co2e_location", &g, f.co2e_location_g, "g");
            if let Some(m) = f.co2e_market_g {
                row.put("scenario", "co2e_market", &g, m, "g");
            }
            row.put("scenario", "water", &g, f.water_l, "L");
            for (c, v) in &f.cost {
                row.put("scenario", "total_cost", &g, *v, c);
            }
            for (c, v) in &f.revenue {
                row.put("scenario", "revenue", &g, *v, c);
            }
        }
    }
    for m in &x.model_sheets {
        let g = format!("model:{}", m.model);
        row.put("model", "energy_facility", &g, m.facility_wh, "Wh");
        row.put("model", "co2e_location", &g, m.co2e_location_g, "g");
    }
    let bytes = row.w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}
