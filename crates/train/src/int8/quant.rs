//! Symmetric int8 quantization (zero point 0, range ±127) and its inverse.

/// The largest quantized magnitude. −128 is never produced, so negation is always safe.
pub const QMAX: i8 = 127;

/// How many scales a weight matrix gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    /// One scale for the whole matrix.
    PerTensor,
    /// One scale per output channel: channels with very different ranges each keep their
    /// resolution.
    PerChannel,
}

impl Granularity {
    /// The name written into a model's configuration: `per-tensor` or `per-channel`.
    pub fn as_str(self) -> &'static str {
        match self {
            Granularity::PerTensor => "per-tensor",
            Granularity::PerChannel => "per-channel",
        }
    }
}

/// Where an activation tensor's scale comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ActivationScale {
    /// From the batch at hand: `max|x| / 127`. Always uses the full range; costs one pass over
    /// the input.
    Dynamic,
    /// Fixed beforehand (calibrated on representative data). Values beyond `127 · scale` are
    /// clamped to ±127.
    Calibrated(f32),
}

/// The largest absolute value, NaN ignored; 0 for an empty slice.
pub fn max_abs(x: &[f32]) -> f32 {
    x.iter().fold(0.0f32, |m, v| m.max(v.abs()))
}

/// The scale that maps `max_abs` onto 127: `max_abs / 127`, or 1 when `max_abs` is 0 (all values
/// quantize to 0 anyway) or not finite.
pub fn scale_for(max_abs: f32) -> f32 {
    if max_abs > 0.0 && max_abs.is_finite() {
        max_abs / f32::from(QMAX)
    } else {
        1.0
    }
}

/// Quantizes one value: `clamp(round(x / scale), -127, 127)`; NaN becomes 0.
#[inline]
fn quantize_one(x: f32, inv_scale: f32) -> i8 {
    // Clamped first (the bounds are whole numbers, so clamping before or after rounding is the
    // same); NaN stays NaN and `as` maps it to 0.
    let v = (x * inv_scale).clamp(-f32::from(QMAX), f32::from(QMAX));
    // Round half away from zero by truncating and stepping by the sign when the fraction is at
    // least one half: `f32::round` is a call to libm's `roundf` per value on x86_64 without
    // SSE4.1 (a tenth of the int8 CNN's time), this is a few vectorizable instructions. Exact:
    // |v| ≤ 127, so `v - t` has no rounding error.
    let t = v as i32;
    let f = v - t as f32;
    (t + i32::from(f >= 0.5) - i32::from(f <= -0.5)) as i8
}

/// Quantizes `x` with a given `scale` (which must be positive and finite).
pub fn quantize(x: &[f32], scale: f32) -> Vec<i8> {
    debug_assert!(scale > 0.0 && scale.is_finite(), "bad scale {scale}");
    let inv = 1.0 / scale;
    x.iter().map(|&v| quantize_one(v, inv)).collect()
}

/// Quantizes `x` with one scale from its own `max|x|`; returns the values and the scale.
pub fn quantize_per_tensor(x: &[f32]) -> (Vec<i8>, f32) {
    let scale = scale_for(max_abs(x));
    (quantize(x, scale), scale)
}

/// Quantizes a row-major `[rows × cols]` matrix with one scale per row; returns the values (same
/// layout) and `rows` scales. Rows are output channels when the matrix is stored `[out × in]`.
///
/// # Panics
/// When `x.len() != rows * cols`.
pub fn quantize_per_channel(x: &[f32], rows: usize, cols: usize) -> (Vec<i8>, Vec<f32>) {
    assert_eq!(x.len(), rows * cols, "matrix is not {rows} × {cols}");
    let mut q = Vec::with_capacity(x.len());
    let mut scales = Vec::with_capacity(rows);
    for row in x.chunks_exact(cols.max(1)).take(rows) {
        let scale = scale_for(max_abs(row));
        let inv = 1.0 / scale;
        q.extend(row.iter().map(|&v| quantize_one(v, inv)));
        scales.push(scale);
    }
    if cols == 0 {
        scales.resize(rows, 1.0);
    }
    (q, scales)
}

/// The values `q · scale`.
pub fn dequantize(q: &[i8], scale: f32) -> Vec<f32> {
    q.iter().map(|&v| f32::from(v) * scale).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::int8::testutil::XorShift;

    #[test]
    fn int8_round_trip_within_half_a_scale() {
        let mut rng = XorShift::new(7);
        for n in [1, 5, 100, 1000] {
            let x: Vec<f32> = rng.f32s(n).iter().map(|v| v * 37.5).collect();
            let (q, scale) = quantize_per_tensor(&x);
            let back = dequantize(&q, scale);
            for (a, b) in x.iter().zip(&back) {
                assert!(
                    (a - b).abs() <= scale / 2.0 * (1.0 + 1e-5),
                    "{a} came back as {b} (scale {scale})"
                );
            }
        }
    }

    #[test]
    fn int8_extremes_map_to_plus_minus_127_never_minus_128() {
        let x = [3.0, -3.0, 0.0, 1e-9, -1e-9];
        let (q, scale) = quantize_per_tensor(&x);
        assert_eq!(q, [127, -127, 0, 0, 0]);
        assert!((scale - 3.0 / 127.0).abs() < 1e-9);
        // A calibrated scale too small for the data: clamped, still symmetric.
        let q = quantize(
            &[1000.0, -1000.0, f32::NEG_INFINITY, f32::INFINITY, f32::NAN],
            0.01,
        );
        assert_eq!(q, [127, -127, -127, 127, 0]);
        assert!(q.iter().all(|&v| v != i8::MIN));
        // Rounding half away from zero, on both sides.
        assert_eq!(
            quantize(&[0.5, -0.5, 1.5, -1.5, 126.6, -127.4], 1.0),
            [1, -1, 2, -2, 127, -127]
        );
    }

    #[test]
    fn int8_zero_and_empty_get_scale_one() {
        assert_eq!(quantize_per_tensor(&[0.0; 4]), (vec![0; 4], 1.0));
        assert_eq!(quantize_per_tensor(&[]), (vec![], 1.0));
        assert_eq!(scale_for(f32::INFINITY), 1.0);
        let (q, s) = quantize_per_channel(&[0.0, 0.0, 2.0, -1.0], 2, 2);
        assert_eq!(q, [0, 0, 127, -64]);
        assert_eq!(s, [1.0, 2.0 / 127.0]);
        assert_eq!(quantize_per_channel(&[], 3, 0), (vec![], vec![1.0; 3]));
    }

    #[test]
    fn int8_per_channel_scales_each_row() {
        let x = [1.0, -0.25, 100.0, 30.0];
        let (q, s) = quantize_per_channel(&x, 2, 2);
        assert_eq!(q, [127, -32, 127, 38]);
        assert_eq!(s, [1.0 / 127.0, 100.0 / 127.0]);
    }
}
