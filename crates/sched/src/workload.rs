//! Job lists of the kind Wiesner et al. ("Let's Wait Awhile", Middleware '21) evaluate: machine
//! learning training jobs submitted on workdays between 09:00 and 16:30, running 4 h to 89.5 h,
//! due the next workday at 09:00 after they would have finished. For tests, benchmarks and
//! anyone who wants to try the scheduler on a realistic workload.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Timelike, Weekday};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::Serialize;

use crate::job::{DEFAULT_POWER_KW, Job};
use crate::time::format_timestamp;

/// When a generated job is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum DeadlineRule {
    /// The first workday 09:00 at or after the original finish.
    #[default]
    NextWorkday,
    /// As the Let's Wait Awhile simulator computes it (`next_workday`): a finish on a workday
    /// between 09:00 and 17:00 gets no slack; after 17:00 the next day 09:00 (a Friday evening
    /// gives Saturday 09:00); Saturday gives Monday 09:00; before 09:00 the same day 09:00.
    LetsWaitAwhile,
}

fn is_workday(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The deadline of a job finishing at `finish` under `rule`.
pub fn deadline(finish: NaiveDateTime, rule: DeadlineRule) -> NaiveDateTime {
    let nine = |d: NaiveDate| d.and_hms_opt(9, 0, 0).expect("09:00 exists");
    match rule {
        DeadlineRule::NextWorkday => {
            let mut day = finish.date();
            loop {
                if is_workday(day) && nine(day) >= finish {
                    return nine(day);
                }
                day += Duration::days(1);
            }
        }
        DeadlineRule::LetsWaitAwhile => {
            let hours = f64::from(finish.hour()) + if finish.minute() == 30 { 0.5 } else { 0.0 };
            match finish.weekday() {
                Weekday::Sat => nine(finish.date()) + Duration::days(2),
                Weekday::Sun => nine(finish.date()) + Duration::days(1),
                _ if hours > 17.0 => nine(finish.date()) + Duration::days(1),
                _ if hours < 9.0 => nine(finish.date()),
                _ => finish,
            }
        }
    }
}

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct MlWorkload {
    /// How many jobs.
    pub jobs: usize,
    /// The year they are submitted in.
    pub year: i32,
    /// Whether they may be suspended.
    pub interruptible: bool,
    /// Their home site.
    pub site: String,
    /// Sites they may run at (empty: the home site only).
    pub sites: Vec<String>,
    /// When they are due.
    pub rule: DeadlineRule,
    /// The random seed.
    pub seed: u64,
}

impl Default for MlWorkload {
    fn default() -> Self {
        Self {
            jobs: 3387,
            year: 2020,
            interruptible: false,
            site: "site".into(),
            sites: Vec::new(),
            rule: DeadlineRule::NextWorkday,
            seed: 0,
        }
    }
}

impl MlWorkload {
    /// Checks what to generate: 1 to 10,000,000 jobs, a year from 2000 to 2100, site names a
    /// schedule accepts.
    pub fn validate(&self) -> crate::Result<()> {
        if !(1..=10_000_000).contains(&self.jobs) {
            return Err(crate::error::invalid(
                "--count",
                self.jobs,
                "1 to 10000000 jobs",
            ));
        }
        if !(2000..=2100).contains(&self.year) {
            return Err(crate::error::invalid(
                "--year",
                self.year,
                "a year from 2000 to 2100",
            ));
        }
        for s in std::iter::once(&self.site).chain(&self.sites) {
            crate::input::parse_site_capacity(&format!("{s}=1"))?;
        }
        Ok(())
    }

    /// The jobs, sorted by submit: a uniformly drawn workday of the year, a start on the half
    /// hour from 09:00 to 16:30, a duration on the half hour from 4 h to 89.5 h (as Wiesner et
    /// al. draw them), 1 kW each. What is asked is checked first ([`MlWorkload::validate`]).
    pub fn generate(&self) -> crate::Result<Vec<Job>> {
        self.validate()?;
        let mut rng = StdRng::seed_from_u64(self.seed);
        let first = NaiveDate::from_ymd_opt(self.year, 1, 1).expect("a valid year");
        let days: Vec<NaiveDate> = first
            .iter_days()
            .take_while(|d| d.year() == self.year)
            .filter(|d| is_workday(*d))
            .collect();
        let mut drawn: Vec<(NaiveDateTime, f64)> = (0..self.jobs)
            .map(|_| {
                let day = days[rng.random_range(0..days.len())];
                let start_min = 540 + 30 * rng.random_range(0..16i64);
                let duration = f64::from(240 + 30 * rng.random_range(0..172u32));
                (
                    day.and_hms_opt(0, 0, 0).expect("midnight") + Duration::minutes(start_min),
                    duration,
                )
            })
            .collect();
        drawn.sort_by_key(|d| d.0);
        Ok(drawn
            .into_iter()
            .enumerate()
            .map(|(i, (submit, duration_min))| {
                let finish = submit + Duration::minutes(duration_min as i64);
                Job {
                    id: format!("ml-{i:05}"),
                    submit,
                    duration_min,
                    deadline: deadline(finish, self.rule),
                    interruptible: self.interruptible,
                    power_kw: DEFAULT_POWER_KW,
                    priority: 0,
                    site: Some(self.site.clone()),
                    sites: self.sites.clone(),
                    command: None,
                    origin: format!("generated job {}", i + 1),
                }
            })
            .collect())
    }
}

/// Jobs as a jobs CSV (`sustain schedule simulate --jobs`).
pub fn to_csv(jobs: &[Job]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "id",
        "submit",
        "duration_min",
        "deadline",
        "interruptible",
        "power_kw",
        "priority",
        "site",
        "sites",
    ])
    .expect("writing to memory");
    for j in jobs {
        w.write_record([
            j.id.clone(),
            format_timestamp(j.submit),
            j.duration_min.to_string(),
            format_timestamp(j.deadline),
            j.interruptible.to_string(),
            j.power_kw.to_string(),
            j.priority.to_string(),
            j.site.clone().unwrap_or_default(),
            j.sites.join(";"),
        ])
        .expect("writing to memory");
    }
    String::from_utf8(w.into_inner().expect("flushing to memory")).expect("CSV of UTF-8 strings")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        crate::time::parse_timestamp("t", s).unwrap()
    }

    #[test]
    fn deadlines_follow_each_rule() {
        let nw = |s| format_timestamp(deadline(t(s), DeadlineRule::NextWorkday));
        let lwa = |s| format_timestamp(deadline(t(s), DeadlineRule::LetsWaitAwhile));
        // 2020-03-02 is a Monday, 2020-03-06 a Friday.
        assert_eq!(nw("2020-03-02 08:00"), "2020-03-02 09:00");
        assert_eq!(nw("2020-03-02 09:00"), "2020-03-02 09:00");
        assert_eq!(nw("2020-03-02 12:30"), "2020-03-03 09:00");
        assert_eq!(nw("2020-03-06 18:00"), "2020-03-09 09:00");
        assert_eq!(nw("2020-03-07 10:00"), "2020-03-09 09:00");
        assert_eq!(lwa("2020-03-02 12:30"), "2020-03-02 12:30");
        assert_eq!(lwa("2020-03-02 17:30"), "2020-03-03 09:00");
        assert_eq!(lwa("2020-03-06 17:30"), "2020-03-07 09:00");
        assert_eq!(lwa("2020-03-07 10:00"), "2020-03-09 09:00");
        assert_eq!(lwa("2020-03-08 10:00"), "2020-03-09 09:00");
        assert_eq!(lwa("2020-03-02 08:30"), "2020-03-02 09:00");
    }

    #[test]
    fn generated_jobs_are_of_the_described_kind_and_read_back() {
        let jobs = MlWorkload {
            jobs: 500,
            ..Default::default()
        }
        .generate()
        .unwrap();
        assert_eq!(jobs.len(), 500);
        for j in &jobs {
            let hm = j.submit.format("%H:%M").to_string();
            assert!(("09:00".."16:31").contains(&hm.as_str()), "{hm}");
            assert!(is_workday(j.submit.date()));
            assert!((240.0..=5370.0).contains(&j.duration_min));
            assert!(j.deadline >= j.earliest_finish());
        }
        let back = crate::job::from_csv("generated", &to_csv(&jobs)).unwrap();
        assert_eq!(
            back.iter()
                .map(|j| (&j.id, j.submit, j.deadline))
                .collect::<Vec<_>>(),
            jobs.iter()
                .map(|j| (&j.id, j.submit, j.deadline))
                .collect::<Vec<_>>()
        );
    }
}
