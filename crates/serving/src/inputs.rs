//! What a request asks of the model, checked and turned into the rows the model takes: rows of
//! features (standardized as in training) for tabular and image models, texts (encoded with the
//! model's vocabulary) for text models, a prompt for `char-gpt`.

use serde::Deserialize;
use sustain_train::config::TrainConfig;
use sustain_train::jobs::input_table;
use sustain_train::task::Task;
use sustain_train::text;

use crate::error::{Result, ServeError};

/// Most rows or texts in one request.
pub const MAX_ROWS: usize = 10_000;
/// Most characters `POST /v1/generate` makes in one request.
pub const MAX_LENGTH: usize = 10_000;

/// The body of `POST /v1/predict`: `{"rows": [[x1, x2, ...], ...]}` or `{"texts": [...]}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PredictBody {
    /// Rows of raw feature values (tabular and image models).
    pub rows: Option<Vec<Vec<f64>>>,
    /// Texts (text models).
    pub texts: Option<Vec<String>>,
}

/// The body of `POST /v1/generate`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerateBody {
    /// Text to continue.
    pub prompt: String,
    /// Characters to generate (default 200, at most [`MAX_LENGTH`]).
    pub length: Option<usize>,
    /// Sampling temperature (default 0.8; 0 takes the likeliest character).
    pub temperature: Option<f64>,
    /// Seed of the sampling (default 42).
    pub seed: Option<u64>,
}

/// Rows ready for the model.
#[derive(Debug, Clone, PartialEq)]
pub struct Rows {
    /// `[n × inputs]`, row-major.
    pub x: Vec<f32>,
    /// Rows.
    pub n: usize,
    /// Tokens read (text models; 0 otherwise).
    pub tokens: u64,
}

/// Checks a predict body against the model's `config` and encodes it.
pub fn rows(config: &TrainConfig, body: PredictBody) -> Result<Rows> {
    if config.task == Task::CharGpt {
        return Err(ServeError::bad(
            "this is a char-gpt model: it generates text; POST /v1/generate with {\"prompt\": \"...\", \"length\": N}",
        ));
    }
    match (&config.vocab, body.rows, body.texts) {
        (_, Some(_), Some(_)) => Err(ServeError::bad(
            "give either \"rows\" or \"texts\", not both",
        )),
        (Some(vocab), None, Some(texts)) => {
            count(texts.len(), "texts")?;
            let mut tokens = 0u64;
            for (i, t) in texts.iter().enumerate() {
                let n = text::tokenize(t).len();
                if n == 0 {
                    return Err(ServeError::bad(format!(
                        "texts[{i}] is empty: give each text at least one word"
                    )));
                }
                tokens += n as u64;
            }
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            let t = vocab.table(&refs, &config.classes);
            Ok(Rows {
                n: t.rows(),
                x: t.x,
                tokens,
            })
        }
        (Some(_), _, _) => Err(ServeError::bad(format!(
            "this {} model classifies texts: send {{\"texts\": [\"...\", ...]}}",
            config.task
        ))),
        (None, Some(rows), None) => {
            count(rows.len(), "rows")?;
            let mut out = Vec::with_capacity(rows.len());
            for (i, r) in rows.iter().enumerate() {
                if r.len() != config.inputs {
                    return Err(ServeError::bad(format!(
                        "rows[{i}] has {} values; the model takes {} features per row",
                        r.len(),
                        config.inputs
                    )));
                }
                let row: Vec<f32> = r.iter().map(|v| *v as f32).collect();
                if let Some(j) = row.iter().position(|v| !v.is_finite()) {
                    return Err(ServeError::bad(format!(
                        "rows[{i}][{j}] = {} is out of range for a 32-bit float",
                        r[j]
                    )));
                }
                out.push(row);
            }
            let t = input_table(config, &out);
            Ok(Rows {
                n: t.rows(),
                x: t.x,
                tokens: 0,
            })
        }
        (None, _, _) => Err(ServeError::bad(format!(
            "this {} model takes rows of {} numbers: send {{\"rows\": [[x1, x2, ...], ...]}}",
            config.task, config.inputs
        ))),
    }
}

fn count(n: usize, what: &str) -> Result<()> {
    if n == 0 {
        return Err(ServeError::bad(format!(
            "\"{what}\" is empty: give at least one"
        )));
    }
    if n > MAX_ROWS {
        return Err(ServeError::bad(format!(
            "{n} {what} in one request; at most {MAX_ROWS}: split the request"
        )));
    }
    Ok(())
}

/// A generate body's settings, checked: (prompt, length, temperature, seed).
pub fn generation(config: &TrainConfig, body: GenerateBody) -> Result<(String, usize, f64, u64)> {
    if config.task != Task::CharGpt {
        return Err(ServeError::bad(format!(
            "this is a {} model: it classifies; POST /v1/predict",
            config.task
        )));
    }
    let length = body.length.unwrap_or(200);
    if !(1..=MAX_LENGTH).contains(&length) {
        return Err(ServeError::bad(format!(
            "length {length}: give 1 to {MAX_LENGTH} characters"
        )));
    }
    let temperature = body.temperature.unwrap_or(0.8);
    if !(temperature.is_finite() && temperature >= 0.0) {
        return Err(ServeError::bad(format!(
            "temperature {temperature}: give a number >= 0, such as 0.8"
        )));
    }
    Ok((body.prompt, length, temperature, body.seed.unwrap_or(42)))
}

#[cfg(test)]
mod tests {
    use sustain_train::config::{DeviceSpec, Loss, Optimizer};
    use sustain_train::dataset::Standardizer;
    use sustain_train::text::Vocab;

    use super::*;

    fn config(task: Task, vocab: Option<Vocab>, inputs: usize) -> TrainConfig {
        TrainConfig {
            task,
            dataset: "d".into(),
            dataset_sha256: String::new(),
            seed: 1,
            epochs: 1,
            batch_size: 1,
            optimizer: Optimizer::Adam,
            lr: 1e-3,
            loss: Loss::CrossEntropy,
            inputs,
            classes: vec!["no".into(), "yes".into()],
            standardizer: Standardizer {
                mean: vec![1.0; inputs],
                std: vec![2.0; inputs],
            },
            vocab,
            device: DeviceSpec::Cpu,
            gpt: None,
            widths: None,
            augment: None,
            parent: None,
            pruning: None,
            quantization: None,
        }
    }

    fn body(rows: Option<Vec<Vec<f64>>>, texts: Option<Vec<&str>>) -> PredictBody {
        PredictBody {
            rows,
            texts: texts.map(|t| t.into_iter().map(String::from).collect()),
        }
    }

    #[test]
    fn rows_are_standardized_and_checked() {
        let c = config(Task::TabularMlp, None, 2);
        let r = rows(&c, body(Some(vec![vec![3.0, 1.0], vec![1.0, 5.0]]), None)).unwrap();
        assert_eq!(
            (r.n, r.x.clone(), r.tokens),
            (2, vec![1.0, 0.0, 0.0, 2.0], 0)
        );
        let e = rows(&c, body(Some(vec![vec![1.0]]), None))
            .unwrap_err()
            .to_string();
        assert!(e.contains("rows[0] has 1 values; the model takes 2"), "{e}");
        let e = rows(&c, body(Some(vec![vec![1e300, 0.0]]), None))
            .unwrap_err()
            .to_string();
        assert!(e.contains("rows[0][0]"), "{e}");
        let e = rows(&c, body(None, Some(vec!["a"])))
            .unwrap_err()
            .to_string();
        assert!(e.contains("takes rows of 2 numbers"), "{e}");
        let e = rows(&c, body(Some(vec![vec![0.0, 0.0]; MAX_ROWS + 1]), None))
            .unwrap_err()
            .to_string();
        assert!(e.contains("at most 10000"), "{e}");
    }

    #[test]
    fn texts_are_encoded_with_the_vocabulary_and_empty_ones_refused() {
        let corpus = ["a good film", "a bad film", "good good"];
        let vocab = Vocab::fit(corpus.iter().copied(), 1, 100, 8);
        let c = config(Task::TextLstm, Some(vocab.clone()), 8);
        let r = rows(&c, body(None, Some(vec!["good film", "bad"]))).unwrap();
        let t = vocab.table(&["good film", "bad"], &c.classes);
        assert_eq!((r.n, r.tokens), (2, 3));
        assert_eq!(r.x, t.x);
        let e = rows(&c, body(None, Some(vec!["good", "  "])))
            .unwrap_err()
            .to_string();
        assert!(e.contains("texts[1] is empty"), "{e}");
        let e = rows(&c, body(Some(vec![vec![1.0]]), None))
            .unwrap_err()
            .to_string();
        assert!(e.contains("classifies texts"), "{e}");
        let e = generation(
            &c,
            GenerateBody {
                prompt: "x".into(),
                length: None,
                temperature: None,
                seed: None,
            },
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("POST /v1/predict"), "{e}");
    }
}
