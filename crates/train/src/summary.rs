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

/// The result of `sustain optimize prune|quantize`: the new model beside its parent.
pub fn optimized(o: &crate::jobs::Optimized) -> String {
    let mut t = table();
    t.set_header(vec![
        "MODEL",
        "PRECISION",
        "ACCURACY",
        "MACRO F1",
        "SIZE",
        "PARAMS",
        "NON-ZERO",
    ]);
    for (what, s) in [("parent", &o.parent), (o.step, &o.child)] {
        t.add_row(vec![
            Cell::new(format!("{what}: {}", term(&s.model))),
            Cell::new(s.precision),
            Cell::new(format!("{:.4}", s.test.accuracy)),
            Cell::new(format!("{:.4}", s.test.f1)),
            Cell::new(sustain_core::format::si(s.size_bytes as f64, "B")),
            Cell::new(s.params),
            Cell::new(s.nonzero_params),
        ]);
    }
    let mut text = format!("{t}\n\n");
    let (c, p) = (&o.child, &o.parent);
    text.push_str(&format!(
        "Accuracy {:+.2} points, size {:.0}% of the parent, non-zero parameters {:.0}% of the parent (held-out test split of {}).\n",
        100.0 * (c.test.accuracy - p.test.accuracy),
        100.0 * c.size_bytes as f64 / p.size_bytes.max(1) as f64,
        100.0 * c.nonzero_params as f64 / p.nonzero_params.max(1) as f64,
        term(&o.config.dataset),
    ));
    if let Some(pr) = &o.config.pruning {
        text.push_str(&format!(
            "Pruning: {}, {}, sparsity {} asked, {} of {} weights left; {} epochs of recovery fine-tuning.\n",
            pr.kind.as_str(),
            pr.scope.as_str(),
            pr.sparsity,
            pr.weights_after,
            pr.weights_before,
            pr.finetune_epochs
        ));
    }
    if let Some(w) = &o.config.widths {
        text.push_str(&format!("Hidden widths now: {w:?}.\n"));
    }
    if let Some(q) = &o.config.quantization {
        let act = match &q.activations {
            crate::optimize::Activations::Dynamic => "per batch at run time".to_string(),
            crate::optimize::Activations::Calibrated { dataset, rows } => {
                format!("calibrated on {} ({rows} rows)", term(dataset))
            }
        };
        text.push_str(&format!(
            "Quantization: int8 symmetric, weights {}, activations {act}.\n",
            q.weights
        ));
    }
    text.push_str(&footer(&o.view, Path::new(&o.child.model)));
    text
}

/// The result of `sustain compare`.
pub fn compared(c: &crate::jobs::Compared) -> String {
    let mut t = table();
    t.set_header(vec![
        "MODEL",
        "FROM",
        "PREC",
        "ACCURACY",
        "SIZE",
        "NON-ZERO",
        "P50 MS (1)",
        "P99 MS (1)",
        "P50 MS (256)",
        "ROWS/S",
        "WH/1K",
        "G CO2E/1K",
    ]);
    let opt = |v: Option<f64>| v.map_or("unknown".to_string(), sig);
    for r in &c.models {
        t.add_row(vec![
            Cell::new(term(&r.model)),
            Cell::new(match (&r.step, &r.parent) {
                (Some(s), Some(p)) => format!("{s} of {}", term(p)),
                _ => "-".into(),
            }),
            Cell::new(&r.precision),
            Cell::new(format!("{:.4}", r.accuracy)),
            Cell::new(sustain_core::format::si(r.size_bytes as f64, "B")),
            Cell::new(format!("{}/{}", r.nonzero_params, r.params)),
            Cell::new(sig(r.latency_ms.p50)),
            Cell::new(sig(r.latency_ms.p99)),
            Cell::new(sig(r.latency_ms_batch_256.p50)),
            Cell::new(format!("{:.0}", r.throughput_per_s)),
            Cell::new(opt(r.energy_wh_per_1k)),
            Cell::new(opt(r.co2e_g_per_1k)),
        ]);
    }
    let sources: std::collections::BTreeSet<&str> =
        c.models.iter().map(|r| r.energy_source.as_str()).collect();
    format!(
        "{t}\n\nOn {} rows of {}. Energy per 1,000 inferences at batch 256, {} (IT energy of each model's eval run over its inferences); latency in milliseconds per call at batch 1 and 256.\n",
        c.rows,
        term(&c.dataset),
        sources.into_iter().collect::<Vec<_>>().join(" and "),
    )
}

/// The result of `sustain finetune`.
pub fn finetuned(f: &crate::jobs::Finetuned) -> String {
    let wh = |v: &RunView| v.json().energy.total_wh.unwrap_or(0.0);
    let mut t = table();
    t.set_header(vec![
        "TRAINING",
        "EPOCHS",
        "VAL ACCURACY",
        "TEST ACCURACY",
        "ENERGY WH",
    ]);
    t.add_row(vec![
        Cell::new(format!(
            "fine-tuned from {}",
            term(f.config.parent.as_ref().map_or("", |p| p.path.as_str()))
        )),
        Cell::new(f.tuned.epochs),
        Cell::new(format!("{:.4}", f.tuned.val_accuracy)),
        Cell::new(format!("{:.4}", f.tuned.test.accuracy)),
        Cell::new(sig(wh(&f.tuned.view))),
    ]);
    if let Some((s, reached)) = &f.scratch {
        t.add_row(vec![
            Cell::new(if *reached {
                "from scratch, to the same validation accuracy"
            } else {
                "from scratch (did not reach it)"
            }),
            Cell::new(s.epochs),
            Cell::new(format!("{:.4}", s.val_accuracy)),
            Cell::new(format!("{:.4}", s.test.accuracy)),
            Cell::new(sig(wh(&s.view))),
        ]);
    }
    let mut text = format!("{t}\n\n");
    text.push_str(&format!(
        "Frozen layers: {}; output layer {}. Data: {}.\n",
        if f.frozen.is_empty() {
            "none".to_string()
        } else {
            f.frozen.join(", ")
        },
        if f.new_head {
            "new (other classes)"
        } else {
            "reused"
        },
        term(&f.config.dataset)
    ));
    if let Some((s, _)) = &f.scratch
        && wh(&s.view) > 0.0
    {
        text.push_str(&format!(
            "Fine-tuning used {:.0}% of the energy of training from scratch.\n",
            100.0 * wh(&f.tuned.view) / wh(&s.view)
        ));
    }
    text.push_str(&footer(&f.tuned.view, &f.model_dir));
    text
}
