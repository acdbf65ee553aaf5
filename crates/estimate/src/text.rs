//! Estimates for people: the figures, the inputs with their origin and source, sweeps.

use std::fmt::Write;

use comfy_table::{Cell, Table};
use sustain_core::format::sig;
use sustain_core::text::{right, sci_number, seconds, table, user};
use sustain_core::units::CarbonMass;

use crate::infer::{Impact, InferEstimate};
use crate::inputs::Inputs;
use crate::sweep::{Point, Scored};
use crate::train::TrainEstimate;

/// The human output of `sustain estimate train`.
pub fn train_estimate(e: &TrainEstimate) -> String {
    let mut t = table();
    t.set_header(vec!["FIGURE", "VALUE"]);
    let mut row = |k: &str, v: String| {
        t.add_row(vec![Cell::new(k), right(v)]);
    };
    row("training FLOPs", sci_number(e.flops));
    row("device-hours", format!("{} h", sig(e.device_hours)));
    row("wall-clock", format!("{} days", sig(e.days)));
    row("IT energy", e.it_energy.human());
    row("facility energy (x PUE)", e.energy.human());
    row("carbon, location-based", e.co2e_location.human());
    row(
        "carbon, market-based",
        e.co2e_market.map_or("n/a".into(), CarbonMass::human),
    );
    row(
        "embodied carbon (amortized)",
        e.embodied.map_or("n/a".into(), CarbonMass::human),
    );
    row("water", e.water.human());
    row(
        "cost",
        e.cost.as_ref().map_or("n/a".into(), |c| c.to_string()),
    );
    let inputs = inputs_table(&e.inputs);
    let mut s = format!("{t}\n\n{inputs}\n");
    if !e.assumptions.is_empty() {
        s.push_str("\nAssumptions:\n");
        for a in &e.assumptions {
            let _ = writeln!(s, "  - {a}");
        }
    }
    s.push_str("\nMethod: docs/methods/estimate-train.md. Full sources: --json.\n");
    s
}

fn inputs_table(inputs: &Inputs) -> Table {
    let mut t = table();
    t.set_header(vec!["INPUT", "VALUE", "UNIT", "FROM", "SOURCE"]);
    for i in &inputs.0 {
        let v = match &i.value {
            serde_json::Value::Number(n) => n.as_f64().map_or(n.to_string(), sci_number),
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let source: String = i.source.chars().take(70).collect();
        let origin = serde_json::to_value(&i.origin)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        t.add_row(vec![
            Cell::new(&i.name),
            right(v),
            Cell::new(&i.unit),
            Cell::new(origin),
            Cell::new(if i.source.chars().count() > 70 {
                format!("{source}…")
            } else {
                source
            }),
        ]);
    }
    t
}

/// The human output of `sustain estimate infer`.
pub fn infer_estimate(e: &InferEstimate) -> String {
    let mut t = table();
    t.set_header(vec!["", "PER REQUEST", "PER 1K OUTPUT TOKENS", "TOTAL"]);
    let cols = [&e.per_request, &e.per_1k_output_tokens, &e.total];
    let mut row = |name: &str, f: &dyn Fn(&Impact) -> String| {
        let mut cells = vec![Cell::new(name)];
        cells.extend(cols.iter().map(|i| right(f(i))));
        t.add_row(cells);
    };
    row("IT energy", &|i| i.it_energy.human());
    row("facility energy (x PUE)", &|i| i.energy.human());
    row("carbon, location-based", &|i| i.co2e_location.human());
    row("carbon, market-based", &|i| {
        i.co2e_market.map_or("n/a".into(), CarbonMass::human)
    });
    row("embodied carbon", &|i| {
        i.embodied.map_or("n/a".into(), CarbonMass::human)
    });
    row("water", &|i| i.water.human());
    row("cost", &|i| {
        i.cost.as_ref().map_or("n/a".into(), |c| c.to_string())
    });
    let mut b = table();
    b.set_header(vec![
        "BATCH",
        "DEVICES",
        "ENERGY / REQUEST",
        "CO2E / REQUEST",
        "LATENCY",
    ]);
    for r in &e.batch_table {
        b.add_row(vec![
            right(sci_number(r.batch)),
            right(r.devices),
            right(r.energy_per_request.human()),
            right(r.co2e_per_request.human()),
            right(seconds(r.latency_s)),
        ]);
    }
    let mut s = format!(
        "{} device(s) per replica ({} needed), batch {}, {} requests; decode is {}-bound at {} W per device; {} per request\n\n{t}\n\nHow batch size changes the answer (facility energy and location-based carbon per request):\n{b}\n\n{}\n",
        e.devices,
        e.devices_needed,
        sci_number(e.batch),
        sci_number(e.requests),
        if e.memory_bound { "memory" } else { "compute" },
        sig(e.decode_power.watts()),
        seconds(e.latency_s),
        inputs_table(&e.inputs),
    );
    if !e.assumptions.is_empty() {
        s.push_str("\nAssumptions:\n");
        for a in &e.assumptions {
            let _ = writeln!(s, "  - {a}");
        }
    }
    s.push_str("\nMethod: docs/methods/estimate-infer.md. Full sources: --json.\n");
    s
}

/// The table of a sweep: the swept values, then `cells` of each estimate.
pub fn sweep_table<E: Scored>(
    keys: &[String],
    points: &[Point<E>],
    top: usize,
    header: &[&str],
    cells: impl Fn(&E) -> Vec<String>,
) -> String {
    let mut t = table();
    let mut h: Vec<String> = keys.iter().map(|k| k.to_uppercase()).collect();
    h.extend(header.iter().map(|s| s.to_string()));
    t.set_header(h);
    for p in points.iter().take(top) {
        let mut row: Vec<Cell> = p.at.iter().map(|(_, v)| user(v)).collect();
        match &p.result {
            Ok(e) => row.extend(cells(e).into_iter().map(right)),
            Err(msg) => row.push(Cell::new(format!("n/a: {msg}"))),
        }
        t.add_row(row);
    }
    let shown = top.min(points.len());
    format!(
        "{t}\n{shown} of {} options shown, best first; --top N for more, --json for all.\n",
        points.len()
    )
}
