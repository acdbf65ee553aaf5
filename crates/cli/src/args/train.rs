//! `sustain train`, `eval`, `predict` and `generate`: tasks, optimizers, losses and devices are
//! the train crate's enums, with their defaults from there.

use std::path::PathBuf;

use clap::Args;
use sustain_train::config::{DeviceSpec, Loss, Optimizer};
use sustain_train::gpt::GptShape;
use sustain_train::jobs;
use sustain_train::task::Task;

use super::Choice;

pub(super) const TRAIN_HELP: &str = "\
Examples:
  sustain train tabular-mlp
  sustain train tabular-mlp --epochs 50 --batch-size 16 --optimizer sgd-momentum --lr 0.01 --out models/bc
  sustain train tabular-mlp --dataset patients.csv --label diagnosis --json
  sustain train digits-cnn --epochs 15
  sustain train digits-cnn --augment rotate=10,shift=1,scale=0.1,noise=0.05 --out models/cnn-aug
  sustain train digits-cnn --dataset mnist-5k --epochs 10 --out models/mnist
  sustain train text-lstm --out models/reviews
  sustain train text-lstm --dataset tickets.jsonl --text-column body --label team
  sustain train char-gpt --epochs 3 --out models/kjv
  sustain train char-gpt --dataset my-book.txt --context 128 --layers 4 --d-model 128

Tasks:
  tabular-mlp  an MLP on the UCI breast cancer data, or any CSV with a label column
  digits-cnn   a small CNN on the UCI 8x8 digits; --dataset mnist-5k for 5,000 MNIST digits, or
               MNIST IDX files
  text-lstm    word embeddings and an LSTM on 12,808 Rotten Tomatoes snippets (fresh/rotten;
               extracted at set-up by scripts/fetch-datasets.sh), or a CSV/JSONL file of texts and
               labels
  char-gpt     a character-level decoder-only transformer on the King James Pentateuch, or any
               UTF-8 text file; prints samples at the end (see also `sustain generate`)
Splits (70/15/15; char-gpt: 90/5/5 by position), initialization and batch order follow --seed:
the same seed, data and machine give the same weights and metrics. A batch size of at least the training set is full-batch
gradient descent; 1 is per-sample SGD. The run is metered like `sustain run` and recorded as kind
`train` with its metrics, the dataset's SHA-256 and the model's path.";

/// Options of `sustain train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The task.
    #[arg(value_name = "TASK", value_parser = Choice::<Task>::new())]
    pub task: Task,
    /// Dataset: breast-cancer, german-credit, digits, mnist-5k, rotten-tomatoes, kjv-pentateuch, a CSV file with a header row, a JSONL file of texts, MNIST IDX images, or a text file (char-gpt).
    #[arg(long, value_name = "NAME|PATH")]
    pub dataset: Option<String>,
    /// Label column of a CSV or JSONL dataset (default: `label`, else for tables the last column).
    #[arg(long, value_name = "COLUMN")]
    pub label: Option<String>,
    /// Text column of a text-lstm dataset (default: `text`).
    #[arg(long, value_name = "COLUMN")]
    pub text_column: Option<String>,
    /// char-gpt: characters of context.
    #[arg(long, value_name = "N", default_value_t = GptShape::default().context)]
    pub context: usize,
    /// char-gpt: width of embeddings and attention (a multiple of --heads).
    #[arg(long, value_name = "N", default_value_t = GptShape::default().d_model)]
    pub d_model: usize,
    /// char-gpt: transformer blocks.
    #[arg(long, value_name = "N", default_value_t = GptShape::default().layers)]
    pub layers: usize,
    /// char-gpt: attention heads.
    #[arg(long, value_name = "N", default_value_t = GptShape::default().heads)]
    pub heads: usize,
    /// Epochs (default: 30 for tabular-mlp, 20 for digits-cnn, 3 for text-lstm, 2 for char-gpt).
    #[arg(long, value_name = "N")]
    pub epochs: Option<usize>,
    /// Batch size.
    #[arg(long, default_value_t = jobs::DEFAULT_BATCH_SIZE, value_name = "N")]
    pub batch_size: usize,
    /// Optimizer.
    #[arg(long, value_enum, default_value_t = Optimizer::Adam, value_name = "NAME")]
    pub optimizer: Optimizer,
    /// Learning rate (default for adam and adamw: 0.001, 0.003 for digits-cnn, text-lstm and char-gpt; 0.05 for sgd, 0.01 for sgd-momentum).
    #[arg(long, value_name = "X")]
    pub lr: Option<f64>,
    /// Loss (bce: two classes only).
    #[arg(long, value_enum, default_value_t = Loss::CrossEntropy, value_name = "NAME")]
    pub loss: Loss,
    /// Seed of splits, initialization and batch order.
    #[arg(long, default_value_t = jobs::DEFAULT_SEED, value_name = "N")]
    pub seed: u64,
    /// Device: cpu, or cuda / cuda:N in a build with the `cuda` feature.
    #[arg(long, default_value_t = DeviceSpec::Cpu, value_name = "DEVICE")]
    pub device: DeviceSpec,
    /// Augment the training batches, seeded: rotate=DEG,shift=PX,scale=F,noise=SD for images (noise for tables), token_dropout=P for texts; recorded in config.json.
    #[arg(long, value_name = "SPEC")]
    pub augment: Option<sustain_train::augment::Augment>,
    /// Directory for the weights, config and metrics (default: runs/TASK-RUNID).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// A tag KEY=VALUE for the run, such as product=chat or team=nlp; repeat for several.
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// Site where it runs, for the footprint; default: config `site`, else WORLD.
    #[arg(long, env = "SUSTAIN_SITE", value_name = "ID")]
    pub site: Option<String>,
    /// JSON on stdout instead of the log and tables.
    #[arg(long)]
    pub json: bool,
}

/// Options of `sustain eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// A directory written by `sustain train --out`.
    #[arg(long, value_name = "DIR")]
    pub model: PathBuf,
    /// Dataset (default: the test split of the model's own dataset).
    #[arg(long, value_name = "NAME|PATH")]
    pub dataset: Option<String>,
    /// Label column of a CSV or JSONL dataset.
    #[arg(long, value_name = "COLUMN")]
    pub label: Option<String>,
    /// Text column of a text dataset (default: `text`).
    #[arg(long, value_name = "COLUMN")]
    pub text_column: Option<String>,
    /// Protected attribute to measure fairness over (a CSV column, e.g. `sex`): per-group
    /// selection rate, TPR and FPR, demographic parity and equalized odds differences.
    #[arg(long, value_name = "COLUMN")]
    pub sensitive: Option<String>,
    /// The favourable class for the fairness metrics (default: the second class, as Fairlearn's
    /// `pos_label=1`; required with more than two classes).
    #[arg(long, value_name = "CLASS", requires = "sensitive")]
    pub positive: Option<String>,
    /// Groups with fewer rows are flagged as too small for their rates to be reliable.
    #[arg(long, value_name = "N", default_value_t = jobs::DEFAULT_MIN_GROUP_SIZE, requires = "sensitive")]
    pub min_group_size: u64,
    /// A tag KEY=VALUE for the run, such as product=chat or team=nlp; repeat for several.
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// Site where it runs, for the footprint.
    #[arg(long, env = "SUSTAIN_SITE", value_name = "ID")]
    pub site: Option<String>,
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Options of `sustain predict`.
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// A directory written by `sustain train --out`.
    #[arg(long, value_name = "DIR")]
    pub model: PathBuf,
    /// Rows of features (comma-separated) or CSV files of rows; for text-lstm, texts or .txt files (one text per line).
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<String>,
    /// A tag KEY=VALUE for the run, such as product=chat or team=nlp; repeat for several.
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// Site where it runs, for the footprint.
    #[arg(long, env = "SUSTAIN_SITE", value_name = "ID")]
    pub site: Option<String>,
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Options of `sustain generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// A directory written by `sustain train char-gpt --out`.
    #[arg(long, value_name = "DIR")]
    pub model: PathBuf,
    /// Text to continue.
    #[arg(long, value_name = "TEXT")]
    pub prompt: String,
    /// Characters to generate (1 to 100000).
    #[arg(long, default_value_t = jobs::DEFAULT_LENGTH, value_name = "N")]
    pub length: usize,
    /// Sampling temperature (0 takes the likeliest character; 1 samples the model as it is).
    #[arg(
        long,
        default_value_t = jobs::DEFAULT_TEMPERATURE,
        value_name = "T",
        allow_negative_numbers = true
    )]
    pub temperature: f64,
    /// Seed of the sampling.
    #[arg(long, default_value_t = jobs::DEFAULT_SEED, value_name = "N")]
    pub seed: u64,
    /// A tag KEY=VALUE for the run, such as product=chat or team=nlp; repeat for several.
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// Site where it runs, for the footprint.
    #[arg(long, env = "SUSTAIN_SITE", value_name = "ID")]
    pub site: Option<String>,
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
}
