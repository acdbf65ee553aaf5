//! Magnitude pruning.
//!
//! - **Unstructured**: the `round(s · n)` weights of smallest magnitude are set to zero, over all
//!   weight matrices and kernels at once ([`PruneScope::Global`]) or in each one
//!   ([`PruneScope::PerLayer`]); ties go to the earlier weight. A [`Masks`] keeps them at zero
//!   through recovery fine-tuning (applied after every optimizer step). Works for every task.
//! - **Structured** (`tabular-mlp`, `digits-cnn`): in each hidden layer the `round(s · n)` units
//!   (neurons, convolution filters) whose incoming weights have the smallest L1 norm are removed,
//!   with the matching inputs of the next layer (Li et al., 2017, "Pruning Filters for
//!   Efficient ConvNets", ICLR). At least one unit stays. The layers shrink, so the model is
//!   faster on dense kernels; inputs and classes never change.
//!
//! Biases and normalization parameters are never pruned: only parameters of two or more
//! dimensions count as weights.

use std::collections::BTreeMap;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::{Device, Tensor, TensorData};

use super::{PruneKind, PruneScope};
use crate::cnn::{Cnn, ConvWeights};
use crate::error::{Result, TrainError};
use crate::mlp::{DenseWeights, Mlp};
use crate::trainer::Model;

/// One parameter tensor as plain numbers, with its path in the module (`Mlp.l1.weight`).
#[derive(Debug, Clone)]
struct ParamValues {
    path: String,
    dims: Vec<usize>,
    values: Vec<f32>,
}

impl ParamValues {
    /// Matrices and kernels are weights; vectors (biases, norms) are not.
    fn is_weight(&self) -> bool {
        self.dims.len() >= 2
    }
}

#[derive(Default)]
struct Collector {
    path: Vec<String>,
    out: Vec<ParamValues>,
}

impl ModuleVisitor for Collector {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let t = param.val();
        let dims = t.dims().to_vec();
        let values = t
            .into_data()
            .convert::<f32>()
            .try_to_vec::<f32>()
            .unwrap_or_default();
        self.out.push(ParamValues {
            path: self.path.join("."),
            dims,
            values,
        });
    }
}

fn params(model: &Model) -> Vec<ParamValues> {
    let mut c = Collector::default();
    model.visit(&mut c);
    c.out
}

/// Parameters of a model: (all, non-zero, weights, non-zero weights).
pub fn weight_counts(model: &Model) -> (u64, u64, u64, u64) {
    let (mut all, mut nz, mut w, mut wnz) = (0, 0, 0, 0);
    for p in params(model) {
        let n = p.values.len() as u64;
        let z = p.values.iter().filter(|v| **v != 0.0).count() as u64;
        all += n;
        nz += z;
        if p.is_weight() {
            w += n;
            wnz += z;
        }
    }
    (all, nz, w, wnz)
}

/// Zero-one masks of pruned weight tensors, by path.
#[derive(Debug, Clone, Default)]
pub struct Masks(BTreeMap<String, (Vec<usize>, Vec<f32>)>);

impl Masks {
    /// `model` with every masked weight set to zero (gradients keep flowing to the others).
    pub fn apply(&self, model: Model) -> Model {
        model.map(&mut Masker {
            masks: self,
            path: Vec::new(),
        })
    }

    /// Weights kept (mask 1).
    pub fn kept(&self) -> u64 {
        self.0
            .values()
            .map(|(_, m)| m.iter().filter(|v| **v != 0.0).count() as u64)
            .sum()
    }
}

struct Masker<'a> {
    masks: &'a Masks,
    path: Vec<String>,
}

impl ModuleMapper for Masker<'_> {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let Some((dims, mask)) = self.masks.0.get(&self.path.join(".")) else {
            return param;
        };
        param.map(|t| {
            let grad = t.is_require_grad();
            let shape: [usize; D] = dims
                .as_slice()
                .try_into()
                .expect("mask of the tensor's rank");
            let m = Tensor::<D>::from_data(TensorData::new(mask.clone(), shape), &t.device());
            // A new leaf: the product must not link the parameter to the previous step's graph.
            let masked = (t.detach() * m).detach();
            if grad { masked.require_grad() } else { masked }
        })
    }
}

/// What pruning made.
pub struct PruneOutcome {
    /// The pruned model.
    pub model: Model,
    /// Masks to keep pruned weights at zero (unstructured).
    pub masks: Option<Masks>,
    /// The new hidden widths (structured).
    pub widths: Option<Vec<usize>>,
    /// Weights before.
    pub weights_before: u64,
    /// Non-zero weights after.
    pub weights_after: u64,
}

/// Checks a sparsity: a fraction in [0, 1).
pub fn check_sparsity(sparsity: f64) -> Result<()> {
    if sparsity.is_finite() && (0.0..1.0).contains(&sparsity) {
        Ok(())
    } else {
        Err(TrainError::Invalid {
            what: "--sparsity".into(),
            value: sparsity.to_string(),
            expected: "a fraction of weights to remove, at least 0 and below 1, such as 0.5".into(),
        })
    }
}

/// Prunes `model` to `sparsity` (see the module's documentation); `device` is where the
/// shrunk layers of structured pruning are made.
pub fn prune(
    model: Model,
    kind: PruneKind,
    scope: PruneScope,
    sparsity: f64,
    device: &Device,
) -> Result<PruneOutcome> {
    check_sparsity(sparsity)?;
    let (_, _, weights_before, _) = weight_counts(&model);
    match kind {
        PruneKind::Unstructured => {
            let weights: Vec<ParamValues> = params(&model)
                .into_iter()
                .filter(|p| p.is_weight())
                .collect();
            let masks = magnitude_masks(&weights, sparsity, scope);
            let model = masks.apply(model);
            let (_, _, _, weights_after) = weight_counts(&model);
            Ok(PruneOutcome {
                model,
                masks: Some(masks),
                widths: None,
                weights_before,
                weights_after,
            })
        }
        PruneKind::Structured => {
            let (model, widths) = match &model {
                Model::Mlp(m) => {
                    let (m, w) = shrink_mlp(m, sparsity, device);
                    (Model::Mlp(m), w)
                }
                Model::Cnn(c) => {
                    let (c, w) = shrink_cnn(c, sparsity, device);
                    (Model::Cnn(c), w)
                }
                Model::Lstm(_) | Model::Gpt(_) => {
                    return Err(TrainError::Input(
                        "--structured prunes tabular-mlp and digits-cnn models (neurons and channels); prune a text-lstm or char-gpt model without --structured".into(),
                    ));
                }
            };
            let (_, _, _, weights_after) = weight_counts(&model);
            Ok(PruneOutcome {
                model,
                masks: None,
                widths: Some(widths),
                weights_before,
                weights_after,
            })
        }
    }
}

/// Masks removing the `round(s · n)` smallest weights, globally or per tensor.
fn magnitude_masks(weights: &[ParamValues], sparsity: f64, scope: PruneScope) -> Masks {
    let mut masks: BTreeMap<String, (Vec<usize>, Vec<f32>)> = weights
        .iter()
        .map(|p| (p.path.clone(), (p.dims.clone(), vec![1.0; p.values.len()])))
        .collect();
    let groups: Vec<Vec<usize>> = match scope {
        PruneScope::Global => vec![(0..weights.len()).collect()],
        PruneScope::PerLayer => (0..weights.len()).map(|i| vec![i]).collect(),
    };
    for group in groups {
        let mut all: Vec<(f32, usize, usize)> = group
            .iter()
            .flat_map(|&t| {
                weights[t]
                    .values
                    .iter()
                    .enumerate()
                    .map(move |(i, v)| (v.abs(), t, i))
            })
            .collect();
        let k = (sparsity * all.len() as f64).round() as usize;
        all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        for &(_, t, i) in &all[..k.min(all.len())] {
            if let Some((_, m)) = masks.get_mut(&weights[t].path) {
                m[i] = 0.0;
            }
        }
    }
    Masks(masks)
}

/// Units to keep out of `norms.len()`: the largest norms, at least one, in their order.
fn keep(norms: &[f32], sparsity: f64) -> Vec<usize> {
    let n = norms.len();
    let remove = ((sparsity * n as f64).round() as usize).min(n.saturating_sub(1));
    let mut order: Vec<usize> = (0..n).collect();
    // Largest first; ties keep the earlier unit.
    order.sort_by(|&a, &b| norms[b].total_cmp(&norms[a]).then(a.cmp(&b)));
    let mut kept = order[..n - remove].to_vec();
    kept.sort_unstable();
    kept
}

/// L1 norm of each output column of a dense layer (`[in × out]`).
fn column_norms(d: &DenseWeights) -> Vec<f32> {
    let mut norms = vec![0.0f32; d.outputs];
    for row in d.weights.chunks_exact(d.outputs) {
        for (n, w) in norms.iter_mut().zip(row) {
            *n += w.abs();
        }
    }
    norms
}

/// The dense layer with only the output columns `cols`.
fn keep_columns(d: &DenseWeights, cols: &[usize]) -> DenseWeights {
    let weights = d
        .weights
        .chunks_exact(d.outputs)
        .flat_map(|row| cols.iter().map(move |&c| row[c]))
        .collect();
    DenseWeights {
        weights,
        bias: d
            .bias
            .as_ref()
            .map(|b| cols.iter().map(|&c| b[c]).collect()),
        inputs: d.inputs,
        outputs: cols.len(),
    }
}

/// The dense layer with only the input rows `rows`.
fn keep_rows(d: &DenseWeights, rows: &[usize]) -> DenseWeights {
    let weights = rows
        .iter()
        .flat_map(|&r| {
            d.weights[r * d.outputs..(r + 1) * d.outputs]
                .iter()
                .copied()
        })
        .collect();
    DenseWeights {
        weights,
        bias: d.bias.clone(),
        inputs: rows.len(),
        outputs: d.outputs,
    }
}

fn shrink_mlp(m: &Mlp, sparsity: f64, device: &Device) -> (Mlp, Vec<usize>) {
    let [l1, l2, out] = m.dense_layers();
    let k1 = keep(&column_norms(&l1), sparsity);
    let l1 = keep_columns(&l1, &k1);
    let l2 = keep_rows(&l2, &k1);
    let k2 = keep(&column_norms(&l2), sparsity);
    let l2 = keep_columns(&l2, &k2);
    let out = keep_rows(&out, &k2);
    let widths = vec![k1.len(), k2.len()];
    (Mlp::from_layers(&[l1, l2, out], device), widths)
}

/// L1 norm of each filter (output channel) of a convolution `[out, in, 3, 3]`.
fn filter_norms(c: &ConvWeights) -> Vec<f32> {
    c.weights
        .chunks_exact(c.in_channels * 9)
        .map(|f| f.iter().map(|w| w.abs()).sum())
        .collect()
}

fn keep_filters(c: &ConvWeights, outs: &[usize]) -> ConvWeights {
    let k = c.in_channels * 9;
    ConvWeights {
        weights: outs
            .iter()
            .flat_map(|&o| c.weights[o * k..(o + 1) * k].iter().copied())
            .collect(),
        bias: c
            .bias
            .as_ref()
            .map(|b| outs.iter().map(|&o| b[o]).collect()),
        in_channels: c.in_channels,
        out_channels: outs.len(),
    }
}

fn keep_input_channels(c: &ConvWeights, ins: &[usize]) -> ConvWeights {
    let k = c.in_channels * 9;
    let weights = c
        .weights
        .chunks_exact(k)
        .flat_map(|f| {
            ins.iter()
                .flat_map(move |&i| f[i * 9..(i + 1) * 9].iter().copied())
        })
        .collect();
    ConvWeights {
        weights,
        bias: c.bias.clone(),
        in_channels: ins.len(),
        out_channels: c.out_channels,
    }
}

fn shrink_cnn(c: &Cnn, sparsity: f64, device: &Device) -> (Cnn, Vec<usize>) {
    let ([conv1, conv2], [fc, out], side) = c.layers();
    let k1 = keep(&filter_norms(&conv1), sparsity);
    let conv1 = keep_filters(&conv1, &k1);
    let conv2 = keep_input_channels(&conv2, &k1);
    let k2 = keep(&filter_norms(&conv2), sparsity);
    let conv2 = keep_filters(&conv2, &k2);
    // The dense layer reads the pooled maps flattened channel-major: channel c owns a block of
    // (side/4)² rows.
    let area = (side / 4) * (side / 4);
    let rows: Vec<usize> = k2
        .iter()
        .flat_map(|&ch| ch * area..(ch + 1) * area)
        .collect();
    let fc = keep_rows(&fc, &rows);
    let k3 = keep(&column_norms(&fc), sparsity);
    let fc = keep_columns(&fc, &k3);
    let out = keep_rows(&out, &k3);
    let widths = vec![k1.len(), k2.len(), k3.len()];
    (
        Cnn::from_layers(&[conv1, conv2], &[fc, out], side, device),
        widths,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pv(path: &str, values: Vec<f32>) -> ParamValues {
        ParamValues {
            path: path.into(),
            dims: vec![values.len(), 1],
            values,
        }
    }

    #[test]
    fn global_and_per_layer_masks_remove_the_smallest_magnitudes() {
        let w = [
            pv("a", vec![0.1, -5.0, 0.2, 3.0]),
            pv("b", vec![-0.05, 0.3]),
        ];
        let g = magnitude_masks(&w, 0.5, PruneScope::Global);
        // Three smallest of six: -0.05 (b0), 0.1 (a0), 0.2 (a2).
        assert_eq!(g.0["a"].1, vec![0.0, 1.0, 0.0, 1.0]);
        assert_eq!(g.0["b"].1, vec![0.0, 1.0]);
        assert_eq!(g.kept(), 3);
        let l = magnitude_masks(&w, 0.5, PruneScope::PerLayer);
        assert_eq!(l.0["a"].1, vec![0.0, 1.0, 0.0, 1.0]);
        assert_eq!(l.0["b"].1, vec![0.0, 1.0]);
        let none = magnitude_masks(&w, 0.0, PruneScope::Global);
        assert_eq!(none.kept(), 6);
    }

    #[test]
    fn structured_keeps_the_strongest_units_and_at_least_one() {
        assert_eq!(keep(&[1.0, 5.0, 0.5, 3.0], 0.5), vec![1, 3]);
        assert_eq!(keep(&[1.0, 2.0], 0.99), vec![1]);
        assert_eq!(keep(&[1.0, 1.0, 1.0], 0.34), vec![0, 1]);
        let d = DenseWeights {
            weights: vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            bias: Some(vec![0.1, 0.2, 0.3]),
            inputs: 2,
            outputs: 3,
        };
        let c = keep_columns(&d, &[0, 2]);
        assert_eq!(c.weights, vec![1.0, 3.0, 4.0, 6.0]);
        assert_eq!(c.bias, Some(vec![0.1, 0.3]));
        let r = keep_rows(&d, &[1]);
        assert_eq!(r.weights, vec![4.0, 5.0, 6.0]);
        assert_eq!(column_norms(&d), vec![5.0, 7.0, 9.0]);
    }

    #[test]
    fn bad_sparsity_is_refused() {
        for s in [-0.1, 1.0, 1.5, f64::NAN] {
            let e = check_sparsity(s).unwrap_err().to_string();
            assert!(e.contains("--sparsity") && e.contains("below 1"), "{e}");
        }
        assert!(check_sparsity(0.0).is_ok() && check_sparsity(0.9).is_ok());
    }
}
