//! # sustain-report
//!
//! The accounts of a company's AI work per period and scope — environmental, economic and
//! social — computed from the ledger with SQL aggregates, and the reports that show them
//! (Markdown, HTML, JSON, CSV). A report is assembled in one place ([`Report::build`]) for the
//! CLI and the server alike.

pub mod accounts;
pub mod error;
pub mod export;
pub mod figures;
pub mod period;
pub mod render;
pub mod report;
pub mod scenario;
pub mod scope;
pub mod sheets;
pub mod social;
pub mod strategy;
pub mod targets;

pub use accounts::{Accounts, accounts};
pub use error::{ReportError, Result};
pub use period::Period;
pub use render::Format;
pub use report::{Extras, Report, extras};
pub use scope::Scope;
