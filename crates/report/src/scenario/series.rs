//! A time-varying carbon-intensity series for the `shift-hours` lever, read from CSV
//! (`Time,Carbon Intensity`) with the `csv` crate: quoted fields, CRLF line ends and a BOM are
//! read as such, and each bad row is named by its line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDateTime, Timelike};

use crate::error::{ReportError, Result};

/// A time-varying carbon-intensity series: hourly means by (month, day, hour).
#[derive(Debug, Clone)]
pub struct Series {
    /// Where it was read from.
    pub path: PathBuf,
    hourly: BTreeMap<(u32, u32, u32), f64>,
}

impl Series {
    /// Reads a CSV of `Time,Carbon Intensity` rows (`YYYY-MM-DD HH:MM:SS`, g/kWh), averaging
    /// each hour. The year is dropped: a run's hour is looked up by month, day and hour.
    pub fn read(path: &Path) -> Result<Self> {
        let unreadable = |e: &dyn std::fmt::Display| {
            ReportError::invalid(
                "series",
                path.display().to_string(),
                format!("a readable CSV file of Time,Carbon Intensity rows ({e})"),
            )
        };
        let bytes = std::fs::read(path).map_err(|e| unreadable(&e))?;
        let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&bytes);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(bytes);
        let mut sums: BTreeMap<(u32, u32, u32), (f64, u32)> = BTreeMap::new();
        // Lines counted from each record's byte offset, the newlines since the previous record
        // added up: the csv crate counts a CRLF header's line end late, so its own line
        // number is one short after one.
        let (mut counted_to, mut newlines) = (0usize, 0usize);
        for record in reader.records() {
            let record = record.map_err(|e| unreadable(&e))?;
            let end = record
                .position()
                .map_or(counted_to, |p| (p.byte() as usize + 1).min(bytes.len()))
                .max(counted_to);
            newlines += bytes[counted_to..end]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            counted_to = end;
            let line = newlines + 1;
            let err = || {
                ReportError::invalid(
                    format!("series {} line {line}", path.display()),
                    record.iter().collect::<Vec<_>>().join(","),
                    "YYYY-MM-DD HH:MM:SS,grams per kWh",
                )
            };
            if record.iter().all(str::is_empty) {
                continue;
            }
            let (Some(t), Some(v), None) = (record.get(0), record.get(1), record.get(2)) else {
                return Err(err());
            };
            let t = NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").map_err(|_| err())?;
            let v: f64 = v.parse().map_err(|_| err())?;
            if !(v.is_finite() && v >= 0.0) {
                return Err(err());
            }
            let e = sums.entry((t.month(), t.day(), t.hour())).or_default();
            e.0 += v;
            e.1 += 1;
        }
        if sums.len() < 24 {
            return Err(ReportError::invalid(
                "series",
                path.display().to_string(),
                "at least a day of Time,Carbon Intensity rows",
            ));
        }
        Ok(Series {
            path: path.to_path_buf(),
            hourly: sums
                .into_iter()
                .map(|(k, (s, n))| (k, s / f64::from(n)))
                .collect(),
        })
    }

    fn at(&self, t: NaiveDateTime) -> Option<f64> {
        self.hourly.get(&(t.month(), t.day(), t.hour())).copied()
    }

    /// The intensity at hour `t` and the lowest over the `window` hours from `t`.
    pub fn now_and_best(&self, t: NaiveDateTime, window: u32) -> Option<(f64, f64)> {
        let now = self.at(t)?;
        let best = (0..window)
            .filter_map(|h| self.at(t + chrono::Duration::hours(i64::from(h))))
            .fold(now, f64::min);
        Some((now, best))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_crlf_and_a_bom_read_and_bad_rows_name_their_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.csv");
        let mut text = String::from("\u{feff}Time,Carbon Intensity\r\n");
        for h in 0..24 {
            text += &format!("\"2020-07-03 {h:02}:00:00\",\"{}\"\r\n", 100 + h);
        }
        std::fs::write(&path, &text).unwrap();
        let s = Series::read(&path).unwrap();
        let t = chrono::NaiveDate::from_ymd_opt(2026, 7, 3)
            .unwrap()
            .and_hms_opt(5, 0, 0)
            .unwrap();
        assert_eq!(s.now_and_best(t, 3), Some((105.0, 105.0)));
        text += "2020-07-04 00:00:00,lots\r\n";
        std::fs::write(&path, &text).unwrap();
        let e = Series::read(&path).unwrap_err().to_string();
        assert!(e.contains("line 26") && e.contains("grams per kWh"), "{e}");
    }
}
