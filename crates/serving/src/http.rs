//! The HTTP API: `POST /v1/predict`, `POST /v1/generate`, `GET /healthz`, `GET /readyz`,
//! `GET /metrics`. Bodies over the limit are 413; malformed JSON, unknown fields and inputs
//! that do not fit the model are 400 with a message; a full queue is 503.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use sustain_train::config::TrainConfig;
use sustain_train::jobs::prediction;
use tokio::sync::oneshot;

use crate::error::{Result, ServeError};
use crate::inputs::{self, GenerateBody, PredictBody};
use crate::metrics::Metrics;
use crate::worker::{Queue, Work};

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    /// The model's configuration (classes, inputs, standardizer, vocabulary).
    pub config: Arc<TrainConfig>,
    /// The model's directory, as given.
    pub model: Arc<str>,
    /// `f32` or `int8`.
    pub precision: &'static str,
    /// The batching queue.
    pub queue: Queue,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// False once shutdown has begun.
    pub ready: Arc<AtomicBool>,
}

/// The router, with bodies limited to `max_body` bytes.
pub fn app(state: AppState, max_body: usize) -> Router {
    Router::new()
        .route("/v1/predict", post(predict))
        .route("/v1/generate", post(generate))
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(state)
}

/// A JSON body, or the rejection as a 4xx with axum's explanation (413 over the limit).
fn body<T>(b: std::result::Result<Json<T>, JsonRejection>) -> Result<T> {
    b.map(|Json(t)| t).map_err(|r| ServeError::BadRequest {
        status: r.status(),
        message: r.body_text(),
    })
}

/// Answers with `result` and counts it under `endpoint`.
fn answer(s: &AppState, endpoint: &'static str, t0: Instant, result: Result<Value>) -> Response {
    let resp = match result {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    };
    s.metrics
        .request(endpoint, resp.status().as_u16(), t0.elapsed());
    resp
}

async fn predict(
    State(s): State<AppState>,
    b: std::result::Result<Json<PredictBody>, JsonRejection>,
) -> Response {
    let t0 = Instant::now();
    let result = async {
        let rows = inputs::rows(&s.config, body(b)?)?;
        let (reply, rx) = oneshot::channel();
        s.queue.submit(Work::Logits {
            x: rows.x,
            n: rows.n,
            reply,
        })?;
        let logits = rx
            .await
            .map_err(|_| ServeError::Unavailable("the server is stopping".into()))?
            .map_err(ServeError::Internal)?;
        s.metrics.tokens(rows.tokens);
        let predictions: Vec<_> = logits
            .chunks(s.config.classes.len().max(1))
            .map(|l| prediction(l, &s.config.classes))
            .collect();
        Ok(json!({"predictions": predictions}))
    }
    .await;
    answer(&s, "predict", t0, result)
}

async fn generate(
    State(s): State<AppState>,
    b: std::result::Result<Json<GenerateBody>, JsonRejection>,
) -> Response {
    let t0 = Instant::now();
    let result = async {
        let (prompt, length, temperature, seed) = inputs::generation(&s.config, body(b)?)?;
        let (reply, rx) = oneshot::channel();
        s.queue.submit(Work::Generate {
            prompt: prompt.clone(),
            length,
            temperature,
            seed,
            reply,
        })?;
        let text = rx
            .await
            .map_err(|_| ServeError::Unavailable("the server is stopping".into()))?
            .map_err(ServeError::Internal)?;
        Ok(json!({"prompt": prompt, "text": text, "length": length}))
    }
    .await;
    answer(&s, "generate", t0, result)
}

async fn readyz(State(s): State<AppState>) -> Response {
    if s.ready.load(Ordering::Relaxed) {
        Json(json!({"status": "ready", "model": &*s.model, "task": s.config.task.as_str(), "precision": s.precision})).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "stopping"})),
        )
            .into_response()
    }
}

async fn metrics(State(s): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        s.metrics.render(),
    )
        .into_response()
}
