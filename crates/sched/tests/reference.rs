//! The `carbon` policy on the real 2020 series of Great Britain, France and Germany (Wiesner et
//! al., "Let's Wait Awhile", Middleware '21, doi:10.1145/3464298.3493399, the project's shared
//! data), with ML-training-like jobs due the next workday at 09:00 and a 5 % forecast error
//! over 10 seeds: it must save at least what they published, with no deadline missed.

use std::path::Path;

use sustain_sched::forecast::ForecastUse;
use sustain_sched::grid::{Grid, GridInput};
use sustain_sched::policy::PolicyKind;
use sustain_sched::series::Series;
use sustain_sched::sim::{SimOptions, simulate};
use sustain_sched::workload::{DeadlineRule, MlWorkload};

const SHARED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/carbon-intensity"
);

/// (site, file, published saving not interruptible %, interruptible %).
const PUBLISHED: [(&str, &str, f64, f64); 3] = [
    ("gb", "gb_2020.csv", 6.56, 9.03),
    ("fr", "fr_2020.csv", 4.77, 5.92),
    ("de", "ger_2020.csv", 5.91, 7.93),
];

#[test]
fn the_carbon_policy_saves_at_least_the_published_figures_with_no_deadline_missed() {
    for (site, file, not_interruptible, interruptible) in PUBLISHED {
        let series = Series::read(&Path::new(SHARED).join(file), 30).unwrap();
        for (can_pause, published) in [(false, not_interruptible), (true, interruptible)] {
            let jobs = MlWorkload {
                interruptible: can_pause,
                site: site.into(),
                rule: DeadlineRule::NextWorkday,
                ..Default::default()
            }
            .generate()
            .unwrap();
            assert_eq!(jobs.len(), 3387);
            let grid = Grid::build(
                GridInput {
                    series: vec![(site.into(), series.clone())],
                    capacity: vec![],
                    step_min: 30,
                },
                &jobs,
            )
            .unwrap();
            let s = simulate(
                &grid,
                &jobs,
                SimOptions {
                    policy: PolicyKind::Carbon,
                    forecast_error: 0.05,
                    seeds: 10,
                    forecast_use: ForecastUse::Smoothed,
                },
            );
            assert_eq!(s.seeds.len(), 10);
            assert_eq!(
                s.deadline_misses, 0,
                "{site} interruptible={can_pause}: {:?}",
                s.late_jobs
            );
            assert!(
                s.saved_pct >= published,
                "{site} interruptible={can_pause}: saved {:.2} % < published {published} %",
                s.saved_pct
            );
            // The energy is the same; only when and where it is drawn changes.
            assert!(
                (s.policy.energy_kwh - s.baseline.energy_kwh).abs() < 1e-6 * s.baseline.energy_kwh
            );
            println!(
                "{site} interruptible={can_pause}: saved {:.2} % (published {published} %)",
                s.saved_pct
            );
        }
    }
}
