//! Accounts on a fixture ledger: every figure equals what a direct SQL query of the ledger
//! gives, to the gram and the cent; scopes filter; bad input is refused; the audit log chains.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{NaiveDate, TimeZone, Utc};
use sustain_core::business::{CostLine, Product, Usage};
use sustain_core::impacts::Impacts;
use sustain_core::run::{
    ComponentEnergy, EnergyBreakdown, EnergySource, HostInfo, MeterIdentity, RunEnd, RunKind,
    RunStart, RunStatus,
};
use sustain_core::site::{Site, SiteCatalog};
use sustain_core::units::{CarbonIntensity, Energy};
use sustain_ledger::{Business, Ledger, SqliteLedger};
use sustain_report::render::{Format, render};
use sustain_report::{Period, Scope, accounts};

fn site(id: &str) -> Site {
    SiteCatalog::bundled().unwrap().get(id).unwrap().clone()
}

/// A run at `site`, started on a day of 2026 (month, day), with `cpu_j`, twice that on the GPU
/// (both measured) and a tenth in memory (modelled).
fn record(
    l: &SqliteLedger,
    id: &str,
    site: &Site,
    m: u32,
    d: u32,
    cpu_j: f64,
    tags: &[(&str, &str)],
) {
    let start = RunStart {
        id: id.into(),
        name: id.into(),
        kind: if tags.iter().any(|t| t.0 == "model") {
            RunKind::Train
        } else {
            RunKind::Infer
        },
        command: vec!["x".into()],
        started_at: Utc.with_ymd_and_hms(2026, m, d, 10, 0, 0).unwrap(),
        site: site.record.clone(),
        host: HostInfo {
            hostname: "h".into(),
            cpu_model: "cpu".into(),
            logical_cpus: 2,
            packages: 1,
            ram_total_bytes: 1 << 30,
            gpus: vec![],
        },
        meter: MeterIdentity {
            hostname: "h".into(),
            boot_id: "b".into(),
            pid: 1,
            start_ticks: 1,
        },
        interval: Duration::from_secs(1),
        methods: BTreeMap::new(),
        tags: tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        hourly_rate: None,
    };
    l.start_run(&start).unwrap();
    let component = |j: f64, source| ComponentEnergy {
        energy: Energy::from_joules(j),
        source,
        apportioned: false,
        method: String::new(),
    };
    let energy = EnergyBreakdown {
        cpu: component(cpu_j, EnergySource::Measured),
        gpu: component(cpu_j * 2.0, EnergySource::Measured),
        ram: component(cpu_j / 10.0, EnergySource::Modelled),
    };
    let duration = Duration::from_secs(600);
    l.finish_run(&RunEnd {
        run_id: id.into(),
        ended_at: start.started_at + chrono::Duration::seconds(600),
        status: RunStatus::Succeeded,
        exit_code: Some(0),
        signal: None,
        duration,
        cpu_time: duration,
        peak_rss_bytes: 1,
        impacts: Impacts::compute(energy.total(), duration, site, None).unwrap(),
        energy,
        notes: vec![],
        outcomes: serde_json::json!({}),
    })
    .unwrap();
}

fn product(name: &str) -> Product {
    Product {
        name: name.into(),
        unit: "request".into(),
        price_per_1k_requests: Some(2.5),
        price_per_1m_tokens: None,
        currency: Some("USD".into()),
        description: String::new(),
        recorded_at: Utc::now(),
    }
}

fn usage(p: &str, m: u32, d: u32, requests: u64, revenue: f64) -> Usage {
    Usage {
        product: p.into(),
        day: NaiveDate::from_ymd_opt(2026, m, d).unwrap(),
        requests,
        tokens: requests * 300,
        revenue,
        currency: "USD".into(),
        source: "test".into(),
    }
}

fn fixture() -> (tempfile::TempDir, SqliteLedger) {
    let dir = tempfile::tempdir().unwrap();
    let l = SqliteLedger::open(&dir.path().join("ledger.sqlite")).unwrap();
    let ca = site("US-CA");
    let mut fr = site("FR");
    // A contractual (market-based) factor for FR only.
    fr.market_intensity = Some(CarbonIntensity::from_g_per_kwh(12.0).unwrap());
    // Q3: chat in California and France, search in France, a training run; one run in Q2 and
    // one in Q4 that must stay out.
    record(&l, "a", &ca, 7, 3, 3.6e6, &[("product", "chat")]);
    record(&l, "b", &fr, 8, 15, 1.8e6, &[("product", "chat")]);
    record(
        &l,
        "c",
        &fr,
        9,
        30,
        7.2e5,
        &[("product", "search"), ("team", "ir")],
    );
    record(
        &l,
        "d",
        &ca,
        9,
        1,
        9.0e6,
        &[("model", "llm-7b"), ("team", "ml")],
    );
    record(&l, "q2", &ca, 6, 30, 5.0e6, &[("product", "chat")]);
    record(&l, "q4", &fr, 10, 1, 5.0e6, &[("product", "chat")]);
    l.add_product(&product("chat"), "test").unwrap();
    l.add_product(&product("search"), "test").unwrap();
    l.add_usage(
        &[
            usage("chat", 7, 10, 120_000, 300.0),
            usage("chat", 9, 30, 80_000, 200.0),
            usage("search", 8, 1, 50_000, 125.0),
            usage("chat", 6, 1, 10_000, 25.0),
        ],
        "test",
        "usage.import",
    )
    .unwrap();
    for (scope, amount) in [("company", 400.0), ("product:chat", 150.25)] {
        l.add_cost_line(
            &CostLine {
                day: NaiveDate::from_ymd_opt(2026, 8, 1).unwrap(),
                scope: scope.into(),
                category: "storage".into(),
                amount,
                currency: "USD".into(),
                description: String::new(),
            },
            "test",
        )
        .unwrap();
    }
    (dir, l)
}

/// `SELECT sum(column)` over the latest ends of runs started in Q3 2026 with an optional tag.
fn sql_sum(dir: &tempfile::TempDir, column: &str, tag: Option<(&str, &str)>) -> f64 {
    let c = rusqlite::Connection::open(dir.path().join("ledger.sqlite")).unwrap();
    let (k, v) = tag.unwrap_or(("", ""));
    c.query_row(
        &format!(
            "SELECT coalesce(sum(e.{column}), 0) FROM runs r JOIN run_ends e ON e.run_id = r.id
             WHERE r.started_at >= '2026-07-01' AND r.started_at < '2026-10-01'
               AND (?1 = '' OR json_extract(r.tags, '$.' || ?1) = ?2)"
        ),
        [k, v],
        |r| r.get(0),
    )
    .unwrap()
}

#[test]
fn company_accounts_equal_the_ledger_to_the_gram_and_the_cent() {
    let (dir, l) = fixture();
    let q3 = Period::parse("2026-Q3").unwrap();
    let a = accounts(&l, &q3, &Scope::Company).unwrap();
    let e = &a.environmental;
    assert_eq!(e.runs, 4);
    let g = sql_sum(&dir, "co2e_location_g", None);
    assert!(
        (e.co2e_location_g - g).abs() < 1e-9,
        "{} vs {g}",
        e.co2e_location_g
    );
    assert!(g > 1.0);
    let it_wh = (sql_sum(&dir, "cpu_j", None)
        + sql_sum(&dir, "gpu_j", None)
        + sql_sum(&dir, "ram_j", None))
        / 3600.0;
    assert!((e.energy_wh.it - it_wh).abs() < 1e-9);
    assert!((e.energy_wh.facility - sql_sum(&dir, "facility_j", None) / 3600.0).abs() < 1e-9);
    // CPU and GPU are measured, memory modelled: 3 of 3.1 parts.
    assert!((e.measured_share - 3.0 / 3.1).abs() < 1e-12);
    // Market-based: only the two French runs, reported apart.
    assert_eq!(e.market_runs, 2);
    let market = sql_sum(&dir, "co2e_market_g", None);
    assert!((e.co2e_market_g.unwrap() - market).abs() < 1e-9);
    assert!(
        a.notes.iter().any(|n| n.contains("2 of 4 runs")),
        "{:?}",
        a.notes
    );
    let water = sql_sum(&dir, "water_onsite_l", None) + sql_sum(&dir, "water_offsite_l", None);
    assert!((e.water_l - water).abs() < 1e-9);

    // Economic: run cost + cost lines; revenue from usage.
    let m = &a.economic;
    let run_cost = sql_sum(&dir, "cost_amount", None);
    let total = run_cost + 400.0 + 150.25;
    assert!(
        (m.total_cost["USD"] - total).abs() < 0.005,
        "{:?}",
        m.total_cost
    );
    assert!((m.revenue["USD"] - 625.0).abs() < 0.005);
    assert!((m.profit["USD"] - (625.0 - total)).abs() < 0.005);
    assert_eq!(m.requests, 250_000);
    assert!((m.cost_per_1k_requests["USD"].unwrap() - total / 250.0).abs() < 1e-9);

    // Breakdowns add up to the total.
    let by_site: f64 = e.by_site.iter().map(|b| b.co2e_location_g).sum();
    assert!((by_site - g).abs() < 1e-9);
    assert_eq!(e.by_model.len(), 1);
    assert_eq!(e.by_model[0].group, "llm-7b");
    assert_eq!(
        e.by_month
            .iter()
            .map(|b| b.group.as_str())
            .collect::<Vec<_>>(),
        ["2026-07", "2026-08", "2026-09"]
    );
    // SCI per 1k requests of chat: its runs' carbon over its requests.
    let chat = e.per_product.iter().find(|p| p.product == "chat").unwrap();
    let chat_g = sql_sum(&dir, "co2e_location_g", Some(("product", "chat")));
    assert!((chat.co2e_g_per_1k_requests.unwrap() - chat_g * 1e3 / 200_000.0).abs() < 1e-9);

    // The previous quarter holds the Q2 run and its usage.
    assert_eq!(a.previous.period, "2026-Q2");
    assert_eq!(a.previous.runs, 1);
    assert_eq!(a.previous.requests, 10_000);

    // Markdown shows the same figures, rounded for reading; JSON and CSV carry them exactly.
    let md = render(&a, &[], Format::Markdown);
    assert!(md.contains(&format!("**{g:.1} g**")), "{md}");
    assert!(md.contains(&format!("{:.2} USD", m.total_cost["USD"])));
    let json: serde_json::Value = serde_json::from_str(&render(&a, &[], Format::Json)).unwrap();
    // (serde_json's default parser may differ from the printed value in the last bit.)
    assert!(
        (json["environmental"]["co2e_location_g"].as_f64().unwrap() - e.co2e_location_g).abs()
            < 1e-9
    );
    let csv = render(&a, &[], Format::Csv);
    assert!(csv.starts_with("section,metric,group,value,unit\n"));
    assert!(csv.contains(&format!(
        "environmental,co2e_location,all,{},g\n",
        e.co2e_location_g
    )));
}

#[test]
fn scopes_filter_runs_usage_and_costs() {
    let (dir, l) = fixture();
    let q3 = Period::parse("2026-Q3").unwrap();
    let chat = accounts(&l, &q3, &Scope::parse("product:chat").unwrap()).unwrap();
    assert_eq!(chat.environmental.runs, 2);
    let g = sql_sum(&dir, "co2e_location_g", Some(("product", "chat")));
    assert!((chat.environmental.co2e_location_g - g).abs() < 1e-9);
    assert!((chat.economic.revenue["USD"] - 500.0).abs() < 0.005);
    let cost = sql_sum(&dir, "cost_amount", Some(("product", "chat"))) + 150.25;
    assert!((chat.economic.total_cost["USD"] - cost).abs() < 0.005);

    let team = accounts(&l, &q3, &Scope::parse("team:ml").unwrap()).unwrap();
    assert_eq!(team.environmental.runs, 1);
    assert!(team.economic.revenue.is_empty());
    assert!(
        team.notes
            .iter()
            .any(|n| n.contains("revenue is booked on products"))
    );

    let site = accounts(&l, &q3, &Scope::parse("site:FR").unwrap()).unwrap();
    assert_eq!(site.environmental.runs, 2);

    // Unknown product: an error naming the known ones.
    let e = accounts(&l, &q3, &Scope::parse("product:video").unwrap())
        .unwrap_err()
        .to_string();
    assert!(e.contains("chat, search"), "{e}");
    // A period with no data: an explicit section, no zeros passed off as figures.
    let empty = accounts(&l, &Period::parse("2025-Q1").unwrap(), &Scope::Company).unwrap();
    assert!(!empty.has_data);
    assert!(render(&empty, &[], Format::Markdown).contains("## No data"));
}

#[test]
fn business_records_are_validated_and_audited_in_a_hash_chain() {
    let (dir, l) = fixture();
    // 2 products, 1 usage import, 2 cost lines.
    assert_eq!(l.verify_audit().unwrap(), 5);
    let log = l.audit().unwrap();
    assert_eq!(log[2].action, "usage.import");
    assert_eq!(log[2].detail["rows"], 4);
    assert_eq!(log[1].hash, log[2].prev_hash);
    // Usage of an unknown product is refused and nothing is written.
    let err = l
        .add_usage(&[usage("video", 7, 1, 1, 1.0)], "test", "usage.add")
        .unwrap_err();
    assert!(
        err.to_string().contains("sustain product add video"),
        "{err}"
    );
    assert_eq!(l.verify_audit().unwrap(), 5);
    // A product added again supersedes the earlier entry.
    let mut p = product("chat");
    p.price_per_1k_requests = Some(3.0);
    l.add_product(&p, "test").unwrap();
    let products = l.products().unwrap();
    assert_eq!(products.len(), 2);
    assert_eq!(products[0].price_per_1k_requests, Some(3.0));
    // Tampering (possible only by removing the append-only trigger) breaks the chain.
    drop(l);
    let c = rusqlite::Connection::open(dir.path().join("ledger.sqlite")).unwrap();
    assert!(
        c.execute("UPDATE audit SET actor = 'mallory' WHERE seq = 2", [])
            .is_err()
    );
    c.execute_batch(
        "DROP TRIGGER audit_append_only_u; UPDATE audit SET actor = 'mallory' WHERE seq = 2;",
    )
    .unwrap();
    drop(c);
    let l = SqliteLedger::open(&dir.path().join("ledger.sqlite")).unwrap();
    let e = l.verify_audit().unwrap_err().to_string();
    assert!(e.contains("entry 2"), "{e}");
}

#[test]
fn targets_track_a_straight_line_from_baseline_to_goal() {
    use sustain_core::business::{Goal, Target};
    use sustain_report::targets::{Verdict, check, progress};
    let (dir, l) = fixture();
    let t = Target {
        name: "chat-carbon".into(),
        metric: "co2e_per_1k_requests".into(),
        scope: "product:chat".into(),
        baseline: "2026-Q2".into(),
        goal: Goal::parse("-30%").unwrap(),
        by: NaiveDate::from_ymd_opt(2027, 12, 31).unwrap(),
        recorded_at: Utc::now(),
    };
    check(&t).unwrap();
    l.add_target(&t, "test").unwrap();
    let stored = l.targets().unwrap();
    assert_eq!(stored.len(), 1);
    // Stored timestamps keep microseconds.
    assert_eq!(
        Target {
            recorded_at: t.recorded_at,
            ..stored[0].clone()
        },
        t
    );
    let q3 = Period::parse("2026-Q3").unwrap();
    let p = progress(&l, &t, &q3).unwrap();
    // Baseline: the Q2 chat run over Q2's 10,000 chat requests; now: Q3's over 200,000.
    let c = rusqlite::Connection::open(dir.path().join("ledger.sqlite")).unwrap();
    let g_of = |id: &str| -> f64 {
        c.query_row(
            "SELECT co2e_location_g FROM run_ends WHERE run_id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap()
    };
    let base = g_of("q2") * 1e3 / 10_000.0;
    let now = (g_of("a") + g_of("b")) * 1e3 / 200_000.0;
    assert!((p.baseline_value.unwrap() - base).abs() < 1e-9);
    assert!((p.value.unwrap() - now).abs() < 1e-9);
    let goal = base * 0.7;
    assert!((p.goal_value.unwrap() - goal).abs() < 1e-9);
    // The line from 2026-07-01 (end of Q2) to 2027-12-31, at 2026-10-01 (end of Q3).
    let frac = 92.0 / 548.0;
    let line = base + (goal - base) * frac;
    assert!((p.expected.unwrap() - line).abs() < 1e-9);
    let want = if now <= goal {
        Verdict::Achieved
    } else if now <= line {
        Verdict::OnTrack
    } else {
        Verdict::OffTrack
    };
    assert_eq!(p.verdict, want, "{}", p.explanation);
    assert!(
        p.explanation.contains("2026-Q2") && p.explanation.contains("2027-12-31"),
        "{}",
        p.explanation
    );
    let md = sustain_report::render::targets_markdown(&[p]);
    assert!(md.contains("chat-carbon") && md.contains("-30%"), "{md}");

    // Bad targets: an unknown metric, a deadline before the baseline ends, a baseline with no
    // data (reported as such, not as a zero).
    let bad = |f: &dyn Fn(&mut Target)| {
        let mut b = t.clone();
        f(&mut b);
        check(&b).unwrap_err().to_string()
    };
    assert!(bad(&|b| b.metric = "happiness".into()).contains("co2e_per_1k_requests"));
    assert!(
        bad(&|b| b.by = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap())
            .contains("after the baseline period 2026-Q2")
    );
    assert!(bad(&|b| b.scope = "region:eu".into()).contains("product:NAME"));
    let mut early = t.clone();
    early.baseline = "2025-Q1".into();
    let p = progress(&l, &early, &q3).unwrap();
    assert_eq!(p.verdict, Verdict::NoData);
    assert!(p.explanation.contains("baseline period 2025-Q1"));
}

#[test]
fn a_later_end_supersedes_in_the_accounts() {
    let (dir, l) = fixture();
    let q3 = Period::parse("2026-Q3").unwrap();
    let before = accounts(&l, &q3, &Scope::Company).unwrap();
    // Run "c" ends again (a correction) with ten times the energy: the accounts take the latest.
    record_end(&l, "c", &site("FR"), 7.2e6);
    let after = accounts(&l, &q3, &Scope::Company).unwrap();
    assert_eq!(after.environmental.runs, before.environmental.runs);
    let c = rusqlite::Connection::open(dir.path().join("ledger.sqlite")).unwrap();
    let latest: f64 = c
        .query_row(
            "SELECT sum(e.co2e_location_g) FROM run_ends e
             WHERE e.seq = (SELECT max(seq) FROM run_ends x WHERE x.run_id = e.run_id)
               AND e.run_id IN ('a', 'b', 'c', 'd')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!((after.environmental.co2e_location_g - latest).abs() < 1e-9);
    assert!(after.environmental.co2e_location_g > before.environmental.co2e_location_g);
}

/// Another end for run `id`, with `cpu_j`.
fn record_end(l: &SqliteLedger, id: &str, site: &Site, cpu_j: f64) {
    let e = EnergyBreakdown {
        cpu: ComponentEnergy {
            energy: Energy::from_joules(cpu_j),
            source: EnergySource::Modelled,
            apportioned: false,
            method: String::new(),
        },
        gpu: ComponentEnergy::default(),
        ram: ComponentEnergy::default(),
    };
    let duration = Duration::from_secs(60);
    l.finish_run(&RunEnd {
        run_id: id.into(),
        ended_at: Utc::now(),
        status: RunStatus::Succeeded,
        exit_code: Some(0),
        signal: None,
        duration,
        cpu_time: duration,
        peak_rss_bytes: 1,
        impacts: Impacts::compute(e.total(), duration, site, None).unwrap(),
        energy: e,
        notes: vec!["corrected".into()],
        outcomes: serde_json::json!({}),
    })
    .unwrap();
}
