//! What a policy sees of the intensity: a forecast, never the truth.
//!
//! For back-tests the forecast is the true series plus i.i.d. Gaussian noise with
//! σ = E × mean(series), one draw per seed and site: the error model of Wiesner et al., "Let's
//! Wait Awhile" (Middleware '21), so results compare with theirs. With E = 0 the forecast is
//! the truth (a perfect forecast, or the series given is itself a forecast).
//!
//! How the `carbon` policy uses what it sees ([`ForecastUse`]): `raw` decides on the forecast
//! as it is; `smoothed` first averages each slot with its neighbours, over a window as wide as
//! the forecast's stated error calls for (none for a perfect forecast). Grid intensity moves
//! slowly from one half-hour to the next while i.i.d. errors do not, so averaging removes much
//! more error than signal. The policy knows the error level a forecast comes with (providers
//! publish it; a back-test states it), never the truth. The gain is measured in
//! `docs/methods/scheduling.md`.

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
                Some(e) if e.relative_sigma > 0.0 && e.relative_sigma.is_finite() => {
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
                if let Some(e) = error {
                    seen = smooth(&seen, half_width(e.relative_sigma));
                }
            }
            Curve::new(seen, grid.step_min)
        })
        .collect()
}

/// Averages each slot with its `half` neighbours on each side (triangular weights,
/// renormalised at the ends and around unknown slots).
fn smooth(values: &[f64], half: usize) -> Vec<f64> {
    if half == 0 {
        return values.to_vec();
    }
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

/// The half-width of the smoothing window for a forecast error σ/mean: measured on the
/// shared 2020 series (`docs/methods/scheduling.md`), wider windows blur the signal more than
/// they remove error.
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
    fn smoothing_brings_a_noisy_series_closer_to_the_truth_and_leaves_a_perfect_one() {
        let mut rng = StdRng::seed_from_u64(7);
        let normal = Normal::new(0.0, 15.0).unwrap();
        let truth: Vec<f64> = (0..5000)
            .map(|i| 300.0 + 50.0 * (i as f64 / 48.0 * std::f64::consts::TAU).sin())
            .collect();
        let noisy: Vec<f64> = truth.iter().map(|v| v + normal.sample(&mut rng)).collect();
        let err = |a: &[f64]| {
            a.iter()
                .zip(&truth)
                .map(|(x, y)| (x - y).powi(2))
                .sum::<f64>()
        };
        assert!(err(&smooth(&noisy, half_width(0.05))) < 0.5 * err(&noisy));
        assert_eq!(half_width(0.0), 0);
        assert_eq!(smooth(&truth, 0), truth);
    }
}
