//! Reporting periods: a year, a quarter, a month, a day, or a range of days, in UTC.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::Serialize;

use crate::error::{ReportError, Result};

/// A half-open range of days `[from, to)`, with the label it was given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Period {
    /// As written (`2026-Q3`).
    pub label: String,
    /// First day.
    pub from: NaiveDate,
    /// The day after the last.
    pub to: NaiveDate,
    #[serde(skip)]
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Year,
    Quarter,
    Month,
    Days,
}

fn bad(s: &str) -> ReportError {
    ReportError::Invalid {
        what: "--period".into(),
        value: s.into(),
        expected: "a year (2026), a quarter (2026-Q3), a month (2026-09), a day (2026-09-14) or a range of days (2026-07-01..2026-09-30)".into(),
    }
}

fn ymd(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

fn add_months(d: NaiveDate, months: i32) -> Option<NaiveDate> {
    let total = d.year() * 12 + d.month0() as i32 + months;
    ymd(total.div_euclid(12), total.rem_euclid(12) as u32 + 1, 1)
}

impl Period {
    /// Parses a period.
    pub fn parse(s: &str) -> Result<Self> {
        let t = s.trim();
        let mk = |from: Option<NaiveDate>, to: Option<NaiveDate>, kind| match (from, to) {
            (Some(from), Some(to)) if from < to => Ok(Period {
                label: t.to_string(),
                from,
                to,
                kind,
            }),
            _ => Err(bad(s)),
        };
        if let Some((a, b)) = t.split_once("..") {
            let from = NaiveDate::parse_from_str(a, "%Y-%m-%d").map_err(|_| bad(s))?;
            let last = NaiveDate::parse_from_str(b, "%Y-%m-%d").map_err(|_| bad(s))?;
            if last < from {
                return Err(ReportError::Invalid {
                    what: "--period".into(),
                    value: s.into(),
                    expected: "a range whose first day is not after its last".into(),
                });
            }
            return mk(Some(from), last.succ_opt(), Kind::Days);
        }
        let parts: Vec<&str> = t.split('-').collect();
        let year = |p: &str| {
            p.parse::<i32>()
                .ok()
                .filter(|y| (1970..=9999).contains(y) && p.len() == 4)
        };
        match parts.as_slice() {
            [y] => {
                let y = year(y).ok_or_else(|| bad(s))?;
                mk(ymd(y, 1, 1), ymd(y + 1, 1, 1), Kind::Year)
            }
            [y, q] if q.len() == 2 && (q.starts_with('Q') || q.starts_with('q')) => {
                let y = year(y).ok_or_else(|| bad(s))?;
                let q: u32 = q[1..].parse().map_err(|_| bad(s))?;
                if !(1..=4).contains(&q) {
                    return Err(bad(s));
                }
                let from = ymd(y, 3 * (q - 1) + 1, 1);
                mk(from, from.and_then(|f| add_months(f, 3)), Kind::Quarter)
            }
            [y, m] => {
                let y = year(y).ok_or_else(|| bad(s))?;
                let m: u32 = m.parse().map_err(|_| bad(s))?;
                let from = ymd(y, m, 1);
                mk(from, from.and_then(|f| add_months(f, 1)), Kind::Month)
            }
            [_, _, _] => {
                let d = NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| bad(s))?;
                mk(Some(d), d.succ_opt(), Kind::Days)
            }
            _ => Err(bad(s)),
        }
    }

    /// The period of the same kind just before this one (the previous quarter, month, year, or
    /// as many days).
    pub fn previous(&self) -> Period {
        let (from, label) = match self.kind {
            Kind::Year => {
                let from = ymd(self.from.year() - 1, 1, 1).unwrap_or(self.from);
                (from, format!("{}", from.year()))
            }
            Kind::Quarter => {
                let from = add_months(self.from, -3).unwrap_or(self.from);
                (from, format!("{}-Q{}", from.year(), from.month0() / 3 + 1))
            }
            Kind::Month => {
                let from = add_months(self.from, -1).unwrap_or(self.from);
                (from, from.format("%Y-%m").to_string())
            }
            Kind::Days => {
                let days = (self.to - self.from).num_days();
                let from = self.from - Duration::days(days);
                let last = self.from.pred_opt().unwrap_or(self.from);
                (from, format!("{from}..{last}"))
            }
        };
        Period {
            label,
            from,
            to: self.from,
            kind: self.kind,
        }
    }

    /// The period of the same kind that contains `day` (for a range of days: as many days,
    /// ending on `day`).
    pub fn like_containing(&self, day: NaiveDate) -> Period {
        let y = day.year();
        let (from, to, label) = match self.kind {
            Kind::Year => (ymd(y, 1, 1), ymd(y + 1, 1, 1), format!("{y}")),
            Kind::Quarter => {
                let q = day.month0() / 3;
                let from = ymd(y, 3 * q + 1, 1);
                (
                    from,
                    from.and_then(|f| add_months(f, 3)),
                    format!("{y}-Q{}", q + 1),
                )
            }
            Kind::Month => {
                let from = ymd(y, day.month(), 1);
                (
                    from,
                    from.and_then(|f| add_months(f, 1)),
                    day.format("%Y-%m").to_string(),
                )
            }
            Kind::Days => {
                let from = day - Duration::days(self.days() - 1);
                (Some(from), day.succ_opt(), format!("{from}..{day}"))
            }
        };
        match (from, to) {
            (Some(from), Some(to)) => Period {
                label,
                from,
                to,
                kind: self.kind,
            },
            _ => self.clone(),
        }
    }

    /// Start as a UTC instant.
    pub fn start(&self) -> DateTime<Utc> {
        self.from.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
    }

    /// End (exclusive) as a UTC instant.
    pub fn end(&self) -> DateTime<Utc> {
        self.to.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
    }

    /// Days in the period.
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Period {
        Period::parse(s).unwrap()
    }

    #[test]
    fn periods_parse_and_step_back() {
        let q = p("2026-Q3");
        assert_eq!(
            (q.from, q.to),
            (ymd(2026, 7, 1).unwrap(), ymd(2026, 10, 1).unwrap())
        );
        assert_eq!(q.previous().label, "2026-Q2");
        assert_eq!(p("2026-Q1").previous().label, "2025-Q4");
        assert_eq!(p("2026-01").previous().label, "2025-12");
        assert_eq!(p("2024-02").days(), 29);
        assert_eq!(p("2026").days(), 365);
        assert_eq!(p("2026").previous().label, "2025");
        let r = p("2026-07-01..2026-07-10");
        assert_eq!(r.days(), 10);
        assert_eq!(r.previous().label, "2026-06-21..2026-06-30");
        assert_eq!(p("2026-09-14").days(), 1);
        // The last day chrono and the ledger know: its exclusive end is in year 10000.
        let far = p("2026-01-01..9999-12-31");
        assert_eq!(far.to, NaiveDate::from_ymd_opt(10000, 1, 1).unwrap());
        assert_eq!(far.end().to_rfc3339(), "+10000-01-01T00:00:00+00:00");
        let today = ymd(2026, 11, 22).unwrap();
        assert_eq!(p("2026-Q1").like_containing(today).label, "2026-Q4");
        assert_eq!(p("2025-03").like_containing(today).label, "2026-11");
        assert_eq!(p("2024").like_containing(today).label, "2026");
        assert_eq!(
            p("2026-01-01..2026-01-07").like_containing(today).label,
            "2026-11-16..2026-11-22"
        );
        for bad in [
            "2026-Q5",
            "2026-13",
            "26",
            "2026-09-31",
            "2026-09-10..2026-09-01",
            "last week",
            "",
        ] {
            let e = Period::parse(bad).unwrap_err().to_string();
            assert!(
                e.contains("2026-Q3") || e.contains("not after"),
                "{bad}: {e}"
            );
        }
    }
}
