//! Classification metrics: accuracy, precision, recall and F1 per class and macro-averaged, and
//! the confusion matrix (rows: true class, columns: predicted class).

use serde::Serialize;

/// Metrics of predictions against labels.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    /// Fraction correct.
    pub accuracy: f64,
    /// Macro-averaged precision.
    pub precision: f64,
    /// Macro-averaged recall.
    pub recall: f64,
    /// Macro-averaged F1.
    pub f1: f64,
    /// Per class: precision, recall, F1, support.
    pub per_class: Vec<ClassMetrics>,
    /// `confusion[true][predicted]`.
    pub confusion: Vec<Vec<u64>>,
}

/// Metrics of one class.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassMetrics {
    /// Class name.
    pub class: String,
    /// Precision (0 when nothing was predicted as this class).
    pub precision: f64,
    /// Recall (0 when the class has no examples).
    pub recall: f64,
    /// F1.
    pub f1: f64,
    /// Number of true examples.
    pub support: u64,
}

/// Computes metrics; `classes` names the labels `0..classes.len()`.
pub fn metrics(pred: &[usize], truth: &[usize], classes: &[String]) -> Metrics {
    let k = classes.len();
    let mut confusion = vec![vec![0u64; k]; k];
    for (&p, &t) in pred.iter().zip(truth) {
        if p < k && t < k {
            confusion[t][p] += 1;
        }
    }
    let n: u64 = confusion.iter().flatten().sum();
    let correct: u64 = (0..k).map(|i| confusion[i][i]).sum();
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let per_class: Vec<ClassMetrics> = (0..k)
        .map(|c| {
            let tp = confusion[c][c];
            let predicted: u64 = (0..k).map(|t| confusion[t][c]).sum();
            let support: u64 = confusion[c].iter().sum();
            let precision = ratio(tp, predicted);
            let recall = ratio(tp, support);
            let f1 = if precision + recall > 0.0 {
                2.0 * precision * recall / (precision + recall)
            } else {
                0.0
            };
            ClassMetrics {
                class: classes[c].clone(),
                precision,
                recall,
                f1,
                support,
            }
        })
        .collect();
    let mean = |f: fn(&ClassMetrics) -> f64| {
        if k == 0 {
            0.0
        } else {
            per_class.iter().map(f).sum::<f64>() / k as f64
        }
    };
    Metrics {
        accuracy: ratio(correct, n),
        precision: mean(|c| c.precision),
        recall: mean(|c| c.recall),
        f1: mean(|c| c.f1),
        per_class,
        confusion,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_a_hand_computed_example() {
        // truth: a a a b b c ; pred: a a b b c c
        let classes: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let m = metrics(&[0, 0, 1, 1, 2, 2], &[0, 0, 0, 1, 1, 2], &classes);
        assert_eq!(
            m.confusion,
            vec![vec![2, 1, 0], vec![0, 1, 1], vec![0, 0, 1]]
        );
        assert!((m.accuracy - 4.0 / 6.0).abs() < 1e-12);
        // a: P 1, R 2/3; b: P 1/2, R 1/2; c: P 1/2, R 1.
        assert!((m.per_class[0].recall - 2.0 / 3.0).abs() < 1e-12);
        assert!((m.per_class[1].precision - 0.5).abs() < 1e-12);
        assert!((m.precision - (1.0 + 0.5 + 0.5) / 3.0).abs() < 1e-12);
        assert!((m.recall - (2.0 / 3.0 + 0.5 + 1.0) / 3.0).abs() < 1e-12);
        let f1a = 2.0 * 1.0 * (2.0 / 3.0) / (1.0 + 2.0 / 3.0);
        assert!((m.per_class[0].f1 - f1a).abs() < 1e-12);
        assert_eq!(m.per_class[2].support, 1);
    }
}
