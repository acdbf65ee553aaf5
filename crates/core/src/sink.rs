//! Where a metered run is written while it happens: the trait the meter records through, which
//! the ledger (a local file) and the push client (a `sustain serve`) implement. It lives here, at
//! the bottom, so the meter does not depend on the ledger nor the ledger on the meter.

use crate::run::{RunEnd, RunStart, Sample};

/// Why a sink could not take a record: the implementation's own error, boxed so that callers
/// keep its type (the CLI maps a ledger's errors to exit codes by downcasting).
pub type SinkError = Box<dyn std::error::Error + Send + Sync>;

/// Receives a run as it happens: its start before the work starts, samples every interval, and
/// its end.
pub trait RunSink {
    /// The run started. Fails if its id exists.
    fn start_run(&self, start: &RunStart) -> Result<(), SinkError>;
    /// Samples of a started run.
    fn append_samples(&self, run_id: &str, samples: &[Sample]) -> Result<(), SinkError>;
    /// The run ended.
    fn finish_run(&self, end: &RunEnd) -> Result<(), SinkError>;
}

impl<S: RunSink + ?Sized> RunSink for Box<S> {
    fn start_run(&self, start: &RunStart) -> Result<(), SinkError> {
        (**self).start_run(start)
    }
    fn append_samples(&self, run_id: &str, samples: &[Sample]) -> Result<(), SinkError> {
        (**self).append_samples(run_id, samples)
    }
    fn finish_run(&self, end: &RunEnd) -> Result<(), SinkError> {
        (**self).finish_run(end)
    }
}
