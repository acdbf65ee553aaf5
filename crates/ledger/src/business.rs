//! Products, usage, cost lines, their hash-chained audit log, and the run totals that accounts
//! are made of. Every change to a business record appends an audit entry in the same
//! transaction; [`Business::verify_audit`] recomputes the chain.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};
use sustain_core::business::{AuditEntry, CostLine, Goal, Product, Target, Usage};

use crate::error::{LedgerError, Result};
use crate::sqlite::{SqliteLedger, parse_ts, ts};

/// How run totals are grouped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Group {
    /// One group: everything.
    All,
    /// By site id.
    Site,
    /// By run kind.
    Kind,
    /// By the value of a tag (runs without it: `(none)`).
    Tag(String),
    /// By calendar month of the start (`YYYY-MM`).
    Month,
    /// By calendar day of the start (`YYYY-MM-DD`).
    Day,
}

/// Which runs to total: those that started in `[from, to)` and have ended, optionally with a
/// tag value, at a site, of a kind.
#[derive(Debug, Clone)]
pub struct TotalsQuery {
    /// Start of the period (inclusive).
    pub from: DateTime<Utc>,
    /// End of the period (exclusive).
    pub to: DateTime<Utc>,
    /// Only runs whose tag `.0` is `.1`.
    pub tag: Option<(String, String)>,
    /// Only runs at this site.
    pub site: Option<String>,
    /// Only runs of this kind.
    pub kind: Option<String>,
    /// Grouping.
    pub group: Group,
}

/// Totals of a group of runs, from their latest ends.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct RunTotals {
    /// The group's key (`all`, a site id, a kind, a tag value, a month).
    pub group: String,
    /// Runs.
    pub runs: u64,
    /// CPU energy, joules.
    pub cpu_j: f64,
    /// GPU energy, joules.
    pub gpu_j: f64,
    /// Memory energy, joules.
    pub ram_j: f64,
    /// Of the IT energy, what hardware counters measured (the rest is modelled), joules.
    pub measured_j: f64,
    /// Facility energy (IT x PUE), joules.
    pub facility_j: f64,
    /// Location-based carbon, grams.
    pub co2e_location_g: f64,
    /// Market-based carbon of the runs whose site has a contractual factor, grams.
    pub co2e_market_g: f64,
    /// Runs with a market-based figure.
    pub market_runs: u64,
    /// Water, on-site plus off-site where known, litres.
    pub water_l: f64,
    /// Cost by currency (energy and hardware-hours).
    pub cost: BTreeMap<String, f64>,
    /// Runs without a cost (no price known for their site).
    pub runs_without_cost: u64,
    /// Wall-clock seconds.
    pub duration_s: f64,
}

/// Usage of one product in one currency over a period.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct UsageTotal {
    /// Product.
    pub product: String,
    /// Currency of the revenue.
    pub currency: String,
    /// Requests.
    pub requests: u64,
    /// Tokens.
    pub tokens: u64,
    /// Revenue.
    pub revenue: f64,
    /// Usage entries summed.
    pub entries: u64,
}

/// The business records of a ledger.
pub trait Business {
    /// Adds (or supersedes) a product.
    fn add_product(&self, p: &Product, actor: &str) -> Result<()>;
    /// The current products (latest entry per name), by name.
    fn products(&self) -> Result<Vec<Product>>;
    /// Appends usage rows in one transaction; every product must exist.
    fn add_usage(&self, rows: &[Usage], actor: &str, action: &str) -> Result<()>;
    /// Usage per product and currency on days in `[from, to)`.
    fn usage_totals(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<UsageTotal>>;
    /// Appends a cost line.
    fn add_cost_line(&self, c: &CostLine, actor: &str) -> Result<()>;
    /// Cost lines on days in `[from, to)`, in order.
    fn cost_lines(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<CostLine>>;
    /// Adds (or supersedes) a target; the caller checks its metric and scope.
    fn add_target(&self, t: &Target, actor: &str) -> Result<()>;
    /// The current targets (latest entry per name), by name.
    fn targets(&self) -> Result<Vec<Target>>;
    /// Totals of ended runs, grouped by `q.group`.
    fn run_totals(&self, q: &TotalsQuery) -> Result<Vec<RunTotals>> {
        Ok(self
            .run_totals_by(q, std::slice::from_ref(&q.group))?
            .pop()
            .unwrap_or_default())
    }
    /// Totals of ended runs, once per grouping, from one pass over the period.
    fn run_totals_by(&self, q: &TotalsQuery, groups: &[Group]) -> Result<Vec<Vec<RunTotals>>>;
    /// The audit log, in order.
    fn audit(&self) -> Result<Vec<AuditEntry>>;
    /// Recomputes the audit chain; an error names the first entry that does not match.
    fn verify_audit(&self) -> Result<u64>;
}

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn chain_hash(prev: &str, at: &str, actor: &str, action: &str, detail: &str) -> String {
    let mut h = Sha256::new();
    for part in [prev, at, actor, action, detail] {
        h.update(part.as_bytes());
        h.update(b"\n");
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn audit_in(
    tx: &rusqlite::Transaction<'_>,
    actor: &str,
    action: &str,
    detail: &serde_json::Value,
) -> rusqlite::Result<()> {
    let prev: String = tx
        .query_row(
            "SELECT hash FROM audit ORDER BY seq DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or_else(|| GENESIS.to_string());
    let at = ts(&Utc::now());
    let detail = detail.to_string();
    let hash = chain_hash(&prev, &at, actor, action, &detail);
    tx.execute(
        "INSERT INTO audit (at, actor, action, detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![at, actor, action, detail, prev, hash],
    )?;
    Ok(())
}

fn day(d: &NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn parse_day(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| LedgerError::Corrupt(format!("day {s:?}: {e}")))
}

/// A tag key usable in a JSON path: letters, digits, `_`, `-`, `.`.
fn check_tag_key(key: &str) -> Result<()> {
    if !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        Ok(())
    } else {
        Err(LedgerError::Invalid(format!(
            "tag key {key:?}: expected letters, digits, '_', '-' or '.'"
        )))
    }
}

impl Business for SqliteLedger {
    fn add_product(&self, p: &Product, actor: &str) -> Result<()> {
        p.validate()
            .map_err(|e| LedgerError::Invalid(e.to_string()))?;
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
            audit_in(tx, actor, "product.add", &detail)
        })
    }

    fn products(&self) -> Result<Vec<Product>> {
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT p.* FROM products p
                 WHERE p.seq = (SELECT max(seq) FROM products q WHERE q.name = p.name)
                 ORDER BY p.name",
            )
            .map_err(|e| self.map_err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>("name")?,
                    r.get::<_, String>("unit")?,
                    r.get::<_, Option<f64>>("price_per_1k_requests")?,
                    r.get::<_, Option<f64>>("price_per_1m_tokens")?,
                    r.get::<_, Option<String>>("currency")?,
                    r.get::<_, String>("description")?,
                    r.get::<_, String>("recorded_at")?,
                ))
            })
            .map_err(|e| self.map_err(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.map_err(e))?;
        rows.into_iter()
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

    fn add_usage(&self, rows: &[Usage], actor: &str, action: &str) -> Result<()> {
        let known: Vec<String> = self.products()?.into_iter().map(|p| p.name).collect();
        for (i, u) in rows.iter().enumerate() {
            u.validate()
                .map_err(|e| LedgerError::Invalid(format!("usage row {}: {e}", i + 1)))?;
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
                        i64::try_from(u.requests).unwrap_or(i64::MAX),
                        i64::try_from(u.tokens).unwrap_or(i64::MAX),
                        u.revenue,
                        u.currency.to_ascii_uppercase(),
                        u.source,
                        now
                    ])?;
                }
            }
            audit_in(tx, actor, action, &detail)
        })
    }

    fn usage_totals(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<UsageTotal>> {
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT product, currency, sum(requests), sum(tokens), sum(revenue), count(*)
                 FROM usage WHERE day >= ?1 AND day < ?2
                 GROUP BY product, currency ORDER BY product, currency",
            )
            .map_err(|e| self.map_err(e))?;
        stmt.query_map(params![day(&from), day(&to)], |r| {
            Ok(UsageTotal {
                product: r.get(0)?,
                currency: r.get(1)?,
                requests: r.get::<_, i64>(2)?.max(0) as u64,
                tokens: r.get::<_, i64>(3)?.max(0) as u64,
                revenue: r.get(4)?,
                entries: r.get::<_, i64>(5)?.max(0) as u64,
            })
        })
        .map_err(|e| self.map_err(e))?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(|e| self.map_err(e))
    }

    fn add_cost_line(&self, c: &CostLine, actor: &str) -> Result<()> {
        c.validate()
            .map_err(|e| LedgerError::Invalid(e.to_string()))?;
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
            audit_in(tx, actor, "cost.add", &detail)
        })
    }

    fn cost_lines(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<CostLine>> {
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT day, scope, category, amount, currency, description FROM cost_lines
                 WHERE day >= ?1 AND day < ?2 ORDER BY day, seq",
            )
            .map_err(|e| self.map_err(e))?;
        let rows = stmt
            .query_map(params![day(&from), day(&to)], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, f64>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                ))
            })
            .map_err(|e| self.map_err(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.map_err(e))?;
        rows.into_iter()
            .map(|(d, scope, category, amount, currency, description)| {
                Ok(CostLine {
                    day: parse_day(&d)?,
                    scope,
                    category,
                    amount,
                    currency,
                    description,
                })
            })
            .collect()
    }

    fn add_target(&self, t: &Target, actor: &str) -> Result<()> {
        sustain_core::business::check_name("target", &t.name)
            .map_err(|e| LedgerError::Invalid(e.to_string()))?;
        let detail = serde_json::to_value(t).unwrap_or_default();
        let goal = serde_json::to_string(&t.goal).unwrap_or_default();
        self.write(|tx| {
            tx.execute(
                "INSERT INTO targets (name, metric, scope, baseline, goal, by_day, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    t.name,
                    t.metric,
                    t.scope,
                    t.baseline,
                    goal,
                    day(&t.by),
                    ts(&t.recorded_at)
                ],
            )?;
            audit_in(tx, actor, "target.add", &detail)
        })
    }

    fn targets(&self) -> Result<Vec<Target>> {
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT name, metric, scope, baseline, goal, by_day, recorded_at FROM targets t
                 WHERE t.seq = (SELECT max(seq) FROM targets q WHERE q.name = t.name)
                 ORDER BY t.name",
            )
            .map_err(|e| self.map_err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                ))
            })
            .map_err(|e| self.map_err(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.map_err(e))?;
        rows.into_iter()
            .map(|(name, metric, scope, baseline, goal, by, at)| {
                let goal: Goal = serde_json::from_str(&goal)
                    .map_err(|e| LedgerError::Corrupt(format!("target {name}: {e}")))?;
                Ok(Target {
                    name,
                    metric,
                    scope,
                    baseline,
                    goal,
                    by: parse_day(&by)?,
                    recorded_at: parse_ts(&at)?,
                })
            })
            .collect()
    }

    fn run_totals_by(&self, q: &TotalsQuery, groups: &[Group]) -> Result<Vec<Vec<RunTotals>>> {
        for g in groups {
            if let Group::Tag(k) = g {
                check_tag_key(k)?;
            }
        }
        if let Some((k, _)) = &q.tag {
            check_tag_key(k)?;
        }
        // One sequential range of the rollup (clustered by start), aggregated here: every
        // grouping in one pass, with hash maps rather than SQLite's sort-based GROUP BY.
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT started_at, site_id, kind, product, model, team, tags, cpu_j, gpu_j, ram_j,
                        measured_j, facility_j, co2e_location_g, co2e_market_g, water_l,
                        cost_amount, cost_currency, duration_s
                 FROM run_facts
                 WHERE started_at >= ?1 AND started_at < ?2
                   AND (?3 IS NULL OR (CASE ?3 WHEN 'product' THEN product WHEN 'model' THEN model
                        WHEN 'team' THEN team ELSE json_extract(tags, '$.\"' || ?3 || '\"') END) = ?4)
                   AND (?5 IS NULL OR site_id = ?5)
                   AND (?6 IS NULL OR kind = ?6)",
            )
            .map_err(|e| self.map_err(e))?;
        let (tag_key, tag_value) = match &q.tag {
            Some((k, v)) => (Some(k.as_str()), Some(v.as_str())),
            None => (None, None),
        };
        let mut rows = stmt
            .query(params![
                ts(&q.from),
                ts(&q.to),
                tag_key,
                tag_value,
                q.site,
                q.kind
            ])
            .map_err(|e| self.map_err(e))?;
        let mut acc: Vec<std::collections::HashMap<String, RunTotals>> =
            groups.iter().map(|_| Default::default()).collect();
        while let Some(r) = rows.next().map_err(|e| self.map_err(e))? {
            let started: String = r.get(0)?;
            let cols: [Option<String>; 5] = [r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?];
            let [site, kind, product, model, team] = cols;
            let tags: Option<serde_json::Value> = if groups.iter().any(|g| {
                matches!(g, Group::Tag(k) if !matches!(k.as_str(), "product" | "model" | "team"))
            }) {
                serde_json::from_str(&r.get::<_, String>(6)?).ok()
            } else {
                None
            };
            let f = |i: usize| -> rusqlite::Result<f64> { r.get(i) };
            let (cpu, gpu, ram, measured, facility, loc) =
                (f(7)?, f(8)?, f(9)?, f(10)?, f(11)?, f(12)?);
            let market: Option<f64> = r.get(13)?;
            let water = f(14)?;
            let cost: Option<f64> = r.get(15)?;
            let currency: Option<String> = r.get(16)?;
            let duration = f(17)?;
            for (g, map) in groups.iter().zip(acc.iter_mut()) {
                let none = || "(none)".to_string();
                let key = match g {
                    Group::All => "all".to_string(),
                    Group::Site => site.clone().unwrap_or_else(none),
                    Group::Kind => kind.clone().unwrap_or_else(none),
                    Group::Month => started.get(..7).unwrap_or("").to_string(),
                    Group::Day => started.get(..10).unwrap_or("").to_string(),
                    Group::Tag(k) => match k.as_str() {
                        "product" => product.clone().unwrap_or_else(none),
                        "model" => model.clone().unwrap_or_else(none),
                        "team" => team.clone().unwrap_or_else(none),
                        other => tags
                            .as_ref()
                            .and_then(|t| t.get(other))
                            .and_then(|v| v.as_str())
                            .map_or_else(none, str::to_string),
                    },
                };
                let t = map.entry(key.clone()).or_insert_with(|| RunTotals {
                    group: key,
                    ..Default::default()
                });
                t.runs += 1;
                t.cpu_j += cpu;
                t.gpu_j += gpu;
                t.ram_j += ram;
                t.measured_j += measured;
                t.facility_j += facility;
                t.co2e_location_g += loc;
                if let Some(m) = market {
                    t.co2e_market_g += m;
                    t.market_runs += 1;
                }
                t.water_l += water;
                t.duration_s += duration;
                match (cost, &currency) {
                    (Some(a), Some(c)) => *t.cost.entry(c.clone()).or_default() += a,
                    _ => t.runs_without_cost += 1,
                }
            }
        }
        Ok(acc
            .into_iter()
            .map(|m| {
                let mut v: Vec<RunTotals> = m.into_values().collect();
                v.sort_by(|a, b| a.group.cmp(&b.group));
                v
            })
            .collect())
    }

    fn audit(&self) -> Result<Vec<AuditEntry>> {
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT seq, at, actor, action, detail, prev_hash, hash FROM audit ORDER BY seq",
            )
            .map_err(|e| self.map_err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                ))
            })
            .map_err(|e| self.map_err(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.map_err(e))?;
        rows.into_iter()
            .map(|(seq, at, actor, action, detail, prev_hash, hash)| {
                Ok(AuditEntry {
                    seq,
                    at: parse_ts(&at)?,
                    actor,
                    action,
                    detail: serde_json::from_str(&detail)
                        .map_err(|e| LedgerError::Corrupt(format!("audit {seq}: {e}")))?,
                    prev_hash,
                    hash,
                })
            })
            .collect()
    }

    fn verify_audit(&self) -> Result<u64> {
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT seq, at, actor, action, detail, prev_hash, hash FROM audit ORDER BY seq",
            )
            .map_err(|e| self.map_err(e))?;
        let mut rows = stmt.query([]).map_err(|e| self.map_err(e))?;
        let mut prev = GENESIS.to_string();
        let mut n = 0u64;
        while let Some(r) = rows.next().map_err(|e| self.map_err(e))? {
            let seq: i64 = r.get(0)?;
            let (at, actor, action, detail, prev_hash, hash): (
                String,
                String,
                String,
                String,
                String,
                String,
            ) = (
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            );
            if prev_hash != prev || chain_hash(&prev, &at, &actor, &action, &detail) != hash {
                return Err(LedgerError::Corrupt(format!(
                    "the audit log is broken at entry {seq}: its hash does not follow from the entries before it"
                )));
            }
            prev = hash;
            n += 1;
        }
        Ok(n)
    }
}
