//! `sustain optimize prune|quantize` and `sustain compare`: parse into the jobs of
//! `sustain-train`, meter them into the ledger, print.

use std::io::IsTerminal;

use anyhow::{Context, Result};
use sustain_meter::Settings;
use sustain_train::int8::Granularity;
use sustain_train::jobs::{self, CompareRequest, FinetuneRequest, PruneRequest, QuantizeRequest};
use sustain_train::optimize::Freeze;
use sustain_train::summary;

use super::metered::LedgerMeter;
use super::out;
use super::train::epochs_progress;
use crate::args::{CompareArgs, FinetuneArgs, OptimizeCommand};

/// `sustain optimize`.
pub fn optimize(cmd: OptimizeCommand, settings: &Settings) -> Result<i32> {
    let (done, json) = match cmd {
        OptimizeCommand::Prune(args) => {
            let meter = LedgerMeter::new(settings, args.site.as_deref());
            let req = PruneRequest {
                kind: args.kind(),
                model: args.model,
                sparsity: args.sparsity,
                scope: args.scope,
                finetune_epochs: args.finetune_epochs,
                lr: args.lr,
                out: args.out,
                tags: args.tags,
            };
            let (pb, mut on_epoch) = epochs_progress(args.json);
            let done = jobs::prune(req, &meter, &mut on_epoch);
            pb.finish_and_clear();
            (done?, args.json)
        }
        OptimizeCommand::Quantize(args) => {
            let meter = LedgerMeter::new(settings, args.site.as_deref());
            let req = QuantizeRequest {
                model: args.model,
                granularity: if args.per_channel {
                    Granularity::PerChannel
                } else {
                    Granularity::PerTensor
                },
                calibrate: args.calibrate,
                out: args.out,
                tags: args.tags,
            };
            (jobs::quantize(req, &meter)?, args.json)
        }
    };
    if json {
        out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&done.json())?
        ))?;
    } else {
        out(&summary::optimized(&done))?;
    }
    Ok(crate::exit::OK)
}

/// `sustain finetune`.
pub fn finetune(args: FinetuneArgs, settings: &Settings) -> Result<i32> {
    let meter = LedgerMeter::new(settings, args.site.as_deref());
    let req = FinetuneRequest {
        from: args.from,
        dataset: args.dataset,
        label: args.label,
        text_column: args.text_column,
        freeze: if args.freeze_all_but_head {
            Freeze::AllButHead
        } else if args.freeze.is_empty() {
            Freeze::Nothing
        } else {
            Freeze::Layers(args.freeze)
        },
        epochs: Some(args.epochs),
        lr: args.lr,
        out: args.out,
        scratch: args.compare_scratch,
        scratch_max_epochs: args.scratch_max_epochs,
        tags: args.tags,
    };
    let (pb, mut on_epoch) = epochs_progress(args.json);
    let done = jobs::finetune(req, &meter, &mut on_epoch);
    pb.finish_and_clear();
    let done = done?;
    if args.json {
        out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&done.json())?
        ))?;
    } else {
        out(&summary::finetuned(&done))?;
    }
    Ok(crate::exit::OK)
}

/// `sustain compare`.
pub fn compare(args: CompareArgs, settings: &Settings) -> Result<i32> {
    let meter = LedgerMeter::new(settings, args.site.as_deref());
    let req = CompareRequest {
        models: args.models,
        dataset: args.dataset,
        label: args.label,
        single_calls: args.single_calls,
        seconds: args.seconds,
        tags: args.tags,
    };
    let tty = std::io::stderr().is_terminal() && !args.json;
    if tty {
        eprintln!(
            "sustain: measuring {} models (at least {} s each at batch 256, {} single-row calls)…",
            req.models.len(),
            req.seconds,
            req.single_calls
        );
    }
    let done = jobs::compare(req, &meter)?;
    if let Some(path) = &args.svg {
        std::fs::write(path, done.svg())
            .with_context(|| format!("cannot write the chart to {}", path.display()))?;
    }
    if args.json {
        out(&format!("{}\n", serde_json::to_string_pretty(&done)?))?;
    } else {
        out(&summary::compared(&done))?;
        if let Some(path) = &args.svg {
            eprintln!("sustain: chart written to {}", path.display());
        }
    }
    Ok(crate::exit::OK)
}
