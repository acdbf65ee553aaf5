//! `sustain export`: runs as flat CSV, JSON, or CodeCarbon's emissions.csv
//! (`sustain_report::export`).

use std::io::Write;

use anyhow::{Context, Result};
use sustain_core::time::parse_since;

use super::open_ledger;
use crate::args::ExportArgs;
use sustain_meter::Settings;

/// `sustain export`: streams the runs, oldest first, from the ledger to the file or stdout.
pub fn export(args: ExportArgs, settings: &Settings) -> Result<()> {
    let since = args.since.as_deref().map(parse_since).transpose()?;
    let ledger = open_ledger(settings)?;
    let mut sink: Box<dyn Write> = match &args.output {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    sustain_report::export::export(&ledger, since.as_ref(), args.format, &mut sink)?;
    Ok(())
}
