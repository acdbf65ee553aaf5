//! Post-training int8 quantization of a trained model onto the real int8 path of
//! [`crate::int8`]: weights per tensor or per channel, activations dynamic or calibrated.

use std::path::Path;

use crate::config::TrainConfig;
use crate::error::{Result, TrainError};
use crate::int8::{Granularity, QCnn, QMlp};
use crate::trainer::Model;

/// Rows per call of the int8 kernels: bounds the im2col buffer of the CNN (256 MNIST images
/// unroll to ~115 MB at 28×28; fewer rows would waste the GEMM's blocking).
const CHUNK: usize = 256;

/// A model on the int8 path.
#[derive(Debug, Clone)]
pub enum QModel {
    /// `tabular-mlp`.
    Mlp(QMlp),
    /// `digits-cnn` (boxed: its layers are held inline).
    Cnn(Box<QCnn>),
}

/// Quantizes `model`'s weights at `granularity` (activations dynamic until [`calibrate`]d).
pub fn quantize(model: &Model, granularity: Granularity) -> Result<QModel> {
    match model {
        Model::Mlp(m) => Ok(QModel::Mlp(QMlp::from_mlp(m, granularity)?)),
        Model::Cnn(c) => Ok(QModel::Cnn(Box::new(QCnn::from_cnn(c, granularity)?))),
        Model::Lstm(_) | Model::Gpt(_) => Err(TrainError::Input(
            "the int8 path runs tabular-mlp and digits-cnn models; text-lstm and char-gpt models stay in f32 (prune them instead)".into(),
        )),
    }
}

/// Fixes every layer's activation scale from the largest input it sees on `rows` rows of `x`
/// (standardized as the model expects).
pub fn calibrate(q: &mut QModel, x: &[f32], rows: usize) -> Result<()> {
    if rows == 0 {
        return Err(TrainError::Input(
            "--calibrate: the dataset has no rows to calibrate on".into(),
        ));
    }
    let width = x.len() / rows;
    let mut maxima: Vec<f32> = Vec::new();
    for (i, chunk) in x.chunks(CHUNK * width).enumerate() {
        let n = chunk.len() / width;
        let m = match q {
            QModel::Mlp(m) => m.input_maxima(chunk, n)?,
            QModel::Cnn(c) => c.input_maxima(chunk, n)?,
        };
        if i == 0 {
            maxima = m;
        } else {
            maxima.iter_mut().zip(m).for_each(|(a, b)| *a = a.max(b));
        }
    }
    match q {
        QModel::Mlp(m) => m.set_input_scales(&maxima),
        QModel::Cnn(c) => c.set_input_scales(&maxima),
    }
}

impl QModel {
    /// Logits of `rows` rows (standardized features), `[rows × classes]`, in chunks.
    pub fn logits(&self, x: &[f32], rows: usize) -> Result<Vec<f32>> {
        if rows == 0 {
            return Ok(Vec::new());
        }
        let width = x.len() / rows;
        let mut out = Vec::new();
        for chunk in x.chunks(CHUNK * width) {
            let n = chunk.len() / width;
            out.extend(match self {
                QModel::Mlp(m) => m.logits(chunk, n)?,
                QModel::Cnn(c) => c.logits(chunk, n)?,
            });
        }
        Ok(out)
    }

    /// Writes the weights file.
    pub fn save(&self, path: &Path) -> Result<()> {
        match self {
            QModel::Mlp(m) => m.save(path),
            QModel::Cnn(c) => c.save(path),
        }
    }

    /// Reads the weights file of a quantized model of `config`: its first layer must take the
    /// config's inputs and its last give one logit per class.
    pub fn load(path: &Path, config: &TrainConfig) -> Result<Self> {
        let q = Self::read(path, config)?;
        let layers = match &q {
            QModel::Mlp(m) => m.layers().to_vec(),
            QModel::Cnn(c) => c.layers(),
        };
        let (first, last) = (&layers[0], &layers[layers.len() - 1]);
        let inputs_fit = match &q {
            QModel::Mlp(_) => first.in_features() == config.inputs,
            // The CNN's first layer reads 3×3 patches; its side comes from the config.
            QModel::Cnn(_) => true,
        };
        if !inputs_fit || last.out_features() != config.classes.len() {
            return Err(crate::int8::store::shape_error(
                path,
                &format!(
                    "the int8 weights do not fit a {} with {} inputs and {} classes",
                    config.task,
                    config.inputs,
                    config.classes.len()
                ),
            ));
        }
        Ok(q)
    }

    fn read(path: &Path, config: &TrainConfig) -> Result<Self> {
        match config.task {
            crate::Task::TabularMlp => Ok(QModel::Mlp(QMlp::load(path)?)),
            crate::Task::DigitsCnn => {
                let side = (config.inputs as f64).sqrt().round() as usize;
                Ok(QModel::Cnn(Box::new(QCnn::load(path, side)?)))
            }
            other => Err(TrainError::Checkpoint {
                path: path.to_path_buf(),
                message: format!(
                    "int8 weights for a {other} model: only tabular-mlp and digits-cnn run in int8"
                ),
            }),
        }
    }

    /// Parameters (weights and biases) and how many are non-zero.
    pub fn param_counts(&self) -> (u64, u64) {
        let layers = match self {
            QModel::Mlp(m) => m.layers().to_vec(),
            QModel::Cnn(c) => c.layers(),
        };
        layers.iter().fold((0, 0), |(n, nz), l| {
            let w = l.weights_t();
            (
                n + (w.len() + l.bias().len()) as u64,
                nz + (w.iter().filter(|q| **q != 0).count()
                    + l.bias().iter().filter(|b| **b != 0.0).count()) as u64,
            )
        })
    }
}
