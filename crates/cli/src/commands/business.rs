//! `sustain product`, `usage`, `cost`, `report` and `audit`: the economic records, the accounts
//! built from them and the runs, and the audit log of their changes.

use std::path::Path;

use anyhow::{Context, Result};
use chrono::{NaiveDate, Utc};
use comfy_table::Table;
use sustain_core::business::{
    CostLine, Goal, IndexWeight, Indicator, Product, Target, Usage, UsageInput,
};
use sustain_ledger::Business;
use sustain_report::render::{Format, targets_markdown};
use sustain_report::targets;
use sustain_report::{Period, Scope};

use crate::cli::{
    AuditArgs, CostCommand, IndicatorCommand, ProductCommand, ReportArgs, TargetCommand,
    UsageAddArgs, UsageCommand, UsageImportArgs,
};
use crate::config::Settings;
use crate::exit::BadInput;

use super::{open_ledger, out};

/// Who makes a change, for the audit log: `cli:` and the login name.
pub(super) fn actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    format!("cli:{user}")
}

fn table() -> Table {
    let mut t = Table::new();
    t.load_preset("     ─             ");
    t
}

fn parse_day(what: &str, s: Option<&str>) -> Result<NaiveDate> {
    match s {
        None => Ok(Utc::now().date_naive()),
        Some(s) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
            BadInput(format!(
                "invalid {what} {s:?}: expected a date such as 2026-07-10"
            ))
            .into()
        }),
    }
}

/// `sustain product ...`
pub fn product(cmd: ProductCommand, settings: &Settings) -> Result<()> {
    let ledger = open_ledger(settings)?;
    match cmd {
        ProductCommand::Add(a) => {
            let p = Product::new(
                a.name,
                a.unit,
                a.price_per_1k_requests,
                a.price_per_1m_tokens,
                a.currency,
                a.description,
            )?;
            ledger.add_product(&p, &actor())?;
            out(&format!(
                "product {} recorded (unit: {}); tag its runs with --tag product={}\n",
                p.name, p.unit, p.name
            ))
        }
        ProductCommand::List(a) => {
            let products = ledger.products()?;
            if a.json {
                return out(&format!("{}\n", serde_json::to_string_pretty(&products)?));
            }
            if products.is_empty() {
                return out("No products. Add one with `sustain product add NAME`.\n");
            }
            let mut t = table();
            t.set_header(vec![
                "PRODUCT",
                "UNIT",
                "PER 1K REQUESTS",
                "PER 1M TOKENS",
                "CURRENCY",
                "SINCE",
            ]);
            let price = |p: Option<f64>| p.map_or("—".to_string(), |p| format!("{p}"));
            for p in &products {
                t.add_row(vec![
                    p.name.clone(),
                    p.unit.clone(),
                    price(p.price_per_1k_requests),
                    price(p.price_per_1m_tokens),
                    p.currency.clone().unwrap_or_default(),
                    p.recorded_at.format("%Y-%m-%d").to_string(),
                ]);
            }
            out(&format!("{t}\n"))
        }
    }
}

/// A usage row by the one rule every entry point uses (`Usage::from_input`); `at` says where
/// the row comes from, for errors.
fn usage_row(products: &[Product], input: UsageInput, at: &str) -> Result<Usage> {
    Usage::from_input(products, input).map_err(|e| match e {
        sustain_core::CoreError::UnknownProduct { ref name, .. } => BadInput(format!(
            "{at}: {e}: add it first with `sustain product add {name}`"
        ))
        .into(),
        other => BadInput(format!("{at}: {other}")).into(),
    })
}

fn usage_add(a: UsageAddArgs, settings: &Settings) -> Result<()> {
    let ledger = open_ledger(settings)?;
    let products = ledger.products()?;
    let day = parse_day("--date", a.date.as_deref())?;
    let u = usage_row(
        &products,
        UsageInput {
            product: a.product.clone(),
            day,
            requests: a.requests,
            tokens: a.tokens,
            revenue: a.revenue,
            currency: a.currency.clone(),
            source: "cli".into(),
        },
        "usage",
    )?;
    ledger.add_usage(std::slice::from_ref(&u), &actor(), "usage.add")?;
    if a.json {
        out(&format!("{}\n", serde_json::to_string_pretty(&u)?))
    } else {
        out(&format!(
            "usage recorded: {} on {}: {} requests, {} tokens, revenue {:.2} {}\n",
            u.product, u.day, u.requests, u.tokens, u.revenue, u.currency
        ))
    }
}

fn usage_import(a: UsageImportArgs, settings: &Settings) -> Result<()> {
    let name = a.file.display().to_string();
    let bytes = std::fs::read(&a.file).map_err(|e| {
        BadInput(format!(
            "cannot read {name}: {e}; give a CSV file with the header date,product,requests[,tokens][,revenue,currency]"
        ))
    })?;
    let mut r = csv::ReaderBuilder::new().from_reader(bytes.as_slice());
    let header: Vec<String> = r
        .headers()
        .map_err(|e| BadInput(format!("{name}: not a readable CSV file: {e}")))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let col = |c: &str| header.iter().position(|h| h == c);
    let (Some(di), Some(pi), Some(ri)) = (col("date"), col("product"), col("requests")) else {
        return Err(BadInput(format!(
            "{name}: the header is {}; it needs date, product and requests (and optionally tokens, revenue, currency)",
            header.join(",")
        ))
        .into());
    };
    let (ti, vi, ci) = (col("tokens"), col("revenue"), col("currency"));
    let ledger = open_ledger(settings)?;
    let products = ledger.products()?;
    let source = format!("import {}", Path::new(&name).display());
    let mut rows = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let line = i + 2;
        let at = format!("{name} line {line}");
        let rec = rec.map_err(|e| BadInput(format!("{at}: {e}")))?;
        let cell = |j: Option<usize>| j.and_then(|j| rec.get(j)).map(str::trim).unwrap_or("");
        let count = |j: Option<usize>, what: &str| -> Result<u64> {
            let v = cell(j);
            if v.is_empty() {
                return Ok(0);
            }
            v.parse().map_err(|_| {
                BadInput(format!("{at}: {what} {v:?} is not a whole number >= 0")).into()
            })
        };
        let day = parse_day(&format!("date on {at}"), Some(cell(Some(di))))?;
        let revenue = match cell(vi) {
            "" => None,
            v => Some(
                v.parse::<f64>()
                    .map_err(|_| BadInput(format!("{at}: revenue {v:?} is not a number")))?,
            ),
        };
        rows.push(usage_row(
            &products,
            UsageInput {
                product: cell(Some(pi)).to_string(),
                day,
                requests: count(Some(ri), "requests")?,
                tokens: count(ti, "tokens")?,
                revenue,
                currency: revenue
                    .and(Some(cell(ci).to_string()))
                    .filter(|c| !c.is_empty()),
                source: source.clone(),
            },
            &at,
        )?);
    }
    if rows.is_empty() {
        return Err(BadInput(format!("{name} has a header but no rows")).into());
    }
    ledger.add_usage(&rows, &actor(), "usage.import")?;
    let requests: u64 = rows.iter().map(|u| u.requests).sum();
    if a.json {
        out(&format!(
            "{}\n",
            serde_json::to_string_pretty(
                &serde_json::json!({"rows": rows.len(), "requests": requests})
            )?
        ))
    } else {
        out(&format!(
            "{} usage rows recorded from {name} ({requests} requests)\n",
            rows.len()
        ))
    }
}

/// `sustain usage ...`
pub fn usage(cmd: UsageCommand, settings: &Settings) -> Result<()> {
    match cmd {
        UsageCommand::Add(a) => usage_add(a, settings),
        UsageCommand::Import(a) => usage_import(a, settings),
    }
}

/// `sustain cost ...`
pub fn cost(cmd: CostCommand, settings: &Settings) -> Result<()> {
    match cmd {
        CostCommand::Add(a) => {
            let c = CostLine::new(
                parse_day("--date", a.date.as_deref())?,
                a.scope,
                a.category,
                a.amount,
                &a.currency,
                a.description,
            )?;
            let ledger = open_ledger(settings)?;
            ledger.add_cost_line(&c, &actor())?;
            out(&format!(
                "cost recorded: {:.2} {} of {} on {}, scope {}\n",
                c.amount, c.currency, c.category, c.day, c.scope
            ))
        }
        CostCommand::List(a) => {
            let period = Period::parse(&a.period)?;
            let ledger = open_ledger(settings)?;
            let lines = ledger.cost_lines(period.from, period.to)?;
            if a.json {
                return out(&format!("{}\n", serde_json::to_string_pretty(&lines)?));
            }
            if lines.is_empty() {
                return out(&format!("No cost lines in {}.\n", period.label));
            }
            let mut t = table();
            t.set_header(vec!["DAY", "SCOPE", "CATEGORY", "AMOUNT", "DESCRIPTION"]);
            for c in &lines {
                t.add_row(vec![
                    c.day.to_string(),
                    c.scope.clone(),
                    c.category.clone(),
                    format!("{:.2} {}", c.amount, c.currency),
                    c.description.clone(),
                ]);
            }
            out(&format!("{t}\n"))
        }
    }
}

/// `sustain indicator ...`
pub fn indicator(cmd: IndicatorCommand, settings: &Settings) -> Result<()> {
    match cmd {
        IndicatorCommand::Add(a) => {
            let i = Indicator::new(
                a.name,
                parse_day("--date", a.date.as_deref())?,
                a.scope,
                a.value,
                a.unit,
                a.description,
            )?;
            let ledger = open_ledger(settings)?;
            ledger.add_indicator(&i, &actor())?;
            out(&format!(
                "indicator recorded: {} = {} {} on {}, scope {}\n",
                i.name, i.value, i.unit, i.day, i.scope
            ))
        }
        IndicatorCommand::List(a) => {
            let period = Period::parse(&a.period)?;
            let ledger = open_ledger(settings)?;
            let rows = ledger.indicators(period.from, period.to)?;
            if a.json {
                return out(&format!("{}\n", serde_json::to_string_pretty(&rows)?));
            }
            if rows.is_empty() {
                return out(&format!("No indicators in {}.\n", period.label));
            }
            let mut t = table();
            t.set_header(vec![
                "DAY",
                "INDICATOR",
                "VALUE",
                "UNIT",
                "SCOPE",
                "DESCRIPTION",
            ]);
            for i in &rows {
                t.add_row(vec![
                    i.day.to_string(),
                    i.name.clone(),
                    sustain_core::format::sig(i.value),
                    i.unit.clone(),
                    i.scope.clone(),
                    i.description.clone(),
                ]);
            }
            out(&format!("{t}\n"))
        }
        IndicatorCommand::Weight(a) => {
            let w = IndexWeight::new(a.name, a.weight, &a.direction, a.reference)?;
            let ledger = open_ledger(settings)?;
            ledger.set_index_weight(&w, &actor())?;
            out(&format!(
                "index weight set: {} weight {} ({} is better, {} scores 100)\n",
                w.indicator,
                w.weight,
                w.direction.as_str(),
                w.reference
            ))
        }
        IndicatorCommand::Weights(a) => {
            let ledger = open_ledger(settings)?;
            let ws = ledger.index_weights()?;
            if a.json {
                return out(&format!("{}\n", serde_json::to_string_pretty(&ws)?));
            }
            if ws.is_empty() {
                return out(
                    "No index weights yet: set them with `sustain indicator weight NAME --weight W --direction higher|lower --reference R`.\n",
                );
            }
            let mut t = table();
            t.set_header(vec![
                "INDICATOR",
                "WEIGHT",
                "DIRECTION",
                "SCORES 100 AT",
                "SET",
            ]);
            for w in &ws {
                t.add_row(vec![
                    w.indicator.clone(),
                    sustain_core::format::sig(w.weight),
                    w.direction.as_str().to_string(),
                    sustain_core::format::sig(w.reference),
                    w.recorded_at.format("%Y-%m-%d %H:%M").to_string(),
                ]);
            }
            out(&format!("{t}\n"))
        }
    }
}

/// `sustain report`.
pub fn report(a: ReportArgs, settings: &Settings) -> Result<()> {
    let period = Period::parse(&a.period)?;
    let scope = Scope::parse(&a.scope)?;
    let format = Format::parse(&a.format)?;
    let ledger = open_ledger(settings)?;
    let accelerators = sustain_core::hardware::AcceleratorCatalog::bundled()
        .context("bundled accelerator catalog")?;
    let ctx = sustain_report::scenario::Context {
        sites: &settings.sites,
        accelerators: &accelerators,
        file: None,
    };
    let text = sustain_report::Report::build(&ledger, &period, &scope, &ctx)?.render(format);
    match &a.output {
        Some(path) => {
            std::fs::write(path, &text)
                .with_context(|| format!("writing the report to {}", path.display()))?;
            eprintln!("sustain: report written to {}", path.display());
            Ok(())
        }
        None => out(&text),
    }
}

/// `sustain target ...`
pub fn target(cmd: TargetCommand, settings: &Settings) -> Result<()> {
    let ledger = open_ledger(settings)?;
    match cmd {
        TargetCommand::Add(a) => {
            let t = Target {
                name: a.name,
                metric: a.metric,
                scope: a.scope,
                baseline: a.baseline,
                goal: Goal::parse(&a.goal)?,
                by: parse_day("--by", Some(&a.by))?,
                recorded_at: Utc::now(),
            };
            targets::check(&t)?;
            ledger.add_target(&t, &actor())?;
            out(&format!(
                "target {} recorded: {} of {} from {} to {} by {}\n",
                t.name,
                t.metric,
                t.scope,
                t.baseline,
                t.goal.label(),
                t.by
            ))
        }
        TargetCommand::List(a) => {
            let given = a.period.as_deref().map(Period::parse).transpose()?;
            let progress = targets::all(&ledger, given.as_ref(), Utc::now().date_naive())?;
            if a.json {
                return out(&format!("{}\n", serde_json::to_string_pretty(&progress)?));
            }
            if progress.is_empty() {
                return out(
                    "No targets. Add one with `sustain target add NAME --metric ... --baseline ... --goal ... --by ...`.\n",
                );
            }
            out(&targets_markdown(&progress))
        }
    }
}

/// `sustain audit`.
pub fn audit(a: AuditArgs, settings: &Settings) -> Result<i32> {
    let ledger = open_ledger(settings)?;
    if a.verify {
        return match ledger.verify_audit() {
            Ok(n) => {
                out(&format!(
                    "audit log intact: {n} entries, hash chain verified\n"
                ))?;
                Ok(crate::exit::OK)
            }
            Err(e) => {
                eprintln!("sustain: {e}");
                Ok(crate::exit::ERROR)
            }
        };
    }
    let log = ledger.audit()?;
    if a.json {
        return out(&format!("{}\n", serde_json::to_string_pretty(&log)?)).map(|_| crate::exit::OK);
    }
    if log.is_empty() {
        out("The audit log is empty: no product, usage or cost line has been recorded.\n")?;
        return Ok(crate::exit::OK);
    }
    let mut t = table();
    t.set_header(vec!["#", "AT (UTC)", "ACTOR", "ACTION", "DETAIL", "HASH"]);
    for e in &log {
        let mut detail = e.detail.to_string();
        if detail.len() > 60 {
            detail.truncate(57);
            detail.push_str("...");
        }
        t.add_row(vec![
            e.seq.to_string(),
            e.at.format("%Y-%m-%d %H:%M:%S").to_string(),
            e.actor.clone(),
            e.action.clone(),
            detail,
            e.hash[..12].to_string(),
        ]);
    }
    out(&format!("{t}\n"))?;
    Ok(crate::exit::OK)
}
