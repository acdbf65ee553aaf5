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

/// A 3x3, same-padding convolution as plain numbers: weights `[out, in, 3, 3]` row-major
/// (burn's layout), bias, and the channel counts.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvWeights {
    /// `[out_channels × in_channels × 3 × 3]`, row-major.
    pub weights: Vec<f32>,
    /// One per output channel, when the layer has one.
    pub bias: Option<Vec<f32>>,
    /// Input channels.
    pub in_channels: usize,
    /// Output channels.
    pub out_channels: usize,
}

fn conv(layer: &Conv2d) -> ConvWeights {
    let w = layer.weight.val();
    let [out_channels, in_channels, kh, kw] = w.dims();
    let to_vec = |t: Tensor<1>| {
        t.into_data()
            .convert::<f32>()
            .try_to_vec::<f32>()
            .unwrap_or_default()
    };
    ConvWeights {
        weights: to_vec(w.reshape([out_channels * in_channels * kh * kw])),
        bias: layer.bias.as_ref().map(|b| to_vec(b.val())),
        in_channels,
        out_channels,
    }
}

impl Cnn {
    /// Its layers as plain numbers: the two convolutions, the two dense layers, and the
    /// image side.
    pub fn layers(&self) -> ([ConvWeights; 2], [crate::mlp::DenseWeights; 2], usize) {
        (
            [conv(&self.conv1), conv(&self.conv2)],
            [crate::mlp::dense(&self.fc), crate::mlp::dense(&self.out)],
            self.side,
        )
    }
}
