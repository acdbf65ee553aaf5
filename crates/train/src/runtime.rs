//! A saved model ready for inference, whichever way its weights are stored: f32 on burn's CPU
//! backend, or int8 on Sustain's int8 path ([`crate::int8`]) when its `config.json` carries a
//! quantization scheme. `eval`, `predict`, `compare` and `serve-model` all infer through here,
//! so a quantized model is never silently run in f32.

use std::path::{Path, PathBuf};

use burn::tensor::{Device, Tensor, TensorData};

use crate::config::{Loss, TrainConfig};
use crate::dataset::Tabular;
use crate::error::{Result, TrainError};
use crate::model::Classify;
use crate::optimize::QModel;
use crate::task::Task;
use crate::trainer::{self, Model, WEIGHTS_FILE};

/// How a model computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// f32 weights and arithmetic (burn).
    F32,
    /// int8 weights and activations, int32 sums.
    Int8,
}

impl Precision {
    /// `f32` or `int8`.
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::Int8 => "int8",
        }
    }
}

/// The weights of a loaded model.
// One per loaded model; the f32 variant's size (burn's module handles) is immaterial.
#[allow(clippy::large_enum_variant)]
pub enum Engine {
    /// On burn, on `device` (without autodiff).
    F32 {
        /// The model.
        model: Model,
        /// Its device.
        device: Device,
    },
    /// On the int8 path.
    Int8(QModel),
}

/// A model directory, loaded.
pub struct Loaded {
    /// Its weights.
    pub engine: Engine,
    /// Its `config.json`.
    pub config: TrainConfig,
    /// The directory.
    pub dir: PathBuf,
}

/// Loads the model in `dir` (written by `train`, `optimize` or `finetune`).
pub fn open(dir: &Path) -> Result<Loaded> {
    let config = trainer::read_config(dir)?;
    let engine = if config.quantization.is_some() {
        Engine::Int8(QModel::load(&dir.join(WEIGHTS_FILE), &config)?)
    } else {
        let device = Device::flex();
        let (model, _) = trainer::load(dir, &device)?;
        Engine::F32 { model, device }
    };
    Ok(Loaded {
        engine,
        config,
        dir: dir.to_path_buf(),
    })
}

/// The predicted class of each row of `logits` (`classes` per row): the largest logit (the
/// first on a tie), or with binary cross-entropy, the positive class when its logit is > 0.
pub fn classes_of(loss: Loss, logits: &[f32], classes: usize) -> Vec<usize> {
    logits
        .chunks_exact(classes.max(1))
        .map(|row| match loss {
            Loss::Bce if row.len() >= 2 => usize::from(row[1] > 0.0),
            _ => {
                row.iter()
                    .enumerate()
                    .fold((0, f32::NEG_INFINITY), |best, (i, &v)| {
                        if v > best.1 { (i, v) } else { best }
                    })
                    .0
            }
        })
        .collect()
}

impl Loaded {
    /// f32 or int8.
    pub fn precision(&self) -> Precision {
        match self.engine {
            Engine::F32 { .. } => Precision::F32,
            Engine::Int8(_) => Precision::Int8,
        }
    }

    /// The f32 model, for what only burn runs (text generation, language-model scoring).
    pub fn f32_model(&self) -> Result<&Model> {
        match &self.engine {
            Engine::F32 { model, .. } => Ok(model),
            Engine::Int8(_) => Err(TrainError::Input(format!(
                "{} holds int8 weights, which run classification only",
                self.dir.display()
            ))),
        }
    }

    /// Logits of `rows` rows of inputs as the model takes them (standardized features, pixel
    /// values scaled, token ids), row-major `[rows × classes]`.
    pub fn logits(&self, x: &[f32], rows: usize) -> Result<Vec<f32>> {
        let width = self.config.inputs;
        if x.len() != rows * width {
            return Err(TrainError::Input(format!(
                "{} values for {rows} rows; the model takes {width} inputs per row",
                x.len()
            )));
        }
        if self.config.task == Task::CharGpt {
            return Err(TrainError::Input(
                "a char-gpt model generates text; it has no classes to predict".into(),
            ));
        }
        match &self.engine {
            Engine::Int8(q) => q.logits(x, rows),
            Engine::F32 { model, device } => {
                // One pass over all rows, as training evaluated them: the text model skips
                // the padding columns a whole batch shares, so splitting a batch would change
                // its numbers.
                let t = Tensor::<2>::from_data(TensorData::new(x.to_vec(), [rows, width]), device);
                model
                    .logits(t)
                    .into_data()
                    .convert::<f32>()
                    .try_to_vec::<f32>()
                    .map_err(|e| TrainError::Input(format!("logits: {e:?}")))
            }
        }
    }

    /// Logits of every row of `t` (already standardized).
    pub fn logits_table(&self, t: &Tabular) -> Result<Vec<f32>> {
        self.logits(&t.x, t.rows())
    }

    /// The predicted class of every row of `t`.
    pub fn predict_classes(&self, t: &Tabular) -> Result<Vec<usize>> {
        let logits = self.logits_table(t)?;
        Ok(classes_of(
            self.config.loss,
            &logits,
            self.config.classes.len(),
        ))
    }

    /// Parameters and non-zero parameters (weights and biases).
    pub fn param_counts(&self) -> (u64, u64) {
        match &self.engine {
            Engine::F32 { model, .. } => {
                let (all, nz, _, _) = crate::optimize::weight_counts(model);
                (all, nz)
            }
            Engine::Int8(q) => q.param_counts(),
        }
    }

    /// Bytes of its weights file.
    pub fn size_bytes(&self) -> Result<u64> {
        let path = self.dir.join(WEIGHTS_FILE);
        std::fs::metadata(&path)
            .map(|m| m.len())
            .map_err(|e| TrainError::Checkpoint {
                path: self.dir.clone(),
                message: format!("cannot read {}: {e}", path.display()),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_follow_the_loss() {
        let logits = [0.1, 0.3, 2.0, -1.0, 0.5, 0.5];
        assert_eq!(classes_of(Loss::CrossEntropy, &logits, 2), vec![1, 0, 0]);
        assert_eq!(classes_of(Loss::Bce, &logits, 2), vec![1, 0, 1]);
        assert_eq!(classes_of(Loss::Mse, &logits, 3), vec![2, 1]);
    }
}
