//! The `tabular-mlp` model: two hidden ReLU layers and one logit per class.

use burn::module::{Module, Param};
use burn::nn::{Linear, LinearConfig, Relu};
use burn::tensor::{Device, Tensor, TensorData};

use crate::model::Classify;

/// Width of the hidden layers.
pub const HIDDEN: usize = 64;

/// A multilayer perceptron.
#[derive(Module, Debug)]
pub struct Mlp {
    l1: Linear,
    l2: Linear,
    out: Linear,
    act: Relu,
}

impl Mlp {
    /// A new model with `inputs` features and `outputs` logits.
    pub fn new(inputs: usize, outputs: usize, device: &Device) -> Self {
        Self::with_widths(inputs, [HIDDEN, HIDDEN], outputs, device)
    }

    /// A new model whose hidden layers have `hidden` units (a structurally pruned model).
    pub fn with_widths(inputs: usize, hidden: [usize; 2], outputs: usize, device: &Device) -> Self {
        Mlp {
            l1: LinearConfig::new(inputs, hidden[0]).init(device),
            l2: LinearConfig::new(hidden[0], hidden[1]).init(device),
            out: LinearConfig::new(hidden[1], outputs).init(device),
            act: Relu::new(),
        }
    }

    /// A model with the given layers' weights (input to output); their sizes must chain.
    pub fn from_layers(layers: &[DenseWeights; 3], device: &Device) -> Self {
        Mlp {
            l1: linear_from(&layers[0], device),
            l2: linear_from(&layers[1], device),
            out: linear_from(&layers[2], device),
            act: Relu::new(),
        }
    }
}

/// A burn linear layer holding `d`'s weights.
pub(crate) fn linear_from(d: &DenseWeights, device: &Device) -> Linear {
    let mut layer = LinearConfig::new(d.inputs, d.outputs)
        .with_bias(d.bias.is_some())
        .init(device);
    layer.weight = Param::from_tensor(Tensor::from_data(
        TensorData::new(d.weights.clone(), [d.inputs, d.outputs]),
        device,
    ));
    layer.bias = d.bias.as_ref().map(|b| {
        Param::from_tensor(Tensor::from_data(
            TensorData::new(b.clone(), [d.outputs]),
            device,
        ))
    });
    layer
}

impl Classify for Mlp {
    fn logits(&self, x: Tensor<2>) -> Tensor<2> {
        let h = self.act.forward(self.l1.forward(x));
        let h = self.act.forward(self.l2.forward(h));
        self.out.forward(h)
    }
}

/// One dense layer as plain numbers: weights `[in × out]` row-major (burn's layout), bias, and
/// the sizes.
#[derive(Debug, Clone, PartialEq)]
pub struct DenseWeights {
    /// `[inputs × outputs]`, row-major.
    pub weights: Vec<f32>,
    /// One per output, when the layer has one.
    pub bias: Option<Vec<f32>>,
    /// Inputs.
    pub inputs: usize,
    /// Outputs.
    pub outputs: usize,
}

pub(crate) fn dense(layer: &Linear) -> DenseWeights {
    let w = layer.weight.val();
    let [inputs, outputs] = w.dims();
    let to_vec = |t: Tensor<1>| {
        t.into_data()
            .convert::<f32>()
            .try_to_vec::<f32>()
            .unwrap_or_default()
    };
    DenseWeights {
        weights: to_vec(w.reshape([inputs * outputs])),
        bias: layer.bias.as_ref().map(|b| to_vec(b.val())),
        inputs,
        outputs,
    }
}

impl Mlp {
    /// Its three layers' weights, input to output (ReLU between them).
    pub fn dense_layers(&self) -> [DenseWeights; 3] {
        [dense(&self.l1), dense(&self.l2), dense(&self.out)]
    }
}

impl Mlp {
    /// The model with a new, freshly initialized output layer of `classes` logits (transfer
    /// to a task with other classes); every other layer keeps its weights.
    pub fn with_head(mut self, classes: usize, device: &Device) -> Self {
        let inputs = self.out.weight.dims()[0];
        self.out = LinearConfig::new(inputs, classes).init(device);
        self
    }
}
