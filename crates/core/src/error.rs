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
    /// A figure is outside its plausible bounds (see [`crate::bounds`]).
    #[error(transparent)]
    OutOfBounds(#[from] crate::bounds::BoundsError),
    /// An error of one field of a record, reported under that field's name (the API's
    /// `field`) while its message names the precise value (`PUE of site 'SE'`).
    #[error("{error}")]
    At {
        /// The field, as a path in the record's JSON form (`start.site`).
        field: String,
        /// What is wrong with it.
        error: Box<CoreError>,
    },
    /// A usage row names a product the ledger does not have.
    #[error("unknown product '{name}' (known products: {})", if .known.is_empty() { "none".to_string() } else { .known.join(", ") })]
    UnknownProduct {
        /// The name given.
        name: String,
        /// The products the ledger has.
        known: Vec<String>,
    },
    /// Bad input, with the whole message: what is wrong and what would be right.
    #[error("{0}")]
    Input(String),
    /// An error at a place in a file or a list (`usage.csv line 3`), which its message names.
    #[error("{at}: {error}")]
    Located {
        /// Where.
        at: String,
        /// What.
        error: Box<CoreError>,
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

impl CoreError {
    /// This error, reported under `field`.
    pub fn at(self, field: &str) -> Self {
        CoreError::At {
            field: field.to_string(),
            error: Box::new(self),
        }
    }
}

/// Result with [`CoreError`].
pub type Result<T, E = CoreError> = std::result::Result<T, E>;
