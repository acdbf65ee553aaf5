//! One module per command. Each builds live objects from validated arguments, does the work
//! through the library crates, and prints.

mod business;
mod catalog;
mod estimate;
mod export;
mod metered;
mod optimize;
mod run;
mod runs;
mod scenario;
mod schedule;
mod schedule_run;
mod serve;
mod serve_model;
mod strategy;
mod token;
mod train;

use std::io::Write;

use anyhow::Result;
use chrono::Utc;
use sustain_ledger::{SqliteLedger, recover_incomplete};
use sustain_meter::host::{Liveness, liveness};
use sustain_meter::procfs::Procfs;
use tracing::warn;

use crate::args::{Cli, Command, RunsCommand};
use crate::exit;
use sustain_meter::Settings;

/// Runs the parsed command; returns the process exit code.
pub fn dispatch(cli: Cli) -> Result<i32> {
    let mut settings = Settings::load(cli.global.config.as_deref(), cli.global.ledger.as_deref())?;
    if let Some(p) = &settings.config_path {
        tracing::info!("config file: {}", p.display());
    }
    tracing::info!("ledger: {}", settings.ledger_path.display());
    match cli.command {
        Command::Run(args) => {
            settings.override_embodied(args.host_embodied_kg, args.embodied_share)?;
            run::run(args, &settings)
        }
        Command::Runs(RunsCommand::List(args)) => runs::list(args, &settings).map(|_| exit::OK),
        Command::Runs(RunsCommand::Show(args)) => runs::show(args, &settings).map(|_| exit::OK),
        Command::Catalog(c) => catalog::catalog(c, &settings).map(|_| exit::OK),
        Command::Export(args) => export::export(args, &settings).map(|_| exit::OK),
        Command::Estimate(cmd) => estimate::estimate(cmd, &settings).map(|_| exit::OK),
        Command::Train(args) => train::train(*args, &settings),
        Command::Eval(args) => train::eval(args, &settings),
        Command::Predict(args) => train::predict(args, &settings),
        Command::Generate(args) => train::generate(args, &settings),
        Command::Optimize(cmd) => optimize::optimize(cmd, &settings),
        Command::Compare(args) => optimize::compare(args, &settings),
        Command::Finetune(args) => optimize::finetune(*args, &settings),
        Command::ServeModel(args) => serve_model::serve_model(args, &settings),
        Command::Product(c) => business::product(c, &settings).map(|_| exit::OK),
        Command::Usage(c) => business::usage(c, &settings).map(|_| exit::OK),
        Command::Cost(c) => business::cost(c, &settings).map(|_| exit::OK),
        Command::Report(args) => strategy::report(args, &settings).map(|_| exit::OK),
        Command::Target(c) => strategy::target(c, &settings).map(|_| exit::OK),
        Command::Indicator(c) => business::indicator(c, &settings).map(|_| exit::OK),
        Command::Scenario(c) => scenario::scenario(c, &settings).map(|_| exit::OK),
        Command::Audit(args) => strategy::audit(args, &settings),
        Command::Schedule(c) => schedule::schedule(c, &settings),
        Command::Serve(args) => serve::serve(args, &settings),
        Command::Token(c) => token::token(c, &settings).map(|_| exit::OK),
        Command::Runs(RunsCommand::Sci(args)) => {
            estimate::runs_sci(args, &settings).map(|_| exit::OK)
        }
    }
}

/// How long a run on another machine may go without a sample before it counts as incomplete.
const STALE_AFTER: chrono::Duration = chrono::Duration::minutes(10);

/// Opens the ledger and marks runs whose meter has died as incomplete. A ledger this user may
/// not write (an auditor's copy) is opened read-only instead: read commands work, nothing is
/// marked, and a command that writes fails with the ledger's read-only error (exit 1).
pub fn open_ledger(settings: &Settings) -> Result<SqliteLedger> {
    if SqliteLedger::is_read_only(&settings.ledger_path) {
        let ledger = SqliteLedger::open_read_only(&settings.ledger_path)?;
        tracing::info!(
            "ledger {} is read-only: opened for reading, without marking runs whose meter stopped as incomplete",
            settings.ledger_path.display()
        );
        return Ok(ledger);
    }
    let ledger = SqliteLedger::open(&settings.ledger_path)?;
    let procfs = Procfs::default();
    let now = Utc::now();
    let marked = recover_incomplete(&ledger, |view, last_sample| {
        match liveness(&procfs, &view.start.meter) {
            Liveness::Alive => false,
            Liveness::Gone => true,
            Liveness::Unknown => {
                let last = last_sample.unwrap_or(view.start.started_at);
                let stale = STALE_AFTER.max(
                    chrono::Duration::from_std(view.start.interval * 10).unwrap_or(STALE_AFTER),
                );
                now - last > stale
            }
        }
    });
    match marked {
        Ok(ids) if !ids.is_empty() => {
            tracing::info!("marked {} run(s) incomplete: {}", ids.len(), ids.join(", "))
        }
        Ok(_) => {}
        Err(e) => warn!("could not check for incomplete runs: {e}"),
    }
    Ok(ledger)
}

/// Writes to stdout; a closed pipe surfaces as an error that `main` treats as success.
pub fn out(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}
