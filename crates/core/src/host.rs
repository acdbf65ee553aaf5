//! The machine a run executed on, as the meter saw it. Its own module so that run records and
//! the embodied-carbon model both depend on it, and not on each other.

use serde::{Deserialize, Serialize};

use crate::bounds;
use crate::embodied::{HostEmbodied, Machine};

/// The machine a run executed on, as the meter saw it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HostInfo {
    /// Host name.
    pub hostname: String,
    /// CPU model as the OS reports it.
    pub cpu_model: String,
    /// Logical CPUs online.
    pub logical_cpus: u32,
    /// CPU packages (sockets).
    pub packages: u32,
    /// Total memory, bytes.
    pub ram_total_bytes: u64,
    /// GPU names, one per device visible to the meter.
    pub gpus: Vec<String>,
    /// The host's embodied-carbon figures as configured when the run started (none in runs
    /// recorded before Sustain kept them: their embodied carbon is unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embodied: Option<HostEmbodied>,
}

impl HostInfo {
    /// What the embodied-carbon model needs of the host.
    pub fn machine(&self) -> Machine<'_> {
        Machine {
            figures: self.embodied.as_ref(),
            logical_cpus: self.logical_cpus,
            gpus: &self.gpus,
        }
    }

    /// Checks the sizes against their plausible bounds, and the embodied figures; fields are
    /// named under `at` as in the run JSON (`start.host.logical_cpus`, `start.host.embodied`).
    pub fn validate(&self, at: &str) -> crate::Result<()> {
        let f = |name: &str| format!("{at}.{name}");
        bounds::LOGICAL_CPUS.check_count(&f("logical_cpus"), u64::from(self.logical_cpus))?;
        bounds::LOGICAL_CPUS.check_count(&f("packages"), u64::from(self.packages))?;
        bounds::BYTES.check_count(&f("ram_total_bytes"), self.ram_total_bytes)?;
        bounds::GPUS.check_count(&f("gpus"), self.gpus.len() as u64)?;
        if let Some(h) = &self.embodied {
            h.validate().map_err(|e| e.at(&f("embodied")))?;
        }
        Ok(())
    }
}
