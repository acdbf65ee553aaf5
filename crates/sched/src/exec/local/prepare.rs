//! Checks made before anything runs or is recorded, and the tags each run carries.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use chrono::NaiveDateTime;
use sustain_core::run::parse_tag;

use super::{LocalOptions, LocalOutcome, TAG_PREFIX, TAG_TIME};
use crate::error::{Result, SchedError, invalid};
use crate::plan::{Plan, PlannedJob, Segment};
use crate::time::format_timestamp;

/// A job ready to run: its command, its segments with touching ones merged, its tags.
#[derive(Debug, Clone)]
pub(super) struct Prepared<'p> {
    pub(super) planned: &'p PlannedJob,
    pub(super) command: &'p str,
    pub(super) segments: Vec<Segment>,
    pub(super) tags: BTreeMap<String, String>,
}

impl Prepared<'_> {
    /// Its outcome before it runs: its plan, nothing run, and `problem`.
    pub(super) fn outcome(&self, problem: Option<String>) -> LocalOutcome {
        let job = &self.planned.job;
        LocalOutcome {
            job_id: job.id.clone(),
            origin: job.origin.clone(),
            site: self.planned.site.clone(),
            run_id: None,
            status: None,
            exit_code: None,
            planned_start: self.segments[0].start,
            planned_end: self.segments[self.segments.len() - 1].end,
            started: None,
            ended: None,
            pauses: 0,
            paused: Duration::ZERO,
            overran: false,
            missed_deadline: false,
            killed_at_deadline: false,
            interrupted: None,
            problem,
        }
    }
}

/// The tags recorded on the run of `planned` (before the options' own):
///
/// | key | value |
/// | --- | --- |
/// | `schedule.plan` | the plan id ([`LocalOptions::plan_id`](super::LocalOptions::plan_id)) |
/// | `schedule.policy` | the policy that made the plan |
/// | `schedule.job` | the job's id |
/// | `schedule.site` | the site the plan put it at |
/// | `schedule.start` | its planned start, `YYYY-MM-DDTHH:MM:SS` in the plan's clock |
/// | `schedule.end` | its planned end (the last segment's) |
/// | `schedule.deadline` | its deadline |
/// | `schedule.shift_min` | minutes from its submission to its planned start |
/// | `schedule.segments` | how many stretches it was planned in |
/// | `schedule.predicted_co2e_g` | carbon the plan expects, grams |
/// | `schedule.baseline_co2e_g` | carbon of running it at submit at home, grams |
pub fn tags(plan: &Plan, planned: &PlannedJob, plan_id: &str) -> BTreeMap<String, String> {
    let segments = merged(&planned.segments);
    let (start, end) = match (segments.first(), segments.last()) {
        (Some(a), Some(b)) => (a.start, b.end),
        _ => (planned.job.submit, planned.job.submit),
    };
    let shift = (start - planned.job.submit).num_seconds() as f64 / 60.0;
    let t = |t: NaiveDateTime| t.format(TAG_TIME).to_string();
    let k = |name: &str| format!("{TAG_PREFIX}{name}");
    BTreeMap::from([
        (k("plan"), plan_id.to_string()),
        (k("policy"), plan.policy.clone()),
        (k("job"), planned.job.id.clone()),
        (k("site"), planned.site.clone()),
        (k("start"), t(start)),
        (k("end"), t(end)),
        (k("deadline"), t(planned.job.deadline)),
        (k("shift_min"), trim_number(shift)),
        (k("segments"), segments.len().to_string()),
        (
            k("predicted_co2e_g"),
            format!("{:.1}", planned.predicted_co2e_g),
        ),
        (
            k("baseline_co2e_g"),
            format!("{:.1}", planned.baseline_co2e_g),
        ),
    ])
}

/// `x` with at most one decimal, without a trailing `.0`.
pub(super) fn trim_number(x: f64) -> String {
    let s = format!("{x:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// Segments in order with touching or overlapping ones merged.
fn merged(segments: &[Segment]) -> Vec<Segment> {
    let mut sorted = segments.to_vec();
    sorted.sort_by_key(|s| s.start);
    let mut out: Vec<Segment> = Vec::with_capacity(sorted.len());
    for s in sorted {
        match out.last_mut() {
            Some(last) if s.start <= last.end => last.end = last.end.max(s.end),
            _ => out.push(s),
        }
    }
    out
}

/// Checks every job and the options, and orders the jobs by planned start (then as given).
pub(super) fn prepare<'p>(
    plan: &'p Plan,
    options: &LocalOptions,
    plan_id: &str,
) -> Result<Vec<Prepared<'p>>> {
    if plan_id.is_empty()
        || plan_id.len() > 64
        || !plan_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(invalid(
            "plan id",
            plan_id,
            "1 to 64 letters, digits, '-', '_' or '.'",
        ));
    }
    for (k, v) in &options.tags {
        parse_tag(&format!("{k}={v}"))?;
        if k.starts_with(TAG_PREFIX) {
            return Err(invalid(
                "tag",
                format!("{k}={v}"),
                "a key not starting with `schedule.`, which the executor writes itself",
            ));
        }
    }
    let mut ids = HashSet::new();
    let mut out = Vec::with_capacity(plan.jobs.len());
    for planned in &plan.jobs {
        let job = &planned.job;
        let at = |field: &str| format!("{} (job {:?}), {field}", job.origin, job.id);
        if !ids.insert(job.id.as_str()) {
            return Err(SchedError::Inconsistent(format!(
                "{}: job id {:?} is planned twice; expected one planned job per id (each is recorded as its own run)",
                job.origin, job.id
            )));
        }
        let command = match job.command.as_deref() {
            Some(c) if !c.trim().is_empty() => c,
            other => {
                return Err(invalid(
                    at("command"),
                    other.unwrap_or(""),
                    "a command for the local executor to run with `sh -c` (the jobs file's `command` column)",
                ));
            }
        };
        if command.contains('\0') {
            return Err(invalid(
                at("command"),
                command,
                "text without NUL characters (a command line cannot hold one)",
            ));
        }
        if let Some(bad) = planned.segments.iter().find(|s| s.end <= s.start) {
            return Err(invalid(
                at("segment"),
                format!(
                    "{} to {}",
                    format_timestamp(bad.start),
                    format_timestamp(bad.end)
                ),
                "a segment that ends after it starts",
            ));
        }
        let segments = merged(&planned.segments);
        if segments.is_empty() {
            return Err(invalid(
                at("segments"),
                "none",
                "a planned job with at least one segment",
            ));
        }
        if segments.len() > 1 && !job.interruptible {
            return Err(invalid(
                at("segments"),
                segments.len(),
                "one segment: the job is not interruptible, so it cannot be stopped between segments (plan it again, or mark it interruptible)",
            ));
        }
        let mut tags = tags(plan, planned, plan_id);
        tags.extend(options.tags.clone());
        out.push(Prepared {
            planned,
            command,
            segments,
            tags,
        });
    }
    // Stable: jobs with one start keep the plan's order.
    out.sort_by_key(|p| p.segments[0].start);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::testing::{at, plan_of, planned};

    #[test]
    fn touching_segments_merge_and_a_split_job_must_be_interruptible() {
        let mut a = planned("a", "gb", at("2026-03-02 09:00"), 120.0);
        a.segments = vec![
            Segment {
                start: at("2026-03-02 10:00"),
                end: at("2026-03-02 11:00"),
            },
            Segment {
                start: at("2026-03-02 09:00"),
                end: at("2026-03-02 10:00"),
            },
        ];
        let plan = plan_of(vec![a.clone()]);
        let p = prepare(&plan, &LocalOptions::default(), "p").unwrap();
        assert_eq!(p[0].segments.len(), 1);
        assert_eq!(p[0].tags["schedule.segments"], "1");

        a.segments[0].start = at("2026-03-02 13:00");
        a.segments[0].end = at("2026-03-02 14:00");
        let plan = plan_of(vec![a.clone()]);
        let e = prepare(&plan, &LocalOptions::default(), "p").unwrap_err();
        let m = e.to_string();
        assert!(
            e.is_bad_input() && m.contains("\"a\"") && m.contains("interruptible"),
            "{m}"
        );
        a.job.interruptible = true;
        let plan = plan_of(vec![a]);
        let p = prepare(&plan, &LocalOptions::default(), "p").unwrap();
        assert_eq!(p[0].segments.len(), 2);
    }

    #[test]
    fn tags_carry_the_plan_and_every_key_is_a_tag_key() {
        let mut a = planned("job a/1", "gb", at("2026-03-02 09:30"), 90.0);
        a.job.submit = at("2026-03-02 08:00");
        let plan = plan_of(vec![a.clone()]);
        let t = tags(&plan, &a, "plan-1");
        assert_eq!(t["schedule.plan"], "plan-1");
        assert_eq!(t["schedule.policy"], "carbon");
        assert_eq!(t["schedule.job"], "job a/1");
        assert_eq!(t["schedule.site"], "gb");
        assert_eq!(t["schedule.start"], "2026-03-02T09:30:00");
        assert_eq!(t["schedule.end"], "2026-03-02T11:00:00");
        assert_eq!(t["schedule.shift_min"], "90");
        assert_eq!(t["schedule.predicted_co2e_g"], "100.0");
        for (k, v) in &t {
            parse_tag(&format!("{k}={v}")).unwrap();
        }
    }

    #[test]
    fn bad_input_is_refused_naming_the_job() {
        let mut a = planned("a", "gb", at("2026-03-02 09:00"), 30.0);
        a.job.command = Some("  ".into());
        let e = prepare(&plan_of(vec![a]), &LocalOptions::default(), "p").unwrap_err();
        let m = e.to_string();
        assert!(
            e.is_bad_input() && m.contains("\"a\"") && m.contains("command"),
            "{m}"
        );

        let b = planned("b", "gb", at("2026-03-02 09:00"), 30.0);
        let e = prepare(&plan_of(vec![b.clone(), b]), &LocalOptions::default(), "p").unwrap_err();
        assert!(e.to_string().contains("planned twice"), "{e}");

        let c = planned("c", "gb", at("2026-03-02 09:00"), 30.0);
        let opts = LocalOptions {
            tags: [("schedule.job".to_string(), "x".to_string())].into(),
            ..LocalOptions::default()
        };
        let e = prepare(&plan_of(vec![c.clone()]), &opts, "p").unwrap_err();
        assert!(e.to_string().contains("schedule."), "{e}");
        let e = prepare(&plan_of(vec![c]), &LocalOptions::default(), "a b").unwrap_err();
        assert!(e.to_string().contains("plan id"), "{e}");
    }
}
