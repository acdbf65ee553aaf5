//! The carbon avoided by scheduling in the accounts and every output: shown beside the actual
//! carbon (never subtracted), by period and scope, from plans for execution only; a ledger
//! without them (or with simulations only) reports byte for byte what it did.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;
use sustain_core::run::RunStart;
use sustain_core::schedule::{
    ForecastSettings, ScheduleJob, ScheduleMode, ScheduleOutcome, ScheduleRecord, Segment,
};
use sustain_ledger::{Business, Ledger, SqliteLedger};
use sustain_report::render::{Format, render};
use sustain_report::{Period, Scope, accounts};
use sustain_testkit as kit;

const RUN: &str = "0190aaaa-0000-7000-8000-0000000000aa";

fn t(m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, m, d, h, 0, 0).unwrap()
}

/// A run in July (chat, FR) and one in June, both metered.
fn ledger(dir: &tempfile::TempDir) -> SqliteLedger {
    let l = SqliteLedger::open(&dir.path().join("l.sqlite")).unwrap();
    let fr = kit::site("FR");
    for (id, at) in [(RUN, t(7, 2, 10)), ("june-run", t(6, 10, 10))] {
        let s = RunStart {
            tags: kit::tags(&[("product", "chat")]),
            ..kit::run_start(id, at, &fr)
        };
        l.record_run(
            &s,
            &[],
            &kit::run_end(&s, &fr, kit::energy(3.6e6, 0.0, 0.0), 3600),
        )
        .unwrap();
    }
    l.add_product(&kit::chat(), "test").unwrap();
    l
}

fn job(id: &str, site: &str, start: DateTime<Utc>, g: (f64, f64), product: &str) -> ScheduleJob {
    let mut j = ScheduleJob::new(
        id.into(),
        "FR".into(),
        site.into(),
        start - chrono::Duration::hours(2),
        vec![Segment {
            start,
            end: start + chrono::Duration::hours(1),
        }],
        g,
        false,
    );
    j.tags = kit::tags(&[("product", product)]);
    j
}

fn schedule(mode: ScheduleMode, jobs: Vec<ScheduleJob>) -> ScheduleRecord {
    let b = jobs.iter().map(|j| j.baseline_co2e_g).sum();
    let p = jobs.iter().map(|j| j.planned_co2e_g).sum();
    ScheduleRecord::new(
        mode,
        "carbon",
        30,
        ForecastSettings {
            use_: "smoothed".into(),
            error: 0.0,
            seeds: 1,
        },
        (b, p),
        jobs,
    )
}

/// July: `a` at FR (chat) 120 → 20 g, `b` moved to SE (search) 60 → 10 g; June: `c` 40 → 30 g.
fn plan() -> ScheduleRecord {
    schedule(
        ScheduleMode::Plan,
        vec![
            job("a", "FR", t(7, 2, 12), (120.0, 20.0), "chat"),
            job("b", "SE", t(7, 20, 12), (60.0, 10.0), "search"),
            job("c", "FR", t(6, 5, 12), (40.0, 30.0), "chat"),
        ],
    )
}

fn outputs(l: &SqliteLedger, scope: &Scope) -> Vec<String> {
    let a = accounts(l, &Period::parse("2026-07").unwrap(), scope).unwrap();
    [Format::Json, Format::Markdown, Format::Csv, Format::Html]
        .into_iter()
        .map(|f| render(&a, &[], f))
        .collect()
}

#[test]
fn reports_without_plans_for_execution_keep_their_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let l = ledger(&dir);
    let before = outputs(&l, &Scope::Company);
    for out in &before {
        assert!(!out.to_lowercase().contains("avoided"), "{out}");
    }
    // A simulation is a what-if: recorded, never counted.
    l.record_schedule(&schedule(ScheduleMode::Simulation, plan().jobs), "test")
        .unwrap();
    assert_eq!(outputs(&l, &Scope::Company), before);
}

#[test]
fn avoided_carbon_stands_beside_the_actual_in_every_output() {
    let dir = tempfile::tempdir().unwrap();
    let l = ledger(&dir);
    let july = Period::parse("2026-07").unwrap();
    let actual = accounts(&l, &july, &Scope::Company).unwrap();
    let p = plan();
    l.record_schedule(&p, "test").unwrap();
    // `a` ran: 35 g against a fifo counterfactual of 125 g.
    l.record_schedule_outcome(
        &ScheduleOutcome::new(p.plan.id.clone(), "a".into(), RUN.into(), 35.0, 125.0).unwrap(),
        "test",
    )
    .unwrap();
    let a = accounts(&l, &july, &Scope::Company).unwrap();
    let e = &a.environmental;
    // Never subtracted: the actual figures are those before the plan.
    assert_eq!(e.co2e_location_g, actual.environmental.co2e_location_g);
    assert_eq!(a.headline.co2e_location_g, actual.headline.co2e_location_g);
    // July: a (as run) 125 − 35 = 90, b 60 − 10 = 50.
    assert_eq!(e.avoided_co2e_g, Some(140.0));
    assert_eq!(a.headline.avoided_co2e_g, Some(140.0));
    // June: c 40 − 30 = 10.
    assert_eq!(a.previous.avoided_co2e_g, Some(10.0));
    let av = e.avoided.as_ref().unwrap();
    assert_eq!(av.method, "modelled against fifo on the true series");
    assert_eq!(
        (
            av.total.jobs,
            av.total.moved_jobs,
            av.total.jobs_with_outcome,
            av.total.baseline_co2e_g,
            av.total.scheduled_co2e_g,
        ),
        (2, 1, 1, 185.0, 45.0)
    );
    let sites: Vec<(&str, f64)> = av
        .by_site
        .iter()
        .map(|t| (t.group.as_str(), t.avoided_co2e_g))
        .collect();
    assert_eq!(sites, vec![("FR", 90.0), ("SE", 50.0)]);
    assert_eq!(av.by_month[0].group, "2026-07");
    assert!(
        a.notes.iter().any(|n| n.contains("1 of 2 scheduled jobs")),
        "{:?}",
        a.notes
    );

    let [json, md, csv, html]: [String; 4] = outputs(&l, &Scope::Company).try_into().unwrap();
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["environmental"]["avoided_co2e_g"], 140.0);
    assert_eq!(
        v["environmental"]["avoided"]["method"],
        "modelled against fifo on the true series"
    );
    assert_eq!(v["headline"]["avoided_co2e_g"], 140.0);
    assert_eq!(
        v["environmental"]["co2e_location_g"].as_f64(),
        Some(actual.environmental.co2e_location_g)
    );
    for want in [
        "CO2e avoided by carbon-aware scheduling (modelled against fifo on the true series): **140.0 g**",
        "never subtracted from it",
        "### Carbon avoided by scheduling",
        "| site SE | 1 | 1 | 1 | 0 | 60.0 | 10.0 | **50.0** |",
        "| CO2e avoided by scheduling (g, modelled, not subtracted) | 140.0 | 10.0 | +1300.0 % |",
        "`docs/methods/avoided-carbon.md`",
    ] {
        assert!(md.contains(want), "{want}\n{md}");
    }
    for want in [
        "environmental,co2e_avoided,all,140,g",
        "environmental,co2e_avoided,site:FR,90,g",
        "environmental,co2e_avoided,month:2026-07,140,g",
        "environmental,scheduled_jobs,all,2,jobs",
    ] {
        assert!(csv.contains(want), "{want}\n{csv}");
    }
    assert!(html.contains("Carbon avoided by scheduling"), "{html}");
    assert!(html.contains("<strong>140.0 g</strong>"), "{html}");

    // Scopes: a product, a site, a kind other than the jobs'.
    let scoped = |s: &str| {
        accounts(&l, &july, &Scope::parse(s).unwrap())
            .unwrap()
            .environmental
            .avoided_co2e_g
    };
    assert_eq!(scoped("product:chat"), Some(90.0));
    assert_eq!(scoped("site:SE"), Some(50.0));
    assert_eq!(scoped("kind:schedule"), Some(140.0));
    assert_eq!(scoped("kind:train"), None);
}

#[test]
fn a_planted_job_is_left_out_and_named_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let l = ledger(&dir);
    let p = plan();
    l.record_schedule(&p, "test").unwrap();
    // Written behind the ledger's back: a job whose id is markup and whose figure is absurd.
    rusqlite::Connection::open(dir.path().join("l.sqlite"))
        .unwrap()
        .execute(
            "INSERT INTO schedule_jobs (plan_id, job_id, kind, home_site, site, submit_at,
               start_at, end_at, segments, shift_min, moved, baseline_co2e_g, planned_co2e_g,
               avoided_co2e_g, late, tags)
             SELECT plan_id, '<script>x</script>|y', kind, home_site, site, submit_at, start_at,
               end_at, segments, shift_min, moved, -1, 0, -1, late, tags
             FROM schedule_jobs WHERE job_id = 'a'",
            [],
        )
        .unwrap();
    let a = accounts(&l, &Period::parse("2026-07").unwrap(), &Scope::Company).unwrap();
    assert_eq!(a.environmental.avoided_co2e_g, Some(150.0));
    assert_eq!(a.excluded.len(), 1);
    assert!(
        a.excluded[0]
            .problem
            .starts_with("schedule_job.baseline_co2e_g = -1.0 is out of bounds"),
        "{}",
        a.excluded[0].problem
    );
    let [_, md, _, html]: [String; 4] = outputs(&l, &Scope::Company).try_into().unwrap();
    assert!(!html.contains("<script>x"), "{html}");
    assert!(html.contains("&lt;script&gt;x&lt;/script&gt;|y"), "{html}");
    assert!(!md.contains("<script>x"), "{md}");
}
