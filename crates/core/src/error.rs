//! Errors of the core layer.

use thiserror::Error;

/// Something in reference data, user settings or records is invalid.
#[derive(Debug, Error)]
pub enum CoreError {
    /// A value is out of its valid range.
    #[error("invalid {what}: {value}; expected {expected}")]
    InvalidValue {
        /// What the value is.
        what: String,
        /// The value as given.
        value: String,
        /// What a valid value looks like.
        expected: String,
    },
    /// No site has this id.
    #[error("unknown site '{id}'{}; list sites with `sustain catalog sites`", crate::suggest::did_you_mean(.suggestions))]
    UnknownSite {
        /// The id given.
        id: String,
        /// Close matches.
        suggestions: Vec<String>,
    },
    /// No hardware has this id.
    #[error("unknown hardware '{id}'{}; list hardware with `sustain catalog hardware`", crate::suggest::did_you_mean(.suggestions))]
    UnknownHardware {
        /// The id given.
        id: String,
        /// Close matches.
        suggestions: Vec<String>,
    },
    /// Two amounts in different currencies were combined.
    #[error("cannot combine amounts in {left} and {right}; use one currency for prices and rates")]
    CurrencyMismatch {
        /// One currency.
        left: String,
        /// The other.
        right: String,
    },
    /// A reference-data table could not be parsed.
    #[error("reference data {table}, line {line}: {message}")]
    Data {
        /// Which table.
        table: String,
        /// 1-based line number (0 when unknown).
        line: u64,
        /// What is wrong.
        message: String,
    },
}

/// Result with [`CoreError`].
pub type Result<T, E = CoreError> = std::result::Result<T, E>;
