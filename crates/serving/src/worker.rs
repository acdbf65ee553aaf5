//! Dynamic micro-batching. Requests wait in a bounded queue; one worker thread, which owns the
//! model, takes the first request, then keeps taking requests until the batch holds
//! `max_batch` rows or `max_wait` has passed since the first, runs the model once on all of
//! their rows, and answers each request with its own rows' logits. A request is never split
//! (one larger than `max_batch` runs alone). A full queue refuses at once (503), so memory stays
//! bounded under overload; when every sender is gone the worker finishes what is queued and
//! ends. Text generation (`char-gpt`) goes through the same queue, one request at a time.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sustain_train::config::TrainConfig;
use sustain_train::lm;
use sustain_train::runtime::{self, Engine, Loaded};
use sustain_train::trainer::Model;
use tokio::sync::oneshot;

use crate::error::{Result, ServeError};
use crate::metrics::Metrics;

/// How requests are batched.
#[derive(Debug, Clone, Copy)]
pub struct Batching {
    /// Rows at which a batch closes.
    pub max_batch: usize,
    /// Longest a first request waits for others.
    pub max_wait: Duration,
    /// Requests that may wait; more are refused with 503.
    pub queue: usize,
}

/// Work for the model.
pub enum Work {
    /// Logits of `n` rows.
    Logits {
        /// `[n × inputs]`.
        x: Vec<f32>,
        /// Rows.
        n: usize,
        /// Where the logits go.
        reply: oneshot::Sender<std::result::Result<Vec<f32>, String>>,
    },
    /// Text after a prompt.
    Generate {
        /// Prompt.
        prompt: String,
        /// Characters.
        length: usize,
        /// Temperature.
        temperature: f64,
        /// Seed.
        seed: u64,
        /// Where the text goes.
        reply: oneshot::Sender<std::result::Result<String, String>>,
    },
}

/// The sending side of the queue.
#[derive(Clone)]
pub struct Queue {
    tx: SyncSender<Work>,
    metrics: Arc<Metrics>,
    capacity: usize,
}

impl Queue {
    /// Queues `work`, or refuses it at once when the queue is full.
    pub fn submit(&self, work: Work) -> Result<()> {
        self.metrics.queue_depth.fetch_add(1, Ordering::Relaxed);
        match self.tx.try_send(work) {
            Ok(()) => Ok(()),
            Err(e) => {
                self.metrics.queue_depth.fetch_sub(1, Ordering::Relaxed);
                Err(match e {
                    TrySendError::Full(_) => {
                        self.metrics.rejected();
                        ServeError::Unavailable(format!(
                            "the queue is full ({} requests waiting): retry after a short wait",
                            self.capacity
                        ))
                    }
                    TrySendError::Disconnected(_) => {
                        ServeError::Unavailable("the server is stopping".into())
                    }
                })
            }
        }
    }
}

/// Loads the model in `dir` on a new worker thread and starts batching. Returns the queue, the
/// model's configuration and precision, and the thread (which ends once every [`Queue`] is
/// dropped and the queue is drained).
pub fn start(
    dir: PathBuf,
    batching: Batching,
    metrics: Arc<Metrics>,
) -> Result<(Queue, TrainConfig, &'static str, JoinHandle<()>)> {
    let (tx, rx) = mpsc::sync_channel::<Work>(batching.queue.max(1));
    let (ready_tx, ready_rx) = mpsc::channel();
    let m = Arc::clone(&metrics);
    let handle = std::thread::Builder::new()
        .name("sustain-model".into())
        .spawn(move || {
            sustain_train::set_flush_denormals();
            let loaded = match runtime::open(&dir) {
                Ok(l) => {
                    let _ = ready_tx.send(Ok((l.config.clone(), l.precision().as_str())));
                    l
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e.to_string()));
                    return;
                }
            };
            run(&loaded, &rx, batching, &m);
        })
        .map_err(|e| ServeError::Start(format!("cannot start the model thread: {e}")))?;
    let (config, precision) = ready_rx
        .recv()
        .map_err(|_| ServeError::Start("the model thread stopped while loading".into()))?
        .map_err(ServeError::Model)?;
    let queue = Queue {
        tx,
        metrics,
        capacity: batching.queue,
    };
    Ok((queue, config, precision, handle))
}

/// The worker's loop.
fn run(loaded: &Loaded, rx: &Receiver<Work>, b: Batching, metrics: &Metrics) {
    let taken = || metrics.queue_depth.fetch_sub(1, Ordering::Relaxed);
    while let Ok(first) = rx.recv() {
        taken();
        let mut batch = Vec::new();
        let mut later = Vec::new();
        let mut rows = 0;
        match first {
            Work::Logits { x, n, reply } => {
                rows += n;
                batch.push((x, n, reply));
            }
            generate => later.push(generate),
        }
        let deadline = Instant::now() + b.max_wait;
        while !batch.is_empty() && rows < b.max_batch {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(Work::Logits { x, n, reply }) => {
                    taken();
                    rows += n;
                    batch.push((x, n, reply));
                }
                Ok(generate) => {
                    taken();
                    later.push(generate);
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
            }
        }
        if !batch.is_empty() {
            run_batch(loaded, batch, rows, metrics);
        }
        for w in later {
            if let Work::Generate {
                prompt,
                length,
                temperature,
                seed,
                reply,
            } = w
            {
                let text = generate(loaded, &prompt, length, temperature, seed);
                if text.is_ok() {
                    metrics.inferences(length as u64);
                    metrics.tokens(length as u64);
                }
                let _ = reply.send(text);
            }
        }
    }
}

type Pending = (
    Vec<f32>,
    usize,
    oneshot::Sender<std::result::Result<Vec<f32>, String>>,
);

fn run_batch(loaded: &Loaded, batch: Vec<Pending>, rows: usize, metrics: &Metrics) {
    let x: Vec<f32> = batch
        .iter()
        .flat_map(|(x, _, _)| x.iter().copied())
        .collect();
    let classes = loaded.config.classes.len();
    match loaded.logits(&x, rows) {
        Ok(logits) => {
            metrics.batch(rows);
            let mut at = 0;
            for (_, n, reply) in batch {
                let _ = reply.send(Ok(logits[at..at + n * classes].to_vec()));
                at += n * classes;
            }
        }
        Err(e) => {
            for (_, _, reply) in batch {
                let _ = reply.send(Err(e.to_string()));
            }
        }
    }
}

fn generate(
    loaded: &Loaded,
    prompt: &str,
    length: usize,
    temperature: f64,
    seed: u64,
) -> std::result::Result<String, String> {
    let (Engine::F32 { model, device }, Some(vocab)) = (&loaded.engine, &loaded.config.vocab)
    else {
        return Err("the model cannot generate text".into());
    };
    let Model::Gpt(gpt) = model else {
        return Err("the model cannot generate text".into());
    };
    Ok(lm::generate(
        gpt,
        vocab,
        prompt,
        length,
        temperature,
        seed,
        device,
    ))
}
