//! The embedded SQLite ledger.
//!
//! One file, in WAL mode so that readers never block the writer and many `sustain run`s can
//! write to the same ledger at once: each write is a short `BEGIN IMMEDIATE` transaction, and a
//! writer that finds the file busy waits (up to `SUSTAIN_BUSY_TIMEOUT_MS`, 30 s by default)
//! instead of failing. `synchronous = NORMAL` in WAL mode keeps the file consistent across a
//! crash; at worst the last transactions before a power loss are missing.
//!
//! A Sustain ledger is recognised by its SQLite `application_id`; any other file is refused
//! rather than modified. A new ledger and the directories made for it are readable by their
//! owner only (`files`); a ledger the user may not write (an auditor's copy) is opened
//! read-only, without a trace left beside it.
//!
//! The implementation is split by concern: `schema` (identity, WAL, migrations), `runs`, `rows`
//! and `samples` (the [`Ledger`](crate::Ledger) trait), `products`, `social`, `totals`, `audit`,
//! `schedules`, `filters`, `scope` and `plausible` (the [`Business`](crate::Business) records, the run rollups, the audit log
//! and what the read side leaves out), all through the helpers of `query`.

mod audit;
mod business;
mod files;
mod filters;
mod plausible;
mod products;
pub(crate) mod query;
mod rows;
mod runs;
mod samples;
mod schedules;
mod schema;
mod scope;
mod social;
mod totals;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, Utc};
use rusqlite::{Connection, ErrorCode, OpenFlags};

pub(crate) use audit::audit_in;
pub(crate) use filters::{ENDS_WITHIN, FACTS_WITHIN};
pub use schema::APPLICATION_ID;

use crate::error::{LedgerError, Result};
use query::OrLedger;

/// Environment variable for the busy timeout, in milliseconds.
pub const BUSY_TIMEOUT_ENV: &str = "SUSTAIN_BUSY_TIMEOUT_MS";

/// A ledger in one SQLite file.
#[derive(Debug)]
pub struct SqliteLedger {
    conn: Connection,
    path: PathBuf,
    busy_ms: u64,
    read_only: bool,
    /// The run queries whose last totals pass left nothing out (`totals`), so listing what
    /// they leave out need not read the period again (`plausible`).
    clean: std::cell::RefCell<Vec<String>>,
}

/// A stored number of seconds as a duration; negative, NaN or out-of-range values (never
/// written by Sustain) read as zero rather than panicking.
pub(crate) fn secs(v: f64) -> Duration {
    Duration::try_from_secs_f64(v).unwrap_or_default()
}

/// A time as the ledger stores it: UTC RFC 3339 with microseconds, so text order is time order.
pub(crate) fn ts(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A time as the bound of a query on stored times. Past year 9999 a time is written `+10000-...`,
/// which sorts before every stored time; a bound there is the end of 9999 instead (`T24`
/// sorts after every stored time of its day), so a period ending on 9999-12-31 holds its runs.
pub(crate) fn ts_bound(t: &DateTime<Utc>) -> String {
    if t.year() > 9999 {
        "9999-12-31T24:00:00.000000Z".into()
    } else {
        ts(t)
    }
}

pub(crate) fn parse_ts(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| LedgerError::Corrupt(format!("timestamp {s:?}: {e}")))
}

/// A day as the ledger stores it.
pub(crate) fn day(d: &NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// A day as the bound of a query on stored days (as [`ts_bound`]: past 9999, a bound after
/// every stored day).
pub(crate) fn day_bound(d: &NaiveDate) -> String {
    if d.year() > 9999 {
        "9999-12-32".into()
    } else {
        day(d)
    }
}

pub(crate) fn parse_day(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| LedgerError::Corrupt(format!("day {s:?}: {e}")))
}

pub(crate) fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(what: &str, s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| LedgerError::Corrupt(format!("{what}: {e}")))
}

/// A tag key usable in a JSON path: letters, digits, `_`, `-`, `.`.
pub(crate) fn check_tag_key(key: &str) -> Result<()> {
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

/// How many run queries [`SqliteLedger`] remembers as clean.
const CLEAN_MEMORY: usize = 16;

/// The key of a run query: its period and scope (not its grouping).
fn query_key(q: &crate::business::TotalsQuery) -> String {
    format!(
        "{}|{}|{:?}|{:?}|{:?}",
        ts(&q.from),
        ts(&q.to),
        q.tag,
        q.site,
        q.kind
    )
}

impl SqliteLedger {
    /// Remembers whether the totals pass of `q` left runs out.
    pub(super) fn note_totals(&self, q: &crate::business::TotalsQuery, left_out: u64) {
        let key = query_key(q);
        let mut clean = self.clean.borrow_mut();
        clean.retain(|k| *k != key);
        if left_out == 0 {
            if clean.len() == CLEAN_MEMORY {
                clean.remove(0);
            }
            clean.push(key);
        }
    }

    /// Whether the last totals pass of `q` on this connection left no run out; forgotten once
    /// asked, so an answer is never older than the pass just before it.
    pub(super) fn take_clean(&self, q: &crate::business::TotalsQuery) -> bool {
        let key = query_key(q);
        let mut clean = self.clean.borrow_mut();
        let before = clean.len();
        clean.retain(|k| *k != key);
        clean.len() != before
    }

    /// Opens (creating if needed) the ledger at `path`, applying pending migrations.
    pub fn open(path: &Path) -> Result<Self> {
        Self::open_with_timeout(path, busy_timeout())
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
        files::prepare(path).map_err(open_err)?;
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
            read_only: false,
            clean: Default::default(),
        };
        ledger.check_identity()?;
        ledger.configure()?;
        ledger.migrate()?;
        Ok(ledger)
    }

    /// Opens an existing ledger for reading only: nothing is written, not even the `-wal` and
    /// `-shm` files beside it when it has none (an auditor's copy in a directory they cannot
    /// write). Its schema must be the current one (a read-only ledger cannot be migrated).
    pub fn open_read_only(path: &Path) -> Result<Self> {
        let open_err = |reason: String| LedgerError::Open {
            path: path.to_path_buf(),
            reason,
        };
        if !path.is_file() {
            return Err(open_err(
                "no such ledger file; a read-only ledger must exist".into(),
            ));
        }
        let conn = files::open_read_only(path).map_err(|e| open_err(e.to_string()))?;
        let busy = busy_timeout();
        conn.busy_timeout(busy)?;
        let ledger = Self {
            conn,
            path: path.to_path_buf(),
            busy_ms: busy.as_millis() as u64,
            read_only: true,
            clean: Default::default(),
        };
        ledger.check_identity()?;
        ledger.check_current()?;
        ledger
            .conn
            .execute_batch("PRAGMA foreign_keys = ON;")
            .or_ledger(&ledger)?;
        Ok(ledger)
    }

    /// Whether the ledger at `path` exists and may not be written by this process: the file or
    /// its directory has no write permission, or lies on a read-only file system. Such a
    /// ledger is opened with [`SqliteLedger::open_read_only`].
    pub fn is_read_only(path: &Path) -> bool {
        files::is_read_only(path)
    }

    /// Whether this connection is read-only: every write fails with
    /// [`LedgerError::ReadOnly`].
    pub fn read_only(&self) -> bool {
        self.read_only
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The ledger's error for an SQLite error: a busy file, another kind of file, a
    /// permission, a duplicate key each get their own; the rest stays an SQLite error.
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
            Some(ErrorCode::ReadOnly) => LedgerError::ReadOnly {
                path: self.path.clone(),
            },
            Some(ErrorCode::CannotOpen) | Some(ErrorCode::PermissionDenied) => LedgerError::Open {
                path: self.path.clone(),
                reason: format!("{e}; check the file's permissions"),
            },
            Some(ErrorCode::ConstraintViolation) if is_duplicate_key(&e) => {
                LedgerError::Conflict(format!("the record exists already ({e})"))
            }
            _ => LedgerError::Sqlite(e),
        }
    }

    /// The connection, for tests that write behind the ledger's back.
    #[cfg(test)]
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }
}

/// Whether an SQLite error is a duplicate primary or unique key.
fn is_duplicate_key(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
    )
}

fn busy_timeout() -> Duration {
    let ms = std::env::var(BUSY_TIMEOUT_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30_000);
    Duration::from_millis(ms)
}
