//! Errors of the meter.

use std::path::PathBuf;

use thiserror::Error;

/// A sensor or the process table could not be read.
#[derive(Debug, Error)]
pub enum MeterError {
    /// A file under /proc or /sys could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file had unexpected contents.
    #[error("unexpected contents in {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
    /// A setting is invalid.
    #[error("invalid meter setting {what}: {message}")]
    Setting {
        /// Which setting.
        what: String,
        /// What is wrong and what would be right.
        message: String,
    },
    /// The GPU library reported an error.
    #[error("GPU sensor: {0}")]
    Gpu(String),
    /// The sink (the ledger, a server) did not take a record of the run.
    #[error("{what}: {source}")]
    Sink {
        /// What was being recorded.
        what: &'static str,
        /// The sink's error.
        source: sustain_core::sink::SinkError,
    },
    /// The operating system refused a thread or a signal handler.
    #[error("{what}: {source}")]
    System {
        /// What was being set up.
        what: &'static str,
        /// The system's error.
        source: std::io::Error,
    },
    /// A setting (flag, environment variable, config file) is wrong: the whole message says
    /// what, where, and what would be right.
    #[error("{0}")]
    Config(String),
    /// A meter thread failed.
    #[error("{0}")]
    Thread(String),
}

/// Result with [`MeterError`].
pub type Result<T, E = MeterError> = std::result::Result<T, E>;

pub(crate) fn read_to_string(path: &std::path::Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| MeterError::Read {
        path: path.to_path_buf(),
        source,
    })
}
