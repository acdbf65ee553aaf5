//! A request id for every request: sent back in `x-request-id`, written in the log lines of the
//! request, and quoted in 500 answers so an operator can find the logged cause.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

tokio::task_local! {
    static REQUEST_ID: String;
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A random prefix per process, so ids of two server runs do not collide in a shared log.
fn prefix() -> &'static str {
    static PREFIX: OnceLock<String> = OnceLock::new();
    PREFIX.get_or_init(|| {
        let mut b = [0u8; 3];
        let _ = getrandom::fill(&mut b);
        b.iter().map(|x| format!("{x:02x}")).collect()
    })
}

/// The id of the request being handled (`-` outside a request).
pub fn current() -> String {
    REQUEST_ID
        .try_with(|id| id.clone())
        .unwrap_or_else(|_| "-".into())
}

/// Middleware: gives the request an id, logs it with its status and time, and returns the id.
pub async fn layer(req: Request, next: Next) -> Response {
    let id = format!(
        "{}-{:06}",
        prefix(),
        COUNTER.fetch_add(1, Ordering::Relaxed) + 1
    );
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let t0 = Instant::now();
    let mut res = REQUEST_ID.scope(id.clone(), next.run(req)).await;
    let ms = t0.elapsed().as_secs_f64() * 1e3;
    let status = res.status();
    if status.is_server_error() {
        tracing::warn!(request_id = %id, %method, %path, status = status.as_u16(), ms, "request failed");
    } else {
        tracing::info!(request_id = %id, %method, %path, status = status.as_u16(), ms, "request");
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert("x-request-id", v);
    }
    res
}

/// Runs `f` (on a blocking thread) as part of the request `id`, so its logs carry the id.
pub fn sync_scope<R>(id: String, f: impl FnOnce() -> R) -> R {
    REQUEST_ID.sync_scope(id, f)
}
