//! The records of a run: what was executed, where, how it ended, and the energy it used by
//! component with the source of each figure.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::embodied::Embodied;
use crate::error::CoreError;
pub use crate::host::HostInfo;
use crate::impacts::Impacts;
use crate::site::SiteRecord;
use crate::units::Energy;

/// A new run id: a UUIDv7, whose first 48 bits are the creation time in milliseconds, so ids
/// sort by start time (and ids made in the same millisecond by one process still sort in the
/// order they were made). Every run Sustain starts gets its id here.
pub fn new_run_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// What kind of workload a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    /// An external command wrapped by `sustain run`.
    Command,
    /// A training run.
    Train,
    /// An evaluation.
    Eval,
    /// Inference on given inputs.
    Infer,
    /// A serving session.
    Serve,
    /// A data job.
    Data,
    /// A scheduled job.
    #[cfg_attr(feature = "clap", value(skip))]
    Schedule,
}

impl RunKind {
    /// The stable lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::Command => "command",
            RunKind::Train => "train",
            RunKind::Eval => "eval",
            RunKind::Infer => "infer",
            RunKind::Serve => "serve",
            RunKind::Data => "data",
            RunKind::Schedule => "schedule",
        }
    }
}

impl FromStr for RunKind {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        Ok(match s {
            "command" => RunKind::Command,
            "train" => RunKind::Train,
            "eval" => RunKind::Eval,
            "infer" => RunKind::Infer,
            "serve" => RunKind::Serve,
            "data" => RunKind::Data,
            "schedule" => RunKind::Schedule,
            other => {
                return Err(CoreError::InvalidValue {
                    what: "run kind".into(),
                    value: other.into(),
                    expected: "one of command, train, eval, infer, serve, data, schedule".into(),
                });
            }
        })
    }
}

/// How a run ended (or that it has not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(
    feature = "clap",
    derive(clap::ValueEnum),
    value(rename_all = "snake_case")
)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Still running: its meter is alive.
    Running,
    /// Exited with status 0.
    Succeeded,
    /// Exited with a non-zero status.
    Failed,
    /// Ended by a signal.
    Killed,
    /// The command could not be started (not found, not executable).
    FailedToStart,
    /// The meter stopped without recording an end (it was killed, or the machine went down);
    /// the energy is what the samples recorded up to then.
    Incomplete,
}

impl RunStatus {
    /// The stable lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Killed => "killed",
            RunStatus::FailedToStart => "failed_to_start",
            RunStatus::Incomplete => "incomplete",
        }
    }
}

impl FromStr for RunStatus {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        Ok(match s {
            "running" => RunStatus::Running,
            "succeeded" => RunStatus::Succeeded,
            "failed" => RunStatus::Failed,
            "killed" => RunStatus::Killed,
            "failed_to_start" => RunStatus::FailedToStart,
            "incomplete" => RunStatus::Incomplete,
            other => {
                return Err(CoreError::InvalidValue {
                    what: "run status".into(),
                    value: other.into(),
                    expected:
                        "one of running, succeeded, failed, killed, failed_to_start, incomplete"
                            .into(),
                });
            }
        })
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an energy figure comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EnergySource {
    /// A hardware energy counter (RAPL, NVML).
    Measured,
    /// A documented model (CPU time x TDP model, RSS x memory power).
    Modelled,
    /// No such component (no GPU).
    #[default]
    None,
}

impl EnergySource {
    /// The stable lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            EnergySource::Measured => "measured",
            EnergySource::Modelled => "modelled",
            EnergySource::None => "none",
        }
    }

    /// Combines the sources of two readings of the same component: modelled wins over
    /// measured (a figure that is partly modelled is modelled), anything wins over none.
    pub fn combine(self, other: EnergySource) -> EnergySource {
        use EnergySource::*;
        match (self, other) {
            (Modelled, _) | (_, Modelled) => Modelled,
            (Measured, _) | (_, Measured) => Measured,
            (None, None) => None,
        }
    }
}

impl FromStr for EnergySource {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        Ok(match s {
            "measured" => EnergySource::Measured,
            "modelled" => EnergySource::Modelled,
            "none" => EnergySource::None,
            other => {
                return Err(CoreError::InvalidValue {
                    what: "energy source".into(),
                    value: other.into(),
                    expected: "measured, modelled or none".into(),
                });
            }
        })
    }
}

/// The energy of one component (CPU, GPU, RAM) attributed to a run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ComponentEnergy {
    /// Energy attributed to the run.
    pub energy: Energy,
    /// Measured, modelled, or none.
    pub source: EnergySource,
    /// True when a device-level measurement was split between this run and other processes.
    pub apportioned: bool,
    /// How it was obtained, e.g. `RAPL package-0` or `TDP model: AMD EPYC 7B12, 240 W`.
    pub method: String,
}

impl ComponentEnergy {
    /// Adds a later reading of the same component.
    pub fn accumulate(&mut self, other: &ComponentEnergy) {
        self.energy += other.energy;
        self.source = self.source.combine(other.source);
        self.apportioned |= other.apportioned;
        if self.method.is_empty() {
            self.method = other.method.clone();
        }
    }
}

/// Energy by component.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EnergyBreakdown {
    /// Processor packages.
    pub cpu: ComponentEnergy,
    /// Accelerators.
    pub gpu: ComponentEnergy,
    /// Memory.
    pub ram: ComponentEnergy,
}

impl EnergyBreakdown {
    /// IT energy: the sum of the components.
    pub fn total(&self) -> Energy {
        self.cpu.energy + self.gpu.energy + self.ram.energy
    }

    /// Adds a later reading.
    pub fn accumulate(&mut self, other: &EnergyBreakdown) {
        self.cpu.accumulate(&other.cpu);
        self.gpu.accumulate(&other.gpu);
        self.ram.accumulate(&other.ram);
    }

    /// The components whose figures are modelled rather than measured.
    pub fn modelled_components(&self) -> Vec<&'static str> {
        [("cpu", &self.cpu), ("gpu", &self.gpu), ("ram", &self.ram)]
            .into_iter()
            .filter(|(_, c)| c.source == EnergySource::Modelled)
            .map(|(n, _)| n)
            .collect()
    }
}

/// Everything known when a run starts. Written once, never changed.
#[derive(Debug, Clone, PartialEq)]
pub struct RunStart {
    /// Unique id (UUIDv7 from [`new_run_id`]: sorts by start time).
    pub id: String,
    /// A user-given name (defaults to the program name).
    pub name: String,
    /// What kind of workload.
    pub kind: RunKind,
    /// The command line.
    pub command: Vec<String>,
    /// Start time.
    pub started_at: DateTime<Utc>,
    /// The site's record as it was at the start (impacts are computed with this snapshot, so
    /// later changes to the catalog or config never rewrite history).
    pub site: SiteRecord,
    /// The machine.
    pub host: HostInfo,
    /// The meter process, to tell a live run from one whose meter died.
    pub meter: MeterIdentity,
    /// Sampling interval.
    pub interval: Duration,
    /// How each component's energy is obtained (`cpu`, `gpu`, `ram`), as the meter saw it at
    /// the start.
    pub methods: BTreeMap<String, String>,
    /// User tags.
    pub tags: BTreeMap<String, String>,
    /// Hardware-hour rate applied to the run's cost, when configured: amount per hour.
    pub hourly_rate: Option<(f64, String)>,
}

/// Identifies the process metering a run, across reboots and pid reuse.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MeterIdentity {
    /// Host name.
    pub hostname: String,
    /// The kernel's boot id (`/proc/sys/kernel/random/boot_id`), empty when unknown.
    pub boot_id: String,
    /// Process id of the meter.
    pub pid: u32,
    /// Start time of that process in clock ticks since boot (field 22 of `/proc/PID/stat`).
    pub start_ticks: u64,
}

/// One sampling interval of a run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sample {
    /// Sequence number within the run, from 0.
    pub seq: u32,
    /// Time at the end of the interval.
    pub at: DateTime<Utc>,
    /// Length of the interval.
    pub interval: Duration,
    /// Energy attributed in the interval.
    pub energy: EnergyBreakdown,
    /// CPU time of the process tree in the interval.
    pub cpu_time: Duration,
    /// Resident memory of the process tree at the end of the interval, bytes.
    pub rss_bytes: u64,
}

/// How a run ended. One per run normally; a later one supersedes an earlier one (a correction).
#[derive(Debug, Clone, PartialEq)]
pub struct RunEnd {
    /// The run.
    pub run_id: String,
    /// When the command ended.
    pub ended_at: DateTime<Utc>,
    /// How it ended.
    pub status: RunStatus,
    /// Exit code as `sustain run` reports it (128+signal for a signal, 127 when it could not
    /// start).
    pub exit_code: Option<i32>,
    /// Signal number when killed by one.
    pub signal: Option<i32>,
    /// Wall-clock duration.
    pub duration: Duration,
    /// CPU time of the whole process tree.
    pub cpu_time: Duration,
    /// Peak resident memory of the process tree, bytes.
    pub peak_rss_bytes: u64,
    /// Energy by component.
    pub energy: EnergyBreakdown,
    /// Impacts computed from the energy and the site snapshot.
    pub impacts: Impacts,
    /// Embodied carbon allocated to the run (none when its host figures are unknown).
    pub embodied: Option<Embodied>,
    /// Free-text notes (why a run is incomplete, why a figure is missing).
    pub notes: Vec<String>,
    /// What the run produced, as a JSON object: metrics, model path, dataset hash, throughput.
    /// Empty for external commands.
    pub outcomes: serde_json::Value,
}

/// The figures of a run's end from what was metered: the impacts of its energy at `site` (with
/// the hardware-hour cost at `rate`) and the embodied carbon from its host's figures. Every path
/// that ends a run (a local run, Sustain's own work, a recovered run, a pushed run) calls this,
/// so the figures agree whoever records them.
pub fn end_figures(
    host: &HostInfo,
    energy: &EnergyBreakdown,
    (duration, cpu_time): (Duration, Duration),
    site: &crate::site::Site,
    rate: Option<&crate::units::HourlyRate>,
    notes: &mut Vec<String>,
) -> (Impacts, Option<Embodied>) {
    let impacts = Impacts::for_run(energy.total(), duration, site, rate, notes);
    let embodied = crate::embodied::for_run(
        host.machine(),
        duration,
        cpu_time,
        energy.gpu.energy.joules() > 0.0,
        notes,
    );
    (impacts, embodied)
}

/// A run as reports see it: its start and its latest end, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct RunView {
    /// What was started.
    pub start: RunStart,
    /// How it ended, if it has.
    pub end: Option<RunEnd>,
    /// Number of samples recorded.
    pub samples: u64,
}

impl RunView {
    /// Current status: the end's, or running.
    pub fn status(&self) -> RunStatus {
        self.end.as_ref().map_or(RunStatus::Running, |e| e.status)
    }
}

/// Parses a `KEY=VALUE` tag, naming the form expected on error.
pub fn parse_tag(s: &str) -> Result<(String, String), CoreError> {
    let bad = || {
        CoreError::InvalidValue {
        what: "tag".into(),
        value: s.into(),
        expected: "KEY=VALUE with a non-empty key of letters, digits, '-', '_', '.' or '/', such as team=vision".into(),
    }
    };
    let (k, v) = s.split_once('=').ok_or_else(bad)?;
    let k = k.trim();
    if k.is_empty()
        || !k
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
    {
        return Err(bad());
    }
    Ok((k.to_string(), v.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_parse_and_reject_bad_forms() {
        assert_eq!(
            parse_tag("team=vision").unwrap(),
            ("team".into(), "vision".into())
        );
        assert_eq!(parse_tag("a=").unwrap(), ("a".into(), "".into()));
        assert_eq!(parse_tag("k=a=b").unwrap(), ("k".into(), "a=b".into()));
        for bad in ["novalue", "=x", "sp ace=1", ""] {
            let err = parse_tag(bad).unwrap_err().to_string();
            assert!(err.contains("KEY=VALUE"), "{bad}: {err}");
        }
    }

    #[test]
    fn status_and_kind_round_trip() {
        for s in [
            RunStatus::Running,
            RunStatus::Succeeded,
            RunStatus::Failed,
            RunStatus::Killed,
            RunStatus::FailedToStart,
            RunStatus::Incomplete,
        ] {
            assert_eq!(s.as_str().parse::<RunStatus>().unwrap(), s);
        }
        assert_eq!("train".parse::<RunKind>().unwrap(), RunKind::Train);
        assert!("bogus".parse::<RunKind>().is_err());
    }

    #[test]
    fn run_ids_made_in_sequence_sort_in_time_order() {
        let ids: Vec<String> = (0..2000).map(|_| new_run_id()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        let u = uuid::Uuid::parse_str(&ids[0]).unwrap();
        assert_eq!(u.get_version_num(), 7);
        assert!(
            ids.iter()
                .all(|id| crate::run_checks::check_run_id("id", id).is_ok())
        );
        // The timestamp in the id is the creation time.
        let (secs, _) = u.get_timestamp().unwrap().to_unix();
        assert!((secs as i64 - Utc::now().timestamp()).abs() < 60);
    }

    #[test]
    fn sources_combine_conservatively() {
        use EnergySource::*;
        assert_eq!(Measured.combine(Modelled), Modelled);
        assert_eq!(None.combine(Measured), Measured);
        assert_eq!(None.combine(None), None);
    }

    #[test]
    fn breakdown_accumulates_and_lists_modelled_parts() {
        let mut total = EnergyBreakdown::default();
        let step = EnergyBreakdown {
            cpu: ComponentEnergy {
                energy: Energy::from_joules(10.0),
                source: EnergySource::Measured,
                apportioned: false,
                method: "RAPL".into(),
            },
            gpu: ComponentEnergy::default(),
            ram: ComponentEnergy {
                energy: Energy::from_joules(1.0),
                source: EnergySource::Modelled,
                apportioned: false,
                method: "RSS model".into(),
            },
        };
        total.accumulate(&step);
        total.accumulate(&step);
        assert_eq!(total.total().joules(), 22.0);
        assert_eq!(total.modelled_components(), vec!["ram"]);
        assert_eq!(total.gpu.source, EnergySource::None);
    }
}
