//! `sustain runs list` and `sustain runs show`.

use anyhow::Result;
use sustain_core::run::RunStatus;
use sustain_ledger::{Ledger, RunFilter};

use crate::cli::{ListArgs, ShowArgs, StatusArg};
use crate::config::Settings;
use crate::render;

use super::{open_ledger, out, parse_since};

fn status(s: StatusArg) -> RunStatus {
    match s {
        StatusArg::Running => RunStatus::Running,
        StatusArg::Succeeded => RunStatus::Succeeded,
        StatusArg::Failed => RunStatus::Failed,
        StatusArg::Killed => RunStatus::Killed,
        StatusArg::FailedToStart => RunStatus::FailedToStart,
        StatusArg::Incomplete => RunStatus::Incomplete,
    }
}

/// `sustain runs list`.
pub fn list(args: ListArgs, settings: &Settings) -> Result<()> {
    let filter = RunFilter {
        since: args.since.as_deref().map(parse_since).transpose()?,
        status: args.status.map(status),
        limit: Some(args.limit),
    };
    let ledger = open_ledger(settings)?;
    let runs = ledger.runs(&filter)?;
    if args.json {
        let arr: Vec<_> = runs.iter().map(|r| r.to_json()).collect();
        out(&format!("{}\n", serde_json::to_string_pretty(&arr)?))
    } else if runs.is_empty() {
        out(&format!(
            "No runs in {}. Meter a command with `sustain run -- CMD`.\n",
            settings.ledger_path.display()
        ))
    } else {
        out(&render::runs_table(&runs))
    }
}

/// `sustain runs show`.
pub fn show(args: ShowArgs, settings: &Settings) -> Result<()> {
    let ledger = open_ledger(settings)?;
    let view = ledger.run(&args.id)?;
    if args.json {
        out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&view.to_json())?
        ))
    } else {
        out(&render::run_detail(&view))
    }
}
