//! `predict`: a trained classifier on rows of features or on texts given by the user.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::json;
use sustain_core::run::{RunKind, RunView};

use super::{StartMeter, start, succeed, tags, with_user_tags};
use crate::dataset::Tabular;
use crate::error::{Result, TrainError};
use crate::runtime;
use crate::task::Task;
use crate::text;

/// What the user asked to predict.
#[derive(Debug, Clone)]
pub struct PredictRequest {
    /// A directory written by `train`.
    pub model: PathBuf,
    /// Rows of comma-separated features or CSV files of rows; for text models, texts or `.txt`
    /// files with one text per line.
    pub inputs: Vec<String>,
    /// User tags, `KEY=VALUE`.
    pub tags: Vec<String>,
}

/// One prediction: the likeliest class and every class's probability.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    /// The likeliest class.
    pub class: String,
    /// Softmax probability of each class.
    pub probabilities: BTreeMap<String, f64>,
}

impl Prediction {
    /// The probability of the predicted class.
    pub fn probability(&self) -> f64 {
        self.probabilities.get(&self.class).copied().unwrap_or(0.0)
    }
}

/// A finished, recorded prediction run.
#[derive(Debug, Clone)]
pub struct Predicted {
    /// The run as recorded.
    pub view: RunView,
    /// One per input row or text.
    pub predictions: Vec<Prediction>,
}

impl Predicted {
    /// What `sustain predict --json` prints.
    pub fn json(&self) -> serde_json::Value {
        json!({"run_id": self.view.start.id, "predictions": self.predictions, "energy": self.view.json().energy})
    }
}

/// The softmax of `logits`, computed in f64 after subtracting the largest logit.
pub fn softmax(logits: &[f32]) -> Vec<f64> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp: Vec<f64> = logits.iter().map(|v| f64::from(v - max).exp()).collect();
    let sum: f64 = exp.iter().sum();
    exp.into_iter().map(|e| e / sum).collect()
}

/// The prediction of one row of logits over `classes`.
pub fn prediction(logits: &[f32], classes: &[String]) -> Prediction {
    let p = softmax(logits);
    let best = p
        .iter()
        .enumerate()
        .fold(
            (0, f64::MIN),
            |acc, (i, &v)| if v > acc.1 { (i, v) } else { acc },
        )
        .0;
    Prediction {
        class: classes[best].clone(),
        probabilities: classes.iter().cloned().zip(p).collect(),
    }
}

/// Predicts with the request's model, metered by `meter`.
pub fn predict<M: StartMeter>(req: PredictRequest, meter: &M) -> Result<Predicted> {
    crate::set_flush_denormals();
    let loaded = runtime::open(&req.model)?;
    let config = &loaded.config;
    let data = match (&config.vocab, config.task) {
        (_, Task::CharGpt) => {
            return Err(TrainError::Input(format!(
                "{} is a char-gpt model: use `sustain generate --model {} --prompt TEXT`",
                req.model.display(),
                req.model.display()
            )));
        }
        (Some(vocab), _) => {
            let texts = texts(&req.inputs)?;
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            vocab.table(&refs, &config.classes)
        }
        (None, _) => input_table(config, &rows(&req.inputs, config.inputs)?),
    };
    let run_tags = tags([
        ("task", config.task.to_string()),
        ("model", req.model.display().to_string()),
    ]);
    let run_tags = with_user_tags(run_tags, &req.tags)?;
    let run = start(meter, RunKind::Infer, config.task.as_str(), run_tags)?;
    let logits = match loaded.logits_table(&data) {
        Ok(l) => l,
        Err(e) => return Err(super::fail(run, e)),
    };
    let predictions: Vec<Prediction> = logits
        .chunks(config.classes.len())
        .map(|l| prediction(l, &config.classes))
        .collect();
    let view = succeed(
        run,
        vec![],
        json!({"predictions": predictions.len(), "model_path": req.model.display().to_string()}),
    )?;
    Ok(Predicted { view, predictions })
}

/// Rows of raw features (each `config.inputs` long, checked by the caller) as the model takes
/// them: standardized (or pixel-scaled) with the model's own statistics.
pub fn input_table(config: &crate::config::TrainConfig, rows: &[Vec<f32>]) -> Tabular {
    let mut data = Tabular {
        name: "predict".into(),
        source: "request".into(),
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

/// The texts of a text model: each input is a text, or a `.txt` file with one text per line.
fn texts(inputs: &[String]) -> Result<Vec<String>> {
    let mut texts = Vec::new();
    for input in inputs {
        let path = Path::new(input);
        if input.ends_with(".txt") || path.is_file() {
            let body = std::fs::read_to_string(path).map_err(|e| {
                TrainError::Input(format!(
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
        return Err(TrainError::Input(
            "no text to classify: give at least one text with words".into(),
        ));
    }
    Ok(texts)
}

/// One CSV record of `width` numbers; `None` when a cell is not a number.
fn numbers(record: &csv::StringRecord, width: usize, what: &str) -> Result<Option<Vec<f32>>> {
    let nums: std::result::Result<Vec<f32>, _> = record.iter().map(str::parse::<f32>).collect();
    match nums {
        Ok(v) if v.len() == width && v.iter().all(|x| x.is_finite()) => Ok(Some(v)),
        Ok(v) => Err(TrainError::Input(format!(
            "{what} has {} values; the model takes {width} features",
            v.len()
        ))),
        Err(_) => Ok(None),
    }
}

fn reader(bytes: &[u8]) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes)
}

/// The rows of a table model: inline rows or CSV files (a header row of names is allowed),
/// each row `width` numbers, read as CSV (quotes, a byte-order mark, CRLF).
fn rows(inputs: &[String], width: usize) -> Result<Vec<Vec<f32>>> {
    let bad_csv = |input: &str, e: csv::Error| TrainError::Input(format!("{input}: {e}"));
    let mut rows = Vec::new();
    for input in inputs {
        let path = Path::new(input);
        if path.is_file() {
            let bytes = std::fs::read(path)
                .map_err(|e| TrainError::Input(format!("cannot read {input}: {e}")))?;
            let mut first = true;
            for record in reader(&bytes).records() {
                let record = record.map_err(|e| bad_csv(input, e))?;
                if record.iter().all(str::is_empty) {
                    continue;
                }
                let line = crate::dataset::line_of(&bytes, &record);
                match numbers(&record, width, &format!("{input} line {line}"))? {
                    Some(v) => rows.push(v),
                    None if first => {} // a header row
                    None => {
                        return Err(TrainError::Input(format!(
                            "{input} line {line}: a value is not a number"
                        )));
                    }
                }
                first = false;
            }
        } else {
            let record = reader(input.as_bytes())
                .records()
                .next()
                .transpose()
                .map_err(|e| bad_csv(input, e))?
                .unwrap_or_default();
            match numbers(&record, width, "input row")? {
                Some(v) => rows.push(v),
                None => {
                    return Err(TrainError::Input(format!(
                        "input {input:?} is neither a file nor a row of {width} comma-separated numbers"
                    )));
                }
            }
        }
    }
    if rows.is_empty() {
        return Err(TrainError::Input("no rows to predict".into()));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_sums_to_one_and_keeps_the_order() {
        let p = softmax(&[1.0, 3.0, 2.0]);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(p[1] > p[2] && p[2] > p[0]);
        // Large logits do not overflow.
        let p = softmax(&[1000.0, 1000.0]);
        assert!((p[0] - 0.5).abs() < 1e-12);
    }

    #[test]
    fn rows_are_read_as_csv() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("rows.csv");
        // A byte-order mark, a header with a quoted name holding a comma, CRLF line ends,
        // quoted numbers, and a blank line.
        std::fs::write(
            &f,
            "\u{feff}\"a, first\",b\r\n\"1.5\",2\r\n\r\n3,\" 4 \"\r\n",
        )
        .unwrap();
        let got = rows(&[f.display().to_string(), "5,6".into()], 2).unwrap();
        assert_eq!(got, vec![vec![1.5, 2.0], vec![3.0, 4.0], vec![5.0, 6.0]]);
        let e = rows(&["1,2,3".into()], 2).unwrap_err().to_string();
        assert!(e.contains("3 values; the model takes 2"), "{e}");
        std::fs::write(&f, "a,b\n1,2\nx,4\n").unwrap();
        let e = rows(&[f.display().to_string()], 2).unwrap_err().to_string();
        assert!(e.contains("line 3: a value is not a number"), "{e}");
    }
}
