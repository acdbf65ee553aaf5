//! The best start for one job: the forecast look-up of the Carbon Aware SDK's
//! `forecasts/current` with a `windowSize`, for scripts.

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::error::{Result, SchedError};
use crate::series::Series;
use crate::time::{at, format_timestamp, minutes_since};

/// The best window of a site's series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BestWindow {
    /// The site.
    pub site: String,
    /// When to start.
    #[serde(serialize_with = "ser_time")]
    pub start: NaiveDateTime,
    /// When it ends.
    #[serde(serialize_with = "ser_time")]
    pub end: NaiveDateTime,
    /// Minutes.
    pub duration_min: f64,
    /// Mean intensity over the window, gCO2e/kWh.
    pub mean_g_per_kwh: f64,
    /// Mean intensity if started at the earliest start instead.
    pub now_mean_g_per_kwh: f64,
    /// Carbon saved by waiting, %.
    pub saved_pct: f64,
}

fn ser_time<S: serde::Serializer>(t: &NaiveDateTime, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&format_timestamp(*t))
}

/// The start between `after` and `by − duration` (on the series' slot boundaries, or `after`
/// itself) with the lowest mean intensity over `duration_min`, at each site; the best site
/// first. Ties go to the earlier start.
pub fn best(
    sites: &[(String, Series)],
    duration_min: f64,
    after: NaiveDateTime,
    by: NaiveDateTime,
) -> Result<Vec<BestWindow>> {
    let mut out = Vec::with_capacity(sites.len());
    for (name, series) in sites {
        let curve = crate::grid::Curve::new(series.values.clone(), series.step_min);
        let step = f64::from(series.step_min);
        let from = minutes_since(series.start, after) as f64;
        let latest = minutes_since(series.start, by) as f64 - duration_min;
        if latest < from {
            return Err(SchedError::Inconsistent(format!(
                "--by {} leaves no room for {duration_min} min after {}; give a later --by or a shorter --duration",
                format_timestamp(by),
                format_timestamp(after)
            )));
        }
        if !curve.covers(from, latest + duration_min) {
            return Err(SchedError::Inconsistent(format!(
                "the series of site {name} ({} to {}) does not cover {} to {}; give one that does",
                format_timestamp(series.start),
                format_timestamp(series.end()),
                format_timestamp(after),
                format_timestamp(by)
            )));
        }
        let mean = |s: f64| curve.integral(s, s + duration_min) / duration_min;
        let now = mean(from);
        let (mut best_start, mut best_mean) = (from, now);
        let mut k = (from / step).floor() + 1.0;
        while k * step <= latest + 1e-9 {
            let m = mean(k * step);
            if m < best_mean - 1e-12 {
                (best_start, best_mean) = (k * step, m);
            }
            k += 1.0;
        }
        let start = at(series.start, best_start.round() as i64);
        out.push(BestWindow {
            site: name.clone(),
            start,
            end: at(start, duration_min.round() as i64),
            duration_min,
            mean_g_per_kwh: best_mean,
            now_mean_g_per_kwh: now,
            saved_pct: if now > 0.0 {
                (now - best_mean) / now * 100.0
            } else {
                0.0
            },
        });
    }
    out.sort_by(|a, b| a.mean_g_per_kwh.total_cmp(&b.mean_g_per_kwh));
    Ok(out)
}
