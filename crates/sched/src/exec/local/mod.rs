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
//!    ([`TreeRoot::Attached`](sustain_meter::TreeRoot::Attached)) on a thread of its own:
//!    jobs whose slots overlap run side by side, each with its own meter;
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
//! once seen (see `sustain_meter::TreeRoot::Attached`); stopping and resuming reach the job's
//! process group, which orphans keep unless they start a session of their own, and the
//! descendants of its first process.
//!
//! The parts: the [`Clock`], the caller's [`Recorder`], [`LocalOptions`], the checks made
//! before anything runs (`prepare`), the dispatcher that waits for each moment of the plan
//! (`dispatch`), a running job's thread (`job`), and the process calls (`process`).

mod clock;
mod dispatch;
mod job;
mod options;
mod outcome;
mod prepare;
mod process;
mod recorder;

use std::time::Duration;

pub use clock::{Clock, ScaledClock, SystemClock};
pub use dispatch::run;
pub use options::{Interrupt, LocalOptions};
pub use outcome::{LocalOutcome, exit_code, render};
pub use prepare::tags;
pub use recorder::{Recorder, SettingsRecorder};

/// The time form of the tags and the outcomes' JSON: ISO 8601 without a zone (the plan's
/// clock), sortable as text.
const TAG_TIME: &str = "%Y-%m-%dT%H:%M:%S";

/// The longest wait between two looks at the clock: a system clock stepped forward (NTP, a
/// suspended laptop) is noticed within it.
const MAX_WAIT: Duration = Duration::from_secs(10);

/// The tag keys the executor writes (every one starts with `schedule.`).
pub const TAG_PREFIX: &str = "schedule.";
