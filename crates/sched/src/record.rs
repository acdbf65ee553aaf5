//! Schedules as ledger records: the one conversion of a [`Simulation`] or a [`Plan`] into a
//! [`ScheduleRecord`] (`sustain_core::schedule`), which `sustain_ledger::Business::
//! record_schedule` writes. The ledger does not depend on this crate, so the conversion lives
//! here, with the types it reads.
//!
//! Every carbon figure is on the true series the grid holds (for a plan, the series given),
//! as the simulator accounts: per job, its placement's carbon and that of `fifo` (at submit, at
//! home). Times are the scheduler's clock taken as UTC (the clock of Electricity Maps' and the
//! UK Carbon Intensity API's exports, and what RFC 3339 timestamps are converted to).
//!
//! From the CLI: `sim.to_record(&loaded.grid, &loaded.jobs, &tags)` or
//! `plan.to_record(forecast_use, &tags)`, then `ledger.record_schedule(&record, actor)`.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDateTime, Timelike, Utc};
use sustain_core::schedule::{
    ForecastSettings, ScheduleJob, ScheduleMode, ScheduleRecord, Segment,
};

use crate::forecast::ForecastUse;
use crate::grid::Grid;
use crate::job::Job;
use crate::plan::Plan;
use crate::policy::Placement;
use crate::sim::Simulation;

/// Tags given to every job of a record (`product=chat`): the scopes its avoided carbon counts
/// in. A caller may set each job's own in the record before writing it.
pub type Tags = BTreeMap<String, String>;

fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// The time to the minute below, as the grid counts it.
fn to_minute(t: NaiveDateTime) -> NaiveDateTime {
    t.with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(t)
}

/// Segments as the ledger keeps them: to the second, so a stretch shorter than half a second
/// (a preemption at the instant of a start) is left out; its carbon stays in the job's figure.
fn segments(all: impl Iterator<Item = Segment>) -> Vec<Segment> {
    let all: Vec<Segment> = all.collect();
    let kept: Vec<Segment> = all.iter().copied().filter(|s| s.end > s.start).collect();
    if kept.is_empty() { all } else { kept }
}

/// The carbon of a placement on the true series, g.
fn carbon(grid: &Grid, p: &Placement) -> f64 {
    let job = &grid.jobs[p.job];
    p.segments
        .iter()
        .map(|&(a, b)| grid.sites[p.site].truth.carbon_g(job.power_kw, a, b))
        .sum()
}

impl Simulation {
    /// This simulation as a record (mode `simulation`): the head carries the simulation's
    /// totals (the policy's the mean over forecast draws), the jobs the first draw's
    /// placements, each with its carbon and its `fifo` carbon on the true series. `grid` and
    /// `jobs` are those simulated.
    pub fn to_record(&self, grid: &Grid, jobs: &[Job], tags: &Tags) -> ScheduleRecord {
        let baseline: HashMap<usize, &Placement> = self
            .baseline_placements
            .iter()
            .map(|p| (p.job, p))
            .collect();
        let records = self
            .placements
            .iter()
            .map(|p| {
                let job = &grid.jobs[p.job];
                let fifo = baseline.get(&p.job).map_or(0.0, |b| carbon(grid, b));
                let mut j = ScheduleJob::new(
                    jobs[job.index].id.clone(),
                    grid.sites[job.home].name.clone(),
                    grid.sites[p.site].name.clone(),
                    utc(grid.time(job.submit)),
                    segments(p.segments.iter().map(|&(a, b)| Segment {
                        start: utc(grid.time(a)),
                        end: utc(grid.time(b)),
                    })),
                    (fifo, carbon(grid, p)),
                    p.end() > job.deadline + 1e-6,
                );
                j.tags = tags.clone();
                j
            })
            .collect();
        let o = &self.options;
        ScheduleRecord::new(
            ScheduleMode::Simulation,
            o.policy.as_str(),
            self.step_min,
            ForecastSettings {
                use_: o.forecast_use.as_str().to_string(),
                error: if o.policy.uses_forecast() {
                    o.forecast_error
                } else {
                    0.0
                },
                seeds: self.seeds.len().max(1) as u32,
            },
            (self.baseline.co2e_g, self.policy.co2e_g),
            records,
        )
    }
}

impl Plan {
    /// This plan as a record (mode `plan`: for execution), made with `forecast_use` (a plan
    /// decides on the series given, with no drawn error). Each job's home site is its `site`,
    /// else its only allowed site, else the one site of the plan.
    pub fn to_record(&self, forecast_use: ForecastUse, tags: &Tags) -> ScheduleRecord {
        let records: Vec<ScheduleJob> = self
            .jobs
            .iter()
            .map(|pj| {
                let home = pj
                    .job
                    .site
                    .clone()
                    .or_else(|| (pj.job.sites.len() == 1).then(|| pj.job.sites[0].clone()))
                    .unwrap_or_else(|| pj.site.clone());
                let mut j = ScheduleJob::new(
                    pj.job.id.clone(),
                    home,
                    pj.site.clone(),
                    utc(to_minute(pj.job.submit)),
                    segments(pj.segments.iter().map(|s| Segment {
                        start: utc(s.start),
                        end: utc(s.end),
                    })),
                    (pj.baseline_co2e_g, pj.predicted_co2e_g),
                    pj.late,
                );
                j.tags = tags.clone();
                j
            })
            .collect();
        let baseline = records.iter().map(|j| j.baseline_co2e_g).sum();
        let planned = records.iter().map(|j| j.planned_co2e_g).sum();
        ScheduleRecord::new(
            ScheduleMode::Plan,
            &self.policy,
            self.step_min,
            ForecastSettings {
                use_: forecast_use.as_str().to_string(),
                error: 0.0,
                seeds: 1,
            },
            (baseline, planned),
            records,
        )
    }
}

/// The outcome of a planned job that ran, from the energy its run measured: the plan's
/// carbon per kWh (planned and fifo, on the series the plan used) times the measured energy.
/// A job whose plan has no energy (power 0) gets zero figures.
pub fn outcome_of(
    plan_id: &str,
    planned: &crate::plan::PlannedJob,
    run_id: &str,
    measured_kwh: f64,
) -> sustain_core::Result<sustain_core::schedule::ScheduleOutcome> {
    let planned_kwh = planned.job.energy_kwh();
    let scale = if planned_kwh > 0.0 {
        measured_kwh / planned_kwh
    } else {
        0.0
    };
    sustain_core::schedule::ScheduleOutcome::new(
        plan_id.to_string(),
        planned.job.id.clone(),
        run_id.to_string(),
        planned.predicted_co2e_g * scale,
        planned.baseline_co2e_g * scale,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::GridInput;
    use crate::policy::PolicyKind;
    use crate::series::{IntensitySource, Series};
    use crate::sim::{SimOptions, plan, simulate};

    /// Two sites over a day at 60-minute slots: `gb` at 300 except 100 from 02:00 to 04:00,
    /// `fr` at 50 all day.
    fn grid_and_jobs() -> (Grid, Vec<Job>) {
        let start = crate::time::parse_timestamp("t", "2020-03-02 00:00").unwrap();
        let source = IntensitySource::Catalog {
            site: "test".into(),
            year: None,
            source: "test".into(),
        };
        let mut gb = vec![300.0; 24];
        gb[2] = 100.0;
        gb[3] = 100.0;
        let series = vec![
            (
                "gb".to_string(),
                Series {
                    start,
                    step_min: 60,
                    values: gb,
                    source: source.clone(),
                },
            ),
            (
                "fr".to_string(),
                Series::constant(50.0, start, 60, 24, source),
            ),
        ];
        let jobs = crate::job::from_csv(
            "jobs.csv",
            "id,submit,duration_min,deadline,power_kw,site,sites\n\
             wait,2020-03-02 00:00,120,2020-03-02 06:00,2,gb,\n\
             move,2020-03-02 00:00,60,2020-03-02 01:00,1,gb,gb;fr\n",
        )
        .unwrap();
        let grid = Grid::build(
            GridInput {
                series,
                capacity: Vec::new(),
                step_min: 60,
            },
            &jobs,
        )
        .unwrap();
        (grid, jobs)
    }

    #[test]
    fn a_simulation_becomes_a_record_whose_figures_are_the_true_series() {
        let (grid, jobs) = grid_and_jobs();
        let sim = simulate(&grid, &jobs, SimOptions::default());
        let tags: Tags = [("product".to_string(), "chat".to_string())].into();
        let r = sim.to_record(&grid, &jobs, &tags);
        r.validate().unwrap();
        assert_eq!(r.plan.mode, ScheduleMode::Simulation);
        assert_eq!(r.plan.job_count, 2);
        // `wait`: 2 kW × 2 h at 300 under fifo (1200 g), at 100 from 02:00 (400 g).
        let wait = &r.jobs[0];
        assert_eq!((wait.baseline_co2e_g, wait.planned_co2e_g), (1200.0, 400.0));
        assert_eq!(wait.shift_min, 120.0);
        assert!(!wait.moved && !wait.late);
        assert_eq!(wait.tags["product"], "chat");
        // `move`: 1 kW × 1 h at 300 at home under fifo, at 50 in France at once.
        let moved = &r.jobs[1];
        assert_eq!((moved.baseline_co2e_g, moved.planned_co2e_g), (300.0, 50.0));
        assert!(moved.moved && moved.shift_min == 0.0);
        assert_eq!(
            (moved.home_site.as_str(), moved.site.as_str()),
            ("gb", "fr")
        );
        assert_eq!(r.plan.avoided_co2e_g, sim.avoided_co2e_g);
        assert_eq!(r.plan.avoided_co2e_g, 1050.0);
    }

    #[test]
    fn a_plan_becomes_a_record_for_execution() {
        let (grid, jobs) = grid_and_jobs();
        let p = plan(&grid, &jobs, PolicyKind::Carbon, ForecastUse::Raw);
        let r = p.to_record(ForecastUse::Raw, &Tags::new());
        r.validate().unwrap();
        assert_eq!(r.plan.mode, ScheduleMode::Plan);
        assert_eq!(r.plan.policy, "carbon");
        assert_eq!(r.plan.forecast.use_, "raw");
        assert_eq!(
            (r.plan.baseline_co2e_g, r.plan.policy_co2e_g),
            (1500.0, 450.0)
        );
        assert_eq!(
            r.jobs[0].segments[0].start.to_rfc3339(),
            "2020-03-02T02:00:00+00:00"
        );
        assert_eq!(r.jobs[1].home_site, "gb");
    }
}
