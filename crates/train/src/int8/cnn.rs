//! `digits-cnn` on the int8 path: each 3x3 convolution unrolled into rows of 3x3 patches
//! (im2col) and multiplied by its int8 weights with the same GEMM as the dense layers; ReLU,
//! 2x2 max-pooling and flattening in f32 between them, in burn's channel-major order.

use super::{Granularity, QLinear};
use crate::cnn::{Cnn, ConvWeights};
use crate::error::Result;

/// A 3x3 same-padding convolution on the int8 path.
#[derive(Debug, Clone)]
struct QConv {
    linear: QLinear,
    in_channels: usize,
    out_channels: usize,
}

impl QConv {
    fn new(c: &ConvWeights, granularity: Granularity) -> Result<Self> {
        // burn's [out, in·9] rows become the [in·9 × out] matrix QLinear takes.
        let k = c.in_channels * 9;
        let mut w = vec![0.0f32; k * c.out_channels];
        for o in 0..c.out_channels {
            for i in 0..k {
                w[i * c.out_channels + o] = c.weights[o * k + i];
            }
        }
        Ok(Self {
            linear: QLinear::from_f32(&w, c.bias.as_deref(), k, c.out_channels, granularity)?,
            in_channels: c.in_channels,
            out_channels: c.out_channels,
        })
    }

    /// `x`: `[n, in, side, side]` → `[n, out, side, side]`, both row-major.
    fn forward(&self, x: &[f32], n: usize, side: usize) -> Result<Vec<f32>> {
        let (c_in, k) = (self.in_channels, self.in_channels * 9);
        let pixels = side * side;
        // Quantized once, before unrolling: a patch holds the input's values and zeros, so its
        // scale is the input's and each value is quantized once instead of nine times.
        let x_scale = self.linear.input_scale_for(x)?;
        let qx = super::quantize(x, x_scale);
        // One row per output pixel: its 3x3 patch over every input channel, zero outside.
        let mut cols = vec![0i8; n * pixels * k];
        for b in 0..n {
            for y in 0..side {
                for x0 in 0..side {
                    let row = &mut cols[((b * side + y) * side + x0) * k..][..k];
                    for c in 0..c_in {
                        let plane = &qx[(b * c_in + c) * pixels..][..pixels];
                        for dy in 0..3 {
                            let yy = y + dy;
                            if !(1..=side).contains(&yy) {
                                continue;
                            }
                            for dx in 0..3 {
                                let xx = x0 + dx;
                                if (1..=side).contains(&xx) {
                                    row[c * 9 + dy * 3 + dx] = plane[(yy - 1) * side + xx - 1];
                                }
                            }
                        }
                    }
                }
            }
        }
        let out = self.linear.forward_quantized(&cols, x_scale, n * pixels);
        // [n·pixels × out] → [n, out, side, side]
        let mut nchw = vec![0.0f32; n * self.out_channels * pixels];
        for b in 0..n {
            for p in 0..pixels {
                for o in 0..self.out_channels {
                    nchw[(b * self.out_channels + o) * pixels + p] =
                        out[(b * pixels + p) * self.out_channels + o];
                }
            }
        }
        Ok(nchw)
    }
}

/// ReLU then 2x2 max-pooling with stride 2: `[n, c, side, side]` → `[n, c, side/2, side/2]`.
fn relu_pool(x: &[f32], n: usize, c: usize, side: usize) -> Vec<f32> {
    let half = side / 2;
    let mut out = vec![0.0f32; n * c * half * half];
    for plane in 0..n * c {
        let src = &x[plane * side * side..][..side * side];
        for y in 0..half {
            for x0 in 0..half {
                let m = [
                    src[2 * y * side + 2 * x0],
                    src[2 * y * side + 2 * x0 + 1],
                    src[(2 * y + 1) * side + 2 * x0],
                    src[(2 * y + 1) * side + 2 * x0 + 1],
                ]
                .into_iter()
                .fold(f32::NEG_INFINITY, f32::max);
                out[(plane * half + y) * half + x0] = m.max(0.0);
            }
        }
    }
    out
}

/// A quantized `digits-cnn`.
#[derive(Debug, Clone)]
pub struct QCnn {
    convs: [QConv; 2],
    dense: [QLinear; 2],
    side: usize,
}

impl QCnn {
    /// Quantizes a trained CNN's weights with `granularity`.
    pub fn from_cnn(cnn: &Cnn, granularity: Granularity) -> Result<Self> {
        let (convs, dense, side) = cnn.layers();
        let d = |w: &crate::mlp::DenseWeights| {
            QLinear::from_f32(
                &w.weights,
                w.bias.as_deref(),
                w.inputs,
                w.outputs,
                granularity,
            )
        };
        Ok(Self {
            convs: [
                QConv::new(&convs[0], granularity)?,
                QConv::new(&convs[1], granularity)?,
            ],
            dense: [d(&dense[0])?, d(&dense[1])?],
            side,
        })
    }

    /// Logits for `rows` images of `side × side` pixels (row-major); `[rows × classes]`.
    pub fn logits(&self, x: &[f32], rows: usize) -> Result<Vec<f32>> {
        self.run(x, rows, |_, _| {})
    }

    fn run(&self, x: &[f32], rows: usize, mut seen: impl FnMut(usize, &[f32])) -> Result<Vec<f32>> {
        let side = self.side;
        // A patch holds the layer's inputs and zeros: its largest magnitude is the input's.
        seen(0, x);
        let h = self.convs[0].forward(x, rows, side)?;
        let h = relu_pool(&h, rows, self.convs[0].out_channels, side);
        seen(1, &h);
        let h = self.convs[1].forward(&h, rows, side / 2)?;
        // Flattened per image in channel-major order, as burn's flatten(1, 3).
        let h = relu_pool(&h, rows, self.convs[1].out_channels, side / 2);
        seen(2, &h);
        let mut h = self.dense[0].forward(&h, rows)?;
        h.iter_mut().for_each(|v| *v = v.max(0.0));
        seen(3, &h);
        self.dense[1].forward(&h, rows)
    }

    /// Its four layers (the convolutions as their im2col matrices), input to output.
    pub fn layers(&self) -> Vec<QLinear> {
        self.linears()
    }

    fn linears(&self) -> Vec<QLinear> {
        vec![
            self.convs[0].linear.clone(),
            self.convs[1].linear.clone(),
            self.dense[0].clone(),
            self.dense[1].clone(),
        ]
    }

    fn with_linears(&self, l: Vec<QLinear>) -> Self {
        let mut q = self.clone();
        let [c1, c2, d1, d2]: [QLinear; 4] = l.try_into().expect("four layers");
        q.convs[0].linear = c1;
        q.convs[1].linear = c2;
        q.dense = [d1, d2];
        q
    }

    /// The largest input magnitude of each of its four layers on `rows` images, computed on the
    /// dynamic path.
    pub fn input_maxima(&self, x: &[f32], rows: usize) -> Result<Vec<f32>> {
        let mut maxima = vec![0.0f32; 4];
        let dynamic = self.with_linears(super::mlp::dynamic(&self.linears())?);
        dynamic.run(x, rows, |i, h| maxima[i] = maxima[i].max(super::max_abs(h)))?;
        Ok(maxima)
    }

    /// Fixes each layer's input scale from its largest input (as [`QCnn::input_maxima`] gives).
    pub fn set_input_scales(&mut self, maxima: &[f32]) -> Result<()> {
        *self = self.with_linears(super::mlp::calibrated(&self.linears(), maxima)?);
        Ok(())
    }

    /// The layer names in a weights file.
    pub const LAYERS: [&'static str; 4] = ["conv1", "conv2", "fc", "out"];

    /// Writes its layers to `path` ([`super::store`]); the image side is the first layer's
    /// business to know, so it is given again to [`QCnn::load`].
    pub fn save(&self, path: &std::path::Path) -> Result<()> {
        let layers = [
            &self.convs[0].linear,
            &self.convs[1].linear,
            &self.dense[0],
            &self.dense[1],
        ];
        let named: Vec<(&str, &QLinear)> = Self::LAYERS.iter().copied().zip(layers).collect();
        super::store::write(path, &named)
    }

    /// Reads a model [`QCnn::save`] wrote, for `side × side` images; the layers' sizes must
    /// chain (one input channel, 3×3 kernels, the dense layer reading the pooled maps).
    pub fn load(path: &std::path::Path, side: usize) -> Result<Self> {
        let [c1, c2, fc, out]: [QLinear; 4] =
            super::store::read(path, &Self::LAYERS)?
                .try_into()
                .map_err(|_| super::store::shape_error(path, "four layers expected"))?;
        let area = (side / 4) * (side / 4);
        let fits = c1.in_features() == 9
            && c2.in_features() == 9 * c1.out_features()
            && fc.in_features() == c2.out_features() * area
            && out.in_features() == fc.out_features();
        if !fits {
            return Err(super::store::shape_error(
                path,
                &format!(
                    "layer sizes do not chain for {side}×{side} images: conv1 {}→{}, conv2 {}→{}, fc {}→{}, out {}→{}",
                    c1.in_features(),
                    c1.out_features(),
                    c2.in_features(),
                    c2.out_features(),
                    fc.in_features(),
                    fc.out_features(),
                    out.in_features(),
                    out.out_features()
                ),
            ));
        }
        let conv = |linear: QLinear| QConv {
            in_channels: linear.in_features() / 9,
            out_channels: linear.out_features(),
            linear,
        };
        Ok(Self {
            convs: [conv(c1), conv(c2)],
            dense: [fc, out],
            side,
        })
    }

    /// Bytes of its weights, scales and biases as stored.
    pub fn size_bytes(&self) -> usize {
        self.convs
            .iter()
            .map(|c| &c.linear)
            .chain(&self.dense)
            .map(|l| l.weights_t().len() + 4 * (l.scales().len() + l.bias().len()))
            .sum()
    }
}
