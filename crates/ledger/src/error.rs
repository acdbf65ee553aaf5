//! Errors of the ledger.

use std::path::PathBuf;

use thiserror::Error;

/// The ledger could not be opened, read or written.
#[derive(Debug, Error)]
pub enum LedgerError {
    /// The path cannot be used for a ledger.
    #[error("cannot open ledger {path}: {reason}")]
    Open {
        /// The path.
        path: PathBuf,
        /// What is wrong and what would be right.
        reason: String,
    },
    /// The file exists but is not a Sustain ledger.
    #[error(
        "{path} is not a Sustain ledger ({reason}); point --ledger or SUSTAIN_LEDGER at a Sustain ledger file or at a new path"
    )]
    NotALedger {
        /// The path.
        path: PathBuf,
        /// What it is instead.
        reason: String,
    },
    /// The ledger was written by a newer Sustain.
    #[error(
        "ledger {path} has schema version {found}, newer than this Sustain understands ({known}); upgrade Sustain"
    )]
    NewerSchema {
        /// The path.
        path: PathBuf,
        /// Version in the file.
        found: i64,
        /// Latest version known.
        known: i64,
    },
    /// Another process holds a lock for longer than the busy timeout.
    #[error(
        "ledger {path} is locked by another process (waited {waited_ms} ms); retry, or raise SUSTAIN_BUSY_TIMEOUT_MS"
    )]
    Locked {
        /// The path.
        path: PathBuf,
        /// How long we waited.
        waited_ms: u64,
    },
    /// The ledger was opened read-only (an auditor's copy: the file or its directory is not
    /// writable) and something tried to write to it.
    #[error(
        "ledger {path} is read-only (the file or its directory is not writable, as for an auditor's copy): this command writes to the ledger; run it on a writable ledger"
    )]
    ReadOnly {
        /// The path.
        path: PathBuf,
    },
    /// A record exists already (a run id recorded twice).
    #[error("{0}")]
    Conflict(String),
    /// A record was refused: a field outside its plausible bounds or otherwise invalid.
    #[error(transparent)]
    Rejected(#[from] sustain_core::CoreError),
    /// A record refers to something the ledger does not have, or is invalid.
    #[error("{0}")]
    Invalid(String),
    /// No run has this id.
    #[error("no run with id '{0}'; list runs with `sustain runs list`")]
    NotFound(String),
    /// An id prefix matches several runs.
    #[error("run id prefix '{prefix}' is ambiguous: it matches {}; give more characters", .matches.join(", "))]
    Ambiguous {
        /// The prefix.
        prefix: String,
        /// Some matching ids.
        matches: Vec<String>,
    },
    /// A stored record could not be decoded.
    #[error("ledger record is unreadable: {0}")]
    Corrupt(String),
    /// Any other database error.
    #[error("ledger database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// Result with [`LedgerError`].
pub type Result<T, E = LedgerError> = std::result::Result<T, E>;
