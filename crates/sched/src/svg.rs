//! The chart of a simulation: each site's intensity over time above, the baseline's and the
//! policy's load (kW running) below, on one time axis. Built with the core's maud line charts,
//! so every label is escaped.

use maud::html;
use sustain_core::chart::{Series as Line, line_svg};

use crate::grid::Grid;
use crate::policy::Placement;
use crate::sim::Simulation;
use crate::time::format_timestamp;

/// Load (kW) per slot of a schedule, all sites together.
fn load(grid: &Grid, placements: &[Placement], slots: usize) -> Vec<f64> {
    let step = f64::from(grid.step_min);
    let mut kw = vec![0.0; slots];
    for p in placements {
        let power = grid.jobs[p.job].power_kw;
        for &(a, b) in &p.segments {
            let mut i = (a / step).floor().max(0.0) as usize;
            while i < slots && (i as f64) * step < b {
                let lo = (i as f64 * step).max(a);
                let hi = ((i + 1) as f64 * step).min(b);
                kw[i] += power * (hi - lo) / step;
                i += 1;
            }
        }
    }
    kw
}

/// The chart as the text of an SVG file.
pub fn chart(grid: &Grid, sim: &Simulation) -> String {
    let step = f64::from(grid.step_min);
    let from = grid
        .jobs
        .iter()
        .map(|j| j.submit)
        .fold(f64::INFINITY, f64::min);
    let to = sim
        .placements
        .iter()
        .chain(&sim.baseline_placements)
        .map(Placement::end)
        .fold(f64::NEG_INFINITY, f64::max);
    let first = (from / step).floor().max(0.0) as usize;
    let slots = grid.sites.first().map_or(0, |s| s.truth.values().len());
    let last = ((to / step).ceil() as usize).min(slots);
    // A point per slot up to a month, else daily means: a readable line and a small file.
    let per_point = if (last - first) as f64 * step <= 31.0 * 1440.0 {
        1
    } else {
        (1440.0 / step).round().max(1.0) as usize
    };
    let day = |i: usize| (i as f64 * step - first as f64 * step) / 1440.0;
    let points = |values: &[f64]| -> Vec<(f64, f64)> {
        (first..last)
            .step_by(per_point)
            .filter_map(|i| {
                let chunk: Vec<f64> = values[i..(i + per_point).min(last)]
                    .iter()
                    .copied()
                    .filter(|v| v.is_finite())
                    .collect();
                (!chunk.is_empty())
                    .then(|| (day(i), chunk.iter().sum::<f64>() / chunk.len() as f64))
            })
            .collect()
    };
    let intensity: Vec<Line> = grid
        .sites
        .iter()
        .map(|s| Line {
            name: s.name.clone(),
            points: points(s.truth.values()),
        })
        .collect();
    let loads = vec![
        Line {
            name: "fifo (baseline)".into(),
            points: points(&load(grid, &sim.baseline_placements, slots)),
        },
        Line {
            name: format!("{} (planned)", sim.options.policy.as_str()),
            points: points(&load(grid, &sim.placements, slots)),
        },
    ];
    let start = format_timestamp(grid.time(first as f64 * step));
    let x_label = format!(
        "days from {start}{}",
        if per_point > 1 { " (daily means)" } else { "" }
    );
    let top = line_svg(
        "Carbon intensity (true series)",
        &x_label,
        "gCO2e/kWh",
        &intensity,
    );
    let bottom = line_svg("Load: jobs running", &x_label, "kW", &loads);
    html! {
        svg xmlns="http://www.w3.org/2000/svg" width="640" height="760" viewBox="0 0 640 760" {
            svg x="0" y="0" width="640" height="380" { (top) }
            svg x="0" y="380" width="640" height="380" { (bottom) }
        }
    }
    .into_string()
        + "\n"
}
