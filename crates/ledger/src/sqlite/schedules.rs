//! Carbon-aware schedules: a schedule's head and jobs written in one transaction with their
//! audit entry, outcomes appended against a plan's job, listings as recorded, and the carbon
//! avoided over a period and scope, read from the plans for execution only, their jobs within
//! bounds (`filters`), a job planned again counting once, in its latest plan; and the jobs and
//! outcomes those sums leave out (`invalid_schedule_records`).

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use rusqlite::params;
use rusqlite::types::Value;
use sustain_core::run::RunKind;
use sustain_core::schedule::{
    ForecastSettings, ScheduleJob, ScheduleMode, ScheduleOutcome, SchedulePlan, ScheduleRecord,
    Segment,
};

use super::filters::{SCHEDULE_JOBS, SCHEDULE_OUTCOMES, checks, row_within, within};
use super::totals::group_key;
use super::{SqliteLedger, audit_in, check_tag_key, from_json, json, parse_day, parse_ts, ts};
use crate::business::TotalsQuery;
use crate::business::{AvoidedTotals, Group, InvalidRecord, RecordKind, ScheduleFilter};
use crate::error::{LedgerError, Result};

/// The scope of a [`TotalsQuery`] on a schedule's jobs (`schedule_jobs j`): `?3`/`?4` the tag
/// key and value (from the job's tags), `?5` the site it runs at, `?6` its kind.
const JOB_SCOPE_SQL: &str = "(?3 IS NULL OR json_extract(j.tags, '$.\"' || ?3 || '\"') = ?4)
   AND (?5 IS NULL OR j.site = ?5)
   AND (?6 IS NULL OR j.kind = ?6)";

/// The jobs of plans for execution.
const PLAN_JOBS: &str =
    "FROM schedule_jobs j JOIN schedules s ON s.id = j.plan_id AND s.mode = 'plan'";

/// Of [`PLAN_JOBS`], those counted: in `[?1, ?2)` by planned start, in scope, within bounds,
/// and not planned again later (same id and submit, a later plan for execution, within bounds).
static COUNTED: LazyLock<String> = LazyLock::new(|| {
    format!(
        "j.start_at >= ?1 AND j.start_at < ?2 AND {JOB_SCOPE_SQL} AND {}
         AND NOT EXISTS (
           SELECT 1 FROM schedule_jobs k JOIN schedules t ON t.id = k.plan_id AND t.mode = 'plan'
           WHERE k.job_id = j.job_id AND k.submit_at = j.submit_at AND k.seq > j.seq
             AND {})",
        within("j", SCHEDULE_JOBS),
        within("k", SCHEDULE_JOBS)
    )
});

/// The latest outcome within bounds of each counted job.
static LATEST_OUTCOME: LazyLock<String> = LazyLock::new(|| {
    format!(
        "LEFT JOIN schedule_outcomes o ON o.seq = (
           SELECT max(x.seq) FROM schedule_outcomes x
           WHERE x.plan_id = j.plan_id AND x.job_id = j.job_id AND {})",
        within("x", SCHEDULE_OUTCOMES)
    )
});

/// The columns the avoided totals read, in order.
const AVOIDED_COLUMNS: [&str; 14] = [
    "j.start_at",
    "j.site",
    "j.kind",
    "j.tags",
    "j.moved",
    "j.late",
    "j.shift_min",
    "j.baseline_co2e_g",
    "j.planned_co2e_g",
    "j.avoided_co2e_g",
    "o.seq",
    "o.fifo_co2e_g",
    "o.actual_co2e_g",
    "o.avoided_co2e_g",
];

fn bool_of(v: i64) -> bool {
    v != 0
}

fn kind_of(s: &str) -> Result<RunKind> {
    s.parse()
        .map_err(|e: sustain_core::CoreError| LedgerError::Corrupt(e.to_string()))
}

impl SqliteLedger {
    /// See [`crate::Business::record_schedule`].
    pub(super) fn insert_schedule(&self, s: &ScheduleRecord, actor: &str) -> Result<String> {
        s.validate()?;
        let p = &s.plan;
        let detail = serde_json::json!({
            "id": p.id,
            "mode": p.mode.as_str(),
            "policy": p.policy,
            "job_count": p.job_count,
            "baseline_co2e_g": p.baseline_co2e_g,
            "policy_co2e_g": p.policy_co2e_g,
            "avoided_co2e_g": p.avoided_co2e_g,
        });
        self.write(|tx| {
            tx.execute(
                "INSERT INTO schedules (id, recorded_at, mode, policy, step_min, forecast_use,
                   forecast_error, seeds, job_count, baseline_co2e_g, policy_co2e_g, avoided_co2e_g)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                params![
                    p.id,
                    ts(&p.recorded_at),
                    p.mode.as_str(),
                    p.policy,
                    p.step_min,
                    p.forecast.use_,
                    p.forecast.error,
                    p.forecast.seeds,
                    p.job_count as i64,
                    p.baseline_co2e_g,
                    p.policy_co2e_g,
                    p.avoided_co2e_g,
                ],
            )?;
            let mut stmt = tx.prepare_cached(
                "INSERT INTO schedule_jobs (plan_id, job_id, kind, home_site, site, submit_at,
                   start_at, end_at, segments, shift_min, moved, baseline_co2e_g, planned_co2e_g,
                   avoided_co2e_g, late, run_id, tags)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            )?;
            for j in &s.jobs {
                let segments: Vec<serde_json::Value> = j
                    .segments
                    .iter()
                    .map(|g| serde_json::json!({"start": ts(&g.start), "end": ts(&g.end)}))
                    .collect();
                stmt.execute(params![
                    p.id,
                    j.job_id,
                    j.kind.as_str(),
                    j.home_site,
                    j.site,
                    ts(&j.submit),
                    ts(&j.start),
                    ts(&j.end),
                    json(&segments),
                    j.shift_min,
                    j.moved,
                    j.baseline_co2e_g,
                    j.planned_co2e_g,
                    j.avoided_co2e_g,
                    j.late,
                    j.run_id,
                    json(&j.tags),
                ])?;
            }
            Ok(audit_in(tx, actor, "schedule.record", &detail)?)
        })?;
        Ok(p.id.clone())
    }

    /// See [`crate::Business::schedules`].
    pub(super) fn list_schedules(&self, f: &ScheduleFilter) -> Result<Vec<SchedulePlan>> {
        let rows = self.rows(
            "SELECT id, recorded_at, mode, policy, step_min, forecast_use, forecast_error, seeds,
                    job_count, baseline_co2e_g, policy_co2e_g, avoided_co2e_g
             FROM schedules
             WHERE (?1 IS NULL OR mode = ?1) AND (?2 IS NULL OR recorded_at >= ?2)
             ORDER BY seq DESC LIMIT ?3",
            params![
                f.mode.map(ScheduleMode::as_str),
                f.since.as_ref().map(ts),
                f.limit.map_or(-1, |n| n.min(i64::MAX as usize) as i64),
            ],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, u32>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, f64>(6)?,
                    r.get::<_, u32>(7)?,
                    r.get::<_, i64>(8)?,
                    [
                        r.get::<_, f64>(9)?,
                        r.get::<_, f64>(10)?,
                        r.get::<_, f64>(11)?,
                    ],
                ))
            },
        )?;
        rows.into_iter()
            .map(
                |(id, at, mode, policy, step_min, use_, error, seeds, job_count, [b, p, a])| {
                    Ok(SchedulePlan {
                        recorded_at: parse_ts(&at)?,
                        mode: mode.parse().map_err(|e: sustain_core::CoreError| {
                            LedgerError::Corrupt(format!("schedule {id}: {e}"))
                        })?,
                        id,
                        policy,
                        step_min,
                        forecast: ForecastSettings { use_, error, seeds },
                        job_count: job_count.max(0) as u64,
                        baseline_co2e_g: b,
                        policy_co2e_g: p,
                        avoided_co2e_g: a,
                    })
                },
            )
            .collect()
    }

    fn check_schedule(&self, plan_id: &str) -> Result<()> {
        let known: bool = self.row(
            "SELECT EXISTS (SELECT 1 FROM schedules WHERE id = ?1)",
            [plan_id],
            |r| r.get(0),
        )?;
        if known {
            Ok(())
        } else {
            Err(LedgerError::Invalid(format!(
                "no schedule with id {plan_id:?} in this ledger; the ids are those `Business::schedules` lists"
            )))
        }
    }

    /// See [`crate::Business::schedule_jobs`].
    pub(super) fn jobs_of_schedule(&self, plan_id: &str) -> Result<Vec<ScheduleJob>> {
        self.check_schedule(plan_id)?;
        type Raw = ([String; 8], [f64; 4], [bool; 2], Option<String>, String);
        let rows: Vec<Raw> = self.rows(
            "SELECT job_id, kind, home_site, site, submit_at, start_at, end_at, segments,
                    shift_min, baseline_co2e_g, planned_co2e_g, avoided_co2e_g, moved, late,
                    run_id, tags
             FROM schedule_jobs WHERE plan_id = ?1 ORDER BY seq",
            [plan_id],
            |r| {
                Ok((
                    [
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                    ],
                    [r.get(8)?, r.get(9)?, r.get(10)?, r.get(11)?],
                    [bool_of(r.get(12)?), bool_of(r.get(13)?)],
                    r.get(14)?,
                    r.get(15)?,
                ))
            },
        )?;
        rows.into_iter()
            .map(
                |(
                    [job_id, kind, home_site, site, submit, start, end, segments],
                    [shift_min, baseline, planned, avoided],
                    [moved, late],
                    run_id,
                    tags,
                )| {
                    let what = format!("schedule {plan_id} job {job_id:?}");
                    let raw: Vec<BTreeMap<String, String>> =
                        from_json(&format!("{what} segments"), &segments)?;
                    let segments = raw
                        .iter()
                        .map(|g| {
                            let get = |k: &str| {
                                g.get(k).map(String::as_str).ok_or_else(|| {
                                    LedgerError::Corrupt(format!("{what}: a segment without {k}"))
                                })
                            };
                            Ok(Segment {
                                start: parse_ts(get("start")?)?,
                                end: parse_ts(get("end")?)?,
                            })
                        })
                        .collect::<Result<Vec<_>>>()?;
                    Ok(ScheduleJob {
                        kind: kind_of(&kind)?,
                        home_site,
                        site,
                        submit: parse_ts(&submit)?,
                        start: parse_ts(&start)?,
                        end: parse_ts(&end)?,
                        segments,
                        shift_min,
                        moved,
                        baseline_co2e_g: baseline,
                        planned_co2e_g: planned,
                        avoided_co2e_g: avoided,
                        late,
                        run_id,
                        tags: from_json(&format!("{what} tags"), &tags)?,
                        job_id,
                    })
                },
            )
            .collect()
    }

    /// See [`crate::Business::record_schedule_outcome`].
    pub(super) fn insert_schedule_outcome(&self, o: &ScheduleOutcome, actor: &str) -> Result<()> {
        o.validate()?;
        let detail = serde_json::to_value(o).unwrap_or_default();
        self.write(|tx| {
            let (job, run): (bool, bool) = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM schedule_jobs WHERE plan_id = ?1 AND job_id = ?2),
                        EXISTS (SELECT 1 FROM runs WHERE id = ?3)",
                params![o.plan_id, o.job_id, o.run_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            if !job {
                return Err(LedgerError::Invalid(format!(
                    "outcome.job_id {:?}: schedule {} has no such job; an outcome refers to a job of a recorded plan",
                    o.job_id, o.plan_id
                ))
                .into());
            }
            if !run {
                return Err(LedgerError::NotFound(o.run_id.clone()).into());
            }
            tx.execute(
                "INSERT INTO schedule_outcomes (plan_id, job_id, run_id, recorded_at,
                   actual_co2e_g, fifo_co2e_g, avoided_co2e_g)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    o.plan_id,
                    o.job_id,
                    o.run_id,
                    ts(&o.recorded_at),
                    o.actual_co2e_g,
                    o.fifo_co2e_g,
                    o.avoided_co2e_g
                ],
            )?;
            Ok(audit_in(tx, actor, "schedule.outcome", &detail)?)
        })
    }

    /// See [`crate::Business::schedule_outcomes`].
    pub(super) fn outcomes_of_schedule(&self, plan_id: &str) -> Result<Vec<ScheduleOutcome>> {
        self.check_schedule(plan_id)?;
        self.rows(
            "SELECT plan_id, job_id, run_id, recorded_at, actual_co2e_g, fifo_co2e_g,
                    avoided_co2e_g
             FROM schedule_outcomes WHERE plan_id = ?1 ORDER BY seq",
            [plan_id],
            |r| {
                Ok((
                    [r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?],
                    [r.get::<_, f64>(4)?, r.get(5)?, r.get(6)?],
                ))
            },
        )?
        .into_iter()
        .map(|([plan_id, job_id, run_id, at], [actual, fifo, avoided])| {
            Ok(ScheduleOutcome {
                plan_id,
                job_id,
                run_id,
                recorded_at: parse_ts(&at)?,
                actual_co2e_g: actual,
                fifo_co2e_g: fifo,
                avoided_co2e_g: avoided,
            })
        })
        .collect()
    }

    /// See [`crate::Business::avoided_carbon_by`].
    pub(super) fn avoided_carbon_in(
        &self,
        q: &TotalsQuery,
        groups: &[Group],
    ) -> Result<Vec<Vec<AvoidedTotals>>> {
        for g in groups {
            if let Group::Tag(k) = g {
                check_tag_key(k)?;
            }
        }
        let sql = format!(
            "SELECT {} {PLAN_JOBS} {} WHERE {}",
            AVOIDED_COLUMNS.join(", "),
            *LATEST_OUTCOME,
            *COUNTED
        );
        let mut acc: Vec<HashMap<String, AvoidedTotals>> =
            groups.iter().map(|_| HashMap::new()).collect();
        self.each(&sql, super::scope::scope_params(q)?, |r| {
            let start: String = r.get(0)?;
            let site: String = r.get(1)?;
            let kind: String = r.get(2)?;
            let tags: BTreeMap<String, String> =
                serde_json::from_str(&r.get::<_, String>(3)?).unwrap_or_default();
            let (moved, late) = (bool_of(r.get(4)?), bool_of(r.get(5)?));
            let shift: f64 = r.get(6)?;
            let outcome: Option<i64> = r.get(10)?;
            let (baseline, scheduled, avoided): (f64, f64, f64) = match outcome {
                Some(_) => (r.get(11)?, r.get(12)?, r.get(13)?),
                None => (r.get(7)?, r.get(8)?, r.get(9)?),
            };
            let tag = |k: &str| tags.get(k).cloned();
            let keys = [
                Some(site),
                Some(kind),
                tag("product"),
                tag("model"),
                tag("team"),
            ];
            let tags_json = serde_json::to_value(&tags).ok();
            for (g, map) in groups.iter().zip(acc.iter_mut()) {
                let key = group_key(g, &start, &keys, tags_json.as_ref());
                let t = map.entry(key.clone()).or_insert_with(|| AvoidedTotals {
                    group: key,
                    ..Default::default()
                });
                t.jobs += 1;
                t.shifted_jobs += u64::from(shift > 0.0);
                t.moved_jobs += u64::from(moved);
                t.late_jobs += u64::from(late);
                t.jobs_with_outcome += u64::from(outcome.is_some());
                t.baseline_co2e_g += baseline;
                t.scheduled_co2e_g += scheduled;
                t.avoided_co2e_g += avoided;
            }
            Ok(())
        })?;
        Ok(acc
            .into_iter()
            .map(|m| {
                let mut v: Vec<AvoidedTotals> = m.into_values().collect();
                v.sort_by(|a, b| a.group.cmp(&b.group));
                v
            })
            .collect())
    }

    /// The jobs and outcomes of the period and scope of `q` that [`Self::avoided_carbon_in`]
    /// leaves out because a figure is outside its bounds (only a ledger written behind
    /// Sustain's back holds them: writes refuse them).
    pub(super) fn invalid_schedule_records(&self, q: &TotalsQuery) -> Result<Vec<InvalidRecord>> {
        let mut out = Vec::new();
        let job_cols: Vec<String> = SCHEDULE_JOBS
            .iter()
            .map(|f| format!("j.{}", f.column))
            .collect();
        let selected: Vec<&str> = SCHEDULE_JOBS.iter().map(|f| f.column).collect();
        let job_checks = checks(&selected, SCHEDULE_JOBS);
        let mut jobs = Vec::new();
        self.each(
            &format!(
                "SELECT {}, j.plan_id, j.job_id, j.start_at {PLAN_JOBS}
                 WHERE j.start_at >= ?1 AND j.start_at < ?2 AND {JOB_SCOPE_SQL}",
                job_cols.join(", ")
            ),
            super::scope::scope_params(q)?,
            |r| {
                if row_within(r, &job_checks) {
                    return Ok(());
                }
                let values = (0..SCHEDULE_JOBS.len())
                    .map(|i| r.get::<_, Value>(i))
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                let n = SCHEDULE_JOBS.len();
                jobs.push((
                    format!("{}/{}", r.get::<_, String>(n)?, r.get::<_, String>(n + 1)?),
                    r.get::<_, String>(n + 2)?,
                    values,
                ));
                Ok(())
            },
        )?;
        for (id, start, values) in jobs {
            out.push(InvalidRecord {
                kind: RecordKind::ScheduleJob,
                id,
                day: parse_day(start.get(..10).unwrap_or(""))?,
                subject: String::new(),
                problem: super::plausible::problem("schedule_job.", SCHEDULE_JOBS, &values),
            });
        }
        let outcome_cols: Vec<String> = SCHEDULE_OUTCOMES
            .iter()
            .map(|f| format!("o.{}", f.column))
            .collect();
        let rows = self.rows(
            &format!(
                "SELECT {}, o.plan_id, o.job_id, j.start_at FROM schedule_outcomes o
                 JOIN schedule_jobs j ON j.plan_id = o.plan_id AND j.job_id = o.job_id
                 JOIN schedules s ON s.id = j.plan_id AND s.mode = 'plan'
                 WHERE j.start_at >= ?1 AND j.start_at < ?2 AND {JOB_SCOPE_SQL} AND NOT {}",
                outcome_cols.join(", "),
                within("o", SCHEDULE_OUTCOMES)
            ),
            super::scope::scope_params(q)?,
            |r| {
                let n = SCHEDULE_OUTCOMES.len();
                Ok((
                    (0..n)
                        .map(|i| r.get::<_, Value>(i))
                        .collect::<rusqlite::Result<Vec<_>>>()?,
                    format!("{}/{}", r.get::<_, String>(n)?, r.get::<_, String>(n + 1)?),
                    r.get::<_, String>(n + 2)?,
                ))
            },
        )?;
        for (values, id, start) in rows {
            out.push(InvalidRecord {
                kind: RecordKind::ScheduleOutcome,
                id,
                day: parse_day(start.get(..10).unwrap_or(""))?,
                subject: String::new(),
                problem: super::plausible::problem("schedule_outcome.", SCHEDULE_OUTCOMES, &values),
            });
        }
        Ok(out)
    }
}
