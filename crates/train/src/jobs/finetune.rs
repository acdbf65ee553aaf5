//! `finetune`: a trained model reused on new data (transfer learning), some layers frozen, a
//! new output layer when the classes differ; optionally beside the same model trained from
//! scratch on the same data until it reaches the fine-tuned model's validation accuracy, so
//! the energy saved is measured, not assumed.

use std::path::PathBuf;

use serde_json::json;
use sustain_core::run::{RunKind, RunView};
use sustain_core::units::Energy;

use super::data::{self, Data};
use super::{StartMeter, fail, start, succeed, tags, with_user_tags};
use crate::config::{Parent, TrainConfig};
use crate::error::{Result, TrainError};
use crate::metrics::Metrics;
use crate::optimize::{self, Freeze};
use crate::task::Task;
use crate::trainer::{self, EpochLog, Prepared};

/// Default fine-tuning epochs.
pub const DEFAULT_FINETUNE_EPOCHS: usize = 5;

/// What the user asked to fine-tune.
#[derive(Debug, Clone)]
pub struct FinetuneRequest {
    /// The trained model.
    pub from: PathBuf,
    /// The new data.
    pub dataset: String,
    /// Label column of a CSV or JSONL dataset.
    pub label: Option<String>,
    /// Text column of a text dataset.
    pub text_column: Option<String>,
    /// Layers kept as they are.
    pub freeze: Freeze,
    /// Epochs (default [`DEFAULT_FINETUNE_EPOCHS`]).
    pub epochs: Option<usize>,
    /// Learning rate (default: the model's own).
    pub lr: Option<f64>,
    /// Where the new model goes.
    pub out: PathBuf,
    /// Also train the same model from scratch to the same validation accuracy, for comparison.
    pub scratch: bool,
    /// Most epochs of the from-scratch training (default: three times the model's own).
    pub scratch_max_epochs: Option<usize>,
    /// User tags.
    pub tags: Vec<String>,
}

/// One training of the comparison.
#[derive(Debug, Clone)]
pub struct Training {
    /// Its metered run.
    pub view: RunView,
    /// Epochs run.
    pub epochs: usize,
    /// Metrics on the new data's test split.
    pub test: Metrics,
    /// Validation accuracy after the last epoch.
    pub val_accuracy: f64,
}

/// A finished fine-tuning.
#[derive(Debug, Clone)]
pub struct Finetuned {
    /// The fine-tuning.
    pub tuned: Training,
    /// The from-scratch baseline, when asked; `reached` says whether it got to the fine-tuned
    /// validation accuracy within its epochs.
    pub scratch: Option<(Training, bool)>,
    /// The new model's directory.
    pub model_dir: PathBuf,
    /// Its configuration.
    pub config: TrainConfig,
    /// Frozen layers.
    pub frozen: Vec<String>,
    /// Whether the output layer is new (other classes).
    pub new_head: bool,
}

impl Finetuned {
    /// What `sustain finetune --json` prints.
    pub fn json(&self) -> serde_json::Value {
        let wh = |v: &RunView| v.json().energy.total_wh;
        let mut j = json!({
            "run_id": self.tuned.view.start.id,
            "model": self.model_dir.display().to_string(),
            "parent": self.config.parent.as_ref().map(|p| p.path.clone()),
            "dataset": self.config.dataset,
            "test": self.tuned.test,
            "val_accuracy": self.tuned.val_accuracy,
            "epochs": self.tuned.epochs,
            "frozen": self.frozen,
            "new_head": self.new_head,
            "energy": self.tuned.view.json().energy,
        });
        if let Some((s, reached)) = &self.scratch {
            j["scratch"] = json!({
                "run_id": s.view.start.id,
                "epochs": s.epochs,
                "test": s.test,
                "val_accuracy": s.val_accuracy,
                "reached": reached,
                "energy": s.view.json().energy,
            });
            if let (Some(t), Some(b)) = (wh(&self.tuned.view), wh(&s.view))
                && b > 0.0
            {
                j["energy_ratio"] = json!(t / b);
            }
        }
        j
    }
}

/// Fine-tunes the request's model, metered by `meter`; `on_epoch` sees every epoch of both
/// trainings with the energy so far.
pub fn finetune<M: StartMeter>(
    req: FinetuneRequest,
    meter: &M,
    on_epoch: &mut dyn FnMut(&EpochLog, Energy, usize),
) -> Result<Finetuned> {
    crate::set_flush_denormals();
    let parent_config = trainer::read_config(&req.from)?;
    if parent_config.task == Task::CharGpt {
        return Err(TrainError::Input(
            "fine-tuning works on classifiers (tabular-mlp, digits-cnn, text-lstm); continue a char-gpt model by training it on the new text".into(),
        ));
    }
    if req.out == req.from {
        return Err(TrainError::Input(format!(
            "--out {} is the model's own directory; give a new directory",
            req.out.display()
        )));
    }
    let frozen = req.freeze.layers(parent_config.task)?;
    let epochs = req.epochs.unwrap_or(DEFAULT_FINETUNE_EPOCHS);
    let data = data::load(
        parent_config.task,
        Some(&req.dataset),
        req.label.as_deref(),
        req.text_column.as_deref(),
    )?;
    let prepared = match &data {
        Data::Table(t) => {
            if t.width() != parent_config.inputs {
                return Err(TrainError::Input(format!(
                    "incompatible input shapes: dataset {} has {} features per row; {} takes {} ({}): fine-tune on data of the same shape",
                    t.name,
                    t.width(),
                    req.from.display(),
                    parent_config.inputs,
                    parent_config.task
                )));
            }
            trainer::prepare(t, parent_config.seed)?
        }
        Data::Text(t) => {
            let vocab = parent_config.vocab.as_ref().ok_or_else(|| {
                TrainError::Input(format!("{} has no vocabulary", req.from.display()))
            })?;
            trainer::prepare_text(t, parent_config.seed, Some(vocab))?.0
        }
        Data::Corpus(_) => {
            return Err(TrainError::Input(
                "a corpus has no classes to fine-tune on".into(),
            ));
        }
    };
    let classes = data.classes();
    let new_head = classes != parent_config.classes;
    if new_head && frozen.iter().any(|l| l == "out") {
        return Err(TrainError::Invalid {
            what: "--freeze".into(),
            value: "out".into(),
            expected: format!(
                "layers other than out: the new data's classes ({}) differ from the model's, so its output layer is new and must train",
                classes.join(", ")
            ),
        });
    }
    let mut config = parent_config.clone();
    config.dataset = data.name().to_string();
    config.dataset_sha256 = data.sha256().to_string();
    config.classes = classes.clone();
    config.standardizer = prepared.standardizer.clone();
    config.epochs = epochs;
    config.lr = req.lr.unwrap_or(parent_config.lr);
    config.pruning = None;
    config.quantization = None;
    config.parent = Some(Parent {
        path: req.from.display().to_string(),
        weights_sha256: trainer::weights_sha256(&req.from)?,
        step: "finetune".into(),
    });
    config.validate()?;
    let device = trainer::device_for(config.device, config.seed)?;
    let (model, _) = trainer::load(&req.from, &device)?;
    let model = if new_head {
        optimize::with_new_head(model, classes.len(), &device)?
    } else {
        model
    };
    let model = optimize::freeze(model, &frozen);

    let base_tags = |extra: [(&str, String); 2]| {
        let mut t = tags([
            ("task", config.task.to_string()),
            ("dataset", config.dataset.clone()),
            ("dataset_sha256", config.dataset_sha256.clone()),
        ]);
        t.extend(extra.into_iter().map(|(k, v)| (k.to_string(), v)));
        with_user_tags(t, &req.tags)
    };
    // Every tag is checked before anything runs.
    let scratch_tags = base_tags([
        ("baseline_of", req.out.display().to_string()),
        ("optimize", "finetune-baseline".into()),
    ])?;
    let run = start(
        meter,
        RunKind::Train,
        config.task.as_str(),
        base_tags([
            ("model", req.out.display().to_string()),
            ("optimize", "finetune".into()),
        ])?
        .into_iter()
        .chain([("parent".to_string(), req.from.display().to_string())])
        .collect(),
    )?;
    let trained = trainer::fit_from(
        model,
        config.clone(),
        prepared.clone(),
        &device,
        |l| {
            on_epoch(l, run.energy_so_far(), epochs);
            true
        },
        |m| m,
    );
    let trained = match trained.and_then(|t| {
        trainer::save(&t.model, &config, &req.out)?;
        Ok(t)
    }) {
        Ok(t) => t,
        Err(e) => return Err(fail(run, e)),
    };
    let val_accuracy = trained.history.last().map_or(0.0, |h| h.val_accuracy);
    let view = succeed(
        run,
        vec![],
        json!({
            "metrics": {"test": {"accuracy": trained.test.accuracy, "precision": trained.test.precision, "recall": trained.test.recall, "f1": trained.test.f1}},
            "model_path": req.out.display().to_string(),
            "parent_path": req.from.display().to_string(),
            "optimize": "finetune",
            "frozen": frozen,
            "new_head": new_head,
            "epochs": trained.history.len(),
            "val_accuracy": val_accuracy,
        }),
    )?;
    let tuned = Training {
        view,
        epochs: trained.history.len(),
        test: trained.test,
        val_accuracy,
    };
    let scratch = if req.scratch {
        let max = req
            .scratch_max_epochs
            .unwrap_or(parent_config.epochs.saturating_mul(3).max(1));
        Some(scratch(
            &req,
            meter,
            &config,
            prepared,
            max,
            val_accuracy,
            scratch_tags,
            on_epoch,
        )?)
    } else {
        None
    };
    Ok(Finetuned {
        tuned,
        scratch,
        model_dir: req.out,
        config,
        frozen,
        new_head,
    })
}

/// Trains the same architecture from scratch on the same data until its validation accuracy
/// reaches `target` or `max` epochs pass, as its own metered `train` run.
#[allow(clippy::too_many_arguments)]
fn scratch<M: StartMeter>(
    req: &FinetuneRequest,
    meter: &M,
    config: &TrainConfig,
    prepared: Prepared,
    max: usize,
    target: f64,
    run_tags: std::collections::BTreeMap<String, String>,
    on_epoch: &mut dyn FnMut(&EpochLog, Energy, usize),
) -> Result<(Training, bool)> {
    let mut config = config.clone();
    config.epochs = max;
    config.lr = crate::trainer::read_config(&req.from)?.lr;
    config.parent = None;
    let device = trainer::device_for(config.device, config.seed)?;
    let model = trainer::new_model(&config, &device)?;
    let run = start(meter, RunKind::Train, config.task.as_str(), run_tags)?;
    let mut reached = false;
    let trained = trainer::fit_from(
        model,
        config,
        prepared,
        &device,
        |l| {
            on_epoch(l, run.energy_so_far(), max);
            reached = l.val_accuracy >= target;
            !reached
        },
        |m| m,
    );
    let trained = match trained {
        Ok(t) => t,
        Err(e) => return Err(fail(run, e)),
    };
    let val_accuracy = trained.history.last().map_or(0.0, |h| h.val_accuracy);
    let view = succeed(
        run,
        vec![],
        json!({
            "metrics": {"test": {"accuracy": trained.test.accuracy, "f1": trained.test.f1}},
            "baseline_of": req.out.display().to_string(),
            "target_val_accuracy": target,
            "reached": reached,
            "epochs": trained.history.len(),
        }),
    )?;
    Ok((
        Training {
            view,
            epochs: trained.history.len(),
            test: trained.test,
            val_accuracy,
        },
        reached,
    ))
}
