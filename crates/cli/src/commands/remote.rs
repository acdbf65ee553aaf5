//! Where `sustain run` records its run: the local ledger, or, with `--remote URL --token T`
//! (`SUSTAIN_REMOTE`, `SUSTAIN_TOKEN`), a `sustain serve` that receives the finished run.
//!
//! The remote sink checks the server and the token before the command starts (a wrong URL or a
//! viewer token fails at once, not after hours of work), keeps the start and samples in memory,
//! and pushes the whole run when it ends, retrying a few times. If the server still cannot take
//! it, the run is written to the local ledger and the message says so: nothing is lost.

use std::sync::Mutex;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use serde_json::Value;
use sustain_core::run::{RunEnd, RunStart, Sample};
use sustain_ledger::Ledger;
use sustain_server::wire::RunUpload;

use crate::config::Settings;
use crate::exit::BadInput;

/// What `sustain run` writes its run to.
pub trait RunSink {
    /// The run started.
    fn start_run(&self, start: &RunStart) -> Result<()>;
    /// Samples of the run.
    fn append_samples(&self, run_id: &str, samples: &[Sample]) -> Result<()>;
    /// The run ended.
    fn finish_run(&self, end: &RunEnd) -> Result<()>;
}

impl<L: Ledger> RunSink for L {
    fn start_run(&self, start: &RunStart) -> Result<()> {
        Ok(Ledger::start_run(self, start)?)
    }
    fn append_samples(&self, run_id: &str, samples: &[Sample]) -> Result<()> {
        Ok(Ledger::append_samples(self, run_id, samples)?)
    }
    fn finish_run(&self, end: &RunEnd) -> Result<()> {
        Ok(Ledger::finish_run(self, end)?)
    }
}

/// The local ledger or a server.
pub enum Sink<'a> {
    /// The local ledger.
    Local(sustain_ledger::SqliteLedger),
    /// A `sustain serve` (boxed: an HTTP agent is large).
    Remote(Box<RemoteSink<'a>>),
}

impl RunSink for Sink<'_> {
    fn start_run(&self, start: &RunStart) -> Result<()> {
        match self {
            Sink::Local(l) => RunSink::start_run(l, start),
            Sink::Remote(r) => r.start_run(start),
        }
    }
    fn append_samples(&self, run_id: &str, samples: &[Sample]) -> Result<()> {
        match self {
            Sink::Local(l) => RunSink::append_samples(l, run_id, samples),
            Sink::Remote(r) => r.append_samples(run_id, samples),
        }
    }
    fn finish_run(&self, end: &RunEnd) -> Result<()> {
        match self {
            Sink::Local(l) => RunSink::finish_run(l, end),
            Sink::Remote(r) => r.finish_run(end),
        }
    }
}

/// Attempts to push a run before falling back to the local ledger.
const ATTEMPTS: u32 = 4;

/// A `sustain serve` that receives the run when it ends.
pub struct RemoteSink<'a> {
    base: String,
    token: String,
    agent: ureq::Agent,
    quiet: bool,
    settings: &'a Settings,
    buffer: Mutex<(Option<RunStart>, Vec<Sample>)>,
}

/// The server's error message in a JSON answer, or the body as text.
fn server_message(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_string))
        .unwrap_or_else(|| body.chars().take(300).collect())
}

impl<'a> RemoteSink<'a> {
    /// Checks the URL, the server and the token (it must be an editor's or an admin's).
    pub fn connect(
        url: &str,
        token: Option<&str>,
        quiet: bool,
        settings: &'a Settings,
    ) -> Result<Self> {
        let base = url.trim().trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) || base.len() < 10 {
            return Err(BadInput(format!(
                "invalid --remote {url:?}: expected the URL of a `sustain serve`, such as http://ledger.internal:8080"
            ))
            .into());
        }
        let token = token
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                BadInput(
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
            quiet,
            settings,
            buffer: Mutex::new((None, Vec::new())),
        };
        let (status, body) = sink
            .get("/api/v1/whoami")
            .with_context(|| format!("cannot reach the server {}", sink.base))?;
        match status {
            200 => {}
            401 | 403 => {
                return Err(BadInput(format!(
                    "the server {} refused the token: {}",
                    sink.base,
                    server_message(&body)
                ))
                .into());
            }
            other => {
                return Err(anyhow!(
                    "the server {} answered {other} to a token check: {}",
                    sink.base,
                    server_message(&body)
                ));
            }
        }
        let who: Value = serde_json::from_str(&body)
            .with_context(|| format!("{} did not answer as a `sustain serve`", sink.base))?;
        let role = who["role"].as_str().unwrap_or("");
        if !matches!(role, "editor" | "admin") {
            return Err(BadInput(format!(
                "token '{}' has the role {role}; pushing runs needs an editor or admin token",
                who["name"].as_str().unwrap_or("?")
            ))
            .into());
        }
        Ok(sink)
    }

    fn get(&self, path: &str) -> Result<(u16, String)> {
        let mut res = self
            .agent
            .get(format!("{}{path}", self.base))
            .header("Authorization", format!("Bearer {}", self.token))
            .call()?;
        let status = res.status().as_u16();
        Ok((status, res.body_mut().read_to_string()?))
    }

    /// One push; `Ok(None)` when recorded, `Ok(Some(reason))` for an answer not worth retrying.
    fn push_once(&self, body: &str) -> Result<Option<String>> {
        let mut res = self
            .agent
            .post(format!("{}/api/v1/runs", self.base))
            .header("Authorization", format!("Bearer {}", self.token))
            .header("Content-Type", "application/json")
            .send(body)?;
        let status = res.status().as_u16();
        let text = res.body_mut().read_to_string().unwrap_or_default();
        match status {
            201 | 409 => Ok(None),
            500..=599 => Err(anyhow!(
                "the server answered {status}: {}",
                server_message(&text)
            )),
            _ => Ok(Some(format!(
                "the server refused the run ({status}): {}",
                server_message(&text)
            ))),
        }
    }

    fn keep_locally(&self, start: &RunStart, samples: &[Sample], end: &RunEnd) -> Result<()> {
        let ledger = super::open_ledger(self.settings)?;
        Ledger::start_run(&ledger, start)?;
        Ledger::append_samples(&ledger, &start.id, samples)?;
        Ledger::finish_run(&ledger, end)?;
        Ok(())
    }
}

impl RunSink for RemoteSink<'_> {
    fn start_run(&self, start: &RunStart) -> Result<()> {
        self.buffer.lock().unwrap_or_else(|p| p.into_inner()).0 = Some(start.clone());
        Ok(())
    }

    fn append_samples(&self, _run_id: &str, samples: &[Sample]) -> Result<()> {
        self.buffer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .1
            .extend_from_slice(samples);
        Ok(())
    }

    fn finish_run(&self, end: &RunEnd) -> Result<()> {
        let (start, samples) = {
            let b = self.buffer.lock().unwrap_or_else(|p| p.into_inner());
            (b.0.clone(), b.1.clone())
        };
        let start = start.ok_or_else(|| anyhow!("the run's start was not recorded"))?;
        let body = serde_json::to_string(&RunUpload::new(&start, &samples, end))?;
        let mut failure = String::new();
        for attempt in 1..=ATTEMPTS {
            match self.push_once(&body) {
                Ok(None) => {
                    if !self.quiet {
                        eprintln!("sustain: run {} pushed to {}", start.id, self.base);
                    }
                    return Ok(());
                }
                Ok(Some(refused)) => {
                    failure = refused;
                    break;
                }
                Err(e) => {
                    failure = format!("{e:#}");
                    tracing::warn!("push {attempt} of {ATTEMPTS} failed: {failure}");
                    if attempt < ATTEMPTS {
                        std::thread::sleep(Duration::from_millis(500 << attempt));
                    }
                }
            }
        }
        match self.keep_locally(&start, &samples, end) {
            Ok(()) => {
                eprintln!(
                    "sustain: could not push run {} to {}: {failure}; it is recorded in the local ledger {} instead",
                    start.id,
                    self.base,
                    self.settings.ledger_path.display()
                );
                Ok(())
            }
            Err(e) => Err(anyhow!(
                "could not push run {} to {}: {failure}; nor keep it in the local ledger: {e:#}",
                start.id,
                self.base
            )),
        }
    }
}
