//! The `tabular-mlp` model: two hidden ReLU layers and one logit per class.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig, Relu};
use burn::tensor::{Device, Tensor};

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
        Mlp {
            l1: LinearConfig::new(inputs, HIDDEN).init(device),
            l2: LinearConfig::new(HIDDEN, HIDDEN).init(device),
            out: LinearConfig::new(HIDDEN, outputs).init(device),
            act: Relu::new(),
        }
    }
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
