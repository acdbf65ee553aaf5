//! A metered run from start to end, written to a [`RunSink`] as it happens: the start before the
//! work starts (so every run is on record whatever happens next), samples every interval (so a
//! killed meter leaves a recoverable, `incomplete` run), and the end with its figures.
//!
//! Three kinds of work are metered, through one sampling loop ([`sample_until`]):
//! - a command Sustain wraps (`sustain run`): [`Recording::supervise`] in `supervise.rs`;
//! - a command the caller spawns, controls and waits for itself (the local executor of
//!   `sustain-sched`, several at once): [`Recording::attach`] and [`Recording::watch`] in
//!   `supervise.rs`, with [`TreeRoot::Attached`];
//! - Sustain's own work (training, evaluation, prediction): [`Recording::in_background`]
//!   samples on a thread while the caller works, and [`Background::finish`] records the end.

use std::collections::BTreeMap;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::Utc;
use sustain_core::embodied::HostEmbodied;
use sustain_core::run::{
    EnergyBreakdown, HostInfo, RunEnd, RunKind, RunStart, RunStatus, RunView, Sample, end_figures,
};
use sustain_core::sink::RunSink;
use sustain_core::site::Site;
use sustain_core::units::{Energy, HourlyRate};
use tracing::warn;

use crate::error::{MeterError, Result};
use crate::host::self_identity;
use crate::procfs::Procfs;
use crate::sampler::{MeterConfig, Sampler, TreeRoot, Usage};

/// Where and how runs are metered: the settings in effect, copied into each run's start.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The site the run draws power at (its factors are snapshotted into the start).
    pub site: Site,
    /// The host's embodied-carbon figures.
    pub host_embodied: HostEmbodied,
    /// Hardware-hour rate, when configured.
    pub hourly_rate: Option<HourlyRate>,
    /// Sampling interval.
    pub interval: Duration,
    /// Sensor settings.
    pub meter: MeterConfig,
}

/// What is being run: the parts of the start record that the caller knows.
#[derive(Debug, Clone)]
pub struct RunSpec {
    /// Kind of workload.
    pub kind: RunKind,
    /// Name of the run.
    pub name: String,
    /// The command line.
    pub command: Vec<String>,
    /// Tags. In Sustain's own work a value may contain `{run}`, replaced by the first 8
    /// characters of the run's id (a model directory named after its run).
    pub tags: BTreeMap<String, String>,
}

/// The first 8 characters of a run id, as used in default paths and `{run}` tags.
pub fn short_id(id: &str) -> String {
    id.chars().take(8).collect()
}

/// The start record of a run about to be metered by `sampler`.
pub fn run_start(setup: &Setup, sampler: &Sampler, spec: RunSpec) -> RunStart {
    let [cpu, gpu, ram] = sampler.methods();
    RunStart {
        id: sustain_core::run::new_run_id(),
        name: spec.name,
        kind: spec.kind,
        command: spec.command,
        started_at: Utc::now(),
        site: setup.site.record.clone(),
        host: HostInfo {
            embodied: Some(setup.host_embodied.clone()),
            ..sampler.host().clone()
        },
        meter: self_identity(&Procfs::default()),
        interval: setup.interval,
        methods: BTreeMap::from([
            ("cpu".to_string(), cpu),
            ("gpu".to_string(), gpu),
            ("ram".to_string(), ram),
        ]),
        tags: spec.tags,
        hourly_rate: setup
            .hourly_rate
            .as_ref()
            .map(|r| (r.amount_per_hour(), r.currency().code().to_string())),
    }
}

/// Samples every `interval` (the first one sooner, so short work is seen) until `rx` delivers a
/// message, which is returned, or its sender is gone (`None`). Each sample goes to `on_sample`.
/// The one sampling loop of wrapped commands and of Sustain's own work.
pub fn sample_until<T>(
    sampler: &mut Sampler,
    interval: Duration,
    rx: &Receiver<T>,
    mut on_sample: impl FnMut(Sample),
) -> Option<T> {
    let mut next = Instant::now() + interval.min(Duration::from_millis(100));
    loop {
        match rx.recv_timeout(next.saturating_duration_since(Instant::now())) {
            Ok(message) => return Some(message),
            Err(RecvTimeoutError::Disconnected) => return None,
            Err(RecvTimeoutError::Timeout) => {
                on_sample(sampler.sample());
                next += interval;
                let now = Instant::now();
                if next < now {
                    next = now + interval;
                }
            }
        }
    }
}

/// Energy and samples accumulated over a run, and samples not yet written (retried with the
/// next ones, so a briefly locked ledger loses nothing).
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub(crate) energy: EnergyBreakdown,
    pending: Vec<Sample>,
    pub(crate) written: u64,
    warned: bool,
}

impl Tally {
    /// Adds a sample and writes what is pending.
    pub(crate) fn add(&mut self, sample: Sample, sink: &dyn RunSink, run_id: &str) {
        self.energy.accumulate(&sample.energy);
        self.pending.push(sample);
        match sink.append_samples(run_id, &self.pending) {
            Ok(()) => {
                self.written += self.pending.len() as u64;
                self.pending.clear();
            }
            Err(e) if !self.warned => {
                warn!("cannot write samples to the ledger ({e}); will retry");
                self.warned = true;
            }
            Err(_) => {}
        }
    }

    /// A note when samples could not be written (the totals include them).
    pub(crate) fn note(&self) -> Option<String> {
        (!self.pending.is_empty()).then(|| {
            format!(
                "{} samples could not be written to the ledger; totals include them",
                self.pending.len()
            )
        })
    }
}

/// How a run ended, as the meter saw it.
#[derive(Debug, Clone)]
pub struct Ending {
    /// Status.
    pub status: RunStatus,
    /// Exit code.
    pub exit_code: Option<i32>,
    /// Signal that ended it.
    pub signal: Option<i32>,
    /// Wall-clock time.
    pub duration: Duration,
    /// Notes.
    pub notes: Vec<String>,
    /// What the run produced (a JSON object).
    pub outcomes: serde_json::Value,
}

/// A run whose start is recorded and whose sampler is running.
pub struct Recording<S: RunSink> {
    pub(crate) setup: Setup,
    pub(crate) start: RunStart,
    pub(crate) sampler: Sampler,
    pub(crate) sink: S,
}

impl<S: RunSink> Recording<S> {
    /// Starts the sensors on `root`, builds the start record of `spec` and writes it to `sink`.
    /// Nothing has run when this fails.
    pub fn begin(
        setup: Setup,
        root: TreeRoot,
        cpus: &sustain_core::hardware::CpuCatalog,
        spec: RunSpec,
        sink: S,
    ) -> Result<Self> {
        let sampler = Sampler::start(&setup.meter, root, cpus)?;
        let mut start = run_start(&setup, &sampler, spec);
        if root == TreeRoot::SelfAndChildren {
            let short = short_id(&start.id);
            for v in start.tags.values_mut() {
                if v.contains("{run}") {
                    *v = v.replace("{run}", &short);
                }
            }
        }
        sink.start_run(&start).map_err(|source| MeterError::Sink {
            what: "recording the start of the run",
            source,
        })?;
        Ok(Self {
            setup,
            start,
            sampler,
            sink,
        })
    }

    /// The start record.
    pub fn start(&self) -> &RunStart {
        &self.start
    }
}

/// The end record of `start` from what was metered, with its figures (`end_figures`).
pub(crate) fn end_record(
    setup: &Setup,
    start: &RunStart,
    energy: EnergyBreakdown,
    usage: Usage,
    mut ending: Ending,
) -> RunEnd {
    let (impacts, embodied) = end_figures(
        &start.host,
        &energy,
        (ending.duration, usage.cpu_time),
        &setup.site,
        setup.hourly_rate.as_ref(),
        &mut ending.notes,
    );
    RunEnd {
        run_id: start.id.clone(),
        ended_at: Utc::now(),
        status: ending.status,
        exit_code: ending.exit_code,
        signal: ending.signal,
        duration: ending.duration,
        cpu_time: usage.cpu_time,
        peak_rss_bytes: usage.peak_rss_bytes,
        energy,
        impacts,
        embodied,
        notes: ending.notes,
        outcomes: ending.outcomes,
    }
}

/// What the sampling thread hands back.
struct Sampled<S> {
    tally: Tally,
    usage: Usage,
    notes: Vec<String>,
    sink: S,
}

/// What the caller tells the sampling thread.
enum Control {
    /// Record an end now, with these outcomes, and go on sampling.
    Checkpoint {
        outcomes: serde_json::Value,
        duration: Duration,
    },
    /// Stop sampling.
    Stop,
}

/// The note of a checkpoint end.
pub const CHECKPOINT_NOTE: &str = "checkpoint: the run was still going when this end was recorded; a later end supersedes it, and if none follows the process stopped after it (figures up to here)";

/// Sustain's own work, metered on a background thread while the caller works.
pub struct Background<S: RunSink> {
    setup: Setup,
    start: RunStart,
    stop: mpsc::Sender<Control>,
    handle: JoinHandle<Sampled<S>>,
    so_far: Arc<Mutex<Energy>>,
    t0: Instant,
}

impl<S: RunSink + Send + 'static> Recording<S> {
    /// Samples on a thread (with the sink moved there) until [`Background::finish`].
    pub fn in_background(self) -> Result<Background<S>> {
        let Recording {
            setup,
            start,
            mut sampler,
            sink,
        } = self;
        let so_far = Arc::new(Mutex::new(Energy::ZERO));
        let (stop, rx) = mpsc::channel::<Control>();
        let (id, interval, shared) = (start.id.clone(), setup.interval, Arc::clone(&so_far));
        let (setup_t, start_t) = (setup.clone(), start.clone());
        let handle = std::thread::Builder::new()
            .name("sustain-meter".into())
            .spawn(move || {
                let mut tally = Tally::default();
                let mut notes = Vec::new();
                let record = |s: Sample, tally: &mut Tally| {
                    tally.add(s, &sink, &id);
                    if let Ok(mut e) = shared.lock() {
                        *e = tally.energy.total();
                    }
                };
                while let Some(Control::Checkpoint { outcomes, duration }) =
                    sample_until(&mut sampler, interval, &rx, |s| record(s, &mut tally))
                {
                    record(sampler.sample(), &mut tally);
                    let end = end_record(
                        &setup_t,
                        &start_t,
                        tally.energy.clone(),
                        sampler.usage(),
                        Ending {
                            status: RunStatus::Incomplete,
                            exit_code: None,
                            signal: None,
                            duration,
                            notes: vec![CHECKPOINT_NOTE.to_string()],
                            outcomes,
                        },
                    );
                    if let Err(e) = sink.finish_run(&end) {
                        notes.push(format!("a checkpoint could not be recorded: {e}"));
                    }
                }
                record(sampler.sample(), &mut tally);
                notes.extend(sampler.notes().iter().cloned());
                Sampled {
                    tally,
                    usage: sampler.usage(),
                    notes,
                    sink,
                }
            })
            .map_err(|source| MeterError::System {
                what: "starting the meter thread",
                source,
            })?;
        Ok(Background {
            setup,
            start,
            stop,
            handle,
            so_far,
            t0: Instant::now(),
        })
    }
}

impl<S: RunSink> Background<S> {
    /// The run's id.
    pub fn id(&self) -> &str {
        &self.start.id
    }

    /// Records an end now (status `incomplete`, the figures so far, `outcomes`) and goes on:
    /// a long-running service checkpoints so that a crash loses at most the time since the last
    /// one. The final end supersedes every checkpoint (readers take a run's latest end). A
    /// checkpoint that cannot be written is noted in the final end.
    pub fn checkpoint(&self, outcomes: serde_json::Value) {
        let _ = self.stop.send(Control::Checkpoint {
            outcomes,
            duration: self.t0.elapsed(),
        });
    }

    /// IT energy measured so far.
    pub fn energy_so_far(&self) -> Energy {
        self.so_far.lock().map(|e| *e).unwrap_or(Energy::ZERO)
    }

    /// Stops sampling and records the end: `status` with exit code 0 when it succeeded, else 1.
    pub fn finish(
        self,
        status: RunStatus,
        notes: Vec<String>,
        outcomes: serde_json::Value,
    ) -> Result<RunView> {
        self.finish_with(status, notes, |_| outcomes)
    }

    /// [`Background::finish`] with outcomes computed from the run's final IT energy (a figure
    /// per unit of work that the record must agree with).
    pub fn finish_with(
        self,
        status: RunStatus,
        mut notes: Vec<String>,
        outcomes: impl FnOnce(Energy) -> serde_json::Value,
    ) -> Result<RunView> {
        let duration = self.t0.elapsed();
        let _ = self.stop.send(Control::Stop);
        let sampled = self
            .handle
            .join()
            .map_err(|_| MeterError::Thread("the meter thread failed".into()))?;
        notes.extend(sampled.notes);
        notes.extend(sampled.tally.note());
        let outcomes = outcomes(sampled.tally.energy.total());
        let end = end_record(
            &self.setup,
            &self.start,
            sampled.tally.energy.clone(),
            sampled.usage,
            Ending {
                status,
                exit_code: Some(if status == RunStatus::Succeeded { 0 } else { 1 }),
                signal: None,
                duration,
                notes,
                outcomes,
            },
        );
        sampled
            .sink
            .finish_run(&end)
            .map_err(|source| MeterError::Sink {
                what: "recording the end of the run",
                source,
            })?;
        Ok(RunView {
            start: self.start,
            end: Some(end),
            samples: sampled.tally.written,
        })
    }
}
