//! # sustain-meter
//!
//! Measures the energy of a process tree while it runs, and records it as a run: a command it
//! supervises (`sustain run`) or Sustain's own work, through one sampling loop
//! (`recording`, `supervise`).
//!
//! The shape follows Scaphandre's: *sensors* read the machine (RAPL powercap counters, NVIDIA's
//! NVML) or model it (a CPU power model built from the processor's TDP, a memory model from
//! resident set size), and one shared middle — the [`Sampler`] — turns readings into energy
//! attributed to the tree of processes being metered. Every reading says whether it was
//! `measured` or `modelled`; a missing sensor degrades to its documented model, never to a crash
//! or a silent zero. The methods are documented in `docs/methods/`.
//!
//! The sysfs root of the powercap tree can be moved with `SUSTAIN_POWERCAP_ROOT`, so tests run
//! the RAPL sensor against fake trees.

mod attached;
pub mod cpu;
pub mod error;
pub mod gpu;
pub mod host;
pub mod memory;
pub mod powercap;
pub mod procfs;
pub mod recording;
pub mod sampler;
pub mod sensor;
pub mod settings;
pub mod supervise;

pub use error::{MeterError, Result};
pub use recording::{Background, Recording, RunSpec, Setup};
pub use sampler::{MeterConfig, Sampler, TreeRoot};
pub use sensor::{Sensor, Tick};
pub use settings::Settings;
pub use supervise::Supervised;
