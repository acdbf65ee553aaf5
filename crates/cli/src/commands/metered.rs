//! Metering Sustain's own work (training, evaluation): the run is recorded before the work
//! starts, a background thread samples this process and its children every interval and writes
//! the samples through its own ledger connection, and the end is recorded whatever happens.

use std::collections::BTreeMap;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use anyhow::{Context, Result};
use chrono::Utc;
use sustain_core::hardware::CpuCatalog;
use sustain_core::run::{
    EnergyBreakdown, HostInfo, RunEnd, RunKind, RunStart, RunStatus, RunView, end_figures,
};
use sustain_core::site::Site;
use sustain_core::units::Energy;
use sustain_ledger::{Ledger, SqliteLedger};
use sustain_meter::host::self_identity;
use sustain_meter::procfs::Procfs;
use sustain_meter::sampler::Usage;
use sustain_meter::{Sampler, TreeRoot};

use crate::config::Settings;

struct Totals {
    energy: EnergyBreakdown,
    usage: Usage,
    notes: Vec<String>,
    samples: u64,
}

/// The start record of a run about to be metered by `sampler` at `site`.
#[allow(clippy::too_many_arguments)]
pub(super) fn run_start(
    settings: &Settings,
    site: &Site,
    sampler: &Sampler,
    kind: RunKind,
    name: String,
    command: Vec<String>,
    tags: BTreeMap<String, String>,
    interval: std::time::Duration,
) -> RunStart {
    let [cpu, gpu, ram] = sampler.methods();
    RunStart {
        id: sustain_core::run::new_run_id(),
        name,
        kind,
        command,
        started_at: Utc::now(),
        site: site.record.clone(),
        host: HostInfo {
            embodied: Some(settings.host_embodied.clone()),
            ..sampler.host().clone()
        },
        meter: self_identity(&Procfs::default()),
        interval,
        methods: BTreeMap::from([
            ("cpu".to_string(), cpu),
            ("gpu".to_string(), gpu),
            ("ram".to_string(), ram),
        ]),
        tags,
        hourly_rate: settings
            .hourly_rate
            .as_ref()
            .map(|r| (r.amount_per_hour(), r.currency().code().to_string())),
    }
}

/// A metered piece of Sustain's own work.
pub struct Metered {
    start: RunStart,
    ledger: SqliteLedger,
    site: Site,
    stop: mpsc::Sender<()>,
    handle: JoinHandle<Totals>,
    so_far: Arc<Mutex<Energy>>,
    t0: Instant,
    hourly_rate: Option<sustain_core::units::HourlyRate>,
}

impl Metered {
    /// Records the start of a run of `kind` and starts sampling.
    pub fn start(
        settings: &Settings,
        site_id: &str,
        kind: RunKind,
        name: &str,
        tags: BTreeMap<String, String>,
    ) -> Result<Self> {
        let site = settings.sites.get(site_id)?.clone();
        let ledger = super::open_ledger(settings)?;
        let cpus = CpuCatalog::bundled().context("bundled CPU catalog")?;
        let mut sampler = Sampler::start(&settings.meter, TreeRoot::SelfAndChildren, &cpus)
            .context("starting the meter")?;
        let interval = settings.interval;
        let mut start = run_start(
            settings,
            &site,
            &sampler,
            kind,
            name.to_string(),
            std::env::args().collect(),
            tags,
            interval,
        );
        // A tag may name the run itself: `{run}` becomes the first 8 characters of its id.
        let short = start.id.chars().take(8).collect::<String>();
        for v in start.tags.values_mut() {
            if v.contains("{run}") {
                *v = v.replace("{run}", &short);
            }
        }
        ledger
            .start_run(&start)
            .context("recording the start of the run")?;
        let so_far = Arc::new(Mutex::new(Energy::ZERO));
        let (stop, rx) = mpsc::channel::<()>();
        let path = settings.ledger_path.clone();
        let id = start.id.clone();
        let shared = Arc::clone(&so_far);
        let handle = std::thread::Builder::new()
            .name("sustain-meter".into())
            .spawn(move || {
                let writer = SqliteLedger::open(&path).ok();
                let mut total = EnergyBreakdown::default();
                let mut samples = 0u64;
                let mut record = |s: sustain_core::run::Sample, total: &mut EnergyBreakdown| {
                    total.accumulate(&s.energy);
                    if let Ok(mut e) = shared.lock() {
                        *e = total.total();
                    }
                    if let Some(w) = &writer
                        && w.append_samples(&id, std::slice::from_ref(&s)).is_ok()
                    {
                        samples += 1;
                    }
                };
                // A first sample soon (short epochs see their energy), then every interval,
                // until the work is done (a message) or its owner is gone (disconnected).
                let mut wait = interval.min(std::time::Duration::from_millis(100));
                while let Err(RecvTimeoutError::Timeout) = rx.recv_timeout(wait) {
                    record(sampler.sample(), &mut total);
                    wait = interval;
                }
                record(sampler.sample(), &mut total);
                Totals {
                    energy: total,
                    usage: sampler.usage(),
                    notes: sampler.notes().to_vec(),
                    samples,
                }
            })
            .context("starting the meter thread")?;
        Ok(Self {
            start,
            ledger,
            site,
            stop,
            handle,
            so_far,
            t0: Instant::now(),
            hourly_rate: settings.hourly_rate.clone(),
        })
    }

    /// The run's id.
    pub fn id(&self) -> &str {
        &self.start.id
    }

    /// IT energy measured so far.
    pub fn energy_so_far(&self) -> Energy {
        self.so_far.lock().map(|e| *e).unwrap_or(Energy::ZERO)
    }

    /// Stops sampling and records the end.
    pub fn finish(
        self,
        status: RunStatus,
        mut notes: Vec<String>,
        outcomes: serde_json::Value,
    ) -> Result<RunView> {
        let duration = self.t0.elapsed();
        let _ = self.stop.send(());
        let totals = self
            .handle
            .join()
            .map_err(|_| anyhow::anyhow!("the meter thread failed"))?;
        notes.extend(totals.notes);
        let (impacts, embodied) = end_figures(
            &self.start.host,
            &totals.energy,
            (duration, totals.usage.cpu_time),
            &self.site,
            self.hourly_rate.as_ref(),
            &mut notes,
        );
        let end = RunEnd {
            run_id: self.start.id.clone(),
            ended_at: Utc::now(),
            status,
            exit_code: Some(if status == RunStatus::Succeeded { 0 } else { 1 }),
            signal: None,
            duration,
            cpu_time: totals.usage.cpu_time,
            peak_rss_bytes: totals.usage.peak_rss_bytes,
            energy: totals.energy,
            impacts,
            embodied,
            notes,
            outcomes,
        };
        self.ledger
            .finish_run(&end)
            .context("recording the end of the run")?;
        Ok(RunView {
            start: self.start,
            end: Some(end),
            samples: totals.samples,
        })
    }
}
