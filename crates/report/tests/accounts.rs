//! Accounts on a fixture ledger: every figure equals what a direct SQL query of the ledger
//! gives, to the gram and the cent; scopes filter; bad input is refused; the audit log chains.

use std::time::Duration;

use chrono::{NaiveDate, Utc};
use sustain_core::business::{CostLine, Product, Usage};
use sustain_core::impacts::Impacts;
use sustain_core::run::{
    ComponentEnergy, EnergyBreakdown, EnergySource, RunEnd, RunKind, RunStart, RunStatus,
};
use sustain_core::site::{Site, SiteCatalog};
use sustain_core::units::{CarbonIntensity, Energy};
use sustain_ledger::{Business, Ledger, SqliteLedger};
use sustain_report::render::{Format, render};
use sustain_report::{Period, Scope, accounts};
use sustain_testkit as kit;

fn site(id: &str) -> Site {
    kit::site(id)
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
    let kind = if tags.iter().any(|t| t.0 == "model") {
        RunKind::Train
    } else {
        RunKind::Infer
    };
    record_with(
        l,
        id,
        site,
        (m, d),
        cpu_j,
        tags,
        kind,
        serde_json::json!({}),
    );
}

/// As [`record`], with the kind and the outcomes given.
#[allow(clippy::too_many_arguments)]
fn record_with(
    l: &SqliteLedger,
    id: &str,
    site: &Site,
    (m, d): (u32, u32),
    cpu_j: f64,
    tags: &[(&str, &str)],
    kind: RunKind,
    outcomes: serde_json::Value,
) {
    let start = RunStart {
        kind,
        tags: kit::tags(tags),
        ..kit::run_start(id, kit::at(2026, m, d, 10, 0), site)
    };
    l.start_run(&start).unwrap();
    let energy = EnergyBreakdown {
        cpu: kit::component(cpu_j, EnergySource::Measured, false, ""),
        gpu: kit::component(cpu_j * 2.0, EnergySource::Measured, false, ""),
        ram: kit::component(cpu_j / 10.0, EnergySource::Modelled, false, ""),
    };
    l.finish_run(&RunEnd {
        outcomes,
        ..kit::run_end(&start, site, energy, 600)
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
    // Renewable share: facility-weighted over the sites whose grid mix the catalog knows.
    let (mut known, mut renewable) = (0.0, 0.0);
    for b in &e.by_site {
        if let Some(r) = site(&b.group).record.renewable_share {
            known += b.facility_wh;
            renewable += b.facility_wh * r;
        }
    }
    assert!(known > 0.0);
    assert!((e.renewable_share.unwrap() - renewable / known).abs() < 1e-12);
    assert!((e.renewable_coverage - known / e.energy_wh.facility).abs() < 1e-12);
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
        // A correction that says nothing of embodied carbon: unknown.
        embodied: None,
        energy: e,
        notes: vec!["corrected".into()],
        outcomes: serde_json::json!({}),
    })
    .unwrap();
}

// ---- Scenarios -------------------------------------------------------------------------

use sustain_core::hardware::AcceleratorCatalog;
use sustain_report::scenario::{self, Context, ScenarioFile};

fn run_scenario(
    l: &SqliteLedger,
    toml: &str,
    base: Option<&std::path::Path>,
) -> scenario::ScenarioResult {
    let sites = SiteCatalog::bundled().unwrap();
    let acc = AcceleratorCatalog::bundled().unwrap();
    let ctx = Context {
        sites: &sites,
        accelerators: &acc,
        file: base,
    };
    let f = ScenarioFile::parse(toml).unwrap();
    scenario::run(
        l,
        &f,
        &Period::parse("2026-Q3").unwrap(),
        &Scope::Company,
        &ctx,
    )
    .unwrap()
}

/// Location-based carbon of one run, from SQL.
fn run_g(dir: &tempfile::TempDir, id: &str, column: &str) -> f64 {
    let c = rusqlite::Connection::open(dir.path().join("ledger.sqlite")).unwrap();
    c.query_row(
        &format!("SELECT {column} FROM run_ends WHERE run_id = ?1"),
        [id],
        |r| r.get(0),
    )
    .unwrap()
}

#[test]
fn a_scenario_without_effect_equals_the_accounts() {
    let (_dir, l) = fixture();
    let a = accounts(&l, &Period::parse("2026-Q3").unwrap(), &Scope::Company).unwrap();
    let r = run_scenario(
        &l,
        "name = \"same\"\n[[lever]]\ntype = \"price\"\nproduct = \"chat\"\nchange = \"+0%\"\n",
        None,
    );
    for f in [&r.actual, &r.scenario] {
        assert_eq!(f.runs, a.environmental.runs);
        assert!((f.co2e_location_g - a.environmental.co2e_location_g).abs() < 1e-9);
        assert!((f.facility_wh - a.environmental.energy_wh.facility).abs() < 1e-9);
        assert!((f.it_wh - a.environmental.energy_wh.it).abs() < 1e-9);
        assert!((f.water_l - a.environmental.water_l).abs() < 1e-9);
        assert!((f.embodied_co2e_g - a.environmental.embodied_co2e_g.unwrap()).abs() < 1e-9);
        assert!((f.co2e_market_g.unwrap() - a.environmental.co2e_market_g.unwrap()).abs() < 1e-9);
        for (c, v) in &a.economic.total_cost {
            assert!((f.cost[c] - v).abs() < 0.005, "{c}: {} vs {v}", f.cost[c]);
        }
        assert_eq!(f.revenue, a.economic.revenue);
        assert_eq!(f.requests, a.economic.requests as f64);
    }
}

#[test]
fn levers_move_the_figures_as_computed_by_hand() {
    let (dir, l) = fixture();
    let fr = site("FR");
    let actual = run_scenario(
        &l,
        "name = \"x\"\n[[lever]]\ntype = \"price\"\nproduct = \"chat\"\nchange = \"+0%\"\n",
        None,
    )
    .actual;

    // Move the Californian runs (a and d) to France: their IT energy at France's PUE and grid.
    let r = run_scenario(
        &l,
        "name = \"to-fr\"\n[[lever]]\ntype = \"move-site\"\nfrom = \"US-CA\"\nto = \"FR\"\n",
        None,
    );
    let it_kwh = 3.1 * (3.6e6 + 9.0e6) / 3.6e6;
    let moved = it_kwh * fr.pue.value() * fr.intensity.g_per_kwh();
    let kept = run_g(&dir, "b", "co2e_location_g") + run_g(&dir, "c", "co2e_location_g");
    assert!(
        (r.scenario.co2e_location_g - (moved + kept)).abs() < 1e-6,
        "{} vs {}",
        r.scenario.co2e_location_g,
        moved + kept
    );
    assert_eq!(r.levers[0].cells, 2);
    assert!(
        (r.levers[0].co2e_location_g - (r.scenario.co2e_location_g - actual.co2e_location_g)).abs()
            < 1e-9
    );

    // Half the energy of chat moved: the Californian chat run splits in two.
    let r = run_scenario(
        &l,
        "name = \"half\"\n[[lever]]\ntype = \"move-site\"\nto = \"FR\"\nproduct = \"chat\"\nshare = 0.5\n",
        None,
    );
    let a_g = run_g(&dir, "a", "co2e_location_g");
    let a_moved = 0.5 * 3.1 * 3.6e6 / 3.6e6 * fr.pue.value() * fr.intensity.g_per_kwh();
    let want = actual.co2e_location_g - 0.5 * a_g + a_moved;
    assert!((r.scenario.co2e_location_g - want).abs() < 1e-6);
    assert_eq!(r.scenario.runs, actual.runs);

    // Contractual power for everything at 0 g/kWh: market-based 0, location-based unchanged.
    let r = run_scenario(
        &l,
        "name = \"ppa\"\n[[lever]]\ntype = \"contractual-power\"\nshare = 1.0\ng_per_kwh = 0\n",
        None,
    );
    assert_eq!(r.scenario.co2e_market_g, Some(0.0));
    assert!((r.scenario.co2e_location_g - actual.co2e_location_g).abs() < 1e-9);

    // Volume of chat +50%: chat's usage and revenue, and its runs' energy, scale by 1.5.
    let r = run_scenario(
        &l,
        "name = \"grow\"\n[[lever]]\ntype = \"volume\"\nproduct = \"chat\"\nchange = \"+50%\"\n",
        None,
    );
    let chat_g = a_g + run_g(&dir, "b", "co2e_location_g");
    assert!((r.scenario.co2e_location_g - (actual.co2e_location_g + 0.5 * chat_g)).abs() < 1e-6);
    assert!((r.scenario.revenue["USD"] - (actual.revenue["USD"] + 0.5 * 500.0)).abs() < 1e-9);
    assert_eq!(r.scenario.requests, actual.requests + 100_000.0);
    // More chat runs: more hardware time, so chat's embodied carbon grows with them.
    let chat_m = run_g(&dir, "a", "embodied_g") + run_g(&dir, "b", "embodied_g");
    assert!(chat_m > 0.0);
    assert!((r.scenario.embodied_co2e_g - (actual.embodied_co2e_g + 0.5 * chat_m)).abs() < 1e-9);

    // The hardware lever from the catalog: energy per bf16 operation, H100 against A100.
    let acc = AcceleratorCatalog::bundled().unwrap();
    let per_op = |id: &str| {
        let d = acc.get(id).unwrap();
        d.typical_training_power().unwrap().watts() / d.peak_tflops("bf16").unwrap()
    };
    let factor = per_op("h100-sxm") / per_op("a100-80gb");
    let r = run_scenario(
        &l,
        "name = \"hw\"\n[[lever]]\ntype = \"hardware\"\nfrom = \"a100-80gb\"\nto = \"h100-sxm\"\nmodel = \"llm-7b\"\n",
        None,
    );
    let d_g = run_g(&dir, "d", "co2e_location_g");
    assert!(
        (r.scenario.co2e_location_g - (actual.co2e_location_g - d_g * (1.0 - factor))).abs() < 1e-6
    );
    assert!(factor < 1.0);

    // An energy price for every run: the cost is the fixed part plus facility kWh x price, so
    // two prices differ by the facility energy times their difference.
    let priced = |p: &str| {
        run_scenario(
            &l,
            &format!("name = \"p\"\n[[lever]]\ntype = \"energy-price\"\nprice_per_kwh = {p}\ncurrency = \"EUR\"\n"),
            None,
        )
        .scenario
        .cost["EUR"]
    };
    let (c1, c2) = (priced("0.10"), priced("0.30"));
    assert!(
        (c2 - c1 - actual.facility_wh / 1e3 * 0.20).abs() < 1e-9,
        "{c1} {c2}"
    );
}

/// A ledger for `shift-hours`: in France on 3 July 2026, cell X (chat, infer, 10:00) holds two
/// runs of 60 and 120 minutes (mean 90), cell Y (chat, infer, 16:00) one of 30 minutes, and a
/// search run at 10:00 that no lever selects.
fn shift_fixture() -> (tempfile::TempDir, SqliteLedger) {
    let dir = tempfile::tempdir().unwrap();
    let l = SqliteLedger::open(&dir.path().join("ledger.sqlite")).unwrap();
    let fr = site("FR");
    for (id, (h, m), minutes, product) in [
        ("x1", (10, 0), 60, "chat"),
        ("x2", (10, 20), 120, "chat"),
        ("y", (16, 0), 30, "chat"),
        ("s", (10, 0), 60, "search"),
    ] {
        let start = RunStart {
            kind: RunKind::Infer,
            tags: kit::tags(&[("product", product)]),
            ..kit::run_start(id, kit::at(2026, 7, 3, h, m), &fr)
        };
        let energy = kit::energy(3.6e6, 0.0, 0.0);
        l.record_run(
            &start,
            &[],
            &kit::run_end(&start, &fr, energy, minutes * 60),
        )
        .unwrap();
    }
    (dir, l)
}

/// A series in the old `Time,Carbon Intensity` form, every 30 minutes over 3 and 4 July 2020:
/// 200 g/kWh except 100 from 11:00 to 12:00, 300 from 12:00, 120 from 12:30 to 13:00, and 50
/// from 20:00 to 20:30 on 3 July.
fn shift_series(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let mut csv = String::from("Time,Carbon Intensity\n");
    for k in 0..96 {
        let (day, h, m) = (3 + k / 48, (k % 48) / 2, (k % 2) * 30);
        let v = match (day, h, m) {
            (3, 11, _) => 100.0,
            (3, 12, 0) => 300.0,
            (3, 12, 30) => 120.0,
            (3, 20, 0) => 50.0,
            _ => 200.0,
        };
        csv += &format!("2020-07-{day:02} {h:02}:{m:02}:00,{v}\n");
    }
    let path = dir.path().join("series.csv");
    std::fs::write(&path, csv).unwrap();
    path
}

#[test]
fn shifting_hours_places_each_cells_runs_with_the_scheduler() {
    let (dir, l) = shift_fixture();
    shift_series(&dir);
    let base = dir.path().join("plan.toml");
    let g = |id: &str| run_g(&dir, id, "co2e_location_g");
    let (x, y) = (g("x1") + g("x2"), g("y"));
    let shifted = |extra: &str| {
        run_scenario(
            &l,
            &format!(
                "name = \"wait\"\n[[lever]]\ntype = \"shift-hours\"\nseries = \"series.csv\"\nproduct = \"chat\"\n{extra}"
            ),
            Some(&base),
        )
    };
    // Figures by hand, 30-minute slots from the series above:
    // X, 90 minutes from 10:00, due by 13:30 + window. Under fifo 10:00–11:30: 200, 200, 100
    // (500 × 30). Starts by 13:00: 10:30 gives 200, 100, 100 (400 × 30), the lowest (11:00:
    // 100, 100, 300 = 500; 11:30: 100, 300, 120 = 520; later ones 520 and more). Ratio 0.8.
    // Y, 30 minutes from 16:00: 200 everywhere before 20:00, so 1 within 3 hours (due 19:30);
    // within 4 hours (due 20:30) it starts at 20:00, at 50: ratio 0.25.
    let r = shifted("window_hours = 3\n");
    let want = r.actual.co2e_location_g - 0.2 * x;
    assert!(
        (r.scenario.co2e_location_g - want).abs() < 1e-6,
        "{} vs {want}",
        r.scenario.co2e_location_g
    );
    assert_eq!(r.levers[0].cells, 2);
    assert!(
        r.levers[0].basis.contains("1 of 2 cells wait"),
        "{}",
        r.levers[0].basis
    );
    let r = shifted("window_hours = 4\n");
    let want = r.actual.co2e_location_g - 0.2 * x - 0.75 * y;
    assert!((r.scenario.co2e_location_g - want).abs() < 1e-6);
    // Interruptible, X takes the three cheapest slots by 16:30: 100, 100, 120 (320 × 30):
    // ratio 0.64; Y's cheapest slot by 19:30 is still 200.
    let r = shifted("window_hours = 3\ninterruptible = true\n");
    let want = r.actual.co2e_location_g - 0.36 * x;
    assert!((r.scenario.co2e_location_g - want).abs() < 1e-6);
    // Half of the energy shifted: half the saving; the other figures do not move.
    let r = shifted("window_hours = 3\nshare = 0.5\n");
    let want = r.actual.co2e_location_g - 0.5 * 0.2 * x;
    assert!((r.scenario.co2e_location_g - want).abs() < 1e-6);
    assert_eq!(r.scenario.runs, r.actual.runs);
    assert!((r.scenario.facility_wh - r.actual.facility_wh).abs() < 1e-9);
}

#[test]
fn shifting_hours_leaves_cells_the_series_does_not_cover_and_names_a_gap() {
    let (dir, l) = shift_fixture();
    let path = shift_series(&dir);
    // A series of 4 July only: 3 July is not in it.
    let text = std::fs::read_to_string(&path).unwrap();
    let fourth: String = text
        .lines()
        .filter(|l| !l.starts_with("2020-07-03"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&path, &fourth).unwrap();
    let base = dir.path().join("plan.toml");
    let toml = "name = \"wait\"\n[[lever]]\ntype = \"shift-hours\"\nseries = \"series.csv\"\n";
    let r = run_scenario(&l, toml, Some(&base));
    assert!((r.scenario.co2e_location_g - r.actual.co2e_location_g).abs() < 1e-9);
    assert!(
        r.notes.iter().any(|n| n.contains("3 cells have no hour")),
        "{:?}",
        r.notes
    );
    // A gap is named, not filled.
    let gappy: String = text
        .lines()
        .filter(|l| !l.starts_with("2020-07-03 12:"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&path, gappy).unwrap();
    let f = ScenarioFile::parse(toml).unwrap();
    let sites = SiteCatalog::bundled().unwrap();
    let acc = AcceleratorCatalog::bundled().unwrap();
    let ctx = Context {
        sites: &sites,
        accelerators: &acc,
        file: Some(&base),
    };
    let e = scenario::run(
        &l,
        &f,
        &Period::parse("2026-Q3").unwrap(),
        &Scope::Company,
        &ctx,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("gap") && e.contains("2020-07-03 12:00"), "{e}");
}

#[test]
fn the_shared_carbon_intensity_series_read_and_lower_a_run() {
    // The real series shipped beside the project (Wiesner et al. 2021): a German run of two
    // hours on 10 March at 18:00, free to wait a day, is scheduled into hours no dirtier than
    // its own, and here strictly cleaner.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/carbon-intensity/ger_2020.csv");
    let s = scenario::Series::read(&path).unwrap();
    let t = chrono::NaiveDate::from_ymd_opt(2026, 3, 10)
        .unwrap()
        .and_hms_opt(18, 0, 0)
        .unwrap();
    let submit = s.locate(t, 120.0).unwrap();
    assert_eq!(submit.to_string(), "2020-03-10 18:00:00");
    let placed = sustain_sched::shift::shift(
        &s.series,
        &[sustain_sched::shift::ShiftRequest {
            submit,
            duration_min: 120.0,
            window_min: 24.0 * 60.0,
            interruptible: false,
        }],
    )
    .unwrap()[0]
        .unwrap();
    let (now, best) = (placed.fifo_g_per_kwh, placed.scheduled_g_per_kwh);
    assert!(best < now && best > 0.0 && now < 1000.0, "{now} {best}");
}

#[test]
fn scenario_files_with_typos_get_errors_that_name_the_fix() {
    let err = |t: &str| ScenarioFile::parse(t).unwrap_err().to_string();
    let e = err("name = \"x\"\n[[lever]]\ntype = \"move-sites\"\nto = \"FR\"\n");
    assert!(e.contains("did you mean \"move-site\""), "{e}");
    let e = err("name = \"x\"\n[[lever]]\ntype = \"move-site\"\ntoo = \"FR\"\n");
    assert!(
        e.contains("unknown field `too`") && e.contains("line"),
        "{e}"
    );
    let e = err("name = \"x\"\n[[lever]]\ntype = \"move-site\"\n");
    assert!(e.contains("no to"), "{e}");
    let e = err("name = \"x\"\n[[lever]]\ntype = \"pue\"\npue = 1.2\nseries = \"a.csv\"\n");
    assert!(e.contains("field series") && e.contains("only pue"), "{e}");
    let e = err("name = \"x\"\n[[lever]]\ntype = \"move-site\"\nto = \"FR\"\nshare = 2\n");
    assert!(e.contains("share from 0 to 1"), "{e}");
    let e =
        err("name = \"x\"\n[[lever]]\ntype = \"price\"\nproduct = \"chat\"\nchange = \"ten\"\n");
    assert!(e.contains("+10%"), "{e}");
    let e = err("name = \"x\"\n");
    assert!(e.contains("[[lever]]"), "{e}");
    // An unknown site is an error at run time, naming the catalog.
    let (_dir, l) = fixture();
    let sites = SiteCatalog::bundled().unwrap();
    let acc = AcceleratorCatalog::bundled().unwrap();
    let ctx = Context {
        sites: &sites,
        accelerators: &acc,
        file: None,
    };
    let f =
        ScenarioFile::parse("name = \"x\"\n[[lever]]\ntype = \"move-site\"\nto = \"XX-NOPE\"\n")
            .unwrap();
    let e = scenario::run(
        &l,
        &f,
        &Period::parse("2026-Q3").unwrap(),
        &Scope::Company,
        &ctx,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("XX-NOPE"), "{e}");
    // Quantize without a factor or a measured optimization run says how to give one.
    let f =
        ScenarioFile::parse("name = \"x\"\n[[lever]]\ntype = \"quantize\"\nmodel = \"llm-7b\"\n")
            .unwrap();
    let e = scenario::run(
        &l,
        &f,
        &Period::parse("2026-Q3").unwrap(),
        &Scope::Company,
        &ctx,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("energy_factor"), "{e}");
}

// ---- Social account, index, sheets, strategy map ---------------------------------------

fn fairness_json(dpd: f64, eod: f64) -> serde_json::Value {
    serde_json::json!({
        "attribute": "sex", "positive_class": "good", "bootstrap_resamples": 1000, "min_group_size": 30,
        "groups": [{"group": "f", "flags": ["small group: 20 rows, fewer than 30"]}, {"group": "m", "flags": []}],
        "demographic_parity_difference": {"value": dpd, "low": dpd / 2.0, "high": dpd * 2.0},
        "demographic_parity_ratio": 0.9,
        "equalized_odds_difference": {"value": eod, "low": 0.0, "high": eod * 2.0},
        "equalized_odds_ratio": 0.8, "warnings": []
    })
}

#[test]
fn the_social_account_holds_fairness_indicators_and_the_index() {
    use sustain_core::business::{Direction, IndexWeight, Indicator};
    let (dir, l) = fixture();
    let ca = site("US-CA");
    record_with(
        &l,
        "t1",
        &ca,
        (8, 2),
        1e5,
        &[
            ("task", "tabular-mlp"),
            ("dataset", "german-credit"),
            ("model", "runs/credit"),
        ],
        RunKind::Train,
        serde_json::json!({"model_path": "runs/credit", "model_sha256": "ab".repeat(32), "epochs": 20,
                           "metrics": {"test": {"accuracy": 0.75, "f1": 0.7}}}),
    );
    for (id, d, dpd, eod) in [("e1", 3, 0.10, 0.20), ("e2", 4, 0.04, 0.30)] {
        record_with(
            &l,
            id,
            &ca,
            (8, d),
            1e4,
            &[("model", "runs/credit"), ("dataset", "german-credit")],
            RunKind::Eval,
            serde_json::json!({"fairness": fairness_json(dpd, eod), "metrics": {"test": {"accuracy": 0.75}}}),
        );
    }
    let ind = |name: &str, value: f64, scope: &str| Indicator {
        name: name.into(),
        day: NaiveDate::from_ymd_opt(2026, 8, 20).unwrap(),
        scope: scope.into(),
        value,
        unit: "h".into(),
        description: String::new(),
        recorded_at: Utc::now(),
    };
    l.add_indicator(&ind("training_hours", 100.0, "company"), "t")
        .unwrap();
    l.add_indicator(&ind("training_hours", 50.0, "team:ir"), "t")
        .unwrap();
    let w = |i: &str, weight: f64, direction, reference: f64| IndexWeight {
        indicator: i.into(),
        weight,
        direction,
        reference,
        recorded_at: Utc::now(),
    };
    l.set_index_weight(&w("training_hours", 1.0, Direction::Higher, 300.0), "t")
        .unwrap();
    l.set_index_weight(
        &w(
            "fairness.demographic_parity_difference",
            1.0,
            Direction::Lower,
            0.05,
        ),
        "t",
    )
    .unwrap();
    // Bad input is refused and nothing is recorded.
    assert!(
        l.add_indicator(&ind("fairness.x", 1.0, "company"), "t")
            .is_err()
    );
    assert!(
        l.add_indicator(&ind("ok", f64::NAN, "company"), "t")
            .is_err()
    );
    assert!(l.add_indicator(&ind("ok", 1.0, "galaxy:x"), "t").is_err());
    assert!(
        l.set_index_weight(&w("x", -1.0, Direction::Higher, 1.0), "t")
            .is_err()
    );
    assert!(
        l.set_index_weight(&w("x", 1.0, Direction::Higher, 0.0), "t")
            .is_err()
    );

    let q3 = Period::parse("2026-Q3").unwrap();
    let a = accounts(&l, &q3, &Scope::Company).unwrap();
    let s = &a.social;
    assert!(s.has_data);
    assert_eq!(s.fairness.len(), 2);
    assert_eq!(s.fairness[0].flagged_groups, 1);
    // Company scope sums every entry: 150 h.
    assert_eq!(s.indicators.len(), 1);
    assert_eq!(s.indicators[0].total, 150.0);
    // Index: training 150/300 = 50; worst DPD 0.10 against 0.05 = 50; mean 50.
    let idx = s.index.as_ref().unwrap();
    assert!((idx.score.unwrap() - 50.0).abs() < 1e-9);
    assert_eq!(idx.coverage, 1.0);
    assert_eq!(
        sustain_report::targets::value(&a, "social_index"),
        Some(50.0)
    );
    assert_eq!(
        sustain_report::targets::value(&a, "demographic_parity_difference"),
        Some(0.10)
    );
    assert_eq!(
        sustain_report::targets::value(&a, "equalized_odds_difference"),
        Some(0.30)
    );
    // A team scope sees its own entry only.
    let t = accounts(&l, &q3, &Scope::parse("team:ir").unwrap()).unwrap();
    assert_eq!(t.social.indicators[0].total, 50.0);
    // Markdown and CSV carry the same figures.
    let md = render(&a, &[], Format::Markdown);
    assert!(md.contains("### Social index: **50.0** / 100"), "{md}");
    assert!(md.contains("0.100 [0.050–0.200]"));
    let csv = render(&a, &[], Format::Csv);
    assert!(csv.contains("social,training_hours,all,150,h"));
    assert!(csv.contains("social,social_index,all,50,score 0-100"));

    // The model sheet of the training run, with its evaluations and the metadata blocks.
    let sites = SiteCatalog::bundled().unwrap();
    let acc = AcceleratorCatalog::bundled().unwrap();
    let ctx = Context {
        sites: &sites,
        accelerators: &acc,
        file: None,
    };
    let x = sustain_report::extras(&l, &a, &[], &ctx).unwrap();
    // Two named models trained in Q3, by name: the fixture's llm-7b (by its tag) and
    // runs/credit (by its directory).
    assert_eq!(x.model_sheets.len(), 2);
    let llm = &x.model_sheets[0];
    assert_eq!(llm.model, "llm-7b");
    // llm-7b's only tagged run is its training: no use, one training run.
    assert_eq!((llm.use_runs, llm.training_runs), (0, 1));
    let sheet = &x.model_sheets[1];
    assert_eq!(sheet.training_runs, 1);
    assert_eq!(sheet.model, "runs/credit");
    assert_eq!(sheet.fairness.len(), 2);
    assert_eq!(sheet.use_runs, 2);
    let g = run_g(&dir, "t1", "co2e_location_g");
    assert!((sheet.co2e_location_g - g).abs() < 1e-12);
    assert!(
        sheet
            .hugging_face_yaml()
            .contains(&format!("emissions: {g:.6}"))
    );
    assert!(
        sheet
            .annex_xi()
            .iter()
            .any(|(k, v)| k.contains("2(e) energy") && v.contains("kWh"))
    );
    assert!(x.strategy_map.is_empty());
}

#[test]
fn the_strategy_map_links_levers_metrics_and_targets() {
    use sustain_core::business::{Goal, Target};
    let (_dir, l) = fixture();
    let t = Target {
        name: "chat-carbon".into(),
        metric: "co2e_per_1k_requests".into(),
        scope: "product:chat".into(),
        baseline: "2026-Q3".into(),
        goal: Goal::parse("-30%").unwrap(),
        by: NaiveDate::from_ymd_opt(2027, 12, 31).unwrap(),
        recorded_at: Utc::now(),
    };
    l.add_target(&t, "t").unwrap();
    let body = "name = \"green\"\n[[lever]]\ntype = \"move-site\"\nto = \"FR\"\n[[lever]]\ntype = \"contractual-power\"\nshare = 0.5\n";
    l.save_scenario(
        &sustain_core::business::SavedScenario {
            name: "green".into(),
            body: body.into(),
            recorded_at: Utc::now(),
        },
        "t",
    )
    .unwrap();
    let q3 = Period::parse("2026-Q3").unwrap();
    let chat = Scope::parse("product:chat").unwrap();
    let a = accounts(&l, &q3, &chat).unwrap();
    let p = vec![sustain_report::targets::progress(&l, &t, &q3).unwrap()];
    let sites = SiteCatalog::bundled().unwrap();
    let acc = AcceleratorCatalog::bundled().unwrap();
    let ctx = Context {
        sites: &sites,
        accelerators: &acc,
        file: None,
    };
    let x = sustain_report::extras(&l, &a, &p, &ctx).unwrap();
    let m = &x.strategy_map;
    assert!(m.starts_with("flowchart LR"));
    assert!(m.contains("L_green_1 --> M_co2e_location_g"), "{m}");
    assert!(m.contains("L_green_2 --> M_co2e_market_g"));
    assert!(m.contains("M_co2e_location_g -.-> M_co2e_per_1k_requests"));
    assert!(m.contains("M_co2e_per_1k_requests --> T_chat_carbon"));
    // The saved scenario ran over the report's scope: chat's two runs only.
    assert_eq!(x.scenarios.len(), 1);
    assert_eq!(x.scenarios[0].actual.runs, 2);
    let md = sustain_report::render::render_full(&a, &p, &x, Format::Markdown);
    assert!(md.contains("```mermaid\nflowchart LR"));
    assert!(md.contains("### Scenario green: 2026-Q3, product:chat"));
    // A saved scenario that no longer runs is listed, not fatal.
    l.save_scenario(
        &sustain_core::business::SavedScenario {
            name: "broken".into(),
            body: "name = \"broken\"\n[[lever]]\ntype = \"move-site\"\nto = \"NOPE\"\n".into(),
            recorded_at: Utc::now(),
        },
        "t",
    )
    .unwrap();
    let x = sustain_report::extras(&l, &a, &p, &ctx).unwrap();
    assert_eq!(x.scenario_errors.len(), 1);
    assert!(l.verify_audit().unwrap() >= 4);
}

#[test]
fn embodied_carbon_and_the_sci_per_unit_equal_the_ledger() {
    let (dir, l) = fixture();
    // A training run of the chat product, and a product with runs but no usage.
    record_with(
        &l,
        "t",
        &site("FR"),
        (8, 2),
        2.0e6,
        &[("product", "chat"), ("model", "chat-v2")],
        RunKind::Train,
        serde_json::json!({}),
    );
    record(&l, "n", &site("FR"), 8, 3, 1.0e5, &[("product", "beta")]);
    let q3 = Period::parse("2026-Q3").unwrap();
    let a = accounts(&l, &q3, &Scope::Company).unwrap();
    let e = &a.environmental;
    // Each fixture run lasts 600 s with 600 s of CPU time on 2 logical CPUs (share 0.5) on the
    // default host: 1,230.3 kgCO2e over 4 years.
    let per_run = 1230.3e3 * (600.0 / 3600.0) / (4.0 * 8766.0) * 0.5;
    let m = sql_sum(&dir, "embodied_g", None);
    assert!((m - 6.0 * per_run).abs() < 1e-9, "{m}");
    assert!((e.embodied_co2e_g.unwrap() - m).abs() < 1e-9);
    assert_eq!(e.embodied_runs, 6);
    assert_eq!(a.headline.embodied_co2e_g, e.embodied_co2e_g);
    // Embodied carbon is never added to the operational figure.
    assert!((e.co2e_location_g - sql_sum(&dir, "co2e_location_g", None)).abs() < 1e-9);

    let chat = e.per_product.iter().find(|u| u.product == "chat").unwrap();
    assert_eq!((chat.runs, chat.training_runs), (3, 1));
    let chat_g = sql_sum(&dir, "co2e_location_g", Some(("product", "chat")));
    let chat_m = sql_sum(&dir, "embodied_g", Some(("product", "chat")));
    let requests = 200_000.0;
    let sci = chat.sci_g_per_1k_requests.unwrap();
    assert!(
        ((chat_g + chat_m) * 1e3 / requests - sci).abs() < 1e-12,
        "{sci}"
    );
    assert!(sci > chat.co2e_g_per_1k_requests.unwrap());
    let tokens = requests * 300.0;
    assert!(((chat_g + chat_m) * 1e3 / tokens - chat.sci_g_per_1k_tokens.unwrap()).abs() < 1e-12);
    let c = rusqlite::Connection::open(dir.path().join("ledger.sqlite")).unwrap();
    let t: f64 = c
        .query_row(
            "SELECT co2e_location_g + embodied_g FROM run_ends WHERE run_id = 't'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!((chat.sci_g_per_training_run.unwrap() - t).abs() < 1e-12);
    // A product with runs and no usage: per-request figures are none, not zero.
    let beta = e.per_product.iter().find(|u| u.product == "beta").unwrap();
    assert_eq!(beta.runs, 1);
    assert_eq!(beta.sci_g_per_1k_requests, None);
    assert_eq!(beta.sci_g_per_training_run, None);
    // The targets read the same figures.
    let v = sustain_report::targets::value(&a, "sci_per_training_run").unwrap();
    let train: f64 = c
        .query_row(
            "SELECT avg(e.co2e_location_g + e.embodied_g) FROM run_ends e JOIN runs r ON r.id = e.run_id
             WHERE r.kind = 'train' AND r.started_at >= '2026-07-01' AND r.started_at < '2026-10-01'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!((v - train).abs() < 1e-9, "{v} vs {train}");
    assert_eq!(
        sustain_report::targets::value(&a, "co2e_embodied_g"),
        e.embodied_co2e_g
    );

    // A correction that records no embodied figure: the run counts as unknown, said so.
    record_end(&l, "c", &site("FR"), 7.2e5);
    let a = accounts(&l, &q3, &Scope::Company).unwrap();
    assert_eq!(a.environmental.embodied_runs, 5);
    assert!((a.environmental.embodied_co2e_g.unwrap() - 5.0 * per_run).abs() < 1e-9);
    assert!(
        a.notes
            .iter()
            .any(|n| n.contains("embodied carbon covers 5 of 6 runs")),
        "{:?}",
        a.notes
    );
    // Every format carries the figures.
    let md = render(&a, &[], Format::Markdown);
    let csv = render(&a, &[], Format::Csv);
    assert!(csv.contains("sci_per_training_run"), "{csv}");
    assert!(csv.contains("co2e_embodied"));
    assert!(md.contains("CO2e, embodied"), "{md}");
    assert!(md.contains("SCI g / training run"));
}
