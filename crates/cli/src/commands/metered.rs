//! Where Sustain's own work is recorded: the ledger, at the site the user chose. The training
//! jobs (`sustain_train::jobs`) call this once their inputs are checked.

use std::collections::BTreeMap;

use sustain_core::hardware::CpuCatalog;
use sustain_core::run::RunKind;
use sustain_ledger::SqliteLedger;
use sustain_meter::{Background, Recording, RunSpec, TreeRoot};
use sustain_train::error::MeterStartError;
use sustain_train::jobs::StartMeter;

use sustain_meter::Settings;

/// Meters Sustain's own work into the ledger of `settings` at `site`.
pub struct LedgerMeter<'a> {
    /// Settings in effect.
    pub settings: &'a Settings,
    /// Site id (`--site`, else the default).
    pub site: String,
}

impl<'a> LedgerMeter<'a> {
    /// At `site`, or the settings' default site.
    pub fn new(settings: &'a Settings, site: Option<&str>) -> Self {
        Self {
            settings,
            site: site.unwrap_or(&settings.default_site).to_string(),
        }
    }
}

impl StartMeter for LedgerMeter<'_> {
    type Sink = SqliteLedger;

    fn start(
        &self,
        kind: RunKind,
        name: &str,
        tags: BTreeMap<String, String>,
    ) -> Result<Background<SqliteLedger>, MeterStartError> {
        let setup = self.settings.setup(&self.site)?;
        let ledger = super::open_ledger(self.settings).map_err(MeterStartError::from)?;
        let cpus = CpuCatalog::bundled()?;
        let spec = RunSpec {
            kind,
            name: name.to_string(),
            command: std::env::args().collect(),
            tags,
        };
        let recording = Recording::begin(setup, TreeRoot::SelfAndChildren, &cpus, spec, ledger)?;
        Ok(recording.in_background()?)
    }
}
