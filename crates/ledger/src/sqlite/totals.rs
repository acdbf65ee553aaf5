//! The run totals that accounts are made of, read from the `run_facts` rollup: one
//! sequential range of a period, aggregated in one pass into every grouping at once; the runs
//! with their outcomes for the social account and the model sheets; the models trained in a
//! period. Only runs whose figures are within their bounds are read (`plausible`).

use std::collections::{BTreeMap, HashMap};

use rusqlite::params;

use super::filters::{FACTS, FACTS_WITHIN, checks, row_within};
use super::scope::{SCOPE_SQL, tag_filter};
use super::{SqliteLedger, check_tag_key, parse_ts, ts_bound};
use crate::business::{Group, RunOutcome, RunTotals, TotalsQuery, TrainedModel};
use crate::error::{LedgerError, Result};

/// The key of a run's (or a scheduled job's) group.
pub(super) fn group_key(
    g: &Group,
    started: &str,
    [site, kind, product, model, team]: &[Option<String>; 5],
    tags: Option<&serde_json::Value>,
) -> String {
    let none = || "(none)".to_string();
    let or_none = |v: &Option<String>| v.as_deref().unwrap_or("(none)").to_string();
    match g {
        Group::All => "all".to_string(),
        Group::Site => or_none(site),
        Group::Kind => or_none(kind),
        Group::Month => started.get(..7).unwrap_or("").to_string(),
        Group::Day => started.get(..10).unwrap_or("").to_string(),
        Group::Cell => format!(
            "{}\t{}\t{}\t{}\t{}",
            or_none(site),
            or_none(kind),
            or_none(product),
            or_none(model),
            started.get(..13).unwrap_or("")
        ),
        Group::ProductKind => format!("{}\t{}", or_none(product), or_none(kind)),
        Group::Tag(k) => match k.as_str() {
            "product" => or_none(product),
            "model" => or_none(model),
            "team" => or_none(team),
            other => tags
                .and_then(|t| t.get(other))
                .and_then(|v| v.as_str())
                .map_or_else(none, str::to_string),
        },
    }
}

/// The figures of one rollup row.
struct Fact {
    cpu: f64,
    gpu: f64,
    ram: f64,
    measured: f64,
    facility: f64,
    location: f64,
    market: Option<f64>,
    water: f64,
    cost: Option<f64>,
    currency: Option<String>,
    duration: f64,
    embodied: Option<f64>,
}

impl RunTotals {
    fn add(&mut self, f: &Fact) {
        self.runs += 1;
        self.cpu_j += f.cpu;
        self.gpu_j += f.gpu;
        self.ram_j += f.ram;
        self.measured_j += f.measured;
        self.facility_j += f.facility;
        self.co2e_location_g += f.location;
        if let Some(m) = f.market {
            self.co2e_market_g += m;
            self.market_runs += 1;
        }
        self.water_l += f.water;
        self.duration_s += f.duration;
        if let Some(m) = f.embodied {
            self.embodied_g += m;
            self.embodied_runs += 1;
        }
        match (f.cost, &f.currency) {
            (Some(a), Some(c)) => *self.cost.entry(c.clone()).or_default() += a,
            _ => self.runs_without_cost += 1,
        }
    }
}

/// The rollup's columns the totals read, in the order of the `Fact` they fill.
const TOTALS_COLUMNS: [&str; 19] = [
    "started_at",
    "site_id",
    "kind",
    "product",
    "model",
    "team",
    "tags",
    "cpu_j",
    "gpu_j",
    "ram_j",
    "measured_j",
    "facility_j",
    "co2e_location_g",
    "co2e_market_g",
    "water_l",
    "cost_amount",
    "cost_currency",
    "duration_s",
    "embodied_g",
];

impl SqliteLedger {
    /// See [`crate::Business::run_totals_by`].
    pub(super) fn run_totals_in(
        &self,
        q: &TotalsQuery,
        groups: &[Group],
    ) -> Result<Vec<Vec<RunTotals>>> {
        for g in groups {
            if let Group::Tag(k) = g {
                check_tag_key(k)?;
            }
        }
        let needs_tags = groups.iter().any(
            |g| matches!(g, Group::Tag(k) if !matches!(k.as_str(), "product" | "model" | "team")),
        );
        // One sequential range of the rollup (clustered by start), aggregated here: every
        // grouping in one pass, with hash maps rather than SQLite's sort-based GROUP BY.
        // Rows outside their plausible bounds are skipped here, in Rust, as each row is read
        // (`filters::row_within`, the same figures and bounds as the SQL filter): twenty
        // comparisons per row in SQL slowed the quarterly report by a third.
        let sql = format!(
            "SELECT {} FROM run_facts f
             WHERE f.started_at >= ?1 AND f.started_at < ?2 AND {SCOPE_SQL}",
            TOTALS_COLUMNS.map(|c| format!("f.{c}")).join(", ")
        );
        let checks = checks(&TOTALS_COLUMNS, FACTS);
        let mut left_out = 0u64;
        let mut acc: Vec<HashMap<String, RunTotals>> =
            groups.iter().map(|_| HashMap::new()).collect();
        self.each(&sql, super::scope::scope_params(q)?, |r| {
            if !row_within(r, &checks) {
                left_out += 1;
                return Ok(());
            }
            let started: String = r.get(0)?;
            let keys: [Option<String>; 5] = [r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?];
            let tags: Option<serde_json::Value> = if needs_tags {
                serde_json::from_str(&r.get::<_, String>(6)?).ok()
            } else {
                None
            };
            let fact = Fact {
                cpu: r.get(7)?,
                gpu: r.get(8)?,
                ram: r.get(9)?,
                measured: r.get(10)?,
                facility: r.get(11)?,
                location: r.get(12)?,
                market: r.get(13)?,
                water: r.get(14)?,
                cost: r.get(15)?,
                currency: r.get(16)?,
                duration: r.get(17)?,
                embodied: r.get(18)?,
            };
            for (g, map) in groups.iter().zip(acc.iter_mut()) {
                let key = group_key(g, &started, &keys, tags.as_ref());
                map.entry(key.clone())
                    .or_insert_with(|| RunTotals {
                        group: key,
                        ..Default::default()
                    })
                    .add(&fact);
            }
            Ok(())
        })?;
        self.note_totals(q, left_out);
        Ok(acc
            .into_iter()
            .map(|m| {
                let mut v: Vec<RunTotals> = m.into_values().collect();
                v.sort_by(|a, b| a.group.cmp(&b.group));
                v
            })
            .collect())
    }

    /// See [`crate::Business::run_outcomes`].
    pub(super) fn run_outcomes_in(
        &self,
        q: &TotalsQuery,
        kinds: &[&str],
    ) -> Result<Vec<RunOutcome>> {
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

    /// See [`crate::Business::fairness_runs`].
    pub(super) fn fairness_runs_in(&self, q: &TotalsQuery) -> Result<Vec<RunOutcome>> {
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

    /// See [`crate::Business::trained_models`].
    pub(super) fn trained_models_in(&self, q: &TotalsQuery) -> Result<Vec<TrainedModel>> {
        // One pass over the period's rollup, newest first, without joins.
        let rows = self.rows(
            &format!(
                "SELECT f.run_id, f.model, f.co2e_location_g FROM run_facts f
                 WHERE f.started_at >= ?1 AND f.started_at < ?2
                   AND f.kind = 'train' AND f.model IS NOT NULL AND {SCOPE_SQL} AND {}
                 ORDER BY f.started_at DESC, f.run_id DESC",
                *FACTS_WITHIN
            ),
            super::scope::scope_params(q)?,
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, f64>(2)?,
                ))
            },
        )?;
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
        let mut out = Vec::with_capacity(models.len());
        for (_, (mut m, ids)) in models {
            for id in ids {
                let st: String = self.row(
                    "SELECT status FROM run_ends WHERE run_id = ?1 ORDER BY seq DESC LIMIT 1",
                    [&id],
                    |r| r.get(0),
                )?;
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

    /// Run outcomes from `from_where` (the FROM and WHERE clauses, binding `?1`/`?2` to the
    /// period and `?7` to `extra`; aliases `f` run_facts, `r` runs, `e` the latest end), filtered
    /// by the scope of `q` and the bounds, by start.
    fn outcomes_where(
        &self,
        q: &TotalsQuery,
        from_where: &str,
        extra: &str,
    ) -> Result<Vec<RunOutcome>> {
        let (tag_key, tag_value) = tag_filter(q)?;
        let sql = format!(
            "SELECT f.run_id, r.name, f.kind, f.started_at, f.site_id, e.status, f.tags,
                    e.outcomes, f.cpu_j + f.gpu_j + f.ram_j, f.measured_j, f.facility_j,
                    f.co2e_location_g, f.co2e_market_g, f.water_l, f.duration_s,
                    json_extract(r.site, '$.intensity_g_per_kwh'),
                    coalesce(json_extract(r.site, '$.name'), f.site_id),
                    json_extract(r.site, '$.pue'),
                    coalesce(json_extract(r.host, '$.cpu_model'), ''), f.embodied_g
             {from_where}
               AND {SCOPE_SQL} AND {}
             ORDER BY f.started_at, f.run_id",
            *FACTS_WITHIN
        );
        let mut out = Vec::new();
        self.each(
            &sql,
            params![
                ts_bound(&q.from),
                ts_bound(&q.to),
                tag_key,
                tag_value,
                q.site,
                q.kind,
                extra
            ],
            |r| {
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
                Ok(())
            },
        )?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_totals_read_every_figure_they_check() {
        let checks = checks(&TOTALS_COLUMNS, FACTS);
        assert_eq!(
            checks.len(),
            FACTS.len(),
            "a figure of FACTS is not selected"
        );
    }
}
