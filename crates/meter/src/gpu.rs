//! GPU energy through NVIDIA's NVML, loaded at run time.
//!
//! The library is opened with `dlopen` when a meter starts, so Sustain builds and runs on
//! machines without the driver: there the GPU component is `none`, not an error. With NVML, each
//! device's energy comes from its cumulative energy counter (Volta and newer) or, failing that,
//! from its power reading times the interval. NVML has no per-process energy, so a device's
//! energy goes to the metered tree in full when the tree's processes are the only ones on it,
//! and is otherwise apportioned by the processes' SM utilization (or, when the driver does not
//! report that, by their share of device memory) and flagged as apportioned.

use sustain_core::run::{ComponentEnergy, EnergySource};

use crate::error::Result;
use crate::sensor::{Sensor, Tick};

/// The GPU sensor: NVML when present, nothing otherwise.
pub enum GpuSensor {
    /// No GPU library or no device; the reason is kept for the method note.
    Absent(String),
    /// NVIDIA devices through NVML.
    #[cfg(feature = "nvml")]
    Nvml(Box<nvml::NvmlSensor>),
}

impl GpuSensor {
    /// Opens NVML if it is installed; `Absent` with the reason otherwise.
    pub fn detect() -> Self {
        #[cfg(feature = "nvml")]
        {
            match nvml::NvmlSensor::open() {
                Ok(s) => GpuSensor::Nvml(Box::new(s)),
                Err(why) => GpuSensor::Absent(why),
            }
        }
        #[cfg(not(feature = "nvml"))]
        {
            GpuSensor::Absent("built without the nvml feature".into())
        }
    }

    /// Names of the devices seen.
    pub fn device_names(&self) -> Vec<String> {
        match self {
            GpuSensor::Absent(_) => Vec::new(),
            #[cfg(feature = "nvml")]
            GpuSensor::Nvml(s) => s.names.clone(),
        }
    }
}

impl Sensor for GpuSensor {
    fn method(&self) -> String {
        match self {
            GpuSensor::Absent(why) => format!("no GPU ({why})"),
            #[cfg(feature = "nvml")]
            GpuSensor::Nvml(s) => s.method(),
        }
    }

    fn read(&mut self, tick: &Tick) -> Result<ComponentEnergy> {
        match self {
            GpuSensor::Absent(_) => Ok(ComponentEnergy {
                energy: Default::default(),
                source: EnergySource::None,
                apportioned: false,
                method: self.method(),
            }),
            #[cfg(feature = "nvml")]
            GpuSensor::Nvml(s) => s.read(tick),
        }
    }
}

/// Splits a device's energy between the metered tree and other processes.
///
/// `tree` and `others` are the weights (SM utilization or memory) of the tree's processes and
/// of the other processes on the device. Returns the tree's share and whether it was
/// apportioned (other processes had weight).
pub fn device_share(tree_present: bool, tree: f64, others: f64) -> (f64, bool) {
    if !tree_present {
        return (0.0, false);
    }
    if others <= 0.0 {
        return (1.0, false);
    }
    if tree <= 0.0 {
        // The tree holds a context but did no measurable work this interval.
        return (0.0, true);
    }
    (tree / (tree + others), true)
}

#[cfg(feature = "nvml")]
mod nvml {
    use std::collections::HashMap;

    use nvml_wrapper::Nvml;
    use nvml_wrapper::enums::device::UsedGpuMemory;
    use sustain_core::run::{ComponentEnergy, EnergySource};
    use sustain_core::units::{Energy, Power};

    use super::device_share;
    use crate::error::{MeterError, Result};
    use crate::sensor::Tick;

    struct DeviceState {
        last_energy_mj: Option<u64>,
        last_util_ts: u64,
    }

    /// Energy of NVIDIA GPUs attributed to the tree.
    pub struct NvmlSensor {
        nvml: Nvml,
        pub(super) names: Vec<String>,
        devices: Vec<DeviceState>,
        any_power_fallback: bool,
    }

    impl NvmlSensor {
        pub(super) fn open() -> std::result::Result<Self, String> {
            let nvml = Nvml::init().map_err(|e| format!("NVML not available: {e}"))?;
            let count = nvml
                .device_count()
                .map_err(|e| format!("NVML device count failed: {e}"))?;
            if count == 0 {
                return Err("NVML found no device".into());
            }
            let mut names = Vec::new();
            let mut devices = Vec::new();
            for i in 0..count {
                let d = nvml
                    .device_by_index(i)
                    .map_err(|e| format!("NVML device {i}: {e}"))?;
                names.push(d.name().unwrap_or_else(|_| format!("GPU {i}")));
                devices.push(DeviceState {
                    last_energy_mj: d.total_energy_consumption().ok(),
                    last_util_ts: 0,
                });
            }
            Ok(Self {
                nvml,
                names,
                devices,
                any_power_fallback: false,
            })
        }

        pub(super) fn method(&self) -> String {
            format!(
                "NVML {} on {} (measured device energy), attributed to the tree's processes",
                if self.any_power_fallback {
                    "power readings x interval"
                } else {
                    "energy counter"
                },
                self.names.join(", "),
            )
        }

        pub(super) fn read(&mut self, tick: &Tick) -> Result<ComponentEnergy> {
            let mut total = Energy::ZERO;
            let mut apportioned_any = false;
            for (i, state) in self.devices.iter_mut().enumerate() {
                let dev = self
                    .nvml
                    .device_by_index(i as u32)
                    .map_err(|e| MeterError::Gpu(e.to_string()))?;
                // Device energy in the interval.
                let device_energy = match (state.last_energy_mj, dev.total_energy_consumption()) {
                    (Some(prev), Ok(now)) => {
                        state.last_energy_mj = Some(now);
                        Energy::from_millijoules(now.saturating_sub(prev))
                    }
                    _ => {
                        self.any_power_fallback = true;
                        let p = dev
                            .power_usage()
                            .map(Power::from_milliwatts)
                            .map_err(|e| MeterError::Gpu(e.to_string()))?;
                        p * tick.dt
                    }
                };
                // Which processes are on the device, and their weights.
                let mut procs = dev.running_compute_processes().unwrap_or_default();
                procs.extend(dev.running_graphics_processes().unwrap_or_default());
                let tree_present = procs.iter().any(|p| tick.tree_pids.contains(&p.pid));
                if !tree_present {
                    continue;
                }
                let mut util: HashMap<u32, f64> = HashMap::new();
                if let Ok(samples) = dev.process_utilization_stats(state.last_util_ts) {
                    for s in samples {
                        state.last_util_ts = state.last_util_ts.max(s.timestamp);
                        *util.entry(s.pid).or_default() += f64::from(s.sm_util);
                    }
                }
                let weight = |pid: u32, mem: &UsedGpuMemory| -> f64 {
                    if !util.is_empty() {
                        util.get(&pid).copied().unwrap_or(0.0)
                    } else {
                        match mem {
                            UsedGpuMemory::Used(b) => *b as f64,
                            UsedGpuMemory::Unavailable => 1.0,
                        }
                    }
                };
                let (mut tree_w, mut other_w) = (0.0, 0.0);
                for p in &procs {
                    let w = weight(p.pid, &p.used_gpu_memory);
                    if tick.tree_pids.contains(&p.pid) {
                        tree_w += w;
                    } else {
                        other_w += w;
                    }
                }
                let (share, apportioned) = device_share(tree_present, tree_w, other_w);
                apportioned_any |= apportioned;
                total += device_energy * share;
            }
            Ok(ComponentEnergy {
                energy: total,
                source: EnergySource::Measured,
                apportioned: apportioned_any,
                method: self.method(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_share_rules() {
        assert_eq!(device_share(false, 50.0, 0.0), (0.0, false));
        assert_eq!(device_share(true, 50.0, 0.0), (1.0, false));
        assert_eq!(device_share(true, 0.0, 0.0), (1.0, false));
        assert_eq!(device_share(true, 30.0, 10.0), (0.75, true));
        assert_eq!(device_share(true, 0.0, 10.0), (0.0, true));
    }

    #[test]
    fn absent_gpu_reads_as_none_not_an_error() {
        let mut s = GpuSensor::Absent("test".into());
        let e = s.read(&Tick::default()).unwrap();
        assert_eq!(e.source, EnergySource::None);
        assert_eq!(e.energy.joules(), 0.0);
        assert!(s.method().contains("no GPU"));
    }

    #[test]
    fn detect_never_panics() {
        // On machines without the NVIDIA driver this is Absent; with it, devices are named.
        let s = GpuSensor::detect();
        match &s {
            GpuSensor::Absent(why) => assert!(!why.is_empty()),
            #[cfg(feature = "nvml")]
            GpuSensor::Nvml(_) => assert!(!s.device_names().is_empty()),
        }
    }
}
