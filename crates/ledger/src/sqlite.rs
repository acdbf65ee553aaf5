//! The embedded SQLite ledger.
//!
//! One file, in WAL mode so that readers never block the writer and many `sustain run`s can
//! write to the same ledger at once: each write is a short `BEGIN IMMEDIATE` transaction, and a
//! writer that finds the file busy waits (up to `SUSTAIN_BUSY_TIMEOUT_MS`, 30 s by default)
//! instead of failing. `synchronous = NORMAL` in WAL mode keeps the file consistent across a
//! crash; at worst the last transactions before a power loss are missing.
//!
//! A Sustain ledger is recognised by its SQLite `application_id`; any other file is refused
//! rather than modified.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{
    Connection, ErrorCode, OpenFlags, OptionalExtension, Row, TransactionBehavior, params,
};
use sustain_core::embodied::Embodied;
use sustain_core::impacts::Impacts;
use sustain_core::run::{
    ComponentEnergy, EnergyBreakdown, EnergySource, HostInfo, MeterIdentity, RunEnd, RunStart,
    RunStatus, RunView, Sample,
};
use sustain_core::site::SiteRecord;
use sustain_core::units::{CarbonMass, Currency, Energy, Money, Water};

use crate::error::{LedgerError, Result};
use crate::ledger::{Ledger, RunFilter};

/// `application_id` of a Sustain ledger: "SUST" in ASCII.
pub const APPLICATION_ID: i64 = 0x5355_5354;

/// Environment variable for the busy timeout, in milliseconds.
pub const BUSY_TIMEOUT_ENV: &str = "SUSTAIN_BUSY_TIMEOUT_MS";

/// The numbered migrations, applied in order; an applied migration is never edited.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_runs.sql")),
    (2, include_str!("../migrations/0002_outcomes.sql")),
    (3, include_str!("../migrations/0003_business.sql")),
    (4, include_str!("../migrations/0004_targets.sql")),
    (5, include_str!("../migrations/0005_run_facts.sql")),
    (6, include_str!("../migrations/0006_open_runs.sql")),
    (7, include_str!("../migrations/0007_social_scenarios.sql")),
    (8, include_str!("../migrations/0008_tokens.sql")),
    (9, include_str!("../migrations/0009_fairness_index.sql")),
    (10, include_str!("../migrations/0010_embodied.sql")),
];

/// A ledger in one SQLite file.
#[derive(Debug)]
pub struct SqliteLedger {
    conn: Connection,
    path: PathBuf,
    busy_ms: u64,
}

/// A stored number of seconds as a duration; negative, NaN or out-of-range values (never
/// written by Sustain) read as zero rather than panicking.
fn secs(v: f64) -> Duration {
    Duration::try_from_secs_f64(v).unwrap_or_default()
}

pub(crate) fn ts(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub(crate) fn parse_ts(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| LedgerError::Corrupt(format!("timestamp {s:?}: {e}")))
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

fn from_json<T: serde::de::DeserializeOwned>(what: &str, s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| LedgerError::Corrupt(format!("{what}: {e}")))
}

fn apportioned_bits(e: &EnergyBreakdown) -> i64 {
    i64::from(e.cpu.apportioned)
        | (i64::from(e.gpu.apportioned) << 1)
        | (i64::from(e.ram.apportioned) << 2)
}

fn source(s: &str) -> Result<EnergySource> {
    s.parse()
        .map_err(|e: sustain_core::CoreError| LedgerError::Corrupt(e.to_string()))
}

impl SqliteLedger {
    /// Opens (creating if needed) the ledger at `path`, applying pending migrations.
    pub fn open(path: &Path) -> Result<Self> {
        let busy_ms = std::env::var(BUSY_TIMEOUT_ENV)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(30_000);
        Self::open_with_timeout(path, Duration::from_millis(busy_ms))
    }

    /// Opens with an explicit busy timeout.
    pub fn open_with_timeout(path: &Path, busy: Duration) -> Result<Self> {
        let open_err = |reason: String| LedgerError::Open {
            path: path.to_path_buf(),
            reason,
        };
        if path.is_dir() {
            return Err(open_err(
                "it is a directory; give a file path such as ledger.sqlite".into(),
            ));
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            if parent.exists() && !parent.is_dir() {
                return Err(open_err(format!("{} is not a directory", parent.display())));
            }
            std::fs::create_dir_all(parent)
                .map_err(|e| open_err(format!("cannot create {}: {e}", parent.display())))?;
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| open_err(e.to_string()))?;
        conn.busy_timeout(busy)?;
        let ledger = Self {
            conn,
            path: path.to_path_buf(),
            busy_ms: busy.as_millis() as u64,
        };
        ledger.check_identity()?;
        ledger.configure()?;
        ledger.migrate()?;
        Ok(ledger)
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn map_err(&self, e: rusqlite::Error) -> LedgerError {
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => {
                LedgerError::Locked {
                    path: self.path.clone(),
                    waited_ms: self.busy_ms,
                }
            }
            Some(ErrorCode::NotADatabase) => LedgerError::NotALedger {
                path: self.path.clone(),
                reason: "the file is not an SQLite database".into(),
            },
            Some(ErrorCode::ReadOnly)
            | Some(ErrorCode::CannotOpen)
            | Some(ErrorCode::PermissionDenied) => LedgerError::Open {
                path: self.path.clone(),
                reason: format!("{e}; check the file's permissions"),
            },
            _ => LedgerError::Sqlite(e),
        }
    }

    fn check_identity(&self) -> Result<()> {
        // Both values from one read snapshot: another process may be creating the ledger right
        // now, and its tables and application_id appear together when it commits.
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Deferred)
            .map_err(|e| self.map_err(e))?;
        let (app_id, objects): (i64, i64) = tx
            .query_row(
                "SELECT (SELECT application_id FROM pragma_application_id()),
                        (SELECT count(*) FROM sqlite_master)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| self.map_err(e))?;
        tx.commit().map_err(|e| self.map_err(e))?;
        if app_id == APPLICATION_ID {
            return Ok(());
        }
        if app_id != 0 || objects > 0 {
            return Err(LedgerError::NotALedger {
                path: self.path.clone(),
                reason: if app_id != 0 {
                    format!(
                        "an SQLite database of another application (application_id {app_id:#x})"
                    )
                } else {
                    format!("an SQLite database with {objects} objects of its own")
                },
            });
        }
        Ok(())
    }

    fn configure(&self) -> Result<()> {
        // Switching to WAL needs an exclusive lock, and SQLite does not call the busy handler
        // for it: when several processes open a new ledger at once, retry until the timeout.
        let deadline = std::time::Instant::now() + Duration::from_millis(self.busy_ms);
        let mode: String = loop {
            match self
                .conn
                .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            {
                Ok(m) => break m,
                Err(e)
                    if e.sqlite_error_code() == Some(ErrorCode::DatabaseBusy)
                        && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => return Err(self.map_err(e)),
            }
        };
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!("ledger journal mode is {mode}, not WAL");
        }
        self.conn
            .execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
            .map_err(|e| self.map_err(e))
    }

    fn migrate(&self) -> Result<()> {
        let known = MIGRATIONS.last().map_or(0, |m| m.0);
        let current: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.map_err(e))?;
        if current == known {
            return Ok(());
        }
        if current > known {
            return Err(LedgerError::NewerSchema {
                path: self.path.clone(),
                found: current,
                known,
            });
        }
        // Serialise concurrent first opens: the version is re-read inside the write lock.
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(|e| self.map_err(e))?;
        let current: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
            tx.execute_batch(sql)
                .map_err(|e| LedgerError::Corrupt(format!("migration {version} failed: {e}")))?;
            tx.execute_batch(&format!("PRAGMA user_version = {version}"))?;
        }
        tx.execute_batch(&format!("PRAGMA application_id = {APPLICATION_ID}"))?;
        tx.commit().map_err(|e| self.map_err(e))
    }

    /// Calls `f` with every run started at or after `since`, oldest first, without holding
    /// them all: the runs are read in the order of the `started_at` index (no sort), each with
    /// its latest end and sample count. For exports of large ledgers.
    pub fn for_each_run(
        &self,
        since: Option<&DateTime<Utc>>,
        f: &mut dyn FnMut(RunView) -> std::result::Result<(), LedgerError>,
    ) -> Result<()> {
        let since = since.map(ts).unwrap_or_default();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT r.*, e.*, e.seq AS end_seq,
                        (SELECT count(*) FROM samples s WHERE s.run_id = r.id) AS n_samples
                 FROM runs r INDEXED BY runs_started_at
                 LEFT JOIN run_ends e
                   ON e.seq = (SELECT max(seq) FROM run_ends x WHERE x.run_id = r.id)
                 WHERE r.started_at >= ?1
                 ORDER BY r.started_at",
            )
            .map_err(|e| self.map_err(e))?;
        // Column indexes once: by name, each of a row's fifty reads scans the column list.
        // The first column of a name wins, as in rusqlite's lookup by name.
        let index: std::collections::HashMap<String, usize> = stmt
            .column_names()
            .into_iter()
            .enumerate()
            .rev()
            .map(|(i, n)| (n.to_string(), i))
            .collect();
        let col = |name: &'static str| index.get(name).copied().unwrap_or(usize::MAX);
        let mut rows = stmt.query([since]).map_err(|e| self.map_err(e))?;
        while let Some(r) = rows.next().map_err(|e| self.map_err(e))? {
            let start = Self::start_from_row_with(r, &col).map_err(|e| self.map_err(e))?;
            let end = match r.get::<_, Option<i64>>(col("end_seq"))? {
                Some(_) => Some(raw_end_with(r, &col).map_err(|e| self.map_err(e))?),
                None => None,
            };
            let n: i64 = r.get(col("n_samples"))?;
            f(RunView {
                start: start.decode()?,
                end: end.map(RawEnd::decode).transpose()?,
                samples: n.max(0) as u64,
            })?;
        }
        Ok(())
    }

    /// The connection (for the business records in `business.rs`).
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn write<F>(&self, f: F) -> Result<()>
    where
        F: FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<()>,
    {
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(|e| self.map_err(e))?;
        f(&tx).map_err(|e| self.map_err(e))?;
        tx.commit().map_err(|e| self.map_err(e))
    }

    fn start_from_row(r: &Row<'_>) -> rusqlite::Result<RawStart> {
        Self::start_from_row_with(r, &|name| name)
    }

    /// As [`Self::start_from_row`], finding columns through `col` (a name, or an index looked
    /// up once per statement, which is much faster over many rows).
    fn start_from_row_with<I: rusqlite::RowIndex>(
        r: &Row<'_>,
        col: &dyn Fn(&'static str) -> I,
    ) -> rusqlite::Result<RawStart> {
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

    fn end_for(&self, run_id: &str) -> Result<Option<RunEnd>> {
        let raw = self
            .conn
            .query_row(
                "SELECT * FROM run_ends WHERE run_id = ?1 ORDER BY seq DESC LIMIT 1",
                [run_id],
                raw_end,
            )
            .optional()
            .map_err(|e| self.map_err(e))?;
        raw.map(RawEnd::decode).transpose()
    }

    fn sample_count(&self, run_id: &str) -> Result<u64> {
        self.conn
            .query_row(
                "SELECT count(*) FROM samples WHERE run_id = ?1",
                [run_id],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
            .map_err(|e| self.map_err(e))
    }

    fn view(&self, raw: RawStart) -> Result<RunView> {
        let start = raw.decode()?;
        let end = self.end_for(&start.id)?;
        let samples = self.sample_count(&start.id)?;
        Ok(RunView {
            start,
            end,
            samples,
        })
    }

    fn insert_end(tx: &rusqlite::Transaction<'_>, end: &RunEnd) -> rusqlite::Result<()> {
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
}

struct RawStart {
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

struct RawEnd {
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

fn raw_end(r: &Row<'_>) -> rusqlite::Result<RawEnd> {
    raw_end_with(r, &|name| name)
}

/// As [`raw_end`], finding columns through `col`.
fn raw_end_with<I: rusqlite::RowIndex>(
    r: &Row<'_>,
    col: &dyn Fn(&'static str) -> I,
) -> rusqlite::Result<RawEnd> {
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

impl RawEnd {
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

impl Ledger for SqliteLedger {
    fn start_run(&self, s: &RunStart) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO runs (id, name, kind, command, started_at, site_id, site, host, meter,
                    methods, interval_s, tags, hourly_rate, hourly_rate_currency, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
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
            Ok(())
        })
    }

    fn append_samples(&self, run_id: &str, samples: &[Sample]) -> Result<()> {
        if samples.is_empty() {
            return Ok(());
        }
        self.write(|tx| {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO samples (run_id, seq, at, interval_s, cpu_j, gpu_j, ram_j, cpu_source,
                    gpu_source, ram_source, apportioned, cpu_s, rss_bytes)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?;
            for s in samples {
                let e = &s.energy;
                stmt.execute(params![
                    run_id,
                    s.seq,
                    ts(&s.at),
                    s.interval.as_secs_f64(),
                    e.cpu.energy.joules(),
                    e.gpu.energy.joules(),
                    e.ram.energy.joules(),
                    e.cpu.source.as_str(),
                    e.gpu.source.as_str(),
                    e.ram.source.as_str(),
                    apportioned_bits(e),
                    s.cpu_time.as_secs_f64(),
                    s.rss_bytes as i64,
                ])?;
            }
            Ok(())
        })
    }

    fn finish_run(&self, end: &RunEnd) -> Result<()> {
        self.write(|tx| Self::insert_end(tx, end))
    }

    fn finish_run_if_open(&self, end: &RunEnd) -> Result<bool> {
        let mut recorded = false;
        self.write(|tx| {
            let has_end: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM run_ends WHERE run_id = ?1)",
                [&end.run_id],
                |r| r.get(0),
            )?;
            if !has_end {
                Self::insert_end(tx, end)?;
                recorded = true;
            }
            Ok(())
        })?;
        Ok(recorded)
    }

    fn runs(&self, filter: &RunFilter) -> Result<Vec<RunView>> {
        // One statement: each run with its latest end and its sample count, filtered, sorted
        // and limited by SQLite (the ledger may hold millions of runs).
        let since = filter.since.as_ref().map(ts);
        let status = filter.status.map(|s| s.as_str());
        let limit = filter
            .limit
            .map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT r.*, e.*, e.seq AS end_seq,
                        (SELECT count(*) FROM samples s WHERE s.run_id = r.id) AS n_samples
                 FROM runs r
                 LEFT JOIN run_ends e
                   ON e.seq = (SELECT max(seq) FROM run_ends x WHERE x.run_id = r.id)
                 WHERE (?1 IS NULL OR r.started_at >= ?1)
                   AND (?2 IS NULL OR coalesce(e.status, 'running') = ?2)
                 ORDER BY r.started_at DESC, r.id DESC
                 LIMIT ?3",
            )
            .map_err(|e| self.map_err(e))?;
        let rows = stmt
            .query_map(params![since, status, limit], |r| {
                let start = Self::start_from_row(r)?;
                let end = match r.get::<_, Option<i64>>("end_seq")? {
                    Some(_) => Some(raw_end(r)?),
                    None => None,
                };
                Ok((start, end, r.get::<_, i64>("n_samples")?))
            })
            .map_err(|e| self.map_err(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.map_err(e))?;
        rows.into_iter()
            .map(|(start, end, n)| {
                Ok(RunView {
                    start: start.decode()?,
                    end: end.map(RawEnd::decode).transpose()?,
                    samples: n.max(0) as u64,
                })
            })
            .collect()
    }

    fn run(&self, id_or_prefix: &str) -> Result<RunView> {
        let prefix = id_or_prefix.trim();
        if prefix.is_empty() {
            return Err(LedgerError::NotFound(String::new()));
        }
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT * FROM runs WHERE id = ?1 OR substr(id, 1, length(?1)) = ?1 LIMIT 6",
            )
            .map_err(|e| self.map_err(e))?;
        let mut raws = stmt
            .query_map([prefix], Self::start_from_row)
            .map_err(|e| self.map_err(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.map_err(e))?;
        if let Some(i) = raws.iter().position(|r| r.id == prefix) {
            return self.view(raws.swap_remove(i));
        }
        match raws.len() {
            0 => Err(LedgerError::NotFound(prefix.to_string())),
            1 => self.view(raws.remove(0)),
            _ => Err(LedgerError::Ambiguous {
                prefix: prefix.to_string(),
                matches: raws.into_iter().map(|r| r.id).collect(),
            }),
        }
    }

    fn samples(&self, run_id: &str) -> Result<Vec<Sample>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT * FROM samples WHERE run_id = ?1 ORDER BY seq")
            .map_err(|e| self.map_err(e))?;
        let rows = stmt
            .query_map([run_id], |r| {
                Ok((
                    r.get::<_, u32>("seq")?,
                    r.get::<_, String>("at")?,
                    r.get::<_, f64>("interval_s")?,
                    [r.get::<_, f64>("cpu_j")?, r.get("gpu_j")?, r.get("ram_j")?],
                    [
                        r.get::<_, String>("cpu_source")?,
                        r.get("gpu_source")?,
                        r.get("ram_source")?,
                    ],
                    r.get::<_, i64>("apportioned")?,
                    r.get::<_, f64>("cpu_s")?,
                    r.get::<_, i64>("rss_bytes")?,
                ))
            })
            .map_err(|e| self.map_err(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.map_err(e))?;
        rows.into_iter()
            .map(|(seq, at, interval, j, src, app, cpu_s, rss)| {
                let comp = |i: usize| -> Result<ComponentEnergy> {
                    Ok(ComponentEnergy {
                        energy: Energy::from_joules(j[i]),
                        source: source(&src[i])?,
                        apportioned: app & (1 << i) != 0,
                        method: String::new(),
                    })
                };
                Ok(Sample {
                    seq,
                    at: parse_ts(&at)?,
                    interval: secs(interval),
                    energy: EnergyBreakdown {
                        cpu: comp(0)?,
                        gpu: comp(1)?,
                        ram: comp(2)?,
                    },
                    cpu_time: secs(cpu_s),
                    rss_bytes: rss.max(0) as u64,
                })
            })
            .collect()
    }

    fn open_runs(&self) -> Result<Vec<RunView>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                // CROSS JOIN keeps open_runs (a few rows) as the outer loop: with a plain join
                // SQLite walks every run in start order to honour the ORDER BY.
                "SELECT r.* FROM open_runs o CROSS JOIN runs r ON r.id = o.run_id
                 ORDER BY r.started_at",
            )
            .map_err(|e| self.map_err(e))?;
        let raws = stmt
            .query_map([], Self::start_from_row)
            .map_err(|e| self.map_err(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.map_err(e))?;
        raws.into_iter().map(|r| self.view(r)).collect()
    }
}
