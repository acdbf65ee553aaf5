//! # sustain-train
//!
//! Models that Sustain trains itself, on burn 0.22 (CPU backend `flex`), so that the footprint of
//! training is measured where it happens. This crate holds the datasets, models, loop, metrics
//! and checkpoints; the CLI meters a run and records it in the ledger.
//!
//! Tasks: `tabular-mlp` (breast cancer, or any CSV with a label column), `digits-cnn` (UCI 8x8
//! digits, an MNIST 5k subset, MNIST IDX files), `text-lstm` (Rotten Tomatoes snippets, or any
//! CSV/JSONL of labelled texts) and `char-gpt` (a King James Pentateuch, or any plain text).
//! Four optimizers, three losses, deterministic splits and batches from a seed, metrics and
//! safetensors checkpoints.

pub mod augment;
pub mod charts;
pub mod cnn;
pub mod config;
pub mod dataset;
pub mod error;
pub mod fairness;
pub mod gpt;
pub mod int8;
pub mod jobs;
pub mod lm;
pub mod lstm;
pub mod metrics;
pub mod mlp;
pub mod model;
pub mod optimize;
pub mod runtime;
pub mod summary;
pub mod task;
pub mod text;
pub mod trainer;

pub use error::{Result, TrainError};
pub use task::Task;

/// Sets the flush-to-zero and denormals-are-zero flags of this thread's floating-point unit.
/// Threads created afterwards (burn's rayon pool) inherit them. Without them, training slows
/// several times once gradients become tiny. Call at process start, before any tensor work.
pub fn set_flush_denormals() {
    #[cfg(target_arch = "x86_64")]
    {
        let mut csr: u32 = 0;
        // SAFETY: stmxcsr/ldmxcsr read and write this thread's MXCSR register through a valid
        // pointer to a local; bits 15 (FTZ) and 6 (DAZ) change only denormal handling.
        unsafe {
            std::arch::asm!("stmxcsr [{}]", in(reg) &mut csr, options(nostack));
            csr |= 0x8040;
            std::arch::asm!("ldmxcsr [{}]", in(reg) &csr, options(nostack));
        }
    }
}
