//! `sustain runs list` and `sustain runs show`.

use anyhow::Result;
use sustain_core::time::parse_since;
use sustain_ledger::{Ledger, RunFilter};

use super::{open_ledger, out};
use crate::args::{ListArgs, ShowArgs};
use sustain_core::text;
use sustain_meter::Settings;

/// `sustain runs list`.
pub fn list(args: ListArgs, settings: &Settings) -> Result<()> {
    let filter = RunFilter {
        since: args.since.as_deref().map(parse_since).transpose()?,
        status: args.status,
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
        out(&text::runs_table(&runs))
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
        out(&text::run_detail(&view))
    }
}
