//! `tabular-mlp` end to end on the bundled breast cancer data: the accuracy bar, determinism,
//! checkpoints, and failures.

use sustain_train::Task;
use sustain_train::config::{DeviceSpec, Loss, Optimizer, TrainConfig};
use sustain_train::dataset::{Standardizer, Tabular};
use sustain_train::trainer::{device, evaluate, load, logits, prepare, save, train_tabular};

fn config(optimizer: Optimizer, lr: f64, epochs: usize, batch: usize, loss: Loss) -> TrainConfig {
    TrainConfig {
        task: Task::TabularMlp,
        dataset: "breast-cancer".into(),
        dataset_sha256: String::new(),
        seed: 42,
        epochs,
        batch_size: batch,
        optimizer,
        lr,
        loss,
        inputs: 0,
        classes: vec![],
        standardizer: Standardizer {
            mean: vec![],
            std: vec![],
        },
        device: DeviceSpec::Cpu,
        vocab: None,
        gpt: None,
        widths: None,
        augment: None,
        parent: None,
        pruning: None,
        quantization: None,
    }
}

#[test]
fn reaches_the_bar_is_deterministic_and_round_trips_through_a_checkpoint() {
    sustain_train::set_flush_denormals();
    let data = Tabular::breast_cancer().unwrap();
    let cfg = config(Optimizer::Adam, 1e-3, 30, 32, Loss::CrossEntropy);
    let mut epochs = 0;
    let a = train_tabular(cfg.clone(), &data, |_| epochs += 1).unwrap();
    assert_eq!(epochs, 30);
    assert!(a.test.accuracy >= 0.95, "test accuracy {}", a.test.accuracy);
    assert!(a.history.last().unwrap().loss < a.history[0].loss);
    assert!(a.samples_per_s > 0.0);

    // Same seed, same data, same machine: same metrics and same weights.
    let b = train_tabular(cfg, &data, |_| {}).unwrap();
    assert_eq!(a.test, b.test);
    assert_eq!(
        a.history.iter().map(|h| h.loss).collect::<Vec<_>>(),
        b.history.iter().map(|h| h.loss).collect::<Vec<_>>()
    );
    let dev = device(42);
    let p = prepare(&data, 42).unwrap();
    let (la, lb) = (
        logits(&a.model, &p.test, &dev),
        logits(&b.model, &p.test, &dev),
    );
    assert!(!la.is_empty());
    assert_eq!(la, lb, "same seed, same weights: identical logits");
    let dir = tempfile::tempdir().unwrap();
    save(&a.model, &a.config, &dir.path().join("a")).unwrap();

    // A loaded checkpoint predicts what the trained model predicted.
    let (model, config) = load(&dir.path().join("a"), &dev).unwrap();
    assert_eq!(logits(&model, &p.test, &dev), la);
    let (_, pred_loaded) = evaluate(&model, &p.test, config.loss, &dev);
    let (_, pred_trained) = evaluate(&a.model, &p.test, config.loss, &dev);
    assert_eq!(pred_loaded, pred_trained);

    // A checkpoint for another shape fails with a message.
    let mut wrong = a.config.clone();
    wrong.inputs = 12;
    std::fs::write(
        dir.path().join("a/config.json"),
        serde_json::to_string(&wrong).unwrap(),
    )
    .unwrap();
    let err = load(&dir.path().join("a"), &dev).err().unwrap().to_string();
    assert!(
        err.contains("do not fit") || err.contains("cannot load"),
        "{err}"
    );
    let err = load(&dir.path().join("nowhere"), &dev)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("config.json"), "{err}");
}

#[test]
fn optimizers_and_losses_all_learn() {
    let data = Tabular::breast_cancer().unwrap();
    for (opt, lr, loss) in [
        (Optimizer::Sgd, 0.05, Loss::CrossEntropy),
        (Optimizer::SgdMomentum, 0.01, Loss::Bce),
        (Optimizer::Adamw, 1e-3, Loss::Mse),
    ] {
        let t = train_tabular(config(opt, lr, 15, 32, loss), &data, |_| {}).unwrap();
        assert!(
            t.test.accuracy >= 0.9,
            "{opt:?} {loss:?}: {}",
            t.test.accuracy
        );
    }
}

#[test]
fn a_diverging_learning_rate_stops_with_a_clear_error() {
    let data = Tabular::breast_cancer().unwrap();
    let err = train_tabular(
        config(Optimizer::Sgd, 1e12, 5, 569, Loss::CrossEntropy),
        &data,
        |_| {},
    )
    .err()
    .unwrap()
    .to_string();
    assert!(
        err.contains("diverged") && err.contains("lower --lr"),
        "{err}"
    );
    let err = train_tabular(
        config(Optimizer::Adam, -1.0, 5, 32, Loss::CrossEntropy),
        &data,
        |_| {},
    )
    .err()
    .unwrap()
    .to_string();
    assert!(err.contains("--lr"), "{err}");
}

/// Issue 11: user CSV files are read as CSV: quoted fields with commas, quotes and line breaks,
/// a quoted label equal to an unquoted one, a byte-order mark before the header, CRLF line
/// ends; a `--label` that is not a column is an error, never a fallback.
#[test]
fn user_csv_files_are_read_as_csv() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("quoted.csv");
    std::fs::write(
        &path,
        "\u{feff}\"age, years\",\"income \"\"net\"\"\",\"note\nline\",label\r\n\
         \"41\",\"1,5\",1,yes\r\n\
         30,2,0,\"yes\"\r\n\
         \r\n\
         22,\"3\",1,no\r\n",
    )
    .unwrap();
    // "1,5" is one field (not a number, so named as such), and not two. The header spans
    // lines 1 and 2 (a quoted line break), so the first row is line 3.
    let e = Tabular::from_csv(&path, None).unwrap_err().to_string();
    assert!(e.contains("line 3, column 'income \"net\"'"), "{e}");
    assert!(e.contains("\"1,5\" is not a number"), "{e}");

    std::fs::write(
        &path,
        "\u{feff}\"age, years\",\"note\nline\",label\r\n\"41\",1,yes\r\n30,0,\"yes\"\r\n\r\n22,1,no\r\n",
    )
    .unwrap();
    let t = Tabular::from_csv(&path, None).unwrap();
    // The BOM does not hide the `label` column: it is the label, not a feature.
    assert_eq!(t.features, vec!["age, years", "note\nline"]);
    // "yes" quoted and yes unquoted are one class.
    assert_eq!(t.classes, vec!["no", "yes"]);
    assert_eq!(t.y, vec![1, 1, 0]);
    assert_eq!(t.x, vec![41.0, 1.0, 30.0, 0.0, 22.0, 1.0]);

    let e = Tabular::from_csv(&path, Some("diagnosis"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("has no column 'diagnosis'") && e.contains("age, years"),
        "{e}"
    );

    // A row with too few fields names its line (counted as the file counts them).
    std::fs::write(&path, "a,b,label\r\n1,2,x\r\n3\r\n").unwrap();
    let e = Tabular::from_csv(&path, None).unwrap_err().to_string();
    assert!(e.contains("line 3 has 1 fields, the header has 3"), "{e}");
}
