//! A linear layer computed in int8: `y = x · W + b` with int8 weights and activations and `i32`
//! sums, rescaled to `f32` at the end.

use super::gemm::{Kernel, MAX_K, gemm_i8_into};
use super::quant::{
    ActivationScale, Granularity, max_abs, quantize, quantize_per_channel, quantize_per_tensor,
    scale_for,
};
use crate::{Result, TrainError};

/// A quantized linear layer.
///
/// Weights are stored transposed, `[out × in]` row-major, so each output is the dot product of
/// two contiguous `i8` rows. `scales` holds one scale per output channel, or one for the whole
/// matrix; `bias` stays `f32` (zeros when the layer has none).
///
/// Agreement with the f32 layer (tested): each output is within
/// `Σ_i (|x_i| · sw/2 + |w_i| · sx/2 + sx · sw/4)` of the exact value, and on random uniform data
/// the largest error is below 2 % of the range of the outputs with per-channel scales.
#[derive(Debug, Clone, PartialEq)]
pub struct QLinear {
    weights_t: Vec<i8>,
    scales: Vec<f32>,
    bias: Vec<f32>,
    in_features: usize,
    out_features: usize,
    granularity: Granularity,
    /// The calibrated scale of its inputs; `None`: dynamic, from each batch.
    input_scale: Option<f32>,
}

impl QLinear {
    /// A layer from stored parts: int8 weights `[out × in]`, one scale per output channel (or
    /// one for the tensor), a bias of `out` values.
    ///
    /// # Errors
    /// When a length does not match, a scale is not finite and positive, or `in_features >
    /// MAX_K`.
    pub fn from_parts(
        weights_t: Vec<i8>,
        scales: Vec<f32>,
        bias: Vec<f32>,
        in_features: usize,
        out_features: usize,
    ) -> Result<Self> {
        if weights_t.len() != in_features * out_features || bias.len() != out_features {
            return Err(input(format!(
                "int8 linear: {} weights and {} bias values, expected {out_features} × {in_features} and {out_features}",
                weights_t.len(),
                bias.len()
            )));
        }
        if in_features > MAX_K {
            return Err(input(format!(
                "int8 linear: {in_features} inputs, at most {MAX_K} (i32 sums could overflow)"
            )));
        }
        let granularity = match scales.len() {
            1 => Granularity::PerTensor,
            n if n == out_features => Granularity::PerChannel,
            n => {
                return Err(input(format!(
                    "int8 linear: {n} scales, expected 1 or {out_features}"
                )));
            }
        };
        if scales.iter().any(|s| !(s.is_finite() && *s > 0.0))
            || bias.iter().any(|b| !b.is_finite())
        {
            return Err(input(
                "int8 linear: scales must be finite and positive, biases finite".into(),
            ));
        }
        Ok(Self {
            weights_t,
            scales,
            bias,
            in_features,
            out_features,
            granularity,
            input_scale: None,
        })
    }

    /// Quantizes an f32 layer. `weights` is `[in × out]` row-major, the layout of burn's
    /// `Linear::weight` (`y = x · W`); `bias`, when given, has `out` values.
    ///
    /// # Errors
    /// When a length does not match, a value is not finite, or `in_features > MAX_K`.
    pub fn from_f32(
        weights: &[f32],
        bias: Option<&[f32]>,
        in_features: usize,
        out_features: usize,
        granularity: Granularity,
    ) -> Result<Self> {
        if weights.len() != in_features * out_features {
            return Err(input(format!(
                "int8 linear: {} weights, expected in × out = {in_features} × {out_features}",
                weights.len()
            )));
        }
        if in_features > MAX_K {
            return Err(input(format!(
                "int8 linear: {in_features} inputs, at most {MAX_K} (i32 sums could overflow)"
            )));
        }
        let bias = match bias {
            Some(b) if b.len() != out_features => {
                return Err(input(format!(
                    "int8 linear: {} bias values, expected {out_features}",
                    b.len()
                )));
            }
            Some(b) => b.to_vec(),
            None => vec![0.0; out_features],
        };
        if !weights.iter().chain(&bias).all(|v| v.is_finite()) {
            return Err(input("int8 linear: a weight or bias is not finite".into()));
        }
        // [in × out] → [out × in].
        let mut transposed = vec![0.0f32; weights.len()];
        for (i, row) in weights.chunks_exact(out_features.max(1)).enumerate() {
            for (c, &w) in row.iter().enumerate() {
                transposed[c * in_features + i] = w;
            }
        }
        let (weights_t, scales) = match granularity {
            Granularity::PerChannel => quantize_per_channel(&transposed, out_features, in_features),
            Granularity::PerTensor => {
                let (q, s) = quantize_per_tensor(&transposed);
                (q, vec![s])
            }
        };
        Ok(QLinear {
            weights_t,
            scales,
            bias,
            in_features,
            out_features,
            granularity,
            input_scale: None,
        })
    }

    /// `y = x · W + b` for `rows` rows of `x` (`[rows × in]` row-major), with the activations
    /// quantized at the calibrated scale, or dynamically (one scale from this batch's `max|x|`)
    /// when the layer has none; returns `[rows × out]`.
    ///
    /// # Errors
    /// When `x` is not `rows × in` or holds a value that is not finite.
    pub fn forward(&self, x: &[f32], rows: usize) -> Result<Vec<f32>> {
        let scale = self
            .input_scale
            .map_or(ActivationScale::Dynamic, ActivationScale::Calibrated);
        self.forward_with(x, rows, scale)
    }

    /// The layer with its inputs quantized at a fixed `scale` from now on (calibration), or
    /// dynamically again with `None`.
    ///
    /// # Errors
    /// When the scale is not finite and positive.
    pub fn with_input_scale(mut self, scale: Option<f32>) -> Result<Self> {
        if let Some(s) = scale
            && !(s.is_finite() && s > 0.0)
        {
            return Err(input(format!(
                "int8 linear: input scale {s}, expected a positive finite number"
            )));
        }
        self.input_scale = scale;
        Ok(self)
    }

    /// The calibrated input scale, if any.
    pub fn input_scale(&self) -> Option<f32> {
        self.input_scale
    }

    /// [`QLinear::forward`] with the activation scale given.
    ///
    /// # Errors
    /// As [`QLinear::forward`], and when a calibrated scale is not positive and finite.
    pub fn forward_with(&self, x: &[f32], rows: usize, scale: ActivationScale) -> Result<Vec<f32>> {
        if x.len() != rows * self.in_features {
            return Err(input(format!(
                "int8 linear: input of {} values, expected rows × in = {rows} × {}",
                x.len(),
                self.in_features
            )));
        }
        let x_scale = activation_scale(x, scale)?;
        Ok(self.forward_quantized(&quantize(x, x_scale), x_scale, rows))
    }

    /// The scale its inputs are quantized at for `x`: the calibrated one, or `max|x| / 127`.
    ///
    /// # Errors
    /// When a value of `x` is not finite (dynamic scale).
    pub fn input_scale_for(&self, x: &[f32]) -> Result<f32> {
        let scale = self
            .input_scale
            .map_or(ActivationScale::Dynamic, ActivationScale::Calibrated);
        activation_scale(x, scale)
    }

    /// `y = x · W + b` from inputs already quantized at `x_scale` (`[rows × in]`), so a caller
    /// that rearranges them (the convolution's patches) quantizes each value once.
    ///
    /// # Panics
    /// When `qx` is not `rows × in`.
    pub fn forward_quantized(&self, qx: &[i8], x_scale: f32, rows: usize) -> Vec<f32> {
        let (n, k) = (self.out_features, self.in_features);
        let mut acc = vec![0i32; rows * n];
        gemm_i8_into(Kernel::best(), qx, &self.weights_t, rows, n, k, &mut acc);
        let factors: Vec<f32> = (0..n).map(|c| x_scale * self.weight_scale(c)).collect();
        let mut y = Vec::with_capacity(acc.len());
        for acc_row in acc.chunks_exact(n.max(1)) {
            y.extend(
                acc_row
                    .iter()
                    .zip(&factors)
                    .zip(&self.bias)
                    .map(|((&a, &f), &b)| a as f32 * f + b),
            );
        }
        y
    }

    /// The scale of output channel `c`'s weights.
    pub fn weight_scale(&self, c: usize) -> f32 {
        match self.granularity {
            Granularity::PerChannel => self.scales[c],
            Granularity::PerTensor => self.scales[0],
        }
    }

    /// The weights as f32 again, `[in × out]` like [`QLinear::from_f32`] takes them.
    pub fn dequantized_weights(&self) -> Vec<f32> {
        let (n, k) = (self.out_features, self.in_features);
        let mut w = vec![0.0; n * k];
        for (c, row) in self.weights_t.chunks_exact(k.max(1)).enumerate() {
            let s = self.weight_scale(c);
            for (i, &q) in row.iter().enumerate() {
                w[i * n + c] = f32::from(q) * s;
            }
        }
        w
    }

    /// The int8 weights, `[out × in]` row-major.
    pub fn weights_t(&self) -> &[i8] {
        &self.weights_t
    }

    /// The weight scales: `out` of them per channel, one per tensor.
    pub fn scales(&self) -> &[f32] {
        &self.scales
    }

    /// The bias (zeros when the layer had none).
    pub fn bias(&self) -> &[f32] {
        &self.bias
    }

    /// Inputs per row.
    pub fn in_features(&self) -> usize {
        self.in_features
    }

    /// Outputs per row.
    pub fn out_features(&self) -> usize {
        self.out_features
    }

    /// Per tensor or per channel.
    pub fn granularity(&self) -> Granularity {
        self.granularity
    }
}

/// The activation scale of `x`: `max|x| / 127` (dynamic) or the calibrated one.
fn activation_scale(x: &[f32], scale: ActivationScale) -> Result<f32> {
    match scale {
        ActivationScale::Dynamic => {
            let m = max_abs(x);
            if !m.is_finite() || x.iter().any(|v| v.is_nan()) {
                return Err(input("int8 linear: an input value is not finite".into()));
            }
            Ok(scale_for(m))
        }
        ActivationScale::Calibrated(s) if s > 0.0 && s.is_finite() => Ok(s),
        ActivationScale::Calibrated(s) => Err(input(format!(
            "int8 linear: activation scale {s}, expected a positive finite number"
        ))),
    }
}

fn input(message: String) -> TrainError {
    TrainError::Input(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::int8::testutil::XorShift;

    /// `x · W + b` in f64, `W` as `[in × out]`.
    fn reference(x: &[f32], w: &[f32], b: &[f32], rows: usize, k: usize, n: usize) -> Vec<f64> {
        let mut y = vec![0.0f64; rows * n];
        for r in 0..rows {
            for c in 0..n {
                let mut s = f64::from(b[c]);
                for i in 0..k {
                    s += f64::from(x[r * k + i]) * f64::from(w[i * n + c]);
                }
                y[r * n + c] = s;
            }
        }
        y
    }

    #[test]
    fn int8_linear_within_the_rounding_bound_of_f32() {
        let mut rng = XorShift::new(99);
        for &(rows, k, n) in &[(1, 1, 1), (1, 17, 3), (8, 64, 10), (5, 300, 64), (3, 33, 1)] {
            for granularity in [Granularity::PerChannel, Granularity::PerTensor] {
                let x: Vec<f32> = rng.f32s(rows * k).iter().map(|v| v * 3.0).collect();
                let w = rng.f32s(k * n);
                let b = rng.f32s(n);
                let layer = QLinear::from_f32(&w, Some(&b), k, n, granularity).unwrap();
                let got = layer.forward(&x, rows).unwrap();
                let want = reference(&x, &w, &b, rows, k, n);
                let sx = f64::from(scale_for(max_abs(&x)));
                for r in 0..rows {
                    for c in 0..n {
                        let sw = f64::from(layer.weight_scale(c));
                        let (mut bound, mut mag) = (0.0, f64::from(b[c].abs()));
                        for i in 0..k {
                            let (xi, wi) = (f64::from(x[r * k + i]), f64::from(w[i * n + c]));
                            bound += xi.abs() * sw / 2.0 + wi.abs() * sx / 2.0 + sx * sw / 4.0;
                            mag += (xi * wi).abs();
                        }
                        // Plus f32 rounding of the rescale.
                        bound += 1e-5 * mag + 1e-6;
                        let err = (f64::from(got[r * n + c]) - want[r * n + c]).abs();
                        assert!(
                            err <= bound,
                            "{granularity:?} {rows}×{k}×{n}: {err} > {bound}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn int8_linear_error_below_two_percent_of_output_range() {
        let mut rng = XorShift::new(3);
        for &(rows, k, n) in &[(16, 64, 32), (32, 256, 16), (4, 784, 64)] {
            let x = rng.f32s(rows * k);
            let w = rng.f32s(k * n);
            let b = rng.f32s(n);
            let layer = QLinear::from_f32(&w, Some(&b), k, n, Granularity::PerChannel).unwrap();
            let got = layer.forward(&x, rows).unwrap();
            let want = reference(&x, &w, &b, rows, k, n);
            let lo = want.iter().cloned().fold(f64::INFINITY, f64::min);
            let hi = want.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let worst = got
                .iter()
                .zip(&want)
                .map(|(&g, &e)| (f64::from(g) - e).abs())
                .fold(0.0, f64::max);
            let rel = worst / (hi - lo);
            assert!(
                rel < 0.02,
                "{rows}×{k}×{n}: error {rel:.4} of the output range"
            );
        }
    }

    #[test]
    fn int8_per_channel_beats_per_tensor_on_uneven_channels() {
        let (rows, k, n) = (16, 64, 8);
        let mut rng = XorShift::new(11);
        let x = rng.f32s(rows * k);
        // Channel c spans ±10^(-c/2): from 1 down to about 3e-4.
        let w: Vec<f32> = rng
            .f32s(k * n)
            .iter()
            .enumerate()
            .map(|(idx, v)| v * 10f32.powf(-((idx % n) as f32) / 2.0))
            .collect();
        let want = reference(&x, &w, &[0.0; 8], rows, k, n);
        let worst_relative = |granularity| {
            let layer = QLinear::from_f32(&w, None, k, n, granularity).unwrap();
            let got = layer.forward(&x, rows).unwrap();
            (0..n)
                .map(|c| {
                    let col = (0..rows).map(|r| r * n + c);
                    let err = col.clone().map(|i| (f64::from(got[i]) - want[i]).abs());
                    let mag = col.map(|i| want[i].abs()).fold(0.0, f64::max);
                    err.fold(0.0, f64::max) / mag
                })
                .fold(0.0, f64::max)
        };
        let per_channel = worst_relative(Granularity::PerChannel);
        let per_tensor = worst_relative(Granularity::PerTensor);
        assert!(per_channel < 0.03, "per channel: {per_channel}");
        assert!(per_tensor > 0.3, "per tensor: {per_tensor}");
    }

    #[test]
    fn int8_linear_calibrated_scale_and_clamping() {
        let w = [1.0, -1.0, 0.5, 0.25]; // [2 × 2]
        let layer = QLinear::from_f32(&w, None, 2, 2, Granularity::PerChannel).unwrap();
        let x = [1.0, 2.0];
        let dynamic = layer.forward(&x, 1).unwrap();
        let s = scale_for(2.0);
        assert_eq!(
            layer
                .forward_with(&x, 1, ActivationScale::Calibrated(s))
                .unwrap(),
            dynamic
        );
        // A scale calibrated for |x| <= 1 clamps 2.0 to 1.0.
        let clamped = layer
            .forward_with(&x, 1, ActivationScale::Calibrated(1.0 / 127.0))
            .unwrap();
        let want = layer.forward(&[1.0, 1.0], 1).unwrap();
        assert_eq!(clamped, want);
        assert!(
            layer
                .forward_with(&x, 1, ActivationScale::Calibrated(0.0))
                .is_err()
        );
    }

    #[test]
    fn int8_linear_layout_and_accessors() {
        // W = [[1, 2, 3], [4, 5, 6]] as [in = 2 × out = 3].
        let w = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let layer =
            QLinear::from_f32(&w, Some(&[0.5, 0.0, -0.5]), 2, 3, Granularity::PerChannel).unwrap();
        assert_eq!(layer.weights_t().len(), 6);
        assert_eq!(layer.scales().len(), 3);
        assert_eq!(layer.weights_t()[..2], [32, 127]); // channel 0 is (1, 4), scale 4/127
        let y = layer.forward(&[1.0, 0.0, 0.0, 1.0], 2).unwrap();
        let want = [1.5, 2.0, 2.5, 4.5, 5.0, 5.5];
        for (a, b) in y.iter().zip(want) {
            assert!((a - b).abs() < 0.05, "{y:?}");
        }
        for (a, b) in layer.dequantized_weights().iter().zip(w) {
            assert!((a - b).abs() <= layer.scales().iter().cloned().fold(0.0, f32::max) / 2.0);
        }
        let per_tensor = QLinear::from_f32(&w, None, 2, 3, Granularity::PerTensor).unwrap();
        assert_eq!(per_tensor.scales(), [6.0 / 127.0]);
        assert!(layer.forward(&[], 0).unwrap().is_empty());
    }

    #[test]
    fn int8_linear_rejects_bad_input() {
        let g = Granularity::PerChannel;
        assert!(QLinear::from_f32(&[1.0; 5], None, 2, 3, g).is_err());
        assert!(QLinear::from_f32(&[1.0; 6], Some(&[0.0; 2]), 2, 3, g).is_err());
        assert!(QLinear::from_f32(&[f32::NAN; 6], None, 2, 3, g).is_err());
        let layer = QLinear::from_f32(&[1.0; 6], None, 2, 3, g).unwrap();
        assert!(layer.forward(&[1.0; 3], 2).is_err());
        assert!(layer.forward(&[1.0, f32::INFINITY], 1).is_err());
        assert!(layer.forward(&[1.0, f32::NAN], 1).is_err());
    }
}
