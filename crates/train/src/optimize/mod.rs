//! Making a trained model cheaper to run or to reuse: magnitude pruning (unstructured, or
//! structured so the layers shrink), int8 post-training quantization, and transfer learning
//! (layers frozen, a new head). Each produces a new model directory whose
//! `config.json` names its parent and records what was done ([`Pruning`], [`Quantization`]);
//! the jobs in [`crate::jobs`] meter the work and measure the trade-off.

mod finetune;
mod prune;
mod quantize;

use serde::{Deserialize, Serialize};

pub use finetune::{Freeze, freeze, layer_names, with_new_head};
pub use prune::{Masks, PruneOutcome, check_sparsity, prune, weight_counts};
pub use quantize::{QModel, calibrate, quantize};

/// Which weights a pruning removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum PruneKind {
    /// Single weights of smallest magnitude are set to zero; the shapes stay (smaller once
    /// compressed, not faster with dense kernels).
    Unstructured,
    /// Whole neurons and convolution channels of smallest L1 norm are removed; the layers
    /// shrink, so the model is smaller and faster.
    Structured,
}

impl PruneKind {
    /// `unstructured` or `structured`.
    pub fn as_str(self) -> &'static str {
        match self {
            PruneKind::Unstructured => "unstructured",
            PruneKind::Structured => "structured",
        }
    }
}

/// Over which weights the magnitude threshold of unstructured pruning is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum PruneScope {
    /// One threshold over all weight matrices: layers with many small weights lose more.
    Global,
    /// The same fraction removed from every weight matrix.
    PerLayer,
}

impl PruneScope {
    /// `global` or `per-layer`.
    pub fn as_str(self) -> &'static str {
        match self {
            PruneScope::Global => "global",
            PruneScope::PerLayer => "per-layer",
        }
    }
}

/// What pruning did to a model, written into its `config.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pruning {
    /// Unstructured or structured.
    pub kind: PruneKind,
    /// Where the threshold was taken (unstructured); structured pruning is per layer.
    pub scope: PruneScope,
    /// The fraction asked for, in [0, 1).
    pub sparsity: f64,
    /// Weights of the parent (matrices and convolution kernels; biases are never pruned).
    pub weights_before: u64,
    /// Non-zero weights left.
    pub weights_after: u64,
    /// Epochs of recovery fine-tuning after pruning (pruned weights kept at zero).
    pub finetune_epochs: usize,
}

/// How activations of an int8 model are scaled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Activations {
    /// Per batch at run time: `max|x| / 127` of the batch at hand.
    Dynamic,
    /// Fixed per layer from the largest input seen on a calibration dataset.
    Calibrated {
        /// The dataset calibrated on (its training split).
        dataset: String,
        /// Rows seen.
        rows: usize,
    },
}

/// The int8 scheme of a quantized model, written into its `config.json` (see
/// [`crate::int8`] for the arithmetic).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quantization {
    /// `int8`.
    pub dtype: String,
    /// Symmetric (zero point 0).
    pub symmetric: bool,
    /// 0.
    pub zero_point: i32,
    /// `[-127, 127]`.
    pub range: [i32; 2],
    /// `half-away-from-zero`.
    pub rounding: String,
    /// `per-tensor` or `per-channel`.
    pub weights: String,
    /// How activations are scaled.
    pub activations: Activations,
    /// The format of the weights file (safetensors metadata `format`).
    pub format: String,
}

impl Quantization {
    /// The scheme Sustain uses, with weights at `granularity`.
    pub fn int8(granularity: crate::int8::Granularity, activations: Activations) -> Self {
        Self {
            dtype: "int8".into(),
            symmetric: true,
            zero_point: 0,
            range: [-127, 127],
            rounding: "half-away-from-zero".into(),
            weights: granularity.as_str().into(),
            activations,
            format: crate::int8::store::FORMAT.into(),
        }
    }
}
