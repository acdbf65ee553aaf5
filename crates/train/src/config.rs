//! Typed, serialisable training configuration, saved next to every model.

use serde::{Deserialize, Serialize};

use crate::dataset::Standardizer;
use crate::error::{Result, TrainError};
use crate::gpt::GptShape;
use crate::task::Task;
use crate::text::Vocab;

/// Optimizers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum Optimizer {
    /// Plain stochastic gradient descent.
    Sgd,
    /// SGD with momentum 0.9 (no dampening).
    SgdMomentum,
    /// Adam (β1 0.9, β2 0.999).
    Adam,
    /// AdamW (weight decay 0.01).
    Adamw,
}

impl Optimizer {
    /// Parses a name.
    pub fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "sgd" => Optimizer::Sgd,
            "sgd-momentum" => Optimizer::SgdMomentum,
            "adam" => Optimizer::Adam,
            "adamw" => Optimizer::Adamw,
            other => {
                return Err(TrainError::Invalid {
                    what: "--optimizer".into(),
                    value: other.into(),
                    expected: "one of sgd, sgd-momentum, adam, adamw".into(),
                });
            }
        })
    }
}

/// Losses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum Loss {
    /// Softmax cross-entropy over the classes.
    #[cfg_attr(feature = "clap", value(alias = "ce"))]
    CrossEntropy,
    /// Binary cross-entropy on the positive class's logit (two classes only).
    Bce,
    /// Mean squared error between softmax probabilities and one-hot targets.
    Mse,
}

impl Loss {
    /// Parses a name.
    pub fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "cross-entropy" | "ce" => Loss::CrossEntropy,
            "bce" => Loss::Bce,
            "mse" => Loss::Mse,
            other => {
                return Err(TrainError::Invalid {
                    what: "--loss".into(),
                    value: other.into(),
                    expected: "one of cross-entropy, bce, mse".into(),
                });
            }
        })
    }
}

/// Where a model trains: burn's CPU backend, or an NVIDIA GPU in a build with the `cuda`
/// feature. Written as `cpu`, `cuda` or `cuda:N` (flags and saved configs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum DeviceSpec {
    /// The CPU.
    #[default]
    Cpu,
    /// A CUDA device: `cuda` (the first) or `cuda:N`.
    Cuda(Option<usize>),
}

impl std::str::FromStr for DeviceSpec {
    type Err = TrainError;
    fn from_str(s: &str) -> Result<Self> {
        let bad = |expected: &str| TrainError::Invalid {
            what: "--device".into(),
            value: s.into(),
            expected: expected.into(),
        };
        match s {
            "cpu" => Ok(DeviceSpec::Cpu),
            "cuda" => Ok(DeviceSpec::Cuda(None)),
            _ => match s.strip_prefix("cuda:") {
                Some(i) => i
                    .parse()
                    .map(|i| DeviceSpec::Cuda(Some(i)))
                    .map_err(|_| bad("cuda:N with N a GPU index, such as cuda:0")),
                None => Err(bad("cpu, cuda or cuda:N")),
            },
        }
    }
}

impl std::fmt::Display for DeviceSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeviceSpec::Cpu => f.write_str("cpu"),
            DeviceSpec::Cuda(None) => f.write_str("cuda"),
            DeviceSpec::Cuda(Some(i)) => write!(f, "cuda:{i}"),
        }
    }
}

impl TryFrom<String> for DeviceSpec {
    type Error = TrainError;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

impl From<DeviceSpec> for String {
    fn from(d: DeviceSpec) -> String {
        d.to_string()
    }
}

/// Everything needed to reproduce a training run and to load its model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// The task.
    pub task: Task,
    /// Dataset name or path.
    pub dataset: String,
    /// SHA-256 of the dataset's bytes.
    pub dataset_sha256: String,
    /// Seed of splits, initialization and batch order.
    pub seed: u64,
    /// Epochs.
    pub epochs: usize,
    /// Batch size (>= training rows: full-batch gradient descent; 1: per-sample SGD).
    pub batch_size: usize,
    /// Optimizer.
    pub optimizer: Optimizer,
    /// Learning rate.
    pub lr: f64,
    /// Loss.
    pub loss: Loss,
    /// Number of input features.
    pub inputs: usize,
    /// Class names.
    pub classes: Vec<String>,
    /// Feature standardization fitted on the training split.
    pub standardizer: Standardizer,
    /// Token vocabulary (`text-lstm`: words; `char-gpt`: characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vocab: Option<Vocab>,
    /// Device it trains on: `cpu`, or `cuda` / `cuda:N` in a build with the `cuda` feature.
    #[serde(default)]
    pub device: DeviceSpec,
    /// Shape of a `char-gpt` model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpt: Option<GptShape>,
    /// Widths of the hidden layers when they are not the task's defaults (a model shrunk by
    /// structured pruning): `tabular-mlp` `[hidden1, hidden2]`, `digits-cnn` `[conv1 channels,
    /// conv2 channels, dense units]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub widths: Option<Vec<usize>>,
    /// Augmentations applied to its training batches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub augment: Option<crate::augment::Augment>,
    /// The model this one was made from (by pruning, quantization or fine-tuning).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<Parent>,
    /// How its weights were pruned, when they were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pruning: Option<crate::optimize::Pruning>,
    /// Its int8 scheme, when its weights file holds int8 weights.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantization: Option<crate::optimize::Quantization>,
}

/// A model's parent: where it was and the SHA-256 of its weights file (its version).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parent {
    /// The parent's directory, as given.
    pub path: String,
    /// SHA-256 of the parent's weights file.
    pub weights_sha256: String,
    /// What made this model from it: `prune`, `quantize` or `finetune`.
    pub step: String,
}

impl TrainConfig {
    /// Checks options that do not depend on the data.
    pub fn validate(&self) -> Result<()> {
        let bad = |what: &str, value: String, expected: &str| TrainError::Invalid {
            what: what.into(),
            value,
            expected: expected.into(),
        };
        if self.epochs == 0 || self.epochs > 100_000 {
            return Err(bad(
                "--epochs",
                self.epochs.to_string(),
                "a whole number from 1 to 100000",
            ));
        }
        if self.batch_size == 0 {
            return Err(bad("--batch-size", "0".into(), "a whole number >= 1"));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(bad(
                "--lr",
                self.lr.to_string(),
                "a learning rate > 0, such as 0.001",
            ));
        }
        if self.task == Task::CharGpt && self.loss != Loss::CrossEntropy {
            return Err(bad(
                "--loss",
                format!("{:?}", self.loss).to_lowercase(),
                "cross-entropy: char-gpt predicts the next character among all of them",
            ));
        }
        if self.loss == Loss::Bce && self.classes.len() != 2 {
            return Err(bad(
                "--loss",
                "bce".into(),
                &format!(
                    "cross-entropy or mse: binary cross-entropy needs two classes and this dataset has {}",
                    self.classes.len()
                ),
            ));
        }
        Ok(())
    }
}
