//! Carbon-intensity series of a site: read from a file in one of the formats users have
//! (`formats`: the shared series' `Time,Carbon Intensity`, `time,gco2_per_kwh`, Electricity
//! Maps' CSV exports, the UK Carbon Intensity API's JSON), checked, and resampled to the
//! simulation step (`resample`).
//!
//! Resampling: each sample stands for the series' own step around it (an hourly sample covers
//! two 30-minute slots, a 15-minute one half a slot; a series may change its step part-way, as
//! Great Britain's 2020 series does from 30 to 15 minutes on 31 October); a slot takes the
//! time-weighted mean of what covers it; a slot nothing covers is a gap, named in an error
//! with the samples around it rather than filled. `docs/reference/intensity-formats.md` is the
//! reference.

mod formats;
mod resample;
mod table;
mod uk_api;

use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::error::{Result, SchedError, invalid, io};
use crate::time::{at, format_timestamp};

pub use formats::{ACCEPTED, Format};

/// The emission factors a series' figures stand on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Factors {
    /// Life-cycle factors (construction, fuel supply, operation, decommissioning): the shared
    /// series and Electricity Maps' default.
    LifeCycle,
    /// Direct (operational) factors: the combustion at the plant only.
    Direct,
}

impl Factors {
    /// Its name in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Factors::LifeCycle => "life-cycle",
            Factors::Direct => "direct",
        }
    }
}

/// How a series file is read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// The emission factors required. `None`: life-cycle where a file has both (Electricity
    /// Maps' exports), and what a file has otherwise. `Some(f)`: the `f` column, and a file whose
    /// figures stand on other factors is refused.
    pub factors: Option<Factors>,
}

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
        /// The column (CSV) or field (JSON) the intensity was read from, as the file names it
        /// (`Carbon Intensity gCO₂eq/kWh (LCA)`, `intensity.actual`, ...).
        column: String,
        /// The emission factors behind the figures, where the format says (`null` for
        /// `time,gco2_per_kwh`, which does not).
        factors: Option<Factors>,
        /// Entries taken from a forecast because the file had no measured value for them (the
        /// UK Carbon Intensity API's `forecast` where `actual` is null; its regional endpoints
        /// have forecasts only).
        #[serde(skip_serializing_if = "is_zero")]
        forecast_entries: usize,
        /// The series' own step, minutes (the most common one).
        native_step_min: u32,
        /// Slots inside the series that its samples cover only in part (a 15-minute sample
        /// missing under a 30-minute slot), each the mean of the part covered.
        #[serde(skip_serializing_if = "is_zero")]
        partial_slots: usize,
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

fn is_zero(n: &usize) -> bool {
    *n == 0
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
        Self::read_with(path, step_min, &ReadOptions::default())
    }

    /// Reads a series file with `options`, resampled to `step_min`.
    pub fn read_with(path: &Path, step_min: u32, options: &ReadOptions) -> Result<Self> {
        if step_min == 0 {
            return Err(invalid(
                "simulation step",
                "0 min",
                "a positive number of minutes",
            ));
        }
        let bytes = std::fs::read(path).map_err(|e| io(path, e))?;
        let parsed = formats::parse(path, &bytes, options)?;
        let native = native_step(&parsed.samples).ok_or_else(|| {
            SchedError::Inconsistent(format!(
                "series {}: a series needs at least two samples with increasing times ({} read)",
                path.display(),
                parsed.samples.len()
            ))
        })?;
        let r = resample::resample(&parsed.samples, step_min).map_err(|g| {
            gap_error(path, &g, &parsed.samples, |i| {
                parsed.place.name(parsed.at[i])
            })
        })?;
        Ok(Self {
            start: r.origin,
            step_min,
            values: r.values,
            source: IntensitySource::Series {
                path: path.to_path_buf(),
                format: parsed.format,
                column: parsed.column,
                factors: parsed.factors,
                forecast_entries: parsed.forecast_entries,
                native_step_min: native,
                partial_slots: r.partial_slots,
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

/// The error naming the first gap, the samples around it (by `name`, their line or entry) and
/// how many more there are.
fn gap_error(
    path: &Path,
    g: &resample::Gaps,
    samples: &[Sample],
    name: impl Fn(usize) -> String,
) -> SchedError {
    let sample = |i: usize| format!("{} ({})", format_timestamp(samples[i].0), name(i));
    let more = match (g.more, g.next) {
        (0, _) | (_, None) => String::new(),
        (1, Some(next)) => format!("; 1 more gap after it, at {}", format_timestamp(next)),
        (n, Some(next)) => format!(
            "; {n} more gaps after it, the next at {}",
            format_timestamp(next)
        ),
    };
    SchedError::Inconsistent(format!(
        "{}: a gap in the series: no sample covers {} (the series' step there is {} min; the \
         sample before it is {}, the next {}){more}; fill the missing samples, give a series \
         without gaps, or simulate at a coarser step",
        path.display(),
        format_timestamp(g.first),
        g.step_before,
        sample(g.before),
        sample(g.after),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        crate::time::parse_timestamp("t", s).unwrap()
    }

    fn resample_named(
        path: &Path,
        samples: &[Sample],
        step: u32,
    ) -> Result<(NaiveDateTime, Vec<f64>)> {
        resample::resample(samples, step)
            .map(|r| (r.origin, r.values))
            .map_err(|g| gap_error(path, &g, samples, |i| format!("line {}", i + 2)))
    }

    #[test]
    fn finer_samples_are_averaged_and_coarser_ones_held() {
        let quarter: Vec<Sample> = (0..8)
            .map(|i| (at(t("2020-01-01 00:00"), i * 15), i as f64))
            .collect();
        let (o, v) = resample_named(Path::new("q"), &quarter, 30).unwrap();
        assert_eq!(o, t("2020-01-01 00:00"));
        assert_eq!(v, vec![0.5, 2.5, 4.5, 6.5]);
        let hourly: Vec<Sample> = (0..3)
            .map(|i| (at(t("2020-01-01 00:00"), i * 60), 10.0 * i as f64))
            .collect();
        let (_, v) = resample_named(Path::new("h"), &hourly, 30).unwrap();
        assert_eq!(v, vec![0.0, 0.0, 10.0, 10.0, 20.0]);
    }

    #[test]
    fn a_gap_is_named_not_filled() {
        let mut s: Vec<Sample> = (0..6)
            .map(|i| (at(t("2020-01-01 00:00"), i * 30), 1.0))
            .collect();
        s.remove(3); // 01:30 missing
        let e = resample_named(Path::new("gb.csv"), &s, 30)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("gb.csv") && e.contains("gap") && e.contains("2020-01-01 01:30"),
            "{e}"
        );
        // The samples around it, by their lines.
        assert!(
            e.contains("2020-01-01 01:00 (line 4)") && e.contains("2020-01-01 02:00 (line 5)"),
            "{e}"
        );
        // At a 60-minute step the same series has a sample in every slot.
        assert!(resample_named(Path::new("gb.csv"), &s, 60).is_ok());
    }
}
