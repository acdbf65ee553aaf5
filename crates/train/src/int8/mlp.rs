//! `tabular-mlp` on the int8 path: each layer a [`QLinear`], ReLU in f32 between them.

use super::{Granularity, QLinear};
use crate::error::Result;
use crate::mlp::Mlp;

/// A quantized multilayer perceptron.
#[derive(Debug, Clone)]
pub struct QMlp {
    layers: Vec<QLinear>,
}

impl QMlp {
    /// Quantizes a trained MLP's weights with `granularity`.
    pub fn from_mlp(mlp: &Mlp, granularity: Granularity) -> Result<Self> {
        let layers = mlp
            .dense_layers()
            .iter()
            .map(|d| {
                QLinear::from_f32(
                    &d.weights,
                    d.bias.as_deref(),
                    d.inputs,
                    d.outputs,
                    granularity,
                )
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { layers })
    }

    /// Logits for `rows` rows of features (row-major), each layer's activations quantized at
    /// its calibrated scale or dynamically; row-major `[rows × classes]`.
    pub fn logits(&self, x: &[f32], rows: usize) -> Result<Vec<f32>> {
        self.run(x, rows, |_, _| {})
    }

    fn run(&self, x: &[f32], rows: usize, mut seen: impl FnMut(usize, &[f32])) -> Result<Vec<f32>> {
        let mut h = x.to_vec();
        let last = self.layers.len() - 1;
        for (i, layer) in self.layers.iter().enumerate() {
            seen(i, &h);
            h = layer.forward(&h, rows)?;
            if i < last {
                h.iter_mut().for_each(|v| *v = v.max(0.0));
            }
        }
        Ok(h)
    }

    /// The largest input magnitude of each layer on `rows` rows, computed on the dynamic path.
    pub fn input_maxima(&self, x: &[f32], rows: usize) -> Result<Vec<f32>> {
        let mut maxima = vec![0.0f32; self.layers.len()];
        let dynamic = Self {
            layers: dynamic(&self.layers)?,
        };
        dynamic.run(x, rows, |i, h| maxima[i] = maxima[i].max(super::max_abs(h)))?;
        Ok(maxima)
    }

    /// Fixes each layer's input scale from its largest input (as [`QMlp::input_maxima`] gives).
    pub fn set_input_scales(&mut self, maxima: &[f32]) -> Result<()> {
        self.layers = calibrated(&self.layers, maxima)?;
        Ok(())
    }

    /// The layer names in a weights file.
    pub const LAYERS: [&'static str; 3] = ["l1", "l2", "out"];

    /// Writes its layers to `path` ([`super::store`]).
    pub fn save(&self, path: &std::path::Path) -> Result<()> {
        let named: Vec<(&str, &QLinear)> = Self::LAYERS.iter().copied().zip(&self.layers).collect();
        super::store::write(path, &named)
    }

    /// Reads a model [`QMlp::save`] wrote; each layer must take what the one before gives.
    pub fn load(path: &std::path::Path) -> Result<Self> {
        let layers = super::store::read(path, &Self::LAYERS)?;
        if let Some(w) = layers
            .windows(2)
            .find(|w| w[0].out_features() != w[1].in_features())
        {
            return Err(super::store::shape_error(
                path,
                &format!(
                    "layer sizes do not chain: {} outputs into {} inputs",
                    w[0].out_features(),
                    w[1].in_features()
                ),
            ));
        }
        Ok(Self { layers })
    }

    /// Its layers, input to output.
    pub fn layers(&self) -> &[QLinear] {
        &self.layers
    }

    /// Bytes of its weights, scales and biases as stored.
    pub fn size_bytes(&self) -> usize {
        self.layers
            .iter()
            .map(|l| l.weights_t().len() + 4 * (l.scales().len() + l.bias().len()))
            .sum()
    }
}

/// The layers with dynamic input scales.
pub(super) fn dynamic(layers: &[QLinear]) -> Result<Vec<QLinear>> {
    layers
        .iter()
        .map(|l| l.clone().with_input_scale(None))
        .collect()
}

/// The layers with input scales fixed from `maxima` (one per layer).
pub(super) fn calibrated(layers: &[QLinear], maxima: &[f32]) -> Result<Vec<QLinear>> {
    if maxima.len() != layers.len() {
        return Err(crate::TrainError::Input(format!(
            "int8 calibration: {} maxima for {} layers",
            maxima.len(),
            layers.len()
        )));
    }
    layers
        .iter()
        .zip(maxima)
        .map(|(l, &m)| l.clone().with_input_scale(Some(super::scale_for(m))))
        .collect()
}
