//! Read views for `sustain serve`: the model versions that training runs produced (a run's
//! outcomes carry the SHA-256 of the weights and of the dataset) and the dataset versions they
//! were trained on, read through a partial index of the ends that name a model (migration 0008),
//! so a ledger of millions of runs answers from its few training runs; the totals behind the
//! Prometheus metrics; and the ledger's revision, which tells caches when to recompute.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::Result;
use crate::sqlite::{ENDS_WITHIN, FACTS_WITHIN, SqliteLedger, parse_ts, ts_bound};

/// A model version: the weights one training run wrote.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ModelVersion {
    /// SHA-256 of the weights.
    pub sha256: String,
    /// The training run.
    pub run_id: String,
    /// The run's name (the task, such as `tabular-mlp`).
    pub name: String,
    /// When training started.
    pub trained_at: DateTime<Utc>,
    /// Where the weights were written.
    pub path: Option<String>,
    /// SHA-256 of the training data.
    pub dataset_sha256: Option<String>,
    /// Metrics as the run recorded them (`{"test": {"accuracy": ...}}`).
    pub metrics: serde_json::Value,
    /// Site of the run.
    pub site: String,
    /// Facility energy of the training, Wh.
    pub energy_wh: f64,
    /// Location-based carbon of the training, g.
    pub co2e_location_g: f64,
}

/// A dataset version: data that models were trained on, by content hash.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DatasetVersion {
    /// SHA-256 of the data.
    pub sha256: String,
    /// Training runs that used it.
    pub runs: u64,
    /// Names of those runs (tasks), sorted, without repeats.
    pub names: Vec<String>,
    /// First training on it.
    pub first_used: DateTime<Utc>,
    /// Latest training on it.
    pub last_used: DateTime<Utc>,
    /// Location-based carbon of the trainings on it, g.
    pub co2e_location_g: f64,
}

/// Totals of the ended runs of one site, kind and product (and one cost currency).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ScopeTotals {
    /// Site id.
    pub site: String,
    /// Run kind.
    pub kind: String,
    /// The runs' `product` tag (empty without one).
    pub product: String,
    /// Runs.
    pub runs: u64,
    /// CPU energy, J.
    pub cpu_j: f64,
    /// GPU energy, J.
    pub gpu_j: f64,
    /// Memory energy, J.
    pub ram_j: f64,
    /// Facility energy, J.
    pub facility_j: f64,
    /// Location-based carbon, g.
    pub co2e_location_g: f64,
    /// Market-based carbon of the runs that have one, g.
    pub co2e_market_g: f64,
    /// Embodied carbon of the runs that recorded one, g.
    pub embodied_g: f64,
    /// Water, L.
    pub water_l: f64,
    /// Wall-clock seconds.
    pub duration_s: f64,
    /// Cost of the runs with a cost in `currency`.
    pub cost: f64,
    /// Currency of `cost` (empty for the runs without a cost).
    pub currency: String,
}

/// Totals of the ended runs started in a period, for headline figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PeriodTotals {
    /// Runs.
    pub runs: u64,
    /// Facility energy, J.
    pub facility_j: f64,
    /// Location-based carbon, g.
    pub co2e_location_g: f64,
    /// Water, L.
    pub water_l: f64,
    /// Embodied carbon of the runs that recorded one, g (none when none did).
    pub embodied_g: Option<f64>,
    /// Cost of the runs, by currency.
    pub cost: std::collections::BTreeMap<String, f64>,
}

/// Read views of a ledger for the server.
pub trait Views {
    /// Headline totals of the ended runs started in `[from, to)` (latest ends), summed by
    /// SQLite over the period's range of the rollup: the overview's fast path, equal to the
    /// `Group::All` totals of `Business::run_totals`.
    fn period_totals(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<PeriodTotals>;
    /// Model versions, newest first, at most `limit`.
    fn models(&self, limit: usize) -> Result<Vec<ModelVersion>>;
    /// Dataset versions that models were trained on, most recently used first.
    fn datasets(&self) -> Result<Vec<DatasetVersion>>;
    /// All-time totals of ended runs by site, kind, product and cost currency (latest ends).
    fn scope_totals(&self) -> Result<Vec<ScopeTotals>>;
}

impl Views for SqliteLedger {
    fn period_totals(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<PeriodTotals> {
        // One pass without GROUP BY (a sort of every row): runs' costs are nearly always in one
        // currency, which min = max reveals; several currencies take a second, grouped pass.
        // Runs with a figure outside its bound are left out (`Business::invalid_records`).
        let (from, to) = (ts_bound(&from), ts_bound(&to));
        let (mut t, lo, hi, amount) = self.row(
            &format!(
                "SELECT count(*), coalesce(sum(f.facility_j), 0), coalesce(sum(f.co2e_location_g), 0),
                        coalesce(sum(f.water_l), 0), min(f.cost_currency), max(f.cost_currency),
                        coalesce(sum(f.cost_amount), 0), sum(f.embodied_g)
                 FROM run_facts f WHERE f.started_at >= ?1 AND f.started_at < ?2 AND {}",
                *FACTS_WITHIN
            ),
            rusqlite::params![from, to],
            |r| {
                Ok((
                    PeriodTotals {
                        runs: r.get::<_, i64>(0)?.max(0) as u64,
                        facility_j: r.get(1)?,
                        co2e_location_g: r.get(2)?,
                        water_l: r.get(3)?,
                        embodied_g: r.get(7)?,
                        cost: Default::default(),
                    },
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, f64>(6)?,
                ))
            },
        )?;
        match (lo, hi) {
            (Some(lo), Some(hi)) if lo == hi => {
                t.cost.insert(lo, amount);
            }
            (Some(_), Some(_)) => {
                let rows = self.rows(
                    &format!(
                        "SELECT f.cost_currency, sum(f.cost_amount) FROM run_facts f
                         WHERE f.started_at >= ?1 AND f.started_at < ?2
                           AND f.cost_currency IS NOT NULL AND {}
                         GROUP BY f.cost_currency",
                        *FACTS_WITHIN
                    ),
                    rusqlite::params![from, to],
                    |r| Ok((r.get::<_, String>(0)?, r.get::<_, f64>(1)?)),
                )?;
                t.cost.extend(rows);
            }
            _ => {}
        }
        Ok(t)
    }

    fn models(&self, limit: usize) -> Result<Vec<ModelVersion>> {
        // Only the latest end of each run counts (a later end supersedes).
        let rows = self.rows(
            &format!(
                "SELECT json_extract(e.outcomes, '$.model_sha256'), r.id, r.name, r.started_at,
                        json_extract(e.outcomes, '$.model_path'),
                        json_extract(e.outcomes, '$.dataset_sha256'),
                        json_extract(e.outcomes, '$.metrics'), r.site_id, e.facility_j,
                        e.co2e_location_g
                 FROM run_ends e JOIN runs r ON r.id = e.run_id
                 WHERE json_extract(e.outcomes, '$.model_sha256') IS NOT NULL
                   AND e.seq = (SELECT max(seq) FROM run_ends x WHERE x.run_id = e.run_id)
                   AND {}
                 ORDER BY r.started_at DESC, r.id DESC
                 LIMIT ?1",
                *ENDS_WITHIN
            ),
            [i64::try_from(limit).unwrap_or(i64::MAX)],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, f64>(8)?,
                    r.get::<_, f64>(9)?,
                ))
            },
        )?;
        rows.into_iter()
            .map(
                |(sha256, run_id, name, at, path, dataset, metrics, site, facility_j, g)| {
                    Ok(ModelVersion {
                        sha256,
                        run_id,
                        name,
                        trained_at: parse_ts(&at)?,
                        path,
                        dataset_sha256: dataset,
                        metrics: metrics
                            .and_then(|m| serde_json::from_str(&m).ok())
                            .unwrap_or(serde_json::Value::Null),
                        site,
                        energy_wh: facility_j / 3600.0,
                        co2e_location_g: g,
                    })
                },
            )
            .collect()
    }

    fn datasets(&self) -> Result<Vec<DatasetVersion>> {
        let rows = self.rows(
            &format!(
                "SELECT json_extract(e.outcomes, '$.dataset_sha256') AS d, count(*),
                        group_concat(DISTINCT r.name), min(r.started_at), max(r.started_at),
                        sum(e.co2e_location_g)
                 FROM run_ends e JOIN runs r ON r.id = e.run_id
                 WHERE json_extract(e.outcomes, '$.model_sha256') IS NOT NULL
                   AND json_extract(e.outcomes, '$.dataset_sha256') IS NOT NULL
                   AND e.seq = (SELECT max(seq) FROM run_ends x WHERE x.run_id = e.run_id)
                   AND {}
                 GROUP BY d ORDER BY max(r.started_at) DESC",
                *ENDS_WITHIN
            ),
            [],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, f64>(5)?,
                ))
            },
        )?;
        rows.into_iter()
            .map(|(sha256, runs, names, first, last, g)| {
                let mut names: Vec<String> = names.split(',').map(str::to_string).collect();
                names.sort();
                names.dedup();
                Ok(DatasetVersion {
                    sha256,
                    runs: runs.max(0) as u64,
                    names,
                    first_used: parse_ts(&first)?,
                    last_used: parse_ts(&last)?,
                    co2e_location_g: g,
                })
            })
            .collect()
    }

    fn scope_totals(&self) -> Result<Vec<ScopeTotals>> {
        self.rows(
            &format!(
                "SELECT f.site_id, f.kind, coalesce(f.product, ''), count(*), sum(f.cpu_j),
                        sum(f.gpu_j), sum(f.ram_j), sum(f.facility_j), sum(f.co2e_location_g),
                        coalesce(sum(f.co2e_market_g), 0), sum(f.water_l), sum(f.duration_s),
                        coalesce(sum(f.cost_amount), 0), coalesce(f.cost_currency, ''),
                        coalesce(sum(f.embodied_g), 0)
                 FROM run_facts f
                 WHERE {}
                 GROUP BY f.site_id, f.kind, f.product, f.cost_currency
                 ORDER BY f.site_id, f.kind, f.product, f.cost_currency",
                *FACTS_WITHIN
            ),
            [],
            |r| {
                Ok(ScopeTotals {
                    site: r.get(0)?,
                    kind: r.get(1)?,
                    product: r.get(2)?,
                    runs: r.get::<_, i64>(3)?.max(0) as u64,
                    cpu_j: r.get(4)?,
                    gpu_j: r.get(5)?,
                    ram_j: r.get(6)?,
                    facility_j: r.get(7)?,
                    co2e_location_g: r.get(8)?,
                    co2e_market_g: r.get(9)?,
                    water_l: r.get(10)?,
                    duration_s: r.get(11)?,
                    cost: r.get(12)?,
                    currency: r.get(13)?,
                    embodied_g: r.get(14)?,
                })
            },
        )
    }
}

/// Where a ledger stands: the latest run end and the latest audited change. Any record that
/// changes an account (a run's end, a product, usage, a cost line, a target, a token) moves one
/// of them, so a cache of computed accounts is valid while the revision is the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Revision {
    /// Sequence number of the latest run end.
    pub run_ends: i64,
    /// Sequence number of the latest audit entry.
    pub audit: i64,
}

impl SqliteLedger {
    /// The ledger's [`Revision`]: two primary-key lookups, cheap enough for every request.
    pub fn revision(&self) -> Result<Revision> {
        self.row(
            "SELECT coalesce((SELECT max(seq) FROM run_ends), 0),
                    coalesce((SELECT max(seq) FROM audit), 0)",
            [],
            |r| {
                Ok(Revision {
                    run_ends: r.get(0)?,
                    audit: r.get(1)?,
                })
            },
        )
    }
}
