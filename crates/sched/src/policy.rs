//! Policies: where and when each job runs. One trait, each policy a type.
//!
//! A policy sees [`Seen`]: the jobs, the sites' capacity and the forecast; never the true
//! intensity, which only the simulator's accounting reads.

mod carbon;
mod dispatch;

use serde::Serialize;

use crate::grid::{Curve, GridJob};

pub use carbon::Carbon;
pub use dispatch::{Fifo, LeastLoaded, Priority};

/// What a policy may look at.
#[derive(Debug, Clone, Copy)]
pub struct Seen<'a> {
    /// The jobs (times in minutes since the grid's origin).
    pub jobs: &'a [crate::grid::GridJob],
    /// Concurrent jobs per site (`None`: unlimited).
    pub capacity: &'a [Option<u32>],
    /// The forecast per site.
    pub forecast: &'a [Curve],
    /// Minutes per slot.
    pub step: f64,
}

/// Where and when one job runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Placement {
    /// Index of the job in [`Seen::jobs`].
    pub job: usize,
    /// Index of its site.
    pub site: usize,
    /// When it runs, minutes since the origin: `[start, end)` stretches in order.
    pub segments: Vec<(f64, f64)>,
}

impl Placement {
    /// When it starts.
    pub fn start(&self) -> f64 {
        self.segments[0].0
    }

    /// When it finishes.
    pub fn end(&self) -> f64 {
        self.segments[self.segments.len() - 1].1
    }
}

/// A scheduling policy.
pub trait Policy {
    /// Its name.
    fn kind(&self) -> PolicyKind;

    /// Places every job of `seen`, one placement per job in the order of `seen.jobs`. A job
    /// that cannot meet its deadline is placed as early as it can run (the simulator reports
    /// it as late).
    fn place(&self, seen: &Seen<'_>) -> Vec<Placement>;
}

/// The policies, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum PolicyKind {
    /// Run at submit at the home site, in submit order: the baseline.
    Fifo,
    /// Highest priority first, preempting lower-priority interruptible work.
    Priority,
    /// At submit, at the allowed site with the least load.
    LeastLoaded,
    /// Lowest forecast carbon over the job, in time and across allowed sites, by the deadline.
    #[default]
    Carbon,
}

impl PolicyKind {
    /// Its name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyKind::Fifo => "fifo",
            PolicyKind::Priority => "priority",
            PolicyKind::LeastLoaded => "least-loaded",
            PolicyKind::Carbon => "carbon",
        }
    }

    /// The policy of this kind.
    pub fn policy(self) -> Box<dyn Policy + Send + Sync> {
        match self {
            PolicyKind::Fifo => Box::new(Fifo),
            PolicyKind::Priority => Box::new(Priority),
            PolicyKind::LeastLoaded => Box::new(LeastLoaded),
            PolicyKind::Carbon => Box::new(Carbon),
        }
    }

    /// Whether it reads the forecast.
    pub fn uses_forecast(self) -> bool {
        self == PolicyKind::Carbon
    }
}

/// Jobs booked per slot and site, for policies that plan ahead under capacity.
#[derive(Debug, Clone)]
pub(crate) struct Occupancy {
    step: f64,
    capacity: Vec<Option<u32>>,
    used: Vec<Vec<u32>>,
}

impl Occupancy {
    pub(crate) fn new(seen: &Seen<'_>) -> Self {
        let slots = seen.forecast.first().map_or(0, |c| c.values().len());
        Self {
            step: seen.step,
            capacity: seen.capacity.to_vec(),
            used: seen
                .capacity
                .iter()
                .map(|c| {
                    if c.is_some() {
                        vec![0; slots]
                    } else {
                        Vec::new()
                    }
                })
                .collect(),
        }
    }

    /// The slots `[a, b)` touches.
    fn slots(&self, a: f64, b: f64) -> std::ops::Range<usize> {
        let i = (a / self.step).floor() as usize;
        let j = ((b / self.step).ceil() as usize).max(i + 1);
        i..j
    }

    /// Whether `site` has room in slot `i`.
    pub(crate) fn free(&self, site: usize, i: usize) -> bool {
        match self.capacity[site] {
            None => true,
            Some(c) => self.used[site].get(i).is_none_or(|u| *u < c),
        }
    }

    /// Whether `site` has a free place over `[a, b)`.
    pub(crate) fn fits(&self, site: usize, a: f64, b: f64) -> bool {
        self.capacity[site].is_none() || self.slots(a, b).all(|i| self.free(site, i))
    }

    /// Whether `site` is limited.
    pub(crate) fn limited(&self, site: usize) -> bool {
        self.capacity[site].is_some()
    }

    /// Books `segments` at `site`.
    pub(crate) fn book(&mut self, site: usize, segments: &[(f64, f64)]) {
        if self.capacity[site].is_none() {
            return;
        }
        for &(a, b) in segments {
            for i in self.slots(a, b) {
                if let Some(u) = self.used[site].get_mut(i) {
                    *u += 1;
                }
            }
        }
    }
}

/// Jobs in the order a planning policy takes them: submit, then priority (higher first), then
/// as given.
pub(crate) fn arrival_order(jobs: &[GridJob]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by(|&a, &b| {
        jobs[a]
            .submit
            .total_cmp(&jobs[b].submit)
            .then(jobs[b].priority.cmp(&jobs[a].priority))
            .then(a.cmp(&b))
    });
    order
}
