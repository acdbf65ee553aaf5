//! Typed, serialisable training configuration, saved next to every model.

use serde::{Deserialize, Serialize};

use crate::dataset::Standardizer;
use crate::error::{Result, TrainError};
use crate::gpt::GptShape;
use crate::text::Vocab;

/// Optimizers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
#[serde(rename_all = "kebab-case")]
pub enum Loss {
    /// Softmax cross-entropy over the classes.
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

fn cpu() -> String {
    "cpu".into()
}

/// Everything needed to reproduce a training run and to load its model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Task name (`tabular-mlp`).
    pub task: String,
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
    #[serde(default = "cpu")]
    pub device: String,
    /// Shape of a `char-gpt` model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpt: Option<GptShape>,
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
        if self.task == "char-gpt" && self.loss != Loss::CrossEntropy {
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
