//! Runs: their starts and ends, the [`Ledger`] trait's reads and writes. Every record is
//! checked against `sustain_core`'s bounds before it is written (the last line behind the CLI's
//! and the API's own checks), and a run id recorded twice is a [`LedgerError::Conflict`],
//! whoever wins the race.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::{Row, params};
use sustain_core::embodied::Embodied;
use sustain_core::impacts::Impacts;
use sustain_core::run::{
    ComponentEnergy, EnergyBreakdown, HostInfo, MeterIdentity, RunEnd, RunStart, RunStatus,
    RunView, Sample,
};
use sustain_core::site::SiteRecord;
use sustain_core::units::{CarbonMass, Currency, Energy, Money, Water};

use super::query::Failure;
use super::samples::{apportioned_bits, source};
use super::{SqliteLedger, from_json, json, parse_ts, secs, ts};
use crate::error::{LedgerError, Result};
use crate::ledger::{Ledger, RunFilter};

/// One run with its latest end and its sample count, by start.
const RUNS_SQL: &str = "SELECT r.*, e.*, e.seq AS end_seq,
        (SELECT count(*) FROM samples s WHERE s.run_id = r.id) AS n_samples
     FROM runs r
     LEFT JOIN run_ends e
       ON e.seq = (SELECT max(seq) FROM run_ends x WHERE x.run_id = r.id)";

pub(super) struct RawStart {
    id: String,
    name: String,
    kind: String,
    command: String,
    started_at: String,
    site: String,
    host: String,
    meter: String,
    methods: String,
    interval_s: f64,
    tags: String,
    hourly_rate: Option<f64>,
    hourly_rate_currency: Option<String>,
}

impl RawStart {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Self::from_row_with(r, &|name| name)
    }

    /// As [`Self::from_row`], finding columns through `col` (a name, or an index looked up
    /// once per statement, which is much faster over many rows).
    fn from_row_with<I: rusqlite::RowIndex>(
        r: &Row<'_>,
        col: &dyn Fn(&'static str) -> I,
    ) -> rusqlite::Result<Self> {
        Ok(RawStart {
            id: r.get(col("id"))?,
            name: r.get(col("name"))?,
            kind: r.get(col("kind"))?,
            command: r.get(col("command"))?,
            started_at: r.get(col("started_at"))?,
            site: r.get(col("site"))?,
            host: r.get(col("host"))?,
            meter: r.get(col("meter"))?,
            methods: r.get(col("methods"))?,
            interval_s: r.get(col("interval_s"))?,
            tags: r.get(col("tags"))?,
            hourly_rate: r.get(col("hourly_rate"))?,
            hourly_rate_currency: r.get(col("hourly_rate_currency"))?,
        })
    }

    fn decode(self) -> Result<RunStart> {
        Ok(RunStart {
            kind: self
                .kind
                .parse()
                .map_err(|e: sustain_core::CoreError| LedgerError::Corrupt(e.to_string()))?,
            command: from_json("command", &self.command)?,
            started_at: parse_ts(&self.started_at)?,
            site: from_json::<SiteRecord>("site", &self.site)?,
            host: from_json::<HostInfo>("host", &self.host)?,
            meter: from_json::<MeterIdentity>("meter", &self.meter)?,
            methods: from_json::<BTreeMap<String, String>>("methods", &self.methods)?,
            interval: secs(self.interval_s),
            tags: from_json("tags", &self.tags)?,
            hourly_rate: self.hourly_rate.zip(self.hourly_rate_currency),
            id: self.id,
            name: self.name,
        })
    }
}

pub(super) struct RawEnd {
    run_id: String,
    ended_at: String,
    status: String,
    exit_code: Option<i32>,
    signal: Option<i32>,
    duration_s: f64,
    cpu_s: f64,
    peak_rss_bytes: i64,
    joules: [f64; 3],
    sources: [String; 3],
    apportioned: i64,
    methods: [String; 3],
    facility_j: f64,
    co2e_location_g: f64,
    co2e_market_g: Option<f64>,
    water_onsite_l: f64,
    water_offsite_l: Option<f64>,
    cost_amount: Option<f64>,
    cost_currency: Option<String>,
    notes: String,
    outcomes: String,
    embodied_g: Option<f64>,
    embodied_method: Option<String>,
}

impl RawEnd {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Self::from_row_with(r, &|name| name)
    }

    /// As [`Self::from_row`], finding columns through `col`.
    fn from_row_with<I: rusqlite::RowIndex>(
        r: &Row<'_>,
        col: &dyn Fn(&'static str) -> I,
    ) -> rusqlite::Result<Self> {
        Ok(RawEnd {
            run_id: r.get(col("run_id"))?,
            ended_at: r.get(col("ended_at"))?,
            status: r.get(col("status"))?,
            exit_code: r.get(col("exit_code"))?,
            signal: r.get(col("signal"))?,
            duration_s: r.get(col("duration_s"))?,
            cpu_s: r.get(col("cpu_s"))?,
            peak_rss_bytes: r.get(col("peak_rss_bytes"))?,
            joules: [
                r.get(col("cpu_j"))?,
                r.get(col("gpu_j"))?,
                r.get(col("ram_j"))?,
            ],
            sources: [
                r.get(col("cpu_source"))?,
                r.get(col("gpu_source"))?,
                r.get(col("ram_source"))?,
            ],
            apportioned: r.get(col("apportioned"))?,
            methods: [
                r.get(col("cpu_method"))?,
                r.get(col("gpu_method"))?,
                r.get(col("ram_method"))?,
            ],
            facility_j: r.get(col("facility_j"))?,
            co2e_location_g: r.get(col("co2e_location_g"))?,
            co2e_market_g: r.get(col("co2e_market_g"))?,
            water_onsite_l: r.get(col("water_onsite_l"))?,
            water_offsite_l: r.get(col("water_offsite_l"))?,
            cost_amount: r.get(col("cost_amount"))?,
            cost_currency: r.get(col("cost_currency"))?,
            notes: r.get(col("notes"))?,
            outcomes: r.get(col("outcomes"))?,
            embodied_g: r.get(col("embodied_g"))?,
            embodied_method: r.get(col("embodied_method"))?,
        })
    }

    fn decode(self) -> Result<RunEnd> {
        let comp = |i: usize| -> Result<ComponentEnergy> {
            Ok(ComponentEnergy {
                energy: Energy::from_joules(self.joules[i]),
                source: source(&self.sources[i])?,
                apportioned: self.apportioned & (1 << i) != 0,
                method: self.methods[i].clone(),
            })
        };
        let energy = EnergyBreakdown {
            cpu: comp(0)?,
            gpu: comp(1)?,
            ram: comp(2)?,
        };
        let cost = match (self.cost_amount, &self.cost_currency) {
            (Some(amount), Some(c)) => Some(Money {
                amount,
                currency: Currency::new(c).map_err(|e| LedgerError::Corrupt(e.to_string()))?,
            }),
            _ => None,
        };
        Ok(RunEnd {
            impacts: Impacts {
                it_energy: energy.total(),
                facility_energy: Energy::from_joules(self.facility_j),
                co2e_location: CarbonMass::from_grams(self.co2e_location_g),
                co2e_market: self.co2e_market_g.map(CarbonMass::from_grams),
                water_onsite: Water::from_litres(self.water_onsite_l),
                water_offsite: self.water_offsite_l.map(Water::from_litres),
                cost,
            },
            energy,
            embodied: self.embodied_g.map(|g| Embodied {
                co2e: CarbonMass::from_grams(g),
                method: self.embodied_method.clone().unwrap_or_default(),
            }),
            status: self
                .status
                .parse::<RunStatus>()
                .map_err(|e| LedgerError::Corrupt(e.to_string()))?,
            ended_at: parse_ts(&self.ended_at)?,
            exit_code: self.exit_code,
            signal: self.signal,
            duration: secs(self.duration_s),
            cpu_time: secs(self.cpu_s),
            peak_rss_bytes: self.peak_rss_bytes.max(0) as u64,
            notes: from_json("notes", &self.notes)?,
            outcomes: from_json("outcomes", &self.outcomes)?,
            run_id: self.run_id,
        })
    }
}

/// A run's start, its latest end (if any) and its sample count, as read from one row.
fn view(start: RawStart, end: Option<RawEnd>, samples: i64) -> Result<RunView> {
    Ok(RunView {
        start: start.decode()?,
        end: end.map(RawEnd::decode).transpose()?,
        samples: samples.max(0) as u64,
    })
}

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
