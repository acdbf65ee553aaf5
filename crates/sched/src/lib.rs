//! # sustain-sched
//!
//! Carbon-aware scheduling. Jobs that can wait, or run in another region, are placed into
//! low-carbon hours and sites without missing their deadlines:
//!
//! - [`series`]: a site's carbon intensity, read from the formats users have and resampled;
//! - [`job`]: jobs from CSV or TOML, checked;
//! - [`grid`]: sites on one clock, with capacity and their true intensity;
//! - [`forecast`]: what a policy sees (the truth plus seeded Gaussian error);
//! - [`policy`]: `fifo`, `priority`, `least-loaded` and `carbon`, one trait;
//! - [`sim`]: replays jobs under a policy and accounts on the true series;
//! - [`plan`]: a schedule to hand to an executor;
//! - [`best`]: the best window for one job;
//! - [`record`]: a simulation or a plan as a ledger record;
//! - [`shift`]: jobs of one site shifted on a perfect forecast (a scenario's lever).
//!
//! Method and validation: `docs/methods/scheduling.md`.

pub mod best;
pub mod error;
pub mod exec;
pub mod forecast;
pub mod grid;
pub mod input;
pub mod job;
pub mod plan;
pub mod policy;
pub mod record;
pub mod series;
pub mod shift;
pub mod sim;
pub mod svg;
pub mod text;
pub mod time;
pub mod workload;

pub use error::{Result, SchedError};
