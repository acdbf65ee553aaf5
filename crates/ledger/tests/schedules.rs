//! Schedules in the SQLite ledger: a plan and its jobs read back as recorded; a bad record is
//! refused whole, naming the field and the bound, and nothing is written; the tables are
//! append-only; outcomes refer to a plan's job and a run; the carbon avoided sums by period and
//! scope the plans for execution only, a job planned again once, an outcome's figures over the
//! plan's; and a row outside its bounds is left out of the sums and listed.

use std::path::Path;

use chrono::{DateTime, SubsecRound, TimeZone, Utc};
use sustain_core::run::RunStart;
use sustain_core::schedule::{
    ForecastSettings, ScheduleJob, ScheduleMode, ScheduleOutcome, ScheduleRecord, Segment,
};
use sustain_ledger::{
    AvoidedTotals, Business, Group, Ledger, LedgerError, RecordKind, ScheduleFilter, SqliteLedger,
    TotalsQuery,
};
use sustain_testkit as kit;

/// The run that carried `j2` out.
const RUN: &str = "0190aaaa-0000-7000-8000-000000000001";

fn t(m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, m, d, h, 0, 0).unwrap()
}

/// A job submitted at `submit`, run from `start` for an hour at `site` (home `gb`).
fn job(
    id: &str,
    site: &str,
    submit: DateTime<Utc>,
    start: DateTime<Utc>,
    (baseline, planned): (f64, f64),
    tags: &[(&str, &str)],
) -> ScheduleJob {
    let mut j = ScheduleJob::new(
        id.into(),
        "gb".into(),
        site.into(),
        submit,
        vec![Segment {
            start,
            end: start + chrono::Duration::hours(1),
        }],
        (baseline, planned),
        false,
    );
    j.tags = kit::tags(tags);
    j
}

fn record(mode: ScheduleMode, jobs: Vec<ScheduleJob>) -> ScheduleRecord {
    let baseline = jobs.iter().map(|j| j.baseline_co2e_g).sum();
    let planned = jobs.iter().map(|j| j.planned_co2e_g).sum();
    ScheduleRecord::new(
        mode,
        "carbon",
        30,
        ForecastSettings {
            use_: "raw".into(),
            error: 0.0,
            seeds: 1,
        },
        (baseline, planned),
        jobs,
    )
}

/// A plan for execution: `j1` at home in July, shifted 3 h (chat, ml); `j2` moved to fr in
/// July (search); `j3` in August, not shifted.
fn plan_a() -> ScheduleRecord {
    record(
        ScheduleMode::Plan,
        vec![
            job(
                "j1",
                "gb",
                t(7, 2, 9),
                t(7, 2, 12),
                (1000.0, 400.0),
                &[("product", "chat"), ("team", "ml")],
            ),
            job(
                "j2",
                "fr",
                t(7, 20, 9),
                t(7, 20, 9),
                (500.0, 100.0),
                &[("product", "search")],
            ),
            job("j3", "gb", t(8, 1, 9), t(8, 1, 9), (300.0, 300.0), &[]),
        ],
    )
}

/// A change that spoils a record.
type Spoil = Box<dyn Fn(&mut ScheduleRecord)>;

fn open(dir: &tempfile::TempDir) -> SqliteLedger {
    SqliteLedger::open(&dir.path().join("l.sqlite")).unwrap()
}

fn count(path: &Path, table: &str) -> i64 {
    rusqlite::Connection::open(path)
        .unwrap()
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

fn july(group: Group) -> TotalsQuery {
    TotalsQuery {
        from: t(7, 1, 0),
        to: t(8, 1, 0),
        tag: None,
        site: None,
        kind: None,
        group,
    }
}

/// A run that carried a job out.
fn run(l: &SqliteLedger, id: &str) {
    let fr = kit::site("FR");
    let s: RunStart = kit::run_start(id, t(7, 20, 9), &fr);
    l.record_run(
        &s,
        &[],
        &kit::run_end(&s, &fr, kit::energy(3600.0, 0.0, 0.0), 60),
    )
    .unwrap();
}

#[test]
fn a_schedule_reads_back_as_recorded_and_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let l = open(&dir);
    let mut r = plan_a();
    r.jobs[2].run_id = Some(RUN.into());
    let id = l.record_schedule(&r, "test").unwrap();
    assert_eq!(id, r.plan.id);
    let listed = l.schedules(&ScheduleFilter::default()).unwrap();
    assert_eq!(listed, vec![r.plan.clone()]);
    assert_eq!(l.schedule_jobs(&id).unwrap(), r.jobs);
    assert!(l.schedule_outcomes(&id).unwrap().is_empty());
    let sim = record(ScheduleMode::Simulation, vec![plan_a().jobs[0].clone()]);
    l.record_schedule(&sim, "test").unwrap();
    // Newest first; narrowed by mode.
    let all = l.schedules(&ScheduleFilter::default()).unwrap();
    assert_eq!(all[0].id, sim.plan.id);
    let plans = l
        .schedules(&ScheduleFilter {
            mode: Some(ScheduleMode::Plan),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(plans.len(), 1);
    let audit = l.audit().unwrap();
    assert_eq!(audit[0].action, "schedule.record");
    assert_eq!(audit[0].detail["id"], serde_json::json!(id));
    assert_eq!(l.verify_audit().unwrap(), 2);
    let e = l.schedule_jobs("no-such-plan").unwrap_err().to_string();
    assert!(e.contains("no schedule with id"), "{e}");
}

#[test]
fn a_bad_schedule_is_refused_whole_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.sqlite");
    let l = open(&dir);
    let cases: Vec<(Spoil, &str)> = vec![
        (
            Box::new(|r| r.jobs[2].planned_co2e_g = -5.0),
            "schedule.jobs[2].planned_co2e_g = -5.0 is out of bounds: expected a number of gCO2e >= 0.0",
        ),
        (
            Box::new(|r| r.jobs[1].baseline_co2e_g = f64::INFINITY),
            "schedule.jobs[1].baseline_co2e_g = inf is out of bounds",
        ),
        (
            Box::new(|r| r.plan.baseline_co2e_g = f64::NAN),
            "schedule.baseline_co2e_g = NaN is out of bounds",
        ),
        (
            Box::new(|r| r.jobs[0].submit = t(7, 2, 13)),
            "cannot start before it is submitted",
        ),
        (
            Box::new(|r| {
                r.jobs[0].start = Utc.with_ymd_and_hms(2150, 1, 1, 0, 0, 0).unwrap();
            }),
            "schedule.jobs[0].start",
        ),
    ];
    for (spoil, want) in cases {
        let mut r = plan_a();
        spoil(&mut r);
        let e = l.record_schedule(&r, "test").unwrap_err();
        assert!(matches!(e, LedgerError::Rejected(_)), "{e:?}");
        assert!(e.to_string().contains(want), "{e}");
    }
    for table in ["schedules", "schedule_jobs", "audit"] {
        assert_eq!(count(&path, table), 0, "{table}");
    }
    // An id recorded already is a conflict, decided in the transaction: no job of the second
    // record is written.
    let r = plan_a();
    l.record_schedule(&r, "test").unwrap();
    let mut again = plan_a();
    again.plan.id = r.plan.id.clone();
    let e = l.record_schedule(&again, "test").unwrap_err();
    assert!(matches!(e, LedgerError::Conflict(_)), "{e:?}");
    assert_eq!(count(&path, "schedule_jobs"), 3);
    assert_eq!(count(&path, "audit"), 1);
}

#[test]
fn schedules_jobs_and_outcomes_cannot_be_updated_or_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.sqlite");
    let l = open(&dir);
    let r = plan_a();
    l.record_schedule(&r, "test").unwrap();
    run(&l, RUN);
    l.record_schedule_outcome(
        &ScheduleOutcome::new(r.plan.id.clone(), "j2".into(), RUN.into(), 200.0, 500.0).unwrap(),
        "test",
    )
    .unwrap();
    let c = rusqlite::Connection::open(&path).unwrap();
    for table in ["schedules", "schedule_jobs", "schedule_outcomes"] {
        for sql in [
            format!("UPDATE {table} SET seq = seq"),
            format!("DELETE FROM {table}"),
        ] {
            let e = c.execute(&sql, []).unwrap_err().to_string();
            assert!(e.contains("append-only"), "{sql}: {e}");
        }
        assert!(count(&path, table) > 0);
    }
}

#[test]
fn an_outcome_refers_to_a_plans_job_and_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.sqlite");
    let l = open(&dir);
    let r = plan_a();
    l.record_schedule(&r, "test").unwrap();
    run(&l, RUN);
    let o = |job: &str, run: &str, actual: f64| ScheduleOutcome {
        plan_id: r.plan.id.clone(),
        job_id: job.into(),
        run_id: run.into(),
        recorded_at: Utc::now().trunc_subsecs(6),
        actual_co2e_g: actual,
        fifo_co2e_g: 500.0,
        avoided_co2e_g: 500.0 - actual,
    };
    let e = l
        .record_schedule_outcome(&o("nope", RUN, 200.0), "test")
        .unwrap_err();
    assert!(e.to_string().contains("has no such job"), "{e}");
    let e = l
        .record_schedule_outcome(&o("j2", "0190-no-such-run", 200.0), "test")
        .unwrap_err();
    assert!(matches!(e, LedgerError::NotFound(_)), "{e:?}");
    let e = l
        .record_schedule_outcome(&o("j2", RUN, -1.0), "test")
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("outcome.actual_co2e_g = -1.0 is out of bounds"),
        "{e}"
    );
    assert_eq!(count(&path, "schedule_outcomes"), 0);
    let good = o("j2", RUN, 200.0);
    l.record_schedule_outcome(&good, "test").unwrap();
    assert_eq!(l.schedule_outcomes(&r.plan.id).unwrap(), vec![good]);
}

fn only(v: Vec<AvoidedTotals>) -> AvoidedTotals {
    assert_eq!(v.len(), 1, "{v:?}");
    v.into_iter().next().unwrap()
}

#[test]
fn avoided_carbon_sums_plans_for_execution_by_period_and_scope() {
    let dir = tempfile::tempdir().unwrap();
    let l = open(&dir);
    assert!(l.avoided_carbon(&july(Group::All)).unwrap().is_empty());
    let a = plan_a();
    l.record_schedule(&a, "test").unwrap();
    // A simulation of the same jobs counts nothing.
    l.record_schedule(&record(ScheduleMode::Simulation, plan_a().jobs), "test")
        .unwrap();
    // j1 planned again (same id and submit) to 14:00 at 600 g: this plan's row counts.
    let again = record(
        ScheduleMode::Plan,
        vec![job(
            "j1",
            "gb",
            t(7, 2, 9),
            t(7, 2, 14),
            (1000.0, 600.0),
            &[("product", "chat"), ("team", "ml")],
        )],
    );
    l.record_schedule(&again, "test").unwrap();
    // j2 ran: 200 g against a fifo counterfactual of 500 g.
    run(&l, RUN);
    l.record_schedule_outcome(
        &ScheduleOutcome::new(a.plan.id.clone(), "j2".into(), RUN.into(), 200.0, 500.0).unwrap(),
        "test",
    )
    .unwrap();

    // July: j1 1000 − 600 = 400, j2 500 − 200 = 300.
    let all = only(l.avoided_carbon(&july(Group::All)).unwrap());
    assert_eq!(
        all,
        AvoidedTotals {
            group: "all".into(),
            jobs: 2,
            shifted_jobs: 1,
            moved_jobs: 1,
            late_jobs: 0,
            jobs_with_outcome: 1,
            baseline_co2e_g: 1500.0,
            scheduled_co2e_g: 800.0,
            avoided_co2e_g: 700.0,
        }
    );
    let by = |g: Group| -> Vec<(String, f64)> {
        l.avoided_carbon(&july(g))
            .unwrap()
            .into_iter()
            .map(|t| (t.group, t.avoided_co2e_g))
            .collect()
    };
    assert_eq!(
        by(Group::Site),
        vec![("fr".into(), 300.0), ("gb".into(), 400.0)]
    );
    assert_eq!(by(Group::Month), vec![("2026-07".into(), 700.0)]);
    assert_eq!(by(Group::Day).len(), 2);
    assert_eq!(
        by(Group::Tag("product".into())),
        vec![("chat".into(), 400.0), ("search".into(), 300.0)]
    );
    assert_eq!(
        by(Group::Tag("team".into())),
        vec![("(none)".into(), 300.0), ("ml".into(), 400.0)]
    );
    assert_eq!(by(Group::Kind), vec![("schedule".into(), 700.0)]);
    // Scopes: a tag, a site, a kind.
    let scoped = |tag: Option<(&str, &str)>, site: Option<&str>, kind: Option<&str>| {
        l.avoided_carbon(&TotalsQuery {
            tag: tag.map(|(k, v)| (k.to_string(), v.to_string())),
            site: site.map(str::to_string),
            kind: kind.map(str::to_string),
            ..july(Group::All)
        })
        .unwrap()
        .into_iter()
        .map(|t| t.avoided_co2e_g)
        .sum::<f64>()
    };
    assert_eq!(scoped(Some(("product", "chat")), None, None), 400.0);
    assert_eq!(scoped(Some(("team", "ml")), None, None), 400.0);
    assert_eq!(scoped(None, Some("fr"), None), 300.0);
    assert_eq!(scoped(None, None, Some("schedule")), 700.0);
    assert_eq!(scoped(None, None, Some("train")), 0.0);
    // August: j3, not shifted, avoided nothing.
    let aug = only(
        l.avoided_carbon(&TotalsQuery {
            from: t(8, 1, 0),
            to: t(9, 1, 0),
            ..july(Group::All)
        })
        .unwrap(),
    );
    assert_eq!(
        (aug.jobs, aug.shifted_jobs, aug.avoided_co2e_g),
        (1, 0, 0.0)
    );
    // A bad tag key is refused, not spliced into SQL.
    let e = l
        .avoided_carbon(&july(Group::Tag("x') OR 1=1 --".into())))
        .unwrap_err();
    assert!(e.to_string().contains("tag key"), "{e}");
}

#[test]
fn a_job_row_outside_its_bounds_is_left_out_and_listed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.sqlite");
    let l = open(&dir);
    let a = plan_a();
    l.record_schedule(&a, "test").unwrap();
    // Written behind the ledger's back, as no write of Sustain would.
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute(
            "INSERT INTO schedule_jobs (plan_id, job_id, kind, home_site, site, submit_at,
               start_at, end_at, segments, shift_min, moved, baseline_co2e_g, planned_co2e_g,
               avoided_co2e_g, late, tags)
             SELECT plan_id, 'planted', kind, home_site, site, submit_at, start_at, end_at,
               segments, shift_min, moved, 1e308, 0, 1e308, late, tags
             FROM schedule_jobs WHERE job_id = 'j1'",
            [],
        )
        .unwrap();
    let all = only(l.avoided_carbon(&july(Group::All)).unwrap());
    assert_eq!((all.jobs, all.avoided_co2e_g), (2, 1000.0));
    let bad = l.invalid_records(&july(Group::All)).unwrap();
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert_eq!(bad[0].kind, RecordKind::ScheduleJob);
    assert_eq!(bad[0].id, format!("{}/planted", a.plan.id));
    assert!(
        bad[0]
            .problem
            .starts_with("schedule_job.baseline_co2e_g = 1e308 is out of bounds"),
        "{}",
        bad[0].problem
    );
    // As recorded, it still lists.
    assert_eq!(l.schedule_jobs(&a.plan.id).unwrap().len(), 4);
}
