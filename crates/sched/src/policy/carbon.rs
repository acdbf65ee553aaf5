//! The `carbon` policy: each job, as it arrives, takes the placement with the lowest forecast
//! carbon that finishes by its deadline, over its allowed sites and under their capacity.
//!
//! - Not interruptible: the start (at submit, or at a slot boundary up to deadline − duration)
//!   whose window has the lowest mean forecast intensity.
//! - Interruptible: the cheapest forecast slots between submit and deadline, as many as the
//!   duration needs (the last one in part), run in time order.
//!
//! Ties go to the earlier start, then to the home site. A job with no such placement (its
//! allowed sites full until its deadline) runs at its home site as early as there is room,
//! and is reported late.

use super::{Occupancy, Placement, Policy, PolicyKind, Seen, arrival_order};
use crate::grid::{Curve, GridJob};

/// Lowest forecast carbon by the deadline, in time and across allowed sites.
#[derive(Debug, Clone, Copy)]
pub struct Carbon;

/// A placement's stretches, `[start, end)` minutes.
type Segments = Vec<(f64, f64)>;

/// Slack for comparing minutes computed in floating point.
const EPS: f64 = 1e-9;

impl Policy for Carbon {
    fn kind(&self) -> PolicyKind {
        PolicyKind::Carbon
    }

    fn place(&self, seen: &Seen<'_>) -> Vec<Placement> {
        let mut occupancy = Occupancy::new(seen);
        let mut out: Vec<Option<Placement>> = vec![None; seen.jobs.len()];
        for j in arrival_order(seen.jobs) {
            let job = &seen.jobs[j];
            let mut best: Option<(f64, usize, Segments)> = None;
            for &site in &job.allowed {
                let curve = &seen.forecast[site];
                let found = if job.interruptible {
                    cheapest_slots(job, site, curve, &occupancy)
                } else {
                    best_window(job, site, curve, &occupancy)
                };
                if let Some((cost, segments)) = found {
                    if best
                        .as_ref()
                        .is_none_or(|b| cost < b.0 - EPS * b.0.abs().max(1.0))
                    {
                        best = Some((cost, site, segments));
                    }
                }
            }
            let (site, segments) = match best {
                Some((_, site, segments)) => (site, segments),
                None => (job.home, vec![earliest_room(job, seen, &occupancy)]),
            };
            occupancy.book(site, &segments);
            out[j] = Some(Placement {
                job: j,
                site,
                segments,
            });
        }
        out.into_iter()
            .map(|p| p.expect("every job placed"))
            .collect()
    }
}

/// The start of the lowest-carbon window at `site` that ends by the deadline and has room.
fn best_window(
    job: &GridJob,
    site: usize,
    curve: &Curve,
    occupancy: &Occupancy,
) -> Option<(f64, Vec<(f64, f64)>)> {
    let step = curve.step();
    let latest = job.deadline - job.duration;
    if latest < job.submit - EPS {
        return None;
    }
    // Slots the window may touch, and how many of them are full before each (capacity only).
    let first_slot = (job.submit / step).floor() as usize;
    let blocked: Option<Vec<u32>> = occupancy.limited(site).then(|| {
        let last_slot = (job.deadline / step).ceil() as usize;
        let mut prefix = Vec::with_capacity(last_slot - first_slot + 1);
        let mut acc = 0u32;
        prefix.push(0);
        for i in first_slot..last_slot {
            acc += u32::from(!occupancy.free(site, i));
            prefix.push(acc);
        }
        prefix
    });
    let fits = |a: f64, b: f64| match &blocked {
        None => true,
        Some(prefix) => {
            let i = (a / step).floor() as usize - first_slot;
            let k = ((b / step).ceil() as usize).max(i + first_slot + 1) - first_slot;
            prefix[k.min(prefix.len() - 1)] == prefix[i]
        }
    };
    let mut best: Option<(f64, f64)> = None;
    let mut consider = |start: f64| {
        let end = start + job.duration;
        if fits(start, end) {
            let cost = curve.integral(start, end);
            if best.is_none_or(|b| cost < b.0 - EPS * b.0.abs().max(1.0)) {
                best = Some((cost, start));
            }
        }
    };
    consider(job.submit);
    let mut k = (job.submit / step).floor() + 1.0;
    while k * step <= latest + EPS {
        consider(k * step);
        k += 1.0;
    }
    best.map(|(cost, start)| (cost, vec![(start, start + job.duration)]))
}

/// The cheapest slots at `site` between submit and deadline with room, enough for the job.
fn cheapest_slots(
    job: &GridJob,
    site: usize,
    curve: &Curve,
    occupancy: &Occupancy,
) -> Option<(f64, Vec<(f64, f64)>)> {
    let step = curve.step();
    let values = curve.values();
    // (intensity, start, length) of each usable piece of slot.
    let mut units: Vec<(f64, f64, f64)> = Vec::new();
    let mut i = (job.submit / step).floor() as usize;
    while (i as f64) * step < job.deadline - EPS && i < values.len() {
        let a = (i as f64 * step).max(job.submit);
        let b = ((i + 1) as f64 * step).min(job.deadline);
        if b - a > EPS && occupancy.free(site, i) {
            units.push((values[i], a, b - a));
        }
        i += 1;
    }
    let total: f64 = units.iter().map(|u| u.2).sum();
    if total < job.duration - EPS {
        return None;
    }
    // Only the cheapest units that can be needed are sorted: as many whole slots as the
    // duration takes, and two more for partial slots at the ends of the window.
    let order =
        |x: &(f64, f64, f64), y: &(f64, f64, f64)| x.0.total_cmp(&y.0).then(x.1.total_cmp(&y.1));
    let needed = ((job.duration / step).ceil() as usize + 2).min(units.len());
    if needed < units.len() {
        units.select_nth_unstable_by(needed, order);
        units.truncate(needed + 1);
    }
    units.sort_unstable_by(order);
    let mut need = job.duration;
    let mut cost = 0.0;
    let mut chosen: Vec<(f64, f64)> = Vec::new();
    for (v, a, len) in units {
        if need <= EPS {
            break;
        }
        let take = len.min(need);
        chosen.push((a, a + take));
        cost += v * take;
        need -= take;
    }
    chosen.sort_by(|x, y| x.0.total_cmp(&y.0));
    let mut segments: Vec<(f64, f64)> = Vec::with_capacity(chosen.len());
    for (a, b) in chosen {
        match segments.last_mut() {
            Some(last) if (last.1 - a).abs() < EPS => last.1 = b,
            _ => segments.push((a, b)),
        }
    }
    Some((cost, segments))
}

/// The earliest run of the whole job at its home site with room (past its deadline).
fn earliest_room(job: &GridJob, seen: &Seen<'_>, occupancy: &Occupancy) -> (f64, f64) {
    let step = seen.step;
    let horizon = seen.forecast[job.home].values().len() as f64 * step;
    let mut start = job.submit;
    while start + job.duration <= horizon {
        if occupancy.fits(job.home, start, start + job.duration) {
            return (start, start + job.duration);
        }
        start = ((start / step).floor() + 1.0) * step;
    }
    (job.submit, job.submit + job.duration)
}
