//! `train`: check the request, load the data, meter the training, write the model directory.

use std::path::{Path, PathBuf};

use serde_json::json;
use sustain_core::run::{RunKind, RunView};
use sustain_core::sink::RunSink;
use sustain_core::units::Energy;
use sustain_meter::Background;

use super::data::{self, Data};
use super::{StartMeter, fail, start, succeed, tags, with_user_tags};
use crate::charts::write_charts;
use crate::config::{DeviceSpec, Loss, Optimizer, TrainConfig};
use crate::dataset::Standardizer;
use crate::error::{Result, TrainError};
use crate::gpt::GptShape;
use crate::lm::{self, Corpus, LmMetrics, TrainedLm};
use crate::metrics::Metrics;
use crate::task::Task;
use crate::trainer::{self, EpochLog, Model};

/// Characters of each sample written after training char-gpt.
pub const SAMPLE_CHARS: usize = 240;
/// Temperature of those samples.
pub const SAMPLE_TEMPERATURE: f64 = 0.8;
/// Default batch size.
pub const DEFAULT_BATCH_SIZE: usize = 32;
/// Default seed of splits, initialization and batch order.
pub const DEFAULT_SEED: u64 = 42;

/// What the user asked to train.
#[derive(Debug, Clone)]
pub struct TrainRequest {
    /// The task.
    pub task: Task,
    /// Dataset name or path (default: the task's).
    pub dataset: Option<String>,
    /// Label column of a CSV or JSONL dataset.
    pub label: Option<String>,
    /// Text column of a text dataset.
    pub text_column: Option<String>,
    /// Shape of a char-gpt model (ignored by the other tasks).
    pub gpt: GptShape,
    /// Epochs (default: the task's).
    pub epochs: Option<usize>,
    /// Batch size.
    pub batch_size: usize,
    /// Optimizer.
    pub optimizer: Optimizer,
    /// Learning rate (default: the task's for the optimizer).
    pub lr: Option<f64>,
    /// Loss.
    pub loss: Loss,
    /// Seed.
    pub seed: u64,
    /// Device.
    pub device: DeviceSpec,
    /// Model directory (default: `runs/TASK-RUNID`).
    pub out: Option<PathBuf>,
    /// User tags, `KEY=VALUE`.
    pub tags: Vec<String>,
    /// Augmentations of the training batches.
    pub augment: Option<crate::augment::Augment>,
}

/// The metrics a training run produced.
#[derive(Debug, Clone)]
pub enum TrainResult {
    /// A classifier's test metrics.
    Classifier {
        /// Metrics on the held-out test split.
        test: Metrics,
    },
    /// A language model's metrics and samples.
    Lm {
        /// Metrics on the validation part.
        val: LmMetrics,
        /// Metrics on the test part.
        test: LmMetrics,
        /// Characters (predicted positions) per second.
        chars_per_s: f64,
        /// Samples continuing prompts from the held-out text.
        samples: Vec<String>,
    },
}

/// A finished, recorded training run.
#[derive(Debug, Clone)]
pub struct TrainedRun {
    /// The run as recorded.
    pub view: RunView,
    /// Where the model is.
    pub model_dir: PathBuf,
    /// SHA-256 of the weights file (the model's version).
    pub model_sha256: String,
    /// The configuration the model was trained with.
    pub config: TrainConfig,
    /// Training samples (or windows) per second.
    pub samples_per_s: f64,
    /// Its metrics.
    pub result: TrainResult,
}

impl TrainedRun {
    /// What `sustain train --json` prints.
    pub fn json(&self) -> serde_json::Value {
        let run = self.view.json();
        let mut j = json!({
            "run_id": self.view.start.id,
            "model_path": self.model_dir.display().to_string(),
            "model_sha256": self.model_sha256,
            "energy": run.energy,
            "co2e": run.co2e,
            "water_l": run.water_l,
            "cost": run.cost,
            "epochs": self.config.epochs,
            "samples_per_s": self.samples_per_s,
        });
        match &self.result {
            TrainResult::Classifier { test } => j["metrics"] = json!({ "test": test }),
            TrainResult::Lm {
                val,
                test,
                chars_per_s,
                samples,
            } => {
                j["metrics"] = json!({ "val": val, "test": test });
                j["chars_per_s"] = json!(chars_per_s);
                j["samples"] = json!(samples);
            }
        }
        j
    }
}

/// Trains the request's model, metered by `meter`; `on_epoch` sees each epoch's log, the
/// energy so far and the number of epochs. Bad input fails before the run starts; a failure
/// after it is recorded.
pub fn train<M: StartMeter>(
    req: TrainRequest,
    meter: &M,
    on_epoch: &mut dyn FnMut(&EpochLog, Energy, usize),
) -> Result<TrainedRun> {
    crate::set_flush_denormals();
    // The device before the data: a build without CUDA says so at once.
    trainer::device_for(req.device, req.seed)?;
    let gpt = if req.task == Task::CharGpt {
        req.gpt.check()?;
        Some(req.gpt)
    } else {
        None
    };
    let data = data::load(
        req.task,
        req.dataset.as_deref(),
        req.label.as_deref(),
        req.text_column.as_deref(),
    )?;
    let config = TrainConfig {
        task: req.task,
        dataset: data.name().to_string(),
        dataset_sha256: data.sha256().to_string(),
        seed: req.seed,
        epochs: req.epochs.unwrap_or_else(|| req.task.default_epochs()),
        batch_size: req.batch_size,
        optimizer: req.optimizer,
        lr: req.lr.unwrap_or_else(|| req.task.default_lr(req.optimizer)),
        loss: req.loss,
        inputs: data.width(),
        classes: data.classes(),
        standardizer: Standardizer {
            mean: vec![],
            std: vec![],
        },
        device: req.device,
        vocab: None,
        gpt,
        widths: None,
        augment: req.augment,
        parent: None,
        pruning: None,
        quantization: None,
    };
    config.validate()?;
    if let Some(a) = &config.augment {
        a.check(config.task)?;
    }
    // The data must split into three parts and suit the task's model (an image side for the
    // CNN) before anything runs: bad data records nothing.
    match &data {
        Data::Table(t) => {
            trainer::checked_split(&t.name, t.rows(), "rows", config.seed)?;
            trainer::new_model(&config, &trainer::device(config.seed))?;
        }
        Data::Text(t) => {
            trainer::checked_split(&t.name, t.rows(), "texts", config.seed)?;
        }
        Data::Corpus(_) => {}
    }
    let run_tags = tags([
        ("task", req.task.to_string()),
        ("dataset", data.name().to_string()),
        ("dataset_sha256", data.sha256().to_string()),
        ("seed", req.seed.to_string()),
        ("device", req.device.to_string()),
        // The model is named by where it is saved (the default directory names the run).
        (
            "model",
            req.out.as_ref().map_or_else(
                || format!("runs/{}-{{run}}", req.task),
                |d| d.display().to_string(),
            ),
        ),
    ]);
    let run_tags = with_user_tags(run_tags, &req.tags)?;
    let run = start(meter, RunKind::Train, req.task.as_str(), run_tags)?;
    let dir = req.out.clone().unwrap_or_else(|| {
        PathBuf::from("runs").join(format!(
            "{}-{}",
            req.task,
            sustain_meter::recording::short_id(run.id())
        ))
    });

    let epochs = config.epochs;
    let mut log = |l: &EpochLog| on_epoch(l, run.energy_so_far(), epochs);
    let trained = match &data {
        Data::Table(t) => trainer::train_tabular(config, t, &mut log).map(Trained::Classifier),
        Data::Text(t) => trainer::train_text(config, t, &mut log).map(Trained::Classifier),
        Data::Corpus(c) => lm::train_lm(config, c, &mut log).map(Trained::Lm),
    };
    match (trained, &data) {
        (Err(e), _) => Err(fail(run, e)),
        (Ok(Trained::Lm(t)), Data::Corpus(corpus)) => finish_lm(t, corpus, &dir, run),
        (Ok(Trained::Classifier(t)), _) => finish_classifier(t, &dir, run),
        (Ok(Trained::Lm(_)), _) => Err(fail(
            run,
            TrainError::Input("a language model trained on data that is not a corpus".into()),
        )),
    }
}

/// What the training loop produced.
enum Trained {
    Classifier(trainer::Trained),
    Lm(TrainedLm),
}

fn write_json(path: &Path, value: &serde_json::Value) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|e| TrainError::Checkpoint {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    std::fs::write(path, text).map_err(|source| TrainError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Records the run as failed because its outputs could not be written.
fn outputs_failed<S: RunSink>(run: Background<S>, e: TrainError) -> TrainError {
    let id = run.id().to_string();
    let note = format!("training finished but its outputs could not be written: {e}");
    match run.finish(
        sustain_core::run::RunStatus::Failed,
        vec![note],
        super::empty(),
    ) {
        Ok(_) => TrainError::OutputsNotWritten {
            run_id: id,
            error: Box::new(e),
        },
        Err(m) => TrainError::Meter(Box::new(m)),
    }
}

fn finish_classifier<S: RunSink>(
    trained: trainer::Trained,
    dir: &Path,
    run: Background<S>,
) -> Result<TrainedRun> {
    let written = (|| -> Result<String> {
        trainer::save(&trained.model, &trained.config, dir)?;
        let metrics = json!({
            "test": trained.test,
            "history": trained.history,
            "samples_per_s": trained.samples_per_s,
        });
        write_json(&dir.join("metrics.json"), &metrics)?;
        write_charts(
            trained.config.task.as_str(),
            &trained.history,
            Some((
                &trained.test_split,
                &trained.test_predictions,
                &trained.config.classes,
            )),
            dir,
        )?;
        trainer::weights_sha256(dir)
    })();
    let model_sha256 = match written {
        Ok(h) => h,
        Err(e) => return Err(outputs_failed(run, e)),
    };
    let test = &trained.test;
    let outcomes = json!({
        "metrics": {"test": {
            "accuracy": test.accuracy,
            "precision": test.precision,
            "recall": test.recall,
            "f1": test.f1,
        }},
        "model_path": dir.display().to_string(),
        "model_sha256": model_sha256,
        "dataset_sha256": trained.config.dataset_sha256,
        "epochs": trained.config.epochs,
        "samples_per_s": trained.samples_per_s,
    });
    let view = succeed(run, vec![], outcomes)?;
    Ok(TrainedRun {
        view,
        model_dir: dir.to_path_buf(),
        model_sha256,
        samples_per_s: trained.samples_per_s,
        result: TrainResult::Classifier { test: trained.test },
        config: trained.config,
    })
}

/// Samples continuing the first words of the validation and test parts (text the model has
/// not trained on).
fn lm_samples(trained: &TrainedLm, corpus: &Corpus) -> Result<Vec<String>> {
    let Model::Gpt(gpt) = &trained.model else {
        return Err(TrainError::Input(
            "char-gpt did not produce a transformer".into(),
        ));
    };
    let vocab = trained
        .config
        .vocab
        .as_ref()
        .ok_or_else(|| TrainError::Input("char-gpt config without a vocabulary".into()))?;
    let chars: Vec<char> = corpus.text.chars().collect();
    let device = trainer::device(trained.config.seed);
    let samples = [0.90, 0.95]
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let at = (chars.len() as f64 * f) as usize;
            let from = chars[at..]
                .iter()
                .position(|c| *c == '\n')
                .map_or(at, |p| at + p + 1);
            let prompt: String = chars[from.min(chars.len())..(from + 24).min(chars.len())]
                .iter()
                .collect();
            let cont = lm::generate(
                gpt,
                vocab,
                &prompt,
                SAMPLE_CHARS,
                SAMPLE_TEMPERATURE,
                trained.config.seed + i as u64,
                &device,
            );
            format!("{prompt}{cont}")
        })
        .collect();
    Ok(samples)
}

fn finish_lm<S: RunSink>(
    trained: TrainedLm,
    corpus: &Corpus,
    dir: &Path,
    run: Background<S>,
) -> Result<TrainedRun> {
    let written = (|| -> Result<(Vec<String>, String)> {
        trainer::save(&trained.model, &trained.config, dir)?;
        let samples = lm_samples(&trained, corpus)?;
        let path = dir.join("samples.txt");
        std::fs::write(&path, samples.join("\n\n---\n\n"))
            .map_err(|source| TrainError::Write { path, source })?;
        let metrics = json!({
            "val": trained.val,
            "test": trained.test,
            "history": trained.history,
            "samples_per_s": trained.samples_per_s,
            "chars_per_s": trained.chars_per_s,
            "samples": samples,
        });
        write_json(&dir.join("metrics.json"), &metrics)?;
        write_charts(trained.config.task.as_str(), &trained.history, None, dir)?;
        Ok((samples, trainer::weights_sha256(dir)?))
    })();
    let (samples, model_sha256) = match written {
        Ok(s) => s,
        Err(e) => return Err(outputs_failed(run, e)),
    };
    let outcomes = json!({
        "metrics": {"val": trained.val, "test": trained.test},
        "model_path": dir.display().to_string(),
        "model_sha256": model_sha256,
        "dataset_sha256": trained.config.dataset_sha256,
        "epochs": trained.config.epochs,
        "samples_per_s": trained.samples_per_s,
        "chars_per_s": trained.chars_per_s,
    });
    let view = succeed(run, vec![], outcomes)?;
    Ok(TrainedRun {
        view,
        model_dir: dir.to_path_buf(),
        model_sha256,
        samples_per_s: trained.samples_per_s,
        result: TrainResult::Lm {
            val: trained.val,
            test: trained.test,
            chars_per_s: trained.chars_per_s,
            samples,
        },
        config: trained.config,
    })
}
