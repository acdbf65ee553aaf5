//! Terminal renderings: a simulation's summary and sites, a plan, the best windows. Every user
//! string (job ids, site names) goes through `sustain_core::terminal::safe`.

use sustain_core::text::{right, table, user};

use crate::best::BestWindow;
use crate::plan::Plan;
use crate::series::IntensitySource;
use crate::sim::{Simulation, Totals};
use crate::time::format_timestamp;

fn kg(g: f64) -> String {
    format!("{:.1}", g / 1000.0)
}

fn hours(min: f64) -> String {
    format!("{:.1}", min / 60.0)
}

/// A simulation: `fifo` against the policy, then each site.
pub fn simulation(s: &Simulation) -> String {
    let mut t = table();
    t.set_header(vec![
        "schedule",
        "kgCO2e",
        "kWh",
        "saved %",
        "late jobs",
        "mean wait h",
        "p95 wait h",
        "moved",
    ]);
    let row = |name: &str, x: &Totals, saved: String| {
        vec![
            comfy_table::Cell::new(name),
            right(kg(x.co2e_g)),
            right(format!("{:.1}", x.energy_kwh)),
            right(saved),
            right(format!("{}", x.deadline_misses)),
            right(hours(x.mean_wait_min)),
            right(hours(x.p95_wait_min)),
            right(format!("{}", x.moved_jobs)),
        ]
    };
    t.add_row(row("fifo (baseline)", &s.baseline, "-".into()));
    t.add_row(row(
        s.options.policy.as_str(),
        &s.policy,
        format!("{:.2}", s.saved_pct),
    ));
    let mut sites = table();
    sites.set_header(vec![
        "site",
        "intensity",
        "mean g/kWh",
        "capacity",
        "jobs fifo",
        "jobs policy",
        "kgCO2e fifo",
        "kgCO2e policy",
        "utilization",
    ]);
    for (name, r) in &s.per_site {
        let source = match &r.intensity {
            IntensitySource::Series { .. } => "series".to_string(),
            IntensitySource::Catalog { year, .. } => {
                format!(
                    "catalog yearly{} (flat)",
                    year.map(|y| format!(" {y}")).unwrap_or_default()
                )
            }
        };
        sites.add_row(vec![
            user(name),
            comfy_table::Cell::new(source),
            right(format!("{:.0}", r.mean_intensity_g_per_kwh)),
            right(r.capacity.map_or("unlimited".into(), |c| c.to_string())),
            right(format!("{:.0}", r.baseline.jobs)),
            right(format!("{:.1}", r.policy.jobs)),
            right(kg(r.baseline.co2e_g)),
            right(kg(r.policy.co2e_g)),
            right(
                r.policy
                    .utilization
                    .map_or("-".into(), |u| format!("{:.0} %", u * 100.0)),
            ),
        ]);
    }
    let forecast = if s.options.policy.uses_forecast() && s.options.forecast_error > 0.0 {
        format!(
            "forecast error σ = {} × mean, {} seeds (mean shown; late jobs: the worst seed), forecast use {}",
            s.options.forecast_error,
            s.seeds.len(),
            s.options.forecast_use.as_str()
        )
    } else if s.options.policy.uses_forecast() {
        "perfect forecast (the policy sees the series given)".to_string()
    } else {
        "the policy does not read the forecast".to_string()
    };
    let mut out = format!(
        "{} jobs, {}-minute slots; carbon on the true series (modelled: power × time × intensity).\n{forecast}\n\n{t}\n\n{sites}\n",
        s.jobs, s.step_min
    );
    out.push_str(&format!(
        "\nAvoided: {} kgCO2e against fifo ({:.2} %).\n",
        kg(s.avoided_co2e_g),
        s.saved_pct
    ));
    if !s.late_jobs.is_empty() {
        let shown: Vec<String> = s
            .late_jobs
            .iter()
            .take(10)
            .map(|id| sustain_core::terminal::safe(id).into_owned())
            .collect();
        out.push_str(&format!(
            "Late (no placement met the deadline): {}{}\n",
            shown.join(", "),
            if s.late_jobs.len() > 10 { ", ..." } else { "" }
        ));
    }
    out
}

/// A plan, one row per job.
pub fn plan(p: &Plan) -> String {
    let mut t = table();
    t.set_header(vec![
        "job",
        "site",
        "start",
        "end",
        "segments",
        "kgCO2e",
        "fifo kgCO2e",
        "late",
    ]);
    for j in &p.jobs {
        t.add_row(vec![
            user(&j.job.id),
            user(&j.site),
            comfy_table::Cell::new(format_timestamp(j.start())),
            comfy_table::Cell::new(format_timestamp(j.end())),
            right(j.segments.len()),
            right(format!("{:.2}", j.predicted_co2e_g / 1000.0)),
            right(format!("{:.2}", j.baseline_co2e_g / 1000.0)),
            comfy_table::Cell::new(if j.late { "LATE" } else { "" }),
        ]);
    }
    let (planned, fifo): (f64, f64) = p.jobs.iter().fold((0.0, 0.0), |a, j| {
        (a.0 + j.predicted_co2e_g, a.1 + j.baseline_co2e_g)
    });
    let saved = if fifo > 0.0 {
        (fifo - planned) / fifo * 100.0
    } else {
        0.0
    };
    format!(
        "Plan ({}, {}-minute slots), predicted on the intensity given:\n{t}\n\nTotal {} kgCO2e against {} kgCO2e at submit: {saved:.2} % less.\n",
        p.policy,
        p.step_min,
        kg(planned),
        kg(fifo)
    )
}

/// The best window at each site, best first.
pub fn best(windows: &[BestWindow]) -> String {
    let mut t = table();
    t.set_header(vec![
        "site",
        "start",
        "end",
        "mean g/kWh",
        "start now g/kWh",
        "saved %",
    ]);
    for w in windows {
        t.add_row(vec![
            user(&w.site),
            comfy_table::Cell::new(format_timestamp(w.start)),
            comfy_table::Cell::new(format_timestamp(w.end)),
            right(format!("{:.1}", w.mean_g_per_kwh)),
            right(format!("{:.1}", w.now_mean_g_per_kwh)),
            right(format!("{:.2}", w.saved_pct)),
        ]);
    }
    format!("{t}\n")
}
