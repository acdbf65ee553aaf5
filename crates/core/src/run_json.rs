//! The stable JSON form of a run (`docs/reference/run-json.md`) as typed structs: what
//! `sustain runs show --json`, `runs list --json`, `export --format json`, `run --json` and the
//! server's run API print, and what scripts and the CLI's own printers read back. Fields are
//! declared in alphabetical order, the order serde_json's maps print them in, so a `RunJson`
//! printed directly and one printed through a `serde_json::Value` are the same text.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::embodied::HostEmbodied;
use crate::run::{ComponentEnergy, EnergyBreakdown, HostInfo, RunView};

/// One run as JSON. `None` prints `null`: unknown, never zero.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunJson {
    /// Location-based and market-based carbon.
    pub co2e: Co2eJson,
    /// The command line.
    pub command: Vec<String>,
    /// Energy cost and hardware-hour cost.
    pub cost: CostJson,
    /// CPU seconds of the whole process tree.
    pub cpu_s: Option<f64>,
    /// Wall-clock seconds.
    pub duration_s: Option<f64>,
    /// Embodied carbon allocated to the run.
    pub embodied: EmbodiedJson,
    /// RFC 3339 end time.
    pub ended_at: Option<String>,
    /// Energy by component, with sources and methods.
    pub energy: EnergyJson,
    /// Exit code as `sustain run` exited.
    pub exit_code: Option<i32>,
    /// The machine.
    pub host: HostJson,
    /// Run id (UUID).
    pub id: String,
    /// Sampling interval, seconds.
    pub interval_s: f64,
    /// `command`, `train`, `eval`, `infer`, `serve`, `data` or `schedule`.
    pub kind: String,
    /// `--name`, or the program's file name.
    pub name: String,
    /// Why a run is incomplete, sensor failures, figures not computed.
    pub notes: Vec<String>,
    /// What Sustain's own work produced (an object; empty for `sustain run`).
    pub outcomes: serde_json::Value,
    /// Peak resident memory of the tree, bytes.
    pub peak_rss_bytes: Option<u64>,
    /// Samples recorded.
    pub samples: u64,
    /// The signal that ended the command.
    pub signal: Option<i32>,
    /// Site id.
    pub site: String,
    /// The site snapshot the impacts were computed with.
    pub site_factors: SiteFactorsJson,
    /// RFC 3339 start time.
    pub started_at: String,
    /// `running`, `succeeded`, `failed`, `killed`, `failed_to_start` or `incomplete`.
    pub status: String,
    /// `--tag KEY=VALUE` pairs.
    pub tags: BTreeMap<String, String>,
    /// The parts of the water.
    pub water: WaterJson,
    /// On-site + off-site water, litres.
    pub water_l: Option<f64>,
}

/// `cost` of the run JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostJson {
    /// Amount.
    pub amount: Option<f64>,
    /// ISO 4217 code.
    pub currency: Option<String>,
}

/// `co2e` of the run JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Co2eJson {
    /// Location-based carbon, g.
    pub location_g: Option<f64>,
    /// Market-based carbon, g (null without a contractual factor).
    pub market_g: Option<f64>,
}

/// `embodied` of the run JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbodiedJson {
    /// Embodied carbon, g.
    pub co2e_g: Option<f64>,
    /// The terms, in words.
    pub method: Option<String>,
    /// Always `modelled` when known.
    pub source: Option<String>,
}

/// A figure per component (`cpu`, `gpu`, `ram`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerComponent<T> {
    /// Processor packages.
    pub cpu: Option<T>,
    /// Accelerators.
    pub gpu: Option<T>,
    /// Memory.
    pub ram: Option<T>,
}

/// `energy` of the run JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnergyJson {
    /// Whether a device-level measurement was split with other processes.
    pub apportioned: PerComponent<bool>,
    /// CPU energy, Wh.
    pub cpu_wh: Option<f64>,
    /// IT energy × PUE, Wh.
    pub facility_wh: Option<f64>,
    /// GPU energy, Wh.
    pub gpu_wh: Option<f64>,
    /// How each figure was obtained.
    pub methods: PerComponent<String>,
    /// Memory energy, Wh.
    pub ram_wh: Option<f64>,
    /// `measured`, `modelled` or `none`.
    pub sources: PerComponent<String>,
    /// IT energy, Wh.
    pub total_wh: Option<f64>,
}

/// `host` of the run JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostJson {
    /// CPU model.
    pub cpu_model: String,
    /// The host's embodied figures in effect at the start (absent in older runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embodied: Option<HostEmbodied>,
    /// GPU names.
    pub gpus: Vec<String>,
    /// Host name.
    pub hostname: String,
    /// Logical CPUs.
    pub logical_cpus: u32,
    /// CPU packages.
    pub packages: u32,
    /// Total memory, bytes.
    pub ram_total_bytes: u64,
}

/// `site_factors` of the run JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteFactorsJson {
    /// Currency of the electricity price.
    pub currency: Option<String>,
    /// Location-based intensity, g/kWh.
    pub intensity_g_per_kwh: f64,
    /// Contractual (market-based) intensity, g/kWh.
    pub market_g_per_kwh: Option<f64>,
    /// Off-site (generation) water, L/kWh.
    pub offsite_water_l_per_kwh: Option<f64>,
    /// Electricity price per kWh.
    pub price_per_kwh: Option<f64>,
    /// Power usage effectiveness.
    pub pue: f64,
    /// Source of the factors.
    pub source: String,
    /// On-site water usage effectiveness, L/kWh.
    pub wue_l_per_kwh: f64,
    /// Year of the factors.
    pub year: Option<i32>,
}

/// `water` of the run JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaterJson {
    /// Off-site water, litres.
    pub offsite_l: Option<f64>,
    /// On-site water, litres.
    pub onsite_l: Option<f64>,
}

impl From<&HostInfo> for HostJson {
    fn from(h: &HostInfo) -> Self {
        HostJson {
            cpu_model: h.cpu_model.clone(),
            embodied: h.embodied.clone(),
            gpus: h.gpus.clone(),
            hostname: h.hostname.clone(),
            logical_cpus: h.logical_cpus,
            packages: h.packages,
            ram_total_bytes: h.ram_total_bytes,
        }
    }
}

fn per<T>(
    energy: Option<&EnergyBreakdown>,
    f: impl Fn(&ComponentEnergy) -> T,
) -> PerComponent<T> {
    PerComponent {
        cpu: energy.map(|b| f(&b.cpu)),
        gpu: energy.map(|b| f(&b.gpu)),
        ram: energy.map(|b| f(&b.ram)),
    }
}

impl RunView {
    /// The stable JSON form that scripts rely on (see `docs/reference/run-json.md`).
    pub fn json(&self) -> RunJson {
        let s = &self.start;
        let e = self.end.as_ref();
        let energy = e.map(|e| &e.energy);
        let imp = e.map(|e| &e.impacts);
        let embodied = e.and_then(|e| e.embodied.as_ref());
        RunJson {
            command: s.command.clone(),
            cost: CostJson {
                amount: imp.and_then(|i| i.cost.as_ref().map(|c| c.amount)),
                currency: imp.and_then(|i| i.cost.as_ref().map(|c| c.currency.code().to_string())),
            },
            cpu_s: e.map(|e| e.cpu_time.as_secs_f64()),
            co2e: Co2eJson {
                location_g: imp.map(|i| i.co2e_location.grams()),
                market_g: imp.and_then(|i| i.co2e_market.map(|m| m.grams())),
            },
            duration_s: e.map(|e| e.duration.as_secs_f64()),
            embodied: EmbodiedJson {
                co2e_g: embodied.map(|m| m.co2e.grams()),
                method: embodied.map(|m| m.method.clone()),
                source: embodied.map(|_| "modelled".to_string()),
            },
            ended_at: e.map(|e| e.ended_at.to_rfc3339()),
            energy: EnergyJson {
                apportioned: per(energy, |c| c.apportioned),
                cpu_wh: energy.map(|b| b.cpu.energy.wh()),
                facility_wh: imp.map(|i| i.facility_energy.wh()),
                gpu_wh: energy.map(|b| b.gpu.energy.wh()),
                methods: per(energy, |c| c.method.clone()),
                ram_wh: energy.map(|b| b.ram.energy.wh()),
                sources: per(energy, |c| c.source.as_str().to_string()),
                total_wh: energy.map(|b| b.total().wh()),
            },
            exit_code: e.and_then(|e| e.exit_code),
            host: HostJson::from(&s.host),
            id: s.id.clone(),
            interval_s: s.interval.as_secs_f64(),
            kind: s.kind.as_str().to_string(),
            name: s.name.clone(),
            notes: e.map(|e| e.notes.clone()).unwrap_or_default(),
            outcomes: e
                .map(|e| e.outcomes.clone())
                .unwrap_or_else(|| serde_json::Value::Object(Default::default())),
            peak_rss_bytes: e.map(|e| e.peak_rss_bytes),
            signal: e.and_then(|e| e.signal),
            samples: self.samples,
            site: s.site.id.clone(),
            site_factors: SiteFactorsJson {
                currency: s.site.currency.clone(),
                intensity_g_per_kwh: s.site.intensity_g_per_kwh,
                market_g_per_kwh: s.site.market_g_per_kwh,
                offsite_water_l_per_kwh: s.site.offsite_water_l_per_kwh,
                price_per_kwh: s.site.price_per_kwh,
                pue: s.site.pue,
                source: s.site.source.clone(),
                wue_l_per_kwh: s.site.wue_l_per_kwh,
                year: s.site.year,
            },
            started_at: s.started_at.to_rfc3339(),
            status: self.status().as_str().to_string(),
            tags: s.tags.clone(),
            water_l: imp.map(|i| i.water_total().litres()),
            water: WaterJson {
                offsite_l: imp.and_then(|i| i.water_offsite.map(|w| w.litres())),
                onsite_l: imp.map(|i| i.water_onsite.litres()),
            },
        }
    }
}
