//! End-to-end tests of `sustain optimize prune|quantize` and `sustain compare`: real training,
//! real int8 inference, real metered runs in a fresh ledger per test.

use serde_json::Value;
use sustain_testkit::cli::CliEnv;

const BIN: &str = env!("CARGO_BIN_EXE_sustain");

/// The test environment, with the checks these tests repeat.
struct Env(CliEnv);

impl std::ops::Deref for Env {
    type Target = CliEnv;
    fn deref(&self) -> &CliEnv {
        &self.0
    }
}

impl Env {
    fn new() -> Self {
        Env(CliEnv::new(BIN))
    }

    /// Runs `args`, expecting exit 2 and `needle` in the error; nothing is recorded.
    fn refused(&self, args: &[&str], needle: &str) {
        let before = self.runs();
        let out = self.run(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(self.runs(), before, "{args:?} recorded a run");
    }
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

#[test]
fn a_cnn_quantized_and_pruned_keeps_its_accuracy_and_compare_measures_all_four() {
    let env = Env::new();
    let trained = env.json(&["train", "digits-cnn", "--out", "cnn", "--json"]);
    let base_acc = f(&trained["metrics"]["test"]["accuracy"]);
    assert!(base_acc > 0.95, "{trained}");

    // int8, per channel: within a point of f32, at most 35 % of its size.
    let q = env.json(&[
        "optimize",
        "quantize",
        "--model",
        "cnn",
        "--int8",
        "--per-channel",
        "--out",
        "cnn-int8",
        "--json",
    ]);
    assert_eq!(q["model"], "cnn-int8");
    assert_eq!(q["parent"], "cnn");
    assert_eq!(q["precision"], "int8");
    assert_eq!(f(&q["parent_metrics"]["test"]["accuracy"]), base_acc);
    let q_acc = f(&q["test"]["accuracy"]);
    assert!((q_acc - base_acc).abs() <= 0.01, "{q}");
    let (size, parent_size) = (u(&q["size_bytes"]), u(&q["parent_metrics"]["size_bytes"]));
    assert!(
        size as f64 <= 0.35 * parent_size as f64,
        "{size} of {parent_size}"
    );
    assert_eq!(q["quantization"]["weights"], "per-channel");
    assert_eq!(q["quantization"]["activations"], "dynamic");
    let config: Value =
        serde_json::from_slice(&std::fs::read(env.path("cnn-int8/config.json")).unwrap()).unwrap();
    assert_eq!(config["parent"]["weights_sha256"], trained["model_sha256"]);
    assert_eq!(config["parent"]["step"], "quantize");
    assert_eq!(
        config["quantization"]["range"],
        serde_json::json!([-127, 127])
    );
    let run = env.json(&["runs", "show", q["run_id"].as_str().unwrap(), "--json"]);
    assert_eq!(run["kind"], "train");
    assert_eq!(run["tags"]["optimize"], "quantize");
    assert_eq!(run["tags"]["parent"], "cnn");

    // eval and predict run the int8 path: eval's accuracy is the one quantize measured.
    let e = env.json(&["eval", "--model", "cnn-int8", "--json"]);
    assert_eq!(f(&e["metrics"]["test"]["accuracy"]), q_acc);
    let pixels = vec!["0"; 64].join(",");
    let p = env.json(&["predict", "--model", "cnn-int8", &pixels, "--json"]);
    let probs: f64 = p["predictions"][0]["probabilities"]
        .as_object()
        .unwrap()
        .values()
        .map(f)
        .sum();
    assert!((probs - 1.0).abs() < 1e-9, "{p}");

    // Calibrated activations.
    let c = env.json(&[
        "optimize",
        "quantize",
        "--model",
        "cnn",
        "--int8",
        "--calibrate",
        "digits",
        "--out",
        "cnn-int8c",
        "--json",
    ]);
    assert_eq!(
        c["quantization"]["activations"]["calibrated"]["dataset"],
        "digits"
    );
    assert!((f(&c["test"]["accuracy"]) - base_acc).abs() <= 0.01, "{c}");

    // 50 % unstructured: exactly half the weights gone, still gone after fine-tuning, within
    // 1.5 points.
    let pr = env.json(&[
        "optimize",
        "prune",
        "--model",
        "cnn",
        "--sparsity",
        "0.5",
        "--finetune-epochs",
        "3",
        "--out",
        "cnn-p50",
        "--json",
    ]);
    let before = u(&pr["pruning"]["weights_before"]);
    let after = u(&pr["pruning"]["weights_after"]);
    assert_eq!(after, before - (before as f64 * 0.5).round() as u64, "{pr}");
    let zeros = u(&pr["params"]) - u(&pr["nonzero_params"]);
    assert!(
        zeros >= before - after,
        "fine-tuning revived pruned weights: {pr}"
    );
    assert!(f(&pr["test"]["accuracy"]) >= base_acc - 0.015, "{pr}");

    // 50 % structured: half the channels and units, smaller on disk.
    let s = env.json(&[
        "optimize",
        "prune",
        "--model",
        "cnn",
        "--sparsity",
        "0.5",
        "--structured",
        "--finetune-epochs",
        "3",
        "--out",
        "cnn-s50",
        "--json",
    ]);
    assert_eq!(s["widths"], serde_json::json!([8, 16, 32]));
    assert_eq!(s["pruning"]["kind"], "structured");
    assert!(u(&s["size_bytes"]) * 3 < parent_size, "{s}");
    assert!(f(&s["test"]["accuracy"]) > 0.9, "{s}");

    // Side by side, each model in its own metered runs.
    let runs_before = env.runs();
    let cmp = env.json(&[
        "compare",
        "cnn",
        "cnn-int8",
        "cnn-p50",
        "cnn-s50",
        "--seconds",
        "0.3",
        "--single-calls",
        "20",
        "--svg",
        "tradeoff.svg",
        "--json",
    ]);
    let rows = cmp["models"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(
        env.runs(),
        runs_before + 8,
        "an eval and an infer run per model"
    );
    assert_eq!(rows[0]["parent"], Value::Null);
    assert_eq!(rows[1]["parent"], "cnn");
    assert_eq!(rows[1]["precision"], "int8");
    assert_eq!(
        f(&rows[1]["accuracy"]),
        q_acc,
        "same rows as quantize measured on"
    );
    assert_eq!(f(&rows[0]["accuracy"]), base_acc);
    for r in rows {
        for key in [
            "size_bytes",
            "nonzero_params",
            "energy_wh_per_1k",
            "co2e_g_per_1k",
        ] {
            assert!(f(&r[key]) > 0.0, "{key}: {r}");
        }
        let (p50, p99) = (f(&r["latency_ms"]["p50"]), f(&r["latency_ms"]["p99"]));
        assert!(p50 > 0.0 && p99 >= p50, "{r}");
        assert!(u(&r["inferences"]) >= 270 + 3 * 256, "{r}");
        let eval = env.json(&["runs", "show", r["eval_run_id"].as_str().unwrap(), "--json"]);
        assert_eq!(eval["kind"], "eval");
        let per_1k = f(&eval["energy"]["total_wh"]) / f(&r["inferences"]) * 1000.0;
        assert!((per_1k - f(&r["energy_wh_per_1k"])).abs() <= 1e-12 * per_1k.max(1.0));
    }
    assert_eq!(u(&rows[2]["nonzero_params"]), u(&pr["nonzero_params"]));
    // Each child compared beside its parent records the step's measured effect, which the
    // scenario lever of that step then uses for the parent's runs.
    assert_eq!(rows[0]["energy_factor"], Value::Null);
    for r in &rows[1..] {
        let factor = f(&r["energy_factor"]);
        let ratio = f(&r["energy_wh_per_1k"]) / f(&rows[0]["energy_wh_per_1k"]);
        assert!(
            (factor - ratio).abs() <= 1e-9 * ratio,
            "{factor} vs {ratio}"
        );
    }
    let month = chrono::Utc::now().date_naive().to_string()[..7].to_string();
    std::fs::write(
        env.path("int8.toml"),
        "name = \"int8\"\n[[lever]]\ntype = \"quantize\"\nmodel = \"cnn\"\n",
    )
    .unwrap();
    let sc = env.json(&["scenario", "run", "int8.toml", "--period", &month, "--json"]);
    let basis = sc["levers"][0]["basis"].as_str().unwrap();
    assert!(
        basis.contains(&format!("{:.3}", f(&rows[1]["energy_factor"])))
            && basis.contains(rows[1]["eval_run_id"].as_str().unwrap()),
        "{sc}"
    );
    let svg = std::fs::read_to_string(env.path("tradeoff.svg")).unwrap();
    assert_eq!(svg.matches("<circle").count(), 4, "{svg}");

    // Bad input: a clear error, exit 2, nothing recorded.
    env.refused(
        &[
            "optimize", "quantize", "--model", "cnn-int8", "--int8", "--out", "again",
        ],
        "holds int8 weights",
    );
    for s in ["1", "-0.1", "1.5"] {
        env.refused(
            &[
                "optimize",
                "prune",
                "--model",
                "cnn",
                "--sparsity",
                s,
                "--out",
                "x",
            ],
            "--sparsity",
        );
    }
    env.refused(
        &[
            "optimize",
            "prune",
            "--model",
            "cnn",
            "--sparsity",
            "0.5",
            "--out",
            "cnn",
        ],
        "the model's own directory",
    );
    std::fs::create_dir_all(env.path("empty")).unwrap();
    env.refused(
        &[
            "optimize", "quantize", "--model", "empty", "--int8", "--out", "x",
        ],
        "config.json",
    );
    env.refused(
        &[
            "optimize", "quantize", "--model", "nowhere", "--int8", "--out", "x",
        ],
        "not a directory",
    );
    env.refused(&["compare", "cnn", "--seconds", "0"], "--seconds");
    env.json(&[
        "train",
        "tabular-mlp",
        "--epochs",
        "2",
        "--out",
        "mlp",
        "--json",
    ]);
    env.refused(&["compare", "cnn", "mlp"], "one task");
    env.refused(
        &["compare", "cnn", "--dataset", "breast-cancer"],
        "features",
    );
}

#[test]
fn an_mlp_quantized_per_tensor_agrees_with_its_f32_parent() {
    let env = Env::new();
    let t = env.json(&["train", "tabular-mlp", "--out", "mlp", "--json"]);
    let base = f(&t["metrics"]["test"]["accuracy"]);
    let q = env.json(&[
        "optimize", "quantize", "--model", "mlp", "--int8", "--out", "mlp-int8", "--json",
    ]);
    assert_eq!(q["quantization"]["weights"], "per-tensor");
    assert!((f(&q["test"]["accuracy"]) - base).abs() <= 0.01, "{q}");
    assert!(u(&q["size_bytes"]) as f64 <= 0.35 * u(&q["parent_metrics"]["size_bytes"]) as f64);
    // Per-layer unstructured pruning removes half of every weight matrix.
    let p = env.json(&[
        "optimize",
        "prune",
        "--model",
        "mlp",
        "--sparsity",
        "0.5",
        "--scope",
        "per-layer",
        "--out",
        "mlp-p50",
        "--json",
    ]);
    assert_eq!(p["pruning"]["scope"], "per-layer");
    assert_eq!(p["pruning"]["finetune_epochs"], 0);
    let config: Value =
        serde_json::from_slice(&std::fs::read(env.path("mlp-p50/config.json")).unwrap()).unwrap();
    assert_eq!(config["pruning"]["kind"], "unstructured");
    assert_eq!(config["parent"]["path"], "mlp");
    // The pruned model quantizes too, and keeps its lineage one step at a time.
    let pq = env.json(&[
        "optimize",
        "quantize",
        "--model",
        "mlp-p50",
        "--int8",
        "--out",
        "mlp-p50-int8",
        "--json",
    ]);
    assert_eq!(pq["parent"], "mlp-p50");
    assert_eq!(
        pq["pruning"]["kind"], "unstructured",
        "the pruning record is inherited"
    );
}

/// A tensor's bytes in a safetensors file.
fn tensor_bytes(path: &std::path::Path, name: &str) -> Vec<u8> {
    let b = std::fs::read(path).unwrap();
    let n = u64::from_le_bytes(b[..8].try_into().unwrap()) as usize;
    let header: Value = serde_json::from_slice(&b[8..8 + n]).unwrap();
    let off = &header[name]["data_offsets"];
    let (s, e) = (u(&off[0]) as usize, u(&off[1]) as usize);
    b[8 + n + s..8 + n + e].to_vec()
}

#[test]
fn a_cnn_of_digits_0_to_4_fine_tuned_on_5_to_9_gets_a_new_head_and_keeps_frozen_layers() {
    let env = Env::new();
    // The bundled UCI digits split by class into two CSV files with a header row.
    let header = digits_header();
    let (mut low, mut high) = (header.clone(), header);
    for line in &digits_lines() {
        let label: u32 = line.rsplit(',').next().unwrap().parse().unwrap();
        let file = if label < 5 { &mut low } else { &mut high };
        file.push_str(line);
        file.push('\n');
    }
    std::fs::write(env.path("low.csv"), low).unwrap();
    std::fs::write(env.path("high.csv"), high).unwrap();
    env.json(&[
        "train",
        "digits-cnn",
        "--dataset",
        "low.csv",
        "--epochs",
        "10",
        "--out",
        "low",
        "--json",
    ]);
    let ft = env.json(&[
        "finetune",
        "--from",
        "low",
        "--dataset",
        "high.csv",
        "--freeze",
        "conv1,conv2",
        "--epochs",
        "5",
        "--out",
        "high",
        "--compare-scratch",
        "--json",
    ]);
    assert_eq!(ft["new_head"], true);
    assert_eq!(ft["frozen"], serde_json::json!(["conv1", "conv2"]));
    assert_eq!(ft["parent"], "low");
    assert!(f(&ft["test"]["accuracy"]) > 0.8, "{ft}");
    let classes: Vec<&str> = ft["test"]["per_class"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["class"].as_str().unwrap())
        .collect();
    assert_eq!(classes, ["5", "6", "7", "8", "9"]);
    // Frozen layers are the parent's to the byte; the others trained.
    let (a, b) = (
        env.path("low/model.safetensors"),
        env.path("high/model.safetensors"),
    );
    assert_eq!(
        tensor_bytes(&a, "Cnn.conv1.weight"),
        tensor_bytes(&b, "Cnn.conv1.weight")
    );
    assert_eq!(
        tensor_bytes(&a, "Cnn.conv2.bias"),
        tensor_bytes(&b, "Cnn.conv2.bias")
    );
    assert_ne!(
        tensor_bytes(&a, "Cnn.fc.weight"),
        tensor_bytes(&b, "Cnn.fc.weight")
    );
    // The baseline: the same model from scratch on the same data, in its own run.
    let s = &ft["scratch"];
    assert!(u(&s["epochs"]) >= 1 && u(&s["epochs"]) <= 30, "{s}");
    if s["reached"] == true {
        assert!(f(&s["val_accuracy"]) >= f(&ft["val_accuracy"]), "{ft}");
    }
    let ratio = f(&ft["energy"]["total_wh"]) / f(&s["energy"]["total_wh"]);
    assert!((ratio - f(&ft["energy_ratio"])).abs() <= 1e-9 * ratio);
    let run = env.json(&["runs", "show", s["run_id"].as_str().unwrap(), "--json"]);
    assert_eq!(run["tags"]["baseline_of"], "high");
    // The fine-tuned model is a model like any other.
    let e = env.json(&["eval", "--model", "high", "--json"]);
    assert_eq!(e["metrics"]["test"]["accuracy"], ft["test"]["accuracy"]);

    // Bad input: exit 2, nothing recorded.
    env.refused(
        &[
            "finetune",
            "--from",
            "low",
            "--dataset",
            "breast-cancer",
            "--out",
            "x",
        ],
        "incompatible input shapes",
    );
    env.refused(
        &[
            "finetune",
            "--from",
            "low",
            "--dataset",
            "high.csv",
            "--freeze",
            "conv9",
            "--out",
            "x",
        ],
        "conv1, conv2, fc, out",
    );
    env.refused(
        &[
            "finetune",
            "--from",
            "low",
            "--dataset",
            "high.csv",
            "--freeze",
            "conv1,conv2,fc,out",
            "--out",
            "x",
        ],
        "something must be left to train",
    );
    env.refused(
        &[
            "finetune",
            "--from",
            "low",
            "--dataset",
            "high.csv",
            "--freeze",
            "out",
            "--out",
            "x",
        ],
        "output layer is new",
    );
}

#[test]
fn augmented_training_holds_up_on_shifted_digits_and_is_recorded() {
    let env = Env::new();
    // Every UCI digit moved one pixel right and down: a shifted test set.
    let mut csv = digits_header();
    for line in &digits_lines() {
        let v: Vec<&str> = line.split(',').collect();
        let mut shifted = vec!["0"; 64];
        for y in 1..8 {
            for x in 1..8 {
                shifted[y * 8 + x] = v[(y - 1) * 8 + x - 1];
            }
        }
        csv.push_str(&format!("{},{}\n", shifted.join(","), v[64]));
    }
    std::fs::write(env.path("shifted.csv"), csv).unwrap();
    env.json(&["train", "digits-cnn", "--out", "plain", "--json"]);
    env.json(&[
        "train",
        "digits-cnn",
        "--augment",
        "shift=1,rotate=10",
        "--out",
        "aug",
        "--json",
    ]);
    let acc = |m: &str| {
        f(
            &env.json(&["eval", "--model", m, "--dataset", "shifted.csv", "--json"])["metrics"]["test"]
                ["accuracy"],
        )
    };
    let (plain, aug) = (acc("plain"), acc("aug"));
    assert!(
        aug > plain + 0.2,
        "augmented {aug} vs plain {plain} on shifted digits"
    );
    let config: Value =
        serde_json::from_slice(&std::fs::read(env.path("aug/config.json")).unwrap()).unwrap();
    assert_eq!(config["augment"]["shift"], 1.0);
    assert_eq!(config["augment"]["rotate"], 10.0);
    for (spec, task, needle) in [
        ("blur=1", "digits-cnn", "one of the augmentations"),
        ("shift=20", "digits-cnn", "shift from 0 to 8"),
        ("rotate=10", "tabular-mlp", "are for digits-cnn images"),
    ] {
        env.refused(&["train", task, "--augment", spec], needle);
    }
}

/// The rows of the bundled UCI digits (64 pixels then the digit), as their CSV lines.
fn digits_lines() -> Vec<String> {
    let gz =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/datasets/digits.csv.gz");
    let out = std::process::Command::new("gzip")
        .arg("-dc")
        .arg(&gz)
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

/// A header row for the digits as a CSV file: p0..p63, label.
fn digits_header() -> String {
    (0..64)
        .map(|i| format!("p{i}"))
        .collect::<Vec<_>>()
        .join(",")
        + ",label\n"
}
