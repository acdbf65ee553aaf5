//! `text-lstm` and `char-gpt`: checkpoints round-trip, runs are deterministic, and the bundled
//! corpus trains `char-gpt` below its unigram baseline.

use sustain_train::Task;
use sustain_train::config::{DeviceSpec, Loss, Optimizer, TrainConfig};
use sustain_train::dataset::Standardizer;
use sustain_train::gpt::GptShape;
use sustain_train::lm::{self, Corpus};
use sustain_train::text::TextData;
use sustain_train::trainer::{
    Model, device, evaluate, load, logits, prepare_text, save, train_text,
};

fn config(task: Task, epochs: usize, lr: f64) -> TrainConfig {
    TrainConfig {
        task,
        dataset: "test".into(),
        dataset_sha256: String::new(),
        seed: 7,
        epochs,
        batch_size: 16,
        optimizer: Optimizer::Adam,
        lr,
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

/// Short reviews whose words carry their label, written for this test.
fn reviews() -> TextData {
    let good = [
        "a moving and funny film",
        "beautifully acted, warm and wise",
        "a joy: funny, moving, smart",
        "smart and warm",
        "wise, funny and beautifully made",
    ];
    let bad = [
        "dull and overlong",
        "a tedious, badly written mess",
        "badly acted and dull",
        "overlong, tedious and flat",
        "a flat, dull mess",
    ];
    let mut texts = Vec::new();
    let mut y = Vec::new();
    for i in 0..60 {
        texts.push(format!(
            "{} {}",
            good[i % 5],
            ["", "indeed", "really"][i % 3]
        ));
        y.push(0);
        texts.push(format!(
            "{} {}",
            bad[i % 5],
            ["", "indeed", "really"][i % 3]
        ));
        y.push(1);
    }
    TextData {
        name: "reviews".into(),
        source: "test".into(),
        sha256: String::new(),
        texts,
        y,
        classes: vec!["fresh".into(), "rotten".into()],
    }
}

#[test]
fn text_lstm_learns_round_trips_and_is_deterministic() {
    sustain_train::set_flush_denormals();
    let data = reviews();
    let a = train_text(config(Task::TextLstm, 8, 3e-3), &data, |_| {}).unwrap();
    assert!(a.test.accuracy >= 0.9, "accuracy {}", a.test.accuracy);
    let b = train_text(config(Task::TextLstm, 8, 3e-3), &data, |_| {}).unwrap();
    let dev = device(0);
    let vocab = a.config.vocab.clone().unwrap();
    let (p, _) = prepare_text(&data, a.config.seed, Some(&vocab)).unwrap();
    assert_eq!(
        logits(&a.model, &p.test, &dev),
        logits(&b.model, &p.test, &dev)
    );

    let dir = tempfile::tempdir().unwrap();
    save(&a.model, &a.config, dir.path()).unwrap();
    let (model, config) = load(dir.path(), &dev).unwrap();
    assert_eq!(config.vocab.as_ref(), Some(&vocab));
    let before = logits(&a.model, &p.test, &dev);
    let after = logits(&model, &p.test, &dev);
    for (x, y) in before.iter().zip(&after) {
        assert!((x - y).abs() < 1e-5, "{x} vs {y}");
    }
    let (_, pred) = evaluate(&model, &p.test, config.loss, &dev);
    assert_eq!(pred, a.test_predictions);
}

#[test]
fn char_gpt_beats_the_unigram_baseline_round_trips_and_generates() {
    sustain_train::set_flush_denormals();
    let full = Corpus::kjv_pentateuch().unwrap();
    assert_eq!(full.text.lines().count(), 5852);
    // Genesis alone, to keep the test short.
    let genesis: String = full.text.lines().take(1533).collect::<Vec<_>>().join("\n");
    let corpus = Corpus {
        text: genesis,
        ..full
    };
    let mut c = config(Task::CharGpt, 1, 3e-3);
    c.batch_size = 32;
    c.gpt = Some(GptShape {
        d_model: 48,
        layers: 1,
        heads: 4,
        context: 32,
    });
    let t = lm::train_lm(c, &corpus, |_| {}).unwrap();
    assert!(
        t.val.unigram_loss > 2.5 && t.val.unigram_loss < 3.5,
        "{:?}",
        t.val
    );
    assert!(t.val.loss < t.val.unigram_loss * 0.85, "{:?}", t.val);
    let Model::Gpt(gpt) = &t.model else { panic!() };
    let vocab = t.config.vocab.clone().unwrap();
    let dev = device(0);
    let a = lm::generate(gpt, &vocab, "And God said", 80, 0.8, 1, &dev);
    let b = lm::generate(gpt, &vocab, "And God said", 80, 0.8, 1, &dev);
    assert_eq!(a.chars().count(), 80);
    assert_eq!(a, b);

    let dir = tempfile::tempdir().unwrap();
    save(&t.model, &t.config, dir.path()).unwrap();
    let (model, _) = load(dir.path(), &dev).unwrap();
    let Model::Gpt(loaded) = &model else { panic!() };
    assert_eq!(
        lm::generate(loaded, &vocab, "And God said", 80, 0.8, 1, &dev),
        a
    );
}
