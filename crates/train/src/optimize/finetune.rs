//! Transfer learning: a trained model's layers reused on new data, some of them frozen, with a
//! new output layer when the classes differ.

use burn::module::{Module, ModuleMapper, Param};
use burn::tensor::{Device, Tensor};

use crate::error::{Result, TrainError};
use crate::task::Task;
use crate::trainer::Model;

/// The layers of a task's model, input to output: the names `--freeze` takes.
pub fn layer_names(task: Task) -> &'static [&'static str] {
    match task {
        Task::TabularMlp => &["l1", "l2", "out"],
        Task::DigitsCnn => &["conv1", "conv2", "fc", "out"],
        Task::TextLstm => &["embed", "lstm", "out"],
        Task::CharGpt => &[],
    }
}

/// Which layers fine-tuning leaves as they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Freeze {
    /// Every layer trains.
    Nothing,
    /// These layers keep their weights.
    Layers(Vec<String>),
    /// Only the output layer trains.
    AllButHead,
}

impl Freeze {
    /// The frozen layer names of a `task` model, checked: known names, and at least one layer
    /// left to train.
    pub fn layers(&self, task: Task) -> Result<Vec<String>> {
        let names = layer_names(task);
        let frozen: Vec<String> = match self {
            Freeze::Nothing => vec![],
            Freeze::AllButHead => names[..names.len().saturating_sub(1)]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            Freeze::Layers(l) => l.clone(),
        };
        if let Some(bad) = frozen.iter().find(|l| !names.contains(&l.as_str())) {
            return Err(TrainError::Invalid {
                what: "--freeze".into(),
                value: bad.clone(),
                expected: format!("layers of a {task} model: {}", names.join(", ")),
            });
        }
        if !names.is_empty() && names.iter().all(|n| frozen.iter().any(|f| f == n)) {
            return Err(TrainError::Invalid {
                what: "--freeze".into(),
                value: frozen.join(","),
                expected: "at most all layers but one: something must be left to train".into(),
            });
        }
        Ok(frozen)
    }
}

/// `model` with a new output layer of `classes` logits.
pub fn with_new_head(model: Model, classes: usize, device: &Device) -> Result<Model> {
    Ok(match model {
        Model::Mlp(m) => Model::Mlp(m.with_head(classes, device)),
        Model::Cnn(c) => Model::Cnn(c.with_head(classes, device)),
        Model::Lstm(l) => Model::Lstm(l.with_head(classes, device)),
        Model::Gpt(_) => {
            return Err(TrainError::Input(
                "a char-gpt model predicts characters; it has no class head to replace".into(),
            ));
        }
    })
}

/// `model` with the parameters of `layers` no longer trained (no gradients, so the optimizer
/// leaves them as they are).
pub fn freeze(model: Model, layers: &[String]) -> Model {
    if layers.is_empty() {
        return model;
    }
    model.map(&mut Freezer {
        layers,
        path: Vec::new(),
    })
}

struct Freezer<'a> {
    layers: &'a [String],
    path: Vec<String>,
}

impl ModuleMapper for Freezer<'_> {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        // Paths are `Variant.layer.…`: the layer is the second part.
        match self.path.get(1) {
            Some(layer) if self.layers.contains(layer) => param.set_require_grad(false),
            _ => param,
        }
    }
}
