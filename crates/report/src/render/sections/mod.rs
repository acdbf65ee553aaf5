//! The sections of a report, written once as a [`Doc`]: every format that shows them to people
//! (Markdown, HTML, the pages of `sustain serve`) renders this document.

mod accounts;
mod scenario;
mod sheets;
mod social;
mod targets;

use crate::accounts::Accounts;
use crate::render::doc::{Doc, Line, code, lit, text};
use crate::report::Extras;
use crate::scenario::ScenarioResult;
use crate::sheets::ModelSheet;
use crate::targets::Progress;

/// A difference with its 95 % confidence interval: `0.100 [0.050–0.200]`.
fn ci(d: &[f64; 3]) -> Line {
    vec![
        text(format!("{:.3} ", d[0])),
        lit("["),
        text(format!("{:.3}–{:.3}", d[1], d[2])),
        lit("]"),
    ]
}

/// The whole report: accounts, social account, targets, strategy map, scenarios, model sheets,
/// notes and methods (only the title and "No data" when the period holds nothing).
pub fn report(a: &Accounts, targets: &[Progress], x: &Extras) -> Doc {
    let mut d = Doc::default();
    accounts::title(&mut d, a);
    if !a.has_data {
        return d;
    }
    accounts::summary(&mut d, a);
    accounts::environmental(&mut d, a);
    accounts::economic(&mut d, a);
    social::social(&mut d, &a.social);
    if !targets.is_empty() {
        d.heading(2, vec![lit("Targets")]);
        targets::targets(&mut d, targets);
    }
    if !x.strategy_map.is_empty() {
        d.heading(2, vec![lit("Strategy map")]);
        d.para(vec![lit(
            "Levers of the saved scenarios, the metrics they move, and the targets that track those metrics (Mermaid; dotted lines: derived metrics).",
        )]);
        d.code("mermaid", x.strategy_map.clone());
    }
    if !x.scenarios.is_empty() || !x.scenario_errors.is_empty() {
        d.heading(2, vec![lit("Scenarios")]);
        for r in &x.scenarios {
            scenario::scenario(&mut d, r);
        }
        d.list(
            x.scenario_errors
                .iter()
                .map(|e| vec![lit("not run: "), text(e)])
                .collect(),
        );
    }
    if !x.model_sheets.is_empty() {
        d.heading(2, vec![lit("Model sheets")]);
        sheets::sheets(&mut d, &x.model_sheets);
    }
    if !a.notes.is_empty() {
        d.heading(2, vec![lit("Notes")]);
        d.list(a.notes.iter().map(|n| vec![text(n)]).collect());
    }
    d.heading(2, vec![lit("Methods")]);
    let mut methods = vec![
        vec![
            lit("Energy: "),
            code("docs/methods/cpu-energy.md"),
            lit(", "),
            code("memory-energy.md"),
            lit(", "),
            code("gpu-energy.md"),
            lit(" (each run says measured or modelled)."),
        ],
        vec![
            lit("Carbon, water and cost: "),
            code("docs/methods/impacts.md"),
            lit(" (location- and market-based carbon per the GHG Protocol Scope 2 guidance)."),
        ],
        vec![
            lit("Embodied carbon and the SCI: "),
            code("docs/methods/embodied.md"),
            lit(" (the SCI specification's "),
            code("M = TE x TS x RS"),
            lit(")."),
        ],
        vec![
            lit("Accounts, periods, scopes and per-unit figures: "),
            code("docs/methods/accounts.md"),
            lit("."),
        ],
    ];
    if a.environmental.avoided.is_some() {
        // Only where scheduling was recorded, so that other reports keep their bytes.
        methods.push(vec![
            lit("Carbon avoided by scheduling: "),
            code("docs/methods/avoided-carbon.md"),
            lit(" (modelled against fifo on the true series; never subtracted from the actual carbon)."),
        ]);
    }
    d.list(methods);
    d
}

/// The targets as a document (empty without targets).
pub fn targets(list: &[Progress]) -> Doc {
    let mut d = Doc::default();
    targets::targets(&mut d, list);
    d
}

/// One scenario's result as a document.
pub fn scenario(r: &ScenarioResult) -> Doc {
    let mut d = Doc::default();
    scenario::scenario(&mut d, r);
    d
}

/// Model sheets as a document.
pub fn sheets(list: &[ModelSheet]) -> Doc {
    let mut d = Doc::default();
    sheets::sheets(&mut d, list);
    d
}
