//! Supervising a wrapped command (`sustain run -- CMD`): Sustain becomes a child subreaper so
//! every descendant stays in the metered tree, forwards the signals processes send it, spawns the
//! command, reaps it (and orphans re-parented to it) with `waitpid(-1)`, samples until it exits,
//! and records the end.
//!
//! Exit codes follow the shell's conventions: the command's own code, 128+N when signal N
//! killed it, [`EXIT_CANNOT_EXECUTE`] and [`EXIT_NOT_FOUND`] when it could not start, and
//! [`EXIT_SUSTAIN_FAILED`] when the meter itself failed.

use std::io::ErrorKind;
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sustain_core::run::{RunStatus, RunView};
use sustain_core::sink::{RunSink, SinkError};
use tracing::{debug, warn};

use crate::error::{MeterError, Result};
use crate::recording::{Ending, Recording, Tally, end_record, sample_until};

/// Exit code when Sustain itself failed (the command may not have run).
pub const EXIT_SUSTAIN_FAILED: i32 = 125;
/// Exit code when the command exists but cannot be executed.
pub const EXIT_CANNOT_EXECUTE: i32 = 126;
/// Exit code when the command was not found.
pub const EXIT_NOT_FOUND: i32 = 127;

/// Signals forwarded to the command.
const FORWARDED: [i32; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

/// The child's pid as the signal thread sees it: 0 before spawn (signals are queued), the pid
/// while it runs, -1 after it has been reaped (signals are dropped, never sent to a reused pid).
struct ChildSlot {
    pid: i32,
    pending: Vec<i32>,
}

/// A supervised command that has ended.
pub struct Supervised {
    /// The run as recorded (or as it would have been, when the end could not be written).
    pub view: RunView,
    /// The code `sustain run` exits with.
    pub exit_code: i32,
    /// Why the command could not start, when it could not.
    pub spawn_error: Option<std::io::Error>,
    /// Why the end could not be written, when it could not: the run is then listed as
    /// incomplete with the samples written so far.
    pub end_error: Option<SinkError>,
}

/// Makes this process a child subreaper, so daemonizing descendants stay below it.
fn become_subreaper() {
    // SAFETY: prctl with PR_SET_CHILD_SUBREAPER takes plain integers and affects only us.
    let rc = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    if rc != 0 {
        warn!("could not become a child subreaper; daemonized descendants will not be metered");
    }
}

impl<S: RunSink> Recording<S> {
    /// Runs `program` with `args` (stdin, stdout and stderr inherited), samples its tree until
    /// it exits, and records the end. The start must have been recorded with
    /// [`TreeRoot::ChildrenOfSelf`](crate::TreeRoot::ChildrenOfSelf).
    pub fn supervise(mut self, program: &str, args: &[String]) -> Result<Supervised> {
        become_subreaper();
        // Signals sent by a process are forwarded; ones from the terminal reach the command
        // directly, as it is in our foreground process group.
        let slot = Arc::new(Mutex::new(ChildSlot {
            pid: 0,
            pending: Vec::new(),
        }));
        start_signal_forwarding(Arc::clone(&slot))?;

        let t0 = Instant::now();
        let child = match std::process::Command::new(program).args(args).spawn() {
            Ok(c) => c,
            Err(e) => return Ok(self.failed_to_start(program, e, t0.elapsed())),
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

        let mut tally = Tally::default();
        let (interval, id) = (self.setup.interval, self.start.id.clone());
        let status = sample_until(&mut self.sampler, interval, &rx, |s| {
            tally.add(s, &self.sink, &id)
        });
        let duration = t0.elapsed();
        tally.add(self.sampler.sample(), &self.sink, &id);

        let (run_status, code, signal) = match status {
            Some(st) => classify(st),
            None => (RunStatus::Failed, EXIT_SUSTAIN_FAILED, None),
        };
        let mut notes: Vec<String> = self.sampler.notes().to_vec();
        if status.is_none() {
            notes.push("the command's exit status could not be collected".into());
        }
        notes.extend(tally.note());
        let ending = Ending {
            status: run_status,
            exit_code: Some(code),
            signal,
            duration,
            notes,
            outcomes: serde_json::json!({}),
        };
        Ok(self.end(tally, ending, code))
    }

    /// Meters the process `pid`, which the caller spawned after the start was recorded with
    /// [`TreeRoot::Attached`](crate::TreeRoot::Attached), and its descendants.
    pub fn attach(&mut self, pid: u32) {
        self.sampler.attach(pid);
    }

    /// Records that the command `program` could not be started (`error`, after `duration`):
    /// status `failed_to_start`, exit code [`EXIT_NOT_FOUND`] or [`EXIT_CANNOT_EXECUTE`].
    pub fn failed_to_start(
        self,
        program: &str,
        error: std::io::Error,
        duration: Duration,
    ) -> Supervised {
        let code = match error.kind() {
            ErrorKind::NotFound => EXIT_NOT_FOUND,
            _ => EXIT_CANNOT_EXECUTE,
        };
        let ending = Ending {
            status: RunStatus::FailedToStart,
            exit_code: Some(code),
            signal: None,
            duration,
            notes: vec![format!("cannot start '{program}': {error}")],
            outcomes: serde_json::json!({}),
        };
        let mut done = self.end(Tally::default(), ending, code);
        done.spawn_error = Some(error);
        done
    }

    /// Samples until `on_message` says how the work ended, then records the end: for work the
    /// caller spawns, controls and waits for itself (the local executor of `sustain-sched`,
    /// which runs several commands side by side, each attached with [`Recording::attach`]).
    ///
    /// Messages from `rx` (the work's exit, a pause, a signal to pass on) are handed to
    /// `on_message` as they come, between samples; it returns the ending once the work is
    /// over. The last sample is taken after that, so the caller should still hold the process
    /// unreaped (waited for with `WNOWAIT`) and reap it when this returns. When every sender is
    /// gone first, the run ends `failed` with [`EXIT_SUSTAIN_FAILED`]. The sampler's notes, and
    /// samples that could not be written, are added to the ending's notes.
    pub fn watch<T>(
        mut self,
        rx: &mpsc::Receiver<T>,
        mut on_message: impl FnMut(T) -> Option<Ending>,
    ) -> Supervised {
        let t0 = Instant::now();
        let mut tally = Tally::default();
        let (interval, id) = (self.setup.interval, self.start.id.clone());
        let mut ending = loop {
            let got = sample_until(&mut self.sampler, interval, rx, |s| {
                tally.add(s, &self.sink, &id)
            });
            match got {
                Some(message) => {
                    if let Some(ending) = on_message(message) {
                        break ending;
                    }
                }
                None => {
                    break Ending {
                        status: RunStatus::Failed,
                        exit_code: Some(EXIT_SUSTAIN_FAILED),
                        signal: None,
                        duration: t0.elapsed(),
                        notes: vec!["the work's exit status could not be collected".into()],
                        outcomes: serde_json::json!({}),
                    };
                }
            }
        };
        tally.add(self.sampler.sample(), &self.sink, &id);
        ending.notes.extend(self.sampler.notes().iter().cloned());
        ending.notes.extend(tally.note());
        let code = ending.exit_code.unwrap_or(EXIT_SUSTAIN_FAILED);
        self.end(tally, ending, code)
    }

    /// Records the end; a failure to write it is reported, not fatal (the command has run).
    fn end(self, tally: Tally, ending: Ending, exit_code: i32) -> Supervised {
        let end = end_record(
            &self.setup,
            &self.start,
            tally.energy.clone(),
            self.sampler.usage(),
            ending,
        );
        let end_error = self.sink.finish_run(&end).err();
        Supervised {
            view: RunView {
                start: self.start,
                end: Some(end),
                samples: tally.written,
            },
            exit_code,
            spawn_error: None,
            end_error,
        }
    }
}

fn start_signal_forwarding(slot: Arc<Mutex<ChildSlot>>) -> Result<()> {
    use signal_hook::iterator::SignalsInfo;
    use signal_hook::iterator::exfiltrator::WithOrigin;
    let mut signals =
        SignalsInfo::<WithOrigin>::new(FORWARDED).map_err(|source| MeterError::System {
            what: "installing signal handlers",
            source,
        })?;
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
        .map_err(|source| MeterError::System {
            what: "starting the signal thread",
            source,
        })?;
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

/// Status, exit code and signal of an exit status, by the shell's conventions: the code
/// itself, or 128+N when signal N ended it.
pub fn classify(status: ExitStatus) -> (RunStatus, i32, Option<i32>) {
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
        (RunStatus::Failed, EXIT_SUSTAIN_FAILED, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_statuses_follow_the_shell() {
        // A raw wait status: code << 8 for an exit, the signal number for a kill.
        assert_eq!(
            classify(ExitStatus::from_raw(0)),
            (RunStatus::Succeeded, 0, None)
        );
        assert_eq!(
            classify(ExitStatus::from_raw(3 << 8)),
            (RunStatus::Failed, 3, None)
        );
        assert_eq!(
            classify(ExitStatus::from_raw(libc::SIGKILL)),
            (RunStatus::Killed, 128 + libc::SIGKILL, Some(libc::SIGKILL))
        );
    }
}
