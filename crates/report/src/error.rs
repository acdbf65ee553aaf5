//! Errors of the report layer.

use thiserror::Error;

/// A period, scope or metric is invalid, or the ledger failed.
#[derive(Debug, Error)]
pub enum ReportError {
    /// An option is invalid.
    #[error("invalid {what} {value:?}: expected {expected}")]
    Invalid {
        /// Which option.
        what: String,
        /// As given.
        value: String,
        /// What would be right.
        expected: String,
    },
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] sustain_ledger::LedgerError),
    /// Writing an export or a report failed.
    #[error("cannot write: {0}")]
    Write(#[from] std::io::Error),
}

impl ReportError {
    /// An invalid `what`: `value` as given, `expected` what would be right.
    pub fn invalid(
        what: impl Into<String>,
        value: impl Into<String>,
        expected: impl Into<String>,
    ) -> Self {
        ReportError::Invalid {
            what: what.into(),
            value: value.into(),
            expected: expected.into(),
        }
    }
}

/// Result with [`ReportError`].
pub type Result<T, E = ReportError> = std::result::Result<T, E>;
