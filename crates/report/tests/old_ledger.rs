//! A period stays readable whatever an older ledger holds: records outside their plausible
//! bounds (planted straight into the file, as a ledger written before the bounds would hold
//! them) are left out of every figure of the accounts and named in the report; and a period
//! ending on 9999-12-31 reports the runs it holds.

use chrono::NaiveDate;
use serde_json::Value;
use sustain_core::run::RunStart;
use sustain_ledger::{Business, Ledger, RecordKind, SqliteLedger};
use sustain_report::render::{Format, render};
use sustain_report::{Period, Scope, accounts};
use sustain_testkit as kit;

fn fixture(path: &std::path::Path) {
    let l = SqliteLedger::open(path).unwrap();
    let fr = kit::site("FR");
    for (id, day, j) in [("ok-1", 2, 3600.0), ("ok-2", 20, 7200.0)] {
        let s = RunStart {
            tags: kit::tags(&[("product", "chat")]),
            ..kit::run_start(id, kit::at(2026, 7, day, 10, 0), &fr)
        };
        l.record_run(&s, &[], &kit::run_end(&s, &fr, kit::energy(j, j, 0.0), 600))
            .unwrap();
    }
    l.add_product(&kit::chat(), "test").unwrap();
    let day = NaiveDate::from_ymd_opt(2026, 7, 2).unwrap();
    l.add_usage(
        &[kit::chat_usage(day, 12_000, 400_000)],
        "test",
        "usage.add",
    )
    .unwrap();
    l.add_cost_line(&kit::storage_cost(day), "test").unwrap();
}

/// The accounts' JSON without what names the left-out records.
fn figures(mut v: Value) -> Value {
    let o = v.as_object_mut().unwrap();
    o.remove("excluded");
    o.remove("notes");
    v
}

/// Every number in `v` is finite (a non-finite one would serialize as null).
fn no_nulls_in_figures(v: &Value, at: &str) {
    match v {
        Value::Object(m) => m
            .iter()
            .for_each(|(k, v)| no_nulls_in_figures(v, &format!("{at}.{k}"))),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, v)| no_nulls_in_figures(v, &format!("{at}[{i}]"))),
        Value::Number(n) => assert!(n.as_f64().is_some_and(f64::is_finite), "{at}"),
        _ => {}
    }
}

#[test]
fn records_outside_their_bounds_are_left_out_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.sqlite");
    fixture(&path);
    let july = Period::parse("2026-07").unwrap();
    let before = {
        let l = SqliteLedger::open(&path).unwrap();
        let a = accounts(&l, &july, &Scope::Company).unwrap();
        assert!(a.excluded.is_empty());
        let json = render(&a, &[], Format::Json);
        assert!(
            !json.contains("\"excluded\""),
            "absent on a ledger within bounds"
        );
        serde_json::from_str::<Value>(&json).unwrap()
    };
    let planted =
        kit::old_ledger::plant(&path, NaiveDate::from_ymd_opt(2026, 7, 9).unwrap(), "chat");
    let l = SqliteLedger::open(&path).unwrap();
    // The company's cost lines are not the product's.
    for (scope, n) in [
        (Scope::Company, planted.total()),
        (
            Scope::Product("chat".into()),
            planted.total() - planted.cost_lines,
        ),
    ] {
        let a = accounts(&l, &july, &scope).unwrap();
        assert_eq!(a.excluded.len(), n, "{scope:?}: {:#?}", a.excluded);
        let json: Value = serde_json::from_str(&render(&a, &[], Format::Json)).unwrap();
        no_nulls_in_figures(&json, "accounts");
        if scope == Scope::Company {
            // The figures are those of the valid records alone, to the last bit.
            assert_eq!(figures(json.clone()), figures(before.clone()));
            assert_eq!(json["headline"]["runs"], 2);
            assert_eq!(json["economic"]["requests"], 12_000);
        }
        assert_eq!(json["excluded"].as_array().unwrap().len(), n);
        let md = render(&a, &[], Format::Markdown);
        assert!(
            md.contains(&format!(
                "**Warning:** {n} record(s) of this period are left out"
            )),
            "{md}"
        );
        for id in &planted.runs {
            assert!(
                md.contains(&format!("run {} (2026-07-09)", id.replace('_', "\\_"))),
                "{id}: {md}"
            );
        }
        assert!(md.contains("usage \\#"), "{md}");
        assert!(
            md.contains("requests = 9223372036854775807 is out of bounds"),
            "{md}"
        );
        assert!(md.contains("## Summary"), "the period still reports: {md}");
        let csv = render(&a, &[], Format::Csv);
        assert!(!csv.contains("inf") && !csv.contains("NaN"), "{csv}");
    }
    assert!(
        accounts(&l, &july, &Scope::Company)
            .unwrap()
            .excluded
            .iter()
            .any(|r| r.kind == RecordKind::CostLine)
    );
    // A period without the planted day names none of them.
    let june = accounts(&l, &Period::parse("2026-06").unwrap(), &Scope::Company).unwrap();
    assert!(june.excluded.is_empty());
}

#[test]
fn a_period_ending_on_9999_12_31_reports_its_runs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.sqlite");
    fixture(&path);
    let l = SqliteLedger::open(&path).unwrap();
    let all = Period::parse("2026-01-01..9999-12-31").unwrap();
    let a = accounts(&l, &all, &Scope::Company).unwrap();
    assert!(a.has_data);
    assert_eq!(a.headline.runs, 2);
    assert_eq!(a.headline.requests, 12_000);
    assert_eq!(a.economic.cost_lines.len(), 1);
    let july = accounts(&l, &Period::parse("2026-07").unwrap(), &Scope::Company).unwrap();
    assert_eq!(a.headline.co2e_location_g, july.headline.co2e_location_g);
    assert!(!render(&a, &[], Format::Markdown).contains("## No data"));
    let year = accounts(&l, &Period::parse("9999").unwrap(), &Scope::Company).unwrap();
    assert!(!year.has_data);
}
