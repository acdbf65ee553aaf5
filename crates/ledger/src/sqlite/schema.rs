//! What makes a file a Sustain ledger: its `application_id`, WAL mode, and the numbered
//! migrations compiled into the binary (an applied migration is never edited).

use std::time::Duration;

use rusqlite::{ErrorCode, TransactionBehavior};

use super::SqliteLedger;
use super::query::OrLedger;
use crate::error::{LedgerError, Result};

/// `application_id` of a Sustain ledger: "SUST" in ASCII.
pub const APPLICATION_ID: i64 = 0x5355_5354;

/// The numbered migrations, applied in order; an applied migration is never edited.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/0001_runs.sql")),
    (2, include_str!("../../migrations/0002_outcomes.sql")),
    (3, include_str!("../../migrations/0003_business.sql")),
    (4, include_str!("../../migrations/0004_targets.sql")),
    (5, include_str!("../../migrations/0005_run_facts.sql")),
    (6, include_str!("../../migrations/0006_open_runs.sql")),
    (
        7,
        include_str!("../../migrations/0007_social_scenarios.sql"),
    ),
    (8, include_str!("../../migrations/0008_tokens.sql")),
    (9, include_str!("../../migrations/0009_fairness_index.sql")),
    (10, include_str!("../../migrations/0010_embodied.sql")),
    (11, include_str!("../../migrations/0011_schedules.sql")),
];

/// The schema version this Sustain writes.
fn known() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

impl SqliteLedger {
    pub(super) fn check_identity(&self) -> Result<()> {
        // Both values from one read snapshot: another process may be creating the ledger right
        // now, and its tables and application_id appear together when it commits.
        let (app_id, objects): (i64, i64) = (|| -> rusqlite::Result<(i64, i64)> {
            let tx =
                rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Deferred)?;
            let v = tx.query_row(
                "SELECT (SELECT application_id FROM pragma_application_id()),
                        (SELECT count(*) FROM sqlite_master)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            tx.commit()?;
            Ok(v)
        })()
        .or_ledger(self)?;
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
        if self.read_only {
            return Err(LedgerError::Open {
                path: self.path.clone(),
                reason: "the file is empty, and read-only: there is no ledger to read".into(),
            });
        }
        Ok(())
    }

    pub(super) fn configure(&self) -> Result<()> {
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
            .or_ledger(self)
    }

    fn user_version(&self) -> Result<i64> {
        self.row("PRAGMA user_version", [], |r| r.get(0))
    }

    pub(super) fn migrate(&self) -> Result<()> {
        let known = known();
        let current = self.user_version()?;
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
        self.write(|tx| {
            let current: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
                tx.execute_batch(sql).map_err(|e| {
                    LedgerError::Corrupt(format!("migration {version} failed: {e}"))
                })?;
                tx.execute_batch(&format!("PRAGMA user_version = {version}"))?;
            }
            tx.execute_batch(&format!("PRAGMA application_id = {APPLICATION_ID}"))?;
            Ok(())
        })
    }

    /// For a read-only ledger, which cannot be migrated: its schema must be the current one.
    pub(super) fn check_current(&self) -> Result<()> {
        let (current, known) = (self.user_version()?, known());
        if current > known {
            return Err(LedgerError::NewerSchema {
                path: self.path.clone(),
                found: current,
                known,
            });
        }
        if current < known {
            return Err(LedgerError::Open {
                path: self.path.clone(),
                reason: format!(
                    "its schema version {current} is older than this Sustain's ({known}), and it is read-only so it cannot be upgraded; open a writable copy once to upgrade it"
                ),
            });
        }
        Ok(())
    }
}
