//! One serving session: the model loaded on its worker, the HTTP API on a listener, and one
//! metered `serve` run from start to shutdown, checkpointed while it runs.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use serde_json::{Value, json};
use sustain_core::run::{RunKind, RunStatus, RunView};
use sustain_train::jobs::{StartMeter, with_user_tags};
use tokio::net::TcpListener;

use crate::error::{Result, ServeError};
use crate::http::{AppState, app};
use crate::metrics::{Counts, Metrics};
use crate::worker::{self, Batching};

/// Default rows at which a batch closes.
pub const DEFAULT_MAX_BATCH: usize = 64;
/// Default longest wait for a batch to fill, in milliseconds.
pub const DEFAULT_MAX_WAIT_MS: u64 = 5;
/// Default requests that may wait.
pub const DEFAULT_QUEUE: usize = 1024;
/// Default largest request body, bytes.
pub const DEFAULT_MAX_BODY: usize = 1 << 20;
/// Default seconds between checkpoints of the run.
pub const DEFAULT_CHECKPOINT_S: u64 = 10;

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The model directory.
    pub model: PathBuf,
    /// Batching.
    pub batching: Batching,
    /// Largest request body in bytes (larger: 413).
    pub max_body: usize,
    /// Time between checkpoints of the run.
    pub checkpoint_every: Duration,
    /// User tags of the run.
    pub tags: Vec<String>,
}

/// A finished serving session.
#[derive(Debug, Clone)]
pub struct Served {
    /// The `serve` run as recorded.
    pub view: RunView,
    /// What was counted.
    pub counts: Counts,
}

impl Served {
    /// Energy per answered request (Wh), when any was answered.
    pub fn energy_wh_per_request(&self) -> Option<f64> {
        let wh = self.view.json().energy.total_wh?;
        (self.counts.requests > 0).then(|| wh / self.counts.requests as f64)
    }

    /// Location-based carbon per answered request (g).
    pub fn co2e_g_per_request(&self) -> Option<f64> {
        let g = self.view.json().co2e.location_g?;
        (self.counts.requests > 0).then(|| g / self.counts.requests as f64)
    }
}

/// The run's outcomes from the counters (and, at the end, its final energy).
fn outcomes(
    model: &str,
    precision: &str,
    b: &Batching,
    c: &Counts,
    energy_wh: Option<f64>,
) -> Value {
    let mut o = json!({
        "requests": c.requests,
        "tokens": c.tokens,
        "inferences": c.inferences,
        "client_errors": c.client_errors,
        "server_errors": c.server_errors,
        "rejected": c.rejected,
        "batches": c.batches,
        "mean_batch_rows": c.mean_batch,
        "model_path": model,
        "precision": precision,
        "max_batch": b.max_batch,
        "max_wait_ms": b.max_wait.as_secs_f64() * 1e3,
    });
    if let Some(wh) = energy_wh
        && c.requests > 0
    {
        o["energy_wh_per_request"] = json!(wh / c.requests as f64);
    }
    o
}

/// Serves `opts.model` on `listener` until `shutdown` resolves, metered by `meter` as one
/// `serve` run; `on_ready` is told the address once the model is loaded and the run started.
/// At shutdown the listener stops accepting, accepted requests are answered, the queue is
/// drained, and the run ends with its counts.
pub async fn serve<M: StartMeter>(
    opts: ServeOptions,
    meter: &M,
    listener: TcpListener,
    on_ready: impl FnOnce(SocketAddr),
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Served> {
    let b = opts.batching;
    if b.max_batch == 0 || b.queue == 0 || opts.max_body == 0 {
        return Err(ServeError::bad(
            "--max-batch, --queue and --max-body-bytes must be at least 1",
        ));
    }
    let addr = listener
        .local_addr()
        .map_err(|e| ServeError::Start(format!("the listener has no address: {e}")))?;
    let metrics = Arc::new(Metrics::default());
    // The model loads before the run starts: a directory that is not a model records nothing.
    let (queue, config, precision, worker) =
        worker::start(opts.model.clone(), b, Arc::clone(&metrics))?;
    let model = opts.model.display().to_string();
    let mut tags = BTreeMap::new();
    for (k, v) in [
        ("task", config.task.to_string()),
        ("model", model.clone()),
        ("precision", precision.to_string()),
        ("addr", addr.to_string()),
    ] {
        tags.insert(k.to_string(), v);
    }
    let tags = with_user_tags(tags, &opts.tags).map_err(|e| ServeError::bad(e.to_string()))?;
    let run = meter
        .start(RunKind::Serve, config.task.as_str(), tags)
        .map_err(|e| ServeError::Start(e.to_string()))?;
    let ready = Arc::new(AtomicBool::new(true));
    let state = AppState {
        config: Arc::new(config),
        model: model.clone().into(),
        precision,
        queue,
        metrics: Arc::clone(&metrics),
        ready: Arc::clone(&ready),
    };

    // Checkpoints, and the energy gauge, while serving.
    let (stop_tx, mut stop_rx) = tokio::sync::oneshot::channel::<()>();
    let (cm, cmodel) = (Arc::clone(&metrics), model.clone());
    let every = opts.checkpoint_every.max(Duration::from_secs(1));
    let checkpointer = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        let mut last = tokio::time::Instant::now();
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    cm.set_energy_wh(run.energy_so_far().wh());
                    if last.elapsed() >= every {
                        run.checkpoint(outcomes(&cmodel, precision, &b, &cm.counts(), None));
                        last = tokio::time::Instant::now();
                    }
                }
                _ = &mut stop_rx => break,
            }
        }
        run
    });
    on_ready(addr);
    let served = axum::serve(listener, app(state, opts.max_body))
        .with_graceful_shutdown(async move {
            shutdown.await;
            ready.store(false, std::sync::atomic::Ordering::Relaxed);
        })
        .await;
    // Every handler (and its queue sender) is gone: the worker drains the queue and ends.
    let _ = tokio::task::spawn_blocking(move || worker.join()).await;
    let _ = stop_tx.send(());
    let run = checkpointer
        .await
        .map_err(|e| ServeError::Start(format!("the checkpoint task failed: {e}")))?;
    let counts = metrics.counts();
    let (status, notes) = match &served {
        Ok(()) => (RunStatus::Succeeded, vec![]),
        Err(e) => (RunStatus::Failed, vec![format!("serving stopped: {e}")]),
    };
    let view = run
        .finish_with(status, notes, |energy| {
            outcomes(&model, precision, &b, &counts, Some(energy.wh()))
        })
        .map_err(|e| ServeError::Start(format!("the serve run could not be recorded: {e}")))?;
    served.map_err(|e| ServeError::Start(format!("serving failed: {e}")))?;
    Ok(Served { view, counts })
}
