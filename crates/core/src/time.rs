//! Times and days as users type them (`--since`, `--date`, `?since=`): one parser for the CLI
//! and the server, so both accept and refuse the same text with the same message.

use chrono::{DateTime, NaiveDate, Utc};

use crate::error::CoreError;

/// A point in time: RFC 3339 (`2026-07-01T12:00:00Z`, any offset), or a date (`2026-07-01`,
/// midnight UTC).
pub fn parse_since(text: &str) -> Result<DateTime<Utc>, CoreError> {
    let t = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(t) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d")
        && let Some(t) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(t.and_utc());
    }
    Err(CoreError::InvalidValue {
        what: "time".into(),
        value: format!("{text:?}"),
        expected: "a date such as 2026-07-01 or an RFC 3339 time such as 2026-07-01T12:00:00Z"
            .into(),
    })
}

/// A day, `YYYY-MM-DD`; `what` names the field in the error (`--date`, `date`).
pub fn parse_day(what: &str, text: &str) -> Result<NaiveDate, CoreError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| CoreError::InvalidValue {
        what: what.into(),
        value: format!("{text:?}"),
        expected: "a day as YYYY-MM-DD, such as 2026-07-10".into(),
    })
}

/// A day given as `YYYY-MM-DD`, or today (UTC) when none is given.
pub fn day_or_today(what: &str, text: Option<&str>) -> Result<NaiveDate, CoreError> {
    match text {
        Some(t) => parse_day(what, t),
        None => Ok(Utc::now().date_naive()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_accepts_dates_and_rfc3339() {
        assert_eq!(
            parse_since("2026-07-01").unwrap().to_rfc3339(),
            "2026-07-01T00:00:00+00:00"
        );
        assert_eq!(
            parse_since("2026-07-01T12:00:00+02:00")
                .unwrap()
                .to_rfc3339(),
            "2026-07-01T10:00:00+00:00"
        );
        assert!(
            parse_since("yesterday")
                .unwrap_err()
                .to_string()
                .contains("2026-07-01")
        );
    }

    #[test]
    fn days_name_the_field() {
        assert_eq!(
            parse_day("--date", " 2026-07-10 ").unwrap().to_string(),
            "2026-07-10"
        );
        let e = parse_day("--date", "10/07/2026").unwrap_err().to_string();
        assert!(e.contains("--date") && e.contains("YYYY-MM-DD"), "{e}");
    }
}
