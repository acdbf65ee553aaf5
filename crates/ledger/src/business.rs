//! Products, usage, cost lines, their hash-chained audit log, and the run totals that accounts
//! are made of. Every change to a business record appends an audit entry in the same
//! transaction; [`Business::verify_audit`] recomputes the chain.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};
use sustain_core::business::{
    AuditEntry, CostLine, Direction, Goal, IndexWeight, Indicator, Product, SavedScenario, Target,
    Usage,
};

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
    /// By site, kind, product, model and hour of the start together: the key is those five
    /// joined by tabs (`(none)` for a missing product or model; the hour as `YYYY-MM-DDTHH`).
    /// The cells that scenarios transform.
    Cell,
    /// By product and kind together: the key is the two joined by a tab (`(none)` for a
    /// missing product).
    ProductKind,
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
    /// Embodied carbon of the runs whose end recorded one, grams.
    pub embodied_g: f64,
    /// Runs with an embodied figure (older runs have none: unknown, not zero).
    pub embodied_runs: u64,
}

/// Usage of one product in one currency over a period.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
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

/// A run's latest end with what it produced, for the social account and the model sheets.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RunOutcome {
    /// Run id.
    pub run_id: String,
    /// Run name (the task, for train and eval runs).
    pub name: String,
    /// Kind (`train`, `eval`, ...).
    pub kind: String,
    /// Start.
    pub started_at: DateTime<Utc>,
    /// Site id.
    pub site_id: String,
    /// Status of the latest end.
    pub status: String,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// What the run produced (metrics, fairness, model path and hash).
    pub outcomes: serde_json::Value,
    /// IT energy, joules.
    pub it_j: f64,
    /// Of it, measured by hardware counters, joules.
    pub measured_j: f64,
    /// Facility energy, joules.
    pub facility_j: f64,
    /// Location-based carbon, grams.
    pub co2e_location_g: f64,
    /// Market-based carbon, grams, where the site has a contractual factor.
    pub co2e_market_g: Option<f64>,
    /// Water, litres.
    pub water_l: f64,
    /// Wall-clock seconds.
    pub duration_s: f64,
    /// The site's grid carbon intensity at the time, g/kWh.
    pub grid_g_per_kwh: Option<f64>,
    /// The site's name (its region) and PUE, from the run's snapshot.
    pub site_name: String,
    /// The PUE used.
    pub pue: Option<f64>,
    /// Hardware the host reported (CPU model, GPU names), for the sheets.
    pub hardware: String,
    /// Embodied carbon, grams (none when the run recorded none).
    pub embodied_g: Option<f64>,
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
    /// Appends a social indicator.
    fn add_indicator(&self, i: &Indicator, actor: &str) -> Result<()>;
    /// Indicators on days in `[from, to)`, in order.
    fn indicators(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<Indicator>>;
    /// Sets (supersedes) an indicator's weight in the social index.
    fn set_index_weight(&self, w: &IndexWeight, actor: &str) -> Result<()>;
    /// The current weights (latest per indicator, weight 0 included), by indicator.
    fn index_weights(&self) -> Result<Vec<IndexWeight>>;
    /// Saves (supersedes) a scenario under its name.
    fn save_scenario(&self, s: &SavedScenario, actor: &str) -> Result<()>;
    /// The saved scenarios (latest per name), by name.
    fn scenarios(&self) -> Result<Vec<SavedScenario>>;
    /// Ended runs of `kinds` in the period and scope of `q` (its grouping ignored), with their
    /// outcomes, by start.
    fn run_outcomes(&self, q: &TotalsQuery, kinds: &[&str]) -> Result<Vec<RunOutcome>>;
    /// The runs in the period and scope of `q` whose latest end recorded fairness
    /// (`outcomes.fairness`), by start; read through a partial index, not every evaluation.
    fn fairness_runs(&self, q: &TotalsQuery) -> Result<Vec<RunOutcome>>;
    /// The models trained in the period and scope of `q` (training runs with a `model` tag):
    /// per model, its training runs, their location-based carbon, and its latest succeeded
    /// training run with outcomes.
    fn trained_models(&self, q: &TotalsQuery) -> Result<Vec<TrainedModel>>;
}

/// A model's training in a period: see [`Business::trained_models`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TrainedModel {
    /// The `model` tag.
    pub model: String,
    /// Training runs (any status).
    pub runs: u64,
    /// Their location-based carbon, g.
    pub co2e_location_g: f64,
    /// The latest succeeded one, if any.
    pub latest: Option<RunOutcome>,
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
                        cost_amount, cost_currency, duration_s, embodied_g
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
            let embodied: Option<f64> = r.get(18)?;
            for (g, map) in groups.iter().zip(acc.iter_mut()) {
                let none = || "(none)".to_string();
                let key = match g {
                    Group::All => "all".to_string(),
                    Group::Site => site.clone().unwrap_or_else(none),
                    Group::Kind => kind.clone().unwrap_or_else(none),
                    Group::Month => started.get(..7).unwrap_or("").to_string(),
                    Group::Day => started.get(..10).unwrap_or("").to_string(),
                    Group::Cell => format!(
                        "{}\t{}\t{}\t{}\t{}",
                        site.as_deref().unwrap_or("(none)"),
                        kind.as_deref().unwrap_or("(none)"),
                        product.as_deref().unwrap_or("(none)"),
                        model.as_deref().unwrap_or("(none)"),
                        started.get(..13).unwrap_or("")
                    ),
                    Group::ProductKind => format!(
                        "{}\t{}",
                        product.as_deref().unwrap_or("(none)"),
                        kind.as_deref().unwrap_or("(none)")
                    ),
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
                if let Some(m) = embodied {
                    t.embodied_g += m;
                    t.embodied_runs += 1;
                }
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

    fn add_indicator(&self, i: &Indicator, actor: &str) -> Result<()> {
        i.validate()
            .map_err(|e| LedgerError::Invalid(e.to_string()))?;
        let detail = serde_json::to_value(i).unwrap_or_default();
        self.write(|tx| {
            tx.execute(
                "INSERT INTO indicators (name, day, scope, value, unit, description, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    i.name,
                    day(&i.day),
                    i.scope,
                    i.value,
                    i.unit,
                    i.description,
                    ts(&i.recorded_at)
                ],
            )?;
            audit_in(tx, actor, "indicator.add", &detail)
        })
    }

    fn indicators(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<Indicator>> {
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT name, day, scope, value, unit, description, recorded_at FROM indicators
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
                    r.get::<_, String>(6)?,
                ))
            })
            .map_err(|e| self.map_err(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.map_err(e))?;
        rows.into_iter()
            .map(|(name, d, scope, value, unit, description, at)| {
                Ok(Indicator {
                    name,
                    day: parse_day(&d)?,
                    scope,
                    value,
                    unit,
                    description,
                    recorded_at: parse_ts(&at)?,
                })
            })
            .collect()
    }

    fn set_index_weight(&self, w: &IndexWeight, actor: &str) -> Result<()> {
        w.validate()
            .map_err(|e| LedgerError::Invalid(e.to_string()))?;
        let detail = serde_json::to_value(w).unwrap_or_default();
        self.write(|tx| {
            tx.execute(
                "INSERT INTO index_weights (indicator, weight, direction, reference, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    w.indicator,
                    w.weight,
                    w.direction.as_str(),
                    w.reference,
                    ts(&w.recorded_at)
                ],
            )?;
            audit_in(tx, actor, "index.weight", &detail)
        })
    }

    fn index_weights(&self) -> Result<Vec<IndexWeight>> {
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT indicator, weight, direction, reference, recorded_at FROM index_weights w
                 WHERE seq = (SELECT max(seq) FROM index_weights x WHERE x.indicator = w.indicator)
                 ORDER BY indicator",
            )
            .map_err(|e| self.map_err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, f64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, f64>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })
            .map_err(|e| self.map_err(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.map_err(e))?;
        rows.into_iter()
            .map(|(indicator, weight, direction, reference, at)| {
                Ok(IndexWeight {
                    indicator,
                    weight,
                    direction: Direction::parse(&direction)
                        .map_err(|e| LedgerError::Corrupt(e.to_string()))?,
                    reference,
                    recorded_at: parse_ts(&at)?,
                })
            })
            .collect()
    }

    fn save_scenario(&self, sc: &SavedScenario, actor: &str) -> Result<()> {
        sustain_core::business::check_name("scenario", &sc.name)
            .map_err(|e| LedgerError::Invalid(e.to_string()))?;
        let digest: String = Sha256::digest(sc.body.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let detail = serde_json::json!({"name": sc.name, "sha256": digest});
        self.write(|tx| {
            tx.execute(
                "INSERT INTO scenarios (name, body, recorded_at) VALUES (?1, ?2, ?3)",
                params![sc.name, sc.body, ts(&sc.recorded_at)],
            )?;
            audit_in(tx, actor, "scenario.save", &detail)
        })
    }

    fn scenarios(&self) -> Result<Vec<SavedScenario>> {
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT name, body, recorded_at FROM scenarios s
                 WHERE seq = (SELECT max(seq) FROM scenarios x WHERE x.name = s.name)
                 ORDER BY name",
            )
            .map_err(|e| self.map_err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(|e| self.map_err(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.map_err(e))?;
        rows.into_iter()
            .map(|(name, body, at)| {
                Ok(SavedScenario {
                    name,
                    body,
                    recorded_at: parse_ts(&at)?,
                })
            })
            .collect()
    }

    fn run_outcomes(&self, q: &TotalsQuery, kinds: &[&str]) -> Result<Vec<RunOutcome>> {
        let kinds_json = serde_json::to_string(kinds).unwrap_or_else(|_| "[]".into());
        self.outcomes_where(
            q,
            "FROM run_facts f
             JOIN runs r ON r.id = f.run_id
             JOIN run_ends e ON e.seq = (SELECT max(seq) FROM run_ends x WHERE x.run_id = f.run_id)
             WHERE f.started_at >= ?1 AND f.started_at < ?2
               AND f.kind IN (SELECT value FROM json_each(?7))",
            &kinds_json,
        )
    }

    fn fairness_runs(&self, q: &TotalsQuery) -> Result<Vec<RunOutcome>> {
        // The partial index holds only ends with fairness, and is the outer loop (CROSS JOIN
        // keeps SQLite from walking the period's rollup instead); the latest end of each run
        // must be one of them, and the run must fall in the period and scope.
        self.outcomes_where(
            q,
            "FROM run_ends e INDEXED BY run_ends_fairness
             CROSS JOIN runs r ON r.id = e.run_id
             CROSS JOIN run_facts f ON f.started_at = r.started_at AND f.run_id = r.id
             WHERE json_type(e.outcomes, '$.fairness') = 'object'
               AND e.seq = (SELECT max(seq) FROM run_ends x WHERE x.run_id = e.run_id)
               AND f.started_at >= ?1 AND f.started_at < ?2 AND ?7 = ?7",
            "",
        )
    }

    fn trained_models(&self, q: &TotalsQuery) -> Result<Vec<TrainedModel>> {
        if let Some((k, _)) = &q.tag {
            check_tag_key(k)?;
        }
        let (tag_key, tag_value) = match &q.tag {
            Some((k, v)) => (Some(k.as_str()), Some(v.as_str())),
            None => (None, None),
        };
        // One pass over the period's rollup, newest first, without joins.
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT f.run_id, f.model, f.co2e_location_g FROM run_facts f
                 WHERE f.started_at >= ?1 AND f.started_at < ?2
                   AND f.kind = 'train' AND f.model IS NOT NULL
                   AND (?3 IS NULL OR (CASE ?3 WHEN 'product' THEN f.product WHEN 'model' THEN f.model
                        WHEN 'team' THEN f.team ELSE json_extract(f.tags, '$.\"' || ?3 || '\"') END) = ?4)
                   AND (?5 IS NULL OR f.site_id = ?5)
                   AND (?6 IS NULL OR f.kind = ?6)
                 ORDER BY f.started_at DESC, f.run_id DESC",
            )
            .map_err(|e| self.map_err(e))?;
        let rows = stmt
            .query_map(
                params![ts(&q.from), ts(&q.to), tag_key, tag_value, q.site, q.kind],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, f64>(2)?,
                    ))
                },
            )
            .map_err(|e| self.map_err(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.map_err(e))?;
        let mut models: BTreeMap<String, (TrainedModel, Vec<String>)> = BTreeMap::new();
        for (run_id, model, g) in rows {
            let (m, ids) = models.entry(model.clone()).or_insert_with(|| {
                (
                    TrainedModel {
                        model,
                        runs: 0,
                        co2e_location_g: 0.0,
                        latest: None,
                    },
                    Vec::new(),
                )
            });
            m.runs += 1;
            m.co2e_location_g += g;
            ids.push(run_id);
        }
        // The latest succeeded run of each model: its runs newest first, until one succeeded.
        let mut status = self
            .conn()
            .prepare_cached(
                "SELECT status FROM run_ends WHERE run_id = ?1 ORDER BY seq DESC LIMIT 1",
            )
            .map_err(|e| self.map_err(e))?;
        let mut out = Vec::with_capacity(models.len());
        for (_, (mut m, ids)) in models {
            for id in ids {
                let st: String = status
                    .query_row([&id], |r| r.get(0))
                    .map_err(|e| self.map_err(e))?;
                if st == "succeeded" {
                    m.latest = self
                        .outcomes_where(
                            &TotalsQuery {
                                from: q.from,
                                to: q.to,
                                tag: None,
                                site: None,
                                kind: None,
                                group: Group::All,
                            },
                            "FROM runs r
                             JOIN run_facts f ON f.started_at = r.started_at AND f.run_id = r.id
                             JOIN run_ends e ON e.seq = (SELECT max(seq) FROM run_ends x WHERE x.run_id = r.id)
                             WHERE r.id = ?7 AND ?1 = ?1 AND ?2 = ?2",
                            &id,
                        )?
                        .pop();
                    break;
                }
            }
            out.push(m);
        }
        Ok(out)
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

impl SqliteLedger {
    /// Run outcomes from `from_where` (the FROM and WHERE clauses, binding `?1`/`?2` to the
    /// period and `?7` to `extra`; aliases `f` run_facts, `r` runs, `e` the latest end), filtered
    /// by the scope of `q`, by start.
    fn outcomes_where(
        &self,
        q: &TotalsQuery,
        from_where: &str,
        extra: &str,
    ) -> Result<Vec<RunOutcome>> {
        if let Some((k, _)) = &q.tag {
            check_tag_key(k)?;
        }
        let sql = format!(
            "SELECT f.run_id, r.name, f.kind, f.started_at, f.site_id, e.status, f.tags,
                    e.outcomes, f.cpu_j + f.gpu_j + f.ram_j, f.measured_j, f.facility_j,
                    f.co2e_location_g, f.co2e_market_g, f.water_l, f.duration_s,
                    json_extract(r.site, '$.intensity_g_per_kwh'),
                    coalesce(json_extract(r.site, '$.name'), f.site_id),
                    json_extract(r.site, '$.pue'),
                    coalesce(json_extract(r.host, '$.cpu_model'), ''), f.embodied_g
             {from_where}
               AND (?3 IS NULL OR (CASE ?3 WHEN 'product' THEN f.product WHEN 'model' THEN f.model
                    WHEN 'team' THEN f.team ELSE json_extract(f.tags, '$.\"' || ?3 || '\"') END) = ?4)
               AND (?5 IS NULL OR f.site_id = ?5)
               AND (?6 IS NULL OR f.kind = ?6)
             ORDER BY f.started_at, f.run_id"
        );
        let mut stmt = self
            .conn()
            .prepare_cached(&sql)
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
                q.kind,
                extra
            ])
            .map_err(|e| self.map_err(e))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(|e| self.map_err(e))? {
            let started: String = r.get(3)?;
            let tags: String = r.get(6)?;
            let outcomes: String = r.get(7)?;
            let tags: BTreeMap<String, serde_json::Value> = serde_json::from_str(&tags)
                .map_err(|e| LedgerError::Corrupt(format!("tags: {e}")))?;
            out.push(RunOutcome {
                run_id: r.get(0)?,
                name: r.get(1)?,
                kind: r.get(2)?,
                started_at: parse_ts(&started)?,
                site_id: r.get(4)?,
                status: r.get(5)?,
                tags: tags
                    .into_iter()
                    .map(|(k, v)| {
                        let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                        (k, v)
                    })
                    .collect(),
                outcomes: serde_json::from_str(&outcomes)
                    .map_err(|e| LedgerError::Corrupt(format!("outcomes: {e}")))?,
                it_j: r.get(8)?,
                measured_j: r.get(9)?,
                facility_j: r.get(10)?,
                co2e_location_g: r.get(11)?,
                co2e_market_g: r.get(12)?,
                water_l: r.get(13)?,
                duration_s: r.get(14)?,
                grid_g_per_kwh: r.get(15)?,
                site_name: r.get(16)?,
                pue: r.get(17)?,
                hardware: r.get(18)?,
                embodied_g: r.get(19)?,
            });
        }
        Ok(out)
    }
}
