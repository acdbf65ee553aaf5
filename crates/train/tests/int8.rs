//! The int8 path on a trained model: `tabular-mlp` on the bundled breast cancer data, its
//! weights quantized per channel and per tensor, run with int8 × int8 → int32 products,
//! against the f32 model on the same held-out rows.

use sustain_train::Task;
use sustain_train::config::{DeviceSpec, Loss, Optimizer, TrainConfig};
use sustain_train::dataset::{Standardizer, Tabular};
use sustain_train::int8::{Granularity, QCnn, QMlp};
use sustain_train::trainer::{Model, device, logits, train_tabular};

fn argmax(row: &[f32]) -> usize {
    (0..row.len())
        .max_by(|&a, &b| row[a].total_cmp(&row[b]))
        .unwrap()
}

fn config(task: Task, dataset: &str, epochs: usize) -> TrainConfig {
    TrainConfig {
        task,
        dataset: dataset.into(),
        dataset_sha256: String::new(),
        seed: 42,
        epochs,
        batch_size: 32,
        optimizer: Optimizer::Adam,
        lr: 1e-3,
        loss: Loss::CrossEntropy,
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
fn an_int8_mlp_agrees_with_its_f32_model_on_held_out_rows() {
    sustain_train::set_flush_denormals();
    let data = Tabular::breast_cancer().unwrap();
    let trained =
        train_tabular(config(Task::TabularMlp, "breast-cancer", 30), &data, |_| {}).unwrap();
    let Model::Mlp(mlp) = &trained.model else {
        panic!("tabular-mlp trains an MLP")
    };
    let test = &trained.test_split;
    let rows = test.rows();
    let classes = trained.config.classes.len();
    let f32_logits = logits(&trained.model, test, &device(42));
    assert_eq!(f32_logits.len(), rows * classes);
    let f32_pred: Vec<usize> = f32_logits.chunks(classes).map(argmax).collect();
    let f32_acc = f32_pred.iter().zip(&test.y).filter(|(p, y)| p == y).count() as f64 / rows as f64;
    for granularity in [Granularity::PerChannel, Granularity::PerTensor] {
        let q = QMlp::from_mlp(mlp, granularity).unwrap();
        let q_logits = q.logits(&test.x, rows).unwrap();
        let q_pred: Vec<usize> = q_logits.chunks(classes).map(argmax).collect();
        let agree =
            q_pred.iter().zip(&f32_pred).filter(|(a, b)| a == b).count() as f64 / rows as f64;
        let q_acc = q_pred.iter().zip(&test.y).filter(|(p, y)| p == y).count() as f64 / rows as f64;
        // Same class for at least 98 % of rows, accuracy within two points of f32.
        assert!(
            agree >= 0.98,
            "{granularity:?}: {agree} of predictions agree"
        );
        assert!(
            (q_acc - f32_acc).abs() <= 0.02,
            "{granularity:?}: int8 {q_acc}, f32 {f32_acc}"
        );
        // A quarter of the f32 weights' bytes, plus scales and biases.
        let f32_bytes: usize = mlp
            .dense_layers()
            .iter()
            .map(|d| 4 * (d.weights.len() + d.bias.as_ref().map_or(0, Vec::len)))
            .sum();
        assert!(
            q.size_bytes() * 3 < f32_bytes,
            "{} vs {f32_bytes}",
            q.size_bytes()
        );
        println!(
            "{granularity:?}: agreement {agree:.4}, accuracy int8 {q_acc:.4} f32 {f32_acc:.4}, {} B vs {f32_bytes} B",
            q.size_bytes()
        );
    }
}

#[test]
fn an_int8_cnn_agrees_with_its_f32_model_on_held_out_digits() {
    sustain_train::set_flush_denormals();
    let data = Tabular::digits().unwrap();
    let trained = train_tabular(config(Task::DigitsCnn, "digits", 8), &data, |_| {}).unwrap();
    let Model::Cnn(cnn) = &trained.model else {
        panic!("digits-cnn trains a CNN")
    };
    let test = &trained.test_split;
    let (rows, classes) = (test.rows(), trained.config.classes.len());
    let f32_pred: Vec<usize> = logits(&trained.model, test, &device(42))
        .chunks(classes)
        .map(argmax)
        .collect();
    let f32_acc = f32_pred.iter().zip(&test.y).filter(|(p, y)| p == y).count() as f64 / rows as f64;
    assert!(f32_acc > 0.9, "the f32 model learned: {f32_acc}");
    let q = QCnn::from_cnn(cnn, Granularity::PerChannel).unwrap();
    let q_pred: Vec<usize> = q
        .logits(&test.x, rows)
        .unwrap()
        .chunks(classes)
        .map(argmax)
        .collect();
    let agree = q_pred.iter().zip(&f32_pred).filter(|(a, b)| a == b).count() as f64 / rows as f64;
    let q_acc = q_pred.iter().zip(&test.y).filter(|(p, y)| p == y).count() as f64 / rows as f64;
    println!(
        "digits-cnn per channel: agreement {agree:.4}, accuracy int8 {q_acc:.4} f32 {f32_acc:.4}, {} B",
        q.size_bytes()
    );
    assert!(agree >= 0.97, "{agree} of predictions agree");
    assert!(
        (q_acc - f32_acc).abs() <= 0.02,
        "int8 {q_acc}, f32 {f32_acc}"
    );
}
