//! The stable JSON form of a run (`docs/reference/run-json.md`), as typed structs. `sustain runs
//! show --json`, the exports and the server's `/api/v1/runs` all print it; being a type, it is
//! also the schema of those answers in the OpenAPI document, so the document cannot drift from
//! what is sent. `null` means unknown (a running run has no end), never zero.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::run::{
    ComponentEnergy, EnergyBreakdown, EnergySource, HostInfo, RunEnd, RunKind, RunStatus, RunView,
};

/// A run as scripts and the API see it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RunJson {
    /// Run id (a UUID); commands accept any unique prefix.
    pub id: String,
    /// `--name`, or the program's file name.
    pub name: String,
    /// What kind of workload.
    pub kind: RunKind,
    /// The command line.
    pub command: Vec<String>,
    /// How it ended, or `running`.
    pub status: RunStatus,
    /// As `sustain run` exited: the command's code, 128+N for signal N, 126/127 when it could
    /// not start; null while running or when incomplete.
    pub exit_code: Option<i32>,
    /// The signal that ended the command.
    pub signal: Option<i32>,
    /// Start time, RFC 3339 UTC.
    #[schema(format = DateTime)]
    pub started_at: String,
    /// End time, RFC 3339 UTC; null while running.
    #[schema(format = DateTime)]
    pub ended_at: Option<String>,
    /// Wall-clock seconds.
    pub duration_s: Option<f64>,
    /// CPU seconds of the whole process tree.
    pub cpu_s: Option<f64>,
    /// Peak resident memory of the tree, as sampled, bytes.
    pub peak_rss_bytes: Option<u64>,
    /// Site id.
    pub site: String,
    /// The site's factors used for the impacts (the snapshot taken at the start).
    pub site_factors: SiteFactors,
    /// The machine.
    pub host: HostInfo,
    /// Sampling interval, s.
    pub interval_s: f64,
    /// Number of samples recorded.
    pub samples: u64,
    /// Energy by component, with the source and method of each figure.
    pub energy: RunEnergy,
    /// Operational carbon.
    pub co2e: RunCo2e,
    /// Embodied carbon allocated to the run (never added to `co2e`).
    pub embodied: RunEmbodied,
    /// On-site plus off-site water, L.
    pub water_l: Option<f64>,
    /// The parts of the water.
    pub water: RunWater,
    /// Energy cost plus hardware-hour cost.
    pub cost: RunCost,
    /// `--tag KEY=VALUE` pairs.
    pub tags: BTreeMap<String, String>,
    /// Why a run is incomplete, sensor failures, figures not computed.
    pub notes: Vec<String>,
    /// What Sustain's own work produced (empty for `sustain run`), as a JSON object.
    pub outcomes: serde_json::Value,
}

/// The site's factors a run's impacts were computed with.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SiteFactors {
    /// Location-based grid intensity, gCO2e/kWh.
    pub intensity_g_per_kwh: f64,
    /// Market-based (contractual) factor, gCO2e/kWh, when the site has one.
    pub market_g_per_kwh: Option<f64>,
    /// Power usage effectiveness.
    pub pue: f64,
    /// On-site water usage effectiveness, L per IT kWh.
    pub wue_l_per_kwh: f64,
    /// Water consumed generating the electricity, L per facility kWh, when known.
    pub offsite_water_l_per_kwh: Option<f64>,
    /// Electricity price per kWh, when known.
    pub price_per_kwh: Option<f64>,
    /// Currency of the price.
    pub currency: Option<String>,
    /// Source of the intensity figure.
    pub source: String,
    /// Year of the intensity figure.
    pub year: Option<i32>,
}

/// A run's energy by component, Wh (null while running).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RunEnergy {
    /// CPU energy, Wh.
    pub cpu_wh: Option<f64>,
    /// GPU energy, Wh.
    pub gpu_wh: Option<f64>,
    /// Memory energy, Wh.
    pub ram_wh: Option<f64>,
    /// IT energy: their sum, Wh.
    pub total_wh: Option<f64>,
    /// Facility energy: IT energy x PUE, Wh.
    pub facility_wh: Option<f64>,
    /// Where each figure comes from.
    pub sources: PerComponent<Option<EnergySource>>,
    /// How each figure was obtained, in words.
    pub methods: PerComponent<Option<String>>,
    /// Whether a device-level measurement was split with other processes.
    pub apportioned: PerComponent<Option<bool>>,
}

/// One value per component.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PerComponent<T> {
    /// Processor packages.
    pub cpu: T,
    /// Accelerators.
    pub gpu: T,
    /// Memory.
    pub ram: T,
}

/// A run's operational carbon, g.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RunCo2e {
    /// Location-based carbon, gCO2e.
    pub location_g: Option<f64>,
    /// Market-based carbon, gCO2e; null when the site has no contractual factor.
    pub market_g: Option<f64>,
}

/// A run's embodied carbon (`docs/methods/embodied.md`); null when its start has no host
/// figures.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RunEmbodied {
    /// Embodied carbon allocated to the run, gCO2e.
    pub co2e_g: Option<f64>,
    /// The terms, in words.
    pub method: Option<String>,
    /// Always `modelled`: no counter measures it.
    pub source: Option<EnergySource>,
}

/// A run's water, L.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RunWater {
    /// On-site water, L.
    pub onsite_l: Option<f64>,
    /// Water consumed generating the electricity, L, when known.
    pub offsite_l: Option<f64>,
}

/// A run's cost.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RunCost {
    /// Amount.
    pub amount: Option<f64>,
    /// Its currency.
    pub currency: Option<String>,
}

impl RunView {
    /// The stable JSON form that scripts rely on (see `docs/reference/run-json.md`), built
    /// from its type, [`RunJson`]. (Here rather than in `run`, so that `run` does not depend
    /// on this module: no module cycle.)
    pub fn to_json(&self) -> serde_json::Value {
        // A struct of strings, numbers and string-keyed maps always serializes.
        serde_json::to_value(RunJson::from(self)).unwrap_or_default()
    }

    /// The stable JSON form as its type.
    pub fn json(&self) -> RunJson {
        RunJson::from(self)
    }
}

/// What a run's `outcomes` object holds, as far as Sustain reads it back (the reports' social
/// account and model sheets): typed, so a reader never digs through string keys. Every field is
/// optional: external commands record none, and each kind of work records its own.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
pub struct Outcomes {
    /// Metrics (`metrics.test` for classifiers and evaluations, also `metrics.val` for `lm`).
    #[serde(default)]
    pub metrics: Option<OutcomeMetrics>,
    /// The model's directory.
    #[serde(default)]
    pub model_path: Option<String>,
    /// SHA-256 of the model's weights file (its version).
    #[serde(default)]
    pub model_sha256: Option<String>,
    /// SHA-256 of the dataset.
    #[serde(default)]
    pub dataset_sha256: Option<String>,
    /// Epochs trained.
    #[serde(default)]
    pub epochs: Option<u64>,
    /// Fairness over a protected attribute (`sustain eval --sensitive`).
    #[serde(default)]
    pub fairness: Option<FairnessOutcome>,
}

impl Outcomes {
    /// The outcomes of a run's JSON object; `None` when it is not of this shape.
    pub fn of(outcomes: &serde_json::Value) -> Option<Outcomes> {
        Outcomes::deserialize(outcomes).ok()
    }
}

/// `outcomes.metrics`.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
pub struct OutcomeMetrics {
    /// Metrics on the test split, as the work wrote them (their fields depend on the task).
    #[serde(default)]
    pub test: Option<serde_json::Value>,
}

impl OutcomeMetrics {
    /// The test accuracy, when the work has one.
    pub fn test_accuracy(&self) -> Option<f64> {
        self.test.as_ref()?.get("accuracy")?.as_f64()
    }
}

/// `outcomes.fairness`: the parts the social account reads.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct FairnessOutcome {
    /// The protected attribute.
    pub attribute: String,
    /// The favourable class.
    pub positive_class: String,
    /// The groups, with their flags.
    pub groups: Vec<FairnessGroup>,
    /// Demographic parity difference with its interval.
    pub demographic_parity_difference: Interval,
    /// Equalized odds difference with its interval (undefined without positives or negatives).
    #[serde(default)]
    pub equalized_odds_difference: Option<Interval>,
}

/// One group of a fairness outcome.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct FairnessGroup {
    /// Why its rates may be unreliable (too small, no positives).
    #[serde(default)]
    pub flags: Vec<String>,
}

/// A figure with its 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
pub struct Interval {
    /// The figure.
    pub value: f64,
    /// Lower end.
    pub low: f64,
    /// Upper end.
    pub high: f64,
}

fn per_component<T>(
    energy: Option<&EnergyBreakdown>,
    f: impl Fn(&ComponentEnergy) -> T,
) -> PerComponent<Option<T>> {
    PerComponent {
        cpu: energy.map(|b| f(&b.cpu)),
        gpu: energy.map(|b| f(&b.gpu)),
        ram: energy.map(|b| f(&b.ram)),
    }
}

impl From<&RunView> for RunJson {
    fn from(v: &RunView) -> Self {
        let s = &v.start;
        let e: Option<&RunEnd> = v.end.as_ref();
        let energy = e.map(|e| &e.energy);
        let imp = e.map(|e| &e.impacts);
        let embodied = e.and_then(|e| e.embodied.as_ref());
        RunJson {
            id: s.id.clone(),
            name: s.name.clone(),
            kind: s.kind,
            command: s.command.clone(),
            status: v.status(),
            exit_code: e.and_then(|e| e.exit_code),
            signal: e.and_then(|e| e.signal),
            started_at: s.started_at.to_rfc3339(),
            ended_at: e.map(|e| e.ended_at.to_rfc3339()),
            duration_s: e.map(|e| e.duration.as_secs_f64()),
            cpu_s: e.map(|e| e.cpu_time.as_secs_f64()),
            peak_rss_bytes: e.map(|e| e.peak_rss_bytes),
            site: s.site.id.clone(),
            site_factors: SiteFactors {
                intensity_g_per_kwh: s.site.intensity_g_per_kwh,
                market_g_per_kwh: s.site.market_g_per_kwh,
                pue: s.site.pue,
                wue_l_per_kwh: s.site.wue_l_per_kwh,
                offsite_water_l_per_kwh: s.site.offsite_water_l_per_kwh,
                price_per_kwh: s.site.price_per_kwh,
                currency: s.site.currency.clone(),
                source: s.site.source.clone(),
                year: s.site.year,
            },
            host: s.host.clone(),
            interval_s: s.interval.as_secs_f64(),
            samples: v.samples,
            energy: RunEnergy {
                cpu_wh: energy.map(|b| b.cpu.energy.wh()),
                gpu_wh: energy.map(|b| b.gpu.energy.wh()),
                ram_wh: energy.map(|b| b.ram.energy.wh()),
                total_wh: energy.map(|b| b.total().wh()),
                facility_wh: imp.map(|i| i.facility_energy.wh()),
                sources: per_component(energy, |c| c.source),
                methods: per_component(energy, |c| c.method.clone()),
                apportioned: per_component(energy, |c| c.apportioned),
            },
            co2e: RunCo2e {
                location_g: imp.map(|i| i.co2e_location.grams()),
                market_g: imp.and_then(|i| i.co2e_market.map(|m| m.grams())),
            },
            embodied: RunEmbodied {
                co2e_g: embodied.map(|m| m.co2e.grams()),
                method: embodied.map(|m| m.method.clone()),
                source: embodied.map(|_| EnergySource::Modelled),
            },
            water_l: imp.map(|i| i.water_total().litres()),
            water: RunWater {
                onsite_l: imp.map(|i| i.water_onsite.litres()),
                offsite_l: imp.and_then(|i| i.water_offsite.map(|w| w.litres())),
            },
            cost: RunCost {
                amount: imp.and_then(|i| i.cost.as_ref().map(|c| c.amount)),
                currency: imp.and_then(|i| i.cost.as_ref().map(|c| c.currency.code().to_string())),
            },
            tags: s.tags.clone(),
            notes: e.map(|e| e.notes.clone()).unwrap_or_default(),
            outcomes: e.map_or_else(
                || serde_json::Value::Object(Default::default()),
                |e| e.outcomes.clone(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::{TimeZone, Utc};
    use serde_json::json;

    use super::*;
    use crate::embodied::HostEmbodied;
    use crate::run::{MeterIdentity, RunStart};
    use crate::site::{Site, SiteRecord};
    use crate::units::{Currency, Energy, HourlyRate};

    fn site() -> Site {
        Site::from_record(SiteRecord {
            id: "dc".into(),
            name: "DC".into(),
            kind: "custom".into(),
            country_iso2: None,
            provider: None,
            intensity_g_per_kwh: 100.0,
            year: Some(2025),
            source: "test".into(),
            renewable_share: None,
            pue: 1.5,
            pue_source: String::new(),
            wue_l_per_kwh: 2.0,
            wue_source: String::new(),
            offsite_water_l_per_kwh: Some(1.0),
            offsite_water_source: String::new(),
            price_per_kwh: Some(0.2),
            currency: Some("EUR".into()),
            price_source: String::new(),
            market_g_per_kwh: Some(10.0),
            market_source: String::new(),
        })
        .unwrap()
    }

    fn view(ended: bool) -> RunView {
        let site = site();
        let host = HostInfo {
            hostname: "h".into(),
            cpu_model: "cpu".into(),
            logical_cpus: 8,
            packages: 1,
            ram_total_bytes: 1 << 30,
            gpus: vec![],
            embodied: Some(HostEmbodied::default()),
        };
        let start = RunStart {
            id: "0190-run".into(),
            name: "train".into(),
            kind: RunKind::Train,
            command: vec!["python".into(), "train.py".into()],
            started_at: Utc.with_ymd_and_hms(2026, 7, 1, 12, 0, 0).unwrap(),
            site: site.record.clone(),
            host: host.clone(),
            meter: MeterIdentity::default(),
            interval: Duration::from_secs(1),
            methods: BTreeMap::new(),
            tags: BTreeMap::from([("model".into(), "m1".into())]),
            hourly_rate: Some((3.6, "EUR".into())),
        };
        let energy = EnergyBreakdown {
            cpu: ComponentEnergy {
                energy: Energy::from_joules(7200.0),
                source: EnergySource::Measured,
                apportioned: true,
                method: "RAPL".into(),
            },
            gpu: ComponentEnergy::default(),
            ram: ComponentEnergy {
                energy: Energy::from_joules(3600.0),
                source: EnergySource::Modelled,
                apportioned: false,
                method: "RSS model".into(),
            },
        };
        let duration = Duration::from_secs(3600);
        let rate = HourlyRate::per_hour(3.6, Currency::new("EUR").unwrap()).unwrap();
        let mut notes = vec![];
        let (impacts, embodied) = crate::run::end_figures(
            &host,
            &energy,
            (duration, Duration::from_secs(1800)),
            &site,
            Some(&rate),
            &mut notes,
        );
        let end = RunEnd {
            run_id: start.id.clone(),
            ended_at: Utc.with_ymd_and_hms(2026, 7, 1, 13, 0, 0).unwrap(),
            status: RunStatus::Succeeded,
            exit_code: Some(0),
            signal: None,
            duration,
            cpu_time: Duration::from_secs(1800),
            peak_rss_bytes: 1000,
            energy,
            impacts,
            embodied,
            notes,
            outcomes: json!({"epochs": 3}),
        };
        RunView {
            start,
            end: ended.then_some(end),
            samples: 3600,
        }
    }

    #[test]
    fn a_finished_run_has_its_figures_sources_and_times() {
        let j = view(true).to_json();
        let mut keys: Vec<&str> = j.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "co2e",
                "command",
                "cost",
                "cpu_s",
                "duration_s",
                "embodied",
                "ended_at",
                "energy",
                "exit_code",
                "host",
                "id",
                "interval_s",
                "kind",
                "name",
                "notes",
                "outcomes",
                "peak_rss_bytes",
                "samples",
                "signal",
                "site",
                "site_factors",
                "started_at",
                "status",
                "tags",
                "water",
                "water_l",
            ]
        );
        assert_eq!(j["kind"], "train");
        assert_eq!(j["status"], "succeeded");
        assert_eq!(j["started_at"], "2026-07-01T12:00:00+00:00");
        assert_eq!(j["ended_at"], "2026-07-01T13:00:00+00:00");
        assert_eq!(j["duration_s"], 3600.0);
        assert_eq!(j["energy"]["cpu_wh"], 2.0);
        assert_eq!(j["energy"]["ram_wh"], 1.0);
        assert_eq!(j["energy"]["total_wh"], 3.0);
        assert_eq!(
            j["energy"]["sources"],
            json!({"cpu": "measured", "gpu": "none", "ram": "modelled"})
        );
        assert_eq!(
            j["energy"]["apportioned"],
            json!({"cpu": true, "gpu": false, "ram": false})
        );
        assert_eq!(j["energy"]["methods"]["ram"], "RSS model");
        let close = |v: &serde_json::Value, want: f64| {
            let got = v.as_f64().unwrap();
            assert!((got - want).abs() < 1e-9, "{got} != {want}");
        };
        // Facility 4.5 Wh at 100 g/kWh (10 g/kWh market), WUE 2 L/kWh on the 3 Wh of IT
        // energy, 1 L/kWh offsite, 0.2 EUR/kWh and 3.6 EUR/h for an hour.
        close(&j["energy"]["facility_wh"], 4.5);
        close(&j["co2e"]["location_g"], 0.45);
        close(&j["co2e"]["market_g"], 0.045);
        close(&j["water"]["onsite_l"], 0.006);
        close(&j["water"]["offsite_l"], 0.0045);
        close(&j["water_l"], 0.0105);
        close(&j["cost"]["amount"], 3.6009);
        assert_eq!(j["cost"]["currency"], "EUR");
        assert_eq!(j["embodied"]["source"], "modelled");
        assert!(j["embodied"]["co2e_g"].as_f64().unwrap() > 0.0);
        assert_eq!(j["site"], "dc");
        assert_eq!(j["site_factors"]["market_g_per_kwh"], 10.0);
        assert_eq!(j["site_factors"]["year"], 2025);
        assert_eq!(j["host"]["embodied"]["share"], "used");
        assert_eq!(j["tags"], json!({"model": "m1"}));
        assert_eq!(j["outcomes"], json!({"epochs": 3}));
        assert_eq!(j["samples"], 3600);
    }

    #[test]
    fn a_running_run_has_nulls_for_what_is_not_known_yet() {
        let j = view(false).to_json();
        assert_eq!(j["status"], "running");
        for (part, field) in [
            ("energy", "cpu_wh"),
            ("energy", "total_wh"),
            ("energy", "facility_wh"),
            ("co2e", "location_g"),
            ("embodied", "co2e_g"),
            ("embodied", "source"),
            ("water", "onsite_l"),
            ("cost", "amount"),
        ] {
            assert!(
                j[part][field].is_null(),
                "{part}.{field}: {}",
                j[part][field]
            );
        }
        for top in [
            "ended_at",
            "duration_s",
            "exit_code",
            "water_l",
            "peak_rss_bytes",
        ] {
            assert!(j[top].is_null(), "{top}");
        }
        assert_eq!(
            j["energy"]["sources"],
            json!({"cpu": null, "gpu": null, "ram": null})
        );
        assert_eq!(j["notes"], json!([]));
        assert_eq!(j["outcomes"], json!({}));
        assert_eq!(j["started_at"], "2026-07-01T12:00:00+00:00");
    }
}
