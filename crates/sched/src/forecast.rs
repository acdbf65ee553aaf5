//! What a policy sees of the intensity: a forecast, never the truth.
//!
//! For back-tests the forecast is the true series plus i.i.d. Gaussian noise with
//! σ = E × mean(series), one draw per seed and site: the error model of Wiesner et al., "Let's
//! Wait Awhile" (Middleware '21), so results compare with theirs. With E = 0 the forecast is
//! the truth (a perfect forecast, or the series given is itself a forecast).
//!
//! How the `carbon` policy uses what it sees ([`ForecastUse`]): `raw` decides on the forecast
//! as it is; `smoothed` first estimates the forecast's own noise from its second differences
//! (no look at the truth, and no use of E) and, when there is noise, averages each slot with
//! its neighbours before deciding. Grid intensity moves slowly from one half-hour to the next
//! while i.i.d. noise does not, so averaging removes much more noise than signal; the gain is
//! measured in `docs/methods/scheduling.md`.

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Normal};
use serde::Serialize;

use crate::grid::{Curve, Grid};

/// How the policy uses the forecast it sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum ForecastUse {
    /// The forecast as it is: the mean over a window, the lowest slots.
    Raw,
    /// Denoised first when its own second differences show noise.
    #[default]
    Smoothed,
}

impl ForecastUse {
    /// Its name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            ForecastUse::Raw => "raw",
            ForecastUse::Smoothed => "smoothed",
        }
    }
}

/// The forecast error of a back-test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ForecastError {
    /// σ as a fraction of the series' mean (0.05: 5 %).
    pub relative_sigma: f64,
    /// The seed of this draw.
    pub seed: u64,
}

/// The forecast each site's policy sees: one curve per site of `grid`.
pub fn forecast(grid: &Grid, error: Option<ForecastError>, use_: ForecastUse) -> Vec<Curve> {
    grid.sites
        .iter()
        .enumerate()
        .map(|(i, site)| {
            let truth = site.truth.values();
            let mut seen: Vec<f64> = match error {
                Some(e) if e.relative_sigma > 0.0 => {
                    let known: Vec<f64> = truth.iter().copied().filter(|v| v.is_finite()).collect();
                    let mean = known.iter().sum::<f64>() / known.len().max(1) as f64;
                    let sigma = e.relative_sigma * mean;
                    // One stream per (seed, site): the same draw whatever other sites are given.
                    let mut rng = StdRng::seed_from_u64(
                        e.seed.wrapping_mul(1_000_003).wrapping_add(i as u64),
                    );
                    let normal = Normal::new(0.0, sigma).expect("σ is finite and positive");
                    truth.iter().map(|v| v + normal.sample(&mut rng)).collect()
                }
                _ => truth.to_vec(),
            };
            if use_ == ForecastUse::Smoothed {
                seen = denoise(&seen);
            }
            Curve::new(seen, grid.step_min)
        })
        .collect()
}

/// The noise level of a series estimated from itself: for a smooth signal plus i.i.d. noise
/// of σ, second differences have variance ≈ 6σ² (the signal's own share is small); a median
/// makes the estimate robust to the signal's jumps. Returns σ̂.
pub fn noise_sigma(values: &[f64]) -> f64 {
    let mut d: Vec<f64> = values
        .windows(3)
        .map(|w| w[0] - 2.0 * w[1] + w[2])
        .filter(|x| x.is_finite())
        .map(f64::abs)
        .collect();
    if d.is_empty() {
        return 0.0;
    }
    let mid = d.len() / 2;
    let (_, median, _) = d.select_nth_unstable_by(mid, f64::total_cmp);
    // For a normal variable, median(|X|) = 0.6745 σ_X; σ_X = √6 σ.
    *median / 0.6745 / 6f64.sqrt()
}

/// Averages each slot with its neighbours, as wide as the estimated noise calls for; a series
/// without noise (the signal's own roughness only) is left as it is.
fn denoise(values: &[f64]) -> Vec<f64> {
    let sigma = noise_sigma(values);
    let known: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let mean = known.iter().sum::<f64>() / known.len().max(1) as f64;
    let relative = if mean > 0.0 { sigma / mean } else { 0.0 };
    let half = half_width(relative);
    if half == 0 {
        return values.to_vec();
    }
    // Triangular weights over 2·half + 1 slots, renormalised at the ends and around gaps.
    (0..values.len())
        .map(|i| {
            if !values[i].is_finite() {
                return values[i];
            }
            let (mut sum, mut weights) = (0.0, 0.0);
            let lo = i.saturating_sub(half);
            let hi = (i + half).min(values.len() - 1);
            for (j, v) in values.iter().enumerate().take(hi + 1).skip(lo) {
                if v.is_finite() {
                    let w = (half + 1 - i.abs_diff(j)) as f64;
                    sum += w * v;
                    weights += w;
                }
            }
            sum / weights
        })
        .collect()
}

/// The half-width of the smoothing window for a relative noise level σ̂/mean.
fn half_width(relative: f64) -> usize {
    match relative {
        r if r < 0.015 => 0,
        r if r < 0.03 => 1,
        r if r < 0.07 => 2,
        _ => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_noise_of_a_series_is_estimated_from_itself() {
        let mut rng = StdRng::seed_from_u64(7);
        let normal = Normal::new(0.0, 10.0).unwrap();
        let smooth: Vec<f64> = (0..5000)
            .map(|i| 300.0 + 50.0 * (i as f64 / 48.0 * std::f64::consts::TAU).sin())
            .collect();
        let noisy: Vec<f64> = smooth.iter().map(|v| v + normal.sample(&mut rng)).collect();
        let s = noise_sigma(&noisy);
        assert!((s - 10.0).abs() < 1.0, "σ̂ = {s}");
        assert!(noise_sigma(&smooth) < 1.0);
        // Denoising brings the noisy series closer to the truth; a clean one is untouched.
        let err = |a: &[f64]| {
            a.iter()
                .zip(&smooth)
                .map(|(x, y)| (x - y).powi(2))
                .sum::<f64>()
        };
        assert!(err(&denoise(&noisy)) < 0.5 * err(&noisy));
        assert_eq!(denoise(&smooth), smooth);
    }
}
