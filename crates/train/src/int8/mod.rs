//! Real int8 inference: int8 × int8 products accumulated in int32, not burn's "store int8,
//! dequantize, compute in f32", which saves size but not energy.
//!
//! # The scheme
//!
//! Symmetric, zero point 0, on the range `[-127, 127]`:
//!
//! - `q = clamp(round(x / scale), -127, 127)` (round half away from zero) and `x ≈ q · scale`.
//! - **Weights**: `scale = max|w| / 127`, either one scale for the whole matrix
//!   ([`Granularity::PerTensor`]) or one per output channel ([`Granularity::PerChannel`], one per
//!   column of burn's `[in × out]` weight). An all-zero tensor or channel gets scale 1.
//! - **Activations**: one scale per tensor, either dynamic (`max|x| / 127` of the batch at hand,
//!   [`ActivationScale::Dynamic`]) or calibrated beforehand ([`ActivationScale::Calibrated`]);
//!   values beyond `127 · scale` are clamped.
//! - **−128 is never produced.** Clamping at −127 keeps the range symmetric, so `-q` never
//!   overflows and a product is at most `127² = 16129`. The GEMM itself accepts any `i8`,
//!   −128 included, and stays exact.
//! - A linear layer computes `y[r, c] = (Σ_i qx[r, i] · qw[c, i]) · sx · sw[c] + b[c]`; the sum is
//!   an exact `i32` (see [`gemm_i8`]), the bias stays `f32`.
//!
//! Written into a model's `config.json` later, the scheme reads: `{"quantization": {"dtype":
//! "int8", "symmetric": true, "zero_point": 0, "range": [-127, 127], "rounding":
//! "half-away-from-zero", "weights": "per-channel" | "per-tensor", "activations": "dynamic" |
//! {"calibrated": scale}}}` (see [`Granularity::as_str`] and [`ActivationScale`]).
//!
//! # Why written here
//!
//! The kernel is a dot product of two contiguous `i8` rows (weights stored transposed,
//! `[out × in]`), with a portable scalar path and an AVX2 path on x86_64 chosen at run time; both
//! give identical results since the arithmetic is integer. A crate would bring a build dependency
//! for some hundred lines that are easy to check exhaustively against the scalar path.

mod cnn;
mod gemm;
mod linear;
mod mlp;
mod quant;
pub mod store;

pub use cnn::QCnn;
pub use gemm::{Kernel, MAX_K, gemm_i8, gemm_i8_into, gemm_i8_with};
pub use linear::QLinear;
pub use mlp::QMlp;
pub use quant::{
    ActivationScale, Granularity, QMAX, dequantize, max_abs, quantize, quantize_per_channel,
    quantize_per_tensor, scale_for,
};

#[cfg(test)]
mod testutil {
    /// A seeded xorshift64* generator: tests need no `rand` dependency.
    pub struct XorShift(u64);

    impl XorShift {
        pub fn new(seed: u64) -> Self {
            XorShift(seed.max(1))
        }

        pub fn next_u64(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            self.0 = x;
            x.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        /// Uniform in `[0, n)`.
        pub fn below(&mut self, n: usize) -> usize {
            (self.next_u64() % n as u64) as usize
        }

        /// Any `i8`, −128 included.
        pub fn i8(&mut self) -> i8 {
            (self.next_u64() >> 56) as u8 as i8
        }

        /// Uniform in `[-1, 1)`.
        pub fn f32(&mut self) -> f32 {
            ((self.next_u64() >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        }

        pub fn i8s(&mut self, n: usize) -> Vec<i8> {
            (0..n).map(|_| self.i8()).collect()
        }

        pub fn f32s(&mut self, n: usize) -> Vec<f32> {
            (0..n).map(|_| self.f32()).collect()
        }
    }
}
