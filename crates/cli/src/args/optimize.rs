//! `sustain optimize prune|quantize` and `sustain compare`: pruning kinds and scopes are the
//! train crate's enums.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use sustain_train::jobs;
use sustain_train::optimize::{PruneKind, PruneScope};

pub(super) const OPTIMIZE_HELP: &str = "\
Examples:
  sustain train digits-cnn --out models/cnn
  sustain optimize quantize --model models/cnn --int8 --per-channel --out models/cnn-int8
  sustain optimize quantize --model models/cnn --int8 --calibrate digits --out models/cnn-int8c
  sustain optimize prune --model models/cnn --sparsity 0.5 --finetune-epochs 3 --out models/cnn-p50
  sustain optimize prune --model models/cnn --sparsity 0.5 --structured --finetune-epochs 3 --out models/cnn-s50
  sustain compare models/cnn models/cnn-int8 models/cnn-p50 models/cnn-s50 --svg tradeoff.svg

Each step writes a new model directory whose config.json names its parent (path and weights
SHA-256) and records what was done; the work is metered and recorded as a `train` run tagged
optimize=prune|quantize, with the new model's test metrics beside its parent's (on the parent's
own held-out split). Int8 models run on Sustain's int8 path (int8 x int8 -> int32, AVX2 where the
CPU has it) in eval, predict, compare and serve-model. Method: docs/methods/optimize.md.";

/// `sustain optimize` subcommands.
#[derive(Debug, Subcommand)]
pub enum OptimizeCommand {
    /// Magnitude pruning, unstructured or structured, with recovery fine-tuning.
    #[command(after_help = PRUNE_HELP)]
    Prune(PruneArgs),
    /// Post-training int8 quantization onto the int8 inference path.
    #[command(after_help = QUANTIZE_HELP)]
    Quantize(QuantizeArgs),
}

const PRUNE_HELP: &str = "\
Examples:
  sustain optimize prune --model models/bc --sparsity 0.5 --out models/bc-p50
  sustain optimize prune --model models/bc --sparsity 0.7 --scope per-layer --finetune-epochs 5 --out models/bc-p70
  sustain optimize prune --model models/cnn --sparsity 0.5 --structured --finetune-epochs 3 --out models/cnn-s50 --json

Unstructured pruning zeroes the weights of smallest magnitude (over all layers with --scope
global, or the same fraction of each layer); fine-tuning keeps them at zero. --structured removes
whole neurons and convolution channels (smallest L1 norm) from tabular-mlp and digits-cnn models,
so the layers shrink and the model runs faster.";

const QUANTIZE_HELP: &str = "\
Examples:
  sustain optimize quantize --model models/bc --int8 --out models/bc-int8
  sustain optimize quantize --model models/cnn --int8 --per-channel --calibrate digits --out models/cnn-int8 --json

Symmetric int8 (zero point 0, range -127..127): weights per tensor, or per output channel with
--per-channel; activations per batch at run time, or fixed per layer from the largest input seen
on the training split of --calibrate DATASET. tabular-mlp and digits-cnn models.";

/// Options of `sustain optimize prune`.
#[derive(Debug, Args)]
pub struct PruneArgs {
    /// The trained model's directory.
    #[arg(long, value_name = "DIR")]
    pub model: PathBuf,
    /// Fraction of weights (or, with --structured, of neurons and channels) to remove, in [0, 1).
    #[arg(long, value_name = "FRACTION")]
    pub sparsity: f64,
    /// Remove whole neurons and channels (tabular-mlp, digits-cnn): the layers shrink.
    #[arg(long)]
    pub structured: bool,
    /// Where the magnitude threshold is taken (unstructured pruning).
    #[arg(long, value_enum, default_value_t = PruneScope::Global, value_name = "SCOPE")]
    pub scope: PruneScope,
    /// Epochs of recovery fine-tuning on the model's own training split (pruned weights stay zero).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub finetune_epochs: usize,
    /// Learning rate of the fine-tuning (default: the model's own).
    #[arg(long, value_name = "X")]
    pub lr: Option<f64>,
    /// Directory for the pruned model.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// A tag KEY=VALUE for the run; repeat for several.
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// Site where it runs, for the footprint.
    #[arg(long, env = "SUSTAIN_SITE", value_name = "ID")]
    pub site: Option<String>,
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

impl PruneArgs {
    /// The kind the flags ask for.
    pub fn kind(&self) -> PruneKind {
        if self.structured {
            PruneKind::Structured
        } else {
            PruneKind::Unstructured
        }
    }
}

/// Options of `sustain optimize quantize`.
#[derive(Debug, Args)]
pub struct QuantizeArgs {
    /// The trained (f32) model's directory.
    #[arg(long, value_name = "DIR")]
    pub model: PathBuf,
    /// Quantize to int8 (the one precision supported; the flag says so in scripts).
    #[arg(long, required = true)]
    pub int8: bool,
    /// One weight scale per output channel instead of one per tensor.
    #[arg(long)]
    pub per_channel: bool,
    /// Fix activation scales from the training split of this dataset (default: per batch at run time).
    #[arg(long, value_name = "DATASET")]
    pub calibrate: Option<String>,
    /// Directory for the int8 model.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// A tag KEY=VALUE for the run; repeat for several.
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// Site where it runs, for the footprint.
    #[arg(long, env = "SUSTAIN_SITE", value_name = "ID")]
    pub site: Option<String>,
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

pub(super) const COMPARE_HELP: &str = "\
Examples:
  sustain compare models/cnn models/cnn-int8
  sustain compare models/bc models/bc-p50 models/bc-int8 --json
  sustain compare models/cnn models/cnn-s50 --dataset digits --svg tradeoff.svg --seconds 5

All models see the same rows: the held-out test split of the first model's dataset (by its seed),
or all of --dataset. Each model is measured in two metered runs: an `eval` run (accuracy, then
batches of 256 rows for at least --seconds; energy and carbon per 1,000 inferences come from this
run) and an `infer` run (--single-calls calls of one row, for latency at batch 1). Energy is
measured where the machine has counters (RAPL) and modelled otherwise; the table says which.";

/// Options of `sustain compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Model directories (one task; the first gives the default data).
    #[arg(required = true, value_name = "MODEL_DIR")]
    pub models: Vec<PathBuf>,
    /// Dataset to compare on (default: the first model's held-out test split).
    #[arg(long, value_name = "NAME|PATH")]
    pub dataset: Option<String>,
    /// Label column of a CSV or JSONL dataset.
    #[arg(long, value_name = "COLUMN")]
    pub label: Option<String>,
    /// Least duration of each model's batch-256 loop, in seconds.
    #[arg(long, default_value_t = jobs::DEFAULT_SECONDS, value_name = "S")]
    pub seconds: f64,
    /// Single-row calls timed per model (latency at batch 1).
    #[arg(long, default_value_t = jobs::DEFAULT_SINGLE_CALLS, value_name = "N")]
    pub single_calls: usize,
    /// Write the chart of accuracy against energy per 1,000 inferences to this SVG file.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// A tag KEY=VALUE for the runs; repeat for several.
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// Site where it runs, for the footprint.
    #[arg(long, env = "SUSTAIN_SITE", value_name = "ID")]
    pub site: Option<String>,
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

pub(super) const FINETUNE_HELP: &str = "\
Examples:
  sustain train digits-cnn --dataset mnist-5k --out models/mnist
  sustain finetune --from models/mnist --dataset digits-28.csv --freeze-all-but-head --out models/digits-ft
  sustain finetune --from models/bc --dataset new-clinic.csv --label diagnosis --freeze l1 --epochs 10 --out models/bc-ft --compare-scratch --json

The model's layers are reused on the new data (same input shape: features, image side or
vocabulary); --freeze keeps named layers as they are (tabular-mlp: l1, l2, out; digits-cnn:
conv1, conv2, fc, out; text-lstm: embed, lstm, out), --freeze-all-but-head trains the output
layer only. When the new data has other classes the output layer is new. With
--compare-scratch the same model is also trained from scratch on the same data until it reaches
the fine-tuned model's validation accuracy (each a metered `train` run), and the energy of both
is shown. Method: docs/methods/optimize.md.";

/// Options of `sustain finetune`.
#[derive(Debug, Args)]
pub struct FinetuneArgs {
    /// The trained model to start from.
    #[arg(long, value_name = "DIR")]
    pub from: PathBuf,
    /// The new data: a bundled dataset or a file of the same shape.
    #[arg(long, value_name = "NAME|PATH")]
    pub dataset: String,
    /// Label column of a CSV or JSONL dataset.
    #[arg(long, value_name = "COLUMN")]
    pub label: Option<String>,
    /// Text column of a text dataset (default: `text`).
    #[arg(long, value_name = "COLUMN")]
    pub text_column: Option<String>,
    /// Layers to keep as they are, comma-separated.
    #[arg(
        long,
        value_name = "LAYERS",
        value_delimiter = ',',
        conflicts_with = "freeze_all_but_head"
    )]
    pub freeze: Vec<String>,
    /// Train the output layer only.
    #[arg(long)]
    pub freeze_all_but_head: bool,
    /// Epochs of fine-tuning.
    #[arg(long, default_value_t = jobs::DEFAULT_FINETUNE_EPOCHS, value_name = "N")]
    pub epochs: usize,
    /// Learning rate (default: the model's own).
    #[arg(long, value_name = "X")]
    pub lr: Option<f64>,
    /// Directory for the fine-tuned model.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Also train the same model from scratch to the same validation accuracy, and compare energy.
    #[arg(long)]
    pub compare_scratch: bool,
    /// Most epochs of the from-scratch training (default: three times the model's own).
    #[arg(long, value_name = "N", requires = "compare_scratch")]
    pub scratch_max_epochs: Option<usize>,
    /// A tag KEY=VALUE for the runs; repeat for several.
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// Site where it runs, for the footprint.
    #[arg(long, env = "SUSTAIN_SITE", value_name = "ID")]
    pub site: Option<String>,
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
}
