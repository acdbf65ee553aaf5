//! Jobs of one site shifted in time on a perfect forecast: what a scenario's `shift-hours`
//! lever asks (`sustain-report`). Each request is a job submitted at a time, with a duration and
//! a window it may wait; the `carbon` policy places them all on the series as it is (the series
//! is the scenario's assumption: no forecast error, no smoothing), with unlimited capacity, and
//! each job's mean intensity is given under `fifo` (at submit) and as placed, both on that
//! series. A deadline past the end of the series is cut there; a job the series does not cover
//! from submit to submit + duration is not placed (`None`).

use chrono::NaiveDateTime;

use crate::error::Result;
use crate::forecast::ForecastUse;
use crate::grid::{Grid, GridInput};
use crate::job::Job;
use crate::policy::PolicyKind;
use crate::series::Series;
use crate::time::at;

/// A job to shift.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShiftRequest {
    /// When it is submitted, in the series' clock.
    pub submit: NaiveDateTime,
    /// How long it runs, minutes (above 0).
    pub duration_min: f64,
    /// How long it may wait beyond its earliest finish, minutes: its deadline is submit +
    /// duration + window.
    pub window_min: f64,
    /// Whether it may be suspended and resumed.
    pub interruptible: bool,
}

/// Where a job went.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shifted {
    /// Its mean intensity run at submit, gCO2e/kWh.
    pub fifo_g_per_kwh: f64,
    /// Its mean intensity as placed, gCO2e/kWh.
    pub scheduled_g_per_kwh: f64,
    /// When it starts as placed.
    pub start: NaiveDateTime,
    /// Over how many segments it runs (1 unless interruptible).
    pub segments: usize,
}

/// Places `requests` on `series` with the `carbon` policy (see the module); one answer per
/// request, in order.
pub fn shift(series: &Series, requests: &[ShiftRequest]) -> Result<Vec<Option<Shifted>>> {
    let end = series.end();
    let mut jobs = Vec::with_capacity(requests.len());
    let mut index = Vec::with_capacity(requests.len());
    for (i, r) in requests.iter().enumerate() {
        if !(r.duration_min.is_finite() && r.duration_min > 0.0 && r.window_min >= 0.0) {
            continue;
        }
        let finish = at(r.submit, r.duration_min.ceil() as i64);
        if r.submit < series.start || finish > end {
            continue;
        }
        let wanted = at(
            r.submit,
            (r.duration_min + r.window_min.min(1e7)).ceil() as i64,
        );
        let deadline = wanted.min(end).max(finish);
        jobs.push(Job {
            id: format!("request {i}"),
            submit: r.submit,
            duration_min: r.duration_min,
            deadline,
            interruptible: r.interruptible,
            power_kw: 1.0,
            priority: 0,
            site: None,
            sites: Vec::new(),
            command: None,
            origin: format!("request {i}"),
        });
        index.push(i);
    }
    let mut out = vec![None; requests.len()];
    if jobs.is_empty() {
        return Ok(out);
    }
    let grid = Grid::build(
        GridInput {
            series: vec![("series".to_string(), series.clone())],
            capacity: Vec::new(),
            step_min: series.step_min,
        },
        &jobs,
    )?;
    let plan = crate::sim::plan(&grid, &jobs, PolicyKind::Carbon, ForecastUse::Raw);
    for (k, pj) in plan.jobs.iter().enumerate() {
        // 1 kW over the duration: grams over kWh is the mean intensity.
        let kwh = pj.job.duration_min / 60.0;
        out[index[k]] = Some(Shifted {
            fifo_g_per_kwh: pj.baseline_co2e_g / kwh,
            scheduled_g_per_kwh: pj.predicted_co2e_g / kwh,
            start: pj.start(),
            segments: pj.segments.len(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::series::IntensitySource;

    fn t(s: &str) -> NaiveDateTime {
        crate::time::parse_timestamp("t", s).unwrap()
    }

    #[test]
    fn a_job_waits_for_the_cheapest_window_its_deadline_allows() {
        // 30-minute slots: 200 except 100 from 11:00 to 12:00 and 150 from 12:00 to 12:30.
        let mut values = vec![200.0; 48];
        values[22] = 100.0;
        values[23] = 100.0;
        values[24] = 150.0;
        let series = Series {
            start: t("2020-07-03 00:00"),
            step_min: 30,
            values,
            source: IntensitySource::Catalog {
                site: "x".into(),
                year: None,
                source: "test".into(),
            },
        };
        let req = |submit: &str, duration_min: f64, window_min: f64| ShiftRequest {
            submit: t(submit),
            duration_min,
            window_min,
            interruptible: false,
        };
        let got = shift(
            &series,
            &[
                // 90 min from 10:00: fifo 10:00–11:30 = (200·60 + 100·30)/90; best 11:00–12:30
                // = (100·60 + 150·30)/90 (10:30–12:00 would be (200·30 + 100·60)/90).
                req("2020-07-03 10:00", 90.0, 180.0),
                // No window: stays.
                req("2020-07-03 10:00", 90.0, 0.0),
                // Outside the series.
                req("2020-07-04 23:30", 60.0, 60.0),
            ],
        )
        .unwrap();
        let a = got[0].unwrap();
        assert!((a.fifo_g_per_kwh - 15_000.0 / 90.0).abs() < 1e-9, "{a:?}");
        assert!(
            (a.scheduled_g_per_kwh - 10_500.0 / 90.0).abs() < 1e-9,
            "{a:?}"
        );
        assert_eq!(a.start, t("2020-07-03 11:00"));
        let b = got[1].unwrap();
        assert_eq!(b.fifo_g_per_kwh, b.scheduled_g_per_kwh);
        assert_eq!(got[2], None);
    }
}
