//! CSV series, recognised by their header.
//!
//! Column names are compared without regard to case, blanks around them, or the subscript in
//! `gCO₂eq` (so a file re-saved with `gCO2eq` still reads). Quoted fields, CRLF line ends and
//! a byte-order mark are the CSV reader's business; extra columns are ignored.

use std::path::Path;

use csv::StringRecord;

use super::formats::{Format, Parsed, Place, expected_intensity, plausible};
use super::{Factors, ReadOptions};
use crate::error::{Result, SchedError, invalid};
use crate::time::parse_timestamp;

/// Electricity Maps' time column (data portal exports).
const EM_TIME: &str = "datetime (utc)";
/// Electricity Maps' life-cycle column: `(LCA)` in the files of 2021-2023 data, `(Life cycle)`
/// from 2024 on; the data portal's page spells it out as `(life cycle assessment)`.
const EM_LIFE_CYCLE: [&str; 3] = [
    "carbon intensity gco2eq/kwh (lca)",
    "carbon intensity gco2eq/kwh (life cycle)",
    "carbon intensity gco2eq/kwh (life cycle assessment)",
];
/// Electricity Maps' direct (operational) column.
const EM_DIRECT: &str = "carbon intensity gco2eq/kwh (direct)";

/// Where the columns of a recognised file are.
struct Layout {
    format: Format,
    time: usize,
    value: usize,
    factors: Option<Factors>,
    /// A zone column: one file must hold one zone.
    zone: Option<usize>,
}

/// A column name as compared: lower case, `₂` as `2`, blanks collapsed.
fn normal(name: &str) -> String {
    name.replace('₂', "2")
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Recognises the format from the header.
fn recognise(path: &Path, header: &StringRecord, options: &ReadOptions) -> Result<Layout> {
    let names: Vec<String> = header.iter().map(normal).collect();
    let find = |wanted: &[&str]| names.iter().position(|n| wanted.contains(&n.as_str()));
    let shown = || header.iter().collect::<Vec<_>>().join(",");
    if let Some(time) = find(&[EM_TIME]) {
        let (life_cycle, direct) = (find(&EM_LIFE_CYCLE), find(&[EM_DIRECT]));
        let chosen = match options.factors {
            None => life_cycle
                .map(|c| (c, Factors::LifeCycle))
                .or(direct.map(|c| (c, Factors::Direct))),
            Some(Factors::LifeCycle) => life_cycle.map(|c| (c, Factors::LifeCycle)),
            Some(Factors::Direct) => direct.map(|c| (c, Factors::Direct)),
        };
        let Some((value, factors)) = chosen else {
            let wanted = match options.factors {
                Some(Factors::Direct) => "`Carbon Intensity gCO₂eq/kWh (direct)`",
                _ => {
                    "`Carbon Intensity gCO₂eq/kWh (LCA)` or `Carbon intensity gCO₂eq/kWh (Life cycle)`"
                }
            };
            return Err(invalid(
                format!("series {} header", path.display()),
                shown(),
                format!("an Electricity Maps export with a column {wanted}"),
            ));
        };
        return Ok(Layout {
            format: Format::ElectricityMaps,
            time,
            value,
            factors: Some(factors),
            zone: find(&["zone id"]),
        });
    }
    if let (Some(time), Some(value)) = (find(&["datetime"]), find(&["carbon_intensity_avg"])) {
        return Ok(Layout {
            format: Format::ElectricityMapsLegacy,
            time,
            value,
            factors: Some(Factors::LifeCycle),
            zone: find(&["zone_name"]),
        });
    }
    match (
        find(&["time"]),
        find(&["carbon intensity"]),
        find(&["gco2_per_kwh"]),
    ) {
        (Some(time), Some(value), _) => Ok(Layout {
            format: Format::TimeCarbonIntensity,
            time,
            value,
            factors: Some(Factors::LifeCycle),
            zone: None,
        }),
        (Some(time), None, Some(value)) => Ok(Layout {
            format: Format::Plain,
            time,
            value,
            factors: None,
            zone: None,
        }),
        _ => Err(invalid(
            format!("series {} header", path.display()),
            shown(),
            super::formats::ACCEPTED,
        )),
    }
}

/// Reads a CSV series.
pub(super) fn parse(path: &Path, bytes: &[u8], options: &ReadOptions) -> Result<Parsed> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let header = reader
        .headers()
        .map_err(|e| {
            invalid(
                format!("series {}", path.display()),
                e,
                super::formats::ACCEPTED,
            )
        })?
        .clone();
    let layout = recognise(path, &header, options)?;
    let time_name = header.get(layout.time).unwrap_or("time").to_string();
    let value_name = header.get(layout.value).unwrap_or("intensity").to_string();
    let mut parsed = Parsed {
        format: layout.format,
        column: value_name.clone(),
        factors: layout.factors,
        forecast_entries: 0,
        samples: Vec::new(),
        at: Vec::new(),
        place: Place::Line,
    };
    let mut zone: Option<(String, u64)> = None;
    for record in reader.records() {
        let record = record.map_err(|e| {
            invalid(
                format!("series {}", path.display()),
                e,
                "UTF-8 CSV text, one sample a row",
            )
        })?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        let line = record.position().map_or(0, |p| p.line());
        let at = |col: &str| format!("series {} line {line}, {col}", path.display());
        if let Some(z) = layout.zone.and_then(|c| record.get(c)) {
            match &zone {
                None => zone = Some((z.to_string(), line)),
                Some((first, first_line)) if first != z => {
                    return Err(SchedError::Inconsistent(format!(
                        "series {} line {line}: zone {z:?}, but line {first_line} is zone \
                         {first:?}; a series is one zone: give one file per zone",
                        path.display()
                    )));
                }
                Some(_) => {}
            }
        }
        let t = parse_timestamp(&at(&time_name), record.get(layout.time).unwrap_or(""))?;
        let raw = record.get(layout.value).unwrap_or("");
        let v = raw
            .parse()
            .ok()
            .filter(|v: &f64| plausible(*v))
            .ok_or_else(|| {
                let expected = if raw.is_empty() {
                    format!(
                        "{}; an empty cell is a missing sample: fill it, or cut the series \
                         before it",
                        expected_intensity()
                    )
                } else {
                    expected_intensity()
                };
                invalid(at(&value_name), raw, expected)
            })?;
        parsed.samples.push((t, v));
        parsed.at.push(usize::try_from(line).unwrap_or(usize::MAX));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(header: &str, factors: Option<Factors>) -> Result<Layout> {
        let record = StringRecord::from(header.split(',').collect::<Vec<_>>());
        recognise(Path::new("h.csv"), &record, &ReadOptions { factors })
    }

    #[test]
    fn every_spelling_of_the_life_cycle_column_is_found() {
        for header in [
            "Datetime (UTC),Carbon Intensity gCO₂eq/kWh (direct),Carbon Intensity gCO₂eq/kWh (LCA)",
            "Datetime (UTC),Carbon intensity gCO₂eq/kWh (direct),Carbon intensity gCO₂eq/kWh (Life cycle)",
            "Datetime (UTC),Carbon Intensity gCO₂eq/kWh (direct),Carbon Intensity gCO₂eq/kWh (life cycle assessment)",
            // Re-saved without the subscript, with stray blanks.
            " datetime (utc) ,carbon intensity gCO2eq/kWh (direct), Carbon  Intensity gCO2eq/kWh (LCA) ",
        ] {
            let l = layout(header, None).unwrap();
            assert_eq!(
                (l.format, l.time, l.value),
                (Format::ElectricityMaps, 0, 2),
                "{header}"
            );
            assert_eq!(l.factors, Some(Factors::LifeCycle));
            let l = layout(header, Some(Factors::Direct)).unwrap();
            assert_eq!((l.value, l.factors), (1, Some(Factors::Direct)), "{header}");
        }
        // Only the direct column: read, and said to be direct.
        let l = layout("Datetime (UTC),Carbon Intensity gCO₂eq/kWh (direct)", None).unwrap();
        assert_eq!(l.factors, Some(Factors::Direct));
        assert!(
            layout(
                "Datetime (UTC),Carbon Intensity gCO₂eq/kWh (direct)",
                Some(Factors::LifeCycle)
            )
            .is_err()
        );
    }

    #[test]
    fn the_other_headers_are_told_apart() {
        let l = layout("Time,Carbon Intensity", None).unwrap();
        assert_eq!(
            (l.format, l.factors),
            (Format::TimeCarbonIntensity, Some(Factors::LifeCycle))
        );
        let l = layout("gco2_per_kwh,time", None).unwrap();
        assert_eq!(
            (l.format, l.time, l.value, l.factors),
            (Format::Plain, 1, 0, None)
        );
        let l = layout("datetime,timestamp,zone_name,carbon_intensity_avg", None).unwrap();
        assert_eq!(
            (l.format, l.value, l.zone),
            (Format::ElectricityMapsLegacy, 3, Some(2))
        );
        assert!(layout("zone_datetime,carbon_intensity_avg", None).is_err());
    }
}
