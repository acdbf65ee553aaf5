//! The dispatcher: waits on the clock for each moment of the plan (a job's start, the end and
//! start of its segments, its deadline), starts each job on a thread of its own, and passes
//! signals on.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use sustain_core::hardware::CpuCatalog;
use sustain_core::run::RunStatus;
use sustain_meter::recording::Ending;
use sustain_meter::supervise::EXIT_SUSTAIN_FAILED;
use sustain_meter::{Recording, RunSpec, Setup, TreeRoot};

use super::job::{Control, JobRun};
use super::prepare::{Prepared, prepare};
use super::process::{Forwarder, reap, signal_tree, wait_exit};
use super::{Clock, LocalOptions, LocalOutcome, MAX_WAIT, Recorder};
use crate::error::{Result, SchedError, io};
use crate::exec::names::slurm_name;
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
                not_started(
                    p,
                    "its thread ended without an outcome (a bug: please report it)",
                    None,
                )
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
                    self.outcomes[i] = Some(not_started(
                        &self.jobs[i],
                        &format!(
                            "not started: the run was interrupted (signal {sig}) before its slot"
                        ),
                        Some(sig),
                    ));
                }
            }
        }
        self.stopping = Some(sig);
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

    /// Records the job's start, spawns its command and hands both to a thread of its own.
    fn start<'s>(
        &mut self,
        scope: &'s std::thread::Scope<'s, 'a>,
        i: usize,
        recorder: &mut dyn Recorder,
    ) {
        let jobs = self.jobs;
        let p = &jobs[i];
        let planned = p.planned;
        let finish = |d: &mut Self, outcome: LocalOutcome| {
            d.slots[i] = Slot::Done;
            d.outcomes[i] = Some(outcome);
        };
        let sink = match recorder.sink(planned) {
            Ok(s) => s,
            Err(e) => {
                let o = not_started(
                    p,
                    &format!("not started: where its run is recorded could not be opened: {e}"),
                    None,
                );
                return finish(self, o);
            }
        };
        let Some(setup) = self.setups.get(planned.site.as_str()).cloned() else {
            return finish(
                self,
                not_started(p, "not started: no setup for its site", None),
            );
        };
        let name: String = planned.job.id.chars().take(256).collect();
        let spec = RunSpec {
            kind: self.ctx.options.kind,
            name,
            command: vec!["sh".into(), "-c".into(), p.command.to_string()],
            tags: p.tags.clone(),
        };
        let mut recording =
            match Recording::begin(setup, TreeRoot::Attached, self.ctx.cpus, spec, sink) {
                Ok(r) => r,
                Err(e) => {
                    let o = not_started(
                        p,
                        &format!("not started: its run could not be recorded: {e}"),
                        None,
                    );
                    return finish(self, o);
                }
            };
        let run_id = recording.start().id.clone();
        let started = self.ctx.clock.now();
        let t0 = Instant::now();
        let mut outcome = not_started(p, "", None);
        outcome.problem = None;
        outcome.run_id = Some(run_id.clone());
        outcome.started = Some(started);

        let child = self.spawn(p, &run_id);
        let pid = match child {
            Ok(pid) => pid,
            Err(e) => {
                let done = recording.failed_to_start("sh", e, t0.elapsed());
                outcome.ended = Some(self.ctx.clock.now());
                outcome.status = done.view.end.as_ref().map(|e| e.status);
                outcome.exit_code = Some(done.exit_code);
                outcome.problem = Some(match (&done.spawn_error, &done.end_error) {
                    (_, Some(e)) => format!(
                        "could not start, and the end of its run could not be recorded: {e}"
                    ),
                    (Some(e), None) => format!("could not start: {e}"),
                    (None, None) => "could not start".into(),
                });
                return finish(self, outcome);
            }
        };
        recording.attach(pid as u32);

        let (ctl, ctl_rx) = mpsc::channel::<Control>();
        let waiter = ctl.clone();
        let spawned = std::thread::Builder::new()
            .name("sustain-job-waiter".into())
            .spawn_scoped(scope, move || {
                let _ = waiter.send(match wait_exit(pid) {
                    Ok(raw) => Control::Exited(raw),
                    Err(e) => Control::Lost(e.to_string()),
                });
            });
        if let Err(e) = spawned {
            // Without a waiter the exit would never be seen: stop the job and say why.
            signal_tree(pid, libc::SIGKILL);
            let _ = wait_exit(pid);
            reap(pid);
            let ending = Ending {
                status: RunStatus::Failed,
                exit_code: Some(EXIT_SUSTAIN_FAILED),
                signal: None,
                duration: t0.elapsed(),
                notes: vec![format!("the executor could not wait for the job: {e}")],
                outcomes: serde_json::json!({}),
            };
            let (tx, rx) = mpsc::channel();
            let _ = tx.send(());
            let done = recording.watch(&rx, |()| Some(ending.clone()));
            outcome.status = Some(RunStatus::Failed);
            outcome.exit_code = Some(done.exit_code);
            outcome.ended = Some(self.ctx.clock.now());
            outcome.problem = Some(format!("killed: the executor could not wait for it: {e}"));
            return finish(self, outcome);
        }

        let deadline = planned.job.deadline;
        for w in p.segments.windows(2) {
            self.push(w[0].end, i, Action::Pause);
            self.push(w[1].start, i, Action::Resume);
        }
        if self.ctx.options.kill_at_deadline {
            self.push(deadline, i, Action::Deadline);
        }
        self.slots[i] = Slot::Running(ctl.clone());
        self.running += 1;

        let job = JobRun {
            prepared: p,
            ctx: self.ctx,
            pid,
            t0,
            started,
            ctl,
            paused_since: None,
            paused: Duration::ZERO,
            pauses: 0,
            stopped: Vec::new(),
            interrupted: None,
            killed_at_deadline: false,
            notes: Vec::new(),
        };
        let done_tx = self.tx.clone();
        let thread = std::thread::Builder::new()
            .name("sustain-job".into())
            .spawn_scoped(scope, move || {
                let outcome = job.supervise(recording, ctl_rx, outcome);
                let _ = done_tx.send(Event::Done(i, Box::new(outcome)));
            });
        if let Err(e) = thread {
            // The recording moved into the closure that failed to start; the run stays
            // incomplete in the ledger. Stop the job rather than leave it unmetered.
            signal_tree(pid, libc::SIGKILL);
            self.running -= 1;
            let mut o = not_started(p, "", None);
            o.problem = Some(format!(
                "killed at once: the executor could not start its meter thread ({e}); its run stays incomplete"
            ));
            finish(self, o);
        }
    }

    /// Spawns `sh -c COMMAND` in a process group of its own; returns its pid.
    fn spawn(&self, p: &Prepared<'_>, run_id: &str) -> std::io::Result<i32> {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(p.command)
            .process_group(0)
            .stdin(Stdio::null())
            .env("SUSTAIN_JOB_ID", &p.planned.job.id)
            .env("SUSTAIN_RUN_ID", run_id)
            .env("SUSTAIN_PLAN_ID", self.ctx.plan_id);
        if let Some(dir) = &self.ctx.options.output_dir {
            let path = dir.join(format!("{}.out", slurm_name(&p.planned.job.id)));
            let file = File::options()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
            cmd.stdout(file.try_clone()?).stderr(file);
        }
        let child = cmd.spawn()?;
        // Reaped by this module (wait_exit, then reap), never by `Child::wait`.
        Ok(child.id() as i32)
    }
}

/// The outcome of a job that did not start.
fn not_started(p: &Prepared<'_>, why: &str, interrupted: Option<i32>) -> LocalOutcome {
    LocalOutcome {
        job_id: p.planned.job.id.clone(),
        origin: p.planned.job.origin.clone(),
        site: p.planned.site.clone(),
        run_id: None,
        status: None,
        exit_code: None,
        planned_start: p.segments[0].start,
        planned_end: p.segments[p.segments.len() - 1].end,
        started: None,
        ended: None,
        pauses: 0,
        paused: Duration::ZERO,
        overran: false,
        missed_deadline: false,
        killed_at_deadline: false,
        interrupted,
        problem: Some(why.to_string()),
    }
}
