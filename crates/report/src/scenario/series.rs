//! The carbon-intensity series of the `shift-hours` lever, read with the scheduler's reader
//! (`sustain_sched::series::Series::read`), so every format `sustain schedule` takes works here
//! too: the shared series' `Time,Carbon Intensity` (the format this lever always read),
//! `time,gco2_per_kwh`, Electricity Maps' exports and the UK Carbon Intensity API's JSON; a gap
//! is named, not filled. A series stands for any year: a cell's hour is looked up at the same
//! month, day and time in the series' own years.

use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDateTime};

use crate::error::{ReportError, Result};

/// Minutes per slot the series is resampled to (the scheduler's default step).
pub const STEP_MIN: u32 = sustain_sched::input::DEFAULT_STEP_MIN;

/// A time-varying carbon-intensity series.
#[derive(Debug, Clone)]
pub struct Series {
    /// Where it was read from.
    pub path: PathBuf,
    /// The series on the scheduler's step.
    pub series: sustain_sched::series::Series,
}

impl Series {
    /// Reads a series file in any format the scheduler reads, resampled to `STEP_MIN` (30).
    pub fn read(path: &Path) -> Result<Self> {
        let series = sustain_sched::series::Series::read(path, STEP_MIN).map_err(|e| {
            ReportError::invalid(
                "series",
                path.display().to_string(),
                format!(
                    "a carbon-intensity series in a format `sustain schedule` reads \
                     (docs/reference/intensity-formats.md), without gaps at {STEP_MIN}-minute \
                     steps; here: {e}"
                ),
            )
        })?;
        Ok(Series {
            path: path.to_path_buf(),
            series,
        })
    }

    /// The time of the series that stands for `t`: the same month, day and time of day in the
    /// first of the series' years where the series covers `minutes` from it (none where no year
    /// does, or on 29 February where the series' years have none).
    pub fn locate(&self, t: NaiveDateTime, minutes: f64) -> Option<NaiveDateTime> {
        let (first, last) = (self.series.start, self.series.end());
        let span = chrono::Duration::minutes(minutes.max(0.0).ceil() as i64);
        (first.year()..=last.year())
            .filter_map(|y| t.with_year(y))
            .find(|c| *c >= first && *c + span <= last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn the_old_format_reads_and_a_year_stands_for_any_other() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.csv");
        // The format the lever always read: quoted fields, CRLF and a BOM.
        let mut text = String::from("\u{feff}Time,Carbon Intensity\r\n");
        for h in 0..48 {
            text += &format!(
                "\"2020-07-{:02} {:02}:00:00\",\"{}\"\r\n",
                3 + h / 24,
                h % 24,
                100 + h
            );
        }
        std::fs::write(&path, &text).unwrap();
        let s = Series::read(&path).unwrap();
        assert_eq!(s.series.step_min, STEP_MIN);
        // An hourly sample holds over two 30-minute slots.
        assert_eq!(&s.series.values[10..12], &[105.0, 105.0]);
        assert_eq!(
            s.locate(t("2026-07-03 05:00"), 90.0),
            Some(t("2020-07-03 05:00"))
        );
        // Past the series' end, or before its start, nothing stands for it.
        assert_eq!(s.locate(t("2026-07-04 23:00"), 90.0), None);
        assert_eq!(s.locate(t("2026-07-02 23:00"), 60.0), None);
        text += "2020-07-05 00:00:00,lots\r\n";
        std::fs::write(&path, &text).unwrap();
        let e = Series::read(&path).unwrap_err().to_string();
        assert!(e.contains("s.csv") && e.contains("lots"), "{e}");
    }
}
