//! Records outside the plausible bounds, written straight into a ledger file as a ledger
//! written before Sustain checked bounds may hold them (today every entry point refuses them):
//! usage rows clamped to `i64::MAX` requests, run ends of 1e308 J or infinite carbon, water and
//! cost, a site snapshot of 1e308 gCO2e/kWh, a duration of 1e19 s ending in 1970, cost lines
//! and indicators of ±1e308. The tests of every reader plant them beside valid records and
//! check that the period still reads, with the figures of the valid records alone.

use std::path::Path;

use chrono::NaiveDate;
use rusqlite::{Connection, params};

use crate::{host, meter, site};

/// What [`plant`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Planted {
    /// Ids of the runs (their latest ends are out of bounds).
    pub runs: Vec<String>,
    /// Number of usage rows, cost lines and indicators.
    pub usage_rows: usize,
    /// Cost lines.
    pub cost_lines: usize,
    /// Indicators.
    pub indicators: usize,
}

impl Planted {
    /// Every record planted.
    pub fn total(&self) -> usize {
        self.runs.len() + self.usage_rows + self.cost_lines + self.indicators
    }
}

/// Writes the records described in the module docs into the ledger at `path` (an existing
/// ledger at the current schema), on `day` at noon, for product `product`.
///
/// # Panics
/// When the file cannot be written (a mistake in the test).
pub fn plant(path: &Path, day: NaiveDate, product: &str) -> Planted {
    let c = Connection::open(path).expect("open the ledger with rusqlite");
    let d = day.format("%Y-%m-%d").to_string();
    let start_at = format!("{d}T12:00:00.000000Z");
    let now = "2026-01-01T00:00:00.000000Z";
    let fr = site("FR");
    let mut dirty_site = fr.record.clone();
    dirty_site.intensity_g_per_kwh = 1e308;
    let ends: [(&str, &serde_json::Value, [f64; 6], &str); 4] = [
        // id, site, [cpu_j, facility_j, co2e_g, water_l, cost, duration_s], ended_at
        (
            "old-energy",
            &serde_json::to_value(&fr.record).unwrap_or_default(),
            [1e308, 1e308, 1e308, 0.0, 0.0, 60.0],
            "T12:01:00.000000Z",
        ),
        (
            "old-intensity",
            &serde_json::to_value(&dirty_site).unwrap_or_default(),
            [3600.0, 3600.0, f64::INFINITY, 0.0, 0.0, 60.0],
            "T12:01:00.000000Z",
        ),
        (
            "old-inf",
            &serde_json::to_value(&fr.record).unwrap_or_default(),
            [3600.0, 3600.0, 1.0, f64::INFINITY, f64::INFINITY, 60.0],
            "T12:01:00.000000Z",
        ),
        (
            "old-duration",
            &serde_json::to_value(&fr.record).unwrap_or_default(),
            [3600.0, 3600.0, 1.0, 0.0, 0.0, 1e19],
            "1970",
        ),
    ];
    let mut runs = Vec::new();
    for (id, site_json, [cpu, facility, co2e, water, cost, duration], ended) in ends {
        c.execute(
            "INSERT INTO runs (id, name, kind, command, started_at, site_id, site, host, meter,
                methods, interval_s, tags, hourly_rate, hourly_rate_currency, recorded_at)
             VALUES (?1, ?1, 'command', '[\"x\"]', ?2, 'FR', ?3, ?4, ?5, '{}', 1.0,
                '{\"product\":\"' || ?6 || '\"}', NULL, NULL, ?7)",
            params![
                id,
                start_at,
                site_json.to_string(),
                serde_json::to_string(&host()).unwrap_or_default(),
                serde_json::to_string(&meter()).unwrap_or_default(),
                product,
                now
            ],
        )
        .expect("plant a run");
        let ended_at = if ended == "1970" {
            "1970-01-01T00:00:00.000000Z".to_string()
        } else {
            format!("{d}{ended}")
        };
        c.execute(
            "INSERT INTO run_ends (run_id, ended_at, status, exit_code, signal, duration_s, cpu_s,
                peak_rss_bytes, cpu_j, gpu_j, ram_j, cpu_source, gpu_source, ram_source,
                apportioned, cpu_method, gpu_method, ram_method, facility_j, co2e_location_g,
                co2e_market_g, water_onsite_l, water_offsite_l, cost_amount, cost_currency, notes,
                recorded_at, outcomes, embodied_g, embodied_method)
             VALUES (?1, ?2, 'succeeded', 0, NULL, ?3, 1.0, 1, ?4, 0.0, 0.0, 'measured', 'none',
                'none', 0, '', '', '', ?5, ?6, NULL, ?7, NULL, ?8, 'EUR', '[]', ?9, '{}', NULL,
                NULL)",
            params![
                id, ended_at, duration, cpu, facility, co2e, water, cost, now
            ],
        )
        .expect("plant a run end");
        runs.push(id.to_string());
    }
    for _ in 0..2 {
        c.execute(
            "INSERT INTO usage (product, day, requests, tokens, revenue, currency, source, recorded_at)
             VALUES (?1, ?2, ?3, 0, 0.0, 'USD', 'cli', ?4)",
            params![product, d, i64::MAX, now],
        )
        .expect("plant a usage row");
        c.execute(
            "INSERT INTO cost_lines (day, scope, category, amount, currency, description, recorded_at)
             VALUES (?1, 'company', 'storage', 1e308, 'USD', '', ?2)",
            params![d, now],
        )
        .expect("plant a cost line");
        c.execute(
            "INSERT INTO indicators (name, day, scope, value, unit, description, recorded_at)
             VALUES ('training_hours', ?1, 'company', -1e308, 'h', '', ?2)",
            params![d, now],
        )
        .expect("plant an indicator");
    }
    Planted {
        runs,
        usage_rows: 2,
        cost_lines: 2,
        indicators: 2,
    }
}
