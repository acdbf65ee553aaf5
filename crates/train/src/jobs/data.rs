//! Which data a job reads: a bundled set by name, or a file by path, for each task.

use std::path::Path;

use crate::dataset::Tabular;
use crate::error::{Result, TrainError};
use crate::lm::Corpus;
use crate::task::Task;
use crate::text::TextData;

/// A task's data: a table, labelled texts, or a plain-text corpus.
pub enum Data {
    /// Numeric features and labels (tabular-mlp, digits-cnn).
    Table(Tabular),
    /// Labelled texts (text-lstm).
    Text(TextData),
    /// Plain text (char-gpt).
    Corpus(Corpus),
}

impl Data {
    /// The dataset's name (bundled name or path).
    pub fn name(&self) -> &str {
        match self {
            Data::Table(t) => &t.name,
            Data::Text(t) => &t.name,
            Data::Corpus(c) => &c.name,
        }
    }

    /// SHA-256 of its bytes.
    pub fn sha256(&self) -> &str {
        match self {
            Data::Table(t) => &t.sha256,
            Data::Text(t) => &t.sha256,
            Data::Corpus(c) => &c.sha256,
        }
    }

    /// Class names (none for a corpus).
    pub fn classes(&self) -> Vec<String> {
        match self {
            Data::Table(t) => t.classes.clone(),
            Data::Text(t) => t.classes.clone(),
            Data::Corpus(_) => vec![],
        }
    }

    /// Number of input features of a table (0 otherwise: set by the vocabulary).
    pub fn width(&self) -> usize {
        match self {
            Data::Table(t) => t.width(),
            _ => 0,
        }
    }
}

/// Whether `spec` names a file rather than a bundled set.
fn is_file_like(spec: &str) -> bool {
    Path::new(spec).exists() || spec.contains('/') || spec.contains('.')
}

/// Whether `spec` names a CSV file of a table.
pub(crate) fn is_table_file(spec: &str) -> bool {
    Path::new(spec).exists() || spec.contains('/') || spec.ends_with(".csv")
}

/// A table: a bundled set (`breast-cancer`, `german-credit`, `digits`, `mnist-5k`), MNIST IDX
/// images (with the labels file beside them), or a CSV file (label column `label`).
pub fn load_table(spec: &str, label: Option<&str>) -> Result<Tabular> {
    match spec {
        "breast-cancer" => Tabular::breast_cancer(),
        "german-credit" => Tabular::german_credit(),
        "digits" => Tabular::digits(),
        "mnist-5k" => Tabular::mnist_5k(),
        path if path.contains("images-idx3") => {
            let labels = path.replace("images-idx3", "labels-idx1");
            Tabular::from_idx(Path::new(path), Path::new(&labels))
        }
        path if is_table_file(path) => Tabular::from_csv(Path::new(path), label),
        other => Err(TrainError::Input(format!(
            "unknown dataset '{other}': give breast-cancer, german-credit, digits, mnist-5k, the path of a CSV file, or of MNIST IDX images (…-images-idx3-ubyte, with …-labels-idx1-ubyte beside it)"
        ))),
    }
}

/// The data of `task`: `spec` names a bundled set or a file (default: the task's own set).
pub fn load(
    task: Task,
    spec: Option<&str>,
    label: Option<&str>,
    text_column: Option<&str>,
) -> Result<Data> {
    let spec = spec.unwrap_or(task.default_dataset());
    Ok(match task {
        Task::TextLstm => match spec {
            "rotten-tomatoes" => Data::Text(TextData::rotten_tomatoes()?),
            path if is_file_like(path) => {
                Data::Text(TextData::from_file(Path::new(path), text_column, label)?)
            }
            other => {
                return Err(TrainError::Input(format!(
                    "unknown dataset '{other}' for text-lstm: give rotten-tomatoes, or a CSV or JSONL file of texts and labels (columns text,label; see --text-column and --label)"
                )));
            }
        },
        Task::CharGpt => match spec {
            "kjv-pentateuch" => Data::Corpus(Corpus::kjv_pentateuch()?),
            path if is_file_like(path) => Data::Corpus(Corpus::from_file(Path::new(path))?),
            other => {
                return Err(TrainError::Input(format!(
                    "unknown dataset '{other}' for char-gpt: give kjv-pentateuch, or a UTF-8 plain-text file"
                )));
            }
        },
        Task::TabularMlp | Task::DigitsCnn => Data::Table(load_table(spec, label)?),
    })
}

/// A user's table for `eval`: the `--sensitive` column is kept beside the features. A model
/// trained with that column among its features (`inputs` one more than the others) gets it as
/// a feature too.
pub fn load_eval_table(
    spec: &str,
    label: Option<&str>,
    sensitive: Option<&str>,
    inputs: usize,
) -> Result<Tabular> {
    let Some(col) = sensitive else {
        return load_table(spec, label);
    };
    if !is_table_file(spec) {
        // A bundled set: its protected attributes are built in.
        return load_table(spec, label);
    }
    let apart = Tabular::from_csv_with(Path::new(spec), label, &[col])?;
    if apart.width() + 1 == inputs {
        let mut with = Tabular::from_csv(Path::new(spec), label)?;
        with.attributes = apart.attributes;
        return Ok(with);
    }
    Ok(apart)
}

/// The training, validation and test splits of a classifier's own dataset, as it was trained
/// (same seed, same standardization or vocabulary): what fine-tuning continues on and where
/// an optimized model is compared with its parent.
pub fn own_splits(config: &crate::config::TrainConfig) -> Result<crate::trainer::Prepared> {
    match &config.vocab {
        _ if config.task == Task::CharGpt => Err(TrainError::Input(
            "a char-gpt model has no labelled splits; this works on classifiers".into(),
        )),
        None => {
            let d = load_table(&config.dataset, None)?;
            let mut p = crate::trainer::prepare(&d, config.seed)?;
            // The model's own standardizer (fitted when it was trained) is the one to use.
            p.standardizer = config.standardizer.clone();
            Ok(p)
        }
        Some(vocab) => {
            let Data::Text(d) = load(config.task, Some(&config.dataset), None, None)? else {
                return Err(TrainError::Input(format!(
                    "{} is not a text dataset",
                    config.dataset
                )));
            };
            Ok(crate::trainer::prepare_text(&d, config.seed, Some(vocab))?.0)
        }
    }
}
