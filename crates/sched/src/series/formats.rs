//! The file formats a site's intensity is read from, recognised by their content.
//!
//! A file whose first character (after a byte-order mark and blanks) is `{` or `[` is JSON, read
//! as the UK Carbon Intensity API's answer ([`uk_api`](super::uk_api)); anything else is CSV,
//! recognised by its header ([`table`](super::table)). The extension is not looked at: a
//! download saved as `.txt` or `.csv` reads the same.
//!
//! Every parser returns its samples with where each came from (a CSV line, a JSON entry), so
//! the one check of their order here and the gap check of the resampler can name them.
//! `docs/reference/intensity-formats.md` describes each format and its sources.

use std::path::Path;

use serde::Serialize;
use sustain_core::bounds::INTENSITY_G_PER_KWH;

use super::{Factors, ReadOptions, Sample};
use crate::error::{Result, SchedError};
use crate::time::format_timestamp;

/// A supported series format (serialized in kebab-case in the JSON of a plan or simulation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// `Time,Carbon Intensity`: the series of Wiesner et al., "Let's Wait Awhile" (Middleware
    /// '21), life-cycle, in the series' own clock (the project's shared 2020 data).
    TimeCarbonIntensity,
    /// `time,gco2_per_kwh`: Sustain's own plain form, in the series' own clock.
    Plain,
    /// Electricity Maps' data portal export: `Datetime (UTC)` and the carbon intensity columns,
    /// direct and life-cycle (`... (LCA)` in the files of 2021-2023 data, `... (Life cycle)`
    /// from 2024 on).
    ElectricityMaps,
    /// Electricity Maps' older hourly export (electricityMap, before the data portal):
    /// `datetime` and `carbon_intensity_avg` (consumption-based, life-cycle), UTC.
    ElectricityMapsLegacy,
    /// The UK Carbon Intensity API's JSON (api.carbonintensity.org.uk): national
    /// `{"data":[{"from","to","intensity":{"forecast","actual"}}]}` or one region's
    /// `{"data":{"regionid",..,"data":[..]}}` / `{"data":[{"regionid",..,"data":[..]}]}`, UTC.
    UkCarbonIntensityApi,
}

impl Format {
    /// Its name in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::TimeCarbonIntensity => "Time,Carbon Intensity",
            Format::Plain => "time,gco2_per_kwh",
            Format::ElectricityMaps => "Electricity Maps export",
            Format::ElectricityMapsLegacy => {
                "Electricity Maps export (older, carbon_intensity_avg)"
            }
            Format::UkCarbonIntensityApi => "UK Carbon Intensity API JSON",
        }
    }
}

/// What the reader accepts, for error messages.
pub const ACCEPTED: &str = "a CSV whose header has `Time,Carbon Intensity` (Wiesner et al.'s \
     series), `time,gco2_per_kwh`, `Datetime (UTC)` with `Carbon Intensity gCO₂eq/kWh (LCA)` or \
     `Carbon intensity gCO₂eq/kWh (Life cycle)` (and `(direct)`; an Electricity Maps export), or \
     `datetime` with `carbon_intensity_avg` (an older Electricity Maps export); or the UK Carbon \
     Intensity API's JSON, {\"data\":[{\"from\":\"2018-01-20T12:00Z\",\"to\":\"2018-01-20T12:30Z\",\
     \"intensity\":{\"forecast\":266,\"actual\":263}}]}";

/// How the position of a sample is named in messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Place {
    /// A CSV line (1 is the header).
    Line,
    /// An entry of a JSON array, named by its path (`data`, `data.data`, `data[0].data`).
    Entry(String),
}

impl Place {
    /// Names the sample found at `at` (a line, or an index in the array).
    pub(super) fn name(&self, at: usize) -> String {
        match self {
            Place::Line => format!("line {at}"),
            Place::Entry(array) => format!("entry {array}[{at}]"),
        }
    }
}

/// A file read: its samples in file order, each with where it was found, and what was read.
#[derive(Debug, Clone)]
pub(super) struct Parsed {
    /// The format recognised.
    pub format: Format,
    /// The column (CSV) or field (JSON) the intensity was read from.
    pub column: String,
    /// The emission factors behind the figures, where the format says.
    pub factors: Option<Factors>,
    /// Entries taken from a forecast because the file had no measured value for them.
    pub forecast_entries: usize,
    /// Time and intensity (gCO2e/kWh) of each sample.
    pub samples: Vec<Sample>,
    /// Where each sample was found (a line or an entry index, see `place`).
    pub at: Vec<usize>,
    /// How to name `at`.
    pub place: Place,
}

/// Reads the samples of `bytes`, in whichever format they are, checked to be in increasing
/// time order without repeats.
pub(super) fn parse(path: &Path, bytes: &[u8], options: &ReadOptions) -> Result<Parsed> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    let parsed = match first {
        None => {
            return Err(SchedError::Inconsistent(format!(
                "series {}: the file is empty; expected {ACCEPTED}",
                path.display()
            )));
        }
        Some(b'{' | b'[') => super::uk_api::parse(path, bytes)?,
        Some(_) => super::table::parse(path, bytes, options)?,
    };
    check_factors(path, &parsed, options)?;
    check_order(path, &parsed)?;
    Ok(parsed)
}

/// Refuses figures on other emission factors than the ones required.
fn check_factors(path: &Path, parsed: &Parsed, options: &ReadOptions) -> Result<()> {
    match (options.factors, parsed.factors) {
        (Some(want), Some(have)) if want != have => Err(SchedError::Inconsistent(format!(
            "series {}: {} figures are required, but this {} has {} figures only ({}); give a \
             series on {} factors, or do not require them",
            path.display(),
            want.as_str(),
            parsed.format.as_str(),
            have.as_str(),
            parsed.column,
            want.as_str(),
        ))),
        _ => Ok(()),
    }
}

/// Samples must come in increasing time order, each time once.
fn check_order(path: &Path, parsed: &Parsed) -> Result<()> {
    for k in 1..parsed.samples.len() {
        let (prev, t) = (parsed.samples[k - 1].0, parsed.samples[k].0);
        if t > prev {
            continue;
        }
        let how = if t == prev {
            format!("repeats the time {}", format_timestamp(t))
        } else {
            format!(
                "goes back in time: {} is before {}",
                format_timestamp(t),
                format_timestamp(prev)
            )
        };
        return Err(SchedError::Inconsistent(format!(
            "series {} {}: {how} of {}; samples must be in increasing time order without \
             repeats (sort the file and remove the repeated rows)",
            path.display(),
            parsed.place.name(parsed.at[k]),
            parsed.place.name(parsed.at[k - 1]),
        )));
    }
    Ok(())
}

/// What an intensity must be, for error messages: the project's one bound on grid intensities
/// (`sustain_core::bounds`, `docs/reference/bounds.md`) and why.
pub(super) fn expected_intensity() -> String {
    format!(
        "{} ({})",
        INTENSITY_G_PER_KWH.expected(),
        INTENSITY_G_PER_KWH.reason
    )
}

/// Whether an intensity as read is plausible: finite and within that bound.
pub(super) fn plausible(v: f64) -> bool {
    INTENSITY_G_PER_KWH.contains(v)
}
