//! Security headers on every response (pages, API, errors, `/metrics`, assets):
//!
//! - `Content-Security-Policy`: scripts only from this origin (`/assets/app.js`; no inline
//!   script anywhere), styles from this origin plus the one inline stylesheet of a standalone
//!   HTML report, allowed by its SHA-256 (the report is a single file that opens offline, so
//!   its CSS is inline); no plugins, no `<base>`, forms post here only, and no framing
//!   (`frame-ancestors 'none'`). A value that slipped past escaping still could not run.
//! - `X-Content-Type-Options: nosniff`: a JSON or CSV answer is never sniffed as HTML.
//! - `X-Frame-Options: DENY`: no framing, for browsers that predate `frame-ancestors`.
//! - `Referrer-Policy: same-origin`: page URLs (periods, scopes) stay on this site.

use std::sync::LazyLock;

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use sha2::{Digest, Sha256};

/// The policy, with the hash of the report's stylesheet.
pub static CONTENT_SECURITY_POLICY: LazyLock<String> = LazyLock::new(|| {
    let css = sustain_report::render::html::CSS;
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(css.as_bytes()));
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self' 'sha256-{hash}'; \
         img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; \
         frame-ancestors 'none'"
    )
});

/// Adds the security headers to the response.
pub async fn layer(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&CONTENT_SECURITY_POLICY) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    res
}
