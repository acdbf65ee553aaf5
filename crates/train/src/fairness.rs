//! Group fairness of a classifier's predictions, as Fairlearn defines it: per group of a
//! protected attribute, the selection rate, true positive rate and false positive rate (with
//! Wilson 95 % intervals), and across groups the demographic parity and equalized odds
//! differences and ratios (with bootstrap 95 % intervals). Groups too small for their rates to
//! mean much are flagged. Method: `docs/methods/fairness.md`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::dataset::SplitMix64;

/// z for a two-sided 95 % interval.
const Z95: f64 = 1.959_963_984_540_054;
/// Bootstrap resamples for the intervals of the differences.
pub const BOOTSTRAP_RESAMPLES: usize = 1000;
/// Default smallest group size whose rates are reported without a flag.
pub const DEFAULT_MIN_GROUP: u64 = 30;
/// A rate whose denominator is below this is flagged (too few positives or negatives).
pub const MIN_DENOMINATOR: u64 = 10;

/// A proportion with its Wilson score 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rate {
    /// The proportion.
    pub value: f64,
    /// Lower end of the 95 % interval.
    pub low: f64,
    /// Upper end of the 95 % interval.
    pub high: f64,
    /// Numerator.
    pub k: u64,
    /// Denominator.
    pub n: u64,
}

impl Rate {
    /// `k` of `n`, or `None` when `n` is zero (the rate is undefined).
    pub fn wilson(k: u64, n: u64) -> Option<Rate> {
        if n == 0 {
            return None;
        }
        let nf = n as f64;
        let p = k as f64 / nf;
        let z2 = Z95 * Z95;
        let denom = 1.0 + z2 / nf;
        let centre = (p + z2 / (2.0 * nf)) / denom;
        let half = Z95 * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt() / denom;
        Some(Rate {
            value: p,
            low: (centre - half).max(0.0),
            high: (centre + half).min(1.0),
            k,
            n,
        })
    }
}

/// The rates of one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupRates {
    /// The attribute's value.
    pub group: String,
    /// Rows in the group.
    pub count: u64,
    /// Rows whose true label is the positive class.
    pub positives: u64,
    /// Rows whose true label is another class.
    pub negatives: u64,
    /// Share of rows predicted positive.
    pub selection_rate: Rate,
    /// Share of true positives predicted positive (recall); `None` without positives.
    pub true_positive_rate: Option<Rate>,
    /// Share of true negatives predicted positive; `None` without negatives.
    pub false_positive_rate: Option<Rate>,
    /// Share predicted correctly (all classes).
    pub accuracy: f64,
    /// Why this group's figures are unreliable, if they are (empty when they are not).
    pub flags: Vec<String>,
}

/// A between-groups difference (largest minus smallest) or ratio with its bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// The figure on the data.
    pub value: f64,
    /// 2.5th percentile over the bootstrap resamples.
    pub low: f64,
    /// 97.5th percentile over the bootstrap resamples.
    pub high: f64,
}

/// Fairness of one model's predictions over one protected attribute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fairness {
    /// The protected attribute (column).
    pub attribute: String,
    /// The class counted as a positive (favourable) prediction.
    pub positive_class: String,
    /// Per group, sorted by name.
    pub groups: Vec<GroupRates>,
    /// Largest minus smallest selection rate (Fairlearn `demographic_parity_difference`).
    pub demographic_parity_difference: Spread,
    /// Smallest over largest selection rate (`demographic_parity_ratio`); `None` when no group
    /// is ever selected.
    pub demographic_parity_ratio: Option<f64>,
    /// The larger of the TPR and FPR differences (`equalized_odds_difference`), over the groups
    /// where both are defined; `None` when fewer than two such groups.
    pub equalized_odds_difference: Option<Spread>,
    /// The smaller of the TPR and FPR ratios (`equalized_odds_ratio`).
    pub equalized_odds_ratio: Option<f64>,
    /// Groups smaller than this are flagged.
    pub min_group_size: u64,
    /// Bootstrap resamples behind the intervals of the differences.
    pub bootstrap_resamples: usize,
    /// Whole-set notes: flagged groups, undefined rates.
    pub warnings: Vec<String>,
}

/// Confusion counts of one group against the positive class.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    n: u64,
    pos: u64,
    tp: u64,
    fp: u64,
    correct: u64,
}

impl Counts {
    fn add(&mut self, truth: bool, pred: bool, correct: bool) {
        self.n += 1;
        self.pos += u64::from(truth);
        self.tp += u64::from(truth && pred);
        self.fp += u64::from(!truth && pred);
        self.correct += u64::from(correct);
    }
    fn selected(&self) -> u64 {
        self.tp + self.fp
    }
    fn neg(&self) -> u64 {
        self.n - self.pos
    }
}

fn ratio(k: u64, n: u64) -> Option<f64> {
    (n > 0).then(|| k as f64 / n as f64)
}

/// max - min and min / max of the defined values; `None` with fewer than two.
fn spread(values: impl Iterator<Item = Option<f64>>) -> Option<(f64, Option<f64>)> {
    let v: Vec<f64> = values.flatten().collect();
    if v.len() < 2 {
        return None;
    }
    let max = v.iter().copied().fold(f64::MIN, f64::max);
    let min = v.iter().copied().fold(f64::MAX, f64::min);
    Some((max - min, (max > 0.0).then(|| min / max)))
}

/// (dp difference, dp ratio, eo difference, eo ratio) of per-group counts.
fn summary(groups: &[Counts]) -> (f64, Option<f64>, Option<f64>, Option<f64>) {
    let (dpd, dpr) = spread(groups.iter().map(|c| ratio(c.selected(), c.n))).unwrap_or((0.0, None));
    // Equalized odds compares the groups where both TPR and FPR are defined.
    let both: Vec<&Counts> = groups.iter().filter(|c| c.pos > 0 && c.neg() > 0).collect();
    let tpr = spread(both.iter().map(|c| ratio(c.tp, c.pos)));
    let fpr = spread(both.iter().map(|c| ratio(c.fp, c.neg())));
    let (eod, eor) = match (tpr, fpr) {
        (Some((td, tr)), Some((fd, fr))) => (
            Some(td.max(fd)),
            match (tr, fr) {
                (Some(a), Some(b)) => Some(a.min(b)),
                _ => None,
            },
        ),
        _ => (None, None),
    };
    (dpd, dpr, eod, eor)
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// Errors of [`fairness`]'s inputs.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FairnessError {
    /// The columns differ in length.
    #[error("{what} has {got} values for {want} rows")]
    Length {
        /// Which input.
        what: &'static str,
        /// Its length.
        got: usize,
        /// The number of rows.
        want: usize,
    },
    /// The attribute has a single value (or no rows).
    #[error(
        "the attribute '{0}' has fewer than two groups in these rows; fairness compares groups, so give a column with at least two values"
    )]
    OneGroup(String),
}

/// What [`fairness`] compares and how.
#[derive(Debug, Clone)]
pub struct Options {
    /// The protected attribute's name.
    pub attribute: String,
    /// Index of the favourable class.
    pub positive: usize,
    /// Its name.
    pub positive_name: String,
    /// Groups smaller than this are flagged.
    pub min_group_size: u64,
    /// Seed of the bootstrap.
    pub seed: u64,
}

/// Fairness of `pred` against `truth` over the groups of `group`. Seeded, so the bootstrap
/// intervals are reproducible.
pub fn fairness(
    truth: &[usize],
    pred: &[usize],
    group: &[String],
    o: &Options,
) -> Result<Fairness, FairnessError> {
    let (attribute, positive, min_group_size) =
        (o.attribute.as_str(), o.positive, o.min_group_size);
    let n = truth.len();
    for (what, got) in [
        ("the predictions", pred.len()),
        ("the attribute", group.len()),
    ] {
        if got != n {
            return Err(FairnessError::Length { what, got, want: n });
        }
    }
    // Rows by group, in name order.
    let mut rows: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, g) in group.iter().enumerate() {
        rows.entry(g.as_str()).or_default().push(i);
    }
    if rows.len() < 2 {
        return Err(FairnessError::OneGroup(attribute.to_string()));
    }
    let count = |idx: &mut dyn Iterator<Item = usize>| {
        let mut c = Counts::default();
        for i in idx {
            c.add(
                truth[i] == positive,
                pred[i] == positive,
                truth[i] == pred[i],
            );
        }
        c
    };
    let counts: Vec<Counts> = rows
        .values()
        .map(|r| count(&mut r.iter().copied()))
        .collect();
    let (dpd, dpr, eod, eor) = summary(&counts);

    // Bootstrap: resample rows within each group (group sizes fixed), recompute the spreads.
    let mut rng = SplitMix64::new(o.seed);
    let (mut dps, mut eos) = (Vec::new(), Vec::new());
    for _ in 0..BOOTSTRAP_RESAMPLES {
        let resampled: Vec<Counts> = rows
            .values()
            .map(|r| {
                let len = r.len() as u64;
                count(&mut (0..r.len()).map(|_| r[(rng.next_u64() % len) as usize]))
            })
            .collect();
        let (d, _, e, _) = summary(&resampled);
        dps.push(d);
        if let Some(e) = e {
            eos.push(e);
        }
    }
    dps.sort_by(f64::total_cmp);
    eos.sort_by(f64::total_cmp);

    let mut warnings = Vec::new();
    let groups: Vec<GroupRates> = rows
        .keys()
        .zip(&counts)
        .map(|(g, c)| {
            let mut flags = Vec::new();
            if c.n < min_group_size {
                flags.push(format!(
                    "small group: {} rows, fewer than {min_group_size}",
                    c.n
                ));
            }
            if c.pos < MIN_DENOMINATOR {
                flags.push(format!(
                    "true positive rate rests on {} positive rows (fewer than {MIN_DENOMINATOR})",
                    c.pos
                ));
            }
            if c.neg() < MIN_DENOMINATOR {
                flags.push(format!(
                    "false positive rate rests on {} negative rows (fewer than {MIN_DENOMINATOR})",
                    c.neg()
                ));
            }
            if !flags.is_empty() {
                warnings.push(format!("group '{g}': {}", flags.join("; ")));
            }
            GroupRates {
                group: g.to_string(),
                count: c.n,
                positives: c.pos,
                negatives: c.neg(),
                selection_rate: Rate::wilson(c.selected(), c.n).unwrap_or(Rate {
                    value: 0.0,
                    low: 0.0,
                    high: 0.0,
                    k: 0,
                    n: 0,
                }),
                true_positive_rate: Rate::wilson(c.tp, c.pos),
                false_positive_rate: Rate::wilson(c.fp, c.neg()),
                accuracy: c.correct as f64 / c.n as f64,
                flags,
            }
        })
        .collect();
    if eod.is_none() {
        warnings.push(
            "equalized odds is undefined: fewer than two groups have both positive and negative rows"
                .into(),
        );
    }
    Ok(Fairness {
        attribute: attribute.to_string(),
        positive_class: o.positive_name.clone(),
        groups,
        demographic_parity_difference: Spread {
            value: dpd,
            low: percentile(&dps, 0.025),
            high: percentile(&dps, 0.975),
        },
        demographic_parity_ratio: dpr,
        equalized_odds_difference: eod.map(|value| Spread {
            value,
            low: percentile(&eos, 0.025),
            high: percentile(&eos, 0.975),
        }),
        equalized_odds_ratio: eor,
        min_group_size,
        bootstrap_resamples: BOOTSTRAP_RESAMPLES,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // A fixture of 100 rows in three groups and Fairlearn 0.13.0's figures for it (computed
    // with `MetricFrame`, `demographic_parity_difference`, ... on the same arrays).
    const TRUTH: &str = "1011111101001110110110110011100010110011111110011011011000001111111101101110100001101000111100011000";
    const PRED: &str = "1011111111001110110110100011100011111011101011110011011000111111111001111110000101101110111101011100";
    const GROUP: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbbbbbbbbbbccccccccccccccccccccccccccccccccccc";

    fn digits(s: &str) -> Vec<usize> {
        s.bytes().map(|b| usize::from(b - b'0')).collect()
    }

    fn opts() -> Options {
        Options {
            attribute: "g".into(),
            positive: 1,
            positive_name: "1".into(),
            min_group_size: 30,
            seed: 1,
        }
    }

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-12, "{a} != {b}");
    }

    #[test]
    fn matches_fairlearn_on_the_fixture() {
        let group: Vec<String> = GROUP.chars().map(String::from).collect();
        let f = fairness(&digits(TRUTH), &digits(PRED), &group, &opts()).unwrap();
        let by: Vec<(&str, f64, f64, f64)> = f
            .groups
            .iter()
            .map(|g| {
                (
                    g.group.as_str(),
                    g.selection_rate.value,
                    g.true_positive_rate.unwrap().value,
                    g.false_positive_rate.unwrap().value,
                )
            })
            .collect();
        let want = [
            ("a", 0.675, 0.96, 0.2),
            ("b", 0.68, 0.8125, 0.444_444_444_444_444_4),
            (
                "c",
                0.628_571_428_571_428_6,
                0.888_888_888_888_888_8,
                0.352_941_176_470_588_2,
            ),
        ];
        for ((g, sr, tpr, fpr), (wg, wsr, wtpr, wfpr)) in by.iter().zip(want) {
            assert_eq!(*g, wg);
            close(*sr, wsr);
            close(*tpr, wtpr);
            close(*fpr, wfpr);
        }
        close(
            f.demographic_parity_difference.value,
            0.051_428_571_428_571_49,
        );
        close(f.demographic_parity_ratio.unwrap(), 0.924_369_747_899_159_6);
        close(
            f.equalized_odds_difference.unwrap().value,
            0.244_444_444_444_444_4,
        );
        close(f.equalized_odds_ratio.unwrap(), 0.450_000_000_000_000_07);
        // The bootstrap interval brackets the figure and stays within [0, 1].
        let d = f.demographic_parity_difference;
        assert!(d.low <= d.value && d.value <= d.high && d.low >= 0.0 && d.high <= 1.0);
        // Group b has 25 rows: flagged as small; a and c are not.
        assert!(f.groups[1].flags.iter().any(|x| x.contains("small group")));
        assert!(f.groups[0].flags.is_empty() && f.groups[2].flags.is_empty());
        // Seeded: the same intervals again.
        let again = fairness(&digits(TRUTH), &digits(PRED), &group, &opts()).unwrap();
        assert_eq!(f, again);
    }

    #[test]
    fn wilson_matches_statsmodels() {
        // statsmodels 0.14 proportion_confint(k, n, method="wilson").
        let r = Rate::wilson(17, 25).unwrap();
        close(r.low, 0.484_102_692_731_022_4);
        close(r.high, 0.827_948_096_930_920_3);
        let r = Rate::wilson(0, 12).unwrap();
        close(r.low, 0.0);
        close(r.high, 0.242_494_006_655_240_96);
        let r = Rate::wilson(24, 25).unwrap();
        close(r.low, 0.804_559_362_638_062_6);
        close(r.high, 0.992_903_766_498_012_8);
        assert!(Rate::wilson(0, 0).is_none());
    }

    #[test]
    fn undefined_rates_and_bad_input() {
        // Group y has no positives: its TPR is undefined, so equalized odds compares x alone
        // and is undefined too; demographic parity is still defined.
        let truth = [1, 0, 1, 0, 0, 0];
        let pred = [1, 0, 0, 0, 1, 0];
        let group: Vec<String> = ["x", "x", "x", "x", "y", "y"].map(String::from).to_vec();
        let f = fairness(&truth, &pred, &group, &opts()).unwrap();
        assert!(f.groups[1].true_positive_rate.is_none());
        assert!(f.equalized_odds_difference.is_none());
        close(f.demographic_parity_difference.value, 0.25);
        assert!(
            f.warnings
                .iter()
                .any(|w| w.contains("equalized odds is undefined"))
        );
        let one: Vec<String> = vec!["x".into(); 6];
        assert!(matches!(
            fairness(&truth, &pred, &one, &opts()),
            Err(FairnessError::OneGroup(_))
        ));
        assert!(matches!(
            fairness(&truth, &pred[..3], &group, &opts()),
            Err(FairnessError::Length { .. })
        ));
    }
}
