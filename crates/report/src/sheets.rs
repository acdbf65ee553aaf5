//! Per-model sheets in the style of a model card: the data, the training run, its metrics, the
//! fairness of its evaluations, its energy and carbon; with a Hugging Face `co2_eq_emissions`
//! metadata block and the energy and compute fields of the EU AI Act's Annex XI (technical
//! documentation of general-purpose AI models, section 1, point 2(d) and (e)).
//! Method: `docs/methods/model-sheets.md`.

use serde::Serialize;
use sustain_core::run_json::Outcomes;
use sustain_ledger::{Business, TotalsQuery};

use crate::accounts::Breakdown;
use crate::error::Result;
use crate::social::FairnessEval;

/// One trained model's sheet.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelSheet {
    /// The model: its `model` tag (the directory `sustain train` saved it to).
    pub model: String,
    /// Task (`tabular-mlp`, `char-gpt`, ...).
    pub task: String,
    /// Dataset name and SHA-256.
    pub dataset: String,
    /// SHA-256 of the dataset's bytes.
    pub dataset_sha256: Option<String>,
    /// SHA-256 of the weights.
    pub model_sha256: Option<String>,
    /// The training run.
    pub run_id: String,
    /// Its start (RFC 3339).
    pub trained_at: String,
    /// Training time, s.
    pub duration_s: f64,
    /// Epochs.
    pub epochs: Option<u64>,
    /// Device (`cpu`, `cuda`).
    pub device: String,
    /// Host hardware (CPU model).
    pub hardware: String,
    /// Site id and name.
    pub site: String,
    /// Test metrics as recorded.
    pub metrics: serde_json::Value,
    /// IT energy, Wh.
    pub it_wh: f64,
    /// Facility energy, Wh.
    pub facility_wh: f64,
    /// Share of the IT energy measured by hardware counters.
    pub measured_share: f64,
    /// Location-based carbon, g.
    pub co2e_location_g: f64,
    /// Market-based carbon, g, where the site has a contractual factor.
    pub co2e_market_g: Option<f64>,
    /// Embodied carbon of the training run (modelled), g, when it recorded one.
    pub embodied_co2e_g: Option<f64>,
    /// Water, L.
    pub water_l: f64,
    /// Fairness evaluations of this model in the period.
    pub fairness: Vec<FairnessEval>,
    /// Training runs of this model in the period (any status), the sheet's included.
    pub training_runs: u64,
    /// Their location-based carbon, g.
    pub training_co2e_location_g: f64,
    /// Other runs tagged with this model in the period (evaluation, inference).
    pub use_runs: u64,
    /// Location-based carbon of those runs, g.
    pub use_co2e_location_g: f64,
}

impl ModelSheet {
    /// How the energy was obtained, in words.
    pub fn energy_source(&self) -> &'static str {
        if self.measured_share >= 0.999 {
            "measured"
        } else if self.measured_share > 0.0 {
            "partly measured, partly modelled"
        } else {
            "modelled"
        }
    }

    /// The Hugging Face model-card metadata block (`co2_eq_emissions`, grams). Site and
    /// hardware are user text inside YAML double quotes: quotes become `'`, backslashes `/`
    /// and line breaks spaces, so each stays one YAML string on its line.
    pub fn hugging_face_yaml(&self) -> String {
        let quoted = |s: &str| -> String {
            s.chars()
                .map(|c| match c {
                    '"' => '\'',
                    '\\' => '/',
                    c if c.is_control() => ' ',
                    c => c,
                })
                .collect()
        };
        format!(
            "co2_eq_emissions:\n  emissions: {:.6}\n  source: \"Sustain {} ({} energy, location-based carbon)\"\n  training_type: \"pre-training\"\n  geographical_location: \"{}\"\n  hardware_used: \"{}\"\n",
            self.co2e_location_g,
            env!("CARGO_PKG_VERSION"),
            self.energy_source(),
            quoted(&self.site),
            quoted(&format!("{} ({})", self.hardware, self.device))
        )
    }

    /// The EU AI Act Annex XI (section 1, 2(d) and 2(e)) fields: compute, training time,
    /// hardware, energy and how it is known.
    pub fn annex_xi(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "2(d) computational resources: hardware",
                format!("{} ({})", self.hardware, self.device),
            ),
            (
                "2(d) training time",
                format!("{:.1} s wall-clock", self.duration_s),
            ),
            (
                "2(d) floating-point operations",
                "not measured (Sustain meters energy, not operations); estimate with `sustain estimate train`".into(),
            ),
            (
                "2(e) energy consumption",
                format!(
                    "{:.6} kWh facility ({:.6} kWh IT), {}",
                    self.facility_wh / 1e3,
                    self.it_wh / 1e3,
                    self.energy_source()
                ),
            ),
            (
                "2(e) method",
                "per-component energy from RAPL/NVML counters where present, else documented models (docs/methods/); facility = IT x PUE of the site".into(),
            ),
        ]
    }
}

/// Sheets of the models trained (successfully) in the period and scope of `q`: one per `model`
/// tag (`sustain train` tags its runs with the model's directory), from its latest succeeded
/// training run. `by_model` is the accounts' totals by `model` tag, from which the model's use
/// (its other runs) is taken.
pub fn sheets(
    ledger: &impl Business,
    q: &TotalsQuery,
    fairness: &[FairnessEval],
    by_model: &[Breakdown],
) -> Result<Vec<ModelSheet>> {
    let models = ledger.trained_models(q)?;
    let mut out = Vec::new();
    for m in models {
        let Some(t) = m.latest.as_ref() else { continue };
        let model = m.model.clone();
        // The model's other runs: its by-model totals less its training runs.
        let (use_runs, use_g) = by_model
            .iter()
            .find(|b| b.group == model)
            .map_or((0, 0.0), |b| {
                (
                    b.runs.saturating_sub(m.runs),
                    (b.co2e_location_g - m.co2e_location_g).max(0.0),
                )
            });
        let (training_runs, training_g) = (m.runs, m.co2e_location_g);
        let outcomes = Outcomes::of(&t.outcomes).unwrap_or_default();
        out.push(ModelSheet {
            task: t
                .tags
                .get("task")
                .cloned()
                .unwrap_or_else(|| t.name.clone()),
            dataset: t.tags.get("dataset").cloned().unwrap_or_default(),
            dataset_sha256: t.tags.get("dataset_sha256").cloned(),
            model_sha256: outcomes.model_sha256,
            run_id: t.run_id.clone(),
            trained_at: t.started_at.to_rfc3339(),
            duration_s: t.duration_s,
            epochs: outcomes.epochs,
            device: t
                .tags
                .get("device")
                .cloned()
                .unwrap_or_else(|| "cpu".into()),
            hardware: if t.hardware.is_empty() {
                "unknown CPU".into()
            } else {
                t.hardware.clone()
            },
            site: format!("{} ({})", t.site_id, t.site_name),
            metrics: outcomes
                .metrics
                .and_then(|m| m.test)
                .unwrap_or(serde_json::Value::Null),
            it_wh: t.it_j / 3600.0,
            facility_wh: t.facility_j / 3600.0,
            measured_share: if t.it_j > 0.0 {
                t.measured_j / t.it_j
            } else {
                0.0
            },
            co2e_location_g: t.co2e_location_g,
            co2e_market_g: t.co2e_market_g,
            embodied_co2e_g: t.embodied_g,
            water_l: t.water_l,
            fairness: fairness
                .iter()
                .filter(|f| f.model == model)
                .cloned()
                .collect(),
            training_runs,
            training_co2e_location_g: training_g,
            use_runs,
            use_co2e_location_g: use_g,
            model,
        });
    }
    Ok(out)
}

fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

/// The sheets as Markdown.
pub fn markdown(sheets: &[ModelSheet]) -> String {
    use std::fmt::Write;
    let mut o = String::new();
    for s in sheets {
        let _ = writeln!(o, "### Model {}\n", s.model);
        let _ = writeln!(o, "| | |\n| --- | --- |");
        let _ = writeln!(o, "| task | {} |", s.task);
        let _ = writeln!(
            o,
            "| data | {}{} |",
            s.dataset,
            s.dataset_sha256
                .as_deref()
                .map_or(String::new(), |h| format!(
                    " (SHA-256 `{}…`)",
                    h.get(..12).unwrap_or(h)
                ))
        );
        let _ = writeln!(
            o,
            "| training run | `{}`, {} , {:.1} s{} |",
            short(&s.run_id),
            s.trained_at,
            s.duration_s,
            s.epochs.map_or(String::new(), |e| format!(", {e} epochs"))
        );
        if let Some(h) = &s.model_sha256 {
            let _ = writeln!(o, "| weights | SHA-256 `{}…` |", h.get(..12).unwrap_or(h));
        }
        let _ = writeln!(
            o,
            "| hardware | {} ({}) at {} |",
            s.hardware, s.device, s.site
        );
        if let Some(m) = s.metrics.as_object() {
            let parts: Vec<String> = m
                .iter()
                .filter_map(|(k, v)| v.as_f64().map(|v| format!("{k} {v:.3}")))
                .collect();
            let _ = writeln!(o, "| test metrics | {} |", parts.join(", "));
        }
        let _ = writeln!(
            o,
            "| energy | {} Wh facility, {} Wh IT ({}) |",
            sustain_core::format::sig(s.facility_wh),
            sustain_core::format::sig(s.it_wh),
            s.energy_source()
        );
        let _ = writeln!(
            o,
            "| carbon | {} g location-based{} |",
            sustain_core::format::sig(s.co2e_location_g),
            s.co2e_market_g.map_or(String::new(), |m| format!(
                ", {} g market-based",
                sustain_core::format::sig(m)
            ))
        );
        let _ = writeln!(
            o,
            "| embodied carbon | {} |",
            s.embodied_co2e_g
                .map_or("not recorded".to_string(), |m| format!(
                    "{} g (modelled: hardware manufacturing amortized over its lifetime)",
                    sustain_core::format::sig(m)
                ))
        );
        let _ = writeln!(o, "| water | {} L |", sustain_core::format::sig(s.water_l));
        let _ = writeln!(
            o,
            "| training in the period | {} runs, {} g location-based |",
            s.training_runs,
            sustain_core::format::sig(s.training_co2e_location_g)
        );
        let _ = writeln!(
            o,
            "| use in the period | {} eval/infer runs, {} g location-based |",
            s.use_runs,
            sustain_core::format::sig(s.use_co2e_location_g)
        );
        if s.fairness.is_empty() {
            let _ = writeln!(
                o,
                "| fairness | not evaluated in this period (`sustain eval --model {} --sensitive COLUMN`) |",
                s.model
            );
        }
        for f in &s.fairness {
            let _ = writeln!(
                o,
                "| fairness ({}) | demographic parity difference {:.3} [{:.3}–{:.3}], equalized odds difference {} |",
                f.attribute,
                f.demographic_parity_difference[0],
                f.demographic_parity_difference[1],
                f.demographic_parity_difference[2],
                f.equalized_odds_difference
                    .map_or("undefined".into(), |d| format!(
                        "{:.3} [{:.3}–{:.3}]",
                        d[0], d[1], d[2]
                    ))
            );
        }
        let _ = writeln!(
            o,
            "\nHugging Face model-card metadata:\n\n```yaml\n{}```\n",
            s.hugging_face_yaml()
        );
        let _ = writeln!(
            o,
            "EU AI Act Annex XI, section 1:\n\n| field | value |\n| --- | --- |"
        );
        for (k, v) in s.annex_xi() {
            let _ = writeln!(o, "| {k} | {v} |");
        }
        let _ = writeln!(o);
    }
    o
}
