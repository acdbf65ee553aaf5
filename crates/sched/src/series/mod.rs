//! Carbon-intensity series of a site: read from a file in one of the formats users have
//! (`formats`), checked for gaps, and resampled to the simulation step.
//!
//! Resampling: a slot of the simulation step takes the mean of the samples that fall in it;
//! a slot with none takes the latest earlier sample while that sample's own step still covers
//! it (an hourly series at a 30-minute step); any other empty slot inside the series is a gap,
//! named in an error rather than filled. A series may change its step part-way (Great
//! Britain's 2020 series goes from 30 to 15 minutes on 31 October).

mod formats;

use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::error::{Result, SchedError, io};
use crate::time::{at, format_timestamp, minutes_since};

pub use formats::Format;

/// Where a site's intensity comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IntensitySource {
    /// A time series read from a file (measured or published intensity).
    Series {
        /// The file.
        path: PathBuf,
        /// Its format.
        format: Format,
        /// The series' own step, minutes (the most common one).
        native_step_min: u32,
    },
    /// No series given: the site's yearly figure from the catalog, the same in every slot
    /// (flagged: shifting in time cannot save anything there).
    Catalog {
        /// The catalog's site id.
        site: String,
        /// The figure's year.
        year: Option<i32>,
        /// The figure's source.
        source: String,
    },
}

/// One sample as read: a time and an intensity in gCO2e/kWh.
pub type Sample = (NaiveDateTime, f64);

/// A site's intensity on the simulation step, gCO2e/kWh per slot from `start`.
#[derive(Debug, Clone)]
pub struct Series {
    /// The first slot's start.
    pub start: NaiveDateTime,
    /// Minutes per slot.
    pub step_min: u32,
    /// One mean intensity per slot.
    pub values: Vec<f64>,
    /// Where it comes from.
    pub source: IntensitySource,
}

impl Series {
    /// Reads a series file in any supported format, resampled to `step_min`.
    pub fn read(path: &Path, step_min: u32) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| io(path, e))?;
        let (format, samples) = formats::parse(path, &bytes)?;
        let native = native_step(&samples).ok_or_else(|| {
            SchedError::Inconsistent(format!(
                "{}: a series needs at least two samples with increasing times",
                path.display()
            ))
        })?;
        let (start, values) = resample(path, &samples, native, step_min)?;
        Ok(Self {
            start,
            step_min,
            values,
            source: IntensitySource::Series {
                path: path.to_path_buf(),
                format,
                native_step_min: native,
            },
        })
    }

    /// A constant series (a catalog's yearly figure) from `start` for `slots` slots.
    pub fn constant(
        value: f64,
        start: NaiveDateTime,
        step_min: u32,
        slots: usize,
        source: IntensitySource,
    ) -> Self {
        Self {
            start,
            step_min,
            values: vec![value; slots],
            source,
        }
    }

    /// The end of the last slot.
    pub fn end(&self) -> NaiveDateTime {
        at(
            self.start,
            self.values.len() as i64 * i64::from(self.step_min),
        )
    }

    /// The mean intensity over the series.
    pub fn mean(&self) -> f64 {
        if self.values.is_empty() {
            return 0.0;
        }
        self.values.iter().sum::<f64>() / self.values.len() as f64
    }

    /// Whether the intensity comes from the catalog rather than a series.
    pub fn is_catalog(&self) -> bool {
        matches!(self.source, IntensitySource::Catalog { .. })
    }
}

/// The most common positive step between consecutive samples, minutes.
fn native_step(samples: &[Sample]) -> Option<u32> {
    let mut counts = std::collections::BTreeMap::<i64, usize>::new();
    for w in samples.windows(2) {
        let d = (w[1].0 - w[0].0).num_minutes();
        if d > 0 {
            *counts.entry(d).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .max_by_key(|(d, n)| (*n, std::cmp::Reverse(*d)))
        .and_then(|(d, _)| u32::try_from(d).ok())
}

/// Samples (sorted, checked) to slot means of `step` minutes, from the first sample's slot.
fn resample(
    path: &Path,
    samples: &[Sample],
    native: u32,
    step: u32,
) -> Result<(NaiveDateTime, Vec<f64>)> {
    let step = i64::from(step);
    // Slots are aligned on the step within the day (00:00, 00:30, ...).
    let first = samples[0].0;
    let midnight = first.date().and_hms_opt(0, 0, 0).expect("midnight exists");
    let origin = at(
        midnight,
        minutes_since(midnight, first).div_euclid(step) * step,
    );
    let last = samples[samples.len() - 1].0;
    let slots = (minutes_since(origin, last).div_euclid(step) + 1) as usize;
    let mut sums = vec![(0.0f64, 0u32); slots];
    for (t, v) in samples {
        let i = minutes_since(origin, *t).div_euclid(step) as usize;
        sums[i].0 += v;
        sums[i].1 += 1;
    }
    let mut values = Vec::with_capacity(slots);
    let mut latest: Option<(i64, f64)> = None; // minute and value of the latest sample read
    let mut k = 0usize; // next sample
    for (i, (sum, n)) in sums.iter().enumerate() {
        let slot_start = i as i64 * step;
        while k < samples.len() && minutes_since(origin, samples[k].0) < slot_start + step {
            latest = Some((minutes_since(origin, samples[k].0), samples[k].1));
            k += 1;
        }
        if *n > 0 {
            values.push(sum / f64::from(*n));
            continue;
        }
        match latest {
            Some((m, v)) if slot_start < m + i64::from(native) => values.push(v),
            _ => {
                let before = latest.map(|(m, _)| at(origin, m));
                let after = samples
                    .get(k)
                    .map(|s| s.0)
                    .or_else(|| samples.last().map(|s| s.0));
                return Err(SchedError::Inconsistent(format!(
                    "{}: a gap in the series: no sample for {} (the series' step is {native} min; \
                     last sample before it {}, next one {}); fill it or give a series without gaps",
                    path.display(),
                    format_timestamp(at(origin, slot_start)),
                    before.map_or("none".to_string(), format_timestamp),
                    after.map_or("none".to_string(), format_timestamp),
                )));
            }
        }
    }
    Ok((origin, values))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        crate::time::parse_timestamp("t", s).unwrap()
    }

    #[test]
    fn finer_samples_are_averaged_and_coarser_ones_held() {
        let quarter: Vec<Sample> = (0..8)
            .map(|i| (at(t("2020-01-01 00:00"), i * 15), i as f64))
            .collect();
        let (o, v) = resample(Path::new("q"), &quarter, 15, 30).unwrap();
        assert_eq!(o, t("2020-01-01 00:00"));
        assert_eq!(v, vec![0.5, 2.5, 4.5, 6.5]);
        let hourly: Vec<Sample> = (0..3)
            .map(|i| (at(t("2020-01-01 00:00"), i * 60), 10.0 * i as f64))
            .collect();
        let (_, v) = resample(Path::new("h"), &hourly, 60, 30).unwrap();
        assert_eq!(v, vec![0.0, 0.0, 10.0, 10.0, 20.0]);
    }

    #[test]
    fn a_gap_is_named_not_filled() {
        let mut s: Vec<Sample> = (0..6)
            .map(|i| (at(t("2020-01-01 00:00"), i * 30), 1.0))
            .collect();
        s.remove(3); // 01:30 missing
        let e = resample(Path::new("gb.csv"), &s, 30, 30)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("gb.csv") && e.contains("gap") && e.contains("2020-01-01 01:30"),
            "{e}"
        );
        // At a 60-minute step the same series has a sample in every slot.
        assert!(resample(Path::new("gb.csv"), &s, 30, 60).is_ok());
    }
}
