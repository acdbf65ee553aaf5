//! `sustain train`, `eval`, `predict` and `generate`: parse into the jobs of `sustain-train`,
//! meter them into the ledger (`metered`), print.

use std::io::IsTerminal;

use anyhow::Result;
use sustain_core::text::safe;
use sustain_core::units::Energy;
use sustain_train::gpt::GptShape;
use sustain_train::jobs::{self, EvalRequest, GenerateRequest, PredictRequest, TrainRequest};
use sustain_train::summary;
use sustain_train::trainer::EpochLog;

use super::metered::LedgerMeter;
use super::out;
use crate::args::{EvalArgs, GenerateArgs, PredictArgs, TrainArgs};
use sustain_meter::Settings;

/// `sustain train`.
pub fn train(args: TrainArgs, settings: &Settings) -> Result<i32> {
    let meter = LedgerMeter::new(settings, args.site.as_deref());
    let req = TrainRequest {
        task: args.task,
        dataset: args.dataset,
        label: args.label,
        text_column: args.text_column,
        gpt: GptShape {
            d_model: args.d_model,
            layers: args.layers,
            heads: args.heads,
            context: args.context,
        },
        epochs: args.epochs,
        batch_size: args.batch_size,
        optimizer: args.optimizer,
        lr: args.lr,
        loss: args.loss,
        seed: args.seed,
        device: args.device,
        out: args.out,
        tags: args.tags,
        augment: args.augment,
    };
    let (pb, mut on_epoch) = epochs_progress(args.json);
    let trained = jobs::train(req, &meter, &mut on_epoch);
    pb.finish_and_clear();
    let trained = trained?;
    if args.json {
        out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&trained.json())?
        ))?;
    } else {
        out(&summary::trained(&trained))?;
    }
    Ok(crate::exit::OK)
}

/// A progress bar of epochs on a terminal, and the per-epoch log line on stderr unless `json`.
pub(super) fn epochs_progress(
    json: bool,
) -> (indicatif::ProgressBar, impl FnMut(&EpochLog, Energy, usize)) {
    let tty = std::io::stderr().is_terminal() && !json;
    let pb = if tty {
        indicatif::ProgressBar::new(0).with_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} epochs {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        )
    } else {
        indicatif::ProgressBar::hidden()
    };
    let bar = pb.clone();
    let on_epoch = move |log: &EpochLog, energy: Energy, epochs: usize| {
        if bar.length() != Some(epochs as u64) {
            bar.set_length(epochs as u64);
            bar.set_position(0);
        }
        bar.inc(1);
        if !json {
            let line = summary::epoch_line(log, epochs, energy);
            if tty {
                bar.println(line);
            } else {
                eprintln!("{line}");
            }
        }
    };
    (pb, on_epoch)
}

/// `sustain eval`.
pub fn eval(args: EvalArgs, settings: &Settings) -> Result<i32> {
    let meter = LedgerMeter::new(settings, args.site.as_deref());
    let req = EvalRequest {
        model: args.model,
        dataset: args.dataset,
        label: args.label,
        text_column: args.text_column,
        sensitive: args.sensitive,
        positive: args.positive,
        min_group_size: args.min_group_size,
        tags: args.tags,
    };
    let done = jobs::eval(req, &meter)?;
    if args.json {
        out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&done.json())?
        ))?;
    } else {
        out(&summary::evaluated(&done))?;
    }
    Ok(crate::exit::OK)
}

/// `sustain predict`.
pub fn predict(args: PredictArgs, settings: &Settings) -> Result<i32> {
    let meter = LedgerMeter::new(settings, args.site.as_deref());
    let req = PredictRequest {
        model: args.model,
        inputs: args.inputs,
        tags: args.tags,
    };
    let done = jobs::predict(req, &meter)?;
    if args.json {
        out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&done.json())?
        ))?;
    } else {
        let mut text = String::new();
        for (i, p) in done.predictions.iter().enumerate() {
            text.push_str(&format!(
                "{}\t{}\t(p = {:.3})\n",
                i + 1,
                safe(&p.class),
                p.probability()
            ));
        }
        out(&text)?;
    }
    Ok(crate::exit::OK)
}

/// `sustain generate`.
pub fn generate(args: GenerateArgs, settings: &Settings) -> Result<i32> {
    let meter = LedgerMeter::new(settings, args.site.as_deref());
    let req = GenerateRequest {
        model: args.model,
        prompt: args.prompt,
        length: args.length,
        temperature: args.temperature,
        seed: args.seed,
        tags: args.tags,
    };
    let done = jobs::generate(req, &meter)?;
    if args.json {
        out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&done.json())?
        ))?;
    } else {
        for n in &done.notes {
            eprintln!("sustain: note: {n}");
        }
        out(&format!("{}{}\n", done.prompt, done.text))?;
        eprintln!(
            "sustain: {} characters in {:.2} s, energy {} Wh; run {}",
            done.length,
            done.seconds,
            sustain_core::format::sig(done.view.json().energy.total_wh.unwrap_or(0.0)),
            done.view.start.id
        );
    }
    Ok(crate::exit::OK)
}
