//! # sustain-report
//!
//! The accounts of a company's AI work per period and scope — environmental, economic and
//! social — computed from the ledger with SQL aggregates, and the reports that show them
//! (Markdown, JSON, CSV).

pub mod accounts;
pub mod error;
pub mod period;
pub mod render;
pub mod scenario;
pub mod scope;
pub mod social;
pub mod targets;

pub use accounts::{Accounts, accounts};
pub use error::{ReportError, Result};
pub use period::Period;
pub use scope::Scope;
