//! Plans for the executors' unit tests.

use chrono::NaiveDateTime;

use crate::job::Job;
use crate::plan::{Plan, PlannedJob, Segment};
use crate::time::parse_timestamp;

/// A time in the plan's clock.
pub(crate) fn at(text: &str) -> NaiveDateTime {
    parse_timestamp("test time", text).expect("a test time")
}

/// Job `id` planned at `site` from `start` for `minutes`, deadline a day later, command
/// `echo run <id>`.
pub(crate) fn planned(id: &str, site: &str, start: NaiveDateTime, minutes: f64) -> PlannedJob {
    let end = start + chrono::Duration::seconds((minutes * 60.0).ceil() as i64);
    PlannedJob {
        job: Job {
            id: id.to_string(),
            submit: start,
            duration_min: minutes,
            deadline: start + chrono::Duration::days(1),
            interruptible: false,
            power_kw: 1.0,
            priority: 0,
            site: Some(site.to_string()),
            sites: Vec::new(),
            command: Some(format!("echo run {id}")),
            origin: "jobs.csv line 2".to_string(),
        },
        site: site.to_string(),
        segments: vec![Segment { start, end }],
        predicted_co2e_g: 100.0,
        baseline_co2e_g: 150.0,
        late: false,
    }
}

/// A plan of `jobs`.
pub(crate) fn plan_of(jobs: Vec<PlannedJob>) -> Plan {
    Plan {
        policy: "carbon".to_string(),
        step_min: 30,
        jobs,
    }
}
