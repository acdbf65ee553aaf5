//! CPU energy: RAPL package counters when readable, otherwise a TDP-based power model.
//! Either way the package-level figure is attributed to the metered tree by its share of the
//! machine's busy CPU time (the method of `docs/methods/cpu-energy.md`).

use sustain_core::hardware::CpuCatalog;
use sustain_core::run::{ComponentEnergy, EnergySource};
use sustain_core::units::Power;

use crate::error::Result;
use crate::powercap::Rapl;
use crate::procfs::CpuInfo;
use crate::sensor::{Sensor, Tick};

/// Fallback power per logical CPU when the processor is not in the catalog, W. This is
/// CodeCarbon's documented default (`DEFAULT_POWER_PER_CORE = 4` in `codecarbon/core/cpu.py`).
pub const FALLBACK_W_PER_LOGICAL_CPU: f64 = 4.0;

/// Share of TDP drawn by an idle package in the model. CodeCarbon floors its load model at the
/// same 10 % of TDP; measured idle package power of server CPUs is typically 10-30 % of TDP.
pub const DEFAULT_IDLE_FRACTION: f64 = 0.10;

/// Package power as a linear function of machine CPU utilization:
/// `P(u) = TDP x (idle + (1 - idle) x u)`.
#[derive(Debug, Clone, PartialEq)]
pub struct CpuPowerModel {
    /// TDP of all packages together.
    pub tdp: Power,
    /// Idle share of TDP, 0..1.
    pub idle_fraction: f64,
    /// Where the TDP comes from, in words.
    pub basis: String,
}

impl CpuPowerModel {
    /// Builds the model for this machine: an explicit TDP when given, else the catalog's TDP of
    /// the reported model times the number of packages, else the per-logical-CPU fallback.
    pub fn for_host(info: &CpuInfo, catalog: &CpuCatalog, tdp_override: Option<Power>) -> Self {
        let (tdp, basis) = if let Some(p) = tdp_override {
            (p, format!("configured TDP {} W", p.watts()))
        } else if let Some(m) = catalog.match_model(&info.model) {
            let packages = info.packages.max(1);
            (
                m.tdp() * f64::from(packages),
                format!(
                    "{}: {} W TDP x {packages} package(s) ({})",
                    m.model, m.tdp_w, m.source
                ),
            )
        } else {
            let n = info.logical.max(1);
            (
                Power::from_watts(FALLBACK_W_PER_LOGICAL_CPU * f64::from(n)),
                format!(
                    "CPU '{}' not in the catalog: {FALLBACK_W_PER_LOGICAL_CPU} W per logical CPU x {n} (CodeCarbon's default); set cpu_tdp_w to correct it",
                    if info.model.is_empty() {
                        "unknown"
                    } else {
                        &info.model
                    }
                ),
            )
        };
        Self {
            tdp,
            idle_fraction: DEFAULT_IDLE_FRACTION,
            basis,
        }
    }

    /// Package power at machine utilization `u` (clamped to 0..1).
    pub fn power_at(&self, u: f64) -> Power {
        let u = u.clamp(0.0, 1.0);
        self.tdp * (self.idle_fraction + (1.0 - self.idle_fraction) * u)
    }
}

/// CPU energy from the power model.
#[derive(Debug, Clone)]
pub struct ModelCpuSensor {
    model: CpuPowerModel,
    why: String,
}

impl ModelCpuSensor {
    /// A modelled CPU sensor; `why` says why no counter is used.
    pub fn new(model: CpuPowerModel, why: impl Into<String>) -> Self {
        Self {
            model,
            why: why.into(),
        }
    }
}

impl Sensor for ModelCpuSensor {
    fn method(&self) -> String {
        format!(
            "TDP model ({}; idle {}% of TDP, linear in utilization), attributed by CPU-time share; {}",
            self.model.basis,
            self.model.idle_fraction * 100.0,
            self.why
        )
    }

    fn read(&mut self, tick: &Tick) -> Result<ComponentEnergy> {
        let e = self.model.power_at(tick.utilization()) * tick.dt * tick.cpu_share();
        Ok(ComponentEnergy {
            energy: e,
            source: EnergySource::Modelled,
            apportioned: false,
            method: self.method(),
        })
    }
}

/// CPU energy from RAPL package counters.
#[derive(Debug, Clone)]
pub struct RaplCpuSensor {
    rapl: Rapl,
}

impl RaplCpuSensor {
    /// A sensor over discovered zones.
    pub fn new(rapl: Rapl) -> Self {
        Self { rapl }
    }
}

impl Sensor for RaplCpuSensor {
    fn method(&self) -> String {
        format!(
            "{} (measured package energy), attributed by CPU-time share",
            self.rapl.describe_packages()
        )
    }

    fn read(&mut self, tick: &Tick) -> Result<ComponentEnergy> {
        let package = self.rapl.packages_delta()?;
        let share = tick.cpu_share();
        Ok(ComponentEnergy {
            energy: package * share,
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

    fn info(model: &str, logical: u32, packages: u32) -> CpuInfo {
        CpuInfo {
            model: model.into(),
            logical,
            packages,
        }
    }

    #[test]
    fn model_uses_catalog_tdp_times_packages_or_the_fallback() {
        let cat = CpuCatalog::bundled().unwrap();
        let m = CpuPowerModel::for_host(
            &info("Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz", 64, 2),
            &cat,
            None,
        );
        assert_eq!(m.tdp.watts(), 600.0);
        assert!(m.basis.contains("8375C"));
        let m = CpuPowerModel::for_host(&info("AMD EPYC", 2, 1), &cat, None);
        assert_eq!(m.tdp.watts(), 8.0);
        assert!(m.basis.contains("not in the catalog"));
        let m =
            CpuPowerModel::for_host(&info("AMD EPYC", 2, 1), &cat, Some(Power::from_watts(65.0)));
        assert_eq!(m.tdp.watts(), 65.0);
    }

    #[test]
    fn power_is_linear_between_idle_and_tdp() {
        let m = CpuPowerModel {
            tdp: Power::from_watts(100.0),
            idle_fraction: 0.1,
            basis: String::new(),
        };
        assert!((m.power_at(0.0).watts() - 10.0).abs() < 1e-12);
        assert!((m.power_at(1.0).watts() - 100.0).abs() < 1e-12);
        assert!((m.power_at(0.5).watts() - 55.0).abs() < 1e-12);
        assert!((m.power_at(7.0).watts() - 100.0).abs() < 1e-12);
    }

    #[test]
    fn modelled_energy_follows_cpu_share() {
        let m = CpuPowerModel {
            tdp: Power::from_watts(100.0),
            idle_fraction: 0.1,
            basis: "test".into(),
        };
        let mut s = ModelCpuSensor::new(m, "no RAPL");
        let busy = Tick {
            dt: Duration::from_secs(2),
            tree_cpu: Duration::from_secs(2),
            machine_busy: Duration::from_secs(2),
            machine_total: Duration::from_secs(4),
            ..Default::default()
        };
        let e = s.read(&busy).unwrap();
        // u = 0.5 -> 55 W, whole share, 2 s -> 110 J.
        assert!((e.energy.joules() - 110.0).abs() < 1e-9);
        assert_eq!(e.source, EnergySource::Modelled);
        let idle = Tick {
            tree_cpu: Duration::ZERO,
            ..busy
        };
        assert_eq!(s.read(&idle).unwrap().energy.joules(), 0.0);
    }
}
