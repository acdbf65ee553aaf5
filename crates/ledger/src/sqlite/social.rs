//! Targets, social indicators, their weights in the social index, and saved scenarios:
//! appended with an audit entry each, read as the latest entry per name (targets, weights,
//! scenarios) or per period (indicators, leaving out those outside their bounds).

use chrono::NaiveDate;
use rusqlite::params;
use sha2::{Digest, Sha256};
use sustain_core::bounds;
use sustain_core::business::{Direction, Goal, IndexWeight, Indicator, SavedScenario, Target};

use super::{SqliteLedger, audit_in, day, day_bound, parse_day, parse_ts, ts};
use crate::error::{LedgerError, Result};

impl SqliteLedger {
    /// See [`crate::Business::add_target`].
    pub(super) fn insert_target(&self, t: &Target, actor: &str) -> Result<()> {
        t.validate()?;
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
            Ok(audit_in(tx, actor, "target.add", &detail)?)
        })
    }

    /// See [`crate::Business::targets`].
    pub(super) fn current_targets(&self) -> Result<Vec<Target>> {
        self.rows(
            "SELECT name, metric, scope, baseline, goal, by_day, recorded_at FROM targets t
             WHERE t.seq = (SELECT max(seq) FROM targets q WHERE q.name = t.name)
             ORDER BY t.name",
            [],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                ))
            },
        )?
        .into_iter()
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

    /// See [`crate::Business::add_indicator`].
    pub(super) fn insert_indicator(&self, i: &Indicator, actor: &str) -> Result<()> {
        i.validate()?;
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
            Ok(audit_in(tx, actor, "indicator.add", &detail)?)
        })
    }

    /// Every stored indicator on days in `[from, to)` with its sequence number, in order,
    /// whatever its value.
    pub(super) fn stored_indicators(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(i64, Indicator)>> {
        self.rows(
            "SELECT seq, name, day, scope, value, unit, description, recorded_at FROM indicators
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
                    r.get::<_, String>(7)?,
                ))
            },
        )?
        .into_iter()
        .map(|(seq, name, d, scope, value, unit, description, at)| {
            Ok((
                seq,
                Indicator {
                    name,
                    day: parse_day(&d)?,
                    scope,
                    value,
                    unit,
                    description,
                    recorded_at: parse_ts(&at)?,
                },
            ))
        })
        .collect()
    }

    /// See [`crate::Business::indicators`]: the stored indicators within their bounds.
    pub(super) fn indicators_in(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<Indicator>> {
        Ok(self
            .stored_indicators(from, to)?
            .into_iter()
            .map(|(_, i)| i)
            .filter(|i| i.check_bounds().is_ok())
            .collect())
    }

    /// See [`crate::Business::set_index_weight`].
    pub(super) fn insert_index_weight(&self, w: &IndexWeight, actor: &str) -> Result<()> {
        w.validate()?;
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
            Ok(audit_in(tx, actor, "index.weight", &detail)?)
        })
    }

    /// See [`crate::Business::index_weights`].
    pub(super) fn current_index_weights(&self) -> Result<Vec<IndexWeight>> {
        let rows = self.rows(
            "SELECT indicator, weight, direction, reference, recorded_at FROM index_weights w
             WHERE seq = (SELECT max(seq) FROM index_weights x WHERE x.indicator = w.indicator)
             ORDER BY indicator",
            [],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, f64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, f64>(3)?,
                    r.get::<_, String>(4)?,
                ))
            },
        )?;
        let mut out = Vec::with_capacity(rows.len());
        for (indicator, weight, direction, reference, at) in rows {
            if !(bounds::INDEX_WEIGHT.contains(weight)
                && bounds::INDEX_REFERENCE.contains(reference))
            {
                continue;
            }
            out.push(IndexWeight {
                indicator,
                weight,
                direction: Direction::parse(&direction)
                    .map_err(|e| LedgerError::Corrupt(e.to_string()))?,
                reference,
                recorded_at: parse_ts(&at)?,
            });
        }
        Ok(out)
    }

    /// See [`crate::Business::save_scenario`].
    pub(super) fn insert_scenario(&self, sc: &SavedScenario, actor: &str) -> Result<()> {
        sustain_core::business::check_name("scenario", &sc.name)?;
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
            Ok(audit_in(tx, actor, "scenario.save", &detail)?)
        })
    }

    /// See [`crate::Business::scenarios`].
    pub(super) fn current_scenarios(&self) -> Result<Vec<SavedScenario>> {
        self.rows(
            "SELECT name, body, recorded_at FROM scenarios s
             WHERE seq = (SELECT max(seq) FROM scenarios x WHERE x.name = s.name)
             ORDER BY name",
            [],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            },
        )?
        .into_iter()
        .map(|(name, body, at)| {
            Ok(SavedScenario {
                name,
                body,
                recorded_at: parse_ts(&at)?,
            })
        })
        .collect()
    }
}
