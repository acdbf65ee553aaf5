//! What became of each job, the exit code they add up to, and their table for the terminal.

use std::time::Duration;

use chrono::NaiveDateTime;
use serde::Serialize;
use sustain_core::run::RunStatus;
use sustain_core::text::{right, table, user};

use super::TAG_TIME;
use crate::time::format_timestamp;

/// What became of one job.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LocalOutcome {
    /// The job's id.
    pub job_id: String,
    /// Where the job was read (`jobs.csv line 4`).
    pub origin: String,
    /// The site it ran at.
    pub site: String,
    /// The recorded run, `None` when nothing was recorded (not started).
    pub run_id: Option<String>,
    /// The run's status as recorded, `None` when not started.
    pub status: Option<RunStatus>,
    /// The code `sustain run` would exit with for it (the command's code, 128+N for signal
    /// N, 125 to 127 when it could not run), `None` when not started.
    pub exit_code: Option<i32>,
    /// Its planned start (the first segment's), in the plan's clock.
    #[serde(serialize_with = "ser_time")]
    pub planned_start: NaiveDateTime,
    /// Its planned end (the last segment's), in the plan's clock.
    #[serde(serialize_with = "ser_time")]
    pub planned_end: NaiveDateTime,
    /// When the command was started, in the plan's clock.
    #[serde(serialize_with = "ser_opt_time")]
    pub started: Option<NaiveDateTime>,
    /// When it exited, in the plan's clock.
    #[serde(serialize_with = "ser_opt_time")]
    pub ended: Option<NaiveDateTime>,
    /// Times it was stopped between segments.
    pub pauses: u32,
    /// Real time it spent stopped.
    #[serde(rename = "paused_s", serialize_with = "ser_secs")]
    pub paused: Duration,
    /// It ended after its planned end.
    pub overran: bool,
    /// It ended after its deadline.
    pub missed_deadline: bool,
    /// It was still running at its deadline and was stopped
    /// ([`LocalOptions::kill_at_deadline`](super::LocalOptions::kill_at_deadline)).
    pub killed_at_deadline: bool,
    /// The signal passed on to it, or that kept it from starting.
    pub interrupted: Option<i32>,
    /// Why it did not start, or what of its run could not be recorded.
    pub problem: Option<String>,
}

impl LocalOutcome {
    /// It ran, exited 0, and its run is recorded whole.
    pub fn succeeded(&self) -> bool {
        self.status == Some(RunStatus::Succeeded) && self.problem.is_none()
    }
}

fn ser_time<S: serde::Serializer>(t: &NaiveDateTime, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&t.format(TAG_TIME).to_string())
}

fn ser_opt_time<S: serde::Serializer>(
    t: &Option<NaiveDateTime>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match t {
        Some(t) => ser_time(t, s),
        None => s.serialize_none(),
    }
}

fn ser_secs<S: serde::Serializer>(d: &Duration, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1000.0).round() / 1000.0)
}

/// The code `sustain schedule run --executor local` exits with: 0 when every job ran, exited
/// 0 and is recorded whole; 128+N when signal N interrupted the run; else 1.
pub fn exit_code(outcomes: &[LocalOutcome]) -> i32 {
    if let Some(sig) = outcomes.iter().find_map(|o| o.interrupted) {
        return 128 + sig;
    }
    if outcomes.iter().all(LocalOutcome::succeeded) {
        0
    } else {
        1
    }
}

/// The outcomes as a table for the terminal: job, site, run, status, exit code, planned
/// start, started, ended, time paused, and what went wrong.
pub fn render(outcomes: &[LocalOutcome]) -> String {
    let mut t = table();
    t.set_header(vec![
        "job", "site", "run", "status", "exit", "planned", "started", "ended", "paused s", "notes",
    ]);
    for o in outcomes {
        let mut notes = Vec::new();
        if o.overran {
            notes.push("ran past its planned end".to_string());
        }
        if o.missed_deadline {
            notes.push("missed its deadline".to_string());
        }
        if o.killed_at_deadline {
            notes.push("stopped at its deadline".to_string());
        }
        if let Some(sig) = o.interrupted {
            notes.push(format!("interrupted (signal {sig})"));
        }
        if let Some(p) = &o.problem {
            notes.push(p.clone());
        }
        let time = |t: Option<NaiveDateTime>| t.map(format_timestamp).unwrap_or("-".into());
        t.add_row(vec![
            user(&o.job_id),
            user(&o.site),
            comfy_table::Cell::new(
                o.run_id
                    .as_deref()
                    .map(sustain_meter::recording::short_id)
                    .unwrap_or("-".into()),
            ),
            comfy_table::Cell::new(o.status.map_or("not started", RunStatus::as_str)),
            right(o.exit_code.map_or("-".into(), |c| c.to_string())),
            comfy_table::Cell::new(format_timestamp(o.planned_start)),
            comfy_table::Cell::new(time(o.started)),
            comfy_table::Cell::new(time(o.ended)),
            right(format!("{:.1}", o.paused.as_secs_f64())),
            user(&notes.join("; ")),
        ]);
    }
    format!("{t}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(status: RunStatus, code: i32) -> LocalOutcome {
        let t = chrono::NaiveDate::from_ymd_opt(2026, 3, 2)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .unwrap();
        LocalOutcome {
            job_id: "a".into(),
            origin: "jobs.csv line 2".into(),
            site: "gb".into(),
            run_id: Some("r".into()),
            status: Some(status),
            exit_code: Some(code),
            planned_start: t,
            planned_end: t,
            started: Some(t),
            ended: Some(t),
            pauses: 0,
            paused: Duration::ZERO,
            overran: false,
            missed_deadline: false,
            killed_at_deadline: false,
            interrupted: None,
            problem: None,
        }
    }

    #[test]
    fn the_exit_code_says_whether_every_job_succeeded() {
        let ok = outcome(RunStatus::Succeeded, 0);
        assert_eq!(exit_code(std::slice::from_ref(&ok)), 0);
        assert_eq!(exit_code(&[ok.clone(), outcome(RunStatus::Failed, 3)]), 1);
        let mut unrecorded = ok.clone();
        unrecorded.problem = Some("the end of its run could not be recorded".into());
        assert_eq!(exit_code(&[ok.clone(), unrecorded]), 1);
        let mut stopped = outcome(RunStatus::Killed, 130);
        stopped.interrupted = Some(libc::SIGINT);
        assert_eq!(exit_code(&[ok.clone(), stopped]), 130);
        let json = serde_json::to_value(&ok).unwrap();
        assert_eq!(json["planned_start"], "2026-03-02T09:00:00");
        assert_eq!(json["status"], "succeeded");
        assert_eq!(json["paused_s"], 0.0);
    }
}
