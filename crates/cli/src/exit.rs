//! Exit codes, stable and documented (README, `sustain --help`).

use std::fmt;

/// Success.
pub const OK: i32 = 0;
/// A runtime error: the ledger, a file, the system.
pub const ERROR: i32 = 1;
/// Bad input: a usage error, an unknown name, an invalid value.
pub const BAD_INPUT: i32 = 2;
/// `sustain run`: Sustain itself failed (the command may not have run).
pub const RUN_SUSTAIN_FAILED: i32 = sustain_meter::supervise::EXIT_SUSTAIN_FAILED;

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
    err.chain().find_map(classify).unwrap_or(ERROR)
}

/// The code of the first error in the chain of `e` that says whose fault it is.
fn chain_code(e: &(dyn std::error::Error + 'static)) -> Option<i32> {
    std::iter::successors(Some(e), |c| c.source()).find_map(classify)
}

/// The code one error implies, if it implies one.
fn classify(cause: &(dyn std::error::Error + 'static)) -> Option<i32> {
    if cause.is::<BadInput>() {
        return Some(BAD_INPUT);
    }
    if let Some(e) = cause.downcast_ref::<sustain_core::CoreError>() {
        return Some(match e {
            sustain_core::CoreError::Data { .. } => ERROR,
            _ => BAD_INPUT,
        });
    }
    if let Some(e) = cause.downcast_ref::<sustain_meter::MeterError>() {
        return match e {
            sustain_meter::MeterError::Config(_) | sustain_meter::MeterError::Setting { .. } => {
                Some(BAD_INPUT)
            }
            // The sink's own error, next in the chain, says whose fault it is.
            sustain_meter::MeterError::Sink { .. } => None,
            _ => Some(ERROR),
        };
    }
    if cause.is::<sustain_estimate::EstimateError>() {
        return Some(BAD_INPUT);
    }
    if let Some(e) = cause.downcast_ref::<sustain_train::TrainError>() {
        return match e {
            sustain_train::TrainError::Meter(inner) => chain_code(inner.as_ref()),
            e if e.is_bad_input() => Some(BAD_INPUT),
            _ => Some(ERROR),
        };
    }
    if let Some(e) = cause.downcast_ref::<sustain_report::ReportError>() {
        return Some(match e {
            sustain_report::ReportError::Invalid { .. } => BAD_INPUT,
            sustain_report::ReportError::Ledger(l) => ledger_code(l),
            sustain_report::ReportError::Write(_) => ERROR,
        });
    }
    if let Some(e) = cause.downcast_ref::<sustain_sched::SchedError>() {
        return Some(if e.is_bad_input() { BAD_INPUT } else { ERROR });
    }
    if let Some(e) = cause.downcast_ref::<sustain_ledger::LedgerError>() {
        return Some(ledger_code(e));
    }
    None
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
