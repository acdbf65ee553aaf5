//! Where each job's run is recorded and how it is metered: the caller's plug-in.

use std::time::Duration;

use sustain_core::sink::{RunSink, SinkError};
use sustain_meter::{Settings, Setup};

use crate::plan::PlannedJob;

/// Where each job's run is recorded and how it is metered: the caller's plug-in, so this crate
/// opens no ledger (as `sustain_train::jobs::StartMeter` does for training).
pub trait Recorder {
    /// How runs at `site` (a site of the plan) are metered: the site's factors, the sampling
    /// interval, the sensors. Called once per site, before anything runs, so a site without
    /// factors stops the plan before any job starts.
    fn setup(&mut self, site: &str) -> std::result::Result<Setup, SinkError>;

    /// Where the run of `job` is written, opened when its slot comes (each job gets its own
    /// sink, used from the job's own thread). An error here is that job's: it is reported
    /// in its outcome, not started, and the other jobs go on.
    fn sink(&mut self, job: &PlannedJob)
    -> std::result::Result<Box<dyn RunSink + Send>, SinkError>;
}

/// A [`Recorder`] from Sustain's settings (each site's factors, the interval and sensors in
/// effect, as `sustain run` uses them) and a function that opens a sink per job: what the CLI
/// passes, with a function that opens the ledger (`SqliteLedger`) or a `RemoteSink`.
pub struct SettingsRecorder<'a, F> {
    /// Settings in effect (`--config`, `SUSTAIN_*`, defaults).
    pub settings: &'a Settings,
    /// The sampling interval, when it is not the settings' (`--interval`).
    pub interval: Option<Duration>,
    /// Opens where a job's run is written.
    pub open: F,
}

impl<'a, F> SettingsRecorder<'a, F>
where
    F: FnMut(&PlannedJob) -> std::result::Result<Box<dyn RunSink + Send>, SinkError>,
{
    /// Runs metered as `settings` say, recorded where `open` says.
    pub fn new(settings: &'a Settings, open: F) -> Self {
        Self {
            settings,
            interval: None,
            open,
        }
    }
}

impl<F> Recorder for SettingsRecorder<'_, F>
where
    F: FnMut(&PlannedJob) -> std::result::Result<Box<dyn RunSink + Send>, SinkError>,
{
    fn setup(&mut self, site: &str) -> std::result::Result<Setup, SinkError> {
        let mut setup = self.settings.setup(site)?;
        if let Some(i) = self.interval {
            setup.interval = i;
        }
        Ok(setup)
    }

    fn sink(
        &mut self,
        job: &PlannedJob,
    ) -> std::result::Result<Box<dyn RunSink + Send>, SinkError> {
        (self.open)(job)
    }
}
