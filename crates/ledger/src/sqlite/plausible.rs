//! What the read side leaves out: stored figures outside the plausible bounds of
//! `sustain_core::bounds`. Writes refuse such records, but a ledger written before the bounds
//! existed may hold them (a usage row clamped to `i64::MAX` requests, a run end of 1e308 J),
//! and one of them would make its period's sums overflow or turn infinite for good. So every
//! sum reads only rows [`within`] their bounds, the SQL filter built here from the same
//! constants the writes check, and [`Business::invalid_records`](crate::Business) lists the
//! rest with the figure at fault.

use std::sync::LazyLock;

use rusqlite::types::Value;
use sustain_core::bounds::{self, Bound};

use super::{SqliteLedger, day_bound, parse_day, ts_bound};
use crate::business::{InvalidRecord, RecordKind, TotalsQuery};
use crate::error::Result;

/// A stored figure and its bound.
pub(super) struct Figure {
    /// The column.
    pub column: &'static str,
    /// Its bound.
    pub bound: &'static Bound,
    /// Whether the column may be NULL (a figure that is unknown, not out of bounds).
    pub nullable: bool,
}

const fn fig(column: &'static str, bound: &'static Bound, nullable: bool) -> Figure {
    Figure {
        column,
        bound,
        nullable,
    }
}

/// The figures of a run's latest end in the rollup the accounts read (`run_facts`).
pub(super) const FACTS: &[Figure] = &[
    fig("cpu_j", &bounds::ENERGY_J, false),
    fig("gpu_j", &bounds::ENERGY_J, false),
    fig("ram_j", &bounds::ENERGY_J, false),
    fig("facility_j", &bounds::FACILITY_ENERGY_J, false),
    fig("co2e_location_g", &bounds::CO2E_G, false),
    fig("co2e_market_g", &bounds::CO2E_G, true),
    fig("water_l", &bounds::WATER_L, false),
    fig("cost_amount", &bounds::RUN_COST, true),
    fig("duration_s", &bounds::DURATION_S, false),
    fig("embodied_g", &bounds::EMBODIED_G, true),
];

/// The figures of a run end (`run_ends`), for the reads that sum ends directly.
pub(super) const ENDS: &[Figure] = &[
    fig("cpu_j", &bounds::ENERGY_J, false),
    fig("gpu_j", &bounds::ENERGY_J, false),
    fig("ram_j", &bounds::ENERGY_J, false),
    fig("facility_j", &bounds::FACILITY_ENERGY_J, false),
    fig("co2e_location_g", &bounds::CO2E_G, false),
    fig("co2e_market_g", &bounds::CO2E_G, true),
    fig("water_onsite_l", &bounds::WATER_L, false),
    fig("water_offsite_l", &bounds::WATER_L, true),
    fig("cost_amount", &bounds::RUN_COST, true),
    fig("duration_s", &bounds::DURATION_S, false),
    fig("embodied_g", &bounds::EMBODIED_G, true),
];

/// The figures of a usage row.
pub(super) const USAGE: &[Figure] = &[
    fig("requests", &bounds::REQUESTS, false),
    fig("tokens", &bounds::TOKENS, false),
    fig("revenue", &bounds::MONEY, false),
];

/// An SQL number that SQLite reads back as exactly `v`.
fn sql_num(v: f64) -> String {
    format!("{v:e}")
}

/// SQL that is true when every figure of a row of `alias` is finite and within its bound
/// (SQLite stores infinities as such, and they compare above every bound; it stores NaN as
/// NULL, which a NOT NULL column cannot hold).
pub(super) fn within(alias: &str, figures: &[Figure]) -> String {
    let parts: Vec<String> = figures
        .iter()
        .map(|f| {
            let col = format!("{alias}.{}", f.column);
            let op = if f.bound.min_exclusive { ">" } else { ">=" };
            let test = format!(
                "({col} {op} {} AND {col} <= {})",
                sql_num(f.bound.min),
                sql_num(f.bound.max)
            );
            if f.nullable {
                format!("({col} IS NULL OR {test})")
            } else {
                test
            }
        })
        .collect();
    format!("({})", parts.join(" AND "))
}

/// [`within`] for the rollup (alias `f`), the ends (alias `e`) and usage (alias `u`), built
/// once.
pub(crate) static FACTS_WITHIN: LazyLock<String> = LazyLock::new(|| within("f", FACTS));
/// See [`FACTS_WITHIN`].
pub(crate) static ENDS_WITHIN: LazyLock<String> = LazyLock::new(|| within("e", ENDS));
/// See [`FACTS_WITHIN`].
pub(super) static USAGE_WITHIN: LazyLock<String> = LazyLock::new(|| within("u", USAGE));

/// The first of `values` (in the order of `figures`) outside its bound, as the bound's error
/// names it (`end.cpu_j = inf is out of bounds: ...`); whole numbers are checked as counts, so
/// they are named exactly.
fn problem(prefix: &str, figures: &[Figure], values: &[Value]) -> String {
    figures
        .iter()
        .zip(values)
        .find_map(|(f, v)| {
            let field = format!("{prefix}{}", f.column);
            let checked = match v {
                Value::Integer(i) => match u64::try_from(*i) {
                    Ok(n) => f.bound.check_count(&field, n).map(|_| ()),
                    Err(_) => f.bound.check(&field, *i as f64).map(|_| ()),
                },
                Value::Real(x) => f.bound.check(&field, *x).map(|_| ()),
                _ => Ok(()),
            };
            checked.err().map(|e| e.to_string())
        })
        .unwrap_or_else(|| "a figure is outside its bound".into())
}

impl SqliteLedger {
    /// See [`crate::Business::invalid_records`].
    pub(super) fn invalid_records_in(&self, q: &TotalsQuery) -> Result<Vec<InvalidRecord>> {
        let mut out = Vec::new();
        let (tag_key, tag_value) = super::totals::tag_filter(q)?;
        let cols: Vec<&str> = FACTS.iter().map(|f| f.column).collect();
        let runs = self.rows(
            &format!(
                "SELECT f.run_id, f.started_at, {} FROM run_facts f
                 WHERE f.started_at >= ?1 AND f.started_at < ?2 AND {}
                   AND NOT {}",
                cols.iter()
                    .map(|c| format!("f.{c}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                super::totals::SCOPE_SQL,
                *FACTS_WITHIN
            ),
            rusqlite::params![
                ts_bound(&q.from),
                ts_bound(&q.to),
                tag_key,
                tag_value,
                q.site,
                q.kind
            ],
            |r| {
                let values = (0..cols.len())
                    .map(|i| r.get::<_, Value>(i + 2))
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, values))
            },
        )?;
        for (id, started, values) in runs {
            out.push(InvalidRecord {
                kind: RecordKind::Run,
                id,
                day: parse_day(started.get(..10).unwrap_or(""))?,
                subject: String::new(),
                problem: problem("end.", FACTS, &values),
            });
        }
        let (from, to) = (q.from.date_naive(), q.to.date_naive());
        let usage = self.rows(
            &format!(
                "SELECT u.seq, u.day, u.product, u.requests, u.tokens, u.revenue FROM usage u
                 WHERE u.day >= ?1 AND u.day < ?2 AND NOT {}",
                *USAGE_WITHIN
            ),
            rusqlite::params![day_bound(&from), day_bound(&to)],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    [
                        r.get::<_, Value>(3)?,
                        r.get::<_, Value>(4)?,
                        r.get::<_, Value>(5)?,
                    ],
                ))
            },
        )?;
        for (seq, d, product, values) in usage {
            out.push(InvalidRecord {
                kind: RecordKind::Usage,
                id: format!("#{seq}"),
                day: parse_day(&d)?,
                subject: product,
                problem: problem("", USAGE, &values),
            });
        }
        for (seq, c) in self.stored_cost_lines(from, to)? {
            if let Err(e) = c.check_bounds() {
                out.push(InvalidRecord {
                    kind: RecordKind::CostLine,
                    id: format!("#{seq}"),
                    day: c.day,
                    subject: c.scope,
                    problem: e.to_string(),
                });
            }
        }
        for (seq, i) in self.stored_indicators(from, to)? {
            if let Err(e) = i.check_bounds() {
                out.push(InvalidRecord {
                    kind: RecordKind::Indicator,
                    id: format!("#{seq}"),
                    day: i.day,
                    subject: i.scope,
                    problem: e.to_string(),
                });
            }
        }
        out.sort_by_key(|a| (a.day, a.kind));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_is_built_from_the_core_bounds() {
        let sql = within("u", USAGE);
        assert!(
            sql.contains("u.requests >= 0e0 AND u.requests <= 1e12"),
            "{sql}"
        );
        assert!(sql.contains("u.revenue <= 1e15"), "{sql}");
        let sql = within("f", FACTS);
        assert!(
            sql.contains("(f.embodied_g IS NULL OR (f.embodied_g >= 0e0"),
            "{sql}"
        );
        let p = problem(
            "end.",
            FACTS,
            &[Value::Real(1.0), Value::Real(f64::INFINITY)],
        );
        assert!(p.starts_with("end.gpu_j = inf is out of bounds"), "{p}");
        let p = problem("", USAGE, &[Value::Integer(i64::MAX)]);
        assert!(
            p.starts_with("requests = 9223372036854775807 is out"),
            "{p}"
        );
    }
}
