//! Human renderings: the summary after a run, tables, and the detail of one run.

use std::fmt::Write;

use comfy_table::{Cell, CellAlignment, ContentArrangement, Table};
use sustain_core::format::sig;
use sustain_core::hardware::{AcceleratorRecord, CpuRecord};
use sustain_core::run::{ComponentEnergy, EnergySource, RunView};
use sustain_core::site::Site;
use sustain_core::units::{CarbonMass, Water};
use sustain_estimate::infer::{Impact, InferEstimate};
use sustain_estimate::inputs::Inputs;
use sustain_estimate::sweep::{Point, Scored};
use sustain_estimate::train::TrainEstimate;

fn short_id(id: &str) -> &str {
    &id[..id.len().min(8)]
}

fn bytes(b: u64) -> String {
    let b = b as f64;
    if b >= 1024.0 * 1024.0 * 1024.0 {
        format!("{} GiB", sig(b / (1024.0 * 1024.0 * 1024.0)))
    } else if b >= 1024.0 * 1024.0 {
        format!("{} MiB", sig(b / (1024.0 * 1024.0)))
    } else {
        format!("{} KiB", sig(b / 1024.0))
    }
}

fn seconds(s: f64) -> String {
    if s >= 3600.0 {
        format!(
            "{}h{:02}m",
            (s / 3600.0) as u64,
            ((s % 3600.0) / 60.0) as u64
        )
    } else if s >= 60.0 {
        format!("{}m{:02}s", (s / 60.0) as u64, (s % 60.0) as u64)
    } else {
        format!("{} s", sig(s))
    }
}

fn component(name: &str, c: &ComponentEnergy) -> String {
    match c.source {
        EnergySource::None => format!("{name} none"),
        src => format!(
            "{name} {} ({}{})",
            c.energy.human(),
            src.as_str(),
            if c.apportioned { ", apportioned" } else { "" }
        ),
    }
}

fn table() -> Table {
    let mut t = Table::new();
    // Only a rule under the header: quiet, and easy to read in a terminal or a log.
    t.load_preset("     ─             ")
        .set_content_arrangement(ContentArrangement::Dynamic);
    if t.width().is_none() {
        // Not a terminal: wrap at a width that reads well in logs and pagers.
        t.set_width(120);
    }
    t
}

fn right(s: impl ToString) -> Cell {
    Cell::new(s.to_string()).set_alignment(CellAlignment::Right)
}

/// The summary printed on stderr after `sustain run`.
pub fn summary(v: &RunView) -> String {
    let s = &v.start;
    let mut out = String::new();
    let Some(e) = &v.end else {
        let _ = writeln!(out, "sustain: run {} is still running", s.id);
        return out;
    };
    let how = match (e.exit_code, e.signal) {
        (_, Some(sig)) => format!("killed by signal {sig}"),
        (Some(c), None) => format!("exit {c}"),
        (None, None) => "no exit code".into(),
    };
    let _ = writeln!(
        out,
        "sustain: run {} '{}' {} ({how}) in {}; CPU time {}, peak memory {}",
        short_id(&s.id),
        s.name,
        e.status,
        seconds(e.duration.as_secs_f64()),
        seconds(e.cpu_time.as_secs_f64()),
        bytes(e.peak_rss_bytes),
    );
    let en = &e.energy;
    let _ = writeln!(
        out,
        "  energy    {}  =  {} · {} · {}",
        en.total().human(),
        component("cpu", &en.cpu),
        component("gpu", &en.gpu),
        component("ram", &en.ram)
    );
    let site = &s.site;
    let _ = writeln!(
        out,
        "  carbon    {} location-based (site {}: {} gCO2e/kWh, {}; PUE {})",
        e.impacts.co2e_location.human(),
        site.id,
        sig(site.intensity_g_per_kwh),
        site.year
            .map_or_else(|| "year n/a".to_string(), |y| y.to_string()),
        sig(site.pue)
    );
    match e.impacts.co2e_market {
        Some(m) => {
            let _ = writeln!(
                out,
                "            {} market-based ({})",
                m.human(),
                site.market_source
            );
        }
        None => {
            let _ = writeln!(
                out,
                "            market-based: n/a (site {} has no contractual factor)",
                site.id
            );
        }
    }
    let _ = writeln!(out, "  embodied  {}", embodied_line(e));
    let offsite = match e.impacts.water_offsite {
        Some(w) => format!("offsite {}", w.human()),
        None => "offsite n/a".into(),
    };
    let _ = writeln!(
        out,
        "  water     {} (onsite {} at WUE {} L/kWh; {offsite})",
        e.impacts.water_total().human(),
        e.impacts.water_onsite.human(),
        sig(site.wue_l_per_kwh)
    );
    match &e.impacts.cost {
        Some(c) => {
            let _ = writeln!(out, "  cost      {c}");
        }
        None => {
            let _ = writeln!(
                out,
                "  cost      n/a (no electricity price for site {}; set price_per_kwh in the config file)",
                site.id
            );
        }
    }
    let modelled: Vec<(&str, &ComponentEnergy)> =
        [("cpu", &en.cpu), ("gpu", &en.gpu), ("ram", &en.ram)]
            .into_iter()
            .filter(|(_, c)| c.source == EnergySource::Modelled)
            .collect();
    for (i, (name, c)) in modelled.iter().enumerate() {
        let label = if i == 0 { "modelled" } else { "" };
        let _ = writeln!(out, "  {label:<9} {name}: {}", c.method);
    }
    for n in &e.notes {
        let _ = writeln!(out, "  note      {n}");
    }
    let _ = writeln!(out, "  run id    {}", s.id);
    out
}

/// The table of `sustain runs list`.
pub fn runs_table(runs: &[RunView]) -> String {
    let mut t = table();
    t.set_header(vec![
        "ID",
        "NAME",
        "STATUS",
        "STARTED (UTC)",
        "DURATION",
        "ENERGY",
        "CO2E (LOC)",
        "SITE",
    ]);
    for r in runs {
        let e = r.end.as_ref();
        t.add_row(vec![
            Cell::new(short_id(&r.start.id)),
            Cell::new(&r.start.name),
            Cell::new(r.status().as_str()),
            Cell::new(r.start.started_at.format("%Y-%m-%d %H:%M:%S").to_string()),
            right(e.map_or("-".into(), |e| seconds(e.duration.as_secs_f64()))),
            right(e.map_or("-".into(), |e| e.energy.total().human())),
            right(e.map_or("-".into(), |e| e.impacts.co2e_location.human())),
            Cell::new(&r.start.site.id),
        ]);
    }
    format!("{t}\n")
}

/// The detail of `sustain runs show`.
pub fn run_detail(v: &RunView) -> String {
    let s = &v.start;
    let mut t = table();
    let mut row = |k: &str, val: String| {
        t.add_row(vec![Cell::new(k), Cell::new(val)]);
    };
    row("id", s.id.clone());
    row("name", s.name.clone());
    row("kind", s.kind.as_str().into());
    row("command", s.command.join(" "));
    row("status", v.status().as_str().into());
    row("started", s.started_at.to_rfc3339());
    row(
        "host",
        format!(
            "{} ({}, {} logical CPUs, {} RAM{})",
            s.host.hostname,
            s.host.cpu_model,
            s.host.logical_cpus,
            bytes(s.host.ram_total_bytes),
            if s.host.gpus.is_empty() {
                String::new()
            } else {
                format!(", GPUs: {}", s.host.gpus.join(", "))
            }
        ),
    );
    row(
        "site",
        format!(
            "{} — {} gCO2e/kWh ({}), PUE {}, WUE {} L/kWh",
            s.site.id,
            sig(s.site.intensity_g_per_kwh),
            s.site.source,
            sig(s.site.pue),
            sig(s.site.wue_l_per_kwh)
        ),
    );
    if !s.tags.is_empty() {
        row(
            "tags",
            s.tags
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" "),
        );
    }
    row(
        "samples",
        format!("{} every {} s", v.samples, sig(s.interval.as_secs_f64())),
    );
    if let Some(e) = &v.end {
        row("ended", e.ended_at.to_rfc3339());
        row(
            "exit",
            match (e.exit_code, e.signal) {
                (_, Some(sig)) => format!("killed by signal {sig}"),
                (Some(c), None) => c.to_string(),
                (None, None) => "-".into(),
            },
        );
        row("duration", seconds(e.duration.as_secs_f64()));
        row("cpu time", seconds(e.cpu_time.as_secs_f64()));
        row("peak memory", bytes(e.peak_rss_bytes));
        for (name, c) in [
            ("cpu", &e.energy.cpu),
            ("gpu", &e.energy.gpu),
            ("ram", &e.energy.ram),
        ] {
            row(
                &format!("energy {name}"),
                format!("{} — {}", component(name, c), c.method),
            );
        }
        row("energy (IT)", e.energy.total().human());
        row("energy (facility)", e.impacts.facility_energy.human());
        row("co2e location", e.impacts.co2e_location.human());
        row(
            "co2e market",
            e.impacts
                .co2e_market
                .map_or("n/a (no contractual factor)".into(), CarbonMass::human),
        );
        row("co2e embodied", embodied_line(e));
        if let Some(m) = &e.embodied {
            row("embodied method", m.method.clone());
        }
        row(
            "water",
            water_line(e.impacts.water_total(), e.impacts.water_offsite),
        );
        row(
            "cost",
            e.impacts
                .cost
                .as_ref()
                .map_or("n/a (no price or rate)".into(), |c| c.to_string()),
        );
        for n in &e.notes {
            row("note", n.clone());
        }
    }
    format!("{t}\n")
}

/// The run's embodied carbon, said to be modelled; or why it is unknown.
fn embodied_line(e: &sustain_core::run::RunEnd) -> String {
    match &e.embodied {
        Some(m) => format!(
            "{} (modelled: hardware manufacturing amortized over its lifetime; not added to the operational figures)",
            m.co2e.human()
        ),
        None => "n/a (no host embodied figure recorded for this run)".into(),
    }
}

fn water_line(total: Water, offsite: Option<Water>) -> String {
    match offsite {
        Some(o) => format!("{} (of which offsite {})", total.human(), o.human()),
        None => format!("{} (offsite n/a)", total.human()),
    }
}

/// The table of `sustain catalog sites`.
pub fn sites_table(sites: &[&Site]) -> String {
    let mut t = table();
    t.set_header(vec![
        "ID",
        "NAME",
        "KIND",
        "gCO2e/kWh",
        "YEAR",
        "PUE",
        "WUE L/kWh",
        "PRICE/kWh",
        "SOURCE",
    ]);
    for s in sites {
        let r = &s.record;
        let source: String = r.source.chars().take(60).collect();
        t.add_row(vec![
            Cell::new(&r.id),
            Cell::new(&r.name),
            Cell::new(&r.kind),
            right(sig(r.intensity_g_per_kwh)),
            right(r.year.map_or("-".into(), |y| y.to_string())),
            right(sig(r.pue)),
            right(sig(r.wue_l_per_kwh)),
            right(match (&r.price_per_kwh, &r.currency) {
                (Some(p), Some(c)) => format!("{} {c}", sig(*p)),
                _ => "-".into(),
            }),
            Cell::new(if r.source.chars().count() > 60 {
                format!("{source}…")
            } else {
                source
            }),
        ]);
    }
    format!(
        "{t}\n{} sites. Full sources: --json, or docs/reference/sites.md.\n",
        sites.len()
    )
}

fn opt(v: Option<f64>) -> String {
    v.map_or("-".into(), sig)
}

/// The accelerator table of `sustain catalog hardware`.
pub fn accelerators_table(devices: &[&AcceleratorRecord]) -> String {
    let mut t = table();
    t.set_header(vec![
        "ID",
        "NAME",
        "TDP W",
        "TRAIN W",
        "MEM GB",
        "FP32",
        "BF16",
        "FP16",
        "FP8",
        "EMBODIED kg",
    ]);
    for d in devices {
        t.add_row(vec![
            Cell::new(&d.id),
            Cell::new(&d.name),
            right(opt(d.tdp_w)),
            right(opt(d.typical_training_w)),
            right(opt(d.memory_gb)),
            right(opt(d.fp32_tflops)),
            right(opt(d.bf16_tflops)),
            right(opt(d.fp16_tflops)),
            right(opt(d.fp8_tflops)),
            right(opt(d.embodied_kgco2e)),
        ]);
    }
    format!(
        "{t}\nPeak throughput in dense TFLOP/s per device. Sources: --json, or docs/reference/accelerators.md.\n"
    )
}

/// The CPU table of `sustain catalog hardware --kind cpu`.
pub fn cpus_table(cpus: &[&CpuRecord]) -> String {
    let mut t = table();
    t.set_header(vec!["CPU MODEL", "TDP W", "SOURCE"]);
    for c in cpus {
        t.add_row(vec![
            Cell::new(&c.model),
            right(sig(c.tdp_w)),
            Cell::new(&c.source),
        ]);
    }
    format!("{t}\n{} CPU models.\n", cpus.len())
}

fn sci_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e6 {
        return format!("{v:.0}");
    }
    if v != 0.0 && (v.abs() >= 1e6 || v.abs() < 1e-3) {
        format!("{v:.3e}")
    } else {
        sig(v)
    }
}

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
        let mut row: Vec<Cell> = p.at.iter().map(|(_, v)| Cell::new(v)).collect();
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
