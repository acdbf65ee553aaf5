//! `compare`: models of one task side by side on the same held-out rows: accuracy and macro F1,
//! size, parameters and non-zero parameters, latency at batch 1 and at batch 256, throughput,
//! and energy and carbon per 1,000 inferences, each model measured in its own metered runs
//! (an `eval` run for accuracy and the batch-256 loop, an `infer` run for batch-1 latency).
//!
//! Energy per 1,000 inferences is the `eval` run's IT energy divided by the inferences it made
//! (every row of the data once, then full batches of 256 for at least `seconds`), so it is the
//! cost of batched serving; the batch-1 run is latency only.

use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;
use serde_json::json;
use sustain_core::chart::{Point, scatter_chart};
use sustain_core::run::{EnergySource, RunKind, RunStatus};

use super::data::{self, Data};
use super::{StartMeter, fail, start, succeed, tags, with_user_tags};
use crate::config::TrainConfig;
use crate::dataset::Tabular;
use crate::error::{Result, TrainError};
use crate::metrics::metrics;
use crate::runtime::{self, Loaded, classes_of};
use crate::task::Task;
use crate::text::TextData;
use crate::trainer;

/// Rows per batch of the throughput loop.
pub const BATCH: usize = 256;
/// Default single-row calls timed per model.
pub const DEFAULT_SINGLE_CALLS: usize = 200;
/// Default least duration of the batch-256 loop, in seconds.
pub const DEFAULT_SECONDS: f64 = 2.0;

/// What the user asked to compare.
#[derive(Debug, Clone)]
pub struct CompareRequest {
    /// Model directories (at least one; all of one task, inputs and classes).
    pub models: Vec<PathBuf>,
    /// Dataset (default: the test split of the first model's dataset, by its seed).
    pub dataset: Option<String>,
    /// Label column of a CSV or JSONL dataset.
    pub label: Option<String>,
    /// Single-row calls timed per model.
    pub single_calls: usize,
    /// Least duration of the batch-256 loop per model.
    pub seconds: f64,
    /// User tags.
    pub tags: Vec<String>,
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Latency {
    /// Median.
    pub p50: f64,
    /// 99th percentile (nearest rank).
    pub p99: f64,
}

/// One model's row of the comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Its directory.
    pub model: String,
    /// Its parent's directory, when it was made from one.
    pub parent: Option<String>,
    /// What made it from its parent (`prune`, `quantize`, `finetune`).
    pub step: Option<String>,
    /// `f32` or `int8`.
    pub precision: String,
    /// Fraction correct.
    pub accuracy: f64,
    /// Macro-averaged F1.
    pub macro_f1: f64,
    /// Bytes of its weights file.
    pub size_bytes: u64,
    /// Parameters.
    pub params: u64,
    /// Non-zero parameters.
    pub nonzero_params: u64,
    /// Latency of one row.
    pub latency_ms: Latency,
    /// Latency of a batch of 256 rows.
    pub latency_ms_batch_256: Latency,
    /// Rows per second at batch 256.
    pub throughput_per_s: f64,
    /// IT energy per 1,000 inferences at batch 256 (Wh).
    pub energy_wh_per_1k: Option<f64>,
    /// Location-based carbon per 1,000 inferences at batch 256 (g CO2e).
    pub co2e_g_per_1k: Option<f64>,
    /// Its energy per 1,000 inferences over its parent's, when the parent was compared too
    /// (the step's measured effect; recorded in its eval run's `outcomes.effects`).
    pub energy_factor: Option<f64>,
    /// `measured` (an energy counter) or `modelled` (a documented model).
    pub energy_source: String,
    /// Inferences in the metered `eval` run.
    pub inferences: u64,
    /// The `eval` run (accuracy, batch 256, energy).
    pub eval_run_id: String,
    /// The `infer` run (batch-1 latency).
    pub latency_run_id: String,
}

/// A finished comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Compared {
    /// What the models were compared on.
    pub dataset: String,
    /// Rows of that data.
    pub rows: usize,
    /// One per model, in the order given.
    pub models: Vec<Row>,
}

impl Compared {
    /// The chart of accuracy against energy per 1,000 inferences.
    pub fn svg(&self) -> String {
        let points: Vec<Point> = self
            .models
            .iter()
            .map(|r| Point {
                label: format!("{} ({})", short(&r.model), r.precision),
                x: r.energy_wh_per_1k.unwrap_or(f64::NAN),
                y: r.accuracy,
            })
            .collect();
        scatter_chart(
            "Accuracy against energy per 1,000 inferences (batch 256)",
            "Wh per 1,000 inferences",
            "accuracy",
            &points,
        )
    }
}

/// The last component of a path, for labels.
fn short(path: &str) -> &str {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path)
}

/// Nearest-rank percentiles of `ms` (sorted here).
pub fn latency(ms: &mut [f64]) -> Latency {
    ms.sort_by(f64::total_cmp);
    let rank = |q: f64| {
        if ms.is_empty() {
            return f64::NAN;
        }
        let r = (q * ms.len() as f64).ceil() as usize;
        ms[r.clamp(1, ms.len()) - 1]
    };
    Latency {
        p50: rank(0.5),
        p99: rank(0.99),
    }
}

/// The raw rows every model is compared on.
enum Raw {
    Table(Tabular),
    Text(TextData, Vec<usize>),
}

fn raw_rows(req: &CompareRequest, first: &TrainConfig) -> Result<Raw> {
    let spec = req.dataset.as_deref().unwrap_or(&first.dataset);
    let own = req.dataset.is_none();
    match first.task {
        Task::CharGpt => Err(TrainError::Input(
            "compare scores classifiers; a char-gpt model has no classes (compare language models with `sustain eval`)".into(),
        )),
        Task::TextLstm => {
            let Data::Text(d) = data::load(Task::TextLstm, Some(spec), req.label.as_deref(), None)?
            else {
                return Err(TrainError::Input(format!("{spec} is not a text dataset")));
            };
            let idx = if own {
                trainer::checked_split(&d.name, d.rows(), "texts", first.seed)?.2
            } else {
                (0..d.rows()).collect()
            };
            Ok(Raw::Text(d, idx))
        }
        Task::TabularMlp | Task::DigitsCnn => {
            let d = data::load_table(spec, req.label.as_deref())?;
            Ok(Raw::Table(if own {
                let (_, _, te) = trainer::checked_split(&d.name, d.rows(), "rows", first.seed)?;
                d.subset(&te)
            } else {
                d
            }))
        }
    }
}

/// The rows as `config`'s model takes them.
fn rows_for(raw: &Raw, config: &TrainConfig, model: &str) -> Result<Tabular> {
    let t = match raw {
        Raw::Table(t) => {
            if t.width() != config.inputs {
                return Err(TrainError::Input(format!(
                    "dataset {} has {} features; {model} takes {}",
                    t.name,
                    t.width(),
                    config.inputs
                )));
            }
            let mut t = t.clone();
            config.standardizer.apply(&mut t);
            t
        }
        Raw::Text(d, idx) => {
            let vocab = config.vocab.as_ref().ok_or_else(|| {
                TrainError::Input(format!("{model} is a text model without a vocabulary"))
            })?;
            let mut t = d.encode(idx, vocab);
            t.classes = d.classes.clone();
            t
        }
    };
    if t.classes != config.classes {
        return Err(TrainError::Input(format!(
            "dataset {} has classes {:?}; {model} predicts {:?}",
            t.name, t.classes, config.classes
        )));
    }
    Ok(t)
}

/// `n` rows of `t` from row `from` on, wrapping around.
fn cycle(t: &Tabular, from: usize, n: usize) -> Vec<f32> {
    let w = t.width();
    (0..n)
        .flat_map(|i| {
            let r = (from + i) % t.rows();
            t.x[r * w..(r + 1) * w].iter().copied()
        })
        .collect()
}

/// Compares the request's models, each metered by `meter`.
pub fn compare<M: StartMeter>(req: CompareRequest, meter: &M) -> Result<Compared> {
    crate::set_flush_denormals();
    if req.models.is_empty() {
        return Err(TrainError::Input(
            "give at least one model directory".into(),
        ));
    }
    if !(req.seconds.is_finite() && req.seconds > 0.0 && req.seconds <= 600.0) {
        return Err(TrainError::Invalid {
            what: "--seconds".into(),
            value: req.seconds.to_string(),
            expected: "a duration above 0 and at most 600 seconds, such as 2".into(),
        });
    }
    if req.single_calls == 0 || req.single_calls > 1_000_000 {
        return Err(TrainError::Invalid {
            what: "--single-calls".into(),
            value: req.single_calls.to_string(),
            expected: "a whole number from 1 to 1000000".into(),
        });
    }
    // Every model loads and fits the data before anything is metered.
    let loaded: Vec<Loaded> = req
        .models
        .iter()
        .map(|m| runtime::open(m))
        .collect::<Result<_>>()?;
    let first = &loaded[0].config;
    for l in &loaded[1..] {
        if l.config.task != first.task {
            return Err(TrainError::Input(format!(
                "{} is a {} model and {} a {} model: compare models of one task",
                req.models[0].display(),
                first.task,
                l.dir.display(),
                l.config.task
            )));
        }
    }
    let raw = raw_rows(&req, first)?;
    let data: Vec<Tabular> = loaded
        .iter()
        .map(|l| rows_for(&raw, &l.config, &l.dir.display().to_string()))
        .collect::<Result<_>>()?;
    if data[0].rows() == 0 {
        return Err(TrainError::Input("no rows to compare on".into()));
    }
    // Parents before their children, so a child's run can record its measured effect.
    let keys: Vec<PathBuf> = loaded.iter().map(|l| key(&l.dir)).collect();
    let parent_of: Vec<Option<usize>> = loaded
        .iter()
        .map(|l| {
            let p = key(&PathBuf::from(&l.config.parent.as_ref()?.path));
            keys.iter().position(|k| *k == p)
        })
        .collect();
    let mut rows: Vec<Option<Row>> = vec![None; loaded.len()];
    while rows.iter().any(Option::is_none) {
        let before = rows.iter().filter(|r| r.is_some()).count();
        for i in 0..loaded.len() {
            let ready = parent_of[i].is_none_or(|p| p == i || rows[p].is_some());
            if rows[i].is_none() && ready {
                let parent = parent_of[i]
                    .filter(|&p| p != i)
                    .and_then(|p| rows[p].clone());
                rows[i] = Some(measure(&loaded[i], &data[i], parent.as_ref(), &req, meter)?);
            }
        }
        if rows.iter().filter(|r| r.is_some()).count() == before {
            return Err(TrainError::Input(
                "the models' parents form a cycle; give model directories written by sustain"
                    .into(),
            ));
        }
    }
    let models = rows.into_iter().flatten().collect();
    Ok(Compared {
        dataset: data[0].name.clone(),
        rows: data[0].rows(),
        models,
    })
}

/// A directory as a comparable key: canonical where it exists.
fn key(dir: &std::path::Path) -> PathBuf {
    dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf())
}

/// Measures one model: an `eval` run (accuracy, batch-256 loop, energy) and an `infer` run
/// (single rows). With its `parent`'s row (measured just before on the same rows), the eval
/// run's outcomes carry the step's measured effect, `effects.energy_factor`, which the
/// scenario levers `quantize` and `prune` use.
fn measure<M: StartMeter>(
    l: &Loaded,
    t: &Tabular,
    parent: Option<&Row>,
    req: &CompareRequest,
    meter: &M,
) -> Result<Row> {
    let model = l.dir.display().to_string();
    let lineage = l.config.parent.as_ref();
    let base = |kind: &str| {
        let mut t = tags([
            ("task", l.config.task.to_string()),
            ("dataset", t.name.clone()),
            ("model", model.clone()),
            ("compare", kind.to_string()),
            ("precision", l.precision().as_str().to_string()),
        ]);
        if let Some(p) = lineage {
            t.insert("parent".into(), p.path.clone());
        }
        with_user_tags(t, &req.tags)
    };
    let (params, nonzero_params) = l.param_counts();
    let size_bytes = l.size_bytes()?;

    let run = start(
        meter,
        RunKind::Eval,
        l.config.task.as_str(),
        base("batch-256")?,
    )?;
    let batched = (|| -> Result<_> {
        let logits = l.logits_table(t)?;
        let pred = classes_of(l.config.loss, &logits, l.config.classes.len());
        let m = metrics(&pred, &t.y, &l.config.classes);
        let mut ms = Vec::new();
        let started = Instant::now();
        let mut from = 0;
        while ms.len() < 3 || started.elapsed().as_secs_f64() < req.seconds {
            let x = cycle(t, from, BATCH);
            from = (from + BATCH) % t.rows();
            let t0 = Instant::now();
            std::hint::black_box(l.logits(&x, BATCH)?);
            ms.push(t0.elapsed().as_secs_f64() * 1e3);
        }
        let busy_s: f64 = ms.iter().sum::<f64>() / 1e3;
        let inferences = (t.rows() + ms.len() * BATCH) as u64;
        Ok((
            m,
            latency(&mut ms),
            (ms.len() * BATCH) as f64 / busy_s,
            inferences,
        ))
    })();
    let (m, lat256, throughput, inferences) = match batched {
        Ok(b) => b,
        Err(e) => return Err(fail(run, e)),
    };
    let mut outcomes = json!({
        "metrics": {"test": {"accuracy": m.accuracy, "precision": m.precision, "recall": m.recall, "f1": m.f1}},
        "model_path": model,
        "precision": l.precision().as_str(),
        "inferences": inferences,
        "batch": BATCH,
        "latency_ms": {"p50": lat256.p50, "p99": lat256.p99},
    });
    // The step's measured effect, from this run's final energy (known as it ends) against the
    // parent's energy per 1,000 inferences on the same rows.
    let effect = match (parent, lineage) {
        (Some(p), Some(step)) => p
            .energy_wh_per_1k
            .filter(|e| *e > 0.0)
            .map(|pe| (step.step.clone(), p.model.clone(), pe)),
        _ => None,
    };
    let eval_view = run
        .finish_with(RunStatus::Succeeded, vec![], |energy| {
            let own = energy.wh() / inferences as f64 * 1000.0;
            if let Some((method, parent_model, pe)) = &effect
                && own > 0.0
            {
                outcomes["effects"] = json!({
                    "method": method,
                    "parent": parent_model,
                    "energy_factor": own / pe,
                    "energy_wh_per_1k": own,
                    "parent_energy_wh_per_1k": pe,
                    "basis": "IT energy per 1,000 inferences at batch 256 on the same rows: this eval run against the parent's (sustain compare)",
                });
            }
            outcomes
        })
        .map_err(|e| TrainError::Meter(Box::new(e)))?;

    let run = start(
        meter,
        RunKind::Infer,
        l.config.task.as_str(),
        base("batch-1")?,
    )?;
    let single = (|| -> Result<_> {
        let mut ms = Vec::with_capacity(req.single_calls);
        for i in 0..req.single_calls {
            let x = cycle(t, i, 1);
            let t0 = Instant::now();
            std::hint::black_box(l.logits(&x, 1)?);
            ms.push(t0.elapsed().as_secs_f64() * 1e3);
        }
        Ok(latency(&mut ms))
    })();
    let lat1 = match single {
        Ok(s) => s,
        Err(e) => return Err(fail(run, e)),
    };
    let outcomes = json!({
        "model_path": model,
        "precision": l.precision().as_str(),
        "inferences": req.single_calls,
        "batch": 1,
        "latency_ms": {"p50": lat1.p50, "p99": lat1.p99},
    });
    let latency_view = succeed(run, vec![], outcomes)?;

    let j = eval_view.json();
    let per_1k = |v: Option<f64>| v.map(|v| v / inferences as f64 * 1000.0);
    let measured = [
        j.energy.sources.cpu,
        j.energy.sources.gpu,
        j.energy.sources.ram,
    ]
    .contains(&Some(EnergySource::Measured));
    let parent = l.config.parent.as_ref();
    Ok(Row {
        model,
        parent: parent.map(|p| p.path.clone()),
        step: parent.map(|p| p.step.clone()),
        precision: l.precision().as_str().into(),
        accuracy: m.accuracy,
        macro_f1: m.f1,
        size_bytes,
        params,
        nonzero_params,
        latency_ms: lat1,
        latency_ms_batch_256: lat256,
        throughput_per_s: throughput,
        energy_wh_per_1k: per_1k(j.energy.total_wh),
        co2e_g_per_1k: per_1k(j.co2e.location_g),
        energy_factor: j
            .outcomes
            .pointer("/effects/energy_factor")
            .and_then(serde_json::Value::as_f64),
        energy_source: if measured { "measured" } else { "modelled" }.into(),
        inferences,
        eval_run_id: eval_view.start.id.clone(),
        latency_run_id: latency_view.start.id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut v: Vec<f64> = (1..=100).map(f64::from).collect();
        v.reverse();
        let l = latency(&mut v);
        assert_eq!((l.p50, l.p99), (50.0, 99.0));
        let l = latency(&mut [3.0]);
        assert_eq!((l.p50, l.p99), (3.0, 3.0));
        assert!(latency(&mut []).p50.is_nan());
    }
}
