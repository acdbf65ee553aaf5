//! The training loop for tabular classification, checkpoints, and evaluation.

use std::path::Path;
use std::time::Instant;

use burn::nn::loss::{BinaryCrossEntropyLossConfig, CrossEntropyLossConfig, MseLoss, Reduction};
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, AdamWConfig, GradientsParams, SgdConfig};
use burn::store::{ModuleSnapshot, SafetensorsStore};
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Int, Tensor, TensorData};
use serde::Serialize;

use crate::cnn::Cnn;
use crate::config::{DeviceSpec, Loss, Optimizer, TrainConfig};
use crate::dataset::{Standardizer, Tabular, permutation, split};
use crate::error::{Result, TrainError};
use crate::gpt::CharGpt;
use crate::lstm::TextLstm;
use crate::metrics::{Metrics, metrics};
use crate::mlp::Mlp;
use crate::model::Classify;
use crate::task::Task;
use crate::text::{MAX_LEN, MAX_VOCAB, MIN_COUNT, TextData, Vocab};

/// One epoch of the log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EpochLog {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean training loss.
    pub loss: f64,
    /// Training accuracy (on the batches as they were trained).
    pub accuracy: f64,
    /// Validation loss.
    pub val_loss: f64,
    /// Validation accuracy.
    pub val_accuracy: f64,
    /// Seconds the epoch took.
    pub seconds: f64,
}

/// A model of one of the tasks.
// One model value lives per run and moves through each optimizer step; the size difference
// between variants (a few hundred bytes of tensor handles) is immaterial.
#[allow(clippy::large_enum_variant)]
#[derive(burn::module::Module, Debug)]
pub enum Model {
    /// `tabular-mlp`.
    Mlp(Mlp),
    /// `digits-cnn`.
    Cnn(Cnn),
    /// `text-lstm`.
    Lstm(TextLstm),
    /// `char-gpt`.
    Gpt(CharGpt),
}

impl Classify for Model {
    fn logits(&self, x: Tensor<2>) -> Tensor<2> {
        match self {
            Model::Mlp(m) => m.logits(x),
            Model::Cnn(m) => m.logits(x),
            Model::Lstm(m) => m.logits(x),
            Model::Gpt(m) => m.logits(x),
        }
    }
}

/// A fresh model for `config` (its task, inputs and classes).
pub fn new_model(config: &TrainConfig, device: &Device) -> Result<Model> {
    let classes = config.classes.len();
    match config.task {
        Task::TabularMlp => {
            let hidden = widths::<2>(config, [crate::mlp::HIDDEN; 2])?;
            Ok(Model::Mlp(Mlp::with_widths(
                config.inputs,
                hidden,
                classes,
                device,
            )))
        }
        Task::DigitsCnn => {
            let side = (config.inputs as f64).sqrt().round() as usize;
            if side * side != config.inputs || side % 4 != 0 || side == 0 {
                return Err(TrainError::Invalid {
                    what: "image size".into(),
                    value: format!("{} pixels", config.inputs),
                    expected:
                        "square single-channel images whose side divides by 4, such as 8x8 or 28x28"
                            .into(),
                });
            }
            let widths = widths::<3>(config, crate::cnn::WIDTHS)?;
            Ok(Model::Cnn(Cnn::with_widths(side, widths, classes, device)))
        }
        Task::TextLstm | Task::CharGpt => {
            let vocab = config.vocab.as_ref().ok_or_else(|| TrainError::Invalid {
                what: "config".into(),
                value: format!("{} without a vocabulary", config.task),
                expected: "a config written by `sustain train` with its vocabulary".into(),
            })?;
            if vocab.is_empty() {
                return Err(TrainError::Invalid {
                    what: "vocabulary".into(),
                    value: "empty".into(),
                    expected: "a dataset with words seen at least twice in its training split"
                        .into(),
                });
            }
            Ok(if config.task == Task::TextLstm {
                Model::Lstm(TextLstm::new(vocab.len(), classes, device))
            } else {
                Model::Gpt(CharGpt::new(
                    vocab.len(),
                    config.gpt.unwrap_or_default(),
                    device,
                ))
            })
        }
    }
}

/// The config's hidden widths (`N` of them, each at least 1), or `default`.
fn widths<const N: usize>(config: &TrainConfig, default: [usize; N]) -> Result<[usize; N]> {
    match &config.widths {
        None => Ok(default),
        Some(w) => <[usize; N]>::try_from(w.as_slice())
            .ok()
            .filter(|w| w.iter().all(|&n| (1..=65_536).contains(&n)))
            .ok_or_else(|| TrainError::Invalid {
                what: "config widths".into(),
                value: format!("{w:?}"),
                expected: format!(
                    "{N} layer widths from 1 to 65536 for a {} model",
                    config.task
                ),
            }),
    }
}

/// The optimizer named in a config, with the settings documented in `docs/methods/train.md`.
pub(crate) fn optimizer(o: Optimizer) -> burn::optim::ModuleOptimizer {
    match o {
        Optimizer::Sgd => SgdConfig::new().init(),
        Optimizer::SgdMomentum => SgdConfig::new()
            .with_momentum(Some(
                MomentumConfig::new().with_momentum(0.9).with_dampening(0.0),
            ))
            .init(),
        Optimizer::Adam => AdamConfig::new().init(),
        Optimizer::Adamw => AdamWConfig::new().init(),
    }
}

/// What a training run produces.
pub struct Trained {
    /// The model.
    pub model: Model,
    /// Its configuration, standardizer included.
    pub config: TrainConfig,
    /// Per-epoch log.
    pub history: Vec<EpochLog>,
    /// Metrics on the held-out test split.
    pub test: Metrics,
    /// The test split as the model saw it (standardized), and its predictions.
    pub test_split: Tabular,
    /// Predicted class of each test row.
    pub test_predictions: Vec<usize>,
    /// Training samples processed per second.
    pub samples_per_s: f64,
}

/// The data of a run, split and standardized.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Training split.
    pub train: Tabular,
    /// Validation split.
    pub val: Tabular,
    /// Test split.
    pub test: Tabular,
    /// Standardization fitted on the training split.
    pub standardizer: Standardizer,
}

/// The training, validation and test indices of `n` rows (`what`: rows, texts) of the dataset
/// `name`, split by `seed`; too few rows for three non-empty parts is an error (checked before
/// a run starts, so such data records nothing).
pub fn checked_split(
    name: &str,
    n: usize,
    what: &str,
    seed: u64,
) -> Result<(Vec<usize>, Vec<usize>, Vec<usize>)> {
    let (tr, va, te) = split(n, seed);
    if tr.is_empty() || va.is_empty() || te.is_empty() {
        return Err(TrainError::Data {
            name: name.to_string(),
            message: format!(
                "has {n} {what}: too few to split into training, validation and test sets (at least 7)"
            ),
        });
    }
    Ok((tr, va, te))
}

/// Splits by `seed` (70/15/15) and standardizes with statistics of the training split only.
pub fn prepare(data: &Tabular, seed: u64) -> Result<Prepared> {
    let (tr, va, te) = checked_split(&data.name, data.rows(), "rows", seed)?;
    let mut train = data.subset(&tr);
    let mut val = data.subset(&va);
    let mut test = data.subset(&te);
    let standardizer = match data.pixel_max {
        Some(max) => Standardizer::scale(data.width(), max),
        None => Standardizer::fit(&train),
    };
    standardizer.apply(&mut train);
    standardizer.apply(&mut val);
    standardizer.apply(&mut test);
    Ok(Prepared {
        train,
        val,
        test,
        standardizer,
    })
}

/// Splits labelled texts by `seed` (70/15/15, like tables), fits the vocabulary on the training
/// split (or uses `vocab`, when evaluating a saved model) and encodes the three splits.
pub fn prepare_text(
    data: &TextData,
    seed: u64,
    vocab: Option<&Vocab>,
) -> Result<(Prepared, Vocab)> {
    let (tr, va, te) = checked_split(&data.name, data.rows(), "texts", seed)?;
    let vocab = match vocab {
        Some(v) => v.clone(),
        None => Vocab::fit(
            tr.iter().map(|&i| data.texts[i].as_str()),
            MIN_COUNT,
            MAX_VOCAB,
            MAX_LEN,
        ),
    };
    let p = Prepared {
        train: data.encode(&tr, &vocab),
        val: data.encode(&va, &vocab),
        test: data.encode(&te, &vocab),
        standardizer: Standardizer::scale(vocab.max_len, 1.0),
    };
    Ok((p, vocab))
}

/// The training device: burn's CPU backend (`flex`) with autodiff.
pub fn device(seed: u64) -> Device {
    let device = Device::flex().autodiff();
    device.seed(seed);
    device
}

/// The device `spec` with autodiff, seeded. CUDA needs a build with the `cuda` feature;
/// without it the error says how to get one.
pub fn device_for(spec: DeviceSpec, seed: u64) -> Result<Device> {
    let device = match spec {
        DeviceSpec::Cpu => Device::flex(),
        DeviceSpec::Cuda(index) => cuda_device(index.unwrap_or(0)).ok_or_else(|| TrainError::Invalid {
            what: "--device".into(),
            value: spec.to_string(),
            expected: "cpu: this build has no CUDA support; rebuild with `cargo build --release --features cuda` on a machine with an NVIDIA driver".into(),
        })?,
    };
    let device = device.autodiff();
    device.seed(seed);
    Ok(device)
}

#[cfg(feature = "cuda")]
fn cuda_device(index: usize) -> Option<Device> {
    Some(Device::cuda(index))
}

#[cfg(not(feature = "cuda"))]
fn cuda_device(_index: usize) -> Option<Device> {
    None
}

fn tensors(t: &Tabular, idx: &[usize], device: &Device) -> (Tensor<2>, Tensor<1, Int>) {
    let w = t.width();
    let mut x = Vec::with_capacity(idx.len() * w);
    for &i in idx {
        x.extend_from_slice(&t.x[i * w..(i + 1) * w]);
    }
    let y: Vec<i64> = idx.iter().map(|&i| t.y[i] as i64).collect();
    (
        Tensor::<2>::from_data(TensorData::new(x, [idx.len(), w]), device),
        Tensor::<1, Int>::from_data(TensorData::new(y, [idx.len()]), device),
    )
}

fn loss_of(
    loss: Loss,
    logits: Tensor<2>,
    y: Tensor<1, Int>,
    classes: usize,
    device: &Device,
) -> Tensor<1> {
    match loss {
        Loss::CrossEntropy => CrossEntropyLossConfig::new()
            .init(device)
            .forward(logits, y),
        Loss::Bce => {
            let n = logits.dims()[0];
            let positive = logits.slice([0..n, 1..2]);
            BinaryCrossEntropyLossConfig::new()
                .with_logits(true)
                .init(device)
                .forward(positive, y.reshape([n, 1]))
        }
        Loss::Mse => {
            let targets = y.one_hot(classes).float();
            MseLoss::new().forward(softmax(logits, 1), targets, Reduction::Mean)
        }
    }
}

fn predictions(loss: Loss, logits: Tensor<2>) -> Vec<usize> {
    let pred = match loss {
        Loss::Bce => {
            let n = logits.dims()[0];
            logits
                .slice([0..n, 1..2])
                .greater_elem(0.0)
                .int()
                .reshape([n])
        }
        _ => logits.argmax(1).reshape([-1]),
    };
    pred.into_data()
        .convert::<i64>()
        .try_to_vec::<i64>()
        .unwrap_or_default()
        .into_iter()
        .map(|v| v.max(0) as usize)
        .collect()
}

fn scalar(t: Tensor<1>) -> f64 {
    f64::from(t.into_scalar::<f32>())
}

/// The logits of `model` for every row of `t`, row-major `[rows, classes]`.
pub fn logits(model: &impl Classify, t: &Tabular, device: &Device) -> Vec<f32> {
    let idx: Vec<usize> = (0..t.rows()).collect();
    let (x, _) = tensors(t, &idx, device);
    model
        .logits(x)
        .into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .unwrap_or_default()
}

/// Loss and predictions of `model` on all of `t`.
pub fn evaluate(
    model: &impl Classify,
    t: &Tabular,
    loss: Loss,
    device: &Device,
) -> (f64, Vec<usize>) {
    let idx: Vec<usize> = (0..t.rows()).collect();
    let (x, y) = tensors(t, &idx, device);
    let logits = model.logits(x);
    let l = scalar(loss_of(loss, logits.clone(), y, t.classes.len(), device));
    (l, predictions(loss, logits))
}

/// Trains the model of `config.task` on the table `data`, calling `on_epoch` after each epoch.
pub fn train_tabular(
    mut config: TrainConfig,
    data: &Tabular,
    on_epoch: impl FnMut(&EpochLog),
) -> Result<Trained> {
    let p = prepare(data, config.seed)?;
    config.inputs = data.width();
    config.classes = data.classes.clone();
    config.standardizer = p.standardizer.clone();
    fit(config, p, on_epoch)
}

/// Trains `text-lstm` on labelled texts, calling `on_epoch` after each epoch.
pub fn train_text(
    mut config: TrainConfig,
    data: &TextData,
    on_epoch: impl FnMut(&EpochLog),
) -> Result<Trained> {
    let (p, vocab) = prepare_text(data, config.seed, None)?;
    config.inputs = vocab.max_len;
    config.classes = data.classes.clone();
    config.standardizer = p.standardizer.clone();
    config.vocab = Some(vocab);
    fit(config, p, on_epoch)
}

/// The training loop shared by the classifiers: minibatches in a seeded order, the optimizer's
/// step, a validation pass per epoch, and test metrics at the end.
fn fit(config: TrainConfig, p: Prepared, on_epoch: impl FnMut(&EpochLog)) -> Result<Trained> {
    config.validate()?;
    let device = device_for(config.device, config.seed)?;
    let model = new_model(&config, &device)?;
    let mut on_epoch = on_epoch;
    fit_from(
        model,
        config,
        p,
        &device,
        |l| {
            on_epoch(l);
            true
        },
        |m| m,
    )
}

/// Trains `model` (fresh, or already trained: fine-tuning) for up to `config.epochs` on `p`,
/// with the loop of [`train_tabular`]; `on_epoch` sees each epoch's log and returns whether
/// to go on (false stops early: training until a target accuracy); `after_step` sees the model
/// after every optimizer step (a pruned model's masks are re-applied there). `device` must
/// have autodiff ([`device_for`]).
pub fn fit_from(
    mut model: Model,
    config: TrainConfig,
    p: Prepared,
    device: &Device,
    mut on_epoch: impl FnMut(&EpochLog) -> bool,
    mut after_step: impl FnMut(Model) -> Model,
) -> Result<Trained> {
    config.validate()?;
    let device = device.clone();
    let classes = config.classes.len();
    let mut optim = optimizer(config.optimizer);
    let mut history = Vec::with_capacity(config.epochs);
    let started = Instant::now();
    let n = p.train.rows();
    let batch = config.batch_size.min(n);
    for epoch in 1..=config.epochs {
        let t0 = Instant::now();
        let order = permutation(n, config.seed.wrapping_add(epoch as u64));
        let (mut loss_sum, mut correct) = (0.0, 0usize);
        let mut rng = crate::dataset::SplitMix64::new(config.seed ^ (epoch as u64).rotate_left(32));
        for chunk in order.chunks(batch) {
            let (x, y) = match &config.augment {
                Some(a) => {
                    let w = p.train.width();
                    let mut x: Vec<f32> = chunk
                        .iter()
                        .flat_map(|&i| p.train.x[i * w..(i + 1) * w].iter().copied())
                        .collect();
                    a.apply(config.task, &mut x, chunk.len(), &mut rng);
                    let y: Vec<i64> = chunk.iter().map(|&i| p.train.y[i] as i64).collect();
                    (
                        Tensor::<2>::from_data(TensorData::new(x, [chunk.len(), w]), &device),
                        Tensor::<1, Int>::from_data(TensorData::new(y, [chunk.len()]), &device),
                    )
                }
                None => tensors(&p.train, chunk, &device),
            };
            let logits = model.logits(x);
            let loss = loss_of(config.loss, logits.clone(), y, classes, &device);
            let value = scalar(loss.clone());
            if !value.is_finite() {
                return Err(TrainError::Diverged {
                    epoch,
                    value: value.to_string(),
                    lr: config.lr,
                });
            }
            loss_sum += value * chunk.len() as f64;
            correct += predictions(config.loss, logits)
                .iter()
                .zip(chunk)
                .filter(|(pred, i)| **pred == p.train.y[**i])
                .count();
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = after_step(optim.step(config.lr, model, grads));
        }
        let (val_loss, val_pred) = evaluate(&model, &p.val, config.loss, &device);
        let log = EpochLog {
            epoch,
            loss: loss_sum / n as f64,
            accuracy: correct as f64 / n as f64,
            val_loss,
            val_accuracy: metrics(&val_pred, &p.val.y, &p.val.classes).accuracy,
            seconds: t0.elapsed().as_secs_f64(),
        };
        if !val_loss.is_finite() {
            return Err(TrainError::Diverged {
                epoch,
                value: val_loss.to_string(),
                lr: config.lr,
            });
        }
        let go_on = on_epoch(&log);
        history.push(log);
        if !go_on {
            break;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let (_, test_pred) = evaluate(&model, &p.test, config.loss, &device);
    let test = metrics(&test_pred, &p.test.y, &p.test.classes);
    Ok(Trained {
        test_split: p.test,
        test_predictions: test_pred,
        model,
        samples_per_s: (n * history.len()) as f64 / elapsed.max(1e-9),
        config,
        history,
        test,
    })
}

/// Files of a checkpoint directory.
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// Config file of a checkpoint.
pub const CONFIG_FILE: &str = "config.json";

/// Writes the weights (safetensors) and the config (JSON) into `dir`.
pub fn save(model: &Model, config: &TrainConfig, dir: &Path) -> Result<()> {
    let err = |message: String| TrainError::Checkpoint {
        path: dir.to_path_buf(),
        message,
    };
    std::fs::create_dir_all(dir).map_err(|e| err(format!("cannot create: {e}")))?;
    let mut store = SafetensorsStore::from_file(dir.join(WEIGHTS_FILE)).overwrite(true);
    model
        .save_into(&mut store)
        .map_err(|e| err(format!("cannot write weights: {e}")))?;
    save_config(config, dir)
}

/// Writes the config (JSON) into `dir`, which exists.
pub fn save_config(config: &TrainConfig, dir: &Path) -> Result<()> {
    let err = |message: String| TrainError::Checkpoint {
        path: dir.to_path_buf(),
        message,
    };
    let json = serde_json::to_string_pretty(config).map_err(|e| err(e.to_string()))?;
    std::fs::write(dir.join(CONFIG_FILE), json)
        .map_err(|e| err(format!("cannot write config: {e}")))
}

/// The model's version: the SHA-256 of its weights file in `dir`.
pub fn weights_sha256(dir: &Path) -> Result<String> {
    let path = dir.join(WEIGHTS_FILE);
    let bytes = std::fs::read(&path).map_err(|e| TrainError::Checkpoint {
        path: dir.to_path_buf(),
        message: format!("cannot read {}: {e}", path.display()),
    })?;
    Ok(crate::dataset::sha256_hex(&bytes))
}

/// Reads the `config.json` of the model in `dir`.
pub fn read_config(dir: &Path) -> Result<TrainConfig> {
    let err = |message: String| TrainError::Checkpoint {
        path: dir.to_path_buf(),
        message,
    };
    if !dir.is_dir() {
        return Err(err(format!(
            "is not a directory; give a model directory ({CONFIG_FILE} and {WEIGHTS_FILE}) written by `sustain train --out`"
        )));
    }
    let text = std::fs::read_to_string(dir.join(CONFIG_FILE)).map_err(|e| {
        err(format!(
            "no readable {CONFIG_FILE} ({e}); give a directory written by `sustain train --out`"
        ))
    })?;
    serde_json::from_str(&text).map_err(|e| {
        err(format!(
            "{CONFIG_FILE} is not a Sustain training config: {e}"
        ))
    })
}

/// Loads a checkpoint of f32 weights written by [`save`]; errors name what does not match.
/// A quantized model loads with [`crate::runtime::open`].
pub fn load(dir: &Path, device: &Device) -> Result<(Model, TrainConfig)> {
    let err = |message: String| TrainError::Checkpoint {
        path: dir.to_path_buf(),
        message,
    };
    let config = read_config(dir)?;
    if config.quantization.is_some() {
        return Err(err(
            "holds int8 weights: it runs on the int8 path (eval, predict, serve-model) and cannot be trained, pruned or quantized again; use its f32 parent"
                .into(),
        ));
    }
    let mut model = new_model(&config, device).map_err(|e| err(e.to_string()))?;
    let mut store = SafetensorsStore::from_file(dir.join(WEIGHTS_FILE));
    let applied = model
        .load_from(&mut store)
        .map_err(|e| err(format!("cannot load weights: {e}")))?;
    if !applied.errors.is_empty() || !applied.missing.is_empty() {
        return Err(err(format!(
            "the weights do not fit a {} with {} inputs and {} classes: {:?} {:?}",
            config.task,
            config.inputs,
            config.classes.len(),
            applied.errors,
            applied.missing
        )));
    }
    Ok((model, config))
}
