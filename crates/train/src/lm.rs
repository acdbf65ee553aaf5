//! Character-level language modelling for `char-gpt`: the corpus, its split, the training loop,
//! the unigram baseline and sampling.
//!
//! The text is split by position: the first 90 % trains, the next 5 % validates, the last 5 %
//! tests (a random split of overlapping windows would leak text between the sets). An epoch is
//! one pass over the training text in non-overlapping windows of `context + 1` characters, from
//! an offset and in an order drawn from the seed.

use std::path::Path;
use std::time::Instant;

use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Int, Tensor, TensorData};
use serde::Serialize;

use crate::config::TrainConfig;
use crate::dataset::{SplitMix64, permutation, sha256_hex};
use crate::error::{Result, TrainError, data_err};
use crate::gpt::CharGpt;
use crate::text::Vocab;
use crate::trainer::{EpochLog, Model, device_for, new_model, optimizer};

/// The bundled corpus: the first five books of the King James Version (public domain), one
/// verse per line, from Debian's `bible-kjv-text` 4.38 (see `data/SOURCES.md`).
const KJV_PENTATEUCH_GZ: &[u8] = include_bytes!("../../../data/datasets/kjv-pentateuch.txt.gz");

/// A plain text.
#[derive(Debug, Clone, PartialEq)]
pub struct Corpus {
    /// Name (bundled name or file path).
    pub name: String,
    /// Where it comes from, in words.
    pub source: String,
    /// SHA-256 of the bytes it was read from.
    pub sha256: String,
    /// The text.
    pub text: String,
}

/// Shortest corpus `char-gpt` trains on, in characters.
pub const MIN_CHARS: usize = 2_000;

impl Corpus {
    /// The bundled King James Pentateuch (815,101 characters).
    pub fn kjv_pentateuch() -> Result<Self> {
        use std::io::Read;
        let name = "kjv-pentateuch";
        let mut text = String::new();
        flate2::read::GzDecoder::new(KJV_PENTATEUCH_GZ)
            .read_to_string(&mut text)
            .map_err(|e| data_err(name, format!("cannot decompress: {e}")))?;
        Ok(Corpus {
            name: name.into(),
            source: "King James Version, Genesis to Deuteronomy (public domain), from Debian's bible-kjv-text 4.38".into(),
            sha256: sha256_hex(KJV_PENTATEUCH_GZ),
            text,
        })
    }

    /// A UTF-8 plain-text file.
    pub fn from_file(path: &Path) -> Result<Self> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| TrainError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let sha256 = sha256_hex(&bytes);
        let text = String::from_utf8(bytes)
            .map_err(|_| data_err(&name, "is not UTF-8 text; char-gpt trains on plain text"))?;
        let chars = text.chars().count();
        if chars < MIN_CHARS {
            return Err(data_err(
                &name,
                format!(
                    "has {chars} characters; char-gpt needs at least {MIN_CHARS} of plain text"
                ),
            ));
        }
        Ok(Corpus {
            source: format!("text file {name}"),
            name,
            sha256,
            text,
        })
    }
}

/// Start of the validation and test parts, in characters.
fn cuts(n: usize) -> (usize, usize) {
    ((n as f64 * 0.90) as usize, (n as f64 * 0.95) as usize)
}

/// The character vocabulary of the training part: `<unk>` (id 0) then its characters, sorted.
pub fn char_vocab(corpus: &Corpus, context: usize) -> Vocab {
    let chars: Vec<char> = corpus.text.chars().collect();
    let (train_end, _) = cuts(chars.len());
    let mut set: Vec<char> = chars[..train_end].to_vec();
    set.sort_unstable();
    set.dedup();
    let mut tokens = vec!["<unk>".to_string()];
    tokens.extend(set.into_iter().map(String::from));
    Vocab {
        tokens,
        max_len: context,
    }
}

/// Character ids of `text` (unknown characters map to 0).
pub fn char_ids(vocab: &Vocab, text: &str) -> Vec<usize> {
    let index: std::collections::HashMap<char, usize> = vocab
        .tokens
        .iter()
        .enumerate()
        .skip(1)
        .filter_map(|(i, t)| t.chars().next().map(|c| (c, i)))
        .collect();
    text.chars()
        .map(|c| index.get(&c).copied().unwrap_or(0))
        .collect()
}

/// Language-model metrics on one part of the corpus.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LmMetrics {
    /// Mean cross-entropy per character (nats).
    pub loss: f64,
    /// The same in bits per character.
    pub bits_per_char: f64,
    /// Share of characters predicted exactly (argmax).
    pub accuracy: f64,
    /// Cross-entropy of the unigram baseline: character frequencies of the training part,
    /// add-one smoothed (nats).
    pub unigram_loss: f64,
    /// `1 - loss / unigram_loss`: how far below the baseline the model is.
    pub reduction_vs_unigram: f64,
    /// Characters scored.
    pub chars: usize,
}

/// Cross-entropy of the add-one-smoothed unigram distribution of `train` on `part`.
pub fn unigram_loss(train: &[usize], part: &[usize], vocab: usize) -> f64 {
    let mut counts = vec![0f64; vocab];
    for &i in train {
        counts[i] += 1.0;
    }
    let total = train.len() as f64 + vocab as f64;
    let nll: f64 = part
        .iter()
        .map(|&i| -((counts[i] + 1.0) / total).ln())
        .sum();
    nll / part.len().max(1) as f64
}

fn windows_tensor(ids: &[usize], starts: &[usize], len: usize, device: &Device) -> Tensor<2, Int> {
    let mut v = Vec::with_capacity(starts.len() * len);
    for &s in starts {
        v.extend(ids[s..s + len].iter().map(|&i| i as i64));
    }
    Tensor::<2, Int>::from_data(TensorData::new(v, [starts.len(), len]), device)
}

/// Loss (summed) and correct predictions of `model` on the windows at `starts`.
fn score(
    model: &CharGpt,
    ids: &[usize],
    starts: &[usize],
    context: usize,
    device: &Device,
) -> (Tensor<1>, usize) {
    let x = windows_tensor(ids, starts, context, device);
    let y: Vec<usize> = starts
        .iter()
        .flat_map(|&s| ids[s + 1..s + 1 + context].iter().copied())
        .collect();
    let n = y.len();
    let logits = model.forward(x);
    let v = logits.dims()[2];
    let logits: Tensor<2> = logits.reshape([n, v]);
    let target = Tensor::<1, Int>::from_data(
        TensorData::new(y.iter().map(|&i| i as i64).collect::<Vec<_>>(), [n]),
        device,
    );
    let pred: Vec<i64> = logits
        .clone()
        .argmax(1)
        .reshape([n])
        .into_data()
        .convert::<i64>()
        .try_to_vec::<i64>()
        .unwrap_or_default();
    let correct = pred
        .iter()
        .zip(&y)
        .filter(|(p, t)| **p as usize == **t)
        .count();
    let loss = CrossEntropyLossConfig::new()
        .init(device)
        .forward(logits, target);
    (loss, correct)
}

/// Language-model metrics of `model` on `ids` (non-overlapping windows), against the unigram
/// baseline of `train`.
pub fn evaluate_lm(
    model: &CharGpt,
    train: &[usize],
    ids: &[usize],
    vocab: usize,
    device: &Device,
) -> LmMetrics {
    let context = model.context();
    let starts: Vec<usize> = (0..ids.len().saturating_sub(context))
        .step_by(context)
        .collect();
    let (mut nll, mut correct, mut n) = (0.0, 0usize, 0usize);
    for chunk in starts.chunks(128) {
        let (loss, c) = score(model, ids, chunk, context, device);
        let chars = chunk.len() * context;
        nll += f64::from(loss.into_scalar::<f32>()) * chars as f64;
        correct += c;
        n += chars;
    }
    let loss = nll / n.max(1) as f64;
    let scored: Vec<usize> = starts
        .iter()
        .flat_map(|&s| ids[s + 1..s + 1 + context].iter().copied())
        .collect();
    let unigram = unigram_loss(train, &scored, vocab);
    LmMetrics {
        loss,
        bits_per_char: loss / std::f64::consts::LN_2,
        accuracy: correct as f64 / n.max(1) as f64,
        unigram_loss: unigram,
        reduction_vs_unigram: 1.0 - loss / unigram,
        chars: n,
    }
}

/// What a `char-gpt` run produces.
pub struct TrainedLm {
    /// The model (`Model::Gpt`).
    pub model: Model,
    /// Its configuration, vocabulary and shape included.
    pub config: TrainConfig,
    /// Per-epoch log (accuracy: next-character accuracy).
    pub history: Vec<EpochLog>,
    /// Metrics on the validation part.
    pub val: LmMetrics,
    /// Metrics on the test part.
    pub test: LmMetrics,
    /// Training windows processed per second.
    pub samples_per_s: f64,
    /// Training characters (predicted positions) per second.
    pub chars_per_s: f64,
}

/// The three parts of a corpus as character ids.
pub struct LmSplit {
    /// Training part.
    pub train: Vec<usize>,
    /// Validation part.
    pub val: Vec<usize>,
    /// Test part.
    pub test: Vec<usize>,
}

/// Splits the corpus by position (90/5/5) into character ids.
pub fn lm_split(corpus: &Corpus, vocab: &Vocab) -> Result<LmSplit> {
    let ids = char_ids(vocab, &corpus.text);
    let (a, b) = cuts(ids.len());
    let context = vocab.max_len;
    if ids.len() < MIN_CHARS || b - a <= context + 1 || ids.len() - b <= context + 1 {
        return Err(data_err(
            &corpus.name,
            format!(
                "has {} characters: too few for windows of {} in each of the training, validation and test parts (at least {MIN_CHARS})",
                ids.len(),
                context + 1
            ),
        ));
    }
    Ok(LmSplit {
        train: ids[..a].to_vec(),
        val: ids[a..b].to_vec(),
        test: ids[b..].to_vec(),
    })
}

/// Trains `char-gpt` on `corpus`, calling `on_epoch` after each epoch.
pub fn train_lm(
    mut config: TrainConfig,
    corpus: &Corpus,
    mut on_epoch: impl FnMut(&EpochLog),
) -> Result<TrainedLm> {
    let shape = config.gpt.unwrap_or_default();
    let vocab = char_vocab(corpus, shape.context);
    let split = lm_split(corpus, &vocab)?;
    config.gpt = Some(shape);
    config.inputs = shape.context;
    config.classes = vocab.tokens.clone();
    config.standardizer = crate::dataset::Standardizer::scale(shape.context, 1.0);
    config.vocab = Some(vocab);
    config.validate()?;
    let device = device_for(config.device, config.seed)?;
    let mut model = new_model(&config, &device)?;
    let mut optim = optimizer(config.optimizer);
    let v = config.classes.len();
    let context = shape.context;
    let mut history = Vec::with_capacity(config.epochs);
    let (mut windows_done, mut train_time) = (0usize, 0.0f64);
    for epoch in 1..=config.epochs {
        let t0 = Instant::now();
        let mut rng = SplitMix64::new(config.seed.wrapping_add(epoch as u64));
        let offset = (rng.next_u64() % (context as u64 + 1)) as usize;
        let starts: Vec<usize> = (offset..split.train.len().saturating_sub(context))
            .step_by(context + 1)
            .collect();
        let order = permutation(starts.len(), rng.next_u64());
        let (mut nll, mut correct, mut n) = (0.0, 0usize, 0usize);
        for chunk in order.chunks(config.batch_size.max(1)) {
            let batch: Vec<usize> = chunk.iter().map(|&i| starts[i]).collect();
            let Model::Gpt(gpt) = &model else {
                unreachable!("char-gpt builds a Gpt model")
            };
            let (loss, c) = score(gpt, &split.train, &batch, context, &device);
            let value = f64::from(loss.clone().into_scalar::<f32>());
            if !value.is_finite() {
                return Err(TrainError::Diverged {
                    epoch,
                    value: value.to_string(),
                    lr: config.lr,
                });
            }
            let chars = batch.len() * context;
            nll += value * chars as f64;
            correct += c;
            n += chars;
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(config.lr, model, grads);
        }
        windows_done += starts.len();
        train_time += t0.elapsed().as_secs_f64();
        let Model::Gpt(gpt) = &model else {
            unreachable!("char-gpt builds a Gpt model")
        };
        let val = evaluate_lm(gpt, &split.train, &split.val, v, &device);
        if !val.loss.is_finite() {
            return Err(TrainError::Diverged {
                epoch,
                value: val.loss.to_string(),
                lr: config.lr,
            });
        }
        let log = EpochLog {
            epoch,
            loss: nll / n.max(1) as f64,
            accuracy: correct as f64 / n.max(1) as f64,
            val_loss: val.loss,
            val_accuracy: val.accuracy,
            seconds: t0.elapsed().as_secs_f64(),
        };
        on_epoch(&log);
        history.push(log);
    }
    let Model::Gpt(gpt) = &model else {
        unreachable!("char-gpt builds a Gpt model")
    };
    let val = evaluate_lm(gpt, &split.train, &split.val, v, &device);
    let test = evaluate_lm(gpt, &split.train, &split.test, v, &device);
    let samples_per_s = windows_done as f64 / train_time.max(1e-9);
    Ok(TrainedLm {
        model,
        config,
        history,
        val,
        test,
        samples_per_s,
        chars_per_s: samples_per_s * context as f64,
    })
}

/// Samples `length` characters after `prompt`, at `temperature` (0: always the likeliest
/// character), from a seeded generator.
pub fn generate(
    model: &CharGpt,
    vocab: &Vocab,
    prompt: &str,
    length: usize,
    temperature: f64,
    seed: u64,
    device: &Device,
) -> String {
    let context = model.context();
    let mut ids = char_ids(vocab, prompt);
    if ids.is_empty() {
        ids.push(char_ids(vocab, "\n").first().copied().unwrap_or(0));
    }
    let mut rng = SplitMix64::new(seed);
    let mut out = String::new();
    for _ in 0..length {
        let window = &ids[ids.len().saturating_sub(context)..];
        let x = windows_tensor(window, &[0], window.len(), device);
        let logits = model.forward(x);
        let [_, seq, v] = logits.dims();
        let last: Vec<f32> = logits
            .slice([0..1, seq - 1..seq, 0..v])
            .reshape([v])
            .into_data()
            .convert::<f32>()
            .try_to_vec::<f32>()
            .unwrap_or_default();
        // Never produce <unk> (id 0).
        let candidates = &last[1..];
        let next = if temperature <= 0.0 {
            candidates
                .iter()
                .enumerate()
                .fold(
                    (0, f32::NEG_INFINITY),
                    |b, (i, &l)| if l > b.1 { (i, l) } else { b },
                )
                .0
        } else {
            let max = candidates.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let w: Vec<f64> = candidates
                .iter()
                .map(|&l| (f64::from(l - max) / temperature).exp())
                .collect();
            let mut r = rng.next_f64() * w.iter().sum::<f64>();
            let mut pick = w.len() - 1;
            for (i, wi) in w.iter().enumerate() {
                if r < *wi {
                    pick = i;
                    break;
                }
                r -= wi;
            }
            pick
        } + 1;
        ids.push(next);
        out.push_str(&vocab.tokens[next]);
    }
    out
}
