//! The UK Carbon Intensity API's JSON (api.carbonintensity.org.uk, NESO), as saved from it.
//!
//! Three shapes carry one series (<https://carbon-intensity.github.io/api-definitions/>):
//! - national, `/intensity/...`: `{"data":[{"from","to","intensity":{"forecast","actual","index"}}]}`;
//! - one region over a range, `/regional/intensity/{from}/{to}/regionid/{id}` (or `postcode/..`):
//!   `{"data":{"regionid","shortname",..,"data":[{"from","to","intensity":{"forecast","index"},"generationmix"}]}}`;
//! - one region now, `/regional/regionid/{id}`, `/regional/england`, ...:
//!   `{"data":[{"regionid","shortname",..,"data":[...]}]}`.
//!
//! A bare array of entries (the `data` array alone) is read too. The answer for every region at
//! once (`{"data":[{"from","to","regions":[..]}]}`) is refused: a series is one place.
//!
//! Each entry's time is its `from` (UTC); its intensity is `actual` when the API has one (the
//! national endpoints, for half hours past), else `forecast` (the regional endpoints have
//! forecasts only), and the source says which and how many. The API's figures count the CO2 of
//! generation (nuclear, wind and solar at 0 g), so they are recorded as direct, not life-cycle.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::Factors;
use super::formats::{Format, Parsed, Place, expected_intensity, plausible};
use crate::error::{Result, SchedError, invalid};
use crate::time::parse_timestamp;

/// The entry form, for error messages.
const ENTRY: &str = "{\"from\":\"2018-01-20T12:00Z\",\"to\":\"2018-01-20T12:30Z\",\
     \"intensity\":{\"forecast\":266,\"actual\":263}}";

/// One half hour.
#[derive(Deserialize)]
struct Entry {
    from: String,
    to: String,
    intensity: Intensity,
}

/// Its intensity, gCO2/kWh (`index`, a word, is not read). The figures are checked by
/// [`figure`], so that a bad one is named with its field.
#[derive(Deserialize)]
struct Intensity {
    #[serde(default)]
    forecast: Value,
    #[serde(default)]
    actual: Value,
}

/// A figure of an entry: absent or null is none; a number must be plausible.
fn figure(what: impl Fn() -> String, v: &Value) -> Result<Option<f64>> {
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => match n.as_f64().filter(|v| plausible(*v)) {
            Some(v) => Ok(Some(v)),
            None => Err(invalid(what(), n, expected_intensity())),
        },
        Value::String(text) => Err(invalid(
            what(),
            text,
            format!("{}, or null", expected_intensity()),
        )),
        other => Err(invalid(
            what(),
            other,
            format!("{}, or null", expected_intensity()),
        )),
    }
}

/// One region of the regional endpoints.
#[derive(Deserialize)]
struct Region {
    #[serde(default)]
    regionid: Option<i64>,
    #[serde(default)]
    shortname: Option<String>,
    data: Vec<Value>,
}

impl Region {
    fn name(&self) -> String {
        match (self.regionid, &self.shortname) {
            (Some(id), Some(name)) => format!("{id} {name}"),
            (Some(id), None) => id.to_string(),
            (None, Some(name)) => name.clone(),
            (None, None) => "unnamed".to_string(),
        }
    }
}

fn is_region(v: &Value) -> bool {
    v.get("regionid").is_some() || (v.get("data").is_some() && v.get("from").is_none())
}

/// The entries of the answer and the path of their array.
fn entries(path: &Path, bytes: &[u8]) -> Result<(Vec<Value>, String)> {
    let here = || format!("series {}", path.display());
    let answer: Value = serde_json::from_slice(bytes).map_err(|e| {
        SchedError::Inconsistent(format!(
            "{}: not valid JSON (line {}, column {}: {e}); expected the UK Carbon Intensity \
             API's answer, {{\"data\":[{ENTRY}, ...]}}",
            here(),
            e.line(),
            e.column()
        ))
    })?;
    let (data, array) = match answer {
        Value::Object(mut map) => match map.remove("data") {
            Some(data) => (data, "data"),
            None => {
                let keys: Vec<&str> = map.keys().map(String::as_str).collect();
                return Err(SchedError::Inconsistent(format!(
                    "{}: a JSON object without `data` (its fields: {}); expected the UK Carbon \
                     Intensity API's answer, {{\"data\":[{ENTRY}, ...]}}",
                    here(),
                    keys.join(", ")
                )));
            }
        },
        Value::Array(items) => (Value::Array(items), ""),
        other => {
            return Err(invalid(
                here(),
                other,
                format!("the UK Carbon Intensity API's answer, {{\"data\":[{ENTRY}, ...]}}"),
            ));
        }
    };
    let region = |v: Value, at: String| -> Result<(Vec<Value>, String)> {
        let r = Region::deserialize(v).map_err(|e| {
            SchedError::Inconsistent(format!(
                "{} {at}: not a region of the UK Carbon Intensity API ({e}); expected \
                 {{\"regionid\":13,\"shortname\":\"London\",\"data\":[{ENTRY}, ...]}}",
                here()
            ))
        })?;
        Ok((r.data, format!("{at}.data")))
    };
    match data {
        Value::Array(items) => {
            let Some(first) = items.first() else {
                return Err(SchedError::Inconsistent(format!(
                    "{}: `{array}` holds no entries; a series needs at least two",
                    here()
                )));
            };
            if first.get("regions").is_some() {
                return Err(SchedError::Inconsistent(format!(
                    "{} entry {array}[0]: every region at once (`regions`); a series is one \
                     place: ask the API for one region, /regional/intensity/{{from}}/{{to}}/\
                     regionid/{{id}}",
                    here()
                )));
            }
            if is_region(first) {
                if items.len() > 1 {
                    let names: Vec<String> = items
                        .into_iter()
                        .filter_map(|v| Region::deserialize(v).ok())
                        .map(|r| r.name())
                        .collect();
                    return Err(SchedError::Inconsistent(format!(
                        "{}: `{array}` holds {} regions ({}); a series is one place: ask the \
                         API for one region, /regional/intensity/{{from}}/{{to}}/regionid/{{id}}",
                        here(),
                        names.len(),
                        names.join(", ")
                    )));
                }
                let first = items.into_iter().next().expect("one region");
                return region(first, format!("{array}[0]"));
            }
            Ok((items, array.to_string()))
        }
        v @ Value::Object(_) => region(v, array.to_string()),
        other => Err(invalid(
            format!("{} data", here()),
            other,
            format!("an array of entries, [{ENTRY}, ...]"),
        )),
    }
}

/// Reads the UK Carbon Intensity API's JSON.
pub(super) fn parse(path: &Path, bytes: &[u8]) -> Result<Parsed> {
    let (items, array) = entries(path, bytes)?;
    let place = Place::Entry(array);
    let mut samples = Vec::with_capacity(items.len());
    let mut at = Vec::with_capacity(items.len());
    let (mut actual, mut forecast) = (0usize, 0usize);
    for (k, item) in items.into_iter().enumerate() {
        let here = |field: &str| format!("series {} {}, {field}", path.display(), place.name(k));
        let entry = Entry::deserialize(item).map_err(|e| {
            SchedError::Inconsistent(format!(
                "series {} {}: {e}; expected an entry {ENTRY}",
                path.display(),
                place.name(k)
            ))
        })?;
        let from = parse_timestamp(&here("from"), &entry.from)?;
        let to = parse_timestamp(&here("to"), &entry.to)?;
        if to <= from {
            return Err(invalid(
                here("to"),
                &entry.to,
                format!("a time after `from` ({})", entry.from),
            ));
        }
        let actual_v = figure(|| here("intensity.actual"), &entry.intensity.actual)?;
        let forecast_v = figure(|| here("intensity.forecast"), &entry.intensity.forecast)?;
        let v = match (actual_v, forecast_v) {
            (Some(v), _) => {
                actual += 1;
                v
            }
            (None, Some(v)) => {
                forecast += 1;
                v
            }
            (None, None) => {
                return Err(SchedError::Inconsistent(format!(
                    "series {} {}: neither intensity.actual nor intensity.forecast has a value; \
                     expected an entry {ENTRY}",
                    path.display(),
                    place.name(k)
                )));
            }
        };
        samples.push((from, v));
        at.push(k);
    }
    let column = match (actual, forecast) {
        (_, 0) => "intensity.actual",
        (0, _) => "intensity.forecast",
        _ => "intensity.actual, else intensity.forecast",
    };
    Ok(Parsed {
        format: Format::UkCarbonIntensityApi,
        column: column.to_string(),
        factors: Some(Factors::Direct),
        forecast_entries: forecast,
        samples,
        at,
        place,
    })
}
