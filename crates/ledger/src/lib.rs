//! # sustain-ledger
//!
//! Where runs are kept. The [`Ledger`] trait is what every caller uses; [`SqliteLedger`] is the
//! embedded default (one file, WAL mode, numbered migrations compiled into the binary), and a
//! PostgreSQL backend for teams can implement the same trait without touching callers.
//!
//! The ledger is append-only. A run is a sequence of records — its start, its samples, its end —
//! and nothing is rewritten: a correction is a later end that supersedes an earlier one. The
//! SQLite schema enforces this with triggers that abort any UPDATE or DELETE.

pub mod business;
pub mod error;
pub mod ledger;
pub mod recovery;
mod sink;
pub mod sqlite;
pub mod tokens;
pub mod views;

pub use business::{
    AvoidedTotals, Business, Group, InvalidRecord, RecordKind, RunOutcome, RunTotals,
    ScheduleFilter, TotalsQuery, TrainedModel, UsageTotal,
};
pub use error::{LedgerError, Result};
pub use ledger::{Ledger, RunFilter};
pub use recovery::recover_incomplete;
pub use sqlite::SqliteLedger;
pub use tokens::{NewToken, Role, TokenInfo, Tokens};
pub use views::{DatasetVersion, ModelVersion, PeriodTotals, Revision, ScopeTotals, Views};
