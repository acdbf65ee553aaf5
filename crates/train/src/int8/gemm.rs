//! The int8 GEMM: `i8 [m × k] × i8 [k × n] → i32 [m × n]`, with the right-hand matrix stored
//! transposed (`[n × k]`), so that every output is the dot product of two contiguous rows.
//!
//! Two kernels give bit-identical results (integer arithmetic, no overflow below [`MAX_K`]): a
//! portable scalar one and, on x86_64 CPUs with AVX2, one that widens 16 `i8` at a time to `i16`
//! (`_mm256_cvtepi8_epi16`) and multiplies-adds pairs into `i32` lanes (`_mm256_madd_epi16`),
//! four output columns at a time so each widened activation chunk is used four times.
//! `_mm256_maddubs_epi16` would take twice the bytes per instruction but needs `u8 × i8` and
//! saturates `i16`, so it is neither simpler nor exact; this one is both.
//!
//! Measured on 256 × 512 × 512, release, one thread of a 2-core x86_64 Xeon VM (`int8_gemm_timing`):
//! scalar 11.5 ms (11.7 GOP/s, LLVM already vectorizes it with SSE2), AVX2 1.52 ms (88 GOP/s),
//! 7.6× faster.

/// The largest inner dimension for which the `i32` sums cannot overflow, whatever the `i8`
/// values (−128 included): `k · 128² < 2³¹`.
pub const MAX_K: usize = (1 << 17) - 1;

/// Which kernel computes the GEMM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    /// Portable Rust; the reference.
    Scalar,
    /// x86_64 AVX2 (`std::arch`), only where the CPU has it: 7.6× the scalar kernel on a
    /// 256 × 512 × 512 product (1.52 ms against 11.5 ms, one thread, release).
    Avx2,
}

impl Kernel {
    /// The fastest kernel this CPU runs.
    pub fn best() -> Kernel {
        if Kernel::Avx2.is_available() {
            Kernel::Avx2
        } else {
            Kernel::Scalar
        }
    }

    /// Whether this CPU runs the kernel (checked at run time).
    pub fn is_available(self) -> bool {
        match self {
            Kernel::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 => std::arch::is_x86_feature_detected!("avx2"),
            #[cfg(not(target_arch = "x86_64"))]
            Kernel::Avx2 => false,
        }
    }
}

/// `a [m × k] · b_tᵀ` with `b_t [n × k]`, row-major, on the best kernel; returns `[m × n]`.
///
/// # Panics
/// When a slice's length does not match `m`, `n`, `k`, or when `k > MAX_K`.
pub fn gemm_i8(a: &[i8], b_t: &[i8], m: usize, n: usize, k: usize) -> Vec<i32> {
    gemm_i8_with(Kernel::best(), a, b_t, m, n, k)
}

/// [`gemm_i8`] on a chosen kernel.
///
/// # Panics
/// As [`gemm_i8`], and when the CPU does not run `kernel`.
pub fn gemm_i8_with(
    kernel: Kernel,
    a: &[i8],
    b_t: &[i8],
    m: usize,
    n: usize,
    k: usize,
) -> Vec<i32> {
    let mut out = vec![0; m * n];
    gemm_i8_into(kernel, a, b_t, m, n, k, &mut out);
    out
}

/// [`gemm_i8_with`] writing into `out [m × n]` (overwritten, not accumulated into).
///
/// # Panics
/// As [`gemm_i8_with`], and when `out.len() != m * n`.
pub fn gemm_i8_into(
    kernel: Kernel,
    a: &[i8],
    b_t: &[i8],
    m: usize,
    n: usize,
    k: usize,
    out: &mut [i32],
) {
    assert_eq!(a.len(), m * k, "left matrix is not {m} × {k}");
    assert_eq!(b_t.len(), n * k, "transposed right matrix is not {n} × {k}");
    assert_eq!(out.len(), m * n, "output is not {m} × {n}");
    assert!(
        k <= MAX_K,
        "k = {k} could overflow i32 sums (at most {MAX_K})"
    );
    assert!(
        kernel.is_available(),
        "this CPU does not run the {kernel:?} kernel"
    );
    if k == 0 || n == 0 {
        out.fill(0);
        return;
    }
    let rows = |a: &[i8], out: &mut [i32]| {
        for (a_row, out_row) in a.chunks_exact(k).zip(out.chunks_exact_mut(n)) {
            match kernel {
                Kernel::Scalar => row_scalar(a_row, b_t, k, out_row),
                #[cfg(target_arch = "x86_64")]
                Kernel::Avx2 => avx2::row(a_row, b_t, k, out_row),
                #[cfg(not(target_arch = "x86_64"))]
                Kernel::Avx2 => unreachable!("is_available is false off x86_64"),
            }
        }
    };
    // Blocks of rows on rayon's threads once the product is worth it (burn's f32 kernels use
    // every core too); each block is the same sequential code, so results are identical.
    if m * n * k >= PARALLEL_MACS && m >= 2 {
        use rayon::prelude::*;
        let block = m.div_ceil(rayon::current_num_threads() * 4).max(1);
        a.par_chunks(block * k)
            .zip(out.par_chunks_mut(block * n))
            .for_each(|(a, out)| rows(a, out));
    } else {
        rows(a, out);
    }
}

/// Multiply-adds under which a GEMM stays on the calling thread (a thread hand-off costs
/// tens of microseconds; 2²² int8 multiply-adds, about a millisecond on one core, make it
/// worth it).
const PARALLEL_MACS: usize = 1 << 22;

/// One output row, scalar: `out[j] = a_row · b_t[j]`.
fn row_scalar(a_row: &[i8], b_t: &[i8], k: usize, out_row: &mut [i32]) {
    for (b_row, o) in b_t.chunks_exact(k).zip(out_row) {
        *o = dot_scalar(a_row, b_row);
    }
}

fn dot_scalar(a: &[i8], b: &[i8]) -> i32 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| i32::from(x) * i32::from(y))
        .sum()
}

#[cfg(target_arch = "x86_64")]
// Register-only intrinsics are `unsafe fn`s on Rust 1.85 (the workspace's rust-version) but safe
// inside `#[target_feature]` functions from 1.87 on, so an `unsafe` block around them is needed
// on the one and "unused" on the other.
#[allow(unused_unsafe)]
mod avx2 {
    use std::arch::x86_64::{
        __m128i, __m256i, _mm_add_epi32, _mm_cvtsi128_si32, _mm_loadu_si128, _mm_shuffle_epi32,
        _mm256_add_epi32, _mm256_castsi256_si128, _mm256_cvtepi8_epi16, _mm256_extracti128_si256,
        _mm256_madd_epi16, _mm256_setzero_si256,
    };

    use super::dot_scalar;

    /// One output row on AVX2. The caller has checked that the CPU has AVX2.
    pub(super) fn row(a_row: &[i8], b_t: &[i8], k: usize, out_row: &mut [i32]) {
        let mut b_rows = b_t.chunks_exact(k);
        let mut outs = out_row.chunks_exact_mut(4);
        for out4 in &mut outs {
            let b = [(); 4].map(|()| b_rows.next().expect("four rows per four outputs"));
            // SAFETY: `gemm_i8_into` asserted `Kernel::Avx2.is_available()`, i.e. AVX2 was
            // detected at run time on this CPU.
            let sums = unsafe { dot4(a_row, b) };
            out4.copy_from_slice(&sums);
        }
        for (o, b_row) in outs.into_remainder().iter_mut().zip(b_rows) {
            // SAFETY: as above.
            *o = unsafe { dot(a_row, b_row) };
        }
    }

    /// Four dot products `a · b[j]`, sharing each widened chunk of `a`.
    ///
    /// # Safety
    /// The CPU must have AVX2.
    #[target_feature(enable = "avx2")]
    unsafe fn dot4(a: &[i8], b: [&[i8]; 4]) -> [i32; 4] {
        let k = a.len();
        assert!(b.iter().all(|r| r.len() == k));
        let body = k - k % 16;
        // SAFETY: AVX2 is enabled on this function.
        let mut acc = [unsafe { _mm256_setzero_si256() }; 4];
        let mut i = 0;
        while i < body {
            // SAFETY: `i + 16 <= body <= k`, the length of `a`, so the load stays in bounds.
            let x = unsafe { widen(a, i) };
            for (acc, row) in acc.iter_mut().zip(b) {
                // SAFETY: every row has length `k` (asserted above), same bound.
                let y = unsafe { widen(row, i) };
                // SAFETY: AVX2 is enabled on this function.
                *acc = unsafe { _mm256_add_epi32(*acc, _mm256_madd_epi16(x, y)) };
            }
            i += 16;
        }
        let mut out = [0; 4];
        for ((o, acc), row) in out.iter_mut().zip(acc).zip(b) {
            // SAFETY: AVX2 is enabled on this function.
            *o = unsafe { hsum(acc) } + dot_scalar(&a[body..], &row[body..]);
        }
        out
    }

    /// One dot product `a · b`.
    ///
    /// # Safety
    /// The CPU must have AVX2.
    #[target_feature(enable = "avx2")]
    unsafe fn dot(a: &[i8], b: &[i8]) -> i32 {
        let k = a.len();
        assert_eq!(b.len(), k);
        let body = k - k % 16;
        // SAFETY: AVX2 is enabled on this function.
        let mut acc = unsafe { _mm256_setzero_si256() };
        let mut i = 0;
        while i < body {
            // SAFETY: `i + 16 <= body <= k`, the length of both slices; AVX2 is enabled here.
            acc = unsafe { _mm256_add_epi32(acc, _mm256_madd_epi16(widen(a, i), widen(b, i))) };
            i += 16;
        }
        // SAFETY: AVX2 is enabled on this function.
        let head = unsafe { hsum(acc) };
        head + dot_scalar(&a[body..], &b[body..])
    }

    /// Sixteen `i8` from `x[i..i + 16]`, sign-extended to `i16`.
    ///
    /// # Safety
    /// The CPU must have AVX2, and `i + 16 <= x.len()`.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn widen(x: &[i8], i: usize) -> __m256i {
        debug_assert!(i + 16 <= x.len());
        // SAFETY: the caller guarantees 16 readable bytes at `x[i]`; `loadu` needs no alignment.
        unsafe { _mm256_cvtepi8_epi16(_mm_loadu_si128(x.as_ptr().add(i).cast::<__m128i>())) }
    }

    /// The sum of the eight `i32` lanes (wrapping, as the lanes do; no overflow below `MAX_K`).
    ///
    /// # Safety
    /// The CPU must have AVX2.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn hsum(v: __m256i) -> i32 {
        // SAFETY: register-only AVX2/SSE2 operations; AVX2 is enabled on this function.
        unsafe {
            let s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256::<1>(v));
            let s = _mm_add_epi32(s, _mm_shuffle_epi32::<0b01_00_11_10>(s));
            let s = _mm_add_epi32(s, _mm_shuffle_epi32::<0b10_11_00_01>(s));
            _mm_cvtsi128_si32(s)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::int8::testutil::XorShift;

    /// The reference: `i64` sums, no SIMD, no shortcuts.
    fn naive(a: &[i8], b_t: &[i8], m: usize, n: usize, k: usize) -> Vec<i64> {
        let mut out = vec![0i64; m * n];
        for i in 0..m {
            for j in 0..n {
                for p in 0..k {
                    out[i * n + j] += i64::from(a[i * k + p]) * i64::from(b_t[j * k + p]);
                }
            }
        }
        out
    }

    fn shapes(rng: &mut XorShift) -> Vec<(usize, usize, usize)> {
        let mut s = vec![
            (1, 1, 1),
            (1, 1, 16),
            (1, 7, 33),
            (5, 1, 31),
            (3, 4, 15),
            (2, 5, 17),
            (4, 8, 32),
            (1, 9, 64),
            (7, 3, 0),
            (0, 3, 5),
            (3, 0, 5),
        ];
        for _ in 0..40 {
            s.push((1 + rng.below(9), 1 + rng.below(13), 1 + rng.below(200)));
        }
        s
    }

    #[test]
    fn int8_gemm_matches_i64_reference() {
        let mut rng = XorShift::new(42);
        for (m, n, k) in shapes(&mut rng) {
            let (a, b) = (rng.i8s(m * k), rng.i8s(n * k));
            let want: Vec<i64> = naive(&a, &b, m, n, k);
            let got: Vec<i64> = gemm_i8_with(Kernel::Scalar, &a, &b, m, n, k)
                .into_iter()
                .map(i64::from)
                .collect();
            assert_eq!(got, want, "scalar, {m} × {k} × {n}");
        }
    }

    #[test]
    fn int8_gemm_simd_equals_scalar_exactly() {
        if !Kernel::Avx2.is_available() {
            eprintln!("no AVX2 on this CPU: only the scalar kernel runs here");
            return;
        }
        let mut rng = XorShift::new(1234);
        for (m, n, k) in shapes(&mut rng) {
            let (a, b) = (rng.i8s(m * k), rng.i8s(n * k));
            let scalar = gemm_i8_with(Kernel::Scalar, &a, &b, m, n, k);
            let simd = gemm_i8_with(Kernel::Avx2, &a, &b, m, n, k);
            assert_eq!(simd, scalar, "{m} × {k} × {n}");
        }
    }

    #[test]
    fn int8_gemm_extremes_are_exact() {
        // All −128 (the worst case for overflow) and alternating ±127, long k.
        let k = 4099;
        for kernel in [Kernel::Scalar, Kernel::Avx2] {
            if !kernel.is_available() {
                continue;
            }
            let a = vec![i8::MIN; 2 * k];
            let b = vec![i8::MIN; 5 * k];
            let got = gemm_i8_with(kernel, &a, &b, 2, 5, k);
            assert!(got.iter().all(|&v| v == 16384 * k as i32), "{kernel:?}");
            let a: Vec<i8> = (0..k)
                .map(|i| if i % 2 == 0 { 127 } else { -127 })
                .collect();
            let b: Vec<i8> = (0..4 * k)
                .map(|i| if i % 3 == 0 { -127 } else { 127 })
                .collect();
            let want = naive(&a, &b, 1, 4, k);
            let got: Vec<i64> = gemm_i8_with(kernel, &a, &b, 1, 4, k)
                .into_iter()
                .map(i64::from)
                .collect();
            assert_eq!(got, want, "{kernel:?}");
        }
    }

    #[test]
    fn int8_gemm_into_overwrites() {
        let mut out = vec![99; 2];
        gemm_i8_into(
            Kernel::best(),
            &[1, 2, 3],
            &[1, 1, 1, 2, 0, 0],
            1,
            2,
            3,
            &mut out,
        );
        assert_eq!(out, [6, 2]);
        gemm_i8_into(Kernel::best(), &[], &[], 1, 2, 0, &mut out);
        assert_eq!(out, [0, 0]);
    }

    #[test]
    #[should_panic(expected = "not 2 × 3")]
    fn int8_gemm_rejects_wrong_shapes() {
        gemm_i8(&[0; 5], &[0; 3], 2, 1, 3);
    }

    /// Times the two kernels on 256 × 512 × 512. Run in release:
    /// `cargo test -p sustain-train --release --lib int8_gemm_timing -- --ignored --nocapture`.
    #[test]
    #[ignore = "timing, run by hand in release"]
    fn int8_gemm_timing() {
        let (m, n, k) = (256, 512, 512);
        let mut rng = XorShift::new(5);
        let (a, b) = (rng.i8s(m * k), rng.i8s(n * k));
        for kernel in [Kernel::Scalar, Kernel::Avx2] {
            if !kernel.is_available() {
                continue;
            }
            let _ = gemm_i8_with(kernel, &a, &b, m, n, k);
            let runs = 5;
            let start = std::time::Instant::now();
            for _ in 0..runs {
                std::hint::black_box(gemm_i8_with(kernel, &a, &b, m, n, k));
            }
            let secs = start.elapsed().as_secs_f64() / f64::from(runs);
            let gops = 2.0 * (m * n * k) as f64 / secs / 1e9;
            println!("{kernel:?}: {:.2} ms, {gops:.1} GOP/s", secs * 1e3);
        }
    }
}
