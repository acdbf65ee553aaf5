//! Charts as SVG: moved to `sustain_core::chart`, re-exported here for the estimators' users.

pub use sustain_core::chart::*;
