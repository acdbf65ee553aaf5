//! The file formats a site's intensity is read from, recognised by their header.
//!
//! - `Time,Carbon Intensity`: the series of Wiesner et al. (the project's shared 2020 data);
//! - `time,gco2_per_kwh`: Sustain's own plain form;
//!
//! Each parser returns the samples sorted by time; a bad row is named by its line.

use std::path::Path;

use serde::Serialize;

use super::Sample;
use crate::error::{Result, SchedError, invalid};
use crate::time::parse_timestamp;

/// A supported series format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// `Time,Carbon Intensity` (Wiesner et al., "Let's Wait Awhile").
    TimeCarbonIntensity,
    /// `time,gco2_per_kwh`.
    Plain,
}

impl Format {
    /// Its name in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::TimeCarbonIntensity => "Time,Carbon Intensity",
            Format::Plain => "time,gco2_per_kwh",
        }
    }
}

/// What the reader accepts, for error messages.
pub const ACCEPTED: &str = "a CSV with a header `Time,Carbon Intensity` or `time,gco2_per_kwh`";

/// Recognises the format of `bytes` and reads its samples.
pub(super) fn parse(path: &Path, bytes: &[u8]) -> Result<(Format, Vec<Sample>)> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let header = reader
        .headers()
        .map_err(|e| invalid(format!("series {}", path.display()), e, ACCEPTED))?
        .clone();
    let find = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (format, time_col, value_col) =
        match (find("Time"), find("Carbon Intensity"), find("gco2_per_kwh")) {
            (Some(t), Some(v), _) => (Format::TimeCarbonIntensity, t, v),
            (Some(t), None, Some(v)) => (Format::Plain, t, v),
            _ => {
                return Err(invalid(
                    format!("series {} header", path.display()),
                    header.iter().collect::<Vec<_>>().join(","),
                    ACCEPTED,
                ));
            }
        };
    let mut samples: Vec<Sample> = Vec::new();
    for record in reader.records() {
        let record =
            record.map_err(|e| invalid(format!("series {}", path.display()), e, ACCEPTED))?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        let line = record.position().map_or(0, |p| p.line());
        let at = |col: &str| format!("series {} line {line}, {col}", path.display());
        let t = parse_timestamp(&at("time"), record.get(time_col).unwrap_or(""))?;
        let raw = record.get(value_col).unwrap_or("");
        let v: f64 = raw
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && (0.0..=5000.0).contains(v))
            .ok_or_else(|| invalid(at("intensity"), raw, "gCO2e/kWh between 0 and 5000"))?;
        if let Some((prev, _)) = samples.last() {
            if t <= *prev {
                return Err(SchedError::Inconsistent(format!(
                    "series {} line {line}: time {} is not after the previous row's {}; \
                     rows must be in increasing time order without repeats",
                    path.display(),
                    crate::time::format_timestamp(t),
                    crate::time::format_timestamp(*prev),
                )));
            }
        }
        samples.push((t, v));
    }
    Ok((format, samples))
}
