//! The model sheets' section: per model, the card's facts, its Hugging Face metadata block and
//! the EU AI Act Annex XI fields.

use sustain_core::format::sig;

use super::ci;
use crate::render::doc::{Align, Doc, Line, Table, code, lit, text};
use crate::sheets::ModelSheet;

use Align::Left as L;

fn short(id: &str, n: usize) -> &str {
    id.get(..n).unwrap_or(id)
}

/// The sheets, one after the other.
pub fn sheets(d: &mut Doc, sheets: &[ModelSheet]) {
    for s in sheets {
        d.heading(3, vec![lit("Model "), text(&s.model)]);
        let mut t = Table::new(&[("", L), ("", L)]);
        let mut row = |name: &'static str, value: Line| t.row_lines(vec![vec![lit(name)], value]);
        row("task", vec![text(&s.task)]);
        let mut data = vec![text(&s.dataset)];
        if let Some(h) = &s.dataset_sha256 {
            data.extend([
                lit(" (SHA-256 "),
                code(format!("{}…", short(h, 12))),
                lit(")"),
            ]);
        }
        row("data", data);
        row(
            "training run",
            vec![
                code(short(&s.run_id, 8)),
                text(format!(
                    ", {} , {:.1} s{}",
                    s.trained_at,
                    s.duration_s,
                    s.epochs.map_or(String::new(), |e| format!(", {e} epochs"))
                )),
            ],
        );
        if let Some(h) = &s.model_sha256 {
            row(
                "weights",
                vec![lit("SHA-256 "), code(format!("{}…", short(h, 12)))],
            );
        }
        row(
            "hardware",
            vec![text(format!("{} ({}) at {}", s.hardware, s.device, s.site))],
        );
        if let Some(m) = s.metrics.as_object() {
            let parts: Vec<String> = m
                .iter()
                .filter_map(|(k, v)| v.as_f64().map(|v| format!("{k} {v:.3}")))
                .collect();
            row("test metrics", vec![text(parts.join(", "))]);
        }
        row(
            "energy",
            vec![text(format!(
                "{} Wh facility, {} Wh IT ({})",
                sig(s.facility_wh),
                sig(s.it_wh),
                s.energy_source()
            ))],
        );
        row(
            "carbon",
            vec![text(format!(
                "{} g location-based{}",
                sig(s.co2e_location_g),
                s.co2e_market_g
                    .map_or(String::new(), |m| format!(", {} g market-based", sig(m)))
            ))],
        );
        row(
            "embodied carbon",
            vec![text(s.embodied_co2e_g.map_or(
                "not recorded".to_string(),
                |m| {
                    format!(
                        "{} g (modelled: hardware manufacturing amortized over its lifetime)",
                        sig(m)
                    )
                },
            ))],
        );
        row("water", vec![text(format!("{} L", sig(s.water_l)))]);
        row(
            "training in the period",
            vec![text(format!(
                "{} runs, {} g location-based",
                s.training_runs,
                sig(s.training_co2e_location_g)
            ))],
        );
        row(
            "use in the period",
            vec![text(format!(
                "{} eval/infer runs, {} g location-based",
                s.use_runs,
                sig(s.use_co2e_location_g)
            ))],
        );
        if s.fairness.is_empty() {
            row(
                "fairness",
                vec![
                    lit("not evaluated in this period ("),
                    code(format!(
                        "sustain eval --model {} --sensitive COLUMN",
                        s.model
                    )),
                    lit(")"),
                ],
            );
        }
        for f in &s.fairness {
            let mut value = vec![lit("demographic parity difference ")];
            value.extend(ci(&f.demographic_parity_difference));
            value.push(lit(", equalized odds difference "));
            value.extend(
                f.equalized_odds_difference
                    .as_ref()
                    .map_or(vec![lit("undefined")], ci),
            );
            t.row_lines(vec![
                vec![lit("fairness ("), text(&f.attribute), lit(")")],
                value,
            ]);
        }
        d.table(t);
        d.para(vec![lit("Hugging Face model-card metadata:")]);
        d.code("yaml", s.hugging_face_yaml());
        d.para(vec![lit("EU AI Act Annex XI, section 1:")]);
        let mut t = Table::new(&[("field", L), ("value", L)]);
        for (k, v) in s.annex_xi() {
            // Commands in the fields are between backticks: shown as code.
            let value = v
                .split('`')
                .enumerate()
                .filter(|(_, part)| !part.is_empty())
                .map(|(i, part)| if i % 2 == 1 { code(part) } else { text(part) })
                .collect();
            t.row_lines(vec![vec![lit(k)], value]);
        }
        d.table(t);
    }
}
