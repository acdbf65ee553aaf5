//! # sustain-serving
//!
//! `sustain serve-model`: a model trained, pruned or quantized by `sustain-train` behind an
//! HTTP JSON API. Requests are checked ([`inputs`]), queued in a bounded queue and batched
//! dynamically by a worker thread that owns the model ([`worker`]); the API ([`http`]) answers
//! predictions, generated text, health, readiness and Prometheus metrics ([`metrics`]). A
//! session ([`mod@serve`]) is one metered `serve` run in the ledger, checkpointed while it runs and
//! ended at a graceful shutdown with its requests, tokens and energy per request. Method:
//! `docs/methods/serve-model.md`.

pub mod error;
pub mod http;
pub mod inputs;
pub mod metrics;
pub mod serve;
pub mod worker;

pub use error::{Result, ServeError};
pub use serve::{
    DEFAULT_CHECKPOINT_S, DEFAULT_MAX_BATCH, DEFAULT_MAX_BODY, DEFAULT_MAX_WAIT_MS, DEFAULT_QUEUE,
    ServeOptions, Served, serve,
};
pub use worker::Batching;
