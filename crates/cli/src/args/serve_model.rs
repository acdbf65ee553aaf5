//! `sustain serve-model`.

use std::path::PathBuf;

use clap::Args;
use sustain_serving as serving;

pub(super) const SERVE_MODEL_HELP: &str = "\
Examples:
  sustain serve-model --model models/bc
  sustain serve-model --model models/cnn-int8 --addr 0.0.0.0:8081 --max-batch 128 --max-wait-ms 2
  curl -s localhost:8081/v1/predict -H 'content-type: application/json' -d '{\"rows\": [[0.1, 0.2, ...]]}'
  curl -s localhost:8081/v1/predict -d '{\"texts\": [\"A moving, funny film.\"]}' -H 'content-type: application/json'
  curl -s localhost:8081/v1/generate -d '{\"prompt\": \"And God said\", \"length\": 100}' -H 'content-type: application/json'

Endpoints: POST /v1/predict ({\"rows\": [[...], ...]} for tabular and image models, {\"texts\": [...]}
for text models; answers {\"predictions\": [{\"class\", \"probabilities\"}, ...]}), POST /v1/generate
(char-gpt), GET /healthz, GET /readyz, GET /metrics (Prometheus). Requests are batched: a batch
closes at --max-batch rows or --max-wait-ms after its first request; beyond --queue waiting
requests the server answers 503. SIGTERM or Ctrl-C stops accepting, answers what was accepted,
and records the session as one `serve` run (requests, tokens, energy per request), checkpointed
every --checkpoint-s seconds while it runs. The API has no authentication: it listens on
loopback unless told otherwise. Method: docs/methods/serve-model.md.";

/// Options of `sustain serve-model`.
#[derive(Debug, Args)]
pub struct ServeModelArgs {
    /// The model directory (trained, pruned or quantized).
    #[arg(long, value_name = "DIR")]
    pub model: PathBuf,
    /// Address to listen on (port 0: any free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:8081", value_name = "HOST:PORT")]
    pub addr: String,
    /// Rows at which a batch closes.
    #[arg(long, default_value_t = serving::DEFAULT_MAX_BATCH, value_name = "N")]
    pub max_batch: usize,
    /// Longest a request waits for others to batch with, in milliseconds.
    #[arg(long, default_value_t = serving::DEFAULT_MAX_WAIT_MS, value_name = "MS")]
    pub max_wait_ms: u64,
    /// Requests that may wait for the model; more are answered 503.
    #[arg(long, default_value_t = serving::DEFAULT_QUEUE, value_name = "N")]
    pub queue: usize,
    /// Largest request body in bytes (larger: 413).
    #[arg(long, default_value_t = serving::DEFAULT_MAX_BODY, value_name = "BYTES")]
    pub max_body_bytes: usize,
    /// Seconds between checkpoints of the serve run in the ledger.
    #[arg(long, default_value_t = serving::DEFAULT_CHECKPOINT_S, value_name = "S")]
    pub checkpoint_s: u64,
    /// A tag KEY=VALUE for the run, such as product=chat; repeat for several.
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// Site where it runs, for the footprint.
    #[arg(long, env = "SUSTAIN_SITE", value_name = "ID")]
    pub site: Option<String>,
    /// Print the recorded run as JSON at shutdown.
    #[arg(long)]
    pub json: bool,
}
