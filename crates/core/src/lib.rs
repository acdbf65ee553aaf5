//! # sustain-core
//!
//! The bottom layer of Sustain: units as types, catalogs of reference data (grid sites, CPUs,
//! accelerators) with their sources, the records a run produces, and the formulas that turn
//! energy into impacts. It does no I/O of its own besides parsing text handed to it, so every
//! other layer can depend on it and every formula here can be tested in isolation.

pub mod bounds;
pub mod business;
pub mod catalog;
pub mod chart;
pub mod embodied;
pub mod error;
pub mod format;
pub mod hardware;
pub mod host;
pub mod impacts;
pub mod indicator;
pub mod markdown;
pub mod name;
pub mod run;
pub mod run_checks;
pub mod run_json;
pub mod schedule;
pub mod sink;
pub mod site;
pub mod suggest;
pub mod terminal;
pub mod text;
pub mod time;
pub mod units;
pub mod usage_import;

pub use error::{CoreError, Result};
