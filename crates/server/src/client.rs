//! The client side of `sustain run --remote URL --token T`: a [`RemoteSink`] that records a run
//! on a `sustain serve` through the same wire form the server reads ([`RunUpload`]).
//!
//! [`RemoteSink::connect`] checks the server and the token before the command starts (a wrong
//! URL or a viewer token fails at once, not after hours of work). The sink keeps the start and
//! samples in memory and pushes the whole run when it ends, retrying a few times; if the server
//! still cannot take it, the run is written to the local ledger instead: nothing is lost. What
//! happened is left in [`RemoteSink::outcome`] for the caller to report.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize;
use sustain_core::run::{RunEnd, RunStart, Sample};
use sustain_core::sink::{RunSink, SinkError};
use sustain_ledger::{Ledger, SqliteLedger};
use thiserror::Error;

use crate::wire::RunUpload;

/// Attempts to push a run before falling back to the local ledger.
const ATTEMPTS: u32 = 4;

/// Why a server cannot be used.
#[derive(Debug, Error)]
pub enum ClientError {
    /// The URL, token or role given is unusable: the user's input.
    #[error("{0}")]
    Refused(String),
    /// The server could not be reached or did not answer as a `sustain serve`.
    #[error("{0}")]
    Unreachable(String),
}

/// What became of a pushed run.
#[derive(Debug, Clone, PartialEq)]
pub enum Pushed {
    /// The server recorded it (or had it already).
    Recorded {
        /// The server.
        server: String,
    },
    /// The server could not take it; it is in the local ledger.
    KeptLocally {
        /// The server.
        server: String,
        /// Why the push failed.
        reason: String,
        /// The local ledger.
        ledger: PathBuf,
    },
}

/// A `sustain serve` that receives the run when it ends.
pub struct RemoteSink {
    base: String,
    token: String,
    agent: ureq::Agent,
    fallback: PathBuf,
    buffer: Mutex<(Option<RunStart>, Vec<Sample>)>,
    outcome: Arc<Mutex<Option<Pushed>>>,
}

/// The server's error message in a JSON answer, or the start of the body.
fn server_message(body: &str) -> String {
    #[derive(Deserialize)]
    struct ErrorBody {
        error: String,
    }
    serde_json::from_str::<ErrorBody>(body)
        .map(|b| b.error)
        .unwrap_or_else(|_| body.chars().take(300).collect())
}

/// `GET /api/v1/whoami`.
#[derive(Deserialize)]
struct WhoAmI {
    name: String,
    role: String,
}

impl RemoteSink {
    /// Checks the URL, the server and the token (it must be an editor's or an admin's). A run
    /// the server cannot take is kept in the ledger at `fallback`.
    pub fn connect(url: &str, token: Option<&str>, fallback: PathBuf) -> Result<Self, ClientError> {
        let base = url.trim().trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) || base.len() < 10 {
            return Err(ClientError::Refused(format!(
                "invalid --remote {url:?}: expected the URL of a `sustain serve`, such as http://ledger.internal:8080"
            )));
        }
        let token = token
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ClientError::Refused(
                    "--remote needs a token: give --token or set SUSTAIN_TOKEN (an editor token from `sustain token create --role editor`)".into(),
                )
            })?
            .to_string();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .build()
            .into();
        let sink = RemoteSink {
            base,
            token,
            agent,
            fallback,
            buffer: Mutex::new((None, Vec::new())),
            outcome: Arc::new(Mutex::new(None)),
        };
        let (status, body) = sink.get("/api/v1/whoami").map_err(|e| {
            ClientError::Unreachable(format!("cannot reach the server {}: {e}", sink.base))
        })?;
        match status {
            200 => {}
            401 | 403 => {
                return Err(ClientError::Refused(format!(
                    "the server {} refused the token: {}",
                    sink.base,
                    server_message(&body)
                )));
            }
            other => {
                return Err(ClientError::Unreachable(format!(
                    "the server {} answered {other} to a token check: {}",
                    sink.base,
                    server_message(&body)
                )));
            }
        }
        let who: WhoAmI = serde_json::from_str(&body).map_err(|e| {
            ClientError::Unreachable(format!(
                "{} did not answer as a `sustain serve`: {e}",
                sink.base
            ))
        })?;
        if !matches!(who.role.as_str(), "editor" | "admin") {
            return Err(ClientError::Refused(format!(
                "token '{}' has the role {}; pushing runs needs an editor or admin token",
                who.name, who.role
            )));
        }
        Ok(sink)
    }

    /// What became of the run once it has ended; shared, so it can be read after the sink has
    /// been handed to the meter.
    pub fn outcome(&self) -> Arc<Mutex<Option<Pushed>>> {
        Arc::clone(&self.outcome)
    }

    fn get(&self, path: &str) -> Result<(u16, String), ureq::Error> {
        let mut res = self
            .agent
            .get(format!("{}{path}", self.base))
            .header("Authorization", format!("Bearer {}", self.token))
            .call()?;
        let status = res.status().as_u16();
        Ok((status, res.body_mut().read_to_string()?))
    }

    /// One push: `Ok(None)` when recorded, `Ok(Some(reason))` for an answer not worth retrying,
    /// `Err` for one worth retrying.
    fn push_once(&self, body: &str) -> Result<Option<String>, String> {
        let mut res = self
            .agent
            .post(format!("{}/api/v1/runs", self.base))
            .header("Authorization", format!("Bearer {}", self.token))
            .header("Content-Type", "application/json")
            .send(body)
            .map_err(|e| e.to_string())?;
        let status = res.status().as_u16();
        let text = res.body_mut().read_to_string().unwrap_or_default();
        match status {
            201 | 409 => Ok(None),
            500..=599 => Err(format!(
                "the server answered {status}: {}",
                server_message(&text)
            )),
            _ => Ok(Some(format!(
                "the server refused the run ({status}): {}",
                server_message(&text)
            ))),
        }
    }

    /// Pushes the whole run, retrying with back-off; the reason it failed otherwise.
    fn push(&self, body: &str) -> Result<(), String> {
        let mut failure = String::new();
        for attempt in 1..=ATTEMPTS {
            match self.push_once(body) {
                Ok(None) => return Ok(()),
                Ok(Some(refused)) => return Err(refused),
                Err(e) => {
                    tracing::warn!("push {attempt} of {ATTEMPTS} failed: {e}");
                    failure = e;
                    if attempt < ATTEMPTS {
                        std::thread::sleep(Duration::from_millis(500 << attempt));
                    }
                }
            }
        }
        Err(failure)
    }

    fn keep_locally(
        &self,
        start: &RunStart,
        samples: &[Sample],
        end: &RunEnd,
    ) -> Result<(), sustain_ledger::LedgerError> {
        let ledger = SqliteLedger::open(&self.fallback)?;
        Ledger::start_run(&ledger, start)?;
        Ledger::append_samples(&ledger, &start.id, samples)?;
        Ledger::finish_run(&ledger, end)
    }
}

impl RunSink for RemoteSink {
    fn start_run(&self, start: &RunStart) -> Result<(), SinkError> {
        self.buffer.lock().unwrap_or_else(|p| p.into_inner()).0 = Some(start.clone());
        Ok(())
    }

    fn append_samples(&self, _run_id: &str, samples: &[Sample]) -> Result<(), SinkError> {
        self.buffer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .1
            .extend_from_slice(samples);
        Ok(())
    }

    fn finish_run(&self, end: &RunEnd) -> Result<(), SinkError> {
        let (start, samples) = {
            let b = self.buffer.lock().unwrap_or_else(|p| p.into_inner());
            (b.0.clone(), b.1.clone())
        };
        let start = start.ok_or("the run's start was not recorded")?;
        let body = serde_json::to_string(&RunUpload::new(&start, &samples, end))?;
        let pushed = match self.push(&body) {
            Ok(()) => Pushed::Recorded {
                server: self.base.clone(),
            },
            Err(reason) => match self.keep_locally(&start, &samples, end) {
                Ok(()) => Pushed::KeptLocally {
                    server: self.base.clone(),
                    reason,
                    ledger: self.fallback.clone(),
                },
                Err(e) => {
                    return Err(format!(
                        "could not push run {} to {}: {reason}; nor keep it in the local ledger: {e}",
                        start.id, self.base
                    )
                    .into());
                }
            },
        };
        *self.outcome.lock().unwrap_or_else(|p| p.into_inner()) = Some(pushed);
        Ok(())
    }
}
