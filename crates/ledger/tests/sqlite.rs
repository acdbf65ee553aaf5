//! The SQLite ledger's guarantees beyond the conformance suite: records outside their plausible
//! bounds are refused, and those an older ledger holds are left out of every sum and listed;
//! concurrent records of one run conflict instead of failing; a period ending on 9999-12-31
//! holds its runs; new files are private; a read-only copy is read without a trace.

use std::path::Path;

use chrono::{NaiveDate, TimeZone, Utc};
use sustain_core::business::{CostLine, Product, Usage};
use sustain_core::run::{RunEnd, RunStart};
use sustain_ledger::{
    Business, Group, Ledger, LedgerError, RecordKind, SqliteLedger, TotalsQuery, Views,
};
use sustain_testkit as kit;

fn query(from: (i32, u32, u32), to: (i32, u32, u32)) -> TotalsQuery {
    TotalsQuery {
        from: Utc
            .with_ymd_and_hms(from.0, from.1, from.2, 0, 0, 0)
            .unwrap(),
        to: Utc.with_ymd_and_hms(to.0, to.1, to.2, 0, 0, 0).unwrap(),
        tag: None,
        site: None,
        kind: None,
        group: Group::All,
    }
}

/// Two valid runs and a valid usage row, cost line and product in July 2026.
fn valid_ledger(path: &Path) -> SqliteLedger {
    let l = SqliteLedger::open(path).unwrap();
    let fr = kit::site("FR");
    for (id, j) in [("ok-1", 3600.0), ("ok-2", 7200.0)] {
        let s = RunStart {
            tags: kit::tags(&[("product", "chat")]),
            ..kit::run_start(id, kit::at(2026, 7, 2, 10, 0), &fr)
        };
        l.record_run(
            &s,
            &[],
            &kit::run_end(&s, &fr, kit::energy(j, 0.0, 0.0), 60),
        )
        .unwrap();
    }
    l.add_product(
        &Product {
            name: "chat".into(),
            unit: "request".into(),
            price_per_1k_requests: Some(2.0),
            price_per_1m_tokens: None,
            currency: Some("USD".into()),
            description: String::new(),
            recorded_at: Utc::now(),
        },
        "test",
    )
    .unwrap();
    l.add_usage(
        &[Usage {
            product: "chat".into(),
            day: NaiveDate::from_ymd_opt(2026, 7, 2).unwrap(),
            requests: 1000,
            tokens: 10,
            revenue: 2.0,
            currency: "USD".into(),
            source: "test".into(),
        }],
        "test",
        "usage.add",
    )
    .unwrap();
    l.add_cost_line(
        &CostLine {
            day: NaiveDate::from_ymd_opt(2026, 7, 2).unwrap(),
            scope: "company".into(),
            category: "storage".into(),
            amount: 5.0,
            currency: "USD".into(),
            description: String::new(),
        },
        "test",
    )
    .unwrap();
    l
}

#[test]
fn records_outside_their_bounds_are_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let l = valid_ledger(&dir.path().join("l.sqlite"));
    let fr = kit::site("FR");
    let field = |e: LedgerError| match e {
        LedgerError::Rejected(c) => c.to_string(),
        other => panic!("not a refusal: {other}"),
    };
    // A start in year 9999.
    let s = kit::run_start(
        "far",
        Utc.with_ymd_and_hms(9999, 1, 1, 0, 0, 0).unwrap(),
        &fr,
    );
    assert!(field(l.start_run(&s).unwrap_err()).starts_with("start.started_at = 9999"));
    // An end in 1970 before a 2026 start, an energy of 1e308 J, a duration of 1e19 s.
    let s = kit::run_start("r", kit::at(2026, 7, 3, 0, 0), &fr);
    let good = kit::run_end(&s, &fr, kit::energy(1.0, 0.0, 0.0), 1);
    let bad = [
        RunEnd {
            ended_at: Utc.with_ymd_and_hms(1970, 1, 1, 0, 0, 0).unwrap(),
            ..good.clone()
        },
        RunEnd {
            ended_at: kit::at(2026, 7, 2, 0, 0),
            ..good.clone()
        },
        kit::run_end(&s, &fr, kit::energy(1e308, 0.0, 0.0), 1),
        RunEnd {
            duration: std::time::Duration::from_secs(10_000_000_000_000_000_000),
            ..good.clone()
        },
    ];
    let want = [
        "end.ended_at = 1970",
        "ends at or after it starts",
        "end.energy.cpu.energy_j = 1e308",
        "end.duration_s = 1e19",
    ];
    for (end, needle) in bad.iter().zip(want) {
        let msg = field(l.record_run(&s, &[], end).unwrap_err());
        assert!(msg.contains(needle), "{msg}");
    }
    assert!(matches!(l.run("r"), Err(LedgerError::NotFound(_))));
    // Usage clamped today to i64::MAX, and a revenue of 1e308.
    let u = Usage {
        product: "chat".into(),
        day: NaiveDate::from_ymd_opt(2026, 7, 2).unwrap(),
        requests: u64::MAX,
        tokens: 0,
        revenue: 0.0,
        currency: "USD".into(),
        source: "test".into(),
    };
    assert!(
        field(
            l.add_usage(std::slice::from_ref(&u), "t", "usage.add")
                .unwrap_err()
        )
        .contains("--requests")
    );
    let u = Usage {
        requests: 1,
        revenue: 1e308,
        ..u
    };
    assert!(field(l.add_usage(&[u], "t", "usage.add").unwrap_err()).contains("--revenue"));
    // Nothing of it was written.
    assert_eq!(l.verify_audit().unwrap(), 3);
    assert_eq!(l.runs(&Default::default()).unwrap().len(), 2);
}

#[test]
fn a_period_stays_readable_whatever_an_older_ledger_holds() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.sqlite");
    let l = valid_ledger(&path);
    let q = query((2026, 7, 1), (2026, 8, 1));
    let (from, to) = (q.from.date_naive(), q.to.date_naive());
    let before = (
        l.run_totals(&q).unwrap(),
        l.usage_totals(from, to).unwrap(),
        l.cost_lines(from, to).unwrap(),
        l.period_totals(q.from, q.to).unwrap(),
        l.scope_totals().unwrap(),
    );
    assert!(l.invalid_records(&q).unwrap().is_empty());
    drop(l);
    let planted =
        kit::old_ledger::plant(&path, NaiveDate::from_ymd_opt(2026, 7, 9).unwrap(), "chat");
    let l = SqliteLedger::open(&path).unwrap();
    // Every sum reads as before: the figures of the valid records alone, finite.
    let after = (
        l.run_totals(&q).unwrap(),
        l.usage_totals(from, to).unwrap(),
        l.cost_lines(from, to).unwrap(),
        l.period_totals(q.from, q.to).unwrap(),
        l.scope_totals().unwrap(),
    );
    assert_eq!(after, before);
    assert_eq!(after.0[0].runs, 2);
    assert_eq!(after.0[0].cpu_j, 3600.0 + 7200.0);
    assert_eq!(after.1[0].requests, 1000);
    assert!(l.indicators(from, to).unwrap().is_empty());
    // And the records left out are named, with the figure at fault.
    let bad = l.invalid_records(&q).unwrap();
    assert_eq!(bad.len(), planted.total(), "{bad:#?}");
    let runs: Vec<&str> = bad
        .iter()
        .filter(|r| r.kind == RecordKind::Run)
        .map(|r| r.id.as_str())
        .collect();
    for id in &planted.runs {
        assert!(runs.contains(&id.as_str()), "{id} in {runs:?}");
    }
    let energy = bad.iter().find(|r| r.id == "old-energy").unwrap();
    assert!(
        energy
            .problem
            .starts_with("end.cpu_j = 1e308 is out of bounds"),
        "{}",
        energy.problem
    );
    assert_eq!(energy.day, NaiveDate::from_ymd_opt(2026, 7, 9).unwrap());
    let usage = bad.iter().find(|r| r.kind == RecordKind::Usage).unwrap();
    assert!(
        usage.problem.contains("requests = 9223372036854775807"),
        "{}",
        usage.problem
    );
    assert_eq!(usage.subject, "chat");
    assert!(
        bad.iter()
            .any(|r| r.kind == RecordKind::CostLine && r.problem.contains("--amount = 1e308"))
    );
    assert!(bad.iter().any(|r| r.kind == RecordKind::Indicator));
    // Runs stay listable one by one.
    assert_eq!(l.run("old-energy").unwrap().start.id, "old-energy");
    // The months around are untouched.
    assert!(
        l.invalid_records(&query((2026, 8, 1), (2026, 9, 1)))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn concurrent_records_of_one_run_conflict_instead_of_failing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.sqlite");
    drop(SqliteLedger::open(&path).unwrap());
    let fr = kit::site("FR");
    let s = kit::run_start("dup", kit::at(2026, 7, 2, 10, 0), &fr);
    let e = kit::run_end(&s, &fr, kit::energy(1.0, 0.0, 0.0), 1);
    let samples = vec![kit::sample(
        0,
        kit::at(2026, 7, 2, 10, 0),
        kit::energy(1.0, 0.0, 0.0),
    )];
    let results: Vec<Result<(), LedgerError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..16)
            .map(|_| {
                scope.spawn(|| {
                    let l = SqliteLedger::open(&path)?;
                    l.record_run(&s, &samples, &e)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    for r in results.iter().filter(|r| r.is_err()) {
        assert!(
            matches!(r, Err(LedgerError::Conflict(m)) if m.contains("already recorded")),
            "{r:?}"
        );
    }
    let l = SqliteLedger::open(&path).unwrap();
    assert_eq!(l.samples("dup").unwrap().len(), 1);
}

#[test]
fn a_period_ending_on_9999_12_31_holds_its_runs() {
    let dir = tempfile::tempdir().unwrap();
    let l = valid_ledger(&dir.path().join("l.sqlite"));
    // The exclusive end of 2026-01-01..9999-12-31 is 10000-01-01.
    let mut q = query((2026, 1, 1), (2026, 1, 1));
    q.to = NaiveDate::from_ymd_opt(10000, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    assert_eq!(l.run_totals(&q).unwrap()[0].runs, 2);
    assert_eq!(l.period_totals(q.from, q.to).unwrap().runs, 2);
    let (from, to) = (q.from.date_naive(), q.to.date_naive());
    assert_eq!(l.usage_totals(from, to).unwrap()[0].requests, 1000);
    assert_eq!(l.cost_lines(from, to).unwrap().len(), 1);
    // From year 10000 on, nothing.
    q.from = q.to;
    q.to = NaiveDate::from_ymd_opt(10001, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    assert!(l.run_totals(&q).unwrap().is_empty());
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[test]
fn a_new_ledger_and_its_directories_are_readable_by_the_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data/sustain/ledger.sqlite");
    let l = valid_ledger(&path);
    assert_eq!(mode(&dir.path().join("data")), 0o700);
    assert_eq!(mode(&dir.path().join("data/sustain")), 0o700);
    assert_eq!(mode(&path), 0o600);
    for side in ["ledger.sqlite-wal", "ledger.sqlite-shm"] {
        let p = dir.path().join("data/sustain").join(side);
        assert!(p.exists(), "{side}");
        assert_eq!(mode(&p), 0o600, "{side}");
    }
    drop(l);
    // An existing directory keeps its mode.
    assert_eq!(mode(dir.path()) & 0o700, 0o700);
}

#[cfg(unix)]
#[test]
fn a_read_only_copy_is_read_without_writing_beside_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.sqlite");
    let l = valid_ledger(&path);
    let before = l.run_totals(&query((2026, 7, 1), (2026, 8, 1))).unwrap();
    drop(l);
    let ro = dir.path().join("audit");
    std::fs::create_dir(&ro).unwrap();
    let copy = ro.join("l.sqlite");
    std::fs::copy(&path, &copy).unwrap();
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o444)).unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    assert!(SqliteLedger::is_read_only(&copy));
    assert!(!SqliteLedger::is_read_only(&path));
    let bytes = std::fs::read(&copy).unwrap();
    {
        let l = SqliteLedger::open_read_only(&copy).unwrap();
        assert!(l.read_only());
        assert_eq!(
            l.run_totals(&query((2026, 7, 1), (2026, 8, 1))).unwrap(),
            before
        );
        assert_eq!(l.runs(&Default::default()).unwrap().len(), 2);
        assert_eq!(l.verify_audit().unwrap(), 3);
        let s = kit::run_start("new", kit::at(2026, 7, 3, 0, 0), &kit::site("FR"));
        let e = l.start_run(&s).unwrap_err();
        assert!(matches!(e, LedgerError::ReadOnly { .. }), "{e}");
        assert!(e.to_string().contains("read-only"), "{e}");
    }
    let names: Vec<String> = std::fs::read_dir(&ro)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        vec!["l.sqlite".to_string()],
        "nothing written beside it"
    );
    assert_eq!(
        std::fs::read(&copy).unwrap(),
        bytes,
        "the file is unchanged"
    );
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
}
