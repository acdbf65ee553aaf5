//! Every user-controlled string of a report is escaped in every format: a hostile value in each
//! field (tag values, site, hardware, dataset, task, metric names, scope, products, indicators,
//! cost categories, usage, fairness evaluations, targets, scenarios and their levers, notes)
//! shows as text in the HTML, cannot become markup in the Markdown (checked through a renderer
//! that passes raw HTML, as many Markdown viewers do) and keeps each CSV row at five fields.

use chrono::{NaiveDate, TimeZone, Utc};
use sustain_core::business::{Goal, SavedScenario, Target};
use sustain_core::hardware::AcceleratorCatalog;
use sustain_core::run::{HostInfo, RunEnd, RunKind, RunStart};
use sustain_core::site::SiteCatalog;
use sustain_ledger::{Business, Ledger, SqliteLedger, UsageTotal};
use sustain_report::render::{Format, render_full};
use sustain_report::scenario::Context;
use sustain_report::social::{FairnessEval, IndicatorTotal};
use sustain_report::{Period, Scope, targets};
use sustain_testkit as kit;

/// A value that is markup in HTML, in SVG, in Markdown and in a table, named after its field.
fn hostile(field: &str) -> String {
    format!(
        "<script>alert('{field}')</script>\"><img src=x onerror=alert('{field}')>]]></svg><script>|*_[{field}](javascript:x)`"
    )
}

/// The value as HTML text: what maud writes for it.
fn html_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Fields planted through the ledger, and fields set on the computed report (those the ledger
/// refuses as names: the renderers must escape them all the same).
const LEDGER_FIELDS: [&str; 9] = [
    "model tag",
    "product tag",
    "site",
    "site name",
    "hardware",
    "dataset tag",
    "task tag",
    "test metric",
    "lever product",
];
const REPORT_FIELDS: [&str; 15] = [
    "scope",
    "fairness model",
    "fairness dataset",
    "attribute",
    "favourable class",
    "indicator",
    "indicator unit",
    "cost category",
    "usage product",
    "note",
    "target",
    "target explanation",
    "scenario",
    "scenario description",
    "scenario error",
];

fn record(l: &SqliteLedger, id: &str, tags: &[(&str, String)], cpu_model: &str) {
    let mut site = SiteCatalog::bundled().unwrap().get("FR").unwrap().clone();
    site.record.id = hostile("site");
    site.record.name = hostile("site name");
    let start = RunStart {
        name: id.into(),
        kind: RunKind::Train,
        host: HostInfo {
            cpu_model: cpu_model.into(),
            ..kit::host()
        },
        tags: tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
        ..kit::run_start(
            id,
            Utc.with_ymd_and_hms(2026, 8, 2, 10, 0, 0).unwrap(),
            &site,
        )
    };
    l.start_run(&start).unwrap();
    let energy = kit::energy(3.6e6, 0.0, 0.0);
    l.finish_run(&RunEnd {
        outcomes: serde_json::json!({"metrics": {"test": {hostile("test metric"): 0.5}}}),
        ..kit::run_end(&start, &site, energy, 600)
    })
    .unwrap();
}

/// A report of 2026-Q3 with a hostile value in every field.
fn hostile_report() -> (tempfile::TempDir, sustain_report::Report) {
    let dir = tempfile::tempdir().unwrap();
    let l = SqliteLedger::open(&dir.path().join("ledger.sqlite")).unwrap();
    record(
        &l,
        "t1",
        &[
            ("model", hostile("model tag")),
            ("product", hostile("product tag")),
            ("dataset", hostile("dataset tag")),
            ("task", hostile("task tag")),
        ],
        &hostile("hardware"),
    );
    let lever_product = hostile("lever product").replace('"', "\\\"");
    l.save_scenario(
        &SavedScenario {
            name: "plan".into(),
            body: format!(
                "name = \"plan\"\n[[lever]]\ntype = \"move-site\"\nto = \"DE\"\nproduct = \"{lever_product}\"\n"
            ),
            recorded_at: Utc::now(),
        },
        "t",
    )
    .unwrap();
    let target = Target {
        name: "carbon".into(),
        metric: "co2e_location_g".into(),
        scope: "company".into(),
        baseline: "2026-Q2".into(),
        goal: Goal::parse("-30%").unwrap(),
        by: NaiveDate::from_ymd_opt(2027, 12, 31).unwrap(),
        recorded_at: Utc::now(),
    };
    l.add_target(&target, "t").unwrap();
    let sites = SiteCatalog::bundled().unwrap();
    let acc = AcceleratorCatalog::bundled().unwrap();
    let ctx = Context {
        sites: &sites,
        accelerators: &acc,
        file: None,
    };
    let q3 = Period::parse("2026-Q3").unwrap();
    let mut r = sustain_report::Report::build(&l, &q3, &Scope::Company, &ctx).unwrap();
    assert_eq!(
        r.extras.scenarios.len(),
        1,
        "{:?}",
        r.extras.scenario_errors
    );
    assert_eq!(r.extras.model_sheets.len(), 1);
    assert_eq!(r.targets.len(), 1);
    // What the ledger refuses as names, set on the report: the renderers escape it anyway.
    let a = &mut r.accounts;
    a.scope = hostile("scope");
    a.social.fairness.push(FairnessEval {
        run_id: "e1".into(),
        started_at: "2026-08-03T10:00:00Z".into(),
        model: hostile("fairness model"),
        dataset: hostile("fairness dataset"),
        attribute: hostile("attribute"),
        positive_class: hostile("favourable class"),
        groups: 2,
        flagged_groups: 0,
        demographic_parity_difference: [0.1, 0.05, 0.2],
        equalized_odds_difference: None,
        accuracy: Some(0.75),
    });
    a.social.indicators.push(IndicatorTotal {
        name: hostile("indicator"),
        unit: hostile("indicator unit"),
        total: 3.0,
        entries: 1,
    });
    a.economic
        .cost_lines_by_category
        .insert(hostile("cost category"), [("USD".to_string(), 1.0)].into());
    a.economic.usage.push(UsageTotal {
        product: hostile("usage product"),
        currency: "USD".into(),
        requests: 10,
        tokens: 20,
        revenue: 1.0,
        entries: 1,
    });
    a.notes.push(hostile("note"));
    r.targets[0].target.name = hostile("target");
    r.targets[0].explanation = hostile("target explanation");
    r.extras.scenarios[0].name = hostile("scenario");
    r.extras.scenarios[0].description = hostile("scenario description");
    r.extras.scenario_errors.push(hostile("scenario error"));
    (dir, r)
}

#[test]
fn every_user_string_is_text_in_the_html_report_and_its_charts() {
    let (_dir, r) = hostile_report();
    let html = r.render(Format::Html);
    for f in LEDGER_FIELDS.iter().chain(&REPORT_FIELDS) {
        let h = hostile(f);
        assert!(!html.contains(&h), "{f}: raw in the HTML");
        assert!(html.contains(&html_text(&h)), "{f}: not shown escaped");
    }
    assert!(!html.contains("<script") && !html.contains("<img"));
    // One document: the hostile `</svg>` closed no chart and the page ends once.
    assert_eq!(html.matches("<svg").count(), html.matches("</svg>").count());
    assert_eq!(html.matches("</html>").count(), 1);
    // The model tag is a chart's bar label, escaped in the SVG.
    assert!(html.contains(&format!(
        "text-anchor=\"end\">{}</text>",
        html_text(&hostile("model tag"))
    )));
    // The sheet's run id is code; the evaluation's too (its first 8 characters).
    assert!(html.contains("<code>t1</code>") && html.contains("<code>e1</code>"));
}

#[test]
fn every_user_string_stays_text_in_the_markdown_report() {
    let (_dir, r) = hostile_report();
    let md = r.render(Format::Markdown);
    // Raw nowhere but in a code span (the scope, in the period's line), where Markdown shows
    // it literally.
    for f in LEDGER_FIELDS.iter().chain(&REPORT_FIELDS) {
        let h = hostile(f);
        let raw = md.matches(&h).count();
        assert_eq!(raw, usize::from(*f == "scope"), "{f}: raw in the Markdown");
    }
    // Rendered as a permissive viewer renders it (raw HTML passed through): no markup, no
    // link, and each value whole in its cell or line, `|` and all.
    let mut out = String::new();
    let parser = pulldown_cmark::Parser::new_ext(&md, pulldown_cmark::Options::ENABLE_TABLES);
    pulldown_cmark::html::push_html(&mut out, parser);
    assert!(!out.contains("<script") && !out.contains("<img"), "{out}");
    assert!(!out.contains("<a ") && !out.contains("<em>"), "{out}");
    for f in LEDGER_FIELDS.iter().chain(&REPORT_FIELDS) {
        // (pulldown-cmark leaves `"` as it is in text.)
        let text = hostile(f)
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        assert!(out.contains(&text), "{f}: not whole in\n{out}");
    }
    // A line break in a value keeps the table row on its line.
    let (_dir, mut r) = hostile_report();
    r.accounts.economic.usage[0].product = "two\nlines | here".into();
    let md = r.render(Format::Markdown);
    assert!(
        md.contains("| two lines \\| here | 10 | 20 | 1.00 USD |"),
        "{md}"
    );
}

#[test]
fn csv_fields_with_commas_quotes_and_line_breaks_read_back_whole() {
    let (_dir, mut r) = hostile_report();
    let nasty = "a,b \"c\"\r\nd\re\nf";
    r.accounts.economic.cost_lines_by_category =
        [(nasty.to_string(), [("USD".to_string(), 2.5)].into())].into();
    r.accounts.social.indicators = vec![IndicatorTotal {
        name: nasty.into(),
        unit: format!("{nasty} unit"),
        total: 3.0,
        entries: 1,
    }];
    r.extras.scenarios[0].name = nasty.into();
    let text = render_full(&r.accounts, &r.targets, &r.extras, Format::Csv);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        reader.headers().unwrap(),
        vec!["section", "metric", "group", "value", "unit"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert!(rows.iter().all(|r| r.len() == 5));
    let has = |section: &str, metric: &str, group: &str, unit: &str| {
        rows.iter()
            .any(|r| r[0] == *section && r[1] == *metric && r[2] == *group && r[4] == *unit)
    };
    assert!(has(
        "economic",
        "cost_lines",
        &format!("category:{nasty}"),
        "USD"
    ));
    assert!(has("social", nasty, "all", &format!("{nasty} unit")));
    assert!(has(
        "scenario",
        "co2e_location",
        &format!("{nasty}:actual"),
        "g"
    ));
    assert!(has(
        "environmental",
        "runs",
        &format!("model:{}", hostile("model tag")),
        "runs"
    ));
    assert!(has(
        "environmental",
        "runs",
        &format!("site:{}", hostile("site")),
        "runs"
    ));
    // Figures keep their full precision.
    let runs = rows
        .iter()
        .find(|r| &r[0] == "environmental" && &r[1] == "runs" && &r[2] == "all")
        .unwrap();
    assert_eq!(&runs[3], "1");
}

#[test]
fn the_targets_of_a_report_are_judged_on_its_period() {
    let (_dir, r) = hostile_report();
    assert_eq!(r.targets[0].period, "2026-Q3");
    let t = &r.targets[0].target;
    let today = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    assert_eq!(targets::judged_on(t, None, today).unwrap().label, "2026-Q4");
    let given = Period::parse("2026-08").unwrap();
    assert_eq!(
        targets::judged_on(t, Some(&given), today).unwrap().label,
        "2026-08"
    );
}
