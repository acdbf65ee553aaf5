//! Errors of the estimator: each names what is wrong and what would be right.

use thiserror::Error;

/// An estimate could not be made from the inputs given.
#[derive(Debug, Error)]
pub enum EstimateError {
    /// A required input is missing.
    #[error("missing {what}: {fix}")]
    Missing {
        /// What is missing.
        what: String,
        /// How to give it.
        fix: String,
    },
    /// Inputs that cannot be given together.
    #[error("contradictory inputs: {0}")]
    Contradictory(String),
    /// An input out of range.
    #[error("invalid {what} {value}: expected {expected}")]
    Invalid {
        /// Which input.
        what: String,
        /// As given.
        value: String,
        /// What a valid value looks like.
        expected: String,
    },
    /// The catalog lacks a figure the estimate needs.
    #[error("{0}")]
    NoFigure(String),
    /// A sweep or key=value input could not be parsed.
    #[error("{0}")]
    Parse(String),
    /// A catalog lookup or unit validation failed.
    #[error(transparent)]
    Core(#[from] sustain_core::CoreError),
}

/// Result with [`EstimateError`].
pub type Result<T, E = EstimateError> = std::result::Result<T, E>;

pub(crate) fn invalid(what: &str, value: impl ToString, expected: &str) -> EstimateError {
    EstimateError::Invalid {
        what: what.to_string(),
        value: value.to_string(),
        expected: expected.to_string(),
    }
}

/// A finite number > 0.
pub(crate) fn positive(what: &str, v: f64) -> Result<f64> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(invalid(what, v, "a finite number greater than 0"))
    }
}

/// A finite number >= 0.
pub(crate) fn non_negative(what: &str, v: f64) -> Result<f64> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(invalid(what, v, "a finite number >= 0"))
    }
}

/// Refuses results that overflowed: output never carries infinity or NaN.
pub(crate) fn ensure_finite(figures: &[f64]) -> Result<()> {
    if figures.iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(EstimateError::Invalid {
            what: "inputs".into(),
            value: "(their magnitudes)".into(),
            expected: "magnitudes whose results fit in a finite number; check the exponents (70B is 70e9, not 70e90)".into(),
        })
    }
}
