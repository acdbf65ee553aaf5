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
