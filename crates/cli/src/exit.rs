//! Exit codes, stable and documented (README, `sustain --help`).

use std::fmt;

/// Success.
pub const OK: i32 = 0;
/// A runtime error: the ledger, a file, the system.
pub const ERROR: i32 = 1;
/// Bad input: a usage error, an unknown name, an invalid value.
pub const BAD_INPUT: i32 = 2;
/// `sustain run`: Sustain itself failed (the command may not have run).
pub const RUN_SUSTAIN_FAILED: i32 = 125;
/// `sustain run`: the command exists but cannot be executed.
pub const RUN_CANNOT_EXECUTE: i32 = 126;
/// `sustain run`: the command was not found.
pub const RUN_NOT_FOUND: i32 = 127;

/// An error in what the user gave: exits with [`BAD_INPUT`].
#[derive(Debug)]
pub struct BadInput(pub String);

impl fmt::Display for BadInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadInput {}

/// The exit code for an error: [`BAD_INPUT`] when it is the user's input, else [`ERROR`].
pub fn code_for(err: &anyhow::Error) -> i32 {
    for cause in err.chain() {
        if cause.is::<BadInput>() {
            return BAD_INPUT;
        }
        if let Some(e) = cause.downcast_ref::<sustain_core::CoreError>() {
            return match e {
                sustain_core::CoreError::Data { .. } => ERROR,
                _ => BAD_INPUT,
            };
        }
        if cause.is::<sustain_estimate::EstimateError>() {
            return BAD_INPUT;
        }
        if let Some(e) = cause.downcast_ref::<sustain_train::TrainError>() {
            return match e {
                sustain_train::TrainError::Diverged { .. } => ERROR,
                _ => BAD_INPUT,
            };
        }
        if let Some(e) = cause.downcast_ref::<sustain_report::ReportError>() {
            return match e {
                sustain_report::ReportError::Invalid { .. } => BAD_INPUT,
                sustain_report::ReportError::Ledger(l) => ledger_code(l),
            };
        }
        if let Some(e) = cause.downcast_ref::<sustain_ledger::LedgerError>() {
            return ledger_code(e);
        }
    }
    ERROR
}

/// A ledger error that is the user's input (an unknown id or product) is bad input.
fn ledger_code(e: &sustain_ledger::LedgerError) -> i32 {
    match e {
        sustain_ledger::LedgerError::NotFound(_)
        | sustain_ledger::LedgerError::Invalid(_)
        | sustain_ledger::LedgerError::Rejected(_)
        | sustain_ledger::LedgerError::Ambiguous { .. } => BAD_INPUT,
        _ => ERROR,
    }
}
