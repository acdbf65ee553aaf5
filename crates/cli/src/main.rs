//! The `sustain` binary: parse, dispatch, print errors, exit with a stable code. Everything
//! else lives in the library crates.

mod args;
mod commands;
mod exit;

use std::ffi::OsString;

use clap::Parser;
use clap::error::ErrorKind;

use crate::args::Cli;

fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .try_init();
}

/// Whether the command line is a `sustain run` (its own errors exit 125, not 2, so they are
/// not mistaken for the wrapped command's exit code).
/// Whether the command is `sustain run` (whose own failures exit 125): its first word that is
/// neither an option nor the value of `--ledger`/`--config`. `sustain scenario run` is not.
fn is_run(args: &[OsString]) -> bool {
    let mut it = args.iter().skip(1).take_while(|a| *a != "--");
    while let Some(a) = it.next() {
        if a == "--ledger" || a == "--config" {
            it.next();
        } else if !a.to_string_lossy().starts_with('-') {
            return a == "run";
        }
    }
    false
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn main() {
    let args: Vec<OsString> = std::env::args_os().collect();
    let run = is_run(&args);
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            let informational =
                matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion);
            let _ = e.print();
            let code = if informational {
                exit::OK
            } else if run {
                exit::RUN_SUSTAIN_FAILED
            } else {
                exit::BAD_INPUT
            };
            std::process::exit(code);
        }
    };
    init_tracing(cli.global.verbose);
    let code = match commands::dispatch(cli) {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => exit::OK,
        Err(e) => {
            eprintln!("sustain: error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            if run {
                exit::RUN_SUSTAIN_FAILED
            } else {
                exit::code_for(&e)
            }
        }
    };
    std::process::exit(code);
}
