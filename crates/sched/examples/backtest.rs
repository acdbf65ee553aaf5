//! Back-test of the `carbon` policy on the shared 2020 series (Wiesner et al.'s setting):
//! `cargo run --release -p sustain-sched --example backtest [RULE]`.
use std::path::Path;
use sustain_sched::forecast::ForecastUse;
use sustain_sched::grid::{Grid, GridInput};
use sustain_sched::policy::PolicyKind;
use sustain_sched::series::Series;
use sustain_sched::sim::{SimOptions, simulate};
use sustain_sched::workload::{DeadlineRule, MlWorkload};

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/carbon-intensity");
    let rule = match std::env::args().nth(1).as_deref() {
        Some("lwa") => DeadlineRule::LetsWaitAwhile,
        _ => DeadlineRule::NextWorkday,
    };
    for (site, file) in [
        ("gb", "gb_2020.csv"),
        ("fr", "fr_2020.csv"),
        ("de", "ger_2020.csv"),
    ] {
        let series = Series::read(&dir.join(file), 30).unwrap();
        for interruptible in [false, true] {
            let jobs = MlWorkload {
                interruptible,
                site: site.into(),
                rule,
                ..Default::default()
            }
            .generate()
            .expect("a valid workload");
            let grid = Grid::build(
                GridInput {
                    series: vec![(site.into(), series.clone())],
                    capacity: vec![],
                    step_min: 30,
                },
                &jobs,
            )
            .unwrap();
            for (error, use_) in [
                (0.0, ForecastUse::Raw),
                (0.0, ForecastUse::Smoothed),
                (0.05, ForecastUse::Raw),
                (0.05, ForecastUse::Smoothed),
                (0.1, ForecastUse::Raw),
                (0.1, ForecastUse::Smoothed),
            ] {
                let t = std::time::Instant::now();
                let s = simulate(
                    &grid,
                    &jobs,
                    SimOptions {
                        policy: PolicyKind::Carbon,
                        forecast_error: error,
                        seeds: 10,
                        forecast_use: use_,
                    },
                );
                println!(
                    "{site} int={interruptible} E={error} {:?}: saved {:.2}% misses {} ({:.3}s)",
                    use_,
                    s.saved_pct,
                    s.deadline_misses,
                    t.elapsed().as_secs_f64()
                );
            }
        }
    }
}
