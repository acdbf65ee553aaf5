//! The social account: model fairness from the period's evaluations (`sustain eval
//! --sensitive`), indicators users enter (training hours, education investment, community
//! programmes), and the social index that combines them with configured weights. Privacy and
//! data indicators come from data governance, which is not built yet: the account says so.
//! Method: `docs/methods/social.md`.

use serde::Serialize;
use sustain_core::business::{Direction, IndexWeight};
use sustain_core::run_json::{Interval, Outcomes};
use sustain_ledger::{Business, RunOutcome, TotalsQuery};

use crate::error::Result;
use crate::period::Period;
use crate::scope::Scope;

/// The built-in fairness indicators the index can weigh: the worst (largest) value over the
/// period's evaluations.
pub const FAIRNESS_INDICATORS: &[&str] = &[
    "fairness.demographic_parity_difference",
    "fairness.equalized_odds_difference",
];

/// One evaluation's fairness figures.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FairnessEval {
    /// The eval run.
    pub run_id: String,
    /// When it started (RFC 3339).
    pub started_at: String,
    /// The model (directory) evaluated.
    pub model: String,
    /// The dataset.
    pub dataset: String,
    /// The protected attribute.
    pub attribute: String,
    /// The favourable class.
    pub positive_class: String,
    /// Groups compared.
    pub groups: usize,
    /// Groups flagged as too small or with too few positives or negatives.
    pub flagged_groups: usize,
    /// Demographic parity difference and its bootstrap 95 % interval.
    pub demographic_parity_difference: [f64; 3],
    /// Equalized odds difference and its interval, where defined.
    pub equalized_odds_difference: Option<[f64; 3]>,
    /// Accuracy on the evaluation set.
    pub accuracy: Option<f64>,
}

/// A user indicator summed over the period.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct IndicatorTotal {
    /// Name.
    pub name: String,
    /// Unit.
    pub unit: String,
    /// Sum of the entries in the period and scope.
    pub total: f64,
    /// Entries summed.
    pub entries: u64,
}

/// One indicator's part of the index.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct IndexComponent {
    /// Indicator.
    pub indicator: String,
    /// Its value in the period (none: no data, left out of the index).
    pub value: Option<f64>,
    /// Weight.
    pub weight: f64,
    /// Which way is better.
    pub direction: Direction,
    /// The value that scores 100.
    pub reference: f64,
    /// Score 0..=100 (none without data).
    pub score: Option<f64>,
}

/// The social index: the weighted mean of the component scores that have data.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SocialIndex {
    /// 0..=100; none when no weighted indicator has data.
    pub score: Option<f64>,
    /// Share of the total weight whose indicators have data in the period.
    pub coverage: f64,
    /// The components, by indicator.
    pub components: Vec<IndexComponent>,
}

/// The social account.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Social {
    /// Whether any fairness evaluation or indicator is recorded for the period and scope.
    pub has_data: bool,
    /// Fairness evaluations in the period.
    pub fairness: Vec<FairnessEval>,
    /// User indicators in the period.
    pub indicators: Vec<IndicatorTotal>,
    /// The index, when weights are configured.
    pub index: Option<SocialIndex>,
    /// What is missing and how to record it.
    pub notes: Vec<String>,
}

fn triple(i: &Interval) -> [f64; 3] {
    [i.value, i.low, i.high]
}

fn fairness_eval(o: &RunOutcome) -> Option<FairnessEval> {
    let outcomes = Outcomes::of(&o.outcomes)?;
    let f = outcomes.fairness?;
    Some(FairnessEval {
        run_id: o.run_id.clone(),
        started_at: o.started_at.to_rfc3339(),
        model: o
            .tags
            .get("model")
            .cloned()
            .unwrap_or_else(|| "(unknown)".into()),
        dataset: o.tags.get("dataset").cloned().unwrap_or_default(),
        groups: f.groups.len(),
        flagged_groups: f.groups.iter().filter(|g| !g.flags.is_empty()).count(),
        demographic_parity_difference: triple(&f.demographic_parity_difference),
        equalized_odds_difference: f.equalized_odds_difference.as_ref().map(triple),
        accuracy: outcomes.metrics.as_ref().and_then(|m| m.test_accuracy()),
        attribute: f.attribute,
        positive_class: f.positive_class,
    })
}

/// The value of an indicator for the index: a user total, or the worst fairness figure.
fn indicator_value(
    name: &str,
    fairness: &[FairnessEval],
    totals: &[IndicatorTotal],
) -> Option<f64> {
    let worst =
        |f: &dyn Fn(&FairnessEval) -> Option<f64>| fairness.iter().filter_map(f).reduce(f64::max);
    match name {
        "fairness.demographic_parity_difference" => {
            worst(&|e| Some(e.demographic_parity_difference[0]))
        }
        "fairness.equalized_odds_difference" => {
            worst(&|e| e.equalized_odds_difference.map(|d| d[0]))
        }
        other => totals.iter().find(|t| t.name == other).map(|t| t.total),
    }
}

/// The index of `weights` (weight 0 left out) over the period's values.
pub fn index(
    weights: &[IndexWeight],
    fairness: &[FairnessEval],
    totals: &[IndicatorTotal],
) -> Option<SocialIndex> {
    let active: Vec<&IndexWeight> = weights.iter().filter(|w| w.weight > 0.0).collect();
    if active.is_empty() {
        return None;
    }
    let components: Vec<IndexComponent> = active
        .iter()
        .map(|w| {
            let value = indicator_value(&w.indicator, fairness, totals);
            IndexComponent {
                indicator: w.indicator.clone(),
                value,
                weight: w.weight,
                direction: w.direction,
                reference: w.reference,
                score: value.map(|v| w.score(v)),
            }
        })
        .collect();
    let total_w: f64 = components.iter().map(|c| c.weight).sum();
    let (sum, w_data) = components
        .iter()
        .filter_map(|c| c.score.map(|s| (s * c.weight, c.weight)))
        .fold((0.0, 0.0), |(a, b), (s, w)| (a + s, b + w));
    Some(SocialIndex {
        score: (w_data > 0.0).then(|| sum / w_data),
        coverage: if total_w > 0.0 { w_data / total_w } else { 0.0 },
        components,
    })
}

/// The social account of `scope` over `period`; `q` selects the period's runs.
pub fn social(
    ledger: &impl Business,
    period: &Period,
    scope: &Scope,
    q: &TotalsQuery,
) -> Result<Social> {
    let fairness: Vec<FairnessEval> = ledger
        .fairness_runs(q)?
        .iter()
        .filter(|o| o.status == "succeeded")
        .filter_map(fairness_eval)
        .collect();
    let mut totals: Vec<IndicatorTotal> = Vec::new();
    for i in ledger.indicators(period.from, period.to)? {
        if !scope.covers_cost_scope(&i.scope) {
            continue;
        }
        match totals
            .iter_mut()
            .find(|t| t.name == i.name && t.unit == i.unit)
        {
            Some(t) => {
                t.total += i.value;
                t.entries += 1;
            }
            None => totals.push(IndicatorTotal {
                name: i.name,
                unit: i.unit,
                total: i.value,
                entries: 1,
            }),
        }
    }
    totals.sort_by(|a, b| a.name.cmp(&b.name).then(a.unit.cmp(&b.unit)));
    let weights = ledger.index_weights()?;
    let idx = index(&weights, &fairness, &totals);
    let mut notes = Vec::new();
    if fairness.is_empty() {
        notes.push("no fairness evaluation in this period: run `sustain eval --model DIR --sensitive COLUMN` to record one".into());
    }
    if totals.is_empty() {
        notes.push("no user indicators in this period: add them with `sustain indicator add NAME --value V --unit U`".into());
    }
    match &idx {
        None => notes.push("no social index: give indicators weights with `sustain indicator weight NAME --weight W --direction higher|lower --reference R`".into()),
        Some(i) => {
            let missing: Vec<&str> = i
                .components
                .iter()
                .filter(|c| c.value.is_none())
                .map(|c| c.indicator.as_str())
                .collect();
            if !missing.is_empty() {
                notes.push(format!(
                    "the index leaves out {} (no data in this period); it covers {:.0}% of the weight",
                    missing.join(", "),
                    i.coverage * 100.0
                ));
            }
        }
    }
    notes.push(
        "privacy and data indicators: not recorded (data governance is not built yet)".into(),
    );
    Ok(Social {
        has_data: !fairness.is_empty() || !totals.is_empty(),
        fairness,
        indicators: totals,
        index: idx,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn w(ind: &str, weight: f64, direction: Direction, reference: f64) -> IndexWeight {
        IndexWeight {
            indicator: ind.into(),
            weight,
            direction,
            reference,
            recorded_at: Utc::now(),
        }
    }

    #[test]
    fn index_is_the_weighted_mean_of_capped_scores_with_data() {
        let totals = vec![IndicatorTotal {
            name: "training_hours".into(),
            unit: "h".into(),
            total: 300.0,
            entries: 2,
        }];
        let eval = FairnessEval {
            run_id: "r".into(),
            started_at: String::new(),
            model: "m".into(),
            dataset: "d".into(),
            attribute: "sex".into(),
            positive_class: "good".into(),
            groups: 2,
            flagged_groups: 0,
            demographic_parity_difference: [0.2, 0.1, 0.3],
            equalized_odds_difference: Some([0.05, 0.0, 0.1]),
            accuracy: Some(0.7),
        };
        let weights = vec![
            w("training_hours", 1.0, Direction::Higher, 400.0), // 75
            w(
                "fairness.demographic_parity_difference",
                2.0,
                Direction::Lower,
                0.1,
            ), // 50
            w(
                "fairness.equalized_odds_difference",
                1.0,
                Direction::Lower,
                0.1,
            ), // capped 100
            w("community_people", 1.0, Direction::Higher, 10.0), // no data
            w("dropped", 0.0, Direction::Higher, 1.0),          // weight 0: left out
        ];
        let i = index(&weights, &[eval], &totals).unwrap();
        assert_eq!(i.components.len(), 4);
        let want = (75.0 + 2.0 * 50.0 + 100.0) / 4.0;
        assert!((i.score.unwrap() - want).abs() < 1e-12);
        assert!((i.coverage - 4.0 / 5.0).abs() < 1e-12);
        assert!(index(&[w("x", 0.0, Direction::Higher, 1.0)], &[], &[]).is_none());
        let none = index(&[w("x", 1.0, Direction::Higher, 1.0)], &[], &[]).unwrap();
        assert_eq!(none.score, None);
    }
}
