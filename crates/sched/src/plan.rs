//! A plan: where and when each job runs, as an executor carries it out.

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::job::Job;

/// One stretch of a job's run (an interruptible job may have several).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Segment {
    /// Start.
    #[serde(serialize_with = "ser_time")]
    pub start: NaiveDateTime,
    /// End.
    #[serde(serialize_with = "ser_time")]
    pub end: NaiveDateTime,
}

fn ser_time<S: serde::Serializer>(t: &NaiveDateTime, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&crate::time::format_timestamp(*t))
}

/// A job as planned.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedJob {
    /// The job (id, command, priority, deadline, ...).
    pub job: Job,
    /// The site it runs at.
    pub site: String,
    /// When it runs: one segment, or several for an interruptible job.
    pub segments: Vec<Segment>,
    /// Carbon the plan expects, on the intensity the policy saw, grams.
    pub predicted_co2e_g: f64,
    /// Carbon of running it at submit at its home site, on the same intensity, grams.
    pub baseline_co2e_g: f64,
    /// Whether it finishes after its deadline (no feasible placement existed).
    pub late: bool,
}

impl PlannedJob {
    /// When it starts.
    pub fn start(&self) -> NaiveDateTime {
        self.segments[0].start
    }

    /// When it finishes.
    pub fn end(&self) -> NaiveDateTime {
        self.segments[self.segments.len() - 1].end
    }
}

/// A plan for a set of jobs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// The policy that made it.
    pub policy: String,
    /// Minutes per slot.
    pub step_min: u32,
    /// The jobs, in the order given.
    pub jobs: Vec<PlannedJob>,
}
