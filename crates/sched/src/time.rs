//! Timestamps of jobs and series, and the one clock the simulator counts in.
//!
//! Series and jobs share a clock: a timestamp without an offset (`YYYY-MM-DD HH:MM[:SS]`, or
//! with a `T`) is read in the series' own clock, and an RFC 3339 timestamp with an offset is
//! converted to UTC, the clock of Electricity Maps' and the UK Carbon Intensity API's exports.
//! Inside the simulator a time is a whole number of minutes since the grid's origin.

use chrono::{DateTime, NaiveDateTime};

use crate::error::{Result, invalid};

/// The accepted forms, for error messages.
pub const FORMS: &str =
    "YYYY-MM-DD HH:MM[:SS] (in the series' clock) or RFC 3339 (2020-03-01T09:00:00Z)";

/// Parses a timestamp of a job or a series; `what` names it in the error.
pub fn parse_timestamp(what: &str, text: &str) -> Result<NaiveDateTime> {
    let t = text.trim();
    for form in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(v) = NaiveDateTime::parse_from_str(t, form) {
            return Ok(v);
        }
    }
    if let Ok(v) = DateTime::parse_from_rfc3339(t) {
        return Ok(v.naive_utc());
    }
    // The UK Carbon Intensity API writes minutes and a bare `Z` ("2018-01-20T12:00Z").
    if let Some(v) = t
        .strip_suffix('Z')
        .and_then(|s| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").ok())
    {
        return Ok(v);
    }
    Err(invalid(what, text, FORMS))
}

/// Formats a time for people and scripts: `YYYY-MM-DD HH:MM`, seconds when not zero.
pub fn format_timestamp(t: NaiveDateTime) -> String {
    if t.and_utc().timestamp() % 60 == 0 {
        t.format("%Y-%m-%d %H:%M").to_string()
    } else {
        t.format("%Y-%m-%d %H:%M:%S").to_string()
    }
}

/// Minutes from `origin` to `t` (negative before it), to the minute below.
pub fn minutes_since(origin: NaiveDateTime, t: NaiveDateTime) -> i64 {
    (t - origin).num_seconds().div_euclid(60)
}

/// The time `minutes` after `origin`.
pub fn at(origin: NaiveDateTime, minutes: i64) -> NaiveDateTime {
    origin + chrono::Duration::minutes(minutes)
}

/// Parses a duration such as `4h`, `90min`, `90m`, `1h30m`, `2d` or a bare number of minutes.
pub fn parse_duration_min(what: &str, text: &str) -> Result<f64> {
    let t = text.trim();
    let bad = || {
        invalid(
            what,
            text,
            "a positive duration such as 4h, 90min, 1h30m, 2d or a number of minutes",
        )
    };
    if let Ok(v) = t.parse::<f64>() {
        return if v.is_finite() && v > 0.0 {
            Ok(v)
        } else {
            Err(bad())
        };
    }
    let mut total = 0.0;
    let mut rest = t;
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let value: f64 = rest[..n].parse().map_err(|_| bad())?;
        rest = &rest[n..];
        let u = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let factor = match &rest[..u] {
            "d" => 1440.0,
            "h" => 60.0,
            "m" | "min" => 1.0,
            _ => return Err(bad()),
        };
        total += value * factor;
        rest = &rest[u..];
    }
    if total.is_finite() && total > 0.0 {
        Ok(total)
    } else {
        Err(bad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_form_reads_and_others_are_named() {
        let want =
            NaiveDateTime::parse_from_str("2020-03-01 09:00:00", "%Y-%m-%d %H:%M:%S").unwrap();
        for t in [
            "2020-03-01 09:00",
            "2020-03-01 09:00:00",
            "2020-03-01T09:00",
            "2020-03-01T09:00:00Z",
            "2020-03-01T10:00:00+01:00",
            "2020-03-01T09:00Z",
        ] {
            assert_eq!(parse_timestamp("submit", t).unwrap(), want, "{t}");
        }
        let e = parse_timestamp("jobs.csv line 3, submit", "01/03/2020 09:00").unwrap_err();
        let m = e.to_string();
        assert!(
            m.contains("line 3") && m.contains("01/03/2020") && m.contains("RFC 3339"),
            "{m}"
        );
    }

    #[test]
    fn durations_read_in_every_unit() {
        assert_eq!(parse_duration_min("d", "4h").unwrap(), 240.0);
        assert_eq!(parse_duration_min("d", "1h30m").unwrap(), 90.0);
        assert_eq!(parse_duration_min("d", "90min").unwrap(), 90.0);
        assert_eq!(parse_duration_min("d", "2d").unwrap(), 2880.0);
        assert_eq!(parse_duration_min("d", "45").unwrap(), 45.0);
        for bad in ["", "-4h", "4x", "h", "0"] {
            assert!(parse_duration_min("d", bad).is_err(), "{bad}");
        }
    }
}
