//! `generate`: text from a trained char-gpt model.

use std::path::PathBuf;

use serde_json::json;
use sustain_core::run::{RunKind, RunView};

use super::{StartMeter, start, succeed, tags, with_user_tags};
use crate::error::{Result, TrainError};
use crate::lm;
use crate::trainer::{self, Model};

/// Default characters to generate.
pub const DEFAULT_LENGTH: usize = 300;
/// Default sampling temperature.
pub const DEFAULT_TEMPERATURE: f64 = 0.8;

/// What the user asked to generate.
#[derive(Debug, Clone)]
pub struct GenerateRequest {
    /// A directory written by `train char-gpt`.
    pub model: PathBuf,
    /// Text to continue.
    pub prompt: String,
    /// Characters to generate (1 to 100,000).
    pub length: usize,
    /// Sampling temperature (>= 0; 0 takes the likeliest character).
    pub temperature: f64,
    /// Seed of the sampling.
    pub seed: u64,
    /// User tags, `KEY=VALUE`.
    pub tags: Vec<String>,
}

/// A finished, recorded generation.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The run as recorded.
    pub view: RunView,
    /// The prompt.
    pub prompt: String,
    /// The continuation.
    pub text: String,
    /// Characters generated.
    pub length: usize,
    /// Seconds it took.
    pub seconds: f64,
    /// Notes (prompt characters the model does not know).
    pub notes: Vec<String>,
}

impl Generated {
    /// Characters generated per second.
    pub fn chars_per_s(&self) -> f64 {
        self.length as f64 / self.seconds.max(1e-9)
    }

    /// What `sustain generate --json` prints.
    pub fn json(&self) -> serde_json::Value {
        let run = self.view.json();
        json!({
            "run_id": self.view.start.id,
            "prompt": self.prompt,
            "text": self.text,
            "chars_per_s": self.chars_per_s(),
            "energy": run.energy,
            "co2e": run.co2e,
            "notes": self.notes,
        })
    }
}

/// Generates with the request's model, metered by `meter`.
pub fn generate<M: StartMeter>(req: GenerateRequest, meter: &M) -> Result<Generated> {
    crate::set_flush_denormals();
    if !(1..=100_000).contains(&req.length) {
        return Err(TrainError::Input(format!(
            "invalid --length {}: expected 1 to 100000 characters",
            req.length
        )));
    }
    if !(req.temperature.is_finite() && req.temperature >= 0.0) {
        return Err(TrainError::Input(format!(
            "invalid --temperature {}: expected a number >= 0, such as 0.8",
            req.temperature
        )));
    }
    let device = trainer::device(0);
    let (model, config) = trainer::load(&req.model, &device)?;
    let (Model::Gpt(gpt), Some(vocab)) = (&model, &config.vocab) else {
        return Err(TrainError::Input(format!(
            "{} is a {} model; `sustain generate` needs a char-gpt model (`sustain train char-gpt --out DIR`)",
            req.model.display(),
            config.task
        )));
    };
    let run_tags = tags([
        ("task", config.task.to_string()),
        ("model", req.model.display().to_string()),
    ]);
    let run_tags = with_user_tags(run_tags, &req.tags)?;
    let run = start(meter, RunKind::Infer, config.task.as_str(), run_tags)?;
    let t0 = std::time::Instant::now();
    let text = lm::generate(
        gpt,
        vocab,
        &req.prompt,
        req.length,
        req.temperature,
        req.seed,
        &device,
    );
    let seconds = t0.elapsed().as_secs_f64();
    let unknown = lm::char_ids(vocab, &req.prompt)
        .iter()
        .filter(|&&i| i == 0)
        .count();
    let mut notes = vec![];
    if unknown > 0 {
        notes.push(format!(
            "{unknown} prompt characters are not in the model's vocabulary and were read as unknown"
        ));
    }
    let chars_per_s = req.length as f64 / seconds.max(1e-9);
    let view = succeed(
        run,
        notes.clone(),
        json!({"generated_chars": req.length, "prompt_chars": req.prompt.chars().count(), "chars_per_s": chars_per_s, "model_path": req.model.display().to_string()}),
    )?;
    Ok(Generated {
        view,
        prompt: req.prompt,
        text,
        length: req.length,
        seconds,
        notes,
    })
}
