//! Training, evaluation and fairness results for people (the CLI prints these). User-supplied
//! strings (class names, attribute values, paths) go through `sustain_core::text::safe`.

use std::path::Path;

use comfy_table::{Cell, Table};
use sustain_core::format::sig;
use sustain_core::run::RunView;
use sustain_core::text::safe as term;
use sustain_core::units::Energy;

use crate::fairness::{Fairness, Rate, Spread};
use crate::jobs::{EvalResult, Evaluated, TrainResult, TrainedRun};
use crate::lm::LmMetrics;
use crate::metrics::Metrics;
use crate::trainer::EpochLog;

/// One epoch's log line.
pub fn epoch_line(log: &EpochLog, epochs: usize, energy: Energy) -> String {
    format!(
        "epoch {:>3}/{}  loss {:.4}  accuracy {:.4}  val_loss {:.4}  val_accuracy {:.4}  {:.2} s  energy {}",
        log.epoch,
        epochs,
        log.loss,
        log.accuracy,
        log.val_loss,
        log.val_accuracy,
        log.seconds,
        energy.human()
    )
}

/// The energy, carbon, model and run line that ends each result.
fn footer(view: &RunView, dir: &Path) -> String {
    let j = view.json();
    format!(
        "Energy {} Wh ({}), carbon {} g location-based; model in {}; run {}\n",
        sig(j.energy.total_wh.unwrap_or(0.0)),
        j.energy.sources.cpu.map_or("", |s| s.as_str()),
        sig(j.co2e.location_g.unwrap_or(0.0)),
        term(&dir.display().to_string()),
        view.start.id,
    )
}

/// A table with a rule under the header, at its natural width.
fn table() -> Table {
    let mut t = Table::new();
    t.load_preset("     ─             ");
    t
}

/// A classifier's metrics: per class, the confusion matrix, and the footer.
fn classifier(m: &Metrics, dir: &Path, view: &RunView, samples_per_s: f64) -> String {
    let mut t = table();
    t.set_header(vec!["CLASS", "PRECISION", "RECALL", "F1", "SUPPORT"]);
    for c in &m.per_class {
        t.add_row(vec![
            Cell::new(term(&c.class)),
            Cell::new(format!("{:.4}", c.precision)),
            Cell::new(format!("{:.4}", c.recall)),
            Cell::new(format!("{:.4}", c.f1)),
            Cell::new(c.support),
        ]);
    }
    t.add_row(vec![
        Cell::new("macro"),
        Cell::new(format!("{:.4}", m.precision)),
        Cell::new(format!("{:.4}", m.recall)),
        Cell::new(format!("{:.4}", m.f1)),
        Cell::new(m.per_class.iter().map(|c| c.support).sum::<u64>()),
    ]);
    let mut cm = table();
    let mut h = vec!["TRUE \\ PREDICTED".to_string()];
    h.extend(m.per_class.iter().map(|c| term(&c.class).into_owned()));
    cm.set_header(h);
    for (i, row) in m.confusion.iter().enumerate() {
        let mut r = vec![Cell::new(term(&m.per_class[i].class))];
        r.extend(row.iter().map(Cell::new));
        cm.add_row(r);
    }
    format!(
        "Test accuracy {:.4}  (macro precision {:.4}, recall {:.4}, F1 {:.4}); {:.0} samples/s\n\n{t}\n\nConfusion matrix:\n{cm}\n\n{}",
        m.accuracy,
        m.precision,
        m.recall,
        m.f1,
        samples_per_s,
        footer(view, dir)
    )
}

/// A language model's metrics on one part.
fn lm(what: &str, m: &LmMetrics) -> String {
    format!(
        "{what} loss {:.4} nats/char ({:.3} bits/char), next-character accuracy {:.4}; unigram baseline {:.4}: {:.1}% below it ({} characters)\n",
        m.loss,
        m.bits_per_char,
        m.accuracy,
        m.unigram_loss,
        100.0 * m.reduction_vs_unigram,
        m.chars
    )
}

/// The result of `sustain train`.
pub fn trained(t: &TrainedRun) -> String {
    match &t.result {
        TrainResult::Classifier { test } => {
            classifier(test, &t.model_dir, &t.view, t.samples_per_s)
        }
        TrainResult::Lm {
            val,
            test,
            chars_per_s,
            samples,
        } => {
            let mut text = lm("Validation", val);
            text.push_str(&lm("Test", test));
            text.push_str(&format!(
                "{chars_per_s:.0} characters/s ({:.0} windows of {}/s)\n\nSamples (temperature {}):\n",
                t.samples_per_s,
                t.config.inputs,
                crate::jobs::SAMPLE_TEMPERATURE
            ));
            for s in samples {
                let lines: Vec<_> = s.split('\n').map(term).collect();
                text.push_str(&format!("  > {}\n", lines.join("\n    ")));
            }
            text.push('\n');
            text.push_str(&footer(&t.view, &t.model_dir));
            text
        }
    }
}

/// The result of `sustain eval`.
pub fn evaluated(e: &Evaluated) -> String {
    match &e.result {
        EvalResult::Classifier { test, fairness } => {
            let mut text = classifier(test, &e.model_dir, &e.view, 0.0);
            if let Some(f) = fairness {
                text.push_str(&fairness_table(f));
            }
            text
        }
        EvalResult::Lm { test } => format!(
            "{}Model {}; run {}\n",
            lm("Test", test),
            term(&e.model_dir.display().to_string()),
            e.view.start.id
        ),
    }
}

/// The fairness figures as a table.
fn fairness_table(f: &Fairness) -> String {
    let pct = |r: &Rate| {
        format!(
            "{:.1}% [{:.1}–{:.1}]",
            r.value * 100.0,
            r.low * 100.0,
            r.high * 100.0
        )
    };
    let opt = |r: &Option<Rate>| r.as_ref().map_or("undefined".to_string(), pct);
    let mut t = Table::new();
    t.load_preset(comfy_table::presets::UTF8_BORDERS_ONLY);
    t.set_header([
        "group",
        "rows",
        "selection rate",
        "TPR",
        "FPR",
        "accuracy",
        "flags",
    ]);
    for g in &f.groups {
        t.add_row([
            term(&g.group).into_owned(),
            g.count.to_string(),
            pct(&g.selection_rate),
            opt(&g.true_positive_rate),
            opt(&g.false_positive_rate),
            format!("{:.1}%", g.accuracy * 100.0),
            if g.flags.is_empty() {
                String::new()
            } else {
                "⚠ ".to_string() + &g.flags.join("; ")
            },
        ]);
    }
    let spread = |s: &Spread| format!("{:.3} [{:.3}–{:.3}]", s.value, s.low, s.high);
    let ratio = |r: Option<f64>| r.map_or("undefined".into(), |r| format!("{r:.3}"));
    let mut s = format!(
        "\nFairness over '{}' (favourable class: {}; 95% intervals: Wilson per group, bootstrap of {} resamples for differences)\n{t}\n",
        term(&f.attribute),
        term(&f.positive_class),
        f.bootstrap_resamples
    );
    s.push_str(&format!(
        "  demographic parity difference  {}   ratio {}\n",
        spread(&f.demographic_parity_difference),
        ratio(f.demographic_parity_ratio)
    ));
    s.push_str(&format!(
        "  equalized odds difference      {}   ratio {}\n",
        f.equalized_odds_difference
            .as_ref()
            .map_or("undefined".into(), spread),
        ratio(f.equalized_odds_ratio)
    ));
    for w in &f.warnings {
        s.push_str(&format!("  warning: {}\n", term(w)));
    }
    s
}
