//! The ledger as the sink a metered run is recorded through (`sustain_core::sink::RunSink`).

use sustain_core::run::{RunEnd, RunStart, Sample};
use sustain_core::sink::{RunSink, SinkError};

use crate::ledger::Ledger;
use crate::sqlite::SqliteLedger;

impl RunSink for SqliteLedger {
    fn start_run(&self, start: &RunStart) -> Result<(), SinkError> {
        Ok(Ledger::start_run(self, start)?)
    }
    fn append_samples(&self, run_id: &str, samples: &[Sample]) -> Result<(), SinkError> {
        Ok(Ledger::append_samples(self, run_id, samples)?)
    }
    fn finish_run(&self, end: &RunEnd) -> Result<(), SinkError> {
        Ok(Ledger::finish_run(self, end)?)
    }
}
