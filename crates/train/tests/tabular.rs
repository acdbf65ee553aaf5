//! `tabular-mlp` end to end on the bundled breast cancer data: the accuracy bar, determinism,
//! checkpoints, and failures.

use sustain_train::config::{Loss, Optimizer, TrainConfig};
use sustain_train::dataset::{Standardizer, Tabular};
use sustain_train::trainer::{device, evaluate, load, logits, prepare, save, train_tabular};

fn config(optimizer: Optimizer, lr: f64, epochs: usize, batch: usize, loss: Loss) -> TrainConfig {
    TrainConfig {
        task: "tabular-mlp".into(),
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
        device: "cpu".into(),
        vocab: None,
        gpt: None,
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
