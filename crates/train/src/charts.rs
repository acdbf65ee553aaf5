//! The charts written beside a trained model: training curves (`loss.svg`, `accuracy.svg`)
//! and, for images, a grid of test digits with their true and predicted labels (`digits.svg`).

use std::path::Path;

use sustain_core::chart::{Series, Tile, image_grid, line_chart};

use crate::dataset::Tabular;
use crate::error::{Result, TrainError};
use crate::trainer::EpochLog;

fn write(path: &Path, svg: String) -> Result<()> {
    std::fs::write(path, svg).map_err(|source| TrainError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes the charts of `task` from its `history` and, for a classifier, its test split with
/// the predictions the trainer already computed.
pub fn write_charts(
    task: &str,
    history: &[EpochLog],
    test: Option<(&Tabular, &[usize], &[String])>,
    dir: &Path,
) -> Result<()> {
    let series = |name: &str, f: fn(&EpochLog) -> f64| Series {
        name: name.to_string(),
        points: history.iter().map(|h| (h.epoch as f64, f(h))).collect(),
    };
    type Pick = fn(&EpochLog) -> f64;
    let curves: [(&str, &str, Pick, Pick); 2] = [
        ("loss.svg", "loss", |h| h.loss, |h| h.val_loss),
        (
            "accuracy.svg",
            "accuracy",
            |h| h.accuracy,
            |h| h.val_accuracy,
        ),
    ];
    for (file, what, train, val) in curves {
        let chart = line_chart(
            &format!("{task}: {what}"),
            "epoch",
            what,
            &[series("train", train), series("validation", val)],
        );
        write(&dir.join(file), chart)?;
    }
    if let Some((test, pred, classes)) = test
        && test.pixel_max.is_some()
    {
        let side = (test.width() as f64).sqrt() as usize;
        let tiles: Vec<Tile> = (0..test.rows().min(24))
            .map(|i| Tile {
                pixels: test.x[i * test.width()..(i + 1) * test.width()].to_vec(),
                side,
                caption: format!("true {} / pred {}", classes[test.y[i]], classes[pred[i]]),
                alert: pred[i] != test.y[i],
            })
            .collect();
        write(
            &dir.join("digits.svg"),
            image_grid("Test digits: true and predicted labels", &tiles, 8),
        )?;
    }
    Ok(())
}
