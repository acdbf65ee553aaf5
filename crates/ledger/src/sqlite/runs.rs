//! Runs: their starts and ends, the [`Ledger`] trait's reads and writes. Every record is
//! checked against `sustain_core`'s bounds before it is written (the last line behind the CLI's
//! and the API's own checks), and a run id recorded twice is a [`LedgerError::Conflict`],
//! whoever wins the race.

use chrono::{DateTime, Utc};
use rusqlite::params;
use sustain_core::run::{RunEnd, RunStart, RunView, Sample};

use super::query::Failure;
use super::rows::{RawEnd, RawStart, view};
use super::samples::apportioned_bits;
use super::{SqliteLedger, json, parse_ts, ts};
use crate::error::{LedgerError, Result};
use crate::ledger::{Ledger, RunFilter};

/// One run with its latest end and its sample count, by start.
const RUNS_SQL: &str = "SELECT r.*, e.*, e.seq AS end_seq,
        (SELECT count(*) FROM samples s WHERE s.run_id = r.id) AS n_samples
     FROM runs r
     LEFT JOIN run_ends e
       ON e.seq = (SELECT max(seq) FROM run_ends x WHERE x.run_id = r.id)";

fn insert_start(tx: &rusqlite::Transaction<'_>, s: &RunStart) -> std::result::Result<(), Failure> {
    s.validate().map_err(LedgerError::Rejected)?;
    let inserted = tx.execute(
        "INSERT INTO runs (id, name, kind, command, started_at, site_id, site, host, meter,
            methods, interval_s, tags, hourly_rate, hourly_rate_currency, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
         ON CONFLICT (id) DO NOTHING",
        params![
            s.id,
            s.name,
            s.kind.as_str(),
            json(&s.command),
            ts(&s.started_at),
            s.site.id,
            json(&s.site),
            json(&s.host),
            json(&s.meter),
            json(&s.methods),
            s.interval.as_secs_f64(),
            json(&s.tags),
            s.hourly_rate.as_ref().map(|r| r.0),
            s.hourly_rate.as_ref().map(|r| r.1.clone()),
            ts(&Utc::now()),
        ],
    )?;
    if inserted == 0 {
        return Err(LedgerError::Conflict(format!("run {} is already recorded", s.id)).into());
    }
    Ok(())
}

/// The start time of a recorded run, for checking an end against it.
fn started_at(
    tx: &rusqlite::Transaction<'_>,
    run_id: &str,
) -> std::result::Result<DateTime<Utc>, Failure> {
    use rusqlite::OptionalExtension;
    let at: Option<String> = tx
        .query_row("SELECT started_at FROM runs WHERE id = ?1", [run_id], |r| {
            r.get(0)
        })
        .optional()?;
    match at {
        Some(at) => Ok(parse_ts(&at)?),
        None => Err(LedgerError::NotFound(run_id.to_string()).into()),
    }
}

fn insert_end(tx: &rusqlite::Transaction<'_>, end: &RunEnd) -> std::result::Result<(), Failure> {
    end.validate(&started_at(tx, &end.run_id)?)
        .map_err(LedgerError::Rejected)?;
    let e = &end.energy;
    let i = &end.impacts;
    tx.execute(
        "INSERT INTO run_ends (run_id, ended_at, status, exit_code, signal, duration_s, cpu_s,
            peak_rss_bytes, cpu_j, gpu_j, ram_j, cpu_source, gpu_source, ram_source, apportioned,
            cpu_method, gpu_method, ram_method, facility_j, co2e_location_g, co2e_market_g,
            water_onsite_l, water_offsite_l, cost_amount, cost_currency, notes, recorded_at,
            outcomes, embodied_g, embodied_method)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
            ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30)",
        params![
            end.run_id,
            ts(&end.ended_at),
            end.status.as_str(),
            end.exit_code,
            end.signal,
            end.duration.as_secs_f64(),
            end.cpu_time.as_secs_f64(),
            end.peak_rss_bytes as i64,
            e.cpu.energy.joules(),
            e.gpu.energy.joules(),
            e.ram.energy.joules(),
            e.cpu.source.as_str(),
            e.gpu.source.as_str(),
            e.ram.source.as_str(),
            apportioned_bits(e),
            e.cpu.method,
            e.gpu.method,
            e.ram.method,
            i.facility_energy.joules(),
            i.co2e_location.grams(),
            i.co2e_market.map(|m| m.grams()),
            i.water_onsite.litres(),
            i.water_offsite.map(|w| w.litres()),
            i.cost.as_ref().map(|c| c.amount),
            i.cost.as_ref().map(|c| c.currency.code().to_string()),
            json(&end.notes),
            ts(&Utc::now()),
            json(&end.outcomes),
            end.embodied.as_ref().map(|m| m.co2e.grams()),
            end.embodied.as_ref().map(|m| m.method.as_str()),
        ],
    )?;
    Ok(())
}

impl SqliteLedger {
    /// Calls `f` with every run started at or after `since`, oldest first, without holding
    /// them all: the runs are read in the order of the `started_at` index (no sort), each with
    /// its latest end and sample count. For exports of large ledgers.
    pub fn for_each_run(
        &self,
        since: Option<&DateTime<Utc>>,
        f: &mut dyn FnMut(RunView) -> std::result::Result<(), LedgerError>,
    ) -> Result<()> {
        const SQL: &str = "SELECT r.*, e.*, e.seq AS end_seq,
                (SELECT count(*) FROM samples s WHERE s.run_id = r.id) AS n_samples
             FROM runs r INDEXED BY runs_started_at
             LEFT JOIN run_ends e
               ON e.seq = (SELECT max(seq) FROM run_ends x WHERE x.run_id = r.id)
             WHERE r.started_at >= ?1
             ORDER BY r.started_at";
        let since = since.map(ts).unwrap_or_default();
        let index = self.column_index(SQL)?;
        let col = |name: &'static str| index.get(name).copied().unwrap_or(usize::MAX);
        self.each(SQL, [since], |r| {
            let start = RawStart::from_row_with(r, &col)?;
            let end = match r.get::<_, Option<i64>>(col("end_seq"))? {
                Some(_) => Some(RawEnd::from_row_with(r, &col)?),
                None => None,
            };
            let n: i64 = r.get(col("n_samples"))?;
            f(view(start, end, n)?)?;
            Ok(())
        })
    }

    fn end_for(&self, run_id: &str) -> Result<Option<RunEnd>> {
        self.optional_row(
            "SELECT * FROM run_ends WHERE run_id = ?1 ORDER BY seq DESC LIMIT 1",
            [run_id],
            RawEnd::from_row,
        )?
        .map(RawEnd::decode)
        .transpose()
    }

    fn sample_count(&self, run_id: &str) -> Result<u64> {
        self.row(
            "SELECT count(*) FROM samples WHERE run_id = ?1",
            [run_id],
            |r| r.get::<_, i64>(0),
        )
        .map(|n| n.max(0) as u64)
    }

    fn view_of(&self, raw: RawStart) -> Result<RunView> {
        let start = raw.decode()?;
        let end = self.end_for(&start.id)?;
        let samples = self.sample_count(&start.id)?;
        Ok(RunView {
            start,
            end,
            samples,
        })
    }
}

impl Ledger for SqliteLedger {
    fn start_run(&self, s: &RunStart) -> Result<()> {
        self.write(|tx| insert_start(tx, s))
    }

    fn append_samples(&self, run_id: &str, samples: &[Sample]) -> Result<()> {
        if samples.is_empty() {
            return Ok(());
        }
        self.write(|tx| super::samples::insert(tx, run_id, samples))
    }

    fn finish_run(&self, end: &RunEnd) -> Result<()> {
        self.write(|tx| insert_end(tx, end))
    }

    fn finish_run_if_open(&self, end: &RunEnd) -> Result<bool> {
        self.write(|tx| {
            let has_end: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM run_ends WHERE run_id = ?1)",
                [&end.run_id],
                |r| r.get(0),
            )?;
            if !has_end {
                insert_end(tx, end)?;
            }
            Ok(!has_end)
        })
    }

    fn record_run(&self, start: &RunStart, samples: &[Sample], end: &RunEnd) -> Result<()> {
        // One transaction: a pushed run is recorded whole or not at all, and of concurrent
        // pushes of one run exactly one wins.
        self.write(|tx| {
            insert_start(tx, start)?;
            super::samples::insert(tx, &start.id, samples)?;
            insert_end(tx, end)
        })
    }

    fn runs(&self, filter: &RunFilter) -> Result<Vec<RunView>> {
        // One statement: each run with its latest end and its sample count, filtered, sorted
        // and limited by SQLite (the ledger may hold millions of runs).
        let since = filter.since.as_ref().map(ts);
        let status = filter.status.map(|s| s.as_str());
        let limit = filter
            .limit
            .map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
        let rows = self.rows(
            &format!(
                "{RUNS_SQL}
                 WHERE (?1 IS NULL OR r.started_at >= ?1)
                   AND (?2 IS NULL OR coalesce(e.status, 'running') = ?2)
                 ORDER BY r.started_at DESC, r.id DESC
                 LIMIT ?3"
            ),
            params![since, status, limit],
            |r| {
                let start = RawStart::from_row(r)?;
                let end = match r.get::<_, Option<i64>>("end_seq")? {
                    Some(_) => Some(RawEnd::from_row(r)?),
                    None => None,
                };
                Ok((start, end, r.get::<_, i64>("n_samples")?))
            },
        )?;
        rows.into_iter()
            .map(|(start, end, n)| view(start, end, n))
            .collect()
    }

    fn run(&self, id_or_prefix: &str) -> Result<RunView> {
        let prefix = id_or_prefix.trim();
        if prefix.is_empty() {
            return Err(LedgerError::NotFound(String::new()));
        }
        let mut raws = self.rows(
            "SELECT * FROM runs WHERE id = ?1 OR substr(id, 1, length(?1)) = ?1 LIMIT 6",
            [prefix],
            RawStart::from_row,
        )?;
        if let Some(i) = raws.iter().position(|r| r.id == prefix) {
            return self.view_of(raws.swap_remove(i));
        }
        match raws.len() {
            0 => Err(LedgerError::NotFound(prefix.to_string())),
            1 => self.view_of(raws.remove(0)),
            _ => Err(LedgerError::Ambiguous {
                prefix: prefix.to_string(),
                matches: raws.into_iter().map(|r| r.id).collect(),
            }),
        }
    }

    fn samples(&self, run_id: &str) -> Result<Vec<Sample>> {
        super::samples::read(self, run_id)
    }

    fn open_runs(&self) -> Result<Vec<RunView>> {
        let raws = self.rows(
            // CROSS JOIN keeps open_runs (a few rows) as the outer loop: with a plain join
            // SQLite walks every run in start order to honour the ORDER BY.
            "SELECT r.* FROM open_runs o CROSS JOIN runs r ON r.id = o.run_id
             ORDER BY r.started_at",
            [],
            RawStart::from_row,
        )?;
        raws.into_iter().map(|r| self.view_of(r)).collect()
    }
}
