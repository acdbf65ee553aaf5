//! `sustain export`: every run of the ledger, oldest first, as flat CSV, JSON (the run record
//! of `docs/reference/run-json.md`), or CodeCarbon's emissions.csv so that dashboards built for
//! CodeCarbon read Sustain's data. Rows are streamed: no vector of every run is built.

use std::io::Write;

use chrono::{DateTime, Utc};
use sustain_core::run::{RunStatus, RunView};
use sustain_core::site::country;
use sustain_ledger::{LedgerError, SqliteLedger};

use crate::error::{ReportError, Result};

/// What `sustain export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum ExportFormat {
    /// One row per run, flat columns.
    Csv,
    /// A JSON array of run records.
    Json,
    /// CodeCarbon's emissions.csv columns.
    Codecarbon,
}

/// The columns of CodeCarbon's emissions.csv (CodeCarbon 3.x `EmissionsData`), in its order.
pub const CODECARBON_COLUMNS: &[&str] = &[
    "timestamp",
    "project_name",
    "run_id",
    "experiment_id",
    "duration",
    "emissions",
    "emissions_rate",
    "cpu_power",
    "gpu_power",
    "ram_power",
    "cpu_energy",
    "gpu_energy",
    "ram_energy",
    "energy_consumed",
    "water_consumed",
    "country_name",
    "country_iso_code",
    "region",
    "cloud_provider",
    "cloud_region",
    "os",
    "python_version",
    "codecarbon_version",
    "cpu_count",
    "cpu_model",
    "gpu_count",
    "gpu_model",
    "longitude",
    "latitude",
    "ram_total_size",
    "tracking_mode",
    "cpu_utilization_percent",
    "gpu_utilization_percent",
    "ram_utilization_percent",
    "ram_used_gb",
    "on_cloud",
    "pue",
    "wue",
];

/// Columns of the flat CSV export.
pub const CSV_COLUMNS: &[&str] = &[
    "id",
    "name",
    "kind",
    "status",
    "exit_code",
    "started_at",
    "ended_at",
    "duration_s",
    "cpu_s",
    "peak_rss_bytes",
    "site",
    "cpu_wh",
    "gpu_wh",
    "ram_wh",
    "total_wh",
    "facility_wh",
    "cpu_source",
    "gpu_source",
    "ram_source",
    "co2e_location_g",
    "co2e_market_g",
    "embodied_g",
    "water_l",
    "cost_amount",
    "cost_currency",
    "command",
    "tags",
];

/// Writes the runs started at or after `since` (all when `None`) to `sink` in `format`.
pub fn export(
    ledger: &SqliteLedger,
    since: Option<&DateTime<Utc>>,
    format: ExportFormat,
    sink: &mut dyn Write,
) -> Result<()> {
    // Errors of the sink are kept aside so that the ledger's iteration stops cleanly.
    let mut failed: Option<std::io::Error> = None;
    let mut each = |f: &mut dyn FnMut(&RunView) -> std::io::Result<()>| {
        ledger.for_each_run(since, &mut |run| match f(&run) {
            Ok(()) => Ok(()),
            Err(e) => {
                failed = Some(e);
                Err(LedgerError::Invalid("export stopped".into()))
            }
        })
    };
    let result = match format {
        ExportFormat::Json => {
            writeln!(sink, "[")?;
            let mut first = true;
            let r = each(&mut |run| {
                if !first {
                    writeln!(sink, ",")?;
                }
                first = false;
                serde_json::to_writer_pretty(&mut *sink, &run.to_json())?;
                Ok(())
            });
            writeln!(sink, "\n]")?;
            r
        }
        ExportFormat::Csv => {
            let mut w = csv::Writer::from_writer(&mut *sink);
            w.write_record(CSV_COLUMNS).map_err(std::io::Error::from)?;
            let r = each(&mut |run| Ok(write_csv_row(&mut w, run)?));
            w.flush()?;
            r
        }
        ExportFormat::Codecarbon => {
            let mut w = csv::Writer::from_writer(&mut *sink);
            w.write_record(CODECARBON_COLUMNS)
                .map_err(std::io::Error::from)?;
            let r = each(&mut |run| Ok(write_codecarbon_row(&mut w, run)?));
            w.flush()?;
            r
        }
    };
    if let Some(e) = failed {
        return Err(ReportError::Write(e));
    }
    result?;
    sink.flush()?;
    Ok(())
}

/// A field as CSV text, written as JSON writes it (`2.0`, `1e-7`) so the CSV and the JSON
/// export agree; unknown (`None`) is an empty cell, never 0.
fn num<T: serde::Serialize>(v: Option<T>) -> String {
    match v.map(serde_json::to_value) {
        None | Some(Ok(serde_json::Value::Null)) | Some(Err(_)) => String::new(),
        Some(Ok(serde_json::Value::String(s))) => s,
        Some(Ok(other)) => other.to_string(),
    }
}

fn write_csv_row<W: Write>(w: &mut csv::Writer<W>, r: &RunView) -> csv::Result<()> {
    let j = r.json();
    let row: Vec<String> = vec![
        j.id,
        j.name,
        num(Some(j.kind)),
        num(Some(j.status)),
        num(j.exit_code),
        j.started_at,
        num(j.ended_at),
        num(j.duration_s),
        num(j.cpu_s),
        num(j.peak_rss_bytes),
        j.site,
        num(j.energy.cpu_wh),
        num(j.energy.gpu_wh),
        num(j.energy.ram_wh),
        num(j.energy.total_wh),
        num(j.energy.facility_wh),
        num(j.energy.sources.cpu),
        num(j.energy.sources.gpu),
        num(j.energy.sources.ram),
        num(j.co2e.location_g),
        num(j.co2e.market_g),
        num(j.embodied.co2e_g),
        num(j.water_l),
        num(j.cost.amount),
        num(j.cost.currency),
        serde_json::to_string(&j.command).map_err(std::io::Error::from)?,
        serde_json::to_string(&j.tags).map_err(std::io::Error::from)?,
    ];
    w.write_record(&row)
}

fn write_codecarbon_row<W: Write>(w: &mut csv::Writer<W>, r: &RunView) -> csv::Result<()> {
    {
        let Some(end) = &r.end else { return Ok(()) };
        if end.status == RunStatus::Running {
            return Ok(());
        }
        let s = &r.start;
        let site = &s.site;
        let pue = site.pue;
        let secs = end.duration.as_secs_f64();
        let per_s = |v: f64| if secs > 0.0 { v / secs } else { 0.0 };
        // CodeCarbon reports component energy and power with PUE applied.
        let kwh = |e: sustain_core::units::Energy| e.kwh() * pue;
        let (cpu_kwh, gpu_kwh, ram_kwh) = (
            kwh(end.energy.cpu.energy),
            kwh(end.energy.gpu.energy),
            kwh(end.energy.ram.energy),
        );
        let emissions_kg = end.impacts.co2e_location.kg();
        let iso2 = site.country_iso2.clone().unwrap_or_default();
        let c = country(&iso2);
        let (region, cloud_provider, cloud_region) = match site.kind.as_str() {
            "cloud" => (
                String::new(),
                site.provider.clone().unwrap_or_default(),
                site.id
                    .split_once(':')
                    .map(|x| x.1.to_string())
                    .unwrap_or_default(),
            ),
            "country" | "world" => (String::new(), String::new(), String::new()),
            _ => (site.name.to_lowercase(), String::new(), String::new()),
        };
        let gpu_count = s.host.gpus.len();
        let gpu_model = if gpu_count > 0 {
            format!("{} x {}", gpu_count, s.host.gpus.join(", "))
        } else {
            String::new()
        };
        let logical = f64::from(s.host.logical_cpus.max(1));
        let ram_gb = s.host.ram_total_bytes as f64 / 1e9;
        let row: Vec<String> = vec![
            end.ended_at.format("%Y-%m-%dT%H:%M:%S").to_string(),
            s.tags
                .get("project")
                .cloned()
                .unwrap_or_else(|| s.name.clone()),
            s.id.clone(),
            s.tags.get("experiment").cloned().unwrap_or_default(),
            secs.to_string(),
            emissions_kg.to_string(),
            per_s(emissions_kg).to_string(),
            per_s(cpu_kwh * 3.6e6).to_string(),
            per_s(gpu_kwh * 3.6e6).to_string(),
            per_s(ram_kwh * 3.6e6).to_string(),
            cpu_kwh.to_string(),
            gpu_kwh.to_string(),
            ram_kwh.to_string(),
            end.impacts.facility_energy.kwh().to_string(),
            end.impacts.water_total().litres().to_string(),
            c.map(|c| c.name.clone())
                .unwrap_or_else(|| site.name.clone()),
            c.map(|c| c.iso3.clone()).unwrap_or_default(),
            region,
            cloud_provider,
            cloud_region,
            "Linux".into(),
            String::new(),
            String::new(),
            logical.to_string(),
            s.host.cpu_model.clone(),
            gpu_count.to_string(),
            gpu_model,
            String::new(),
            String::new(),
            ram_gb.to_string(),
            "process".into(),
            (100.0 * per_s(end.cpu_time.as_secs_f64()) / logical).to_string(),
            "0".into(),
            if s.host.ram_total_bytes > 0 {
                (100.0 * end.peak_rss_bytes as f64 / s.host.ram_total_bytes as f64).to_string()
            } else {
                "0".into()
            },
            (end.peak_rss_bytes as f64 / 1e9).to_string(),
            if site.kind == "cloud" { "Y" } else { "N" }.into(),
            pue.to_string(),
            site.wue_l_per_kwh.to_string(),
        ];
        w.write_record(&row)?;
    }
    Ok(())
}
