//! Policies that run work as soon as there is room: `fifo` (the baseline), `priority` and
//! `least-loaded`. One event-driven dispatcher: at each arrival and completion, each site
//! starts queued jobs while it has free places, in the policy's order. Capacity is exact in
//! continuous time (a place freed at 10:17 is taken at 10:17).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::{Placement, Policy, PolicyKind, Seen, arrival_order};
use crate::grid::GridJob;

/// Run at submit at the home site, in submit order; when the site is full, wait for the
/// first free place. Never reads the forecast.
#[derive(Debug, Clone, Copy)]
pub struct Fifo;

/// Highest priority first at the home site; an arriving job takes the place of running
/// lower-priority interruptible work, which resumes when there is room again.
#[derive(Debug, Clone, Copy)]
pub struct Priority;

/// At submit, the allowed site with the least load (running and queued jobs per place), then
/// as `fifo` there.
#[derive(Debug, Clone, Copy)]
pub struct LeastLoaded;

impl Policy for Fifo {
    fn kind(&self) -> PolicyKind {
        PolicyKind::Fifo
    }
    fn place(&self, seen: &Seen<'_>) -> Vec<Placement> {
        dispatch(seen, Rule::Fifo)
    }
}

impl Policy for Priority {
    fn kind(&self) -> PolicyKind {
        PolicyKind::Priority
    }
    fn place(&self, seen: &Seen<'_>) -> Vec<Placement> {
        dispatch(seen, Rule::Priority)
    }
}

impl Policy for LeastLoaded {
    fn kind(&self) -> PolicyKind {
        PolicyKind::LeastLoaded
    }
    fn place(&self, seen: &Seen<'_>) -> Vec<Placement> {
        dispatch(seen, Rule::LeastLoaded)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    Fifo,
    Priority,
    LeastLoaded,
}

/// A time on the event queue (minutes; never NaN).
#[derive(Debug, Clone, Copy, PartialEq)]
struct At(f64);
impl Eq for At {}
impl PartialOrd for At {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for At {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// Queue order: smaller first (priority negated under `priority`, then submit in seconds,
/// then as given).
type Key = (i64, i64, usize);

fn key(rule: Rule, j: usize, job: &GridJob) -> Key {
    let p = if rule == Rule::Priority {
        -job.priority
    } else {
        0
    };
    (p, (job.submit * 60.0).round() as i64, j)
}

#[derive(Debug, Clone, Default)]
struct JobState {
    site: usize,
    remaining: f64,
    started: f64,
    version: u32,
    segments: Vec<(f64, f64)>,
}

struct Sites {
    capacity: Vec<Option<u32>>,
    running: Vec<Vec<usize>>,
    queued: Vec<BinaryHeap<Reverse<Key>>>,
}

fn dispatch(seen: &Seen<'_>, rule: Rule) -> Vec<Placement> {
    let jobs = seen.jobs;
    let n_sites = seen.capacity.len();
    let mut state: Vec<JobState> = jobs
        .iter()
        .map(|j| JobState {
            site: j.home,
            remaining: j.duration,
            ..Default::default()
        })
        .collect();
    let mut sites = Sites {
        capacity: seen.capacity.to_vec(),
        running: vec![Vec::new(); n_sites],
        queued: vec![BinaryHeap::new(); n_sites],
    };
    let mut done: BinaryHeap<Reverse<(At, usize, u32)>> = BinaryHeap::new();
    let arrivals = arrival_order(jobs);
    let mut next = 0usize;
    let mut touched: Vec<usize> = Vec::new();
    loop {
        while let Some(Reverse((_, j, v))) = done.peek() {
            if state[*j].version == *v {
                break;
            }
            done.pop();
        }
        let t = match (
            arrivals.get(next).map(|&j| jobs[j].submit),
            done.peek().map(|r| r.0.0.0),
        ) {
            (None, None) => break,
            (Some(a), None) => a,
            (None, Some(d)) => d,
            (Some(a), Some(d)) => a.min(d),
        };
        touched.clear();
        while let Some(&Reverse((At(tc), j, v))) = done.peek() {
            if tc > t + 1e-9 {
                break;
            }
            done.pop();
            if state[j].version != v {
                continue;
            }
            let s = &mut state[j];
            s.segments.push((s.started, tc));
            s.remaining = 0.0;
            let site = s.site;
            sites.running[site].retain(|&r| r != j);
            touched.push(site);
        }
        while let Some(&j) = arrivals.get(next) {
            if jobs[j].submit > t + 1e-9 {
                break;
            }
            next += 1;
            let site = match rule {
                Rule::LeastLoaded => least_loaded(&jobs[j], &sites),
                Rule::Fifo | Rule::Priority => jobs[j].home,
            };
            state[j].site = site;
            sites.queued[site].push(Reverse(key(rule, j, &jobs[j])));
            touched.push(site);
        }
        touched.sort_unstable();
        touched.dedup();
        for &site in &touched {
            fill(site, t, rule, jobs, &mut sites, &mut state, &mut done);
        }
    }
    state
        .into_iter()
        .enumerate()
        .map(|(j, s)| Placement {
            job: j,
            site: s.site,
            segments: s.segments,
        })
        .collect()
}

fn least_loaded(job: &GridJob, sites: &Sites) -> usize {
    let load = |s: usize| {
        let n = sites.running[s].len() + sites.queued[s].len();
        let share = sites.capacity[s].map_or(0.0, |c| (n + 1) as f64 / f64::from(c));
        (share, n)
    };
    let mut best = job.allowed[0];
    for &s in &job.allowed[1..] {
        let (a, b) = (load(s), load(best));
        if a.0 < b.0 || (a.0 == b.0 && a.1 < b.1) {
            best = s;
        }
    }
    best
}

fn fill(
    site: usize,
    t: f64,
    rule: Rule,
    jobs: &[GridJob],
    sites: &mut Sites,
    state: &mut [JobState],
    done: &mut BinaryHeap<Reverse<(At, usize, u32)>>,
) {
    let mut start = |j: usize, sites: &mut Sites, state: &mut [JobState]| {
        let s = &mut state[j];
        s.started = t;
        done.push(Reverse((At(t + s.remaining), j, s.version)));
        sites.running[site].push(j);
    };
    while let Some(&Reverse(top)) = sites.queued[site].peek() {
        let room = sites.capacity[site].is_none_or(|c| sites.running[site].len() < c as usize);
        if room {
            sites.queued[site].pop();
            start(top.2, sites, state);
            continue;
        }
        if rule != Rule::Priority {
            break;
        }
        // The running interruptible job that comes last in the queue's order, if after `top`.
        let victim = sites.running[site]
            .iter()
            .copied()
            .filter(|&r| jobs[r].interruptible)
            .max_by_key(|&r| key(rule, r, &jobs[r]));
        match victim {
            Some(v) if key(rule, v, &jobs[v]) > top => {
                let s = &mut state[v];
                if t > s.started {
                    s.segments.push((s.started, t));
                }
                s.remaining -= t - s.started;
                s.version += 1;
                sites.running[site].retain(|&r| r != v);
                sites.queued[site].push(Reverse(key(rule, v, &jobs[v])));
                sites.queued[site].pop();
                start(top.2, sites, state);
            }
            _ => break,
        }
    }
}
