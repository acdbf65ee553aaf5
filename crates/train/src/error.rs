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
    /// A checkpoint cannot be used.
    #[error("checkpoint {path}: {message}")]
    Checkpoint {
        /// The directory.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// Result with [`TrainError`].
pub type Result<T, E = TrainError> = std::result::Result<T, E>;

pub(crate) fn data_err(name: &str, message: impl Into<String>) -> TrainError {
    TrainError::Data {
        name: name.to_string(),
        message: message.into(),
    }
}
