//! One place that maps SQLite's errors to the ledger's: the query helpers every SQLite call
//! site goes through (rows, one row, an optional row, a streamed walk, a write transaction),
//! so the mapping of a busy file to [`LedgerError::Locked`], of a duplicate key to
//! [`LedgerError::Conflict`] and so on is written once.

use rusqlite::{Params, Row, TransactionBehavior};

use super::SqliteLedger;
use crate::error::{LedgerError, Result};

/// What a step inside a query helper may fail with: SQLite (mapped by the helper) or the
/// ledger's own errors (decoding, validation), passed through. Both convert with `?`.
#[derive(Debug)]
pub(crate) enum Failure {
    /// An SQLite error, mapped once by the helper.
    Sql(rusqlite::Error),
    /// A ledger error, as it is.
    Ledger(LedgerError),
}

impl From<rusqlite::Error> for Failure {
    fn from(e: rusqlite::Error) -> Self {
        Failure::Sql(e)
    }
}

impl From<LedgerError> for Failure {
    fn from(e: LedgerError) -> Self {
        Failure::Ledger(e)
    }
}

/// Maps an SQLite result with the ledger's error mapping.
pub(crate) trait OrLedger<T> {
    /// The result, its error mapped by `l`.
    fn or_ledger(self, l: &SqliteLedger) -> Result<T>;
}

impl<T> OrLedger<T> for rusqlite::Result<T> {
    fn or_ledger(self, l: &SqliteLedger) -> Result<T> {
        self.map_err(|e| l.map_err(e))
    }
}

impl<T> OrLedger<T> for std::result::Result<T, Failure> {
    fn or_ledger(self, l: &SqliteLedger) -> Result<T> {
        self.map_err(|e| match e {
            Failure::Sql(e) => l.map_err(e),
            Failure::Ledger(e) => e,
        })
    }
}

impl SqliteLedger {
    /// Every row of `sql`, each mapped by `f`.
    pub(crate) fn rows<T, P, F>(&self, sql: &str, params: P, f: F) -> Result<Vec<T>>
    where
        P: Params,
        F: FnMut(&Row<'_>) -> rusqlite::Result<T>,
    {
        let run = || -> rusqlite::Result<Vec<T>> {
            let mut stmt = self.conn.prepare_cached(sql)?;
            let rows = stmt.query_map(params, f)?;
            rows.collect()
        };
        run().or_ledger(self)
    }

    /// The one row of `sql`, mapped by `f`.
    pub(crate) fn row<T, P, F>(&self, sql: &str, params: P, f: F) -> Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    {
        let run = || -> rusqlite::Result<T> { self.conn.prepare_cached(sql)?.query_row(params, f) };
        run().or_ledger(self)
    }

    /// The row of `sql` if there is one, mapped by `f`.
    pub(crate) fn optional_row<T, P, F>(&self, sql: &str, params: P, f: F) -> Result<Option<T>>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    {
        use rusqlite::OptionalExtension;
        let run = || -> rusqlite::Result<Option<T>> {
            self.conn
                .prepare_cached(sql)?
                .query_row(params, f)
                .optional()
        };
        run().or_ledger(self)
    }

    /// Calls `f` with each row of `sql` as it is read, without holding them all (for results
    /// too large to collect). `f` may fail with SQLite's errors or the ledger's.
    pub(crate) fn each<P, F>(&self, sql: &str, params: P, mut f: F) -> Result<()>
    where
        P: Params,
        F: FnMut(&Row<'_>) -> std::result::Result<(), Failure>,
    {
        let run = || -> std::result::Result<(), Failure> {
            let mut stmt = self.conn.prepare_cached(sql)?;
            let mut rows = stmt.query(params)?;
            while let Some(r) = rows.next()? {
                f(r)?;
            }
            Ok(())
        };
        run().or_ledger(self)
    }

    /// The index of each column of `sql` by name (the first of a name wins, as in rusqlite's
    /// lookup by name): looked up once, reading fifty columns of a million rows by index is
    /// much faster than by name.
    pub(crate) fn column_index(
        &self,
        sql: &str,
    ) -> Result<std::collections::HashMap<String, usize>> {
        let stmt = self.conn.prepare_cached(sql).or_ledger(self)?;
        Ok(stmt
            .column_names()
            .into_iter()
            .enumerate()
            .rev()
            .map(|(i, n)| (n.to_string(), i))
            .collect())
    }

    /// Runs `f` in one write transaction (`BEGIN IMMEDIATE`: a writer that finds the file busy
    /// waits up to the busy timeout). Refused at once on a ledger opened read-only.
    pub(crate) fn write<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&rusqlite::Transaction<'_>) -> std::result::Result<T, Failure>,
    {
        if self.read_only {
            return Err(LedgerError::ReadOnly {
                path: self.path.clone(),
            });
        }
        let run = || -> std::result::Result<T, Failure> {
            let tx =
                rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        };
        run().or_ledger(self)
    }
}
