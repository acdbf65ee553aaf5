//! A running job, on its own thread: meters it until it exits, stops and resumes it between
//! its segments, passes signals on, and stops it at its deadline when asked.

use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::sync::mpsc::{self, Sender};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use sustain_core::run::RunStatus;
use sustain_core::sink::RunSink;
use sustain_meter::Recording;
use sustain_meter::recording::Ending;
use sustain_meter::supervise::{EXIT_SUSTAIN_FAILED, classify};

use super::dispatch::Context;
use super::prepare::{Prepared, trim_number};
use super::process::{reap, signal_tree};
use super::{LocalOutcome, TAG_TIME};

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

/// One running job, on its own thread.
pub(super) struct JobRun<'a, 'p> {
    pub(super) prepared: &'a Prepared<'p>,
    pub(super) ctx: &'a Context<'a>,
    pub(super) pid: i32,
    pub(super) t0: Instant,
    pub(super) started: NaiveDateTime,
    pub(super) ctl: Sender<Control>,
    pub(super) paused_since: Option<Instant>,
    pub(super) paused: Duration,
    pub(super) pauses: u32,
    /// Processes stopped one by one (outside the job's process group).
    pub(super) stopped: Vec<i32>,
    pub(super) interrupted: Option<i32>,
    pub(super) killed_at_deadline: bool,
    pub(super) notes: Vec<String>,
}

impl JobRun<'_, '_> {
    /// Meters the job until it exits, reaps it, and returns its outcome.
    pub(super) fn supervise(
        mut self,
        recording: Recording<Box<dyn RunSink + Send>>,
        rx: mpsc::Receiver<Control>,
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
        if let Some(e) = done.end_error {
            outcome.problem = Some(format!(
                "the end of its run could not be recorded ({e}); it is listed as incomplete with the samples written so far"
            ));
        } else if let Some(lost) = self.notes.iter().find(|n| n.starts_with("lost:")) {
            outcome.problem = Some(lost.clone());
        }
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
                self.notes.push(format!(
                    "lost: the job's exit status could not be collected: {why}"
                ));
                Some(self.ending(RunStatus::Failed, EXIT_SUSTAIN_FAILED, None))
            }
            Control::Pause => {
                if self.interrupted.is_none() && self.paused_since.is_none() {
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
