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

    /// Logits for `rows` rows of features (row-major), each layer's activations quantized
    /// dynamically; row-major `[rows × classes]`.
    pub fn logits(&self, x: &[f32], rows: usize) -> Result<Vec<f32>> {
        let mut h = x.to_vec();
        let last = self.layers.len() - 1;
        for (i, layer) in self.layers.iter().enumerate() {
            h = layer.forward(&h, rows)?;
            if i < last {
                h.iter_mut().for_each(|v| *v = v.max(0.0));
            }
        }
        Ok(h)
    }

    /// The layer names in a weights file.
    pub const LAYERS: [&'static str; 3] = ["l1", "l2", "out"];

    /// Writes its layers to `path` ([`super::store`]).
    pub fn save(&self, path: &std::path::Path) -> Result<()> {
        let named: Vec<(&str, &QLinear)> = Self::LAYERS.iter().copied().zip(&self.layers).collect();
        super::store::write(path, &named)
    }

    /// Reads a model [`QMlp::save`] wrote.
    pub fn load(path: &std::path::Path) -> Result<Self> {
        Ok(Self {
            layers: super::store::read(path, &Self::LAYERS)?,
        })
    }

    /// Bytes of its weights, scales and biases as stored.
    pub fn size_bytes(&self) -> usize {
        self.layers
            .iter()
            .map(|l| l.weights_t().len() + 4 * (l.scales().len() + l.bias().len()))
            .sum()
    }
}
