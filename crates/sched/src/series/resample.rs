//! Samples to slots of the simulation step, gaps found rather than filled.
//!
//! Each sample stands for its own step from its time: the step of the series around it, the
//! most common interval among the [`WINDOW`] intervals on either side (ties to the longer), and
//! never past the next sample. So an hourly sample covers two 30-minute slots, a 15-minute one
//! half a slot, and a series may change its step part-way (Great Britain's 2020 series goes
//! from 30 to 15 minutes on 31 October) while a sample missing from a 15-minute stretch leaves
//! a hole even when the series is mostly at 30 minutes.
//!
//! A slot takes the time-weighted mean of what covers it. A slot nothing covers is a gap: the
//! first is returned, with its neighbours, for the caller to name. A slot covered only in part
//! (a 15-minute sample missing under a 30-minute slot) takes the mean of the part covered and is
//! counted, so the source can say how many there are.

use chrono::NaiveDateTime;

use super::Sample;
use crate::time::{at, minutes_since};

/// Intervals looked at on each side of a sample to find the series' step there.
pub(super) const WINDOW: usize = 4;

/// Samples on slots of the simulation step.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Resampled {
    /// The first slot's start: the first sample's slot, slots aligned on the step within the
    /// day (00:00, 00:30, ...).
    pub origin: NaiveDateTime,
    /// One mean intensity per slot, up to the slot of the last sample.
    pub values: Vec<f64>,
    /// Slots inside the series that its samples cover only in part.
    pub partial_slots: usize,
}

/// Slots no sample covers.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Gaps {
    /// The first one's start.
    pub first: NaiveDateTime,
    /// The series' step at the sample before it, minutes.
    pub step_before: i64,
    /// The sample before it and the one after (indices into the samples).
    pub before: usize,
    pub after: usize,
    /// Further gaps after the first (runs of uncovered slots), and the start of the next one.
    pub more: usize,
    pub next: Option<NaiveDateTime>,
}

/// The step of the series at each sample, minutes (see the module's documentation).
pub(super) fn own_steps(minutes: &[i64]) -> Vec<i64> {
    let intervals: Vec<i64> = minutes.windows(2).map(|w| w[1] - w[0]).collect();
    let mut counts: Vec<(i64, usize)> = Vec::with_capacity(2 * WINDOW);
    (0..minutes.len())
        .map(|i| {
            counts.clear();
            let lo = i.saturating_sub(WINDOW);
            let hi = (i + WINDOW).min(intervals.len());
            for &d in intervals.get(lo..hi).unwrap_or(&[]) {
                if d <= 0 {
                    continue;
                }
                match counts.iter_mut().find(|(v, _)| *v == d) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((d, 1)),
                }
            }
            counts
                .iter()
                .max_by_key(|(d, n)| (*n, *d))
                .map_or(1, |(d, _)| *d)
        })
        .collect()
}

/// Resamples `samples` (at least one, in increasing time order) to slots of `step` minutes.
pub(super) fn resample(samples: &[Sample], step: u32) -> Result<Resampled, Gaps> {
    let step = i64::from(step.max(1));
    let first = samples[0].0;
    let midnight = first.date().and_hms_opt(0, 0, 0).expect("midnight exists");
    let origin = at(
        midnight,
        minutes_since(midnight, first).div_euclid(step) * step,
    );
    let minutes: Vec<i64> = samples.iter().map(|s| minutes_since(origin, s.0)).collect();
    let own = own_steps(&minutes);
    let last = minutes[minutes.len() - 1];
    let slots = (last.div_euclid(step) + 1) as usize;
    let end = slots as i64 * step;
    // Covered minutes and the intensity-weighted sum of each slot.
    let mut covered = vec![0i64; slots];
    let mut sums = vec![0.0f64; slots];
    for (i, &m) in minutes.iter().enumerate() {
        let mut until = (m + own[i]).min(end);
        if let Some(&next) = minutes.get(i + 1) {
            until = until.min(next);
        }
        let mut a = m;
        while a < until {
            let slot = a.div_euclid(step);
            let b = until.min((slot + 1) * step);
            covered[slot as usize] += b - a;
            sums[slot as usize] += samples[i].1 * (b - a) as f64;
            a = b;
        }
    }
    let span_end = last + own[own.len() - 1];
    let mut values = Vec::with_capacity(slots);
    let mut partial_slots = 0;
    let mut gaps: Option<Gaps> = None;
    let mut in_gap = false;
    for (j, (&c, &sum)) in covered.iter().zip(&sums).enumerate() {
        let start = j as i64 * step;
        if c == 0 {
            if !in_gap {
                match &mut gaps {
                    None => {
                        let after = minutes.partition_point(|&m| m < start + step);
                        let before = after.saturating_sub(1);
                        gaps = Some(Gaps {
                            first: at(origin, start),
                            step_before: own[before],
                            before,
                            after: after.min(samples.len() - 1),
                            more: 0,
                            next: None,
                        });
                    }
                    Some(g) => {
                        g.more += 1;
                        g.next.get_or_insert(at(origin, start));
                    }
                }
            }
            in_gap = true;
            values.push(f64::NAN);
            continue;
        }
        in_gap = false;
        let expected = (start + step).min(span_end) - start.max(minutes[0]);
        if c < expected {
            partial_slots += 1;
        }
        values.push(sum / c as f64);
    }
    match gaps {
        Some(g) => Err(g),
        None => Ok(Resampled {
            origin,
            values,
            partial_slots,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        crate::time::parse_timestamp("t", s).unwrap()
    }

    fn every(start: &str, step: i64, values: &[f64]) -> Vec<Sample> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| (at(t(start), i as i64 * step), *v))
            .collect()
    }

    #[test]
    fn the_step_is_the_local_one() {
        // 30-minute samples, then 15-minute ones: each keeps its own step.
        let m = [0, 30, 60, 90, 120, 135, 150, 165, 180, 195, 210];
        let own = own_steps(&m);
        assert_eq!(own[..4], [30, 30, 30, 30]);
        assert_eq!(own[6..], [15, 15, 15, 15, 15]);
        // One 15-minute sample missing in a 15-minute stretch: the sample before it keeps 15.
        let m = [0, 15, 30, 45, 60, 90, 105, 120, 135];
        assert_eq!(own_steps(&m)[4], 15);
    }

    #[test]
    fn a_step_change_reads_and_a_hole_in_the_finer_part_is_a_gap() {
        let mut s = every("2020-10-30 22:00", 30, &[1.0, 1.0, 1.0, 1.0]);
        let finer: Vec<f64> = (0..12)
            .map(|k| if k % 2 == 0 { 2.0 } else { 4.0 })
            .collect();
        s.extend(every("2020-10-31 00:00", 15, &finer));
        let r = resample(&s, 30).unwrap();
        assert_eq!(r.values, [[1.0; 4].as_slice(), &[3.0; 6]].concat());
        assert_eq!(r.partial_slots, 0);
        let r = resample(&s, 15).unwrap();
        assert_eq!(r.values[..8], [1.0; 8]);
        // 02:00 missing: a hole at 15 min, a partial slot at 30.
        s.remove(12);
        let g = resample(&s, 15).unwrap_err();
        assert_eq!(g.first, t("2020-10-31 02:00"));
        assert_eq!((g.step_before, g.before, g.after, g.more), (15, 11, 12, 0));
        let r = resample(&s, 30).unwrap();
        assert_eq!(r.values[8], 4.0);
        assert_eq!(r.partial_slots, 1);
    }

    #[test]
    fn a_coarser_held_sample_is_weighted_by_the_time_it_covers() {
        // Hourly at a 45-minute step: the 00:45 slot is 15 min of 00:00's value, 30 of 01:00's.
        let s = every("2020-01-01 00:00", 60, &[0.0, 30.0, 60.0]);
        let r = resample(&s, 45).unwrap();
        assert_eq!(r.values[0], 0.0);
        assert_eq!(r.values[1], 20.0);
    }

    #[test]
    fn every_gap_is_counted_and_the_first_named() {
        let mut s = every("2020-01-01 00:00", 15, &[1.0; 12]);
        s.remove(9);
        s.remove(3);
        let g = resample(&s, 15).unwrap_err();
        assert_eq!(g.first, t("2020-01-01 00:45"));
        assert_eq!(g.more, 1);
        assert_eq!(g.next, Some(t("2020-01-01 02:15")));
    }
}
