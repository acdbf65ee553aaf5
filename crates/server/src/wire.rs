//! The JSON form of a finished run that `sustain run --remote` pushes to `POST /api/v1/runs`:
//! its start, its samples and its end, with units in the field names. The server checks every
//! field, recomputes the impacts from the energy and the site snapshot of the start (so the
//! ledger's figures always come from one implementation of the formulas), and records the run
//! through the `Ledger` trait like a local `sustain run` does.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sustain_core::CoreError;
use sustain_core::bounds::{self, Bound};
use sustain_core::run::{
    ComponentEnergy, EnergyBreakdown, EnergySource, HostInfo, MeterIdentity, RunEnd, RunKind,
    RunStart, RunStatus, Sample, end_figures,
};
use sustain_core::site::{Site, SiteRecord};
use sustain_core::units::{Currency, Energy, HourlyRate};

use crate::error::ApiError;

/// Samples in one push at most (a day at one per second is 86,400).
pub const MAX_SAMPLES: usize = 200_000;

/// A finished run: start, samples, end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunUpload {
    /// What was started.
    pub start: WireStart,
    /// Its samples, in order.
    #[serde(default)]
    pub samples: Vec<WireSample>,
    /// How it ended.
    pub end: WireEnd,
}

/// The start of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WireStart {
    /// Unique id: 1 to 64 letters, digits and `-`.
    pub id: String,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: RunKind,
    /// Command line.
    pub command: Vec<String>,
    /// Start time.
    pub started_at: DateTime<Utc>,
    /// The site's factors as they were at the start.
    pub site: SiteRecord,
    /// The machine.
    pub host: HostInfo,
    /// The meter process.
    pub meter: MeterIdentity,
    /// Sampling interval, s.
    pub interval_s: f64,
    /// How each component's energy is obtained.
    #[serde(default)]
    pub methods: BTreeMap<String, String>,
    /// Tags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Hardware-hour rate: amount per hour and currency.
    #[serde(default)]
    pub hourly_rate: Option<(f64, String)>,
}

/// Energy of one component.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WireComponent {
    /// Energy, J.
    pub energy_j: f64,
    /// Measured, modelled or none.
    pub source: EnergySource,
    /// Split between this run and other processes.
    #[serde(default)]
    pub apportioned: bool,
    /// How it was obtained.
    #[serde(default)]
    pub method: String,
}

/// Energy by component.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WireEnergy {
    /// CPU.
    pub cpu: WireComponent,
    /// GPU.
    pub gpu: WireComponent,
    /// Memory.
    pub ram: WireComponent,
}

/// One sampling interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WireSample {
    /// Sequence number, from 0.
    pub seq: u32,
    /// End of the interval.
    pub at: DateTime<Utc>,
    /// Length of the interval, s.
    pub interval_s: f64,
    /// Energy in the interval.
    pub energy: WireEnergy,
    /// CPU time in the interval, s.
    pub cpu_s: f64,
    /// Resident memory at the end, bytes.
    pub rss_bytes: u64,
}

/// The end of a run. Impacts are not sent: the server computes them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WireEnd {
    /// When it ended.
    pub ended_at: DateTime<Utc>,
    /// How (not `running`).
    pub status: RunStatus,
    /// Exit code.
    pub exit_code: Option<i32>,
    /// Signal.
    pub signal: Option<i32>,
    /// Wall-clock duration, s.
    pub duration_s: f64,
    /// CPU time, s.
    pub cpu_s: f64,
    /// Peak resident memory, bytes.
    pub peak_rss_bytes: u64,
    /// Energy by component.
    pub energy: WireEnergy,
    /// Notes.
    #[serde(default)]
    pub notes: Vec<String>,
    /// Outcomes (a JSON object).
    #[serde(default = "empty_object")]
    pub outcomes: serde_json::Value,
}

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(Default::default())
}

impl From<&ComponentEnergy> for WireComponent {
    fn from(c: &ComponentEnergy) -> Self {
        WireComponent {
            energy_j: c.energy.joules(),
            source: c.source,
            apportioned: c.apportioned,
            method: c.method.clone(),
        }
    }
}

impl From<&EnergyBreakdown> for WireEnergy {
    fn from(e: &EnergyBreakdown) -> Self {
        WireEnergy {
            cpu: (&e.cpu).into(),
            gpu: (&e.gpu).into(),
            ram: (&e.ram).into(),
        }
    }
}

impl From<&RunStart> for WireStart {
    fn from(s: &RunStart) -> Self {
        WireStart {
            id: s.id.clone(),
            name: s.name.clone(),
            kind: s.kind,
            command: s.command.clone(),
            started_at: s.started_at,
            site: s.site.clone(),
            host: s.host.clone(),
            meter: s.meter.clone(),
            interval_s: s.interval.as_secs_f64(),
            methods: s.methods.clone(),
            tags: s.tags.clone(),
            hourly_rate: s.hourly_rate.clone(),
        }
    }
}

impl From<&Sample> for WireSample {
    fn from(s: &Sample) -> Self {
        WireSample {
            seq: s.seq,
            at: s.at,
            interval_s: s.interval.as_secs_f64(),
            energy: (&s.energy).into(),
            cpu_s: s.cpu_time.as_secs_f64(),
            rss_bytes: s.rss_bytes,
        }
    }
}

impl From<&RunEnd> for WireEnd {
    fn from(e: &RunEnd) -> Self {
        WireEnd {
            ended_at: e.ended_at,
            status: e.status,
            exit_code: e.exit_code,
            signal: e.signal,
            duration_s: e.duration.as_secs_f64(),
            cpu_s: e.cpu_time.as_secs_f64(),
            peak_rss_bytes: e.peak_rss_bytes,
            energy: (&e.energy).into(),
            notes: e.notes.clone(),
            outcomes: e.outcomes.clone(),
        }
    }
}

impl RunUpload {
    /// The upload of a run recorded by `sustain run`.
    pub fn new(start: &RunStart, samples: &[Sample], end: &RunEnd) -> Self {
        RunUpload {
            start: start.into(),
            samples: samples.iter().map(WireSample::from).collect(),
            end: end.into(),
        }
    }

    /// Checks every field and builds the ledger's records, with impacts computed here. The
    /// checks are the core records' own (`RunStart::validate`, `Sample::validate`,
    /// `RunEnd::validate`, against `sustain_core::bounds`): a 400 names the field as a path in
    /// this JSON (`end.energy.cpu.energy_j`) and its bound.
    pub fn into_records(self) -> Result<(RunStart, Vec<Sample>, RunEnd), ApiError> {
        let s = self.start;
        let start = RunStart {
            interval: secs("start.interval_s", s.interval_s, &bounds::INTERVAL_S)?,
            id: s.id,
            name: s.name,
            kind: s.kind,
            command: s.command,
            started_at: s.started_at,
            site: s.site,
            host: s.host,
            meter: s.meter,
            methods: s.methods,
            tags: s.tags,
            hourly_rate: s.hourly_rate,
        };
        start.validate()?;
        let site = Site::from_record(start.site.clone()).map_err(|e| e.at("start.site"))?;
        let rate = match &start.hourly_rate {
            Some((amount, currency)) => Some(
                Currency::new(currency)
                    .and_then(|c| HourlyRate::per_hour(*amount, c))
                    .map_err(|e| e.at("start.hourly_rate"))?,
            ),
            None => None,
        };
        if self.samples.len() > MAX_SAMPLES {
            return Err(ApiError::field(
                "samples",
                format!("at most {MAX_SAMPLES} samples in one push"),
            ));
        }
        let mut samples = Vec::with_capacity(self.samples.len());
        for (i, w) in self.samples.into_iter().enumerate() {
            let at = |f: &str| format!("samples[{i}].{f}");
            if i > 0 && w.seq <= samples.last().map_or(0, |p: &Sample| p.seq) {
                return Err(ApiError::field(
                    &at("seq"),
                    "sample sequence numbers must increase",
                ));
            }
            let sample = Sample {
                seq: w.seq,
                at: w.at,
                interval: secs(&at("interval_s"), w.interval_s, &bounds::SAMPLE_INTERVAL_S)?,
                energy: energy(&w.energy),
                cpu_time: secs(&at("cpu_s"), w.cpu_s, &bounds::CPU_S)?,
                rss_bytes: w.rss_bytes,
            };
            sample
                .validate(&format!("samples[{i}]"))
                .map_err(CoreError::from)?;
            samples.push(sample);
        }
        let e = self.end;
        let breakdown = energy(&e.energy);
        breakdown
            .check_bounds("end.energy")
            .map_err(CoreError::from)?;
        let duration = secs("end.duration_s", e.duration_s, &bounds::DURATION_S)?;
        let cpu_time = secs("end.cpu_s", e.cpu_s, &bounds::CPU_S)?;
        let mut notes = e.notes;
        let (impacts, embodied) = end_figures(
            &start.host,
            &breakdown,
            (duration, cpu_time),
            &site,
            rate.as_ref(),
            &mut notes,
        );
        let end = RunEnd {
            run_id: start.id.clone(),
            ended_at: e.ended_at,
            status: e.status,
            exit_code: e.exit_code,
            signal: e.signal,
            duration,
            cpu_time,
            peak_rss_bytes: e.peak_rss_bytes,
            energy: breakdown,
            impacts,
            embodied,
            notes,
            outcomes: e.outcomes,
        };
        end.validate(&start.started_at)?;
        Ok((start, samples, end))
    }
}

/// A number of seconds as a duration, checked against its bound first (so the error shows the
/// number as sent).
fn secs(field: &str, v: f64, bound: &Bound) -> Result<Duration, ApiError> {
    bound.check(field, v).map_err(CoreError::from)?;
    Ok(Duration::from_secs_f64(v))
}

/// The breakdown as sent (checked by the records' validation).
fn energy(w: &WireEnergy) -> EnergyBreakdown {
    let comp = |c: &WireComponent| ComponentEnergy {
        energy: Energy::from_joules(c.energy_j),
        source: c.source,
        apportioned: c.apportioned,
        method: c.method.clone(),
    };
    EnergyBreakdown {
        cpu: comp(&w.cpu),
        gpu: comp(&w.gpu),
        ram: comp(&w.ram),
    }
}
