//! `optimize prune` and `optimize quantize`: a new model made from a trained one, metered as a
//! `train` run tagged `optimize=prune|quantize`, written with its lineage (`parent` in its
//! `config.json`), and measured against its parent on the parent's own held-out test split.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::json;
use sustain_core::run::{RunKind, RunView};
use sustain_core::units::Energy;

use super::data;
use super::{StartMeter, fail, start, succeed, tags, with_user_tags};
use crate::config::{Parent, TrainConfig};
use crate::dataset::Tabular;
use crate::error::{Result, TrainError};
use crate::int8::Granularity;
use crate::metrics::{Metrics, metrics};
use crate::optimize::{self, Activations, PruneKind, PruneScope, Pruning, Quantization};
use crate::runtime;
use crate::task::Task;
use crate::trainer::{self, EpochLog, WEIGHTS_FILE};

/// What the user asked to prune.
#[derive(Debug, Clone)]
pub struct PruneRequest {
    /// The trained model.
    pub model: PathBuf,
    /// Fraction of weights (unstructured) or units (structured) to remove, in [0, 1).
    pub sparsity: f64,
    /// Unstructured or structured.
    pub kind: PruneKind,
    /// Global or per-layer threshold (unstructured).
    pub scope: PruneScope,
    /// Recovery fine-tuning epochs (0: none).
    pub finetune_epochs: usize,
    /// Learning rate of the fine-tuning (default: the model's own).
    pub lr: Option<f64>,
    /// Where the new model goes.
    pub out: PathBuf,
    /// User tags.
    pub tags: Vec<String>,
}

/// What the user asked to quantize.
#[derive(Debug, Clone)]
pub struct QuantizeRequest {
    /// The trained (f32) model.
    pub model: PathBuf,
    /// Per tensor or per channel weights.
    pub granularity: Granularity,
    /// A dataset to calibrate activation scales on (its training split); `None`: dynamic.
    pub calibrate: Option<String>,
    /// Where the new model goes.
    pub out: PathBuf,
    /// User tags.
    pub tags: Vec<String>,
}

/// One side of the trade-off.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    /// The model directory.
    pub model: String,
    /// Metrics on the parent's test split.
    pub test: Metrics,
    /// Bytes of its weights file.
    pub size_bytes: u64,
    /// Parameters (weights and biases).
    pub params: u64,
    /// Non-zero parameters.
    pub nonzero_params: u64,
    /// `f32` or `int8`.
    pub precision: &'static str,
}

/// A finished, recorded optimization.
#[derive(Debug, Clone)]
pub struct Optimized {
    /// The run as recorded.
    pub view: RunView,
    /// `prune` or `quantize`.
    pub step: &'static str,
    /// The new model.
    pub child: Side,
    /// Its parent.
    pub parent: Side,
    /// The new model's configuration (with its pruning or quantization record).
    pub config: TrainConfig,
}

impl Optimized {
    /// What `sustain optimize ... --json` prints.
    pub fn json(&self) -> serde_json::Value {
        let mut j = json!({
            "run_id": self.view.start.id,
            "step": self.step,
            "model": self.child.model,
            "parent": self.parent.model,
            "test": self.child.test,
            "size_bytes": self.child.size_bytes,
            "params": self.child.params,
            "nonzero_params": self.child.nonzero_params,
            "precision": self.child.precision,
            "parent_metrics": {
                "test": self.parent.test,
                "size_bytes": self.parent.size_bytes,
                "params": self.parent.params,
                "nonzero_params": self.parent.nonzero_params,
                "precision": self.parent.precision,
            },
            "energy": self.view.json().energy,
        });
        if let Some(p) = &self.config.pruning {
            j["pruning"] = json!(p);
        }
        if let Some(q) = &self.config.quantization {
            j["quantization"] = json!(q);
        }
        if let Some(w) = &self.config.widths {
            j["widths"] = json!(w);
        }
        j
    }
}

/// The output directory must not be the model's own.
fn check_out(model: &Path, out: &Path) -> Result<()> {
    let same = match (model.canonicalize(), out.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => model == out,
    };
    if same {
        return Err(TrainError::Input(format!(
            "--out {} is the model's own directory; give a new directory so the parent stays as it is",
            out.display()
        )));
    }
    Ok(())
}

/// Starts the metered `train` run of a step, tagged with the new model, its parent and the step.
fn start_step<M: StartMeter>(
    meter: &M,
    config: &TrainConfig,
    parent: &Parent,
    out: &Path,
    user_tags: &[String],
) -> Result<sustain_meter::Background<M::Sink>> {
    let run_tags = with_user_tags(
        tags([
            ("task", config.task.to_string()),
            ("dataset", config.dataset.clone()),
            ("model", out.display().to_string()),
            ("parent", parent.path.clone()),
            ("optimize", parent.step.clone()),
        ]),
        user_tags,
    )?;
    start(meter, RunKind::Train, config.task.as_str(), run_tags)
}

fn parent_of(model: &Path, step: &str) -> Result<Parent> {
    Ok(Parent {
        path: model.display().to_string(),
        weights_sha256: trainer::weights_sha256(model)?,
        step: step.into(),
    })
}

/// A model's side of the trade-off on `test`.
fn measure(dir: &Path, test: &Tabular) -> Result<Side> {
    let loaded = runtime::open(dir)?;
    let pred = loaded.predict_classes(test)?;
    let (params, nonzero_params) = loaded.param_counts();
    Ok(Side {
        model: dir.display().to_string(),
        test: metrics(&pred, &test.y, &loaded.config.classes),
        size_bytes: loaded.size_bytes()?,
        params,
        nonzero_params,
        precision: loaded.precision().as_str(),
    })
}

/// Prunes the request's model, fine-tunes it when asked, and measures both, metered by
/// `meter`; `on_epoch` sees each fine-tuning epoch with the energy so far.
pub fn prune<M: StartMeter>(
    req: PruneRequest,
    meter: &M,
    on_epoch: &mut dyn FnMut(&EpochLog, Energy, usize),
) -> Result<Optimized> {
    crate::set_flush_denormals();
    optimize::check_sparsity(req.sparsity)?;
    check_out(&req.model, &req.out)?;
    let config = trainer::read_config(&req.model)?;
    if config.task == Task::CharGpt {
        return Err(TrainError::Input(
            "pruning works on classifiers (tabular-mlp, digits-cnn, text-lstm); a char-gpt model is measured by perplexity, which `optimize` does not score yet".into(),
        ));
    }
    if req.kind == PruneKind::Structured
        && !matches!(config.task, Task::TabularMlp | Task::DigitsCnn)
    {
        return Err(TrainError::Input(format!(
            "--structured removes neurons and channels of tabular-mlp and digits-cnn models; {} is a {} model: prune it without --structured",
            req.model.display(),
            config.task
        )));
    }
    if let Some(lr) = req.lr
        && !(lr.is_finite() && lr > 0.0)
    {
        return Err(TrainError::Invalid {
            what: "--lr".into(),
            value: lr.to_string(),
            expected: "a learning rate > 0, such as 0.0005".into(),
        });
    }
    let device = trainer::device_for(config.device, config.seed)?;
    let (model, config) = trainer::load(&req.model, &device)?;
    let splits = data::own_splits(&config)?;
    let parent = parent_of(&req.model, "prune")?;
    let run = start_step(meter, &config, &parent, &req.out, &req.tags)?;
    let work = (|| -> Result<(Side, Side, TrainConfig)> {
        let parent_side = measure(&req.model, &splits.test)?;
        let pruned = optimize::prune(model, req.kind, req.scope, req.sparsity, &device)?;
        let mut child = config.clone();
        child.widths = pruned.widths.clone();
        child.parent = Some(parent);
        child.pruning = Some(Pruning {
            kind: req.kind,
            scope: match req.kind {
                PruneKind::Unstructured => req.scope,
                PruneKind::Structured => PruneScope::PerLayer,
            },
            sparsity: req.sparsity,
            weights_before: pruned.weights_before,
            weights_after: pruned.weights_after,
            finetune_epochs: req.finetune_epochs,
        });
        let model = if req.finetune_epochs > 0 {
            let mut tune = child.clone();
            tune.epochs = req.finetune_epochs;
            tune.lr = req.lr.unwrap_or(config.lr);
            let masks = pruned.masks.clone();
            let epochs = req.finetune_epochs;
            let trained = trainer::fit_from(
                pruned.model,
                tune,
                splits.clone(),
                &device,
                |l| {
                    on_epoch(l, run.energy_so_far(), epochs);
                    true
                },
                |m| match &masks {
                    Some(masks) => masks.apply(m),
                    None => m,
                },
            )?;
            trained.model
        } else {
            pruned.model
        };
        trainer::save(&model, &child, &req.out)?;
        let child_side = measure(&req.out, &splits.test)?;
        Ok((child_side, parent_side, child))
    })();
    finish(run, "prune", work)
}

/// Quantizes the request's model to int8 (calibrating when asked) and measures both, metered
/// by `meter`.
pub fn quantize<M: StartMeter>(req: QuantizeRequest, meter: &M) -> Result<Optimized> {
    crate::set_flush_denormals();
    check_out(&req.model, &req.out)?;
    let device = burn::tensor::Device::flex();
    let (model, config) = trainer::load(&req.model, &device)?;
    if !matches!(config.task, Task::TabularMlp | Task::DigitsCnn) {
        return Err(TrainError::Input(format!(
            "the int8 path runs tabular-mlp and digits-cnn models; {} is a {} model (prune it instead)",
            req.model.display(),
            config.task
        )));
    }
    let splits = data::own_splits(&config)?;
    let calibration = match req.calibrate.as_deref() {
        None => None,
        Some(spec) if spec == config.dataset => Some(splits.train.clone()),
        Some(spec) => {
            let mut t = data::load_eval_table(spec, None, None, config.inputs)?;
            if t.width() != config.inputs {
                return Err(TrainError::Input(format!(
                    "--calibrate {spec}: {} features; the model takes {}",
                    t.width(),
                    config.inputs
                )));
            }
            config.standardizer.apply(&mut t);
            Some(t)
        }
    };
    let parent = parent_of(&req.model, "quantize")?;
    let run = start_step(meter, &config, &parent, &req.out, &req.tags)?;
    let work = (|| -> Result<(Side, Side, TrainConfig)> {
        let parent_side = measure(&req.model, &splits.test)?;
        let mut q = optimize::quantize(&model, req.granularity)?;
        let activations = match (&calibration, &req.calibrate) {
            (Some(t), Some(spec)) => {
                optimize::calibrate(&mut q, &t.x, t.rows())?;
                Activations::Calibrated {
                    dataset: spec.clone(),
                    rows: t.rows(),
                }
            }
            _ => Activations::Dynamic,
        };
        let mut child = config.clone();
        child.parent = Some(parent);
        child.quantization = Some(Quantization::int8(req.granularity, activations));
        std::fs::create_dir_all(&req.out).map_err(|source| TrainError::Write {
            path: req.out.clone(),
            source,
        })?;
        q.save(&req.out.join(WEIGHTS_FILE))?;
        trainer::save_config(&child, &req.out)?;
        let child_side = measure(&req.out, &splits.test)?;
        Ok((child_side, parent_side, child))
    })();
    finish(run, "quantize", work)
}

fn finish<S: sustain_core::sink::RunSink>(
    run: sustain_meter::Background<S>,
    step: &'static str,
    work: Result<(Side, Side, TrainConfig)>,
) -> Result<Optimized> {
    let (child, parent, config) = match work {
        Ok(w) => w,
        Err(e) => return Err(fail(run, e)),
    };
    let model_sha256 = match trainer::weights_sha256(Path::new(&child.model)) {
        Ok(h) => h,
        Err(e) => return Err(fail(run, e)),
    };
    let outcomes = json!({
        "metrics": {"test": {
            "accuracy": child.test.accuracy,
            "precision": child.test.precision,
            "recall": child.test.recall,
            "f1": child.test.f1,
        }},
        "model_path": child.model,
        "model_sha256": model_sha256,
        "parent_path": parent.model,
        "parent_sha256": config.parent.as_ref().map(|p| p.weights_sha256.clone()),
        "dataset_sha256": config.dataset_sha256,
        "optimize": step,
        "size_bytes": child.size_bytes,
        "nonzero_params": child.nonzero_params,
        "parent_accuracy": parent.test.accuracy,
        "parent_size_bytes": parent.size_bytes,
    });
    let view = succeed(run, vec![], outcomes)?;
    Ok(Optimized {
        view,
        step,
        child,
        parent,
        config,
    })
}
