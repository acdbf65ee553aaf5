//! Training, evaluation, prediction and generation as Sustain runs them for a user: the dataset
//! chosen from what the user named, defaults from the task, every input checked before the run
//! starts (bad input records nothing), the work metered through a [`StartMeter`] the caller
//! supplies (it decides where the run is recorded), and the artefacts written (checkpoint,
//! metrics, charts, samples). The CLI parses flags into these requests and prints the results.

mod compare;
pub mod data;
mod eval;
mod finetune;
mod generate;
mod optimize;
mod predict;
mod train;

use std::collections::BTreeMap;

use sustain_core::run::{RunKind, RunStatus, RunView};
use sustain_core::sink::RunSink;
use sustain_meter::Background;

pub use compare::{
    BATCH, CompareRequest, Compared, DEFAULT_SECONDS, DEFAULT_SINGLE_CALLS, Latency, Row, compare,
};
pub use eval::{DEFAULT_MIN_GROUP_SIZE, EvalRequest, EvalResult, Evaluated, eval};
pub use finetune::{DEFAULT_FINETUNE_EPOCHS, FinetuneRequest, Finetuned, Training, finetune};
pub use generate::{DEFAULT_LENGTH, DEFAULT_TEMPERATURE, GenerateRequest, Generated, generate};
pub use optimize::{Optimized, PruneRequest, QuantizeRequest, Side, prune, quantize};
pub use predict::{
    PredictRequest, Predicted, Prediction, input_table, predict, prediction, softmax,
};
pub use train::{
    DEFAULT_BATCH_SIZE, DEFAULT_SEED, SAMPLE_CHARS, SAMPLE_TEMPERATURE, TrainRequest, TrainResult,
    TrainedRun, train,
};

use crate::error::{MeterStartError, Result, TrainError};

/// Starts the metering of a piece of work once its inputs are checked. The CLI's
/// implementation records into the ledger at the site the user chose.
pub trait StartMeter {
    /// Where the run is recorded.
    type Sink: RunSink + Send + 'static;
    /// Records the start of a run of `kind` named `name` with `tags`, and starts sampling.
    fn start(
        &self,
        kind: RunKind,
        name: &str,
        tags: BTreeMap<String, String>,
    ) -> std::result::Result<Background<Self::Sink>, MeterStartError>;
}

/// Starts the meter, mapping its error.
fn start<M: StartMeter>(
    meter: &M,
    kind: RunKind,
    name: &str,
    tags: BTreeMap<String, String>,
) -> Result<Background<M::Sink>> {
    meter.start(kind, name, tags).map_err(TrainError::Meter)
}

/// Records the run as failed with `error` as its note, and returns the error to report.
fn fail<S: RunSink>(run: Background<S>, error: TrainError) -> TrainError {
    let id = run.id().to_string();
    match run.finish(RunStatus::Failed, vec![error.to_string()], empty()) {
        Ok(_) => TrainError::RecordedFailed {
            run_id: id,
            error: Box::new(error),
        },
        Err(e) => TrainError::Meter(Box::new(e)),
    }
}

/// Ends the run as succeeded with `outcomes`.
fn succeed<S: RunSink>(
    run: Background<S>,
    notes: Vec<String>,
    outcomes: serde_json::Value,
) -> Result<RunView> {
    run.finish(RunStatus::Succeeded, notes, outcomes)
        .map_err(|e| TrainError::Meter(Box::new(e)))
}

fn empty() -> serde_json::Value {
    serde_json::Value::Object(Default::default())
}

/// Adds the user's `--tag KEY=VALUE` pairs to the tags Sustain sets. A key Sustain sets itself
/// (the model's directory, the dataset's hash) cannot be replaced: the reports rely on them.
pub fn with_user_tags(
    mut tags: BTreeMap<String, String>,
    given: &[String],
) -> Result<BTreeMap<String, String>> {
    for t in given {
        let (k, v) =
            sustain_core::run::parse_tag(t).map_err(|e| TrainError::Input(e.to_string()))?;
        if let Some(ours) = tags.get(&k) {
            return Err(TrainError::Input(format!(
                "--tag {k}=...: Sustain sets the tag {k} itself ({ours}); choose another key"
            )));
        }
        tags.insert(k, v);
    }
    Ok(tags)
}

/// Tags as pairs of string slices.
fn tags<const N: usize>(pairs: [(&str, String); N]) -> BTreeMap<String, String> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}
