//! A run for people: the summary after `sustain run`, the table of `runs list`, the detail of
//! `runs show`.

use std::fmt::Write;

use comfy_table::Cell;

use super::{bytes, right, safe, seconds, short_id, table, user};
use crate::format::sig;
use crate::run::{ComponentEnergy, EnergySource, RunEnd, RunView};
use crate::units::{CarbonMass, Water};

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
        safe(&s.name),
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
        safe(&site.id),
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
                safe(&site.market_source)
            );
        }
        None => {
            let _ = writeln!(
                out,
                "            market-based: n/a (site {} has no contractual factor)",
                safe(&site.id)
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
                safe(&site.id)
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
        let _ = writeln!(out, "  {label:<9} {name}: {}", safe(&c.method));
    }
    for n in &e.notes {
        let _ = writeln!(out, "  note      {}", safe(n));
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
            user(&r.start.name),
            Cell::new(r.status().as_str()),
            Cell::new(r.start.started_at.format("%Y-%m-%d %H:%M:%S").to_string()),
            right(e.map_or("-".into(), |e| seconds(e.duration.as_secs_f64()))),
            right(e.map_or("-".into(), |e| e.energy.total().human())),
            right(e.map_or("-".into(), |e| e.impacts.co2e_location.human())),
            user(&r.start.site.id),
        ]);
    }
    format!("{t}\n")
}

/// The detail of `sustain runs show`.
pub fn run_detail(v: &RunView) -> String {
    let s = &v.start;
    let mut t = table();
    let mut row = |k: &str, val: String| {
        t.add_row(vec![Cell::new(k), user(&val)]);
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
fn embodied_line(e: &RunEnd) -> String {
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
