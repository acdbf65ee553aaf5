//! The conformance suite every `Ledger` backend must pass, run here against SQLite, plus
//! SQLite-specific tests of identity, locking and append-only enforcement.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use sustain_core::impacts::Impacts;
use sustain_core::run::{
    ComponentEnergy, EnergyBreakdown, EnergySource, MeterIdentity, RunEnd, RunStart, RunStatus,
    Sample,
};
use sustain_core::site::Site;
use sustain_ledger::{Ledger, LedgerError, RunFilter, SqliteLedger, recover_incomplete};
use sustain_testkit as kit;

fn site() -> Site {
    kit::site("FR")
}

fn start(id: &str, minute: u32) -> RunStart {
    RunStart {
        name: format!("job-{id}"),
        command: vec!["sleep".into(), "1".into()],
        meter: MeterIdentity {
            pid: 42,
            start_ticks: 7,
            ..kit::meter()
        },
        methods: BTreeMap::from([("cpu".to_string(), "TDP model".to_string())]),
        tags: kit::tags(&[("team", "vision")]),
        ..kit::run_start(id, kit::at(2026, 3, 1, 12, minute), &site())
    }
}

fn energy(cpu_j: f64, ram_j: f64) -> EnergyBreakdown {
    EnergyBreakdown {
        cpu: kit::component(cpu_j, EnergySource::Modelled, false, ""),
        gpu: ComponentEnergy::default(),
        ram: kit::component(ram_j, EnergySource::Modelled, true, ""),
    }
}

fn sample(seq: u32, cpu_j: f64) -> Sample {
    Sample {
        cpu_time: Duration::from_millis(900),
        rss_bytes: 1000 + u64::from(seq),
        ..kit::sample(
            seq,
            Utc.with_ymd_and_hms(2026, 3, 1, 12, 1, seq + 1).unwrap(),
            energy(cpu_j, 0.5),
        )
    }
}

fn end(id: &str, status: RunStatus, cpu_j: f64) -> RunEnd {
    let e = energy(cpu_j, 1.0);
    RunEnd {
        ended_at: Utc.with_ymd_and_hms(2026, 3, 1, 12, 59, 0).unwrap(),
        status,
        exit_code: Some(if status == RunStatus::Succeeded { 0 } else { 1 }),
        cpu_time: Duration::from_secs(2),
        peak_rss_bytes: 4096,
        impacts: Impacts::compute(e.total(), Duration::from_secs(3), &site(), None).unwrap(),
        embodied: Some(sustain_core::embodied::Embodied {
            co2e: sustain_core::units::CarbonMass::from_grams(0.0125),
            method: "host 1230.3 kgCO2e over 4 y".into(),
        }),
        notes: vec!["note".into()],
        outcomes: serde_json::json!({"accuracy": 0.97}),
        ..kit::run_end(&start(id, 0), &site(), e, 3)
    }
}

/// The behaviour every backend must have.
fn conformance(l: &dyn Ledger) {
    l.start_run(&start("0001-aaaa", 0)).unwrap();
    l.start_run(&start("0002-bbbb", 1)).unwrap();
    l.start_run(&start("0002-bbcc", 2)).unwrap();
    assert!(l.start_run(&start("0001-aaaa", 0)).is_err(), "duplicate id");

    l.append_samples("0001-aaaa", &[sample(0, 10.0), sample(1, 20.0)])
        .unwrap();
    let s = l.samples("0001-aaaa").unwrap();
    assert_eq!(s.len(), 2);
    assert_eq!(s[1].energy.cpu.energy.joules(), 20.0);
    assert!(s[0].energy.ram.apportioned);
    assert_eq!(s[1].rss_bytes, 1001);

    let v = l.run("0001").unwrap();
    assert_eq!(v.status(), RunStatus::Running);
    assert_eq!(v.samples, 2);
    assert_eq!(v.start, start("0001-aaaa", 0));

    l.finish_run(&end("0001-aaaa", RunStatus::Failed, 5.0))
        .unwrap();
    let v = l.run("0001-aaaa").unwrap();
    assert_eq!(v.status(), RunStatus::Failed);
    let e = v.end.unwrap();
    assert_eq!(e.energy.total().joules(), 6.0);
    assert_eq!(e.notes, vec!["note".to_string()]);
    assert_eq!(e.outcomes["accuracy"], 0.97);
    assert_eq!(e.impacts, end("0001-aaaa", RunStatus::Failed, 5.0).impacts);

    // A correction supersedes; finish_if_open does not overwrite.
    l.finish_run(&end("0001-aaaa", RunStatus::Succeeded, 7.0))
        .unwrap();
    assert_eq!(l.run("0001-aaaa").unwrap().status(), RunStatus::Succeeded);
    assert!(
        !l.finish_run_if_open(&end("0001-aaaa", RunStatus::Incomplete, 0.0))
            .unwrap()
    );
    assert_eq!(l.run("0001-aaaa").unwrap().status(), RunStatus::Succeeded);

    // Lookups.
    assert!(matches!(l.run("0002"), Err(LedgerError::Ambiguous { .. })));
    assert!(matches!(l.run("9999"), Err(LedgerError::NotFound(_))));
    assert_eq!(l.run("0002-bbc").unwrap().start.id, "0002-bbcc");

    // Listing: newest first, filters.
    let all = l.runs(&RunFilter::default()).unwrap();
    let ids: Vec<&str> = all.iter().map(|v| v.start.id.as_str()).collect();
    assert_eq!(ids, vec!["0002-bbcc", "0002-bbbb", "0001-aaaa"]);
    let limited = l
        .runs(&RunFilter {
            limit: Some(1),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(limited.len(), 1);
    let since = l
        .runs(&RunFilter {
            since: Some(Utc.with_ymd_and_hms(2026, 3, 1, 12, 1, 0).unwrap()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(since.len(), 2);
    let running = l
        .runs(&RunFilter {
            status: Some(RunStatus::Running),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(running.len(), 2);
    assert_eq!(l.open_runs().unwrap().len(), 2);

    // Recovery marks only the runs the caller says are gone, from their samples.
    l.append_samples("0002-bbbb", &[sample(0, 30.0), sample(1, 6.0)])
        .unwrap();
    let marked = recover_incomplete(l, |v, last| {
        assert!(v.start.id != "0002-bbbb" || last.is_some());
        v.start.id == "0002-bbbb"
    })
    .unwrap();
    assert_eq!(marked, vec!["0002-bbbb".to_string()]);
    let v = l.run("0002-bbbb").unwrap();
    assert_eq!(v.status(), RunStatus::Incomplete);
    let e = v.end.unwrap();
    assert!((e.energy.total().joules() - 37.0).abs() < 1e-9);
    assert_eq!(e.energy.cpu.method, "TDP model");
    assert_eq!(e.duration, Duration::from_secs(2));
    assert_eq!(e.peak_rss_bytes, 1001);
    assert!(e.impacts.co2e_location.grams() > 0.0);
    assert!(e.notes[0].contains("2 samples"));
    assert_eq!(l.open_runs().unwrap().len(), 1);
}

#[test]
fn sqlite_passes_the_conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    let l = SqliteLedger::open(&dir.path().join("l.sqlite")).unwrap();
    conformance(&l);
}

fn open(p: &Path) -> Result<SqliteLedger, LedgerError> {
    SqliteLedger::open_with_timeout(p, Duration::from_millis(200))
}

#[test]
fn files_that_are_not_ledgers_are_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "these are my notes, not a database\n".repeat(200)).unwrap();
    let err = open(&text).unwrap_err();
    assert!(matches!(err, LedgerError::NotALedger { .. }), "{err}");
    assert!(err.to_string().contains("not an SQLite database"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&text).unwrap(),
        "these are my notes, not a database\n".repeat(200)
    );

    let other = dir.path().join("other.db");
    {
        let c = rusqlite::Connection::open(&other).unwrap();
        c.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
            .unwrap();
    }
    let err = open(&other).unwrap_err();
    assert!(err.to_string().contains("not a Sustain ledger"), "{err}");

    let err = open(dir.path()).unwrap_err();
    assert!(err.to_string().contains("directory"), "{err}");

    let under_file = text.join("ledger.sqlite");
    let err = open(&under_file).unwrap_err();
    assert!(err.to_string().contains("not a directory"), "{err}");
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("l.sqlite");
    drop(open(&p).unwrap());
    {
        let c = rusqlite::Connection::open(&p).unwrap();
        c.execute_batch("PRAGMA user_version = 99").unwrap();
    }
    let err = open(&p).unwrap_err();
    assert!(
        matches!(err, LedgerError::NewerSchema { found: 99, .. }),
        "{err}"
    );
}

#[test]
fn updates_and_deletes_are_refused_by_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("l.sqlite");
    let l = open(&p).unwrap();
    l.start_run(&start("r1", 0)).unwrap();
    l.finish_run(&end("r1", RunStatus::Succeeded, 1.0)).unwrap();
    let c = rusqlite::Connection::open(&p).unwrap();
    for sql in [
        "UPDATE runs SET name = 'x'",
        "DELETE FROM runs",
        "UPDATE run_ends SET status = 'failed'",
        "DELETE FROM run_ends",
    ] {
        let err = c.execute(sql, []).unwrap_err().to_string();
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(l.run("r1").unwrap().status(), RunStatus::Succeeded);
}

#[test]
fn a_held_write_lock_gives_a_clear_error_after_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("l.sqlite");
    drop(open(&p).unwrap());
    let holder = rusqlite::Connection::open(&p).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let l = open(&p).unwrap();
    let err = l.start_run(&start("r1", 0)).unwrap_err();
    assert!(matches!(err, LedgerError::Locked { .. }), "{err}");
    assert!(
        err.to_string().contains("locked by another process"),
        "{err}"
    );
    holder.execute_batch("ROLLBACK").unwrap();
    l.start_run(&start("r1", 0)).unwrap();
}

#[test]
fn eight_writers_at_once_all_record() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("l.sqlite");
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let p = p.clone();
            std::thread::spawn(move || {
                let l = SqliteLedger::open(&p).unwrap();
                let id = format!("run-{i}");
                l.start_run(&start(&id, i)).unwrap();
                for seq in 0..20 {
                    l.append_samples(&id, &[sample(seq, 1.0)]).unwrap();
                }
                l.finish_run(&end(&id, RunStatus::Succeeded, 1.0)).unwrap();
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let l = open(&p).unwrap();
    let runs = l.runs(&RunFilter::default()).unwrap();
    assert_eq!(runs.len(), 8);
    assert!(
        runs.iter()
            .all(|r| r.status() == RunStatus::Succeeded && r.samples == 20)
    );
}

/// Regression: a process that opened a ledger while another was creating it saw the new tables
/// without the application id and refused the file as "not a Sustain ledger".
#[test]
fn concurrent_first_opens_never_see_a_half_made_ledger() {
    let dir = tempfile::tempdir().unwrap();
    for round in 0..15 {
        let p = dir.path().join(format!("fresh-{round}.sqlite"));
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let p = p.clone();
                std::thread::spawn(move || SqliteLedger::open(&p).map(|_| ()))
            })
            .collect();
        for h in handles {
            h.join().unwrap().unwrap();
        }
    }
}

/// A ledger written before migration 0002 is upgraded in place, its records intact.
#[test]
fn an_older_ledger_is_migrated_forward() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("v1.sqlite");
    {
        let c = rusqlite::Connection::open(&p).unwrap();
        c.execute_batch(include_str!("../migrations/0001_runs.sql"))
            .unwrap();
        c.execute_batch("PRAGMA user_version = 1; PRAGMA application_id = 1398100820;")
            .unwrap();
        c.execute(
            "INSERT INTO runs (id, name, kind, command, started_at, site_id, site, host, meter, methods, interval_s, tags, recorded_at)
             VALUES ('old', 'old', 'command', '[]', '2026-01-01T00:00:00.000000Z', 'FR', ?1, ?2, ?3, '{}', 1.0, '{}', '2026-01-01T00:00:00.000000Z')",
            rusqlite::params![
                serde_json::to_string(&site().record).unwrap(),
                serde_json::to_string(&start("x", 0).host).unwrap(),
                serde_json::to_string(&start("x", 0).meter).unwrap(),
            ],
        )
        .unwrap();
    }
    let l = open(&p).unwrap();
    assert_eq!(l.run("old").unwrap().start.name, "old");
    l.finish_run(&end("old", RunStatus::Succeeded, 1.0))
        .unwrap();
    assert_eq!(
        l.run("old").unwrap().end.unwrap().outcomes["accuracy"],
        0.97
    );
}
