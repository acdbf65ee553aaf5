//! The local executor: carries a plan out on this machine. Each job's command runs with
//! `sh -c` when its slot comes, metered as `sustain run` meters a command, and an interruptible
//! job planned in several segments is stopped (`SIGSTOP`) between them and resumed (`SIGCONT`).
//!
//! [`run`] takes the jobs in order of planned start and, for each:
//!
//! 1. waits on the [`Clock`] until its first segment's start (a slot already past starts at
//!    once);
//! 2. asks the [`Recorder`] where its run is written (a ledger, a server) and records its start
//!    there with the site's factors and tags carrying the plan ([`tags`]), before the command
//!    is spawned, so every job that started is on record whatever happens next;
//! 3. spawns `sh -c COMMAND` in a process group of its own (stdin closed, output inherited or
//!    written to a file per job), with `SUSTAIN_JOB_ID`, `SUSTAIN_RUN_ID` and
//!    `SUSTAIN_PLAN_ID` set, and meters that process and its descendants
//!    ([`TreeRoot::Attached`]) on a thread of its own: jobs whose slots overlap run side by
//!    side, each with its own meter;
//! 4. at the end of each segment but the last, stops the job's process group (and descendants
//!    that left it) with `SIGSTOP`, and resumes them with `SIGCONT` at the next segment's
//!    start. After the last segment's planned end the job is left to finish; with
//!    [`LocalOptions::kill_at_deadline`] a job still running at its deadline gets `SIGTERM`,
//!    then `SIGKILL` after [`LocalOptions::kill_grace`];
//! 5. records the end when the command exits: status, exit code and signal as `sustain run`
//!    records them (the code, or 128+N for signal N), energy and impacts, and in the run's
//!    outcomes what the executor did (`outcomes.schedule`: time paused, overrun, deadline,
//!    interruption).
//!
//! A failing job does not stop the others: [`run`] returns an outcome per job. It fails only
//! for what prevents running at all, before anything runs: a job without a command or without
//! segments, a non-interruptible job planned in pieces, two jobs with one id, a site the meter
//! has no factors for, extra tags that are not tags. Signals (`SIGINT` from Ctrl-C, `SIGTERM`,
//! `SIGHUP`, `SIGQUIT`) are passed on to every running job, which is recorded as interrupted
//! (and resumed first if paused, so it can act on the signal); jobs whose slot has not come
//! are not started.
//!
//! **Clock.** A plan's times are in the clock of its intensity series. [`SystemClock`] takes
//! that clock to be UTC unless given an offset ([`SystemClock::at_offset`]): a series written
//! in local time must say which offset, or jobs start that many hours early or late.
//! [`ScaledClock`] runs a plan faster than real time (tests, demonstrations).
//!
//! **Process tree.** Unlike `sustain run`, the executor is not a child subreaper: several runs
//! share one Sustain process, and an orphan re-parented to it would not say which run it
//! belongs to. Each run follows its own tree by process id instead, remembering every process
//! once seen (see `TreeRoot::Attached`); stopping and resuming reach the job's process group,
//! which orphans keep unless they start a session of their own, and the descendants of its
//! first process.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::ErrorKind;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{FixedOffset, NaiveDateTime, Utc};
use serde::Serialize;
use sustain_core::hardware::CpuCatalog;
use sustain_core::run::{RunKind, RunStatus, parse_tag};
use sustain_core::sink::{RunSink, SinkError};
use sustain_core::text::{right, table, user};
use sustain_meter::recording::Ending;
use sustain_meter::supervise::{EXIT_SUSTAIN_FAILED, classify};
use sustain_meter::{Recording, RunSpec, Settings, Setup, TreeRoot};

use crate::error::{Result, SchedError, invalid, io};
use crate::exec::names::slurm_name;
use crate::plan::{Plan, PlannedJob, Segment};
use crate::time::format_timestamp;

/// The time form of the tags and the outcomes' JSON: ISO 8601 without a zone (the plan's
/// clock), sortable as text.
const TAG_TIME: &str = "%Y-%m-%dT%H:%M:%S";

/// The longest wait between two looks at the clock: a system clock stepped forward (NTP, a
/// suspended laptop) is noticed within it.
const MAX_WAIT: Duration = Duration::from_secs(10);

/// The signals passed on to the running jobs.
const FORWARDED: [i32; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

/// The tag keys the executor writes (every one starts with `schedule.`).
pub const TAG_PREFIX: &str = "schedule.";

// ---------------------------------------------------------------------------------------------
// Clocks

/// Time as the plan reads it, and how long to wait in real time for a moment of it.
pub trait Clock: Send + Sync {
    /// Now, in the plan's clock.
    fn now(&self) -> NaiveDateTime;

    /// The real time from now until `t` on this clock; zero when `t` has come.
    fn real_until(&self, t: NaiveDateTime) -> Duration;

    /// Sleeps until `t` has come on this clock.
    fn sleep_until(&self, t: NaiveDateTime) {
        loop {
            let d = self.real_until(t);
            if d.is_zero() {
                return;
            }
            std::thread::sleep(d.min(MAX_WAIT));
        }
    }
}

/// The system's clock, read as UTC plus a fixed offset (UTC by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SystemClock {
    offset: FixedOffset,
}

impl SystemClock {
    /// The plan's times are UTC (the series' usual clock).
    pub fn utc() -> Self {
        Self::at_offset(FixedOffset::east_opt(0).unwrap_or_else(|| unreachable!()))
    }

    /// The plan's times are at `offset` from UTC (`+01:00`: a series in Paris winter time).
    pub fn at_offset(offset: FixedOffset) -> Self {
        Self { offset }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::utc()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> NaiveDateTime {
        Utc::now().with_timezone(&self.offset).naive_local()
    }

    fn real_until(&self, t: NaiveDateTime) -> Duration {
        (t - self.now()).to_std().unwrap_or(Duration::ZERO)
    }
}

/// A clock that starts at a moment of the plan and runs `speed` times faster than real time:
/// with speed 60 a plan minute passes in a real second, so a plan of minutes runs in seconds.
#[derive(Debug, Clone, Copy)]
pub struct ScaledClock {
    origin: NaiveDateTime,
    real_origin: Instant,
    speed: f64,
}

impl ScaledClock {
    /// Reads `origin` now, then runs `speed` times faster than real time (finite, above 0).
    pub fn new(origin: NaiveDateTime, speed: f64) -> Result<Self> {
        if !(speed.is_finite() && speed > 0.0) {
            return Err(invalid(
                "clock speed",
                speed,
                "a finite number above 0 (60: a plan minute per real second)",
            ));
        }
        Ok(Self {
            origin,
            real_origin: Instant::now(),
            speed,
        })
    }

    /// The real instant at which this clock reads `t`.
    pub fn real_instant(&self, t: NaiveDateTime) -> Instant {
        let plan_s = (t - self.origin).num_microseconds().unwrap_or(i64::MAX) as f64 / 1e6;
        let real = Duration::try_from_secs_f64(plan_s.max(0.0) / self.speed).unwrap_or(MAX_WAIT);
        self.real_origin + real
    }
}

impl Clock for ScaledClock {
    fn now(&self) -> NaiveDateTime {
        let plan_us = self.real_origin.elapsed().as_secs_f64() * self.speed * 1e6;
        self.origin + chrono::Duration::microseconds(plan_us as i64)
    }

    fn real_until(&self, t: NaiveDateTime) -> Duration {
        self.real_instant(t)
            .saturating_duration_since(Instant::now())
    }
}

// ---------------------------------------------------------------------------------------------
// Where runs are recorded

/// Where each job's run is recorded and how it is metered: the caller's plug-in, so this crate
/// opens no ledger (as `sustain_train::jobs::StartMeter` does for training).
pub trait Recorder {
    /// How runs at `site` (a site of the plan) are metered: the site's factors, the sampling
    /// interval, the sensors. Called once per site, before anything runs, so a site without
    /// factors stops the plan before any job starts.
    fn setup(&mut self, site: &str) -> std::result::Result<Setup, SinkError>;

    /// Where the run of `job` is written, opened when its slot comes (each job gets its own
    /// sink, used from the job's own thread). An error here is that job's: it is reported
    /// in its outcome, not started, and the other jobs go on.
    fn sink(&mut self, job: &PlannedJob)
    -> std::result::Result<Box<dyn RunSink + Send>, SinkError>;
}

/// A [`Recorder`] from Sustain's settings (each site's factors, the interval and sensors in
/// effect, as `sustain run` uses them) and a function that opens a sink per job: what the CLI
/// passes, with a function that opens the ledger (`SqliteLedger`) or a `RemoteSink`.
pub struct SettingsRecorder<'a, F> {
    /// Settings in effect (`--config`, `SUSTAIN_*`, defaults).
    pub settings: &'a Settings,
    /// The sampling interval, when it is not the settings' (`--interval`).
    pub interval: Option<Duration>,
    /// Opens where a job's run is written.
    pub open: F,
}

impl<'a, F> SettingsRecorder<'a, F>
where
    F: FnMut(&PlannedJob) -> std::result::Result<Box<dyn RunSink + Send>, SinkError>,
{
    /// Runs metered as `settings` say, recorded where `open` says.
    pub fn new(settings: &'a Settings, open: F) -> Self {
        Self {
            settings,
            interval: None,
            open,
        }
    }
}

impl<F> Recorder for SettingsRecorder<'_, F>
where
    F: FnMut(&PlannedJob) -> std::result::Result<Box<dyn RunSink + Send>, SinkError>,
{
    fn setup(&mut self, site: &str) -> std::result::Result<Setup, SinkError> {
        let mut setup = self.settings.setup(site)?;
        if let Some(i) = self.interval {
            setup.interval = i;
        }
        Ok(setup)
    }

    fn sink(
        &mut self,
        job: &PlannedJob,
    ) -> std::result::Result<Box<dyn RunSink + Send>, SinkError> {
        (self.open)(job)
    }
}

// ---------------------------------------------------------------------------------------------
// Options and outcomes

/// How a plan is run locally. The defaults are the CLI's: runs of kind `schedule`, output
/// inherited, jobs left to finish past their deadline, signals passed on.
#[derive(Debug, Clone)]
pub struct LocalOptions {
    /// Tagged on every run as `schedule.plan`, so the runs of one plan can be found together
    /// (letters, digits, `-`, `_`, `.`, 1 to 64). `None`: a new UUIDv7 for each call of
    /// [`run`].
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
    /// `SIGKILL` after [`Self::kill_grace`]. Off: a job that overruns its plan or deadline is
    /// left to finish, and its outcome says so.
    pub kill_at_deadline: bool,
    /// Real time between `SIGTERM` and `SIGKILL` at the deadline.
    pub kill_grace: Duration,
    /// Install handlers for `SIGINT`, `SIGTERM`, `SIGHUP` and `SIGQUIT` while running, and pass
    /// each signal on to the running jobs (the CLI). The handlers stay installed, doing
    /// nothing, after [`run`] returns (signal-hook does not restore the default action), so a
    /// caller that goes on running should leave this off and use [`Self::interrupt`].
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

/// A handle that interrupts a [`run`] as a signal would: the signal is passed on to the running
/// jobs and no other job starts. Raised before the run starts, it takes effect as the run
/// starts.
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

    fn connect(&self, tx: Sender<Event>) {
        let mut slot = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        for s in slot.pending.drain(..) {
            let _ = tx.send(Event::Signal(s));
        }
        slot.tx = Some(tx);
    }

    fn disconnect(&self) {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).tx = None;
    }
}

/// What became of one job.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LocalOutcome {
    /// The job's id.
    pub job_id: String,
    /// Where the job was read (`jobs.csv line 4`).
    pub origin: String,
    /// The site it ran at.
    pub site: String,
    /// The recorded run, `None` when nothing was recorded (not started).
    pub run_id: Option<String>,
    /// The run's status as recorded, `None` when not started.
    pub status: Option<RunStatus>,
    /// The code `sustain run` would exit with for it (the command's code, 128+N for signal
    /// N, 125 to 127 when it could not run), `None` when not started.
    pub exit_code: Option<i32>,
    /// Its planned start (the first segment's), in the plan's clock.
    #[serde(serialize_with = "ser_time")]
    pub planned_start: NaiveDateTime,
    /// Its planned end (the last segment's), in the plan's clock.
    #[serde(serialize_with = "ser_time")]
    pub planned_end: NaiveDateTime,
    /// When the command was started, in the plan's clock.
    #[serde(serialize_with = "ser_opt_time")]
    pub started: Option<NaiveDateTime>,
    /// When it exited, in the plan's clock.
    #[serde(serialize_with = "ser_opt_time")]
    pub ended: Option<NaiveDateTime>,
    /// Times it was stopped between segments.
    pub pauses: u32,
    /// Real time it spent stopped.
    #[serde(rename = "paused_s", serialize_with = "ser_secs")]
    pub paused: Duration,
    /// It ended after its planned end.
    pub overran: bool,
    /// It ended after its deadline.
    pub missed_deadline: bool,
    /// It was still running at its deadline and was stopped ([`LocalOptions::kill_at_deadline`]).
    pub killed_at_deadline: bool,
    /// The signal passed on to it, or that kept it from starting.
    pub interrupted: Option<i32>,
    /// Why it did not start, or what of its run could not be recorded.
    pub problem: Option<String>,
}

impl LocalOutcome {
    /// It ran, exited 0, and its run is recorded whole.
    pub fn succeeded(&self) -> bool {
        self.status == Some(RunStatus::Succeeded) && self.problem.is_none()
    }
}

fn ser_time<S: serde::Serializer>(t: &NaiveDateTime, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&t.format(TAG_TIME).to_string())
}

fn ser_opt_time<S: serde::Serializer>(
    t: &Option<NaiveDateTime>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match t {
        Some(t) => ser_time(t, s),
        None => s.serialize_none(),
    }
}

fn ser_secs<S: serde::Serializer>(d: &Duration, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1000.0).round() / 1000.0)
}

/// The code `sustain schedule run --executor local` exits with: 0 when every job ran, exited
/// 0 and is recorded whole; 128+N when signal N interrupted the run; else 1.
pub fn exit_code(outcomes: &[LocalOutcome]) -> i32 {
    if let Some(sig) = outcomes.iter().find_map(|o| o.interrupted) {
        return 128 + sig;
    }
    if outcomes.iter().all(LocalOutcome::succeeded) {
        0
    } else {
        1
    }
}

/// The outcomes as a table for the terminal: job, site, run, status, exit code, planned
/// start, started, ended, time paused, and what went wrong.
pub fn render(outcomes: &[LocalOutcome]) -> String {
    let mut t = table();
    t.set_header(vec![
        "job", "site", "run", "status", "exit", "planned", "started", "ended", "paused s", "notes",
    ]);
    for o in outcomes {
        let mut notes = Vec::new();
        if o.overran {
            notes.push("ran past its planned end".to_string());
        }
        if o.missed_deadline {
            notes.push("missed its deadline".to_string());
        }
        if o.killed_at_deadline {
            notes.push("stopped at its deadline".to_string());
        }
        if let Some(sig) = o.interrupted {
            notes.push(format!("interrupted (signal {sig})"));
        }
        if let Some(p) = &o.problem {
            notes.push(p.clone());
        }
        let time = |t: Option<NaiveDateTime>| t.map(format_timestamp).unwrap_or("-".into());
        t.add_row(vec![
            user(&o.job_id),
            user(&o.site),
            comfy_table::Cell::new(
                o.run_id
                    .as_deref()
                    .map(sustain_meter::recording::short_id)
                    .unwrap_or("-".into()),
            ),
            comfy_table::Cell::new(o.status.map_or("not started", RunStatus::as_str)),
            right(o.exit_code.map_or("-".into(), |c| c.to_string())),
            comfy_table::Cell::new(format_timestamp(o.planned_start)),
            comfy_table::Cell::new(time(o.started)),
            comfy_table::Cell::new(time(o.ended)),
            right(format!("{:.1}", o.paused.as_secs_f64())),
            user(&notes.join("; ")),
        ]);
    }
    format!("{t}\n")
}

// ---------------------------------------------------------------------------------------------
// Checks, before anything runs

/// A job ready to run: its command, its segments with touching ones merged, its tags.
#[derive(Debug, Clone)]
struct Prepared<'p> {
    planned: &'p PlannedJob,
    command: &'p str,
    segments: Vec<Segment>,
    tags: BTreeMap<String, String>,
}

/// The tags recorded on the run of `planned` (before the options' own):
///
/// | key | value |
/// | --- | --- |
/// | `schedule.plan` | the plan id ([`LocalOptions::plan_id`]) |
/// | `schedule.policy` | the policy that made the plan |
/// | `schedule.job` | the job's id |
/// | `schedule.site` | the site the plan put it at |
/// | `schedule.start` | its planned start, `YYYY-MM-DDTHH:MM:SS` in the plan's clock |
/// | `schedule.end` | its planned end (the last segment's) |
/// | `schedule.deadline` | its deadline |
/// | `schedule.shift_min` | minutes from its submission to its planned start |
/// | `schedule.segments` | how many stretches it was planned in |
/// | `schedule.predicted_co2e_g` | carbon the plan expects, grams |
/// | `schedule.baseline_co2e_g` | carbon of running it at submit at home, grams |
pub fn tags(plan: &Plan, planned: &PlannedJob, plan_id: &str) -> BTreeMap<String, String> {
    let segments = merged(&planned.segments);
    let (start, end) = match (segments.first(), segments.last()) {
        (Some(a), Some(b)) => (a.start, b.end),
        _ => (planned.job.submit, planned.job.submit),
    };
    let shift = (start - planned.job.submit).num_seconds() as f64 / 60.0;
    let t = |t: NaiveDateTime| t.format(TAG_TIME).to_string();
    let k = |name: &str| format!("{TAG_PREFIX}{name}");
    BTreeMap::from([
        (k("plan"), plan_id.to_string()),
        (k("policy"), plan.policy.clone()),
        (k("job"), planned.job.id.clone()),
        (k("site"), planned.site.clone()),
        (k("start"), t(start)),
        (k("end"), t(end)),
        (k("deadline"), t(planned.job.deadline)),
        (k("shift_min"), trim_number(shift)),
        (k("segments"), segments.len().to_string()),
        (
            k("predicted_co2e_g"),
            format!("{:.1}", planned.predicted_co2e_g),
        ),
        (
            k("baseline_co2e_g"),
            format!("{:.1}", planned.baseline_co2e_g),
        ),
    ])
}

/// `x` with at most one decimal, without a trailing `.0`.
fn trim_number(x: f64) -> String {
    let s = format!("{x:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// Segments in order with touching or overlapping ones merged.
fn merged(segments: &[Segment]) -> Vec<Segment> {
    let mut sorted = segments.to_vec();
    sorted.sort_by_key(|s| s.start);
    let mut out: Vec<Segment> = Vec::with_capacity(sorted.len());
    for s in sorted {
        match out.last_mut() {
            Some(last) if s.start <= last.end => last.end = last.end.max(s.end),
            _ => out.push(s),
        }
    }
    out
}

/// Checks every job and the options, and orders the jobs by planned start (then as given).
fn prepare<'p>(plan: &'p Plan, options: &LocalOptions, plan_id: &str) -> Result<Vec<Prepared<'p>>> {
    if plan_id.is_empty()
        || plan_id.len() > 64
        || !plan_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(invalid(
            "plan id",
            plan_id,
            "1 to 64 letters, digits, '-', '_' or '.'",
        ));
    }
    for (k, v) in &options.tags {
        parse_tag(&format!("{k}={v}"))?;
        if k.starts_with(TAG_PREFIX) {
            return Err(invalid(
                "tag",
                format!("{k}={v}"),
                "a key not starting with `schedule.`, which the executor writes itself",
            ));
        }
    }
    let mut ids = HashSet::new();
    let mut out = Vec::with_capacity(plan.jobs.len());
    for planned in &plan.jobs {
        let job = &planned.job;
        let at = |field: &str| format!("{} (job {:?}), {field}", job.origin, job.id);
        if !ids.insert(job.id.as_str()) {
            return Err(SchedError::Inconsistent(format!(
                "{}: job id {:?} is planned twice; expected one planned job per id (each is recorded as its own run)",
                job.origin, job.id
            )));
        }
        let command = match job.command.as_deref() {
            Some(c) if !c.trim().is_empty() => c,
            other => {
                return Err(invalid(
                    at("command"),
                    other.unwrap_or(""),
                    "a command for the local executor to run with `sh -c` (the jobs file's `command` column)",
                ));
            }
        };
        if command.contains('\0') {
            return Err(invalid(
                at("command"),
                command,
                "text without NUL characters (a command line cannot hold one)",
            ));
        }
        if let Some(bad) = planned.segments.iter().find(|s| s.end <= s.start) {
            return Err(invalid(
                at("segment"),
                format!(
                    "{} to {}",
                    format_timestamp(bad.start),
                    format_timestamp(bad.end)
                ),
                "a segment that ends after it starts",
            ));
        }
        let segments = merged(&planned.segments);
        if segments.is_empty() {
            return Err(invalid(
                at("segments"),
                "none",
                "a planned job with at least one segment",
            ));
        }
        if segments.len() > 1 && !job.interruptible {
            return Err(invalid(
                at("segments"),
                segments.len(),
                "one segment: the job is not interruptible, so it cannot be stopped between segments (plan it again, or mark it interruptible)",
            ));
        }
        let mut tags = tags(plan, planned, plan_id);
        tags.extend(options.tags.clone());
        out.push(Prepared {
            planned,
            command,
            segments,
            tags,
        });
    }
    // Stable: jobs with one start keep the plan's order.
    out.sort_by_key(|p| p.segments[0].start);
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Running

/// What the dispatcher hears.
#[derive(Debug)]
enum Event {
    /// A signal to pass on (received, or raised through an [`Interrupt`]).
    Signal(i32),
    /// A job's thread has finished: its outcome.
    Done(usize, Box<LocalOutcome>),
}

/// What a job's thread hears.
#[derive(Debug)]
enum Control {
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
struct Context<'a> {
    options: &'a LocalOptions,
    plan_id: &'a str,
    clock: &'a dyn Clock,
    cpus: &'a CpuCatalog,
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
    notes: Vec<String>,
}

impl JobRun<'_, '_> {
    /// Meters the job until it exits, reaps it, and returns its outcome.
    fn supervise(
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

// ---------------------------------------------------------------------------------------------
// Processes

/// Waits for `pid` to exit without reaping it (`WNOWAIT`), so its last CPU time is still in
/// `/proc` for the final sample; returns its raw wait status.
fn wait_exit(pid: i32) -> std::io::Result<i32> {
    loop {
        // SAFETY: a zeroed siginfo_t is a valid value for waitid to fill.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: waitid writes into `info`, which lives for the call.
        let rc = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if rc == 0 {
            // SAFETY: waitid filled `info` for a child that exited (SIGCHLD fields are valid).
            let status = unsafe { info.si_status() };
            return Ok(match info.si_code {
                libc::CLD_EXITED => (status & 0xff) << 8,
                libc::CLD_DUMPED => (status & 0x7f) | 0x80,
                _ => status & 0x7f,
            });
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// Reaps `pid` (after [`wait_exit`]).
fn reap(pid: i32) {
    loop {
        let mut raw = 0;
        // SAFETY: waitpid writes the status into `raw`.
        let rc = unsafe { libc::waitpid(pid, &mut raw, 0) };
        if rc >= 0 || std::io::Error::last_os_error().kind() != ErrorKind::Interrupted {
            return;
        }
    }
}

/// Sends `sig` to the process group of `leader` (the job's first process, which leads it),
/// and to each of its descendants that left the group; returns those.
fn signal_tree(leader: i32, sig: i32) -> Vec<i32> {
    // SAFETY: kill with a negated process group id and a valid signal number.
    unsafe { libc::kill(-leader, sig) };
    let procfs = sustain_meter::procfs::Procfs::default();
    let all = procfs.all().unwrap_or_default();
    let mut outside = Vec::new();
    for p in sustain_meter::procfs::descendants(&all, leader as u32) {
        let pid = p.pid as i32;
        // SAFETY: getpgid reads another process's group id.
        let group = unsafe { libc::getpgid(pid) };
        if group >= 0 && group != leader {
            // SAFETY: kill with a live descendant's pid and a valid signal number.
            unsafe { libc::kill(pid, sig) };
            outside.push(pid);
        }
    }
    outside
}

/// Passes the signals this process receives to the dispatcher while a run lasts.
struct Forwarder {
    handle: signal_hook::iterator::Handle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Forwarder {
    fn install(tx: Sender<Event>) -> Result<Self> {
        let mut signals = signal_hook::iterator::Signals::new(FORWARDED).map_err(|e| {
            SchedError::Engine(format!(
                "cannot install the signal handlers that pass Ctrl-C on to the jobs: {e}"
            ))
        })?;
        let handle = signals.handle();
        let thread = std::thread::Builder::new()
            .name("sustain-signals".into())
            .spawn(move || {
                for sig in signals.forever() {
                    let _ = tx.send(Event::Signal(sig));
                }
            })
            .map_err(|e| {
                SchedError::Engine(format!(
                    "cannot start the thread that passes signals on: {e}"
                ))
            })?;
        Ok(Self {
            handle,
            thread: Some(thread),
        })
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.handle.close();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::testing::{at, plan_of, planned};

    #[test]
    fn touching_segments_merge_and_a_split_job_must_be_interruptible() {
        let mut a = planned("a", "gb", at("2026-03-02 09:00"), 120.0);
        a.segments = vec![
            Segment {
                start: at("2026-03-02 10:00"),
                end: at("2026-03-02 11:00"),
            },
            Segment {
                start: at("2026-03-02 09:00"),
                end: at("2026-03-02 10:00"),
            },
        ];
        let plan = plan_of(vec![a.clone()]);
        let p = prepare(&plan, &LocalOptions::default(), "p").unwrap();
        assert_eq!(p[0].segments.len(), 1);
        assert_eq!(p[0].tags["schedule.segments"], "1");

        a.segments[0].start = at("2026-03-02 13:00");
        a.segments[0].end = at("2026-03-02 14:00");
        let plan = plan_of(vec![a.clone()]);
        let e = prepare(&plan, &LocalOptions::default(), "p").unwrap_err();
        let m = e.to_string();
        assert!(
            e.is_bad_input() && m.contains("\"a\"") && m.contains("interruptible"),
            "{m}"
        );
        a.job.interruptible = true;
        let plan = plan_of(vec![a]);
        let p = prepare(&plan, &LocalOptions::default(), "p").unwrap();
        assert_eq!(p[0].segments.len(), 2);
    }

    #[test]
    fn tags_carry_the_plan_and_every_key_is_a_tag_key() {
        let mut a = planned("job a/1", "gb", at("2026-03-02 09:30"), 90.0);
        a.job.submit = at("2026-03-02 08:00");
        let plan = plan_of(vec![a.clone()]);
        let t = tags(&plan, &a, "plan-1");
        assert_eq!(t["schedule.plan"], "plan-1");
        assert_eq!(t["schedule.policy"], "carbon");
        assert_eq!(t["schedule.job"], "job a/1");
        assert_eq!(t["schedule.site"], "gb");
        assert_eq!(t["schedule.start"], "2026-03-02T09:30:00");
        assert_eq!(t["schedule.end"], "2026-03-02T11:00:00");
        assert_eq!(t["schedule.shift_min"], "90");
        assert_eq!(t["schedule.predicted_co2e_g"], "100.0");
        for (k, v) in &t {
            parse_tag(&format!("{k}={v}")).unwrap();
        }
    }

    #[test]
    fn bad_input_is_refused_naming_the_job() {
        let mut a = planned("a", "gb", at("2026-03-02 09:00"), 30.0);
        a.job.command = Some("  ".into());
        let e = prepare(&plan_of(vec![a]), &LocalOptions::default(), "p").unwrap_err();
        let m = e.to_string();
        assert!(
            e.is_bad_input() && m.contains("\"a\"") && m.contains("command"),
            "{m}"
        );

        let b = planned("b", "gb", at("2026-03-02 09:00"), 30.0);
        let e = prepare(&plan_of(vec![b.clone(), b]), &LocalOptions::default(), "p").unwrap_err();
        assert!(e.to_string().contains("planned twice"), "{e}");

        let c = planned("c", "gb", at("2026-03-02 09:00"), 30.0);
        let opts = LocalOptions {
            tags: [("schedule.job".to_string(), "x".to_string())].into(),
            ..LocalOptions::default()
        };
        let e = prepare(&plan_of(vec![c.clone()]), &opts, "p").unwrap_err();
        assert!(e.to_string().contains("schedule."), "{e}");
        let e = prepare(&plan_of(vec![c]), &LocalOptions::default(), "a b").unwrap_err();
        assert!(e.to_string().contains("plan id"), "{e}");
    }

    #[test]
    fn the_exit_code_says_whether_every_job_succeeded() {
        let p = planned("a", "gb", at("2026-03-02 09:00"), 30.0);
        let plan = plan_of(vec![p]);
        let prepared = prepare(&plan, &LocalOptions::default(), "p").unwrap();
        let mut ok = not_started(&prepared[0], "", None);
        ok.problem = None;
        ok.status = Some(RunStatus::Succeeded);
        ok.exit_code = Some(0);
        assert_eq!(exit_code(std::slice::from_ref(&ok)), 0);
        let mut failed = ok.clone();
        failed.status = Some(RunStatus::Failed);
        failed.exit_code = Some(3);
        assert_eq!(exit_code(&[ok.clone(), failed]), 1);
        let mut stopped = ok.clone();
        stopped.interrupted = Some(libc::SIGINT);
        assert_eq!(exit_code(&[ok, stopped]), 130);
    }

    #[test]
    fn a_scaled_clock_runs_faster_and_refuses_a_bad_speed() {
        let c = ScaledClock::new(at("2026-03-02 09:00"), 600.0).unwrap();
        let t = at("2026-03-02 09:01");
        let d = c.real_until(t);
        assert!(
            d <= Duration::from_millis(100) && d > Duration::from_millis(50),
            "{d:?}"
        );
        c.sleep_until(t);
        assert!(c.now() >= t);
        assert!(ScaledClock::new(at("2026-03-02 09:00"), 0.0).is_err());
        let s = SystemClock::utc();
        assert!((s.now() - Utc::now().naive_utc()).num_seconds().abs() < 2);
        let paris = SystemClock::at_offset(FixedOffset::east_opt(3600).unwrap());
        assert_eq!((paris.now() - s.now()).num_minutes(), 60);
    }
}
