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
    /// An engine took some jobs, then failed on one: the jobs it already took are listed
    /// (they are in the engine, and recorded where the executor writes), so nothing done is
    /// lost and the rest can be resubmitted.
    #[error("{source}\nalready handed over before that, and kept: {}", done_list(.done))]
    Partial {
        /// What was done before the failure, one entry per job (`job a: Slurm job 12`).
        done: Vec<String>,
        /// Why the next job failed.
        source: Box<SchedError>,
    },
    /// A catalog lookup failed.
    #[error(transparent)]
    Core(#[from] sustain_core::CoreError),
}

impl SchedError {
    /// Whether this is the user's input (exit 2) rather than a failure of the machine (exit 1).
    pub fn is_bad_input(&self) -> bool {
        match self {
            SchedError::Invalid { .. } | SchedError::Inconsistent(_) => true,
            // A catalog that cannot be parsed is ours; an unknown name or a bad value is theirs.
            SchedError::Core(e) => !matches!(e, sustain_core::CoreError::Data { .. }),
            SchedError::Partial { source, .. } => source.is_bad_input(),
            // A file the user named that is not there is their input; other I/O is the system's.
            SchedError::Io { source, .. } => source.kind() == std::io::ErrorKind::NotFound,
            SchedError::Engine(_) => false,
        }
    }
}

fn done_list(done: &[String]) -> String {
    if done.is_empty() {
        "none".into()
    } else {
        done.join("; ")
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
