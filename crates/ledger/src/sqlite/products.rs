//! Products, usage and cost lines: appended with an audit entry each, read as current products
//! (the latest entry per name), usage totals per product and currency, and cost lines, leaving
//! out rows outside their plausible bounds (`plausible`).

use chrono::{NaiveDate, Utc};
use rusqlite::params;
use sustain_core::business::{CostLine, Product, Usage};

use super::filters::USAGE_WITHIN;
use super::{SqliteLedger, audit_in, day, day_bound, parse_day, parse_ts, ts};
use crate::business::UsageTotal;
use crate::error::{LedgerError, Result};

impl SqliteLedger {
    /// See [`crate::Business::add_product`].
    pub(super) fn insert_product(&self, p: &Product, actor: &str) -> Result<()> {
        p.validate()?;
        let detail = serde_json::to_value(p).unwrap_or_default();
        self.write(|tx| {
            tx.execute(
                "INSERT INTO products (name, unit, price_per_1k_requests, price_per_1m_tokens, currency, description, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    p.name,
                    p.unit,
                    p.price_per_1k_requests,
                    p.price_per_1m_tokens,
                    p.currency.as_ref().map(|c| c.to_ascii_uppercase()),
                    p.description,
                    ts(&p.recorded_at)
                ],
            )?;
            Ok(audit_in(tx, actor, "product.add", &detail)?)
        })
    }

    /// See [`crate::Business::products`].
    pub(super) fn current_products(&self) -> Result<Vec<Product>> {
        self.rows(
            "SELECT p.* FROM products p
             WHERE p.seq = (SELECT max(seq) FROM products q WHERE q.name = p.name)
             ORDER BY p.name",
            [],
            |r| {
                Ok((
                    r.get::<_, String>("name")?,
                    r.get::<_, String>("unit")?,
                    r.get::<_, Option<f64>>("price_per_1k_requests")?,
                    r.get::<_, Option<f64>>("price_per_1m_tokens")?,
                    r.get::<_, Option<String>>("currency")?,
                    r.get::<_, String>("description")?,
                    r.get::<_, String>("recorded_at")?,
                ))
            },
        )?
        .into_iter()
        .map(|(name, unit, pr, pt, currency, description, at)| {
            Ok(Product {
                name,
                unit,
                price_per_1k_requests: pr,
                price_per_1m_tokens: pt,
                currency,
                description,
                recorded_at: parse_ts(&at)?,
            })
        })
        .collect()
    }

    /// See [`crate::Business::add_usage`].
    pub(super) fn insert_usage(&self, rows: &[Usage], actor: &str, action: &str) -> Result<()> {
        let known: Vec<String> = self
            .current_products()?
            .into_iter()
            .map(|p| p.name)
            .collect();
        for (i, u) in rows.iter().enumerate() {
            u.validate().map_err(|e| match e {
                sustain_core::CoreError::OutOfBounds(b) => LedgerError::Rejected(b.into()),
                other => LedgerError::Invalid(format!("usage row {}: {other}", i + 1)),
            })?;
            if !known.contains(&u.product) {
                return Err(LedgerError::Invalid(format!(
                    "unknown product '{}' (usage row {}): add it first with `sustain product add {}`; known products: {}",
                    u.product,
                    i + 1,
                    u.product,
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                )));
            }
        }
        if rows.is_empty() {
            return Err(LedgerError::Invalid("no usage rows to add".into()));
        }
        // Within the bounds, as checked above, so neither sum can overflow.
        let requests: u64 = rows.iter().map(|u| u.requests).sum();
        let tokens: u64 = rows.iter().map(|u| u.tokens).sum();
        let detail = if rows.len() == 1 {
            serde_json::to_value(&rows[0]).unwrap_or_default()
        } else {
            serde_json::json!({"rows": rows.len(), "requests": requests, "tokens": tokens, "source": rows[0].source})
        };
        let now = ts(&Utc::now());
        self.write(|tx| {
            {
                let mut ins = tx.prepare_cached(
                    "INSERT INTO usage (product, day, requests, tokens, revenue, currency, source, recorded_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?;
                for u in rows {
                    ins.execute(params![
                        u.product,
                        day(&u.day),
                        u.requests as i64,
                        u.tokens as i64,
                        u.revenue,
                        u.currency.to_ascii_uppercase(),
                        u.source,
                        now
                    ])?;
                }
            }
            Ok(audit_in(tx, actor, action, &detail)?)
        })
    }

    /// See [`crate::Business::usage_totals`]. The counts are summed by SQLite in two halves of
    /// 32 bits each, which cannot overflow its 64-bit integers however many rows there are,
    /// and joined here.
    pub(super) fn usage_totals_in(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<UsageTotal>> {
        let rows = self.rows(
            &format!(
                "SELECT u.product, u.currency, sum(u.requests >> 32), sum(u.requests & 4294967295),
                        sum(u.tokens >> 32), sum(u.tokens & 4294967295), sum(u.revenue), count(*)
                 FROM usage u WHERE u.day >= ?1 AND u.day < ?2 AND {}
                 GROUP BY u.product, u.currency ORDER BY u.product, u.currency",
                *USAGE_WITHIN
            ),
            params![day_bound(&from), day_bound(&to)],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    [
                        r.get::<_, i64>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, i64>(5)?,
                    ],
                    r.get::<_, f64>(6)?,
                    r.get::<_, i64>(7)?,
                ))
            },
        )?;
        rows.into_iter()
            .map(|(product, currency, [rh, rl, th, tl], revenue, n)| {
                let join = |hi: i64, lo: i64, what: &str| -> Result<u64> {
                    let v = (i128::from(hi) << 32) + i128::from(lo);
                    u64::try_from(v).map_err(|_| {
                        LedgerError::Invalid(format!(
                            "the {what} of product {product} in the period add up to more than {}",
                            u64::MAX
                        ))
                    })
                };
                Ok(UsageTotal {
                    requests: join(rh, rl, "requests")?,
                    tokens: join(th, tl, "tokens")?,
                    revenue,
                    entries: n.max(0) as u64,
                    currency,
                    product,
                })
            })
            .collect()
    }

    /// See [`crate::Business::add_cost_line`].
    pub(super) fn insert_cost_line(&self, c: &CostLine, actor: &str) -> Result<()> {
        c.validate()?;
        let detail = serde_json::to_value(c).unwrap_or_default();
        self.write(|tx| {
            tx.execute(
                "INSERT INTO cost_lines (day, scope, category, amount, currency, description, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    day(&c.day),
                    c.scope,
                    c.category,
                    c.amount,
                    c.currency.to_ascii_uppercase(),
                    c.description,
                    ts(&Utc::now())
                ],
            )?;
            Ok(audit_in(tx, actor, "cost.add", &detail)?)
        })
    }

    /// Every stored cost line on days in `[from, to)` with its sequence number, in order,
    /// whatever its figures.
    pub(super) fn stored_cost_lines(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(i64, CostLine)>> {
        self.rows(
            "SELECT seq, day, scope, category, amount, currency, description FROM cost_lines
             WHERE day >= ?1 AND day < ?2 ORDER BY day, seq",
            params![day_bound(&from), day_bound(&to)],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, f64>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                ))
            },
        )?
        .into_iter()
        .map(|(seq, d, scope, category, amount, currency, description)| {
            Ok((
                seq,
                CostLine {
                    day: parse_day(&d)?,
                    scope,
                    category,
                    amount,
                    currency,
                    description,
                },
            ))
        })
        .collect()
    }

    /// See [`crate::Business::cost_lines`]: the stored lines within their bounds.
    pub(super) fn cost_lines_in(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<CostLine>> {
        Ok(self
            .stored_cost_lines(from, to)?
            .into_iter()
            .map(|(_, c)| c)
            .filter(|c| c.check_bounds().is_ok())
            .collect())
    }
}
