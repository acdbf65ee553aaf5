//! Schedule records: a plan of carbon-aware scheduling (or a back-test of one) and what came
//! of it, as the ledger keeps them.
//!
//! A [`ScheduleRecord`] is a plan's head ([`SchedulePlan`]: the policy, the step, the forecast
//! settings, whether it is a simulation or a plan for execution, and its carbon against `fifo`)
//! and one [`ScheduleJob`] per job (where and when it runs, how far it was shifted, its carbon
//! under `fifo` and as planned). Every carbon figure is modelled on the *true* intensity series
//! (for a plan, the series given to it), never on the forecast the policy decided on, and the
//! avoided carbon is `fifo − planned` (negative when the schedule did worse). When a job has
//! actually run, a [`ScheduleOutcome`] is appended referring to it (the run that carried it out,
//! its actual carbon and the `fifo` counterfactual): nothing is updated. The conversion from
//! the scheduler's own results lives in `sustain_sched::record`; the method is
//! `docs/methods/avoided-carbon.md`.

use std::collections::BTreeMap;

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};

use crate::bounds::{self, BoundsError};
use crate::error::{CoreError, Result};
use crate::name::{check_name, invalid};
use crate::run::{RunKind, parse_tag};
use crate::run_checks::check_run_id;

/// How avoided carbon is obtained, as reports say it.
pub const METHOD: &str = "modelled against fifo on the true series";

/// Whether a schedule is a what-if or a plan that an executor carries out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScheduleMode {
    /// A simulation or back-test (`sustain schedule simulate`): recorded and listed, never
    /// counted as avoided carbon in the accounts.
    Simulation,
    /// A plan for execution (`sustain schedule plan`): its jobs count in the accounts.
    Plan,
}

impl ScheduleMode {
    /// The stable snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ScheduleMode::Simulation => "simulation",
            ScheduleMode::Plan => "plan",
        }
    }
}

impl std::str::FromStr for ScheduleMode {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "simulation" => Ok(ScheduleMode::Simulation),
            "plan" => Ok(ScheduleMode::Plan),
            other => Err(invalid("schedule mode", other, "simulation or plan")),
        }
    }
}

/// What the policy saw of the intensity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ForecastSettings {
    /// How the policy used the forecast (`raw`, `smoothed`).
    #[serde(rename = "use")]
    pub use_: String,
    /// Forecast error σ as a fraction of each series' mean (0: the policy saw the truth).
    pub error: f64,
    /// Draws of the forecast error (the head's policy figure is their mean; the jobs are the
    /// first draw's placements).
    pub seeds: u32,
}

/// The head of a schedule record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SchedulePlan {
    /// Id (a UUIDv7, from [`crate::run::new_run_id`]).
    pub id: String,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// Simulation or plan for execution.
    pub mode: ScheduleMode,
    /// The policy that placed the jobs (`carbon`, ...).
    pub policy: String,
    /// Minutes per slot of the scheduler's clock.
    pub step_min: u32,
    /// The forecast the policy decided on.
    pub forecast: ForecastSettings,
    /// Jobs in the schedule.
    pub job_count: u64,
    /// Carbon under `fifo` (each job at submit at its home site) on the true series, g.
    pub baseline_co2e_g: f64,
    /// Carbon under the policy on the true series, g (the mean over forecast draws).
    pub policy_co2e_g: f64,
    /// `baseline − policy`, g (negative when the policy did worse).
    pub avoided_co2e_g: f64,
}

/// One stretch of a job's run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Segment {
    /// Start.
    pub start: DateTime<Utc>,
    /// End.
    pub end: DateTime<Utc>,
}

/// One job of a schedule, as planned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScheduleJob {
    /// The job's id in its jobs file.
    pub job_id: String,
    /// The kind of the run that carries it out (`schedule` unless told).
    pub kind: RunKind,
    /// Its home site: where `fifo` runs it.
    pub home_site: String,
    /// Where the schedule runs it.
    pub site: String,
    /// When it was submitted.
    pub submit: DateTime<Utc>,
    /// When it starts.
    pub start: DateTime<Utc>,
    /// When it ends.
    pub end: DateTime<Utc>,
    /// When it runs: one segment, or several for an interruptible job.
    pub segments: Vec<Segment>,
    /// How long it waits: start − submit, minutes.
    pub shift_min: f64,
    /// Whether it runs at a site other than its home site.
    pub moved: bool,
    /// Carbon under `fifo` on the true series, g.
    pub baseline_co2e_g: f64,
    /// Carbon as planned on the true series, g.
    pub planned_co2e_g: f64,
    /// `baseline − planned`, g.
    pub avoided_co2e_g: f64,
    /// Whether it finishes after its deadline.
    pub late: bool,
    /// The ledger run that carried it out, when known as the plan is recorded (an executor that
    /// learns it later appends a [`ScheduleOutcome`] instead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// Tags, as runs have them (`product`, `team`, `model`, any key): the scopes it belongs to.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// A schedule: its head and its jobs, recorded together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScheduleRecord {
    /// The head.
    pub plan: SchedulePlan,
    /// The jobs, in the order given.
    pub jobs: Vec<ScheduleJob>,
}

/// What came of a job of a plan once it ran: appended, never an update of the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScheduleOutcome {
    /// The plan's id.
    pub plan_id: String,
    /// The job's id in the plan.
    pub job_id: String,
    /// The ledger run that carried it out.
    pub run_id: String,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// The carbon of the run as it ran, g.
    pub actual_co2e_g: f64,
    /// The counterfactual: the same job under `fifo` on the true series, g.
    pub fifo_co2e_g: f64,
    /// `fifo − actual`, g.
    pub avoided_co2e_g: f64,
}

/// Whether `a` and `b` agree to floating-point summation error.
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1.0)
}

fn inconsistent(field: &str, value: f64, expected: String) -> CoreError {
    invalid(field, bounds::num(value), &expected)
}

/// A job id: 1 to 256 characters, none of them control characters.
pub fn check_job_id(field: &str, id: &str) -> Result<()> {
    if id.is_empty() || id.chars().count() > 256 || id.chars().any(char::is_control) {
        return Err(invalid(
            field,
            id.escape_debug(),
            "a job id of 1 to 256 characters without control characters",
        ));
    }
    Ok(())
}

/// A site name as the scheduler takes it: 1 to 64 letters, digits, `-`, `_` or `.`.
pub fn check_site(field: &str, site: &str) -> Result<()> {
    let ok = !site.is_empty()
        && site.len() <= 64
        && site
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(invalid(
            field,
            site.escape_debug(),
            "a site name of 1 to 64 letters, digits, '-', '_' or '.'",
        ))
    }
}

fn minutes(from: &DateTime<Utc>, to: &DateTime<Utc>) -> f64 {
    (*to - *from).num_milliseconds() as f64 / 60_000.0
}

impl ScheduleJob {
    /// A job as placed: start, end, shift, whether it moved and the avoided carbon are derived
    /// from the segments, the sites and the two carbon figures (`(baseline, planned)`, g).
    pub fn new(
        job_id: String,
        home_site: String,
        site: String,
        submit: DateTime<Utc>,
        segments: Vec<Segment>,
        (baseline_co2e_g, planned_co2e_g): (f64, f64),
        late: bool,
    ) -> Self {
        let start = segments.first().map_or(submit, |s| s.start);
        let end = segments.last().map_or(submit, |s| s.end);
        ScheduleJob {
            moved: site != home_site,
            job_id,
            kind: RunKind::Schedule,
            home_site,
            site,
            submit,
            start,
            end,
            shift_min: minutes(&submit, &start),
            segments,
            baseline_co2e_g,
            planned_co2e_g,
            avoided_co2e_g: baseline_co2e_g - planned_co2e_g,
            late,
            run_id: None,
            tags: BTreeMap::new(),
        }
    }

    /// Checks every field, named under `at` (`schedule.jobs[3].baseline_co2e_g`): ids, sites and
    /// tags; times in the plausible years, segments in order with start and end theirs, the
    /// shift and the move consistent with them; carbon within its bounds (never negative or
    /// non-finite) and the avoided carbon their difference.
    pub fn validate(&self, at: &str) -> Result<()> {
        let f = |name: &str| format!("{at}.{name}");
        check_job_id(&f("job_id"), &self.job_id)?;
        check_site(&f("home_site"), &self.home_site)?;
        check_site(&f("site"), &self.site)?;
        bounds::check_time(&f("submit"), &self.submit)?;
        bounds::check_time(&f("start"), &self.start)?;
        bounds::check_time(&f("end"), &self.end)?;
        if self.segments.is_empty() {
            return Err(invalid(
                &f("segments"),
                "[]",
                "at least one segment: when the job runs",
            ));
        }
        let mut previous_end: Option<DateTime<Utc>> = None;
        for (i, s) in self.segments.iter().enumerate() {
            let g = f(&format!("segments[{i}]"));
            bounds::check_time(&format!("{g}.start"), &s.start)?;
            bounds::check_time(&format!("{g}.end"), &s.end)?;
            if s.end <= s.start {
                return Err(invalid(
                    &format!("{g}.end"),
                    s.end.to_rfc3339(),
                    &format!("a time after the segment's start, {}", s.start.to_rfc3339()),
                ));
            }
            if let Some(e) = previous_end
                && s.start < e
            {
                return Err(invalid(
                    &format!("{g}.start"),
                    s.start.to_rfc3339(),
                    &format!(
                        "a time at or after the end of the segment before, {}",
                        e.to_rfc3339()
                    ),
                ));
            }
            previous_end = Some(s.end);
        }
        let (first, last) = (self.segments[0], self.segments[self.segments.len() - 1]);
        if self.start != first.start || self.end != last.end {
            return Err(invalid(
                &f("start"),
                format!("{} to {}", self.start.to_rfc3339(), self.end.to_rfc3339()),
                &format!(
                    "the first segment's start and the last one's end, {} to {}",
                    first.start.to_rfc3339(),
                    last.end.to_rfc3339()
                ),
            ));
        }
        if self.start < self.submit {
            return Err(invalid(
                &f("start"),
                self.start.to_rfc3339(),
                &format!(
                    "a time at or after the submit, {}: a job cannot start before it is submitted",
                    self.submit.to_rfc3339()
                ),
            ));
        }
        bounds::SHIFT_MIN.check(&f("shift_min"), self.shift_min)?;
        let shift = minutes(&self.submit, &self.start);
        if (self.shift_min - shift).abs() > 1e-6 {
            return Err(inconsistent(
                &f("shift_min"),
                self.shift_min,
                format!("start − submit, {shift} minutes"),
            ));
        }
        if self.moved != (self.site != self.home_site) {
            return Err(invalid(
                &f("moved"),
                self.moved,
                &format!(
                    "{}: whether site {} differs from home site {}",
                    !self.moved, self.site, self.home_site
                ),
            ));
        }
        bounds::JOB_CO2E_G.check(&f("baseline_co2e_g"), self.baseline_co2e_g)?;
        bounds::JOB_CO2E_G.check(&f("planned_co2e_g"), self.planned_co2e_g)?;
        bounds::JOB_AVOIDED_CO2E_G.check(&f("avoided_co2e_g"), self.avoided_co2e_g)?;
        let avoided = self.baseline_co2e_g - self.planned_co2e_g;
        if !close(self.avoided_co2e_g, avoided) {
            return Err(inconsistent(
                &f("avoided_co2e_g"),
                self.avoided_co2e_g,
                format!("baseline − planned, {} g", bounds::num(avoided)),
            ));
        }
        if let Some(r) = &self.run_id {
            check_run_id(&f("run_id"), r)?;
        }
        for (k, v) in &self.tags {
            parse_tag(&format!("{k}={v}")).map_err(|e| e.at(&f("tags")))?;
            if v.chars().any(char::is_control) {
                return Err(invalid(
                    &f(&format!("tags.{k}")),
                    v.escape_debug(),
                    "a tag value without control characters",
                ));
            }
        }
        Ok(())
    }
}

impl ScheduleRecord {
    /// A record made now (to the microsecond) with a new id: the head's job count and avoided
    /// carbon are derived.
    pub fn new(
        mode: ScheduleMode,
        policy: &str,
        step_min: u32,
        forecast: ForecastSettings,
        (baseline_co2e_g, policy_co2e_g): (f64, f64),
        jobs: Vec<ScheduleJob>,
    ) -> Self {
        ScheduleRecord {
            plan: SchedulePlan {
                id: crate::run::new_run_id(),
                // To the microsecond, as the ledger keeps times: a record reads back equal.
                recorded_at: Utc::now().trunc_subsecs(6),
                mode,
                policy: policy.to_string(),
                step_min,
                forecast,
                job_count: jobs.len() as u64,
                baseline_co2e_g,
                policy_co2e_g,
                avoided_co2e_g: baseline_co2e_g - policy_co2e_g,
            },
            jobs,
        }
    }

    /// Checks the head and every job (fields named `schedule.…` and `schedule.jobs[i].…`):
    /// what the ledger checks before it writes, so a bad record is refused whole.
    pub fn validate(&self) -> Result<()> {
        let p = &self.plan;
        check_run_id("schedule.id", &p.id)?;
        bounds::check_time("schedule.recorded_at", &p.recorded_at)?;
        check_name("schedule.policy", &p.policy)?;
        check_name("schedule.forecast.use", &p.forecast.use_)?;
        if !(1..=1440).contains(&p.step_min) {
            return Err(invalid(
                "schedule.step_min",
                p.step_min,
                "minutes per slot, 1 to 1440",
            ));
        }
        bounds::FORECAST_ERROR.check("schedule.forecast.error", p.forecast.error)?;
        if !(1..=1_000_000).contains(&p.forecast.seeds) {
            return Err(invalid(
                "schedule.forecast.seeds",
                p.forecast.seeds,
                "1 to 1000000 draws",
            ));
        }
        bounds::SCHEDULE_JOBS.check_count("schedule.job_count", p.job_count)?;
        if p.job_count != self.jobs.len() as u64 {
            return Err(invalid(
                "schedule.job_count",
                p.job_count,
                &format!("the number of jobs given, {}", self.jobs.len()),
            ));
        }
        bounds::SCHEDULE_CO2E_G.check("schedule.baseline_co2e_g", p.baseline_co2e_g)?;
        bounds::SCHEDULE_CO2E_G.check("schedule.policy_co2e_g", p.policy_co2e_g)?;
        bounds::SCHEDULE_AVOIDED_CO2E_G.check("schedule.avoided_co2e_g", p.avoided_co2e_g)?;
        let avoided = p.baseline_co2e_g - p.policy_co2e_g;
        if !close(p.avoided_co2e_g, avoided) {
            return Err(inconsistent(
                "schedule.avoided_co2e_g",
                p.avoided_co2e_g,
                format!("baseline − policy, {} g", bounds::num(avoided)),
            ));
        }
        let mut ids = std::collections::HashSet::with_capacity(self.jobs.len());
        for (i, j) in self.jobs.iter().enumerate() {
            let at = format!("schedule.jobs[{i}]");
            j.validate(&at)?;
            if !ids.insert(j.job_id.as_str()) {
                return Err(invalid(
                    &format!("{at}.job_id"),
                    j.job_id.escape_debug(),
                    "an id used by no other job of the schedule",
                ));
            }
        }
        let baseline: f64 = self.jobs.iter().map(|j| j.baseline_co2e_g).sum();
        if !close(p.baseline_co2e_g, baseline) {
            return Err(inconsistent(
                "schedule.baseline_co2e_g",
                p.baseline_co2e_g,
                format!("the sum of the jobs' baseline, {} g", bounds::num(baseline)),
            ));
        }
        // With one draw the jobs are the whole schedule; with several the head is their mean.
        let one_draw = p.forecast.seeds == 1 || p.forecast.error == 0.0;
        let planned: f64 = self.jobs.iter().map(|j| j.planned_co2e_g).sum();
        if one_draw && !close(p.policy_co2e_g, planned) {
            return Err(inconsistent(
                "schedule.policy_co2e_g",
                p.policy_co2e_g,
                format!(
                    "the sum of the jobs' planned carbon, {} g",
                    bounds::num(planned)
                ),
            ));
        }
        Ok(())
    }
}

impl ScheduleOutcome {
    /// An outcome recorded now, `fifo − actual` derived, then checked.
    pub fn new(
        plan_id: String,
        job_id: String,
        run_id: String,
        actual_co2e_g: f64,
        fifo_co2e_g: f64,
    ) -> Result<Self> {
        let o = ScheduleOutcome {
            plan_id,
            job_id,
            run_id,
            recorded_at: Utc::now().trunc_subsecs(6),
            actual_co2e_g,
            fifo_co2e_g,
            avoided_co2e_g: fifo_co2e_g - actual_co2e_g,
        };
        o.validate()?;
        Ok(o)
    }

    /// Checks the ids, the time and the carbon figures (fields named `outcome.…`).
    pub fn validate(&self) -> Result<()> {
        check_run_id("outcome.plan_id", &self.plan_id)?;
        check_job_id("outcome.job_id", &self.job_id)?;
        check_run_id("outcome.run_id", &self.run_id)?;
        bounds::check_time("outcome.recorded_at", &self.recorded_at)?;
        self.check_bounds()?;
        let avoided = self.fifo_co2e_g - self.actual_co2e_g;
        if !close(self.avoided_co2e_g, avoided) {
            return Err(inconsistent(
                "outcome.avoided_co2e_g",
                self.avoided_co2e_g,
                format!("fifo − actual, {} g", bounds::num(avoided)),
            ));
        }
        Ok(())
    }

    /// Checks the carbon figures against their bounds only.
    pub fn check_bounds(&self) -> std::result::Result<(), BoundsError> {
        bounds::JOB_CO2E_G.check("outcome.actual_co2e_g", self.actual_co2e_g)?;
        bounds::JOB_CO2E_G.check("outcome.fifo_co2e_g", self.fifo_co2e_g)?;
        bounds::JOB_AVOIDED_CO2E_G.check("outcome.avoided_co2e_g", self.avoided_co2e_g)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, h, m, 0).unwrap()
    }

    fn job(id: &str, site: &str) -> ScheduleJob {
        ScheduleJob::new(
            id.into(),
            "gb".into(),
            site.into(),
            t(9, 0),
            vec![
                Segment {
                    start: t(10, 0),
                    end: t(11, 0),
                },
                Segment {
                    start: t(12, 0),
                    end: t(12, 30),
                },
            ],
            (300.0, 120.0),
            false,
        )
    }

    /// A change that spoils a record.
    type Spoil = Box<dyn Fn(&mut ScheduleRecord)>;

    fn record() -> ScheduleRecord {
        ScheduleRecord::new(
            ScheduleMode::Plan,
            "carbon",
            30,
            ForecastSettings {
                use_: "raw".into(),
                error: 0.0,
                seeds: 1,
            },
            (600.0, 240.0),
            vec![job("a", "gb"), job("b", "fr")],
        )
    }

    #[test]
    fn a_placed_job_derives_its_shift_move_and_avoided_carbon() {
        let j = job("a", "fr");
        assert_eq!((j.start, j.end), (t(10, 0), t(12, 30)));
        assert_eq!(j.shift_min, 60.0);
        assert!(j.moved);
        assert_eq!(j.avoided_co2e_g, 180.0);
        let r = record();
        r.validate().unwrap();
        assert_eq!(r.plan.job_count, 2);
        assert_eq!(r.plan.avoided_co2e_g, 360.0);
        assert_eq!(
            serde_json::to_value(r.plan.mode).unwrap(),
            serde_json::json!("plan")
        );
    }

    #[test]
    fn bad_records_name_the_field_and_what_is_right() {
        let cases: Vec<(Spoil, &str)> = vec![
            (
                Box::new(|r| r.jobs[1].planned_co2e_g = -1.0),
                "schedule.jobs[1].planned_co2e_g = -1.0 is out of bounds",
            ),
            (
                Box::new(|r| r.jobs[0].baseline_co2e_g = f64::NAN),
                "schedule.jobs[0].baseline_co2e_g = NaN",
            ),
            (
                Box::new(|r| r.plan.policy_co2e_g = f64::INFINITY),
                "schedule.policy_co2e_g = inf",
            ),
            (
                Box::new(|r| r.jobs[0].avoided_co2e_g = 1.0),
                "baseline − planned",
            ),
            (Box::new(|r| r.jobs[0].shift_min = 5.0), "start − submit"),
            (Box::new(|r| r.jobs[0].moved = true), "home site"),
            (Box::new(|r| r.jobs[1].job_id = "a".into()), "no other job"),
            (
                Box::new(|r| r.jobs[0].job_id = "a\u{1b}[2J".into()),
                "control characters",
            ),
            (Box::new(|r| r.jobs[0].site = "<b>".into()), "a site name"),
            (
                Box::new(|r| r.plan.job_count = 3),
                "the number of jobs given",
            ),
            (Box::new(|r| r.plan.id = "x y".into()), "schedule.id"),
            (Box::new(|r| r.jobs[0].segments.reverse()), "segment before"),
            (
                Box::new(|r| r.plan.baseline_co2e_g = 700.0),
                "schedule.avoided_co2e_g",
            ),
            (
                Box::new(|r| {
                    r.plan.baseline_co2e_g = 700.0;
                    r.plan.avoided_co2e_g = 460.0;
                }),
                "the sum of the jobs' baseline",
            ),
            (
                Box::new(|r| {
                    r.jobs[0].tags.insert("bad key".into(), "x".into());
                }),
                "KEY=VALUE",
            ),
        ];
        for (i, (spoil, want)) in cases.into_iter().enumerate() {
            let mut r = record();
            spoil(&mut r);
            let e = r.validate().unwrap_err().to_string();
            assert!(e.contains(want), "case {i}: {e}");
        }
    }

    #[test]
    fn an_outcome_derives_and_checks_its_avoided_carbon() {
        let id = crate::run::new_run_id();
        let o = ScheduleOutcome::new(id.clone(), "a".into(), id.clone(), 80.0, 300.0).unwrap();
        assert_eq!(o.avoided_co2e_g, 220.0);
        let e = ScheduleOutcome::new(id.clone(), "a".into(), id, -1.0, 300.0)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("outcome.actual_co2e_g = -1.0 is out of bounds"),
            "{e}"
        );
    }
}
