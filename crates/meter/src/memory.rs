//! Memory energy: RAPL DRAM counters when the platform has them, otherwise a model from the
//! tree's resident set size (the method of `docs/methods/memory-energy.md`).

use sustain_core::run::{ComponentEnergy, EnergySource};
use sustain_core::units::Power;

use crate::error::Result;
use crate::powercap::Rapl;
use crate::sensor::{Sensor, Tick};

/// Memory power per GiB resident, W: 3 W per 8 GB of DDR3/DDR4, the figure CodeCarbon uses
/// (citing Crucial's "How much power does memory use?").
pub const DEFAULT_W_PER_GIB: f64 = 3.0 / 8.0;

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// RAM energy from resident memory.
#[derive(Debug, Clone)]
pub struct ModelRamSensor {
    w_per_gib: f64,
}

impl ModelRamSensor {
    /// A model with the given power per GiB.
    pub fn new(w_per_gib: f64) -> Self {
        Self { w_per_gib }
    }
}

impl Sensor for ModelRamSensor {
    fn method(&self) -> String {
        format!(
            "RSS model: {} W per GiB resident (3 W per 8 GB DIMM, Crucial via CodeCarbon)",
            self.w_per_gib
        )
    }

    fn read(&mut self, tick: &Tick) -> Result<ComponentEnergy> {
        let p = Power::from_watts(self.w_per_gib * tick.tree_rss_bytes as f64 / GIB);
        Ok(ComponentEnergy {
            energy: p * tick.dt,
            source: EnergySource::Modelled,
            apportioned: false,
            method: self.method(),
        })
    }
}

/// RAM energy from RAPL DRAM zones, attributed by the tree's share of memory in use.
#[derive(Debug, Clone)]
pub struct RaplDramSensor {
    rapl: Rapl,
}

impl RaplDramSensor {
    /// A sensor over discovered zones; `None` when there is no DRAM zone.
    pub fn new(rapl: Rapl) -> Option<Self> {
        (!rapl.dram.is_empty()).then_some(Self { rapl })
    }
}

impl Sensor for RaplDramSensor {
    fn method(&self) -> String {
        "RAPL dram (measured), attributed by resident-memory share".into()
    }

    fn read(&mut self, tick: &Tick) -> Result<ComponentEnergy> {
        let dram = self.rapl.dram_delta()?.unwrap_or_default();
        let share = tick.memory_share();
        Ok(ComponentEnergy {
            energy: dram * share,
            source: EnergySource::Measured,
            apportioned: share < 1.0,
            method: self.method(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rss_model_is_power_per_gib_times_time() {
        let mut s = ModelRamSensor::new(DEFAULT_W_PER_GIB);
        let t = Tick {
            dt: Duration::from_secs(10),
            tree_rss_bytes: 8 * 1024 * 1024 * 1024,
            ..Default::default()
        };
        let e = s.read(&t).unwrap();
        assert!((e.energy.joules() - 30.0).abs() < 1e-9);
        assert_eq!(e.source, EnergySource::Modelled);
    }
}
