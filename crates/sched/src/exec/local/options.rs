//! How a plan is run locally, and a handle to interrupt it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sustain_core::run::RunKind;

use super::dispatch::Event;

/// How a plan is run locally. The defaults are the CLI's: runs of kind `schedule`, output
/// inherited, jobs left to finish past their deadline, signals passed on.
#[derive(Debug, Clone)]
pub struct LocalOptions {
    /// Tagged on every run as `schedule.plan`, so the runs of one plan can be found together
    /// (letters, digits, `-`, `_`, `.`, 1 to 64). `None`: a new UUIDv7 for each call of
    /// [`run`](super::run).
    pub plan_id: Option<String>,
    /// The kind of the recorded runs.
    pub kind: RunKind,
    /// More tags on every run (the user's `--tag`); keys of letters, digits, `-`, `_`, `.`,
    /// `/`, not starting with `schedule.` (the executor's own).
    pub tags: BTreeMap<String, String>,
    /// Where each job's standard output and error go: `None`, this process's; a directory,
    /// `<dir>/<name>.out` (the job's name as the Slurm executor makes it from the id; created,
    /// or appended to).
    pub output_dir: Option<PathBuf>,
    /// Stop a job still running at its deadline: `SIGTERM` to its process group, then
    /// `SIGKILL` after [`Self::kill_grace`]; not a job the plan already has late (as the Slurm
    /// executor leaves out its deadline). Off: a job that overruns its plan or deadline is
    /// left to finish, and its outcome says so.
    pub kill_at_deadline: bool,
    /// Real time between `SIGTERM` and `SIGKILL` at the deadline.
    pub kill_grace: Duration,
    /// Install handlers for `SIGINT`, `SIGTERM`, `SIGHUP` and `SIGQUIT` while running, and pass
    /// each signal on to the running jobs (the CLI). The handlers stay installed, doing
    /// nothing, after [`run`](super::run) returns (signal-hook does not restore the default
    /// action), so a caller that goes on running should leave this off and use
    /// [`Self::interrupt`].
    pub forward_signals: bool,
    /// Interrupts the run as a signal would, from another thread (a caller with its own signal
    /// handling, tests).
    pub interrupt: Option<Interrupt>,
}

impl Default for LocalOptions {
    fn default() -> Self {
        Self {
            plan_id: None,
            kind: RunKind::Schedule,
            tags: BTreeMap::new(),
            output_dir: None,
            kill_at_deadline: false,
            kill_grace: Duration::from_secs(10),
            forward_signals: true,
            interrupt: None,
        }
    }
}

/// A handle that interrupts a [`run`](super::run) as a signal would: the signal is passed on
/// to the running jobs and no other job starts. Raised before the run starts, it takes effect
/// as the run starts.
#[derive(Debug, Clone, Default)]
pub struct Interrupt {
    inner: Arc<Mutex<InterruptSlot>>,
}

#[derive(Debug, Default)]
struct InterruptSlot {
    tx: Option<Sender<Event>>,
    pending: Vec<i32>,
}

impl Interrupt {
    /// A handle not yet raised.
    pub fn new() -> Self {
        Self::default()
    }

    /// Interrupts with `signal` (`libc::SIGINT` for a Ctrl-C).
    pub fn raise(&self, signal: i32) {
        let mut slot = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        match &slot.tx {
            Some(tx) => {
                let _ = tx.send(Event::Signal(signal));
            }
            None => slot.pending.push(signal),
        }
    }

    pub(super) fn connect(&self, tx: Sender<Event>) {
        let mut slot = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        for s in slot.pending.drain(..) {
            let _ = tx.send(Event::Signal(s));
        }
        slot.tx = Some(tx);
    }

    pub(super) fn disconnect(&self) {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).tx = None;
    }
}
