//! `sustain train`, `eval`, `predict` and `generate`: Sustain's own training and inference,
//! metered and recorded.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use comfy_table::Cell;
use serde_json::json;
use sustain_core::run::{RunKind, RunStatus, RunView};
use sustain_train::config::{Loss, Optimizer, TrainConfig};
use sustain_train::dataset::{Standardizer, Tabular};
use sustain_train::fairness;
use sustain_train::gpt::GptShape;
use sustain_train::lm::{self, Corpus, LmMetrics, TrainedLm};
use sustain_train::metrics::{Metrics, metrics};
use sustain_train::text::{self, TextData};
use sustain_train::trainer::{self, EpochLog, Model, TASKS};

use crate::cli::{EvalArgs, GenerateArgs, PredictArgs, TrainArgs};
use crate::config::Settings;
use crate::exit::BadInput;

use super::metered::Metered;
use super::out;

fn default_dataset(task: &str) -> &'static str {
    match task {
        "digits-cnn" => "digits",
        "text-lstm" => "rotten-tomatoes",
        "char-gpt" => "kjv-pentateuch",
        _ => "breast-cancer",
    }
}

fn load_dataset(spec: Option<&str>, label: Option<&str>) -> Result<Tabular> {
    match spec.unwrap_or("breast-cancer") {
        "breast-cancer" => Ok(Tabular::breast_cancer()?),
        "german-credit" => Ok(Tabular::german_credit()?),
        "digits" => Ok(Tabular::digits()?),
        "mnist-5k" => Ok(Tabular::mnist_5k()?),
        path if path.contains("images-idx3") => {
            let labels = path.replace("images-idx3", "labels-idx1");
            Ok(Tabular::from_idx(Path::new(path), Path::new(&labels))?)
        }
        path if Path::new(path).exists() || path.contains('/') || path.ends_with(".csv") => {
            Ok(Tabular::from_csv(Path::new(path), label)?)
        }
        other => Err(BadInput(format!(
            "unknown dataset '{other}': give breast-cancer, german-credit, digits, mnist-5k, the path of a CSV file, or of MNIST IDX images (…-images-idx3-ubyte, with …-labels-idx1-ubyte beside it)"
        ))
        .into()),
    }
}

/// A task's data: a table, labelled texts, or a plain-text corpus.
enum Data {
    Table(Tabular),
    Text(TextData),
    Corpus(Corpus),
}

impl Data {
    fn name(&self) -> &str {
        match self {
            Data::Table(t) => &t.name,
            Data::Text(t) => &t.name,
            Data::Corpus(c) => &c.name,
        }
    }

    fn sha256(&self) -> &str {
        match self {
            Data::Table(t) => &t.sha256,
            Data::Text(t) => &t.sha256,
            Data::Corpus(c) => &c.sha256,
        }
    }

    fn classes(&self) -> Vec<String> {
        match self {
            Data::Table(t) => t.classes.clone(),
            Data::Text(t) => t.classes.clone(),
            Data::Corpus(_) => vec![],
        }
    }

    fn width(&self) -> usize {
        match self {
            Data::Table(t) => t.width(),
            _ => 0,
        }
    }
}

fn is_file_like(spec: &str) -> bool {
    Path::new(spec).exists() || spec.contains('/') || spec.contains('.')
}

/// The data of `task`: `spec` names a bundled set or a file (default: the task's own set).
fn load_data(
    task: &str,
    spec: Option<&str>,
    label: Option<&str>,
    text_column: Option<&str>,
) -> Result<Data> {
    let spec = spec.unwrap_or(default_dataset(task));
    Ok(match task {
        "text-lstm" => match spec {
            "rotten-tomatoes" => Data::Text(TextData::rotten_tomatoes()?),
            path if is_file_like(path) => {
                Data::Text(TextData::from_file(Path::new(path), text_column, label)?)
            }
            other => {
                return Err(BadInput(format!(
                    "unknown dataset '{other}' for text-lstm: give rotten-tomatoes, or a CSV or JSONL file of texts and labels (columns text,label; see --text-column and --label)"
                ))
                .into());
            }
        },
        "char-gpt" => match spec {
            "kjv-pentateuch" => Data::Corpus(Corpus::kjv_pentateuch()?),
            path if is_file_like(path) => Data::Corpus(Corpus::from_file(Path::new(path))?),
            other => {
                return Err(BadInput(format!(
                    "unknown dataset '{other}' for char-gpt: give kjv-pentateuch, or a UTF-8 plain-text file"
                ))
                .into());
            }
        },
        _ => Data::Table(load_dataset(Some(spec), label)?),
    })
}

/// Default learning rates, chosen on the bundled data (see docs/methods/train.md).
fn default_lr(task: &str, o: Optimizer) -> f64 {
    match (task, o) {
        ("digits-cnn" | "text-lstm" | "char-gpt", Optimizer::Adam | Optimizer::Adamw) => 3e-3,
        (_, Optimizer::Adam | Optimizer::Adamw) => 1e-3,
        (_, Optimizer::Sgd) => 0.05,
        (_, Optimizer::SgdMomentum) => 0.01,
    }
}

/// Default epochs per task.
fn default_epochs(task: &str) -> usize {
    match task {
        "digits-cnn" => 20,
        "text-lstm" => 3,
        "char-gpt" => 2,
        _ => 30,
    }
}

/// The char-gpt shape from the flags, checked.
fn gpt_shape(args: &TrainArgs) -> Result<GptShape> {
    let shape = GptShape {
        d_model: args.d_model,
        layers: args.layers,
        heads: args.heads,
        context: args.context,
    };
    if !(2..=4096).contains(&shape.context) {
        return Err(BadInput(format!(
            "invalid --context {}: expected 2 to 4096 characters",
            shape.context
        ))
        .into());
    }
    if !(1..=64).contains(&shape.layers) || !(1..=64).contains(&shape.heads) {
        return Err(BadInput(format!(
            "invalid --layers {} or --heads {}: expected 1 to 64 each",
            shape.layers, shape.heads
        ))
        .into());
    }
    if shape.d_model == 0 || shape.d_model > 4096 || shape.d_model % shape.heads != 0 {
        return Err(BadInput(format!(
            "invalid --d-model {}: expected a width up to 4096 that --heads ({}) divides, such as {}",
            shape.d_model,
            shape.heads,
            shape.heads * 16
        ))
        .into());
    }
    Ok(shape)
}

/// What a training run produced.
enum Outcome {
    Classifier(trainer::Trained),
    Lm(TrainedLm),
}

/// `sustain train`.
pub fn train(args: TrainArgs, settings: &Settings) -> Result<i32> {
    sustain_train::set_flush_denormals();
    if !TASKS.contains(&args.task.as_str()) {
        return Err(BadInput(format!(
            "unknown task '{}': tasks are {}",
            args.task,
            TASKS.join(", ")
        ))
        .into());
    }
    let optimizer = Optimizer::parse(&args.optimizer)?;
    let loss = Loss::parse(&args.loss)?;
    // The device before the data: a build without CUDA says so at once.
    trainer::device_named(&args.device, args.seed)?;
    let gpt = if args.task == "char-gpt" {
        Some(gpt_shape(&args)?)
    } else {
        None
    };
    let data = load_data(
        &args.task,
        args.dataset.as_deref(),
        args.label.as_deref(),
        args.text_column.as_deref(),
    )?;
    let config = TrainConfig {
        task: args.task.clone(),
        dataset: data.name().to_string(),
        dataset_sha256: data.sha256().to_string(),
        seed: args.seed,
        epochs: args.epochs.unwrap_or_else(|| default_epochs(&args.task)),
        batch_size: args.batch_size,
        optimizer,
        lr: args.lr.unwrap_or_else(|| default_lr(&args.task, optimizer)),
        loss,
        inputs: data.width(),
        classes: data.classes(),
        standardizer: Standardizer {
            mean: vec![],
            std: vec![],
        },
        device: args.device.clone(),
        vocab: None,
        gpt,
    };
    config.validate()?;
    if let Data::Table(_) = data {
        // The data must suit the task's model (an image side for the CNN) before anything runs.
        trainer::new_model(&config, &trainer::device(config.seed))?;
    }

    let site = args
        .site
        .clone()
        .unwrap_or_else(|| settings.default_site.clone());
    let tags = BTreeMap::from([
        ("task".to_string(), args.task.clone()),
        ("dataset".to_string(), data.name().to_string()),
        ("dataset_sha256".to_string(), data.sha256().to_string()),
        ("seed".to_string(), args.seed.to_string()),
        ("device".to_string(), args.device.clone()),
        // The model is named by where it is saved (the default directory names the run).
        (
            "model".to_string(),
            args.out.as_ref().map_or_else(
                || format!("runs/{}-{{run}}", args.task),
                |d| d.display().to_string(),
            ),
        ),
    ]);
    let tags = with_user_tags(tags, &args.tags)?;
    let meter = Metered::start(settings, &site, RunKind::Train, &args.task, tags)?;
    let dir = args.out.clone().unwrap_or_else(|| {
        PathBuf::from("runs").join(format!("{}-{}", args.task, &meter.id()[..8]))
    });

    use std::io::IsTerminal;
    let tty = std::io::stderr().is_terminal();
    let epochs = config.epochs;
    let pb = if args.json || !tty {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new(epochs as u64).with_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} epochs {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        )
    };
    let mut on_epoch = |log: &EpochLog| {
        pb.inc(1);
        if !args.json {
            let line = format!(
                "epoch {:>3}/{}  loss {:.4}  accuracy {:.4}  val_loss {:.4}  val_accuracy {:.4}  {:.2} s  energy {}",
                log.epoch,
                epochs,
                log.loss,
                log.accuracy,
                log.val_loss,
                log.val_accuracy,
                log.seconds,
                meter.energy_so_far().human()
            );
            if tty {
                pb.println(line);
            } else {
                eprintln!("{line}");
            }
        }
    };
    let result = match &data {
        Data::Table(t) => trainer::train_tabular(config, t, &mut on_epoch).map(Outcome::Classifier),
        Data::Text(t) => trainer::train_text(config, t, &mut on_epoch).map(Outcome::Classifier),
        Data::Corpus(c) => lm::train_lm(config, c, &mut on_epoch).map(Outcome::Lm),
    };
    pb.finish_and_clear();

    let outcome = match result {
        Ok(t) => t,
        Err(e) => {
            let view = meter.finish(RunStatus::Failed, vec![e.to_string()], json!({}))?;
            eprintln!("sustain: error: {e}");
            eprintln!("  the run is recorded as failed: {}", view.start.id);
            return Ok(crate::exit::ERROR);
        }
    };
    match (outcome, &data) {
        (Outcome::Lm(trained), Data::Corpus(corpus)) => {
            finish_lm(&args, trained, corpus, &dir, meter)
        }
        (Outcome::Classifier(trained), _) => finish_classifier(&args, trained, &dir, meter),
        (Outcome::Lm(_), _) => {
            anyhow::bail!("a language model trained on data that is not a corpus")
        }
    }
}

fn finish_classifier(
    args: &TrainArgs,
    trained: trainer::Trained,
    dir: &Path,
    meter: Metered,
) -> Result<i32> {
    let written = (|| -> Result<String> {
        trainer::save(&trained.model, &trained.config, dir)?;
        let metrics_json = json!({
            "test": trained.test,
            "history": trained.history,
            "samples_per_s": trained.samples_per_s,
        });
        std::fs::write(
            dir.join("metrics.json"),
            serde_json::to_string_pretty(&metrics_json)?,
        )?;
        write_charts(
            &trained.config.task,
            &trained.history,
            Some((
                &trained.test_split,
                &trained.test_predictions,
                &trained.config.classes,
            )),
            dir,
        )?;
        Ok(trainer::weights_sha256(dir)?)
    })();
    let model_sha256 = match written {
        Ok(h) => h,
        Err(e) => return failed_after_training(meter, e),
    };
    let outcomes = json!({
        "metrics": {"test": {
            "accuracy": trained.test.accuracy,
            "precision": trained.test.precision,
            "recall": trained.test.recall,
            "f1": trained.test.f1,
        }},
        "model_path": dir.display().to_string(),
        "model_sha256": model_sha256,
        "dataset_sha256": trained.config.dataset_sha256,
        "epochs": trained.config.epochs,
        "samples_per_s": trained.samples_per_s,
    });
    let view = meter.finish(RunStatus::Succeeded, vec![], outcomes)?;
    if args.json {
        let run = view.to_json();
        out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&json!({
                "run_id": view.start.id,
                "model_path": dir.display().to_string(),
                "model_sha256": model_sha256,
                "metrics": {"test": trained.test},
                "energy": run["energy"],
                "co2e": run["co2e"],
                "water_l": run["water_l"],
                "cost": run["cost"],
                "epochs": trained.config.epochs,
                "samples_per_s": trained.samples_per_s,
            }))?
        ))?;
    } else {
        out(&report(&trained.test, dir, &view, trained.samples_per_s))?;
    }
    Ok(crate::exit::OK)
}

/// Characters of each sample printed after training char-gpt.
const SAMPLE_CHARS: usize = 240;
/// Temperature of those samples.
const SAMPLE_TEMPERATURE: f64 = 0.8;

fn finish_lm(
    args: &TrainArgs,
    trained: TrainedLm,
    corpus: &Corpus,
    dir: &Path,
    meter: Metered,
) -> Result<i32> {
    let written = (|| -> Result<(Vec<String>, String)> {
        trainer::save(&trained.model, &trained.config, dir)?;
        let Model::Gpt(gpt) = &trained.model else {
            anyhow::bail!("char-gpt did not produce a transformer");
        };
        let vocab = trained
            .config
            .vocab
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("char-gpt config without a vocabulary"))?;
        // Samples continue the first words of the validation and test parts (text the model has
        // not trained on).
        let chars: Vec<char> = corpus.text.chars().collect();
        let prompts: Vec<String> = [0.90, 0.95]
            .iter()
            .map(|f| {
                let at = (chars.len() as f64 * f) as usize;
                let from = chars[at..]
                    .iter()
                    .position(|c| *c == '\n')
                    .map_or(at, |p| at + p + 1);
                chars[from.min(chars.len())..(from + 24).min(chars.len())]
                    .iter()
                    .collect()
            })
            .collect();
        let device = trainer::device(trained.config.seed);
        let samples: Vec<String> = prompts
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let cont = lm::generate(
                    gpt,
                    vocab,
                    p,
                    SAMPLE_CHARS,
                    SAMPLE_TEMPERATURE,
                    trained.config.seed + i as u64,
                    &device,
                );
                format!("{p}{cont}")
            })
            .collect();
        std::fs::write(dir.join("samples.txt"), samples.join("\n\n---\n\n"))?;
        let metrics_json = json!({
                "val": trained.val,
                "test": trained.test,
                "history": trained.history,
                "samples_per_s": trained.samples_per_s,
                "chars_per_s": trained.chars_per_s,
                "samples": samples,
        });
        std::fs::write(
            dir.join("metrics.json"),
            serde_json::to_string_pretty(&metrics_json)?,
        )?;
        write_charts(&trained.config.task, &trained.history, None, dir)?;
        Ok((samples, trainer::weights_sha256(dir)?))
    })();
    let (samples, model_sha256) = match written {
        Ok(s) => s,
        Err(e) => return failed_after_training(meter, e),
    };
    let outcomes = json!({
        "metrics": {"val": trained.val, "test": trained.test},
        "model_path": dir.display().to_string(),
        "model_sha256": model_sha256,
        "dataset_sha256": trained.config.dataset_sha256,
        "epochs": trained.config.epochs,
        "samples_per_s": trained.samples_per_s,
        "chars_per_s": trained.chars_per_s,
    });
    let view = meter.finish(RunStatus::Succeeded, vec![], outcomes)?;
    let run = view.to_json();
    if args.json {
        out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&json!({
                "run_id": view.start.id,
                "model_path": dir.display().to_string(),
                "model_sha256": model_sha256,
                "metrics": {"val": trained.val, "test": trained.test},
                "energy": run["energy"],
                "co2e": run["co2e"],
                "water_l": run["water_l"],
                "cost": run["cost"],
                "epochs": trained.config.epochs,
                "samples_per_s": trained.samples_per_s,
                "chars_per_s": trained.chars_per_s,
                "samples": samples,
            }))?
        ))?;
    } else {
        let mut text = lm_report("Validation", &trained.val);
        text.push_str(&lm_report("Test", &trained.test));
        text.push_str(&format!(
            "{:.0} characters/s ({:.0} windows of {}/s)\n\nSamples (temperature {SAMPLE_TEMPERATURE}):\n",
            trained.chars_per_s,
            trained.samples_per_s,
            trained.config.inputs
        ));
        for s in &samples {
            text.push_str(&format!("  > {}\n", s.replace('\n', "\n    ")));
        }
        text.push_str(&format!(
            "\nEnergy {} Wh ({}), carbon {} g location-based; model in {}; run {}\n",
            sustain_core::format::sig(run["energy"]["total_wh"].as_f64().unwrap_or(0.0)),
            run["energy"]["sources"]["cpu"].as_str().unwrap_or(""),
            sustain_core::format::sig(run["co2e"]["location_g"].as_f64().unwrap_or(0.0)),
            dir.display(),
            view.start.id,
        ));
        out(&text)?;
    }
    Ok(crate::exit::OK)
}

/// Records the run as failed when its outputs cannot be written, then reports the error.
fn failed_after_training(meter: Metered, e: anyhow::Error) -> Result<i32> {
    let view = meter.finish(
        RunStatus::Failed,
        vec![format!(
            "training finished but its outputs could not be written: {e:#}"
        )],
        json!({}),
    )?;
    Err(e.context(format!(
        "training finished but its outputs could not be written; the run is recorded as failed: {}",
        view.start.id
    )))
}

fn lm_report(what: &str, m: &LmMetrics) -> String {
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

fn report(m: &Metrics, dir: &Path, view: &RunView, samples_per_s: f64) -> String {
    let mut t = comfy_table::Table::new();
    t.load_preset("     ─             ");
    t.set_header(vec!["CLASS", "PRECISION", "RECALL", "F1", "SUPPORT"]);
    for c in &m.per_class {
        t.add_row(vec![
            Cell::new(&c.class),
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
    let mut cm = comfy_table::Table::new();
    cm.load_preset("     ─             ");
    let mut h = vec!["TRUE \\ PREDICTED".to_string()];
    h.extend(m.per_class.iter().map(|c| c.class.clone()));
    cm.set_header(h);
    for (i, row) in m.confusion.iter().enumerate() {
        let mut r = vec![Cell::new(&m.per_class[i].class)];
        r.extend(row.iter().map(Cell::new));
        cm.add_row(r);
    }
    let j = view.to_json();
    format!(
        "Test accuracy {:.4}  (macro precision {:.4}, recall {:.4}, F1 {:.4}); {:.0} samples/s\n\n{t}\n\nConfusion matrix:\n{cm}\n\nEnergy {} Wh ({}), carbon {} g location-based; model in {}; run {}\n",
        m.accuracy,
        m.precision,
        m.recall,
        m.f1,
        samples_per_s,
        sustain_core::format::sig(j["energy"]["total_wh"].as_f64().unwrap_or(0.0)),
        j["energy"]["sources"]["cpu"].as_str().unwrap_or(""),
        sustain_core::format::sig(j["co2e"]["location_g"].as_f64().unwrap_or(0.0)),
        dir.display(),
        view.start.id,
    )
}

/// `sustain eval`.
pub fn eval(args: EvalArgs, settings: &Settings) -> Result<i32> {
    sustain_train::set_flush_denormals();
    let device = trainer::device(0);
    let (model, config) = trainer::load(&args.model, &device)?;
    if config.task == "char-gpt" {
        return eval_lm(args, settings, model, config);
    }
    let (mut data, whole) = match (&args.dataset, &config.vocab) {
        (None, None) => {
            let d = load_dataset(Some(&config.dataset), None)?;
            let p = trainer::prepare(&d, config.seed)?;
            (p.test, false)
        }
        (None, Some(vocab)) => {
            let Data::Text(d) = load_data(&config.task, Some(&config.dataset), None, None)? else {
                anyhow::bail!("{} is not a text dataset", config.dataset);
            };
            let (p, _) = trainer::prepare_text(&d, config.seed, Some(vocab))?;
            (p.test, false)
        }
        (Some(spec), None) => (
            load_eval_table(
                spec,
                args.label.as_deref(),
                args.sensitive.as_deref(),
                &config,
            )?,
            true,
        ),
        (Some(spec), Some(vocab)) => {
            let Data::Text(d) = load_data(
                &config.task,
                Some(spec),
                args.label.as_deref(),
                args.text_column.as_deref(),
            )?
            else {
                anyhow::bail!("{spec} is not a text dataset");
            };
            let idx: Vec<usize> = (0..d.rows()).collect();
            let mut t = d.encode(&idx, vocab);
            t.classes = d.classes.clone();
            (t, false)
        }
    };
    if data.classes != config.classes {
        return Err(BadInput(format!(
            "dataset {} has classes {:?}; the model predicts {:?}",
            data.name, data.classes, config.classes
        ))
        .into());
    }
    if whole {
        if data.width() != config.inputs {
            return Err(BadInput(format!(
                "dataset {} has {} features; the model takes {}",
                data.name,
                data.width(),
                config.inputs
            ))
            .into());
        }
        config.standardizer.apply(&mut data);
    }
    let site = args
        .site
        .clone()
        .unwrap_or_else(|| settings.default_site.clone());
    let tags = BTreeMap::from([
        ("task".to_string(), config.task.clone()),
        ("dataset".to_string(), data.name.clone()),
        ("model".to_string(), args.model.display().to_string()),
    ]);
    let tags = with_user_tags(tags, &args.tags)?;
    // Fairness settings are checked before the meter starts, so bad input records nothing.
    let fairness_opts = match &args.sensitive {
        Some(col) => Some(fairness_options(&args, col, &data, &config)?),
        None => None,
    };
    let meter = Metered::start(settings, &site, RunKind::Eval, &config.task, tags)?;
    let (_, pred) = trainer::evaluate(&model, &data, config.loss, &device);
    let m = metrics(&pred, &data.y, &config.classes);
    let fair = match &fairness_opts {
        Some(o) => {
            let groups = &data.attributes[&o.attribute];
            match fairness::fairness(&data.y, &pred, groups, o) {
                Ok(f) => Some(f),
                Err(e) => {
                    let err = BadInput(e.to_string());
                    meter.finish(RunStatus::Failed, vec![err.to_string()], json!({}))?;
                    return Err(err.into());
                }
            }
        }
        None => None,
    };
    let mut outcomes = json!({"metrics": {"test": {"accuracy": m.accuracy, "precision": m.precision, "recall": m.recall, "f1": m.f1}}, "model_path": args.model.display().to_string(), "dataset": data.name});
    if let Some(f) = &fair {
        outcomes["fairness"] = serde_json::to_value(f)?;
    }
    let view = meter.finish(RunStatus::Succeeded, vec![], outcomes)?;
    if args.json {
        let mut j = json!({"run_id": view.start.id, "metrics": {"test": m}, "energy": view.to_json()["energy"]});
        if let Some(f) = &fair {
            j["fairness"] = serde_json::to_value(f)?;
        }
        out(&format!("{}\n", serde_json::to_string_pretty(&j)?))?;
    } else {
        let mut text = report(&m, &args.model, &view, 0.0);
        if let Some(f) = &fair {
            text.push_str(&fairness_table(f));
        }
        out(&text)?;
    }
    Ok(crate::exit::OK)
}

/// A user's CSV for `eval`: the `--sensitive` column is kept beside the features. A model
/// trained with that column among its features (one input more) gets it as a feature too.
fn load_eval_table(
    spec: &str,
    label: Option<&str>,
    sensitive: Option<&str>,
    config: &TrainConfig,
) -> Result<Tabular> {
    let Some(col) = sensitive else {
        return load_dataset(Some(spec), label);
    };
    if !(Path::new(spec).exists() || spec.contains('/') || spec.ends_with(".csv")) {
        // A bundled set: its protected attributes are built in.
        return load_dataset(Some(spec), label);
    }
    let apart = Tabular::from_csv_with(Path::new(spec), label, &[col])?;
    if apart.width() + 1 == config.inputs {
        let mut with = Tabular::from_csv(Path::new(spec), label)?;
        with.attributes = apart.attributes;
        return Ok(with);
    }
    Ok(apart)
}

/// Checks `--sensitive`, `--positive` and `--min-group-size` against the data and the model.
fn fairness_options(
    args: &EvalArgs,
    col: &str,
    data: &Tabular,
    config: &TrainConfig,
) -> Result<fairness::Options> {
    if config.vocab.is_some() {
        return Err(BadInput(format!(
            "--sensitive works with tabular models, whose CSV rows carry the attribute; {} is a {} model",
            args.model.display(),
            config.task
        ))
        .into());
    }
    if !data.attributes.contains_key(col) {
        let known: Vec<&str> = data.attributes.keys().map(String::as_str).collect();
        return Err(BadInput(if known.is_empty() {
            format!(
                "dataset {} has no protected attribute '{col}'; give --dataset FILE.csv with a column '{col}'",
                data.name
            )
        } else {
            format!(
                "dataset {} has no protected attribute '{col}'; it has: {}",
                data.name,
                known.join(", ")
            )
        })
        .into());
    }
    if args.min_group_size == 0 {
        return Err(BadInput("--min-group-size must be at least 1".into()).into());
    }
    let classes = &config.classes;
    let positive = match &args.positive {
        Some(p) => classes.iter().position(|c| c == p).ok_or_else(|| {
            BadInput(format!(
                "--positive {p:?} is not a class of the model; its classes are: {}",
                classes.join(", ")
            ))
        })?,
        None if classes.len() == 2 => 1,
        None => {
            return Err(BadInput(format!(
                "the model has {} classes; name the favourable one with --positive (one of {})",
                classes.len(),
                classes.join(", ")
            ))
            .into());
        }
    };
    Ok(fairness::Options {
        attribute: col.to_string(),
        positive,
        positive_name: classes[positive].clone(),
        min_group_size: args.min_group_size,
        seed: config.seed,
    })
}

/// The fairness figures as a table for people.
fn fairness_table(f: &fairness::Fairness) -> String {
    let pct = |r: &fairness::Rate| {
        format!(
            "{:.1}% [{:.1}–{:.1}]",
            r.value * 100.0,
            r.low * 100.0,
            r.high * 100.0
        )
    };
    let opt = |r: &Option<fairness::Rate>| r.as_ref().map_or("undefined".to_string(), pct);
    let mut t = comfy_table::Table::new();
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
            g.group.clone(),
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
    let spread = |s: &fairness::Spread| format!("{:.3} [{:.3}–{:.3}]", s.value, s.low, s.high);
    let mut s = format!(
        "\nFairness over '{}' (favourable class: {}; 95% intervals: Wilson per group, bootstrap of {} resamples for differences)\n{t}\n",
        f.attribute, f.positive_class, f.bootstrap_resamples
    );
    s.push_str(&format!(
        "  demographic parity difference  {}   ratio {}\n",
        spread(&f.demographic_parity_difference),
        f.demographic_parity_ratio
            .map_or("undefined".into(), |r| format!("{r:.3}"))
    ));
    s.push_str(&format!(
        "  equalized odds difference      {}   ratio {}\n",
        f.equalized_odds_difference
            .as_ref()
            .map_or("undefined".into(), spread),
        f.equalized_odds_ratio
            .map_or("undefined".into(), |r| format!("{r:.3}"))
    ));
    for w in &f.warnings {
        s.push_str(&format!("  warning: {w}\n"));
    }
    s
}

/// `sustain eval` of a char-gpt model: the test part of its corpus, or a whole text file (whose
/// own character frequencies then give the unigram baseline).
fn eval_lm(args: EvalArgs, settings: &Settings, model: Model, config: TrainConfig) -> Result<i32> {
    let Model::Gpt(gpt) = &model else {
        anyhow::bail!("a char-gpt checkpoint without a transformer");
    };
    let vocab = config
        .vocab
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("char-gpt config without a vocabulary"))?;
    let spec = args.dataset.as_deref().unwrap_or(&config.dataset);
    let Data::Corpus(corpus) = load_data("char-gpt", Some(spec), None, None)? else {
        anyhow::bail!("{spec} is not a text corpus");
    };
    let (baseline, part) = if args.dataset.is_none() {
        let split = lm::lm_split(&corpus, vocab)?;
        (split.train, split.test)
    } else {
        let ids = lm::char_ids(vocab, &corpus.text);
        (ids.clone(), ids)
    };
    let context = gpt.context();
    if part.len() <= context + 1 {
        return Err(BadInput(format!(
            "{} has {} characters to score; the model reads windows of {}: give a longer text",
            corpus.name,
            part.len(),
            context + 1
        ))
        .into());
    }
    let site = args
        .site
        .clone()
        .unwrap_or_else(|| settings.default_site.clone());
    let tags = BTreeMap::from([
        ("task".to_string(), config.task.clone()),
        ("dataset".to_string(), corpus.name.clone()),
        ("model".to_string(), args.model.display().to_string()),
    ]);
    let tags = with_user_tags(tags, &args.tags)?;
    let meter = Metered::start(settings, &site, RunKind::Eval, &config.task, tags)?;
    let device = trainer::device(0);
    let m = lm::evaluate_lm(gpt, &baseline, &part, vocab.len(), &device);
    let view = meter.finish(
        RunStatus::Succeeded,
        vec![],
        json!({"metrics": {"test": m}, "model_path": args.model.display().to_string()}),
    )?;
    if args.json {
        out(&format!(
            "{}\n",
            serde_json::to_string_pretty(
                &json!({"run_id": view.start.id, "metrics": {"test": m}, "energy": view.to_json()["energy"]})
            )?
        ))?;
    } else {
        out(&format!(
            "{}Model {}; run {}\n",
            lm_report("Test", &m),
            args.model.display(),
            view.start.id
        ))?;
    }
    Ok(crate::exit::OK)
}

/// The texts of `sustain predict` for text-lstm: each input is a text, or a .txt file with one
/// text per line.
fn predict_texts(inputs: &[String]) -> Result<Vec<String>> {
    let mut texts = Vec::new();
    for input in inputs {
        let path = Path::new(input);
        if input.ends_with(".txt") || path.is_file() {
            let body = std::fs::read_to_string(path).map_err(|e| {
                BadInput(format!(
                    "cannot read {input}: {e}; give a text, or a .txt file with one text per line"
                ))
            })?;
            texts.extend(
                body.lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(String::from),
            );
        } else {
            texts.push(input.clone());
        }
    }
    if texts.iter().all(|t| text::tokenize(t).is_empty()) {
        return Err(
            BadInput("no text to classify: give at least one text with words".into()).into(),
        );
    }
    Ok(texts)
}

/// Parses the rows of `sustain predict`: inline rows or CSV files, each row `width` numbers.
fn predict_rows(inputs: &[String], width: usize) -> Result<Vec<Vec<f32>>> {
    let mut rows = Vec::new();
    let parse = |line: &str, what: &str| -> Result<Option<Vec<f32>>> {
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let nums: Result<Vec<f32>, _> = cells.iter().map(|c| c.parse::<f32>()).collect();
        match nums {
            Ok(v) if v.len() == width && v.iter().all(|x| x.is_finite()) => Ok(Some(v)),
            Ok(v) => Err(BadInput(format!(
                "{what} has {} values; the model takes {width} features",
                v.len()
            ))
            .into()),
            Err(_) => Ok(None),
        }
    };
    for input in inputs {
        let path = Path::new(input);
        if path.is_file() {
            let text = std::fs::read_to_string(path)
                .map_err(|e| BadInput(format!("cannot read {input}: {e}")))?;
            for (i, line) in text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
            {
                match parse(line, &format!("{input} line {}", i + 1))? {
                    Some(v) => rows.push(v),
                    None if i == 0 => {} // a header row
                    None => {
                        return Err(BadInput(format!(
                            "{input} line {}: a value is not a number",
                            i + 1
                        ))
                        .into());
                    }
                }
            }
        } else {
            match parse(input, "input row")? {
                Some(v) => rows.push(v),
                None => {
                    return Err(BadInput(format!(
                        "input {input:?} is neither a file nor a row of {width} comma-separated numbers"
                    ))
                    .into());
                }
            }
        }
    }
    if rows.is_empty() {
        return Err(BadInput("no rows to predict".into()).into());
    }
    Ok(rows)
}

/// `sustain predict`.
pub fn predict(args: PredictArgs, settings: &Settings) -> Result<i32> {
    sustain_train::set_flush_denormals();
    let device = trainer::device(0);
    let (model, config) = trainer::load(&args.model, &device)?;
    let data = match (&config.vocab, config.task.as_str()) {
        (_, "char-gpt") => {
            return Err(BadInput(format!(
                "{} is a char-gpt model: use `sustain generate --model {} --prompt TEXT`",
                args.model.display(),
                args.model.display()
            ))
            .into());
        }
        (Some(vocab), _) => {
            let texts = predict_texts(&args.inputs)?;
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            vocab.table(&refs, &config.classes)
        }
        (None, _) => {
            let rows = predict_rows(&args.inputs, config.inputs)?;
            let mut data = Tabular {
                name: "predict".into(),
                source: "command line".into(),
                sha256: String::new(),
                features: (0..config.inputs).map(|i| format!("f{i}")).collect(),
                classes: config.classes.clone(),
                x: rows.concat(),
                y: vec![0; rows.len()],
                pixel_max: None,
                attributes: Default::default(),
            };
            config.standardizer.apply(&mut data);
            data
        }
    };
    let site = args
        .site
        .clone()
        .unwrap_or_else(|| settings.default_site.clone());
    let tags = BTreeMap::from([
        ("task".to_string(), config.task.clone()),
        ("model".to_string(), args.model.display().to_string()),
    ]);
    let tags = with_user_tags(tags, &args.tags)?;
    let meter = Metered::start(settings, &site, RunKind::Infer, &config.task, tags)?;
    let logits = trainer::logits(&model, &data, &device);
    let k = config.classes.len();
    let predictions: Vec<serde_json::Value> = logits
        .chunks(k)
        .map(|l| {
            let max = l.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let exp: Vec<f64> = l.iter().map(|v| f64::from(v - max).exp()).collect();
            let sum: f64 = exp.iter().sum();
            let (best, _) = exp
                .iter()
                .enumerate()
                .fold((0, f64::MIN), |acc, (i, &p)| if p > acc.1 { (i, p) } else { acc });
            json!({
                "class": config.classes[best],
                "probabilities": config.classes.iter().zip(&exp).map(|(c, p)| (c.clone(), json!(p / sum))).collect::<serde_json::Map<_, _>>(),
            })
        })
        .collect();
    let view = meter.finish(
        RunStatus::Succeeded,
        vec![],
        json!({"predictions": predictions.len(), "model_path": args.model.display().to_string()}),
    )?;
    if args.json {
        out(&format!(
            "{}\n",
            serde_json::to_string_pretty(
                &json!({"run_id": view.start.id, "predictions": predictions, "energy": view.to_json()["energy"]})
            )?
        ))?;
    } else {
        let mut text = String::new();
        for (i, p) in predictions.iter().enumerate() {
            let prob = p["probabilities"][p["class"].as_str().unwrap_or_default()]
                .as_f64()
                .unwrap_or(0.0);
            text.push_str(&format!(
                "{}\t{}\t(p = {:.3})\n",
                i + 1,
                p["class"].as_str().unwrap_or_default(),
                prob
            ));
        }
        out(&text)?;
    }
    Ok(crate::exit::OK)
}

/// Training curves (`loss.svg`, `accuracy.svg`) and, for images, a grid of test digits with
/// their true and predicted labels (`digits.svg`), from the test split and predictions the
/// trainer already computed.
fn write_charts(
    task: &str,
    history: &[EpochLog],
    test: Option<(&Tabular, &Vec<usize>, &Vec<String>)>,
    dir: &Path,
) -> Result<()> {
    use sustain_core::chart::{Series, Tile, image_grid, line_chart};
    let series = |name: &str, f: fn(&EpochLog) -> f64| Series {
        name: name.to_string(),
        points: history.iter().map(|h| (h.epoch as f64, f(h))).collect(),
    };
    for (file, what, train, val) in [
        (
            "loss.svg",
            "loss",
            (|h: &EpochLog| h.loss) as fn(&EpochLog) -> f64,
            (|h: &EpochLog| h.val_loss) as fn(&EpochLog) -> f64,
        ),
        (
            "accuracy.svg",
            "accuracy",
            |h| h.accuracy,
            |h| h.val_accuracy,
        ),
    ] {
        let chart = line_chart(
            &format!("{task}: {what}"),
            "epoch",
            what,
            &[series("train", train), series("validation", val)],
        );
        std::fs::write(dir.join(file), chart)?;
    }
    if let Some((test, pred, classes)) = test
        && test.pixel_max.is_some()
    {
        let side = (test.width() as f64).sqrt() as usize;
        let tiles: Vec<Tile> = (0..test.rows().min(24))
            .map(|i| Tile {
                pixels: test.x[i * test.width()..(i + 1) * test.width()].to_vec(),
                side,
                caption: format!("true {} / pred {}", classes[test.y[i]], classes[pred[i]]),
                alert: pred[i] != test.y[i],
            })
            .collect();
        std::fs::write(
            dir.join("digits.svg"),
            image_grid("Test digits: true and predicted labels", &tiles, 8),
        )?;
    }
    Ok(())
}

/// `sustain generate`.
pub fn generate(args: GenerateArgs, settings: &Settings) -> Result<i32> {
    sustain_train::set_flush_denormals();
    if !(1..=100_000).contains(&args.length) {
        return Err(BadInput(format!(
            "invalid --length {}: expected 1 to 100000 characters",
            args.length
        ))
        .into());
    }
    if !(args.temperature.is_finite() && args.temperature >= 0.0) {
        return Err(BadInput(format!(
            "invalid --temperature {}: expected a number >= 0, such as 0.8",
            args.temperature
        ))
        .into());
    }
    let device = trainer::device(0);
    let (model, config) = trainer::load(&args.model, &device)?;
    let (Model::Gpt(gpt), Some(vocab)) = (&model, &config.vocab) else {
        return Err(BadInput(format!(
            "{} is a {} model; `sustain generate` needs a char-gpt model (`sustain train char-gpt --out DIR`)",
            args.model.display(),
            config.task
        ))
        .into());
    };
    let site = args
        .site
        .clone()
        .unwrap_or_else(|| settings.default_site.clone());
    let tags = BTreeMap::from([
        ("task".to_string(), config.task.clone()),
        ("model".to_string(), args.model.display().to_string()),
    ]);
    let tags = with_user_tags(tags, &args.tags)?;
    let meter = Metered::start(settings, &site, RunKind::Infer, &config.task, tags)?;
    let t0 = std::time::Instant::now();
    let text = lm::generate(
        gpt,
        vocab,
        &args.prompt,
        args.length,
        args.temperature,
        args.seed,
        &device,
    );
    let seconds = t0.elapsed().as_secs_f64();
    let unknown = lm::char_ids(vocab, &args.prompt)
        .iter()
        .filter(|&&i| i == 0)
        .count();
    let mut notes = vec![];
    if unknown > 0 {
        notes.push(format!(
            "{unknown} prompt characters are not in the model's vocabulary and were read as unknown"
        ));
    }
    let view = meter.finish(
        RunStatus::Succeeded,
        notes.clone(),
        json!({"generated_chars": args.length, "prompt_chars": args.prompt.chars().count(), "chars_per_s": args.length as f64 / seconds.max(1e-9), "model_path": args.model.display().to_string()}),
    )?;
    let run = view.to_json();
    if args.json {
        out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&json!({
                "run_id": view.start.id,
                "prompt": args.prompt,
                "text": text,
                "chars_per_s": args.length as f64 / seconds.max(1e-9),
                "energy": run["energy"],
                "co2e": run["co2e"],
                "notes": notes,
            }))?
        ))?;
    } else {
        for n in &notes {
            eprintln!("sustain: note: {n}");
        }
        out(&format!("{}{}\n", args.prompt, text))?;
        eprintln!(
            "sustain: {} characters in {:.2} s, energy {} Wh; run {}",
            args.length,
            seconds,
            sustain_core::format::sig(run["energy"]["total_wh"].as_f64().unwrap_or(0.0)),
            view.start.id
        );
    }
    Ok(crate::exit::OK)
}

/// Adds the user's `--tag KEY=VALUE` pairs to the tags Sustain sets. A key Sustain sets itself
/// (the model's directory, the dataset's hash) cannot be replaced: the reports rely on them.
fn with_user_tags(
    mut tags: BTreeMap<String, String>,
    given: &[String],
) -> Result<BTreeMap<String, String>> {
    for t in given {
        let (k, v) = sustain_core::run::parse_tag(t)?;
        if tags.contains_key(&k) {
            return Err(BadInput(format!(
                "--tag {k}=...: Sustain sets the tag {k} itself ({}); choose another key",
                tags[&k]
            ))
            .into());
        }
        tags.insert(k, v);
    }
    Ok(tags)
}
