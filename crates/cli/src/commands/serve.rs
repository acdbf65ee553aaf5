//! `sustain serve`: the ledger over HTTP (see the `sustain-server` crate).

use std::net::SocketAddr;

use anyhow::{Context, Result};
use sustain_ledger::Tokens;
use sustain_server::AppState;

use crate::args::ServeArgs;
use crate::exit::{self, BadInput};
use sustain_meter::Settings;

/// Serves until SIGINT or SIGTERM; returns the exit code.
pub fn serve(args: ServeArgs, settings: &Settings) -> Result<i32> {
    let addr: SocketAddr = args.addr.trim().parse().map_err(|_| {
        BadInput(format!(
            "invalid --addr {:?}: expected HOST:PORT with an IP address, such as 127.0.0.1:8080 or 0.0.0.0:8080",
            args.addr
        ))
    })?;
    // Opening checks and migrates the ledger before anything listens.
    let state = AppState::open(&settings.ledger_path)?.with_sites(settings.sites.clone());
    let tokens = super::open_ledger(settings)?.tokens()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}; is another server using the port?"))?;
        let local = listener.local_addr()?;
        eprintln!(
            "sustain: serving {} on http://{local} (pages /, API /api/v1, /openapi.json, /metrics); Ctrl-C stops",
            settings.ledger_path.display()
        );
        if !tokens.iter().any(|t| t.active()) {
            eprintln!(
                "sustain: the ledger has no active token, so nothing can be read yet: create one with `sustain token create --role admin`"
            );
        }
        if !local.ip().is_loopback() {
            eprintln!(
                "sustain: listening beyond this machine over plain HTTP: tokens travel in every request, so put a TLS proxy in front"
            );
        }
        sustain_server::serve(listener, state, shutdown())
            .await
            .context("serving")?;
        eprintln!("sustain: server stopped");
        Ok(exit::OK)
    })
}

/// Resolves on SIGINT or SIGTERM.
pub(super) async fn shutdown() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
