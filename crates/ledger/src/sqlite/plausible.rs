//! What the read side leaves out: stored figures outside the plausible bounds of
//! `sustain_core::bounds`. Writes refuse such records, but a ledger written before the bounds
//! existed may hold them (a usage row clamped to `i64::MAX` requests, a run end of 1e308 J),
//! and one of them would make its period's sums overflow or turn infinite for good. So every
//! sum reads only rows within their bounds (the SQL filters of `filters`, built from the same
//! constants the writes check), and [`Business::invalid_records`](crate::Business) lists the
//! rest, here, with the figure at fault.

use rusqlite::types::Value;

use super::filters::{FACTS, Figure, USAGE, USAGE_WITHIN, checks, row_within};

use super::{SqliteLedger, day_bound, parse_day};
use crate::business::{InvalidRecord, RecordKind, TotalsQuery};
use crate::error::Result;

/// The first of `values` (in the order of `figures`) outside its bound, as the bound's error
/// names it (`end.cpu_j = inf is out of bounds: ...`); whole numbers are checked as counts, so
/// they are named exactly.
pub(super) fn problem(prefix: &str, figures: &[Figure], values: &[Value]) -> String {
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
        let cols: Vec<&str> = FACTS.iter().map(|f| f.column).collect();
        // A totals pass of the same query just before, on this connection, that left nothing
        // out spares reading the period again; else the bounds are checked in Rust as rows are
        // read (`row_within`), as the totals do: cheaper than twenty comparisons per row in SQL.
        let runs_clean = self.take_clean(q);
        let mut selected = vec!["run_id", "started_at"];
        selected.extend(&cols);
        let checks = checks(&selected, FACTS);
        let mut runs = Vec::new();
        if !runs_clean {
            self.each(
                &format!(
                    "SELECT {} FROM run_facts f
                 WHERE f.started_at >= ?1 AND f.started_at < ?2 AND {}",
                    selected
                        .iter()
                        .map(|c| format!("f.{c}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    super::scope::SCOPE_SQL,
                ),
                super::scope::scope_params(q)?,
                |r| {
                    if row_within(r, &checks) {
                        return Ok(());
                    }
                    let values = (0..cols.len())
                        .map(|i| r.get::<_, Value>(i + 2))
                        .collect::<rusqlite::Result<Vec<_>>>()?;
                    runs.push((r.get::<_, String>(0)?, r.get::<_, String>(1)?, values));
                    Ok(())
                },
            )?;
        }
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
        out.extend(self.invalid_schedule_records(q)?);
        out.sort_by_key(|a| (a.day, a.kind));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_figure_at_fault_is_named_with_its_bound() {
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
