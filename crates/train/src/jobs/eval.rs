//! `eval`: a trained model on its own test split or on a user's data, with fairness metrics
//! over a protected attribute when asked.

use std::path::PathBuf;

use serde_json::json;
use sustain_core::run::{RunKind, RunView};

use super::data::{self, Data};
use super::{StartMeter, fail, start, succeed, tags, with_user_tags};
use crate::config::TrainConfig;
use crate::dataset::Tabular;
use crate::error::{Result, TrainError};
use crate::fairness::{self, Fairness};
use crate::lm::{self, LmMetrics};
use crate::metrics::{Metrics, metrics};
use crate::runtime;
use crate::task::Task;
use crate::trainer::{self, Model};

/// Default size under which a group is flagged as too small for its rates to be reliable.
pub const DEFAULT_MIN_GROUP_SIZE: u64 = 30;

/// What the user asked to evaluate.
#[derive(Debug, Clone)]
pub struct EvalRequest {
    /// A directory written by `train`.
    pub model: PathBuf,
    /// Dataset (default: the test split of the model's own dataset).
    pub dataset: Option<String>,
    /// Label column of a CSV or JSONL dataset.
    pub label: Option<String>,
    /// Text column of a text dataset.
    pub text_column: Option<String>,
    /// Protected attribute for fairness metrics.
    pub sensitive: Option<String>,
    /// The favourable class.
    pub positive: Option<String>,
    /// Groups with fewer rows are flagged.
    pub min_group_size: u64,
    /// User tags, `KEY=VALUE`.
    pub tags: Vec<String>,
}

/// The metrics of an evaluation.
#[derive(Debug, Clone)]
pub enum EvalResult {
    /// A classifier's metrics, and fairness when asked.
    Classifier {
        /// Metrics on the data.
        test: Metrics,
        /// Fairness over the protected attribute (boxed: large, and often absent).
        fairness: Option<Box<Fairness>>,
    },
    /// A language model's metrics.
    Lm {
        /// Metrics on the scored text.
        test: LmMetrics,
    },
}

/// A finished, recorded evaluation.
#[derive(Debug, Clone)]
pub struct Evaluated {
    /// The run as recorded.
    pub view: RunView,
    /// The model evaluated.
    pub model_dir: PathBuf,
    /// Its metrics.
    pub result: EvalResult,
}

impl Evaluated {
    /// What `sustain eval --json` prints.
    pub fn json(&self) -> serde_json::Value {
        let energy = self.view.json().energy;
        match &self.result {
            EvalResult::Classifier { test, fairness } => {
                let mut j = json!({"run_id": self.view.start.id, "metrics": {"test": test}, "energy": energy});
                if let Some(f) = fairness {
                    j["fairness"] = json!(f);
                }
                j
            }
            EvalResult::Lm { test } => {
                json!({"run_id": self.view.start.id, "metrics": {"test": test}, "energy": energy})
            }
        }
    }
}

/// Evaluates the request's model, metered by `meter`.
pub fn eval<M: StartMeter>(req: EvalRequest, meter: &M) -> Result<Evaluated> {
    crate::set_flush_denormals();
    let loaded = runtime::open(&req.model)?;
    let config = loaded.config.clone();
    if config.task == Task::CharGpt {
        return eval_lm(req, meter, loaded.f32_model()?, config);
    }
    let (mut data, whole) = match (&req.dataset, &config.vocab) {
        (None, _) => (data::own_splits(&config)?.test, false),
        (Some(spec), None) => (
            data::load_eval_table(
                spec,
                req.label.as_deref(),
                req.sensitive.as_deref(),
                config.inputs,
            )?,
            true,
        ),
        (Some(spec), Some(vocab)) => {
            let Data::Text(d) = data::load(
                config.task,
                Some(spec),
                req.label.as_deref(),
                req.text_column.as_deref(),
            )?
            else {
                return Err(TrainError::Input(format!("{spec} is not a text dataset")));
            };
            let idx: Vec<usize> = (0..d.rows()).collect();
            let mut t = d.encode(&idx, vocab);
            t.classes = d.classes.clone();
            (t, false)
        }
    };
    if data.classes != config.classes {
        return Err(TrainError::Input(format!(
            "dataset {} has classes {:?}; the model predicts {:?}",
            data.name, data.classes, config.classes
        )));
    }
    if whole {
        if data.width() != config.inputs {
            return Err(TrainError::Input(format!(
                "dataset {} has {} features; the model takes {}",
                data.name,
                data.width(),
                config.inputs
            )));
        }
        config.standardizer.apply(&mut data);
    }
    let run_tags = tags([
        ("task", config.task.to_string()),
        ("dataset", data.name.clone()),
        ("model", req.model.display().to_string()),
    ]);
    let run_tags = with_user_tags(run_tags, &req.tags)?;
    // Fairness settings are checked before the meter starts, so bad input records nothing.
    let fairness_opts = match &req.sensitive {
        Some(col) => Some(fairness_options(&req, col, &data, &config)?),
        None => None,
    };
    let run = start(meter, RunKind::Eval, config.task.as_str(), run_tags)?;
    let pred = match loaded.predict_classes(&data) {
        Ok(p) => p,
        Err(e) => return Err(fail(run, e)),
    };
    let m = metrics(&pred, &data.y, &config.classes);
    let fair = match &fairness_opts {
        Some(o) => match fairness::fairness(&data.y, &pred, &data.attributes[&o.attribute], o) {
            Ok(f) => Some(f),
            Err(e) => return Err(fail(run, TrainError::Input(e.to_string()))),
        },
        None => None,
    };
    let mut outcomes = json!({
        "metrics": {"test": {"accuracy": m.accuracy, "precision": m.precision, "recall": m.recall, "f1": m.f1}},
        "model_path": req.model.display().to_string(),
        "precision": loaded.precision().as_str(),
        "dataset": data.name,
    });
    if let Some(f) = &fair {
        outcomes["fairness"] = json!(f);
    }
    let view = succeed(run, vec![], outcomes)?;
    Ok(Evaluated {
        view,
        model_dir: req.model,
        result: EvalResult::Classifier {
            test: m,
            fairness: fair.map(Box::new),
        },
    })
}

/// Checks `--sensitive`, `--positive` and `--min-group-size` against the data and the model.
fn fairness_options(
    req: &EvalRequest,
    col: &str,
    data: &Tabular,
    config: &TrainConfig,
) -> Result<fairness::Options> {
    if config.vocab.is_some() {
        return Err(TrainError::Input(format!(
            "--sensitive works with tabular models, whose CSV rows carry the attribute; {} is a {} model",
            req.model.display(),
            config.task
        )));
    }
    if !data.attributes.contains_key(col) {
        let known: Vec<&str> = data.attributes.keys().map(String::as_str).collect();
        return Err(TrainError::Input(if known.is_empty() {
            format!(
                "dataset {} has no protected attribute '{col}'; give --dataset FILE.csv with a column '{col}'",
                data.name
            )
        } else {
            format!(
                "dataset {} has no protected attribute '{col}'; it has: {}",
                data.name,
                known.join(", ")
            )
        }));
    }
    if req.min_group_size == 0 {
        return Err(TrainError::Input(
            "--min-group-size must be at least 1".into(),
        ));
    }
    let classes = &config.classes;
    let positive = match &req.positive {
        Some(p) => classes.iter().position(|c| c == p).ok_or_else(|| {
            TrainError::Input(format!(
                "--positive {p:?} is not a class of the model; its classes are: {}",
                classes.join(", ")
            ))
        })?,
        None if classes.len() == 2 => 1,
        None => {
            return Err(TrainError::Input(format!(
                "the model has {} classes; name the favourable one with --positive (one of {})",
                classes.len(),
                classes.join(", ")
            )));
        }
    };
    Ok(fairness::Options {
        attribute: col.to_string(),
        positive,
        positive_name: classes[positive].clone(),
        min_group_size: req.min_group_size,
        seed: config.seed,
    })
}

/// `eval` of a char-gpt model: the test part of its corpus, or a whole text file (whose own
/// character frequencies then give the unigram baseline).
fn eval_lm<M: StartMeter>(
    req: EvalRequest,
    meter: &M,
    model: &Model,
    config: TrainConfig,
) -> Result<Evaluated> {
    let Model::Gpt(gpt) = model else {
        return Err(TrainError::Input(
            "a char-gpt checkpoint without a transformer".into(),
        ));
    };
    let vocab = config
        .vocab
        .as_ref()
        .ok_or_else(|| TrainError::Input("char-gpt config without a vocabulary".into()))?;
    let spec = req.dataset.as_deref().unwrap_or(&config.dataset);
    let Data::Corpus(corpus) = data::load(Task::CharGpt, Some(spec), None, None)? else {
        return Err(TrainError::Input(format!("{spec} is not a text corpus")));
    };
    let (baseline, part) = if req.dataset.is_none() {
        let split = lm::lm_split(&corpus, vocab)?;
        (split.train, split.test)
    } else {
        let ids = lm::char_ids(vocab, &corpus.text);
        (ids.clone(), ids)
    };
    let context = gpt.context();
    if part.len() <= context + 1 {
        return Err(TrainError::Input(format!(
            "{} has {} characters to score; the model reads windows of {}: give a longer text",
            corpus.name,
            part.len(),
            context + 1
        )));
    }
    let run_tags = tags([
        ("task", config.task.to_string()),
        ("dataset", corpus.name.clone()),
        ("model", req.model.display().to_string()),
    ]);
    let run_tags = with_user_tags(run_tags, &req.tags)?;
    let run = start(meter, RunKind::Eval, config.task.as_str(), run_tags)?;
    let device = trainer::device(0);
    let m = lm::evaluate_lm(gpt, &baseline, &part, vocab.len(), &device);
    let view = succeed(
        run,
        vec![],
        json!({"metrics": {"test": m}, "model_path": req.model.display().to_string()}),
    )?;
    Ok(Evaluated {
        view,
        model_dir: req.model,
        result: EvalResult::Lm { test: m },
    })
}
