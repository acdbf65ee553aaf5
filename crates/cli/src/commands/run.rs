//! `sustain run -- CMD`: validate, pick where the run is recorded, and let the meter supervise
//! the command (`sustain_meter::supervise`); then print the summary.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use sustain_core::hardware::CpuCatalog;
use sustain_core::run::{RunEnd, RunStart, RunView, Sample, parse_tag};
use sustain_core::sink::{RunSink, SinkError};
use sustain_ledger::SqliteLedger;
use sustain_meter::{Recording, RunSpec, TreeRoot};
use sustain_server::client::{ClientError, Pushed, RemoteSink};

use crate::args::RunArgs;
use crate::exit::BadInput;
use sustain_core::text;
use sustain_meter::Settings;
use sustain_meter::settings::parse_interval;

/// Runs the command and returns the exit code `sustain run` exits with.
pub fn run(args: RunArgs, settings: &Settings) -> Result<i32> {
    // 1. Validate everything the user gave before touching anything.
    let mut tags = BTreeMap::new();
    for t in &args.tags {
        let (k, v) = parse_tag(t)?;
        tags.insert(k, v);
    }
    let interval = match &args.interval {
        Some(text) => parse_interval(text)?,
        None => settings.interval,
    };
    let site_id = args.site.as_deref().unwrap_or(&settings.default_site);
    let mut setup = settings.setup(site_id)?;
    setup.interval = interval;
    if let (Some(price), Some(rate)) = (&setup.site.price, &setup.hourly_rate)
        && price.currency() != rate.currency()
    {
        return Err(BadInput(format!(
            "site {} prices electricity in {} but [cost] hourly_rate is in {}; use one currency",
            setup.site.id(),
            price.currency(),
            rate.currency()
        ))
        .into());
    }
    let program = args.command.first().ok_or_else(|| {
        BadInput("missing command: give it after `--`, as in `sustain run -- make`".into())
    })?;
    let name = args.name.clone().unwrap_or_else(|| {
        std::path::Path::new(program)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| program.clone())
    });

    // 2. The ledger, and runs whose meter died; or, with --remote, a checked server and token.
    let mut pushed = None;
    let sink = match args.remote.as_deref().filter(|u| !u.trim().is_empty()) {
        Some(url) => {
            let remote =
                RemoteSink::connect(url, args.token.as_deref(), settings.ledger_path.clone())
                    .map_err(|e| match e {
                        ClientError::Refused(m) => anyhow::Error::new(BadInput(m)),
                        other => other.into(),
                    })?;
            pushed = Some(remote.outcome());
            Sink::Remote(Box::new(remote))
        }
        None => Sink::Local(super::open_ledger(settings)?),
    };

    // 3. Record the start, then supervise the command until it exits.
    let cpus = CpuCatalog::bundled().context("bundled CPU catalog")?;
    let spec = RunSpec {
        kind: args.kind,
        name,
        command: args.command.clone(),
        tags,
    };
    let recording = Recording::begin(setup, TreeRoot::ChildrenOfSelf, &cpus, spec, sink)
        .context("the command was not started")?;
    let done = recording.supervise(program, &args.command[1..])?;
    if let Some(e) = &done.spawn_error {
        let hint = if done.exit_code == sustain_meter::supervise::EXIT_NOT_FOUND {
            "; check the name and your PATH"
        } else {
            "; check that it is an executable file"
        };
        eprintln!("sustain: cannot start '{program}': {e}{hint}");
    }
    match pushed.as_ref().and_then(|p| p.lock().ok()?.clone()) {
        Some(Pushed::Recorded { server }) if !args.quiet => {
            eprintln!("sustain: run {} pushed to {server}", done.view.start.id)
        }
        Some(Pushed::KeptLocally {
            server,
            reason,
            ledger,
        }) => eprintln!(
            "sustain: could not push run {} to {server}: {reason}; it is recorded in the local ledger {} instead",
            done.view.start.id,
            ledger.display()
        ),
        _ => {}
    }
    if let Some(e) = &done.end_error {
        eprintln!(
            "sustain: cannot record the end of run {}: {e}; it will be listed as incomplete with the samples written so far",
            done.view.start.id
        );
    }
    print_summary(&args, &done.view);
    Ok(done.exit_code)
}

fn print_summary(args: &RunArgs, view: &RunView) {
    if args.quiet {
        return;
    }
    if args.json {
        eprintln!(
            "{}",
            serde_json::to_string_pretty(&view.to_json()).unwrap_or_default()
        );
    } else {
        eprint!("{}", text::summary(view));
    }
}

/// Where `sustain run` records its run: the local ledger, or a `sustain serve`.
enum Sink {
    Local(SqliteLedger),
    /// Boxed: an HTTP agent is large.
    Remote(Box<RemoteSink>),
}

impl Sink {
    fn get(&self) -> &dyn RunSink {
        match self {
            Sink::Local(l) => l,
            Sink::Remote(r) => r.as_ref(),
        }
    }
}

impl RunSink for Sink {
    fn start_run(&self, start: &RunStart) -> Result<(), SinkError> {
        self.get().start_run(start)
    }
    fn append_samples(&self, run_id: &str, samples: &[Sample]) -> Result<(), SinkError> {
        self.get().append_samples(run_id, samples)
    }
    fn finish_run(&self, end: &RunEnd) -> Result<(), SinkError> {
        self.get().finish_run(end)
    }
}
