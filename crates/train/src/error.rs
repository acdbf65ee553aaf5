//! Errors of the train layer.

use std::path::PathBuf;

use thiserror::Error;

/// A dataset, a configuration or a checkpoint is unusable, or training failed.
#[derive(Debug, Error)]
pub enum TrainError {
    /// A dataset file cannot be read.
    #[error("cannot read dataset {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A dataset's contents are wrong.
    #[error("dataset {name}: {message}")]
    Data {
        /// Dataset name or path.
        name: String,
        /// What is wrong and what would be right.
        message: String,
    },
    /// An option is invalid.
    #[error("invalid {what} {value}: expected {expected}")]
    Invalid {
        /// Which option.
        what: String,
        /// As given.
        value: String,
        /// What would be right.
        expected: String,
    },
    /// Training diverged.
    #[error(
        "training diverged: the loss became {value} at epoch {epoch}; lower --lr (it was {lr}) or standardize the features"
    )]
    Diverged {
        /// Epoch (1-based).
        epoch: usize,
        /// The loss value (NaN or infinite).
        value: String,
        /// The learning rate.
        lr: f64,
    },
    /// Bad input, with the whole message: what is wrong and what would be right.
    #[error("{0}")]
    Input(String),
    /// No task has this name.
    #[error("unknown task '{0}': tasks are {names}", names = crate::task::task_names())]
    UnknownTask(String),
    /// Metering could not start (the site, the ledger, the sensors): nothing has run.
    #[error("{0}")]
    Meter(MeterStartError),
    /// The work failed after its run started; the run is recorded as failed.
    #[error("{error}\n  the run is recorded as failed: {run_id}")]
    RecordedFailed {
        /// The failed run.
        run_id: String,
        /// Why it failed.
        error: Box<TrainError>,
    },
    /// Training finished but its outputs could not be written; the run is recorded as failed.
    #[error(
        "training finished but its outputs could not be written; the run is recorded as failed: {run_id}: {error}"
    )]
    OutputsNotWritten {
        /// The failed run.
        run_id: String,
        /// Why.
        error: Box<TrainError>,
    },
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A checkpoint cannot be used.
    #[error("checkpoint {path}: {message}")]
    Checkpoint {
        /// The directory.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl TrainError {
    /// Whether the error is the user's input (a dataset, an option, a model directory) rather
    /// than a failure of the work or of the system. A metering error is neither: its own error
    /// says (a site that does not exist, a ledger that cannot be opened).
    pub fn is_bad_input(&self) -> bool {
        match self {
            TrainError::Diverged { .. }
            | TrainError::Write { .. }
            | TrainError::OutputsNotWritten { .. }
            | TrainError::Meter(_) => false,
            TrainError::RecordedFailed { error, .. } => error.is_bad_input(),
            TrainError::Read { .. }
            | TrainError::Data { .. }
            | TrainError::Invalid { .. }
            | TrainError::Input(_)
            | TrainError::UnknownTask(_)
            | TrainError::Checkpoint { .. } => true,
        }
    }
}

/// Why metering could not start: the error of whatever starts it (the CLI's ledger, a site
/// catalog), boxed so callers keep its type.
pub type MeterStartError = Box<dyn std::error::Error + Send + Sync>;

/// Result with [`TrainError`].
pub type Result<T, E = TrainError> = std::result::Result<T, E>;

pub(crate) fn data_err(name: &str, message: impl Into<String>) -> TrainError {
    TrainError::Data {
        name: name.to_string(),
        message: message.into(),
    }
}
