//! The dispatcher: waits on the clock for each moment of the plan (a job's start, the end and
//! start of its segments, its deadline), starts each job on a thread of its own, and passes
//! signals on.

use std::collections::{BTreeMap, HashMap};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};

use chrono::NaiveDateTime;
use sustain_core::hardware::CpuCatalog;
use sustain_meter::Setup;

use super::job::{self, Control, Handed};
use super::prepare::{Prepared, prepare};
use super::process::Forwarder;
use super::{Clock, LocalOptions, LocalOutcome, MAX_WAIT, Recorder};
use crate::error::{Result, SchedError, io};
use crate::plan::Plan;

/// What the dispatcher hears.
#[derive(Debug)]
pub(super) enum Event {
    /// A signal to pass on (received, or raised through an [`Interrupt`](super::Interrupt)).
    Signal(i32),
    /// A job's thread has finished: its outcome.
    Done(usize, Box<LocalOutcome>),
}

/// What the dispatcher does at a moment of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Action {
    Start,
    Pause,
    Resume,
    Deadline,
}

/// Where a job stands.
enum Slot {
    Waiting,
    Running(Sender<Control>),
    Done,
}

/// Runs `plan` on this machine (see the module's documentation): each job's command at its
/// slots, metered and recorded through `recorder`, several at once where slots overlap.
/// Returns an outcome per job, in order of planned start.
///
/// Errors only for what prevents running at all, before anything runs or is recorded: a job
/// without a command (the error names the job and where it was read), with no or empty
/// segments, not interruptible but planned in pieces, two jobs with one id, a site the
/// recorder has no setup for, an invalid plan id or extra tag, an output directory that cannot
/// be created, signal handlers that cannot be installed.
pub fn run(
    plan: &Plan,
    options: &LocalOptions,
    clock: &dyn Clock,
    recorder: &mut dyn Recorder,
) -> Result<Vec<LocalOutcome>> {
    let plan_id = options
        .plan_id
        .clone()
        .unwrap_or_else(sustain_core::run::new_run_id);
    let jobs = prepare(plan, options, &plan_id)?;
    let mut setups: HashMap<&str, Setup> = HashMap::new();
    for p in &jobs {
        let site = p.planned.site.as_str();
        if setups.contains_key(site) {
            continue;
        }
        let setup = recorder.setup(site).map_err(|e| {
            SchedError::Inconsistent(format!(
                "{} (job {:?}) is planned at site {site:?}, where its run cannot be metered: {e}",
                p.planned.job.origin, p.planned.job.id
            ))
        })?;
        setups.insert(site, setup);
    }
    if let Some(dir) = &options.output_dir {
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    }
    let cpus = CpuCatalog::bundled()?;

    let (tx, rx) = mpsc::channel::<Event>();
    let forwarder = if options.forward_signals {
        Some(Forwarder::install(tx.clone())?)
    } else {
        None
    };
    if let Some(i) = &options.interrupt {
        i.connect(tx.clone());
    }
    let ctx = Context {
        options,
        plan_id: &plan_id,
        clock,
        cpus: &cpus,
        interrupted: AtomicI32::new(0),
    };
    let outcomes = std::thread::scope(|scope| {
        let mut d = Dispatcher {
            ctx: &ctx,
            jobs: &jobs,
            setups: &setups,
            slots: jobs.iter().map(|_| Slot::Waiting).collect(),
            outcomes: jobs.iter().map(|_| None).collect(),
            queue: BTreeMap::new(),
            seq: 0,
            running: 0,
            stopping: None,
            tx: &tx,
        };
        for (i, p) in jobs.iter().enumerate() {
            d.push(p.segments[0].start, i, Action::Start);
        }
        d.run(scope, &rx, recorder);
        d.outcomes
    });
    if let Some(i) = &options.interrupt {
        i.disconnect();
    }
    drop(forwarder);
    Ok(outcomes
        .into_iter()
        .zip(&jobs)
        .map(|(o, p)| {
            o.unwrap_or_else(|| {
                p.outcome(Some(
                    "its thread ended without an outcome (a bug: please report it)".into(),
                ))
            })
        })
        .collect())
}

/// What every job of a run shares.
pub(super) struct Context<'a> {
    pub(super) options: &'a LocalOptions,
    pub(super) plan_id: &'a str,
    pub(super) clock: &'a dyn Clock,
    pub(super) cpus: &'a CpuCatalog,
    /// The signal that interrupted the run, 0 while none has: a job whose thread sees it set
    /// before starting does not start.
    pub(super) interrupted: AtomicI32,
}

struct Dispatcher<'a, 'p> {
    ctx: &'a Context<'a>,
    jobs: &'a [Prepared<'p>],
    setups: &'a HashMap<&'a str, Setup>,
    slots: Vec<Slot>,
    outcomes: Vec<Option<LocalOutcome>>,
    /// What to do when, in the plan's clock; `seq` keeps equal times in the order pushed.
    queue: BTreeMap<(NaiveDateTime, u64), (usize, Action)>,
    seq: u64,
    running: usize,
    stopping: Option<i32>,
    tx: &'a Sender<Event>,
}

impl<'a> Dispatcher<'a, '_> {
    fn push(&mut self, at: NaiveDateTime, job: usize, action: Action) {
        self.queue.insert((at, self.seq), (job, action));
        self.seq += 1;
    }

    fn run<'s>(
        &mut self,
        scope: &'s std::thread::Scope<'s, 'a>,
        rx: &mpsc::Receiver<Event>,
        recorder: &mut dyn Recorder,
    ) {
        let clock = self.ctx.clock;
        loop {
            while let Some((&(at, seq), &(job, action))) = self.queue.first_key_value() {
                if at > clock.now() {
                    break;
                }
                self.queue.remove(&(at, seq));
                self.act(scope, job, action, recorder);
            }
            if self.running == 0 && (self.queue.is_empty() || self.stopping.is_some()) {
                return;
            }
            let wait = self
                .queue
                .first_key_value()
                .map_or(MAX_WAIT, |(&(at, _), _)| clock.real_until(at))
                .min(MAX_WAIT);
            match rx.recv_timeout(wait) {
                Ok(Event::Signal(sig)) => self.interrupt(sig),
                Ok(Event::Done(i, outcome)) => {
                    self.running -= 1;
                    self.slots[i] = Slot::Done;
                    self.outcomes[i] = Some(*outcome);
                }
                Err(RecvTimeoutError::Timeout) => {}
                // We hold a sender: cannot happen.
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    /// A signal: pass it on to every running job; no other job starts.
    fn interrupt(&mut self, sig: i32) {
        if self.stopping.is_none() {
            for (i, slot) in self.slots.iter_mut().enumerate() {
                if matches!(slot, Slot::Waiting) {
                    *slot = Slot::Done;
                    let mut o = self.jobs[i].outcome(Some(format!(
                        "not started: the run was interrupted (signal {sig}) before its slot"
                    )));
                    o.interrupted = Some(sig);
                    self.outcomes[i] = Some(o);
                }
            }
        }
        self.stopping = Some(sig);
        self.ctx.interrupted.store(sig, Ordering::SeqCst);
        for slot in &self.slots {
            if let Slot::Running(tx) = slot {
                let _ = tx.send(Control::Signal(sig));
            }
        }
    }

    fn act<'s>(
        &mut self,
        scope: &'s std::thread::Scope<'s, 'a>,
        i: usize,
        action: Action,
        recorder: &mut dyn Recorder,
    ) {
        match (&self.slots[i], action) {
            (Slot::Waiting, Action::Start) => self.start(scope, i, recorder),
            (Slot::Running(tx), Action::Pause) => {
                let _ = tx.send(Control::Pause);
            }
            (Slot::Running(tx), Action::Resume) => {
                let _ = tx.send(Control::Resume);
            }
            (Slot::Running(tx), Action::Deadline) => {
                let _ = tx.send(Control::Deadline);
            }
            _ => {}
        }
    }

    /// Opens where the job's run is recorded and hands it to a thread of its own, which
    /// records the start, spawns the command and meters it (`job::run`).
    fn start<'s>(
        &mut self,
        scope: &'s std::thread::Scope<'s, 'a>,
        i: usize,
        recorder: &mut dyn Recorder,
    ) {
        let jobs = self.jobs;
        let p = &jobs[i];
        let sink = match recorder.sink(p.planned) {
            Ok(s) => s,
            Err(e) => {
                return self.finish(
                    i,
                    p.outcome(Some(format!(
                        "not started: where its run is recorded could not be opened: {e}"
                    ))),
                );
            }
        };
        let Some(setup) = self.setups.get(p.planned.site.as_str()).cloned() else {
            return self.finish(
                i,
                p.outcome(Some("not started: no setup for its site".into())),
            );
        };
        let (ctl, rx) = mpsc::channel::<Control>();
        let handed = Handed {
            setup,
            sink,
            ctl: ctl.clone(),
            rx,
        };
        let (ctx, done) = (self.ctx, self.tx.clone());
        let thread = std::thread::Builder::new()
            .name("sustain-job".into())
            .spawn_scoped(scope, move || {
                let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
                    job::run(ctx, p, handed)
                }))
                .unwrap_or_else(|_| {
                    p.outcome(Some(
                        "its thread failed (a bug: please report it); its processes were killed and its run stays incomplete"
                            .into(),
                    ))
                });
                let _ = done.send(Event::Done(i, Box::new(outcome)));
            });
        if let Err(e) = thread {
            return self.finish(
                i,
                p.outcome(Some(format!(
                    "not started: the executor could not start a thread for it: {e}"
                ))),
            );
        }
        for w in p.segments.windows(2) {
            self.push(w[0].end, i, Action::Pause);
            self.push(w[1].start, i, Action::Resume);
        }
        // Not a job the plan already has late, as the Slurm executor leaves out its deadline.
        if self.ctx.options.kill_at_deadline && !p.planned.late {
            self.push(p.planned.job.deadline, i, Action::Deadline);
        }
        self.slots[i] = Slot::Running(ctl);
        self.running += 1;
    }

    /// Records the outcome of a job that will not run.
    fn finish(&mut self, i: usize, outcome: LocalOutcome) {
        self.slots[i] = Slot::Done;
        self.outcomes[i] = Some(outcome);
    }
}
