//! The business records for people: products, cost lines, social indicators, index weights and
//! the audit log. Names, scopes, categories and descriptions are user text, escaped.

use comfy_table::Cell;

use super::{plain_table as table, right, user};
use crate::business::{AuditEntry, CostLine, IndexWeight, Indicator, Product};
use crate::format::sig;

/// The table of `sustain product list`.
pub fn products_table(products: &[Product]) -> String {
    let mut t = table();
    t.set_header(vec![
        "PRODUCT",
        "UNIT",
        "PER 1K REQUESTS",
        "PER 1M TOKENS",
        "CURRENCY",
        "SINCE",
    ]);
    let price = |p: Option<f64>| right(p.map_or("—".to_string(), |p| format!("{p}")));
    for p in products {
        t.add_row(vec![
            user(&p.name),
            user(&p.unit),
            price(p.price_per_1k_requests),
            price(p.price_per_1m_tokens),
            user(p.currency.as_deref().unwrap_or_default()),
            Cell::new(p.recorded_at.format("%Y-%m-%d")),
        ]);
    }
    format!("{t}\n")
}

/// The table of `sustain cost list`.
pub fn cost_lines_table(lines: &[CostLine]) -> String {
    let mut t = table();
    t.set_header(vec!["DAY", "SCOPE", "CATEGORY", "AMOUNT", "DESCRIPTION"]);
    for c in lines {
        t.add_row(vec![
            Cell::new(c.day),
            user(&c.scope),
            user(&c.category),
            right(format!("{:.2} {}", c.amount, super::safe(&c.currency))),
            user(&c.description),
        ]);
    }
    format!("{t}\n")
}

/// The table of `sustain indicator list`.
pub fn indicators_table(rows: &[Indicator]) -> String {
    let mut t = table();
    t.set_header(vec![
        "DAY",
        "INDICATOR",
        "VALUE",
        "UNIT",
        "SCOPE",
        "DESCRIPTION",
    ]);
    for i in rows {
        t.add_row(vec![
            Cell::new(i.day),
            user(&i.name),
            right(sig(i.value)),
            user(&i.unit),
            user(&i.scope),
            user(&i.description),
        ]);
    }
    format!("{t}\n")
}

/// The table of `sustain indicator weights`.
pub fn index_weights_table(weights: &[IndexWeight]) -> String {
    let mut t = table();
    t.set_header(vec![
        "INDICATOR",
        "WEIGHT",
        "DIRECTION",
        "SCORES 100 AT",
        "SET",
    ]);
    for w in weights {
        t.add_row(vec![
            user(&w.indicator),
            right(sig(w.weight)),
            Cell::new(w.direction.as_str()),
            right(sig(w.reference)),
            Cell::new(w.recorded_at.format("%Y-%m-%d %H:%M")),
        ]);
    }
    format!("{t}\n")
}

/// The table of `sustain audit`: each entry with its detail cut to 60 characters and the
/// start of its hash.
pub fn audit_table(log: &[AuditEntry]) -> String {
    let mut t = table();
    t.set_header(vec!["#", "AT (UTC)", "ACTOR", "ACTION", "DETAIL", "HASH"]);
    for e in log {
        let mut detail: String = e.detail.to_string();
        if detail.chars().count() > 60 {
            detail = detail.chars().take(57).collect::<String>() + "...";
        }
        t.add_row(vec![
            Cell::new(e.seq),
            Cell::new(e.at.format("%Y-%m-%d %H:%M:%S")),
            user(&e.actor),
            user(&e.action),
            user(&detail),
            Cell::new(e.hash.get(..12).unwrap_or(&e.hash)),
        ]);
    }
    format!("{t}\n")
}
