//! `sustain product`, `usage`, `cost` and `indicator`: the economic and social records, each
//! built by its one constructor in `sustain-core` (also the API's), recorded with its audit
//! entry.

use anyhow::Result;
use sustain_core::business::{CostLine, IndexWeight, Indicator, Product, Usage, UsageInput};
use sustain_core::text;
use sustain_core::time::day_or_today;
use sustain_ledger::Business;
use sustain_meter::Settings;
use sustain_report::Period;

use super::{open_ledger, out};
use crate::args::{
    CostCommand, IndicatorCommand, ProductCommand, UsageAddArgs, UsageCommand, UsageImportArgs,
};
use crate::exit::BadInput;

/// Who makes a change, for the audit log: `cli:` and the login name.
pub(super) fn actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    format!("cli:{user}")
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
            out(&text::products_table(&products))
        }
    }
}

/// A usage row by the one rule every entry point uses (`Usage::from_input`); `at` says where
/// the row comes from, for errors.
fn usage_row(products: &[Product], input: UsageInput, at: &str) -> Result<Usage> {
    Usage::from_input(products, input).map_err(|e| {
        with_product_hint(sustain_core::CoreError::Located {
            at: at.into(),
            error: Box::new(e),
        })
    })
}

/// An unknown product's error says how to add it.
fn with_product_hint(e: sustain_core::CoreError) -> anyhow::Error {
    use sustain_core::CoreError::{Located, UnknownProduct};
    let unknown = match &e {
        UnknownProduct { name, .. } => Some(name.clone()),
        Located { error, .. } => match error.as_ref() {
            UnknownProduct { name, .. } => Some(name.clone()),
            _ => None,
        },
        _ => None,
    };
    match unknown {
        Some(name) => BadInput(format!(
            "{e}: add it first with `sustain product add {name}`"
        ))
        .into(),
        None => e.into(),
    }
}

fn usage_add(a: UsageAddArgs, settings: &Settings) -> Result<()> {
    let ledger = open_ledger(settings)?;
    let products = ledger.products()?;
    let day = day_or_today("--date", a.date.as_deref())?;
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
    let ledger = open_ledger(settings)?;
    let products = ledger.products()?;
    let source = format!("import {name}");
    let rows = sustain_core::usage_import::usage_rows(&name, &bytes, &products, &source)
        .map_err(with_product_hint)?;
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
                day_or_today("--date", a.date.as_deref())?,
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
            out(&text::cost_lines_table(&lines))
        }
    }
}

/// `sustain indicator ...`
pub fn indicator(cmd: IndicatorCommand, settings: &Settings) -> Result<()> {
    match cmd {
        IndicatorCommand::Add(a) => {
            let i = Indicator::new(
                a.name,
                day_or_today("--date", a.date.as_deref())?,
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
            out(&text::indicators_table(&rows))
        }
        IndicatorCommand::Weight(a) => {
            let w = IndexWeight::new(a.name, a.weight, a.direction.as_str(), a.reference)?;
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
            out(&text::index_weights_table(&ws))
        }
    }
}
