//! Sites on one clock: each site's true intensity per slot, its capacity, and the jobs with
//! their times in minutes since the grid's origin and their sites as indexes.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;

use crate::error::{Result, SchedError};
use crate::job::Job;
use crate::series::{IntensitySource, Series};
use crate::time::{at, format_timestamp, minutes_since};

/// A piecewise-constant intensity over the grid's slots, with its running integral so that
/// the carbon of any interval is two look-ups.
#[derive(Debug, Clone)]
pub struct Curve {
    step: f64,
    values: Vec<f64>,
    /// `prefix[i]`: the integral over slots `0..i`, g·min/kWh.
    prefix: Vec<f64>,
}

impl Curve {
    /// A curve of `values` (gCO2e/kWh, NaN where unknown) at `step_min` minutes per slot.
    pub fn new(values: Vec<f64>, step_min: u32) -> Self {
        let step = f64::from(step_min);
        let mut prefix = Vec::with_capacity(values.len() + 1);
        let mut acc = 0.0;
        prefix.push(0.0);
        for v in &values {
            acc += v * step;
            prefix.push(acc);
        }
        Self {
            step,
            values,
            prefix,
        }
    }

    /// Minutes per slot.
    pub fn step(&self) -> f64 {
        self.step
    }

    /// The values per slot.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The slot holding minute `t`.
    pub fn slot(&self, t: f64) -> usize {
        ((t / self.step).floor().max(0.0) as usize).min(self.values.len().saturating_sub(1))
    }

    fn cumulative(&self, t: f64) -> f64 {
        let i = (t / self.step).floor();
        if i < 0.0 {
            return 0.0;
        }
        let i = i as usize;
        if i >= self.values.len() {
            return self.prefix[self.values.len()];
        }
        self.prefix[i] + self.values[i] * (t - i as f64 * self.step)
    }

    /// The integral of intensity over minutes `[a, b)`, g·min/kWh.
    pub fn integral(&self, a: f64, b: f64) -> f64 {
        self.cumulative(b) - self.cumulative(a)
    }

    /// Carbon of `power_kw` running over `[a, b)`, grams.
    pub fn carbon_g(&self, power_kw: f64, a: f64, b: f64) -> f64 {
        power_kw * self.integral(a, b) / 60.0
    }

    /// Whether every slot over `[a, b)` has a value.
    pub fn covers(&self, a: f64, b: f64) -> bool {
        if a < 0.0 || b > self.values.len() as f64 * self.step {
            return false;
        }
        let (i, j) = (self.slot(a), self.slot((b - 1e-9).max(a)));
        self.values[i..=j].iter().all(|v| v.is_finite())
    }
}

/// A site of the grid.
#[derive(Debug, Clone)]
pub struct Site {
    /// Its name, as the jobs and `--intensity` give it.
    pub name: String,
    /// Concurrent jobs it can run (`None`: unlimited).
    pub capacity: Option<u32>,
    /// The true intensity.
    pub truth: Curve,
    /// Where the intensity comes from.
    pub source: IntensitySource,
}

/// A job on the grid: times in minutes since the origin, sites as indexes.
#[derive(Debug, Clone)]
pub struct GridJob {
    /// Index into the jobs given.
    pub index: usize,
    /// Submit, minutes.
    pub submit: f64,
    /// Deadline, minutes.
    pub deadline: f64,
    /// Duration, minutes.
    pub duration: f64,
    /// Draw, kW.
    pub power_kw: f64,
    /// Whether it may be suspended.
    pub interruptible: bool,
    /// Higher first.
    pub priority: i64,
    /// Home site.
    pub home: usize,
    /// Sites it may run at (the home site first).
    pub allowed: Vec<usize>,
}

/// Sites on one clock, and the jobs on it.
#[derive(Debug, Clone)]
pub struct Grid {
    /// Minute 0.
    pub origin: NaiveDateTime,
    /// Minutes per slot.
    pub step_min: u32,
    /// The sites.
    pub sites: Vec<Site>,
    /// The jobs, in the order given.
    pub jobs: Vec<GridJob>,
}

/// What builds a grid.
#[derive(Debug, Default)]
pub struct GridInput {
    /// Series by site name (all at the same step).
    pub series: Vec<(String, Series)>,
    /// Capacity by site name.
    pub capacity: Vec<(String, u32)>,
    /// Minutes per slot.
    pub step_min: u32,
}

impl Grid {
    /// Puts the series and the jobs on one clock. Sites the jobs name without a series take
    /// their catalog's yearly figure (flagged); unknown sites, jobs outside their sites'
    /// series and capacity 0 are errors naming them.
    pub fn build(input: GridInput, jobs: &[Job]) -> Result<Self> {
        let step = i64::from(input.step_min);
        for (name, c) in &input.capacity {
            if *c == 0 {
                return Err(crate::error::invalid(
                    format!("capacity of site {name}"),
                    0,
                    "1 or more concurrent jobs (leave it out for unlimited)",
                ));
            }
        }
        // The grid spans the series and the jobs, aligned on the step.
        let mut first = jobs.iter().map(|j| j.submit).min();
        let mut last = jobs.iter().map(|j| j.deadline).max();
        for (_, s) in &input.series {
            first = first.min(Some(s.start)).or(Some(s.start));
            last = last.max(Some(s.end()));
        }
        let (Some(first), Some(last)) = (first, last) else {
            return Err(SchedError::Inconsistent("no jobs and no series".into()));
        };
        let midnight = first.date().and_hms_opt(0, 0, 0).expect("midnight exists");
        let origin = at(
            midnight,
            minutes_since(midnight, first).div_euclid(step) * step,
        );
        let slots = (minutes_since(origin, last) + step - 1)
            .div_euclid(step)
            .max(1) as usize;

        // Every site named: by --intensity, --capacity or a job.
        let mut names: Vec<String> = input.series.iter().map(|(n, _)| n.clone()).collect();
        let mut add = |n: &str| {
            if !names.iter().any(|m| m == n) {
                names.push(n.to_string());
            }
        };
        for (n, _) in &input.capacity {
            add(n);
        }
        for j in jobs {
            if let Some(s) = &j.site {
                add(s);
            }
            for s in &j.sites {
                add(s);
            }
        }
        let capacity: BTreeMap<&str, u32> = input
            .capacity
            .iter()
            .map(|(n, c)| (n.as_str(), *c))
            .collect();
        let mut catalog = None;
        let mut sites = Vec::with_capacity(names.len());
        for name in &names {
            let (values, source) = match input.series.iter().find(|(n, _)| n == name) {
                Some((_, s)) => {
                    if s.step_min != input.step_min {
                        return Err(SchedError::Inconsistent(format!(
                            "series of site {name} is at {} min, the simulation at {} min",
                            s.step_min, input.step_min
                        )));
                    }
                    let offset = minutes_since(origin, s.start).div_euclid(step) as usize;
                    let mut v = vec![f64::NAN; slots];
                    for (k, x) in s.values.iter().enumerate() {
                        if let Some(slot) = v.get_mut(offset + k) {
                            *slot = *x;
                        }
                    }
                    (v, s.source.clone())
                }
                None => {
                    let cat = match &catalog {
                        Some(c) => c,
                        None => catalog.insert(sustain_core::site::SiteCatalog::bundled()?),
                    };
                    let site = cat.get(name).map_err(|e| {
                        SchedError::Inconsistent(format!(
                            "unknown site {name:?}: give its series with --intensity {name}=FILE, \
                             or use a catalog site id ({e})"
                        ))
                    })?;
                    let source = IntensitySource::Catalog {
                        site: site.record.id.clone(),
                        year: site.record.year,
                        source: site.record.source.clone(),
                    };
                    (vec![site.intensity.g_per_kwh(); slots], source)
                }
            };
            sites.push(Site {
                name: name.clone(),
                capacity: capacity.get(name.as_str()).copied(),
                truth: Curve::new(values, input.step_min),
                source,
            });
        }
        let index = |n: &str| {
            names
                .iter()
                .position(|m| m == n)
                .expect("every name is a site")
        };
        let mut grid_jobs = Vec::with_capacity(jobs.len());
        for (i, j) in jobs.iter().enumerate() {
            let home = match &j.site {
                Some(s) => index(s),
                None if j.sites.len() == 1 => index(&j.sites[0]),
                None if names.len() == 1 => 0,
                None => {
                    return Err(SchedError::Inconsistent(format!(
                        "{} (job {}): no home site, and {} sites are given; add a `site` column",
                        j.origin,
                        j.id,
                        names.len()
                    )));
                }
            };
            let mut allowed = vec![home];
            for s in &j.sites {
                let k = index(s);
                if !allowed.contains(&k) {
                    allowed.push(k);
                }
            }
            let g = GridJob {
                index: i,
                submit: minutes_since(origin, j.submit) as f64,
                deadline: minutes_since(origin, j.deadline) as f64,
                duration: j.duration_min,
                power_kw: j.power_kw,
                interruptible: j.interruptible,
                priority: j.priority,
                home,
                allowed,
            };
            for &s in &g.allowed {
                if !sites[s].truth.covers(g.submit, g.deadline) {
                    return Err(SchedError::Inconsistent(format!(
                        "{} (job {}): the series of site {} does not cover {} to {} (submit to \
                         deadline); give a series that does, or move the job",
                        j.origin,
                        j.id,
                        sites[s].name,
                        format_timestamp(j.submit),
                        format_timestamp(j.deadline)
                    )));
                }
            }
            grid_jobs.push(g);
        }
        Ok(Self {
            origin,
            step_min: input.step_min,
            sites,
            jobs: grid_jobs,
        })
    }

    /// The site with this name.
    pub fn site(&self, name: &str) -> Option<usize> {
        self.sites.iter().position(|s| s.name == name)
    }

    /// The time `minutes` after the origin.
    pub fn time(&self, minutes: f64) -> NaiveDateTime {
        let seconds = (minutes * 60.0).round() as i64;
        self.origin + chrono::Duration::seconds(seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_integral_of_a_step_curve_is_exact_at_any_bounds() {
        let c = Curve::new(vec![100.0, 200.0, 300.0], 30);
        assert_eq!(
            c.integral(0.0, 90.0),
            100.0 * 30.0 + 200.0 * 30.0 + 300.0 * 30.0
        );
        assert_eq!(c.integral(15.0, 45.0), 100.0 * 15.0 + 200.0 * 15.0);
        // 2 kW over [10, 70) min: 2 × (100×20 + 200×30 + 300×10) / 60 g.
        assert!((c.carbon_g(2.0, 10.0, 70.0) - 2.0 * 11_000.0 / 60.0).abs() < 1e-9);
        assert!(c.covers(0.0, 90.0) && !c.covers(0.0, 91.0));
    }
}
