//! The `digits-cnn` model: two convolution blocks (3x3, same padding, ReLU, 2x2 max-pool) and
//! two dense layers. Works for any square single-channel image whose side divides by 4
//! (8x8 UCI digits, 28x28 MNIST).

use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d, Relu};
use burn::tensor::{Device, Tensor, TensorData};

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

/// The default widths: 16 and 32 convolution channels, 64 dense units.
pub const WIDTHS: [usize; 3] = [16, 32, 64];

impl Cnn {
    /// A new model for `side x side` images and `classes` outputs.
    pub fn new(side: usize, classes: usize, device: &Device) -> Self {
        Self::with_widths(side, WIDTHS, classes, device)
    }

    /// A new model with `widths` = [conv1 channels, conv2 channels, dense units] (a
    /// structurally pruned model).
    pub fn with_widths(side: usize, widths: [usize; 3], classes: usize, device: &Device) -> Self {
        let [c1, c2, units] = widths;
        let flat = c2 * (side / 4) * (side / 4);
        Cnn {
            conv1: conv_config(1, c1).init(device),
            conv2: conv_config(c1, c2).init(device),
            pool: MaxPool2dConfig::new([2, 2]).init(),
            fc: LinearConfig::new(flat, units).init(device),
            out: LinearConfig::new(units, classes).init(device),
            act: Relu::new(),
            side,
        }
    }

    /// A model with the given layers' weights (as [`Cnn::layers`] gives them); their sizes
    /// must chain.
    pub fn from_layers(
        convs: &[ConvWeights; 2],
        dense: &[crate::mlp::DenseWeights; 2],
        side: usize,
        device: &Device,
    ) -> Self {
        let conv = |c: &ConvWeights| {
            let mut layer = conv_config(c.in_channels, c.out_channels)
                .with_bias(c.bias.is_some())
                .init(device);
            let shape = [c.out_channels, c.in_channels, 3, 3];
            layer.weight = Param::from_tensor(Tensor::from_data(
                TensorData::new(c.weights.clone(), shape),
                device,
            ));
            layer.bias = c.bias.as_ref().map(|b| {
                Param::from_tensor(Tensor::from_data(
                    TensorData::new(b.clone(), [c.out_channels]),
                    device,
                ))
            });
            layer
        };
        Cnn {
            conv1: conv(&convs[0]),
            conv2: conv(&convs[1]),
            pool: MaxPool2dConfig::new([2, 2]).init(),
            fc: crate::mlp::linear_from(&dense[0], device),
            out: crate::mlp::linear_from(&dense[1], device),
            act: Relu::new(),
            side,
        }
    }
}

fn conv_config(inputs: usize, outputs: usize) -> Conv2dConfig {
    Conv2dConfig::new([inputs, outputs], [3, 3]).with_padding(PaddingConfig2d::Same)
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

impl Cnn {
    /// The model with a new, freshly initialized output layer of `classes` logits (transfer
    /// to a task with other classes); every other layer keeps its weights.
    pub fn with_head(mut self, classes: usize, device: &Device) -> Self {
        let inputs = self.out.weight.dims()[0];
        self.out = LinearConfig::new(inputs, classes).init(device);
        self
    }
}
