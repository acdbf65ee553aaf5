//! `sustain serve-model`: a model behind an HTTP API (see the `sustain-serving` crate), metered
//! into the ledger as one `serve` run.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result};
use sustain_core::format::sig;
use sustain_meter::Settings;
use sustain_serving::{Batching, ServeError, ServeOptions};

use super::metered::LedgerMeter;
use super::out;
use crate::args::ServeModelArgs;
use crate::exit::{self, BadInput};

/// Serves until SIGINT or SIGTERM; returns the exit code.
pub fn serve_model(args: ServeModelArgs, settings: &Settings) -> Result<i32> {
    let addr: SocketAddr = args.addr.trim().parse().map_err(|_| {
        BadInput(format!(
            "invalid --addr {:?}: expected HOST:PORT with an IP address, such as 127.0.0.1:8081",
            args.addr
        ))
    })?;
    for (flag, v) in [
        ("--max-batch", args.max_batch),
        ("--queue", args.queue),
        ("--max-body-bytes", args.max_body_bytes),
    ] {
        if v == 0 {
            return Err(BadInput(format!("{flag} must be at least 1")).into());
        }
    }
    if args.max_wait_ms > 60_000 {
        return Err(BadInput(format!(
            "--max-wait-ms {}: at most 60000 (a batch should not hold requests for a minute)",
            args.max_wait_ms
        ))
        .into());
    }
    let meter = LedgerMeter::new(settings, args.site.as_deref());
    let opts = ServeOptions {
        model: args.model,
        batching: Batching {
            max_batch: args.max_batch,
            max_wait: Duration::from_millis(args.max_wait_ms),
            queue: args.queue,
        },
        max_body: args.max_body_bytes,
        checkpoint_every: Duration::from_secs(args.checkpoint_s.max(1)),
        tags: args.tags,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let served = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}; is another server using the port?"))?;
        let model = opts.model.display().to_string();
        let on_ready = |local: SocketAddr| {
            eprintln!(
                "sustain: serving {model} on http://{local} (POST /v1/predict, /v1/generate; GET /healthz, /readyz, /metrics); Ctrl-C or SIGTERM stops"
            );
            if !local.ip().is_loopback() {
                eprintln!("sustain: listening beyond this machine, without authentication: put a proxy in front");
            }
        };
        sustain_serving::serve(opts, &meter, listener, on_ready, super::serve::shutdown())
            .await
            .map_err(|e| match e {
                ServeError::BadRequest { message, .. } | ServeError::Model(message) => {
                    anyhow::Error::from(BadInput(message))
                }
                other => anyhow::Error::from(other),
            })
    })?;
    let j = served.view.json();
    if args.json {
        out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&served.view.to_json())?
        ))?;
    } else {
        let c = &served.counts;
        eprintln!(
            "sustain: stopped after {} requests ({} client errors, {} server errors, {} refused with the queue full), {} inferences in {} batches (mean {:.1} rows), {} tokens",
            c.requests,
            c.client_errors,
            c.server_errors,
            c.rejected,
            c.inferences,
            c.batches,
            c.mean_batch,
            c.tokens
        );
        eprintln!(
            "sustain: energy {} Wh ({}), {} Wh and {} g CO2e per request; run {}",
            sig(j.energy.total_wh.unwrap_or(0.0)),
            j.energy.sources.cpu.map_or("", |s| s.as_str()),
            served.energy_wh_per_request().map_or("n/a".into(), sig),
            served.co2e_g_per_request().map_or("n/a".into(), sig),
            served.view.start.id
        );
    }
    Ok(exit::OK)
}
