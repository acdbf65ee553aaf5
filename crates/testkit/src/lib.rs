//! # sustain-testkit
//!
//! The fixtures Sustain's test suites share (the ledger's conformance suite, the report's
//! accounts, the server's API), so that a run record is built one way in every test and a new
//! field of `RunStart` or `RunEnd` is added here once. Each builder gives a plausible record
//! with fixed, documented defaults; a test changes what it needs with struct-update syntax:
//!
//! ```
//! use sustain_testkit as kit;
//! let site = kit::site("FR");
//! let start = sustain_core::run::RunStart {
//!     name: "job-a".into(),
//!     ..kit::run_start("a", kit::at(2026, 3, 1, 12, 0), &site)
//! };
//! let end = kit::run_end(&start, &site, kit::energy(10.0, 0.0, 1.0), 60);
//! assert_eq!(end.energy.total().joules(), 11.0);
//! ```
//!
//! A dev-dependency only: never a dependency of a library or the binary.

pub mod business;
pub mod cli;
pub mod old_ledger;

pub use business::{chat, chat_usage, storage_cost, training_hours};

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use sustain_core::embodied::HostEmbodied;
use sustain_core::run::{
    ComponentEnergy, EnergyBreakdown, EnergySource, HostInfo, MeterIdentity, RunEnd, RunKind,
    RunStart, RunStatus, Sample, end_figures,
};
use sustain_core::site::{Site, SiteCatalog};
use sustain_core::units::Energy;

/// A site of the bundled catalog.
///
/// # Panics
/// When `id` is not in the catalog (a mistake in the test).
pub fn site(id: &str) -> Site {
    SiteCatalog::bundled()
        .and_then(|c| c.get(id).cloned())
        .unwrap_or_else(|e| panic!("test site {id}: {e}"))
}

/// A UTC time on a day, at an hour and minute.
///
/// # Panics
/// When the date does not exist (a mistake in the test).
pub fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .unwrap_or_else(|| panic!("test time {y}-{m}-{d} {h}:{min}"))
}

/// The test host: `h`, a `cpu` with 2 logical CPUs in 1 package, 1 GiB, no GPU, and the
/// default embodied figures (1,230.3 kgCO2e over 4 years).
pub fn host() -> HostInfo {
    HostInfo {
        hostname: "h".into(),
        cpu_model: "cpu".into(),
        logical_cpus: 2,
        packages: 1,
        ram_total_bytes: 1 << 30,
        gpus: vec![],
        embodied: Some(HostEmbodied::default()),
    }
}

/// The test meter: pid 1 on host `h`, boot `b`.
pub fn meter() -> MeterIdentity {
    MeterIdentity {
        hostname: "h".into(),
        boot_id: "b".into(),
        pid: 1,
        start_ticks: 1,
    }
}

/// A command run `id` started at `at` at `site`: named `id`, command `x`, sampled every
/// second, on [`host`] metered by [`meter`], without tags, methods or hourly rate.
pub fn run_start(id: &str, at: DateTime<Utc>, site: &Site) -> RunStart {
    RunStart {
        id: id.into(),
        name: id.into(),
        kind: RunKind::Command,
        command: vec!["x".into()],
        started_at: at,
        site: site.record.clone(),
        host: host(),
        meter: meter(),
        interval: Duration::from_secs(1),
        methods: BTreeMap::new(),
        tags: BTreeMap::new(),
        hourly_rate: None,
    }
}

/// Tags from pairs.
pub fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The energy of one component.
pub fn component(
    joules: f64,
    source: EnergySource,
    apportioned: bool,
    method: &str,
) -> ComponentEnergy {
    ComponentEnergy {
        energy: Energy::from_joules(joules),
        source,
        apportioned,
        method: method.into(),
    }
}

/// Energy by component, all measured and not apportioned, without methods.
pub fn energy(cpu_j: f64, gpu_j: f64, ram_j: f64) -> EnergyBreakdown {
    EnergyBreakdown {
        cpu: component(cpu_j, EnergySource::Measured, false, ""),
        gpu: component(gpu_j, EnergySource::Measured, false, ""),
        ram: component(ram_j, EnergySource::Measured, false, ""),
    }
}

/// Sample `seq` of a run, ending at `at`, one second long, with `energy`, 0.8 s of CPU and
/// 1 MiB resident.
pub fn sample(seq: u32, at: DateTime<Utc>, energy: EnergyBreakdown) -> Sample {
    Sample {
        seq,
        at,
        interval: Duration::from_secs(1),
        energy,
        cpu_time: Duration::from_millis(800),
        rss_bytes: 1 << 20,
    }
}

/// The end of `start`, succeeded after `seconds` (all of them CPU time), with `energy` and the
/// figures every path that ends a run computes (`end_figures`: impacts at `site`, embodied
/// carbon from the start's host), 1 byte of peak memory, no notes and no outcomes.
pub fn run_end(start: &RunStart, site: &Site, energy: EnergyBreakdown, seconds: u64) -> RunEnd {
    let duration = Duration::from_secs(seconds);
    let mut notes = Vec::new();
    let (impacts, embodied) = end_figures(
        &start.host,
        &energy,
        (duration, duration),
        site,
        None,
        &mut notes,
    );
    RunEnd {
        run_id: start.id.clone(),
        ended_at: start.started_at + chrono::Duration::seconds(seconds as i64),
        status: RunStatus::Succeeded,
        exit_code: Some(0),
        signal: None,
        duration,
        cpu_time: duration,
        peak_rss_bytes: 1,
        energy,
        impacts,
        embodied,
        notes: vec![],
        outcomes: serde_json::json!({}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixtures_are_valid_records() {
        let s = site("FR");
        let start = run_start("a-1", at(2026, 3, 1, 12, 0), &s);
        start.validate().unwrap();
        let end = run_end(&start, &s, energy(3600.0, 0.0, 0.0), 600);
        end.validate(&start.started_at).unwrap();
        assert_eq!(end.ended_at, at(2026, 3, 1, 12, 10));
        assert!(end.embodied.is_some());
        sample(0, end.ended_at, energy(1.0, 0.0, 0.0))
            .validate("samples[0]")
            .unwrap();
    }
}
