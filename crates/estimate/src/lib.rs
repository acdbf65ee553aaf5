//! # sustain-estimate
//!
//! Footprints before the fact. A team planning to train or serve a model gets device-hours,
//! energy, carbon (operational, location- and market-based, and embodied), water and cost from
//! published hardware and grid figures, with every input traced to a flag, a site, a catalog
//! entry or a documented default, and every assumption listed.
//!
//! - [`train`]: FLOPs (6·N·D, or given) → device-hours at a model-FLOPs utilization → energy at a
//!   typical draw per device → facility energy (PUE) → impacts; or the same from a schedule.
//! - [`sci`]: Software Carbon Intensity.
//! - [`sweep`]: a grid of options, sorted, with an SVG chart.
//!
//! Method, defaults, sources and validation: `docs/methods/estimate-train.md`.

pub mod error;
pub mod factors;
pub mod infer;
pub mod inputs;
pub mod sci;
pub mod svg;
pub mod sweep;
pub mod text;
pub mod train;

pub use error::{EstimateError, Result};
pub use train::{Catalogs, TrainEstimate, TrainRequest, estimate_train};
