//! A running job, on its own thread: meters it until it exits, stops and resumes it between
//! its segments, passes signals on, and stops it at its deadline when asked.

use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, Sender};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use sustain_core::run::RunStatus;
use sustain_core::sink::RunSink;
use sustain_meter::recording::Ending;
use sustain_meter::supervise::{EXIT_SUSTAIN_FAILED, classify};
use sustain_meter::{Recording, RunSpec, Setup, TreeRoot};

use super::dispatch::Context;
use super::prepare::{Prepared, trim_number};
use super::process::{reap, signal_tree, spawn, wait_exit};
use super::{LocalOutcome, TAG_TIME};
use crate::exec::names::slurm_name;

/// What a job's thread hears.
#[derive(Debug)]
pub(super) enum Control {
    /// The command exited (a raw wait status); it is not reaped yet.
    Exited(i32),
    /// Its exit status could not be collected.
    Lost(String),
    /// A segment ended: stop it.
    Pause,
    /// The next segment starts: resume it.
    Resume,
    /// Its deadline came (with `kill_at_deadline`): `SIGTERM`.
    Deadline,
    /// The grace after the deadline is over: `SIGKILL`.
    KillNow,
    /// Pass this signal on.
    Signal(i32),
}

/// What a job's thread is given: where its run is recorded and how it is metered, and its
/// control channel (the dispatcher keeps a sender).
pub(super) struct Handed {
    /// The site's setup.
    pub(super) setup: Setup,
    /// Where its run is written.
    pub(super) sink: Box<dyn RunSink + Send>,
    /// A sender to its own channel (the waiter's and the grace timer's).
    pub(super) ctl: Sender<Control>,
    /// Its channel.
    pub(super) rx: Receiver<Control>,
}

/// Runs one job on the calling thread (its own): records its start, spawns its command,
/// meters it until it exits while acting on the dispatcher's messages, records its end, and
/// returns its outcome. Nothing is run when its start cannot be recorded.
pub(super) fn run(ctx: &Context<'_>, p: &Prepared<'_>, handed: Handed) -> LocalOutcome {
    let Handed {
        setup,
        sink,
        ctl,
        rx,
    } = handed;
    // Interrupted between the dispatcher's start and this thread's: do not start.
    let sig = ctx.interrupted.load(Ordering::SeqCst);
    if sig != 0 {
        let mut o = p.outcome(Some(format!(
            "not started: the run was interrupted (signal {sig}) as its slot came"
        )));
        o.interrupted = Some(sig);
        return o;
    }
    let spec = RunSpec {
        kind: ctx.options.kind,
        name: p.planned.job.id.chars().take(256).collect(),
        command: vec!["sh".into(), "-c".into(), p.command.to_string()],
        tags: p.tags.clone(),
    };
    let mut recording = match Recording::begin(setup, TreeRoot::Attached, ctx.cpus, spec, sink) {
        Ok(r) => r,
        Err(e) => {
            return p.outcome(Some(format!(
                "not started: its run could not be recorded: {e}"
            )));
        }
    };
    let (started, t0) = (ctx.clock.now(), Instant::now());
    let mut outcome = p.outcome(None);
    outcome.run_id = Some(recording.start().id.clone());
    outcome.started = Some(started);
    let env = [
        ("SUSTAIN_JOB_ID", p.planned.job.id.as_str()),
        ("SUSTAIN_RUN_ID", recording.start().id.as_str()),
        ("SUSTAIN_PLAN_ID", ctx.plan_id),
    ];
    let output = ctx
        .options
        .output_dir
        .as_ref()
        .map(|dir| dir.join(format!("{}.out", slurm_name(&p.planned.job.id))));
    let pid = match spawn(p.command, &env, output.as_deref()) {
        Ok(pid) => pid,
        Err(e) => {
            let done = recording.failed_to_start("sh", e, t0.elapsed());
            outcome.ended = Some(ctx.clock.now());
            outcome.status = done.view.end.as_ref().map(|e| e.status);
            outcome.exit_code = Some(done.exit_code);
            outcome.problem = Some(match (&done.spawn_error, &done.end_error) {
                (_, Some(e)) => {
                    format!("could not start, and the end of its run could not be recorded: {e}")
                }
                (Some(e), None) => format!("could not start: {e}"),
                (None, None) => "could not start".into(),
            });
            return outcome;
        }
    };
    // A panic past this point stops the job rather than leave it running unmetered.
    let _guard = KillOnUnwind(pid);
    recording.attach(pid as u32);
    let job = JobRun {
        prepared: p,
        ctx,
        pid,
        t0,
        started,
        ctl: ctl.clone(),
        paused_since: None,
        paused: Duration::ZERO,
        pauses: 0,
        stopped: Vec::new(),
        interrupted: None,
        killed_at_deadline: false,
        lost: None,
        notes: Vec::new(),
    };
    std::thread::scope(|scope| {
        let waiter = std::thread::Builder::new()
            .name("sustain-job-waiter".into())
            .spawn_scoped(scope, move || {
                let _ = ctl.send(match wait_exit(pid) {
                    Ok(raw) => Control::Exited(raw),
                    Err(e) => Control::Lost(e.to_string()),
                });
            });
        if let Err(e) = waiter {
            // Without a waiter its exit would never be seen: stop it, and record why.
            signal_tree(pid, libc::SIGKILL);
            let _ = job.ctl.send(match wait_exit(pid) {
                Ok(_) => Control::Lost(format!(
                    "the executor could not start a thread to wait for it ({e}), so it was killed"
                )),
                Err(w) => Control::Lost(format!("{e}; {w}")),
            });
        }
        job.supervise(recording, rx, outcome)
    })
}

/// Kills the job's processes when its thread unwinds (a bug), so none runs unmetered.
struct KillOnUnwind(i32);

impl Drop for KillOnUnwind {
    fn drop(&mut self) {
        if std::thread::panicking() {
            signal_tree(self.0, libc::SIGKILL);
        }
    }
}

/// One running job, on its own thread.
struct JobRun<'a, 'p> {
    prepared: &'a Prepared<'p>,
    ctx: &'a Context<'a>,
    pid: i32,
    t0: Instant,
    started: NaiveDateTime,
    ctl: Sender<Control>,
    paused_since: Option<Instant>,
    paused: Duration,
    pauses: u32,
    /// Processes stopped one by one (outside the job's process group).
    stopped: Vec<i32>,
    interrupted: Option<i32>,
    killed_at_deadline: bool,
    /// Why its exit status could not be collected.
    lost: Option<String>,
    notes: Vec<String>,
}

impl JobRun<'_, '_> {
    /// Meters the job until it exits, reaps it, and completes its outcome.
    fn supervise(
        mut self,
        recording: Recording<Box<dyn RunSink + Send>>,
        rx: Receiver<Control>,
        mut outcome: LocalOutcome,
    ) -> LocalOutcome {
        let done = recording.watch(&rx, |msg| self.on(msg));
        reap(self.pid);
        let ended = self.ctx.clock.now();
        outcome.ended = Some(ended);
        outcome.status = done.view.end.as_ref().map(|e| e.status);
        outcome.exit_code = Some(done.exit_code);
        outcome.pauses = self.pauses;
        outcome.paused = self.paused;
        outcome.overran = ended > outcome.planned_end;
        outcome.missed_deadline = ended > self.prepared.planned.job.deadline;
        outcome.killed_at_deadline = self.killed_at_deadline;
        outcome.interrupted = self.interrupted;
        outcome.problem = match (done.end_error, self.lost) {
            (Some(e), _) => Some(format!(
                "the end of its run could not be recorded ({e}); it is listed as incomplete with the samples written so far"
            )),
            (None, Some(lost)) => Some(lost),
            (None, None) => None,
        };
        outcome
    }

    /// Acts on a message; returns the ending once the command has exited.
    fn on(&mut self, msg: Control) -> Option<Ending> {
        match msg {
            Control::Exited(raw) => {
                self.resumed();
                let (status, code, signal) = classify(ExitStatus::from_raw(raw));
                Some(self.ending(status, code, signal))
            }
            Control::Lost(why) => {
                self.resumed();
                let why = format!("its exit status could not be collected: {why}");
                self.notes.push(why.clone());
                self.lost = Some(why);
                Some(self.ending(RunStatus::Failed, EXIT_SUSTAIN_FAILED, None))
            }
            Control::Pause => {
                // Not once it is being stopped: it should be free to end.
                if self.interrupted.is_none()
                    && !self.killed_at_deadline
                    && self.paused_since.is_none()
                {
                    self.stopped = signal_tree(self.pid, libc::SIGSTOP);
                    self.paused_since = Some(Instant::now());
                    self.pauses += 1;
                }
                None
            }
            Control::Resume => {
                self.resume();
                None
            }
            Control::Deadline => {
                self.killed_at_deadline = true;
                let grace = self.ctx.options.kill_grace;
                self.notes.push(format!(
                    "still running at its deadline {}: sent SIGTERM, then SIGKILL after {} s",
                    self.prepared.planned.job.deadline.format(TAG_TIME),
                    grace.as_secs_f64()
                ));
                signal_tree(self.pid, libc::SIGTERM);
                self.resume();
                let ctl = self.ctl.clone();
                let timer = std::thread::Builder::new()
                    .name("sustain-job-grace".into())
                    .spawn(move || {
                        std::thread::sleep(grace);
                        let _ = ctl.send(Control::KillNow);
                    });
                if timer.is_err() {
                    signal_tree(self.pid, libc::SIGKILL);
                }
                None
            }
            Control::KillNow => {
                signal_tree(self.pid, libc::SIGKILL);
                None
            }
            Control::Signal(sig) => {
                if self.interrupted.is_none() {
                    self.notes.push(format!(
                        "interrupted: signal {sig} passed on by the local executor"
                    ));
                }
                self.interrupted = Some(sig);
                signal_tree(self.pid, sig);
                // A stopped process acts on the signal only once continued.
                self.resume();
                None
            }
        }
    }

    /// Continues a stopped job.
    fn resume(&mut self) {
        if self.paused_since.is_some() {
            signal_tree(self.pid, libc::SIGCONT);
            for &pid in &self.stopped {
                // SAFETY: kill with a pid we stopped and a valid signal number.
                unsafe { libc::kill(pid, libc::SIGCONT) };
            }
            self.stopped.clear();
            self.resumed();
        }
    }

    /// Counts the time paused, when it was.
    fn resumed(&mut self) {
        if let Some(since) = self.paused_since.take() {
            self.paused += since.elapsed();
        }
    }

    fn ending(&mut self, status: RunStatus, code: i32, signal: Option<i32>) -> Ending {
        let clock = self.ctx.clock;
        let planned = self.prepared.planned;
        let ended = clock.now();
        let planned_end = self.prepared.segments[self.prepared.segments.len() - 1].end;
        let overran = ended > planned_end;
        if overran {
            self.notes.push(format!(
                "ran {} min past its planned end {}",
                trim_number((ended - planned_end).num_seconds() as f64 / 60.0),
                planned_end.format(TAG_TIME)
            ));
        }
        if self.pauses > 0 {
            self.notes.push(format!(
                "stopped {} time(s) between its planned segments (SIGSTOP, then SIGCONT), {:.1} s in all",
                self.pauses,
                self.paused.as_secs_f64()
            ));
        }
        Ending {
            status,
            exit_code: Some(code),
            signal,
            duration: self.t0.elapsed(),
            notes: self.notes.clone(),
            outcomes: serde_json::json!({
                "schedule": {
                    "plan": self.ctx.plan_id,
                    "job": planned.job.id,
                    "started": self.started.format(TAG_TIME).to_string(),
                    "ended": ended.format(TAG_TIME).to_string(),
                    "pauses": self.pauses,
                    "paused_s": (self.paused.as_secs_f64() * 1000.0).round() / 1000.0,
                    "overran": overran,
                    "missed_deadline": ended > planned.job.deadline,
                    "killed_at_deadline": self.killed_at_deadline,
                    "interrupted_by": self.interrupted,
                }
            }),
        }
    }
}
