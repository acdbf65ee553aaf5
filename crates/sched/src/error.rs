//! Errors of the scheduler: each names the job, line or site at fault and what would be right.

use thiserror::Error;

/// A schedule could not be read, planned or carried out.
#[derive(Debug, Error)]
pub enum SchedError {
    /// A value given by the user is wrong: what (with its file and line, or job), as given,
    /// and what would be right.
    #[error("invalid {what} {value:?}: expected {expected}")]
    Invalid {
        /// Which input, located (`jobs.csv line 4, deadline`).
        what: String,
        /// As given.
        value: String,
        /// What a valid value looks like.
        expected: String,
    },
    /// The inputs cannot be used together (a job outside its site's series, a site nobody
    /// gave an intensity for).
    #[error("{0}")]
    Inconsistent(String),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// An engine (sbatch, kubectl) is missing or refused a job.
    #[error("{0}")]
    Engine(String),
    /// A catalog lookup failed.
    #[error(transparent)]
    Core(#[from] sustain_core::CoreError),
}

impl SchedError {
    /// Whether this is the user's input (exit 2) rather than a failure of the machine (exit 1).
    pub fn is_bad_input(&self) -> bool {
        match self {
            SchedError::Invalid { .. } | SchedError::Inconsistent(_) => true,
            SchedError::Core(e) => matches!(
                e,
                sustain_core::CoreError::UnknownSite { .. }
                    | sustain_core::CoreError::Input { .. }
                    | sustain_core::CoreError::Located { .. }
            ),
            SchedError::Io { .. } | SchedError::Engine(_) => false,
        }
    }
}

/// Result with [`SchedError`].
pub type Result<T, E = SchedError> = std::result::Result<T, E>;

pub(crate) fn invalid(
    what: impl Into<String>,
    value: impl ToString,
    expected: impl Into<String>,
) -> SchedError {
    SchedError::Invalid {
        what: what.into(),
        value: value.to_string(),
        expected: expected.into(),
    }
}

pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> SchedError {
    SchedError::Io {
        path: path.display().to_string(),
        source,
    }
}
