//! The tasks Sustain trains, and each one's defaults (dataset, epochs, learning rate), defined
//! once here: the CLI's `--help`, the training jobs and saved configs all read them from this
//! type.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::config::Optimizer;
use crate::error::TrainError;

/// A model and the kind of data it learns from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum Task {
    /// An MLP on the UCI breast cancer data, or any CSV with a label column.
    TabularMlp,
    /// A small CNN on the UCI 8x8 digits, MNIST 5k, or MNIST IDX files.
    DigitsCnn,
    /// Word embeddings and an LSTM on labelled texts (Rotten Tomatoes by default).
    TextLstm,
    /// A character-level decoder-only transformer on plain text (the KJV Pentateuch by default).
    CharGpt,
}

impl Task {
    /// Every task, in the order `--help` lists them.
    pub const ALL: [Task; 4] = [
        Task::TabularMlp,
        Task::DigitsCnn,
        Task::TextLstm,
        Task::CharGpt,
    ];

    /// The stable name (`tabular-mlp`).
    pub fn as_str(self) -> &'static str {
        match self {
            Task::TabularMlp => "tabular-mlp",
            Task::DigitsCnn => "digits-cnn",
            Task::TextLstm => "text-lstm",
            Task::CharGpt => "char-gpt",
        }
    }

    /// The bundled dataset it trains on when none is given.
    pub fn default_dataset(self) -> &'static str {
        match self {
            Task::TabularMlp => "breast-cancer",
            Task::DigitsCnn => "digits",
            Task::TextLstm => "rotten-tomatoes",
            Task::CharGpt => "kjv-pentateuch",
        }
    }

    /// Default epochs.
    pub fn default_epochs(self) -> usize {
        match self {
            Task::DigitsCnn => 20,
            Task::TextLstm => 3,
            Task::CharGpt => 2,
            Task::TabularMlp => 30,
        }
    }

    /// Default learning rate of `optimizer`, chosen on the bundled data (docs/methods/train.md).
    pub fn default_lr(self, optimizer: Optimizer) -> f64 {
        match (self, optimizer) {
            (
                Task::DigitsCnn | Task::TextLstm | Task::CharGpt,
                Optimizer::Adam | Optimizer::Adamw,
            ) => 3e-3,
            (_, Optimizer::Adam | Optimizer::Adamw) => 1e-3,
            (_, Optimizer::Sgd) => 0.05,
            (_, Optimizer::SgdMomentum) => 0.01,
        }
    }

    /// Whether its data is a table of numbers (a CSV, images) rather than texts or a corpus.
    pub fn is_tabular(self) -> bool {
        matches!(self, Task::TabularMlp | Task::DigitsCnn)
    }
}

impl fmt::Display for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Task {
    type Err = TrainError;
    fn from_str(s: &str) -> Result<Self, TrainError> {
        Task::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| TrainError::UnknownTask(s.to_string()))
    }
}

/// The task names joined for messages: `tabular-mlp, digits-cnn, text-lstm, char-gpt`.
pub fn task_names() -> String {
    Task::ALL.map(Task::as_str).join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_list_the_tasks() {
        for t in Task::ALL {
            assert_eq!(t.as_str().parse::<Task>().unwrap(), t);
            assert_eq!(
                serde_json::to_string(&t).unwrap(),
                format!("\"{}\"", t.as_str())
            );
        }
        let e = "image-gan".parse::<Task>().unwrap_err().to_string();
        assert!(e.contains("tasks are tabular-mlp, digits-cnn"), "{e}");
    }
}
