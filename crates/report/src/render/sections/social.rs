//! The social account's section: fairness of evaluated models, indicators, the social index.

use super::ci;
use crate::figures::fig;
use crate::render::doc::{Align, Doc, Table, code, lit, strong, text};
use crate::social::Social;

use Align::{Left as L, Right as R};

/// The social account.
pub fn social(d: &mut Doc, s: &Social) {
    d.heading(2, vec![lit("Social account")]);
    if !s.fairness.is_empty() {
        d.heading(3, vec![lit("Fairness of evaluated models")]);
        let mut t = Table::new(&[
            ("model", L),
            ("dataset", L),
            ("attribute (favourable class)", L),
            ("groups", R),
            ("demographic parity difference [95 % CI]", R),
            ("equalized odds difference [95 % CI]", R),
            ("accuracy", R),
            ("run", L),
        ]);
        for f in &s.fairness {
            t.row_lines(vec![
                vec![text(&f.model)],
                vec![text(&f.dataset)],
                vec![text(format!("{} ({})", f.attribute, f.positive_class))],
                vec![text(format!(
                    "{}{}",
                    f.groups,
                    if f.flagged_groups > 0 {
                        format!(" ({} flagged)", f.flagged_groups)
                    } else {
                        String::new()
                    }
                ))],
                ci(&f.demographic_parity_difference),
                f.equalized_odds_difference
                    .as_ref()
                    .map_or(vec![lit("undefined")], ci),
                vec![text(
                    f.accuracy
                        .map_or("—".into(), |a| format!("{:.1} %", a * 100.0)),
                )],
                vec![code(f.run_id.get(..8).unwrap_or(&f.run_id))],
            ]);
        }
        d.table(t);
    }
    if !s.indicators.is_empty() {
        d.heading(3, vec![lit("Indicators")]);
        let mut t = Table::new(&[("indicator", L), ("total", R), ("unit", L), ("entries", R)]);
        for i in &s.indicators {
            t.row([
                text(&i.name),
                text(fig(i.total)),
                text(&i.unit),
                text(i.entries.to_string()),
            ]);
        }
        d.table(t);
    }
    if let Some(idx) = &s.index {
        let score = match idx.score {
            Some(v) => vec![strong(format!("{v:.1}")), lit(" / 100")],
            None => vec![lit("no data")],
        };
        let mut h = vec![lit("Social index: ")];
        h.extend(score);
        d.heading(3, h);
        d.para(vec![text(format!(
            "The weighted mean of the component scores (0–100) that have data; it covers {:.0} % of the configured weight.",
            idx.coverage * 100.0
        ))]);
        let mut t = Table::new(&[
            ("indicator", L),
            ("value", R),
            ("direction", L),
            ("scores 100 at", R),
            ("weight", R),
            ("score", R),
        ]);
        for c in &idx.components {
            t.row([
                text(&c.indicator),
                text(c.value.map_or("no data".into(), fig)),
                text(c.direction.as_str()),
                text(fig(c.reference)),
                text(fig(c.weight)),
                text(c.score.map_or("—".into(), |v| format!("{v:.1}"))),
            ]);
        }
        d.table(t);
    }
    d.list(s.notes.iter().map(|n| vec![text(n)]).collect());
}
