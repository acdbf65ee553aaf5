//! The strategy map: a Mermaid flowchart from the levers of the saved scenarios, through the
//! metrics they move, to the targets (goals) that track those metrics.

use std::collections::BTreeSet;
use std::fmt::Write;

use crate::scenario::ScenarioFile;
use crate::targets::Progress;

/// Metrics computed from others: (derived, from).
const DERIVED: &[(&str, &str)] = &[
    ("co2e_per_1k_requests", "co2e_location_g"),
    ("co2e_per_1k_requests", "requests"),
    ("wh_per_1k_requests", "energy_wh"),
    ("wh_per_1k_requests", "requests"),
    ("co2e_per_revenue", "co2e_location_g"),
    ("co2e_per_revenue", "revenue"),
    ("profit", "revenue"),
    ("profit", "cost"),
    ("margin", "profit"),
    ("cost_per_1k_requests", "cost"),
    ("cost_per_1k_requests", "requests"),
];

fn id(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// A label's text in Mermaid: quotes would end the label, line breaks the statement, and
/// `<`/`>` are markup to Mermaid's HTML labels; they become `'`, spaces and entity codes.
fn text(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '"' | '`' => "'".to_string(),
            '<' => "#lt;".to_string(),
            '>' => "#gt;".to_string(),
            c if c.is_control() => " ".to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// The Mermaid source (without the code fence); empty when there are neither targets nor
/// scenarios.
pub fn mermaid(targets: &[Progress], scenarios: &[ScenarioFile]) -> String {
    if targets.is_empty() && scenarios.is_empty() {
        return String::new();
    }
    let mut metrics: BTreeSet<&str> = BTreeSet::new();
    let mut o = String::from("flowchart LR\n");
    let _ = writeln!(o, "  subgraph Levers");
    let mut edges = Vec::new();
    for s in scenarios {
        for (i, l) in s.levers.iter().enumerate() {
            let lid = format!("L_{}_{}", id(&s.name), i + 1);
            let _ = writeln!(o, "    {lid}[\"{}: {}\"]", text(&s.name), text(&l.label()));
            for m in l.kind().moves() {
                metrics.insert(m);
                edges.push(format!("  {lid} --> M_{m}"));
            }
        }
    }
    let _ = writeln!(o, "  end");
    for t in targets {
        metrics.insert(t.target.metric.as_str());
    }
    // Close over derivations so that every target's metric is reachable from what levers move.
    loop {
        let mut added = false;
        for (d, from) in DERIVED {
            if metrics.contains(d) && !metrics.contains(from) {
                metrics.insert(from);
                added = true;
            }
        }
        if !added {
            break;
        }
    }
    let _ = writeln!(o, "  subgraph Metrics");
    for m in &metrics {
        let _ = writeln!(o, "    M_{}([\"{}\"])", id(m), text(m));
    }
    let _ = writeln!(o, "  end");
    let _ = writeln!(o, "  subgraph Goals");
    for t in targets {
        let verdict = t.verdict.as_str();
        let _ = writeln!(
            o,
            "    T_{}{{{{\"{}: {} of {} {} by {} — {}\"}}}}",
            id(&t.target.name),
            text(&t.target.name),
            text(&t.target.metric),
            text(&t.target.scope),
            text(&t.target.goal.label()),
            t.target.by,
            verdict
        );
    }
    let _ = writeln!(o, "  end");
    for e in edges {
        let _ = writeln!(o, "{e}");
    }
    for (d, from) in DERIVED {
        if metrics.contains(d) && metrics.contains(from) {
            let _ = writeln!(o, "  M_{from} -.-> M_{d}");
        }
    }
    for t in targets {
        let _ = writeln!(
            o,
            "  M_{} --> T_{}",
            id(&t.target.metric),
            id(&t.target.name)
        );
    }
    o
}
