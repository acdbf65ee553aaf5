//! `sustain train` and `sustain eval`: Sustain's own training, metered and recorded.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use comfy_table::Cell;
use serde_json::json;
use sustain_core::run::{RunKind, RunStatus, RunView};
use sustain_train::config::{Loss, Optimizer, TrainConfig};
use sustain_train::dataset::{Standardizer, Tabular};
use sustain_train::metrics::{Metrics, metrics};
use sustain_train::trainer::{self, EpochLog};

use crate::cli::{EvalArgs, PredictArgs, TrainArgs};
use crate::config::Settings;
use crate::exit::BadInput;

use super::metered::Metered;
use super::out;

use sustain_train::trainer::TASKS;

fn default_dataset(task: &str) -> &'static str {
    match task {
        "digits-cnn" => "digits",
        _ => "breast-cancer",
    }
}

fn load_dataset(spec: Option<&str>, label: Option<&str>) -> Result<Tabular> {
    match spec.unwrap_or("breast-cancer") {
        "breast-cancer" => Ok(Tabular::breast_cancer()?),
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
            "unknown dataset '{other}': give breast-cancer, digits, mnist-5k, the path of a CSV file, or of MNIST IDX images (…-images-idx3-ubyte, with …-labels-idx1-ubyte beside it)"
        ))
        .into()),
    }
}

/// Default learning rates, chosen on the bundled data (see docs/methods/train.md).
fn default_lr(task: &str, o: Optimizer) -> f64 {
    match (task, o) {
        ("digits-cnn", Optimizer::Adam | Optimizer::Adamw) => 3e-3,
        (_, Optimizer::Adam | Optimizer::Adamw) => 1e-3,
        (_, Optimizer::Sgd) => 0.05,
        (_, Optimizer::SgdMomentum) => 0.01,
    }
}

/// Default epochs per task.
fn default_epochs(task: &str) -> usize {
    match task {
        "digits-cnn" => 20,
        _ => 30,
    }
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
    if args.device != "cpu" {
        return Err(BadInput(format!(
            "device '{}' is not available in this build: use --device cpu",
            args.device
        ))
        .into());
    }
    let optimizer = Optimizer::parse(&args.optimizer)?;
    let loss = Loss::parse(&args.loss)?;
    let data = load_dataset(
        Some(
            args.dataset
                .as_deref()
                .unwrap_or(default_dataset(&args.task)),
        ),
        args.label.as_deref(),
    )?;
    let config = TrainConfig {
        task: args.task.clone(),
        dataset: data.name.clone(),
        dataset_sha256: data.sha256.clone(),
        seed: args.seed,
        epochs: args.epochs.unwrap_or_else(|| default_epochs(&args.task)),
        batch_size: args.batch_size,
        optimizer,
        lr: args.lr.unwrap_or_else(|| default_lr(&args.task, optimizer)),
        loss,
        inputs: data.width(),
        classes: data.classes.clone(),
        standardizer: Standardizer {
            mean: vec![],
            std: vec![],
        },
    };
    config.validate()?;
    // The data must suit the task's model (an image side for the CNN) before anything runs.
    trainer::new_model(&config, &trainer::device(config.seed))?;

    let site = args
        .site
        .clone()
        .unwrap_or_else(|| settings.default_site.clone());
    let tags = BTreeMap::from([
        ("task".to_string(), args.task.clone()),
        ("dataset".to_string(), data.name.clone()),
        ("dataset_sha256".to_string(), data.sha256.clone()),
        ("seed".to_string(), args.seed.to_string()),
    ]);
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
    let result = trainer::train_tabular(config, &data, |log: &EpochLog| {
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
    });
    pb.finish_and_clear();

    let trained = match result {
        Ok(t) => t,
        Err(e) => {
            let view = meter.finish(RunStatus::Failed, vec![e.to_string()], json!({}))?;
            eprintln!("sustain: error: {e}");
            eprintln!("  the run is recorded as failed: {}", view.start.id);
            return Ok(crate::exit::ERROR);
        }
    };
    trainer::save(&trained.model, &trained.config, &dir)?;
    let metrics_json = json!({
        "test": trained.test,
        "history": trained.history,
        "samples_per_s": trained.samples_per_s,
    });
    std::fs::write(
        dir.join("metrics.json"),
        serde_json::to_string_pretty(&metrics_json)?,
    )?;
    write_charts(&trained, &data, &dir)?;
    let outcomes = json!({
        "metrics": {"test": {
            "accuracy": trained.test.accuracy,
            "precision": trained.test.precision,
            "recall": trained.test.recall,
            "f1": trained.test.f1,
        }},
        "model_path": dir.display().to_string(),
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
        out(&report(&trained.test, &dir, &view, trained.samples_per_s))?;
    }
    Ok(crate::exit::OK)
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
    let (mut data, whole) = match &args.dataset {
        None => {
            let d = load_dataset(Some(&config.dataset), None)?;
            let p = trainer::prepare(&d, config.seed)?;
            (p.test, false)
        }
        Some(spec) => (load_dataset(Some(spec), args.label.as_deref())?, true),
    };
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
        if data.classes != config.classes {
            return Err(BadInput(format!(
                "dataset {} has classes {:?}; the model predicts {:?}",
                data.name, data.classes, config.classes
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
    let meter = Metered::start(settings, &site, RunKind::Eval, &config.task, tags)?;
    let (_, pred) = trainer::evaluate(&model, &data, config.loss, &device);
    let m = metrics(&pred, &data.y, &config.classes);
    let view = meter.finish(
        RunStatus::Succeeded,
        vec![],
        json!({"metrics": {"test": {"accuracy": m.accuracy, "precision": m.precision, "recall": m.recall, "f1": m.f1}}, "model_path": args.model.display().to_string()}),
    )?;
    if args.json {
        out(&format!(
            "{}\n",
            serde_json::to_string_pretty(
                &json!({"run_id": view.start.id, "metrics": {"test": m}, "energy": view.to_json()["energy"]})
            )?
        ))?;
    } else {
        out(&report(&m, &args.model, &view, 0.0))?;
    }
    Ok(crate::exit::OK)
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
    };
    config.standardizer.apply(&mut data);
    let site = args
        .site
        .clone()
        .unwrap_or_else(|| settings.default_site.clone());
    let tags = BTreeMap::from([
        ("task".to_string(), config.task.clone()),
        ("model".to_string(), args.model.display().to_string()),
    ]);
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
/// their true and predicted labels (`digits.svg`).
fn write_charts(t: &trainer::Trained, data: &Tabular, dir: &Path) -> Result<()> {
    use sustain_core::chart::{Series, Tile, image_grid, line_chart};
    let series = |name: &str, f: fn(&EpochLog) -> f64| Series {
        name: name.to_string(),
        points: t.history.iter().map(|h| (h.epoch as f64, f(h))).collect(),
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
            &format!("{}: {what}", t.config.task),
            "epoch",
            what,
            &[series("train", train), series("validation", val)],
        );
        std::fs::write(dir.join(file), chart)?;
    }
    if data.pixel_max.is_some() {
        // The test split and predictions the trainer already computed.
        let (test, pred) = (&t.test_split, &t.test_predictions);
        let side = (test.width() as f64).sqrt() as usize;
        let tiles: Vec<Tile> = (0..test.rows().min(24))
            .map(|i| Tile {
                pixels: test.x[i * test.width()..(i + 1) * test.width()].to_vec(),
                side,
                caption: format!(
                    "true {} / pred {}",
                    t.config.classes[test.y[i]], t.config.classes[pred[i]]
                ),
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
