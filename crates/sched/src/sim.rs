//! The simulator: places the jobs under a policy and under `fifo`, and accounts for both on the
//! true intensity. With a forecast error, the policy decides on a noisy forecast, one draw per
//! seed, and the results are the mean over seeds (deadline misses: the worst seed).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::forecast::{ForecastError, ForecastUse, forecast};
use crate::grid::Grid;
use crate::job::Job;
use crate::plan::{Plan, PlannedJob, Segment};
use crate::policy::{Placement, PolicyKind, Seen};
use crate::series::IntensitySource;

/// How to simulate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SimOptions {
    /// The policy compared with `fifo`.
    pub policy: PolicyKind,
    /// Forecast error σ as a fraction of each series' mean (0: the policy sees the truth).
    pub forecast_error: f64,
    /// Draws of the forecast error (seeds 0..seeds).
    pub seeds: u32,
    /// How the policy uses the forecast.
    pub forecast_use: ForecastUse,
}

impl SimOptions {
    /// Checks the options: an error σ from 0 to 1 of the mean, 1 to 1000 seeds.
    pub fn validate(&self) -> crate::Result<()> {
        if !(self.forecast_error.is_finite() && (0.0..=1.0).contains(&self.forecast_error)) {
            return Err(crate::error::invalid(
                "--forecast-error",
                self.forecast_error,
                "σ as a fraction of the series' mean, 0 to 1 (0.05 = 5 %)",
            ));
        }
        if !(1..=1000).contains(&self.seeds) {
            return Err(crate::error::invalid(
                "--seeds",
                self.seeds,
                "1 to 1000 draws",
            ));
        }
        Ok(())
    }
}

impl Default for SimOptions {
    fn default() -> Self {
        Self {
            policy: PolicyKind::Carbon,
            forecast_error: 0.0,
            seeds: 1,
            forecast_use: ForecastUse::default(),
        }
    }
}

/// Totals of one schedule, on the true intensity.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Totals {
    /// Carbon, gCO2e (location-based, operational).
    pub co2e_g: f64,
    /// Energy, kWh (power × run time).
    pub energy_kwh: f64,
    /// Jobs finishing after their deadline.
    pub deadline_misses: f64,
    /// Mean of start − submit, minutes.
    pub mean_wait_min: f64,
    /// 95th percentile of start − submit, minutes.
    pub p95_wait_min: f64,
    /// Jobs run at a site other than their home site.
    pub moved_jobs: f64,
}

/// One site's share of a schedule.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SiteTotals {
    /// Jobs run there.
    pub jobs: f64,
    /// Carbon there, gCO2e.
    pub co2e_g: f64,
    /// Energy there, kWh.
    pub energy_kwh: f64,
    /// Busy job-hours over capacity × the simulated span (`None`: unlimited capacity).
    pub utilization: Option<f64>,
    /// Most jobs running at once.
    pub peak_concurrent: u32,
}

/// A site in the results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteReport {
    /// Concurrent jobs it can run (`None`: unlimited).
    pub capacity: Option<u32>,
    /// Mean true intensity over the simulated span, gCO2e/kWh.
    pub mean_intensity_g_per_kwh: f64,
    /// Where its intensity comes from (a catalog figure is flagged).
    pub intensity: IntensitySource,
    /// Under `fifo`.
    pub baseline: SiteTotals,
    /// Under the policy (mean over seeds).
    pub policy: SiteTotals,
}

/// One seed's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeedResult {
    /// The seed.
    pub seed: u64,
    /// Carbon under the policy, gCO2e.
    pub co2e_g: f64,
    /// Saved against `fifo`, %.
    pub saved_pct: f64,
    /// Jobs late.
    pub deadline_misses: u64,
}

/// The result of a simulation (`sustain schedule simulate --json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Simulation {
    /// Jobs simulated.
    pub jobs: usize,
    /// What was simulated.
    pub options: SimOptions,
    /// Minutes per slot.
    pub step_min: u32,
    /// `fifo`: each job at submit at its home site.
    pub baseline: Totals,
    /// The policy (mean over seeds; `deadline_misses` is the worst seed's).
    pub policy: Totals,
    /// Carbon saved against `fifo`, % (of the mean over seeds).
    pub saved_pct: f64,
    /// Carbon avoided against `fifo`, gCO2e.
    pub avoided_co2e_g: f64,
    /// Jobs late under the policy (the worst seed).
    pub deadline_misses: u64,
    /// Mean wait under the policy, minutes.
    pub mean_wait_min: f64,
    /// Jobs moved between sites under the policy (mean over seeds).
    pub moved_jobs: f64,
    /// Per site.
    pub per_site: BTreeMap<String, SiteReport>,
    /// Each seed.
    pub seeds: Vec<SeedResult>,
    /// Ids of the jobs late in the worst seed.
    pub late_jobs: Vec<String>,
    /// The policy's placements in the first seed (for plans and charts).
    #[serde(skip)]
    pub placements: Vec<Placement>,
    /// The baseline's placements.
    #[serde(skip)]
    pub baseline_placements: Vec<Placement>,
}

/// One schedule accounted on the truth.
struct Accounted {
    totals: Totals,
    per_site: Vec<SiteTotals>,
    late: Vec<usize>,
}

fn account(grid: &Grid, placements: &[Placement]) -> Accounted {
    let mut totals = Totals::default();
    let mut per_site = vec![SiteTotals::default(); grid.sites.len()];
    let mut waits = Vec::with_capacity(placements.len());
    let mut late = Vec::new();
    let (mut from, mut to) = (f64::INFINITY, f64::NEG_INFINITY);
    let mut events: Vec<Vec<(f64, i32)>> = vec![Vec::new(); grid.sites.len()];
    for p in placements {
        let job = &grid.jobs[p.job];
        let site = &grid.sites[p.site];
        let mut co2e = 0.0;
        let mut minutes = 0.0;
        for &(a, b) in &p.segments {
            co2e += site.truth.carbon_g(job.power_kw, a, b);
            minutes += b - a;
            events[p.site].push((a, 1));
            events[p.site].push((b, -1));
        }
        let energy = job.power_kw * minutes / 60.0;
        totals.co2e_g += co2e;
        totals.energy_kwh += energy;
        let s = &mut per_site[p.site];
        s.jobs += 1.0;
        s.co2e_g += co2e;
        s.energy_kwh += energy;
        if let Some(u) = s.utilization.as_mut() {
            *u += minutes;
        } else if site.capacity.is_some() {
            s.utilization = Some(minutes);
        }
        if p.end() > job.deadline + 1e-6 {
            late.push(p.job);
        }
        if p.site != job.home {
            totals.moved_jobs += 1.0;
        }
        waits.push(p.start() - job.submit);
        from = from.min(job.submit);
        to = to.max(p.end());
    }
    let span = (to - from).max(1.0);
    for (i, s) in per_site.iter_mut().enumerate() {
        if let (Some(busy), Some(c)) = (s.utilization, grid.sites[i].capacity) {
            s.utilization = Some(busy / (f64::from(c) * span));
        }
        let e = &mut events[i];
        e.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
        let mut now = 0i32;
        for (_, d) in e.iter() {
            now += d;
            s.peak_concurrent = s.peak_concurrent.max(now.max(0) as u32);
        }
    }
    totals.deadline_misses = late.len() as f64;
    if !waits.is_empty() {
        totals.mean_wait_min = waits.iter().sum::<f64>() / waits.len() as f64;
        waits.sort_by(f64::total_cmp);
        let k = ((waits.len() as f64 * 0.95).ceil() as usize).clamp(1, waits.len()) - 1;
        totals.p95_wait_min = waits[k];
    }
    Accounted {
        totals,
        per_site,
        late,
    }
}

fn saved(baseline: f64, policy: f64) -> f64 {
    if baseline > 0.0 {
        (baseline - policy) / baseline * 100.0
    } else {
        0.0
    }
}

/// The placements of `policy` on the forecast of one seed.
fn place(
    grid: &Grid,
    kind: PolicyKind,
    error: Option<ForecastError>,
    use_: ForecastUse,
) -> Vec<Placement> {
    let capacity: Vec<Option<u32>> = grid.sites.iter().map(|s| s.capacity).collect();
    let seen_forecast = forecast(grid, error, use_);
    let seen = Seen {
        jobs: &grid.jobs,
        capacity: &capacity,
        forecast: &seen_forecast,
        step: f64::from(grid.step_min),
    };
    kind.policy().place(&seen)
}

/// Simulates `options.policy` against `fifo` on `grid`.
pub fn simulate(grid: &Grid, jobs: &[Job], options: SimOptions) -> Simulation {
    let baseline_placements = place(grid, PolicyKind::Fifo, None, ForecastUse::Raw);
    let baseline = account(grid, &baseline_placements);
    let noisy = options.policy.uses_forecast() && options.forecast_error > 0.0;
    let seeds: Vec<u64> = if noisy {
        (0..u64::from(options.seeds.max(1))).collect()
    } else {
        vec![0]
    };
    // Seeds are independent: one thread each, as many at once as there are cores.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut runs: Vec<(u64, Vec<Placement>, Accounted)> = Vec::with_capacity(seeds.len());
    for chunk in seeds.chunks(threads) {
        let done: Vec<_> = std::thread::scope(|scope| {
            let handles: Vec<_> = chunk
                .iter()
                .map(|&seed| {
                    scope.spawn(move || {
                        let error = noisy.then_some(ForecastError {
                            relative_sigma: options.forecast_error,
                            seed,
                        });
                        let placements = place(grid, options.policy, error, options.forecast_use);
                        let accounted = account(grid, &placements);
                        (seed, placements, accounted)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a seed's simulation does not panic"))
                .collect()
        });
        runs.extend(done);
    }
    let n = runs.len() as f64;
    let mut policy = Totals::default();
    let mut per_site_policy = vec![SiteTotals::default(); grid.sites.len()];
    for (_, _, a) in &runs {
        let t = &a.totals;
        policy.co2e_g += t.co2e_g / n;
        policy.energy_kwh += t.energy_kwh / n;
        policy.mean_wait_min += t.mean_wait_min / n;
        policy.p95_wait_min += t.p95_wait_min / n;
        policy.moved_jobs += t.moved_jobs / n;
        for (acc, s) in per_site_policy.iter_mut().zip(&a.per_site) {
            acc.jobs += s.jobs / n;
            acc.co2e_g += s.co2e_g / n;
            acc.energy_kwh += s.energy_kwh / n;
            acc.utilization = match (acc.utilization, s.utilization) {
                (None, None) => None,
                (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0) / n),
            };
            acc.peak_concurrent = acc.peak_concurrent.max(s.peak_concurrent);
        }
    }
    let worst = runs
        .iter()
        .max_by_key(|(_, _, a)| a.late.len())
        .expect("at least one seed");
    policy.deadline_misses = worst.2.late.len() as f64;
    let late_jobs = worst
        .2
        .late
        .iter()
        .map(|&j| jobs[grid.jobs[j].index].id.clone())
        .collect();
    let span_from = grid
        .jobs
        .iter()
        .map(|j| j.submit)
        .fold(f64::INFINITY, f64::min);
    let span_to = grid
        .jobs
        .iter()
        .map(|j| j.deadline)
        .fold(f64::NEG_INFINITY, f64::max);
    let per_site = grid
        .sites
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mean = s.truth.integral(span_from, span_to) / (span_to - span_from).max(1.0);
            (
                s.name.clone(),
                SiteReport {
                    capacity: s.capacity,
                    mean_intensity_g_per_kwh: mean,
                    intensity: s.source.clone(),
                    baseline: baseline.per_site[i].clone(),
                    policy: per_site_policy[i].clone(),
                },
            )
        })
        .collect();
    let seed_results = runs
        .iter()
        .map(|(seed, _, a)| SeedResult {
            seed: *seed,
            co2e_g: a.totals.co2e_g,
            saved_pct: saved(baseline.totals.co2e_g, a.totals.co2e_g),
            deadline_misses: a.late.len() as u64,
        })
        .collect();
    let placements = runs.swap_remove(0).1;
    Simulation {
        jobs: jobs.len(),
        options,
        step_min: grid.step_min,
        saved_pct: saved(baseline.totals.co2e_g, policy.co2e_g),
        avoided_co2e_g: baseline.totals.co2e_g - policy.co2e_g,
        deadline_misses: policy.deadline_misses as u64,
        mean_wait_min: policy.mean_wait_min,
        moved_jobs: policy.moved_jobs,
        baseline: baseline.totals,
        policy,
        per_site,
        seeds: seed_results,
        late_jobs,
        placements,
        baseline_placements,
    }
}

/// A plan of `policy` on the intensity given (taken as the forecast): where and when each job
/// runs, with its predicted carbon and that of running it at submit at home.
pub fn plan(grid: &Grid, jobs: &[Job], policy: PolicyKind, use_: ForecastUse) -> Plan {
    let placements = place(grid, policy, None, use_);
    let baseline = place(grid, PolicyKind::Fifo, None, ForecastUse::Raw);
    let carbon = |p: &Placement| -> f64 {
        let job = &grid.jobs[p.job];
        p.segments
            .iter()
            .map(|&(a, b)| grid.sites[p.site].truth.carbon_g(job.power_kw, a, b))
            .sum()
    };
    Plan {
        policy: policy.as_str().to_string(),
        step_min: grid.step_min,
        jobs: placements
            .iter()
            .zip(&baseline)
            .map(|(p, b)| {
                let job = &grid.jobs[p.job];
                PlannedJob {
                    job: jobs[job.index].clone(),
                    site: grid.sites[p.site].name.clone(),
                    segments: p
                        .segments
                        .iter()
                        .map(|&(a, b)| Segment {
                            start: grid.time(a),
                            end: grid.time(b),
                        })
                        .collect(),
                    predicted_co2e_g: carbon(p),
                    baseline_co2e_g: carbon(b),
                    late: p.end() > job.deadline + 1e-6,
                }
            })
            .collect(),
    }
}
