//! The `digits-cnn` model: two convolution blocks (3x3, same padding, ReLU, 2x2 max-pool) and
//! two dense layers. Works for any square single-channel image whose side divides by 4
//! (8x8 UCI digits, 28x28 MNIST).

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d, Relu};
use burn::tensor::{Device, Tensor};

use crate::model::Classify;

/// A small convolutional network.
#[derive(Module, Debug)]
pub struct Cnn {
    conv1: Conv2d,
    conv2: Conv2d,
    pool: MaxPool2d,
    fc: Linear,
    out: Linear,
    act: Relu,
    side: usize,
}

impl Cnn {
    /// A new model for `side x side` images and `classes` outputs.
    pub fn new(side: usize, classes: usize, device: &Device) -> Self {
        let flat = 32 * (side / 4) * (side / 4);
        Cnn {
            conv1: Conv2dConfig::new([1, 16], [3, 3])
                .with_padding(PaddingConfig2d::Same)
                .init(device),
            conv2: Conv2dConfig::new([16, 32], [3, 3])
                .with_padding(PaddingConfig2d::Same)
                .init(device),
            pool: MaxPool2dConfig::new([2, 2]).init(),
            fc: LinearConfig::new(flat, 64).init(device),
            out: LinearConfig::new(64, classes).init(device),
            act: Relu::new(),
            side,
        }
    }
}

impl Classify for Cnn {
    fn logits(&self, x: Tensor<2>) -> Tensor<2> {
        let n = x.dims()[0];
        let x: Tensor<4> = x.reshape([n, 1, self.side, self.side]);
        let x = self.pool.forward(self.act.forward(self.conv1.forward(x)));
        let x = self.pool.forward(self.act.forward(self.conv2.forward(x)));
        let x: Tensor<2> = x.flatten(1, 3);
        self.out.forward(self.act.forward(self.fc.forward(x)))
    }
}
