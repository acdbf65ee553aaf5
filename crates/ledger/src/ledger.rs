//! The backend-neutral interface to the ledger.

use chrono::{DateTime, Utc};
use sustain_core::run::{RunEnd, RunStart, RunStatus, RunView, Sample};

use crate::error::Result;

/// Which runs to list.
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    /// Only runs started at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only runs with this current status.
    pub status: Option<RunStatus>,
    /// At most this many, newest first.
    pub limit: Option<usize>,
}

/// An append-only store of runs. Implementations must pass the conformance tests in
/// `tests/conformance.rs`.
pub trait Ledger {
    /// Records that a run started. Fails with [`crate::LedgerError::Conflict`] if the id
    /// exists, and with [`crate::LedgerError::Rejected`] if the start is outside the bounds of
    /// `sustain_core::bounds` (as do the other writes).
    fn start_run(&self, start: &RunStart) -> Result<()>;

    /// Appends samples of a started run.
    fn append_samples(&self, run_id: &str, samples: &[Sample]) -> Result<()>;

    /// Records how a run ended. A later end supersedes an earlier one.
    fn finish_run(&self, end: &RunEnd) -> Result<()>;

    /// Records a finished run whole: its start, samples and end, each checked as by the three
    /// methods above. A run id recorded already is a [`crate::LedgerError::Conflict`].
    /// Backends that can should do it atomically (the SQLite ledger does: one transaction).
    fn record_run(&self, start: &RunStart, samples: &[Sample], end: &RunEnd) -> Result<()> {
        self.start_run(start)?;
        self.append_samples(&start.id, samples)?;
        self.finish_run(end)
    }

    /// Records an end only if the run has none yet (used to mark runs incomplete without racing
    /// a meter that finishes at the same moment). Returns whether it was recorded.
    fn finish_run_if_open(&self, end: &RunEnd) -> Result<bool>;

    /// Runs with their latest end, newest first.
    fn runs(&self, filter: &RunFilter) -> Result<Vec<RunView>>;

    /// One run, by full id or unique prefix.
    fn run(&self, id_or_prefix: &str) -> Result<RunView>;

    /// The samples of a run, in order.
    fn samples(&self, run_id: &str) -> Result<Vec<Sample>>;

    /// Runs that have started and have no end.
    fn open_runs(&self) -> Result<Vec<RunView>>;
}
