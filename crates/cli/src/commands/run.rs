//! `sustain run -- CMD`: spawn, sample, record, summarise.

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use chrono::Utc;
use sustain_core::hardware::CpuCatalog;
use sustain_core::run::{
    EnergyBreakdown, RunEnd, RunKind, RunStart, RunStatus, RunView, Sample, end_figures, parse_tag,
};
use sustain_meter::{Sampler, TreeRoot};
use tracing::{debug, warn};

use super::remote::{RemoteSink, RunSink, Sink};
use crate::cli::RunArgs;
use crate::config::{Settings, parse_interval};
use crate::exit::{self, BadInput};
use crate::render;

/// Signals forwarded to the command.
const FORWARDED: [i32; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

/// The child's pid as the signal thread sees it: 0 before spawn (signals are queued), the pid
/// while it runs, -1 after it has been reaped (signals are dropped, never sent to a reused pid).
struct ChildSlot {
    pid: i32,
    pending: Vec<i32>,
}

/// Runs the command and returns the exit code `sustain run` exits with.
pub fn run(args: RunArgs, settings: &Settings) -> Result<i32> {
    // 1. Validate everything the user gave before touching anything.
    let mut tags = BTreeMap::new();
    for t in &args.tags {
        let (k, v) = parse_tag(t)?;
        tags.insert(k, v);
    }
    let kind: RunKind = args.kind.parse()?;
    let interval = match &args.interval {
        Some(text) => parse_interval(text)?,
        None => settings.interval,
    };
    let site_id = args
        .site
        .clone()
        .unwrap_or_else(|| settings.default_site.clone());
    let site = settings.sites.get(&site_id)?.clone();
    if let (Some(price), Some(rate)) = (&site.price, &settings.hourly_rate)
        && price.currency() != rate.currency()
    {
        return Err(BadInput(format!(
            "site {} prices electricity in {} but [cost] hourly_rate is in {}; use one currency",
            site.id(),
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
    let ledger = match args.remote.as_deref().filter(|u| !u.trim().is_empty()) {
        Some(url) => Sink::Remote(Box::new(RemoteSink::connect(
            url,
            args.token.as_deref(),
            args.quiet,
            settings,
        )?)),
        None => Sink::Local(super::open_ledger(settings)?),
    };

    // 3. Keep every descendant below us, then start the meter before the command.
    // SAFETY: prctl with PR_SET_CHILD_SUBREAPER takes plain integers and affects only us.
    let rc = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    if rc != 0 {
        warn!("could not become a child subreaper; daemonized descendants will not be metered");
    }
    let cpus = CpuCatalog::bundled().context("bundled CPU catalog")?;
    let mut sampler = Sampler::start(&settings.meter, TreeRoot::ChildrenOfSelf, &cpus)
        .context("starting the meter")?;
    let start = super::metered::run_start(
        settings,
        &site,
        &sampler,
        kind,
        name,
        args.command.clone(),
        tags,
        interval,
    );
    ledger
        .start_run(&start)
        .context("recording the start of the run (the command was not started)")?;

    // 4. Signals: forward those sent by a process; ones from the terminal reach the command
    // directly, as it is in our foreground process group.
    let slot = Arc::new(Mutex::new(ChildSlot {
        pid: 0,
        pending: Vec::new(),
    }));
    start_signal_forwarding(Arc::clone(&slot))?;

    // 5. Spawn.
    let t0 = Instant::now();
    let child = std::process::Command::new(program)
        .args(&args.command[1..])
        .spawn();
    let child = match child {
        Ok(c) => c,
        Err(e) => {
            let code = match e.kind() {
                ErrorKind::NotFound => exit::RUN_NOT_FOUND,
                _ => exit::RUN_CANNOT_EXECUTE,
            };
            let hint = if code == exit::RUN_NOT_FOUND {
                "; check the name and your PATH"
            } else {
                "; check that it is an executable file"
            };
            eprintln!("sustain: cannot start '{program}': {e}{hint}");
            let end = build_end(
                &start,
                &site,
                settings,
                EnergyBreakdown::default(),
                &sampler,
                t0.elapsed(),
                RunStatus::FailedToStart,
                Some(code),
                None,
                vec![format!("cannot start '{program}': {e}")],
            );
            record_end(&ledger, &end);
            finish_output(&args, &start, end, 0);
            return Ok(code);
        }
    };
    let child_pid = child.id() as i32;
    {
        let mut s = slot.lock().unwrap_or_else(|p| p.into_inner());
        s.pid = child_pid;
        for sig in s.pending.drain(..) {
            // SAFETY: kill with a valid pid and signal number.
            unsafe { libc::kill(child_pid, sig) };
        }
    }
    drop(child); // We reap it ourselves (waitpid(-1) also reaps orphans re-parented to us).
    let rx = spawn_waiter(child_pid, Arc::clone(&slot));

    // 6. Sample until the command exits.
    let mut total = EnergyBreakdown::default();
    let mut pending: Vec<Sample> = Vec::new();
    let mut write_failed = false;
    let mut samples_written = 0u64;
    // A first sample soon after the start catches short commands' memory; then every interval.
    let mut next = Instant::now() + interval.min(Duration::from_millis(100));
    let status = loop {
        let timeout = next.saturating_duration_since(Instant::now());
        match rx.recv_timeout(timeout) {
            Ok(status) => break Some(status),
            Err(RecvTimeoutError::Timeout) => {
                let s = sampler.sample();
                total.accumulate(&s.energy);
                pending.push(s);
                flush(
                    &ledger,
                    &start.id,
                    &mut pending,
                    &mut write_failed,
                    &mut samples_written,
                );
                next += interval;
                let now = Instant::now();
                if next < now {
                    next = now + interval;
                }
            }
            Err(RecvTimeoutError::Disconnected) => break None,
        }
    };
    let duration = t0.elapsed();
    let last = sampler.sample();
    total.accumulate(&last.energy);
    pending.push(last);
    flush(
        &ledger,
        &start.id,
        &mut pending,
        &mut write_failed,
        &mut samples_written,
    );

    // 7. Record the end and report.
    let (run_status, code, signal) = match status {
        Some(st) => classify(st),
        None => (RunStatus::Failed, exit::RUN_SUSTAIN_FAILED, None),
    };
    let mut notes: Vec<String> = sampler.notes().to_vec();
    if status.is_none() {
        notes.push("the command's exit status could not be collected".into());
    }
    if !pending.is_empty() {
        notes.push(format!(
            "{} samples could not be written to the ledger; totals include them",
            pending.len()
        ));
    }
    let end = build_end(
        &start,
        &site,
        settings,
        total,
        &sampler,
        duration,
        run_status,
        Some(code),
        signal,
        notes,
    );
    record_end(&ledger, &end);
    finish_output(&args, &start, end, samples_written);
    Ok(code)
}

fn start_signal_forwarding(slot: Arc<Mutex<ChildSlot>>) -> Result<()> {
    use signal_hook::iterator::SignalsInfo;
    use signal_hook::iterator::exfiltrator::WithOrigin;
    let mut signals =
        SignalsInfo::<WithOrigin>::new(FORWARDED).context("installing signal handlers")?;
    std::thread::Builder::new()
        .name("sustain-signals".into())
        .spawn(move || {
            for info in &mut signals {
                // Sent by a process (kill, a scheduler, a supervisor): forward. Sent by the
                // kernel (the terminal's Ctrl-C, Ctrl-\, hang-up): the command got it too.
                if info.process.is_none() {
                    debug!("signal {} from the terminal; not forwarded", info.signal);
                    continue;
                }
                let mut s = slot.lock().unwrap_or_else(|p| p.into_inner());
                match s.pid {
                    0 => s.pending.push(info.signal),
                    pid if pid > 0 => {
                        debug!("forwarding signal {} to {pid}", info.signal);
                        // SAFETY: kill with a live child's pid and a valid signal number.
                        unsafe { libc::kill(pid, info.signal) };
                    }
                    _ => {}
                }
            }
        })
        .context("starting the signal thread")?;
    Ok(())
}

/// Reaps children with `waitpid(-1)`: the command's status is sent on the channel; orphans
/// re-parented to us are reaped so they do not linger as zombies.
fn spawn_waiter(child: i32, slot: Arc<Mutex<ChildSlot>>) -> mpsc::Receiver<ExitStatus> {
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("sustain-waiter".into())
        .spawn(move || {
            loop {
                let mut raw: libc::c_int = 0;
                // SAFETY: waitpid writes the status into `raw`.
                let pid = unsafe { libc::waitpid(-1, &mut raw, 0) };
                if pid == child {
                    slot.lock().unwrap_or_else(|p| p.into_inner()).pid = -1;
                    let _ = tx.send(ExitStatus::from_raw(raw));
                } else if pid < 0 {
                    let err = std::io::Error::last_os_error();
                    if err.kind() == ErrorKind::Interrupted {
                        continue;
                    }
                    break;
                }
            }
        });
    if let Err(e) = spawned {
        warn!("cannot start the waiter thread: {e}");
    }
    rx
}

fn classify(status: ExitStatus) -> (RunStatus, i32, Option<i32>) {
    if let Some(code) = status.code() {
        let s = if code == 0 {
            RunStatus::Succeeded
        } else {
            RunStatus::Failed
        };
        (s, code, None)
    } else if let Some(sig) = status.signal() {
        (RunStatus::Killed, 128 + sig, Some(sig))
    } else {
        (RunStatus::Failed, exit::RUN_SUSTAIN_FAILED, None)
    }
}

fn flush(
    ledger: &dyn RunSink,
    run_id: &str,
    pending: &mut Vec<Sample>,
    write_failed: &mut bool,
    written: &mut u64,
) {
    match ledger.append_samples(run_id, pending) {
        Ok(()) => {
            *written += pending.len() as u64;
            pending.clear();
        }
        Err(e) => {
            if !*write_failed {
                warn!("cannot write samples to the ledger ({e}); will retry");
                *write_failed = true;
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn build_end(
    start: &RunStart,
    site: &sustain_core::site::Site,
    settings: &Settings,
    energy: EnergyBreakdown,
    sampler: &Sampler,
    duration: Duration,
    status: RunStatus,
    exit_code: Option<i32>,
    signal: Option<i32>,
    mut notes: Vec<String>,
) -> RunEnd {
    let usage = sampler.usage();
    let (impacts, embodied) = end_figures(
        &start.host,
        &energy,
        (duration, usage.cpu_time),
        site,
        settings.hourly_rate.as_ref(),
        &mut notes,
    );
    RunEnd {
        run_id: start.id.clone(),
        ended_at: Utc::now(),
        status,
        exit_code,
        signal,
        duration,
        cpu_time: usage.cpu_time,
        peak_rss_bytes: usage.peak_rss_bytes,
        energy,
        impacts,
        embodied,
        notes,
        outcomes: serde_json::Value::Object(Default::default()),
    }
}

fn record_end(ledger: &dyn RunSink, end: &RunEnd) {
    if let Err(e) = ledger.finish_run(end) {
        eprintln!(
            "sustain: cannot record the end of run {}: {e}; it will be listed as incomplete with the samples written so far",
            end.run_id
        );
    }
}

fn finish_output(args: &RunArgs, start: &RunStart, end: RunEnd, samples: u64) {
    if args.quiet {
        return;
    }
    let view = RunView {
        start: start.clone(),
        end: Some(end),
        samples,
    };
    if args.json {
        eprintln!(
            "{}",
            serde_json::to_string_pretty(&view.to_json()).unwrap_or_default()
        );
    } else {
        eprint!("{}", render::summary(&view));
    }
}
