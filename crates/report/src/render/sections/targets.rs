//! The targets' section: each target's figures against the straight line to its goal, and its
//! verdict in words.

use crate::figures::fig;
use crate::render::doc::{Align, Doc, Table, lit, strong, text};
use crate::targets::Progress;

use Align::{Left as L, Right as R};

/// The targets table and the verdicts (nothing without targets).
pub fn targets(d: &mut Doc, targets: &[Progress]) {
    if targets.is_empty() {
        return;
    }
    let mut t = Table::new(&[
        ("target", L),
        ("metric", L),
        ("baseline", R),
        ("goal", R),
        ("value", R),
        ("expected now", R),
        ("verdict", L),
    ]);
    let opt = |v: Option<f64>| v.map_or("—".to_string(), fig);
    for p in targets {
        t.row([
            text(&p.target.name),
            text(format!("{} ({})", p.target.metric, p.unit)),
            text(format!("{} ({})", opt(p.baseline_value), p.target.baseline)),
            text(format!(
                "{} ({} by {})",
                opt(p.goal_value),
                p.target.goal.label(),
                p.target.by
            )),
            text(format!("{} ({})", opt(p.value), p.period)),
            text(opt(p.expected)),
            strong(p.verdict.as_str()),
        ]);
    }
    d.table(t);
    d.list(
        targets
            .iter()
            .map(|p| vec![strong(&p.target.name), lit(": "), text(&p.explanation)])
            .collect(),
    );
}
