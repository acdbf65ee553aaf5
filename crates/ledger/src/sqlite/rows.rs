//! Run records as stored: a start's and an end's columns, read by name or by an index looked up
//! once, and decoded into the core's records (a value Sustain never writes is
//! [`LedgerError::Corrupt`], never a panic).

use std::collections::BTreeMap;

use rusqlite::Row;
use sustain_core::embodied::Embodied;
use sustain_core::impacts::Impacts;
use sustain_core::run::{
    ComponentEnergy, EnergyBreakdown, HostInfo, MeterIdentity, RunEnd, RunStart, RunStatus, RunView,
};
use sustain_core::site::SiteRecord;
use sustain_core::units::{CarbonMass, Currency, Energy, Money, Water};

use super::samples::source;
use super::{from_json, parse_ts, secs};
use crate::error::{LedgerError, Result};

pub(super) struct RawStart {
    pub(super) id: String,
    name: String,
    kind: String,
    command: String,
    started_at: String,
    site: String,
    host: String,
    meter: String,
    methods: String,
    interval_s: f64,
    tags: String,
    hourly_rate: Option<f64>,
    hourly_rate_currency: Option<String>,
}

impl RawStart {
    pub(super) fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Self::from_row_with(r, &|name| name)
    }

    /// As [`Self::from_row`], finding columns through `col` (a name, or an index looked up
    /// once per statement, which is much faster over many rows).
    pub(super) fn from_row_with<I: rusqlite::RowIndex>(
        r: &Row<'_>,
        col: &dyn Fn(&'static str) -> I,
    ) -> rusqlite::Result<Self> {
        Ok(RawStart {
            id: r.get(col("id"))?,
            name: r.get(col("name"))?,
            kind: r.get(col("kind"))?,
            command: r.get(col("command"))?,
            started_at: r.get(col("started_at"))?,
            site: r.get(col("site"))?,
            host: r.get(col("host"))?,
            meter: r.get(col("meter"))?,
            methods: r.get(col("methods"))?,
            interval_s: r.get(col("interval_s"))?,
            tags: r.get(col("tags"))?,
            hourly_rate: r.get(col("hourly_rate"))?,
            hourly_rate_currency: r.get(col("hourly_rate_currency"))?,
        })
    }

    pub(super) fn decode(self) -> Result<RunStart> {
        Ok(RunStart {
            kind: self
                .kind
                .parse()
                .map_err(|e: sustain_core::CoreError| LedgerError::Corrupt(e.to_string()))?,
            command: from_json("command", &self.command)?,
            started_at: parse_ts(&self.started_at)?,
            site: from_json::<SiteRecord>("site", &self.site)?,
            host: from_json::<HostInfo>("host", &self.host)?,
            meter: from_json::<MeterIdentity>("meter", &self.meter)?,
            methods: from_json::<BTreeMap<String, String>>("methods", &self.methods)?,
            interval: secs(self.interval_s),
            tags: from_json("tags", &self.tags)?,
            hourly_rate: self.hourly_rate.zip(self.hourly_rate_currency),
            id: self.id,
            name: self.name,
        })
    }
}

pub(super) struct RawEnd {
    run_id: String,
    ended_at: String,
    status: String,
    exit_code: Option<i32>,
    signal: Option<i32>,
    duration_s: f64,
    cpu_s: f64,
    peak_rss_bytes: i64,
    joules: [f64; 3],
    sources: [String; 3],
    apportioned: i64,
    methods: [String; 3],
    facility_j: f64,
    co2e_location_g: f64,
    co2e_market_g: Option<f64>,
    water_onsite_l: f64,
    water_offsite_l: Option<f64>,
    cost_amount: Option<f64>,
    cost_currency: Option<String>,
    notes: String,
    outcomes: String,
    embodied_g: Option<f64>,
    embodied_method: Option<String>,
}

impl RawEnd {
    pub(super) fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Self::from_row_with(r, &|name| name)
    }

    /// As [`Self::from_row`], finding columns through `col`.
    pub(super) fn from_row_with<I: rusqlite::RowIndex>(
        r: &Row<'_>,
        col: &dyn Fn(&'static str) -> I,
    ) -> rusqlite::Result<Self> {
        Ok(RawEnd {
            run_id: r.get(col("run_id"))?,
            ended_at: r.get(col("ended_at"))?,
            status: r.get(col("status"))?,
            exit_code: r.get(col("exit_code"))?,
            signal: r.get(col("signal"))?,
            duration_s: r.get(col("duration_s"))?,
            cpu_s: r.get(col("cpu_s"))?,
            peak_rss_bytes: r.get(col("peak_rss_bytes"))?,
            joules: [
                r.get(col("cpu_j"))?,
                r.get(col("gpu_j"))?,
                r.get(col("ram_j"))?,
            ],
            sources: [
                r.get(col("cpu_source"))?,
                r.get(col("gpu_source"))?,
                r.get(col("ram_source"))?,
            ],
            apportioned: r.get(col("apportioned"))?,
            methods: [
                r.get(col("cpu_method"))?,
                r.get(col("gpu_method"))?,
                r.get(col("ram_method"))?,
            ],
            facility_j: r.get(col("facility_j"))?,
            co2e_location_g: r.get(col("co2e_location_g"))?,
            co2e_market_g: r.get(col("co2e_market_g"))?,
            water_onsite_l: r.get(col("water_onsite_l"))?,
            water_offsite_l: r.get(col("water_offsite_l"))?,
            cost_amount: r.get(col("cost_amount"))?,
            cost_currency: r.get(col("cost_currency"))?,
            notes: r.get(col("notes"))?,
            outcomes: r.get(col("outcomes"))?,
            embodied_g: r.get(col("embodied_g"))?,
            embodied_method: r.get(col("embodied_method"))?,
        })
    }

    pub(super) fn decode(self) -> Result<RunEnd> {
        let comp = |i: usize| -> Result<ComponentEnergy> {
            Ok(ComponentEnergy {
                energy: Energy::from_joules(self.joules[i]),
                source: source(&self.sources[i])?,
                apportioned: self.apportioned & (1 << i) != 0,
                method: self.methods[i].clone(),
            })
        };
        let energy = EnergyBreakdown {
            cpu: comp(0)?,
            gpu: comp(1)?,
            ram: comp(2)?,
        };
        let cost = match (self.cost_amount, &self.cost_currency) {
            (Some(amount), Some(c)) => Some(Money {
                amount,
                currency: Currency::new(c).map_err(|e| LedgerError::Corrupt(e.to_string()))?,
            }),
            _ => None,
        };
        Ok(RunEnd {
            impacts: Impacts {
                it_energy: energy.total(),
                facility_energy: Energy::from_joules(self.facility_j),
                co2e_location: CarbonMass::from_grams(self.co2e_location_g),
                co2e_market: self.co2e_market_g.map(CarbonMass::from_grams),
                water_onsite: Water::from_litres(self.water_onsite_l),
                water_offsite: self.water_offsite_l.map(Water::from_litres),
                cost,
            },
            energy,
            embodied: self.embodied_g.map(|g| Embodied {
                co2e: CarbonMass::from_grams(g),
                method: self.embodied_method.clone().unwrap_or_default(),
            }),
            status: self
                .status
                .parse::<RunStatus>()
                .map_err(|e| LedgerError::Corrupt(e.to_string()))?,
            ended_at: parse_ts(&self.ended_at)?,
            exit_code: self.exit_code,
            signal: self.signal,
            duration: secs(self.duration_s),
            cpu_time: secs(self.cpu_s),
            peak_rss_bytes: self.peak_rss_bytes.max(0) as u64,
            notes: from_json("notes", &self.notes)?,
            outcomes: from_json("outcomes", &self.outcomes)?,
            run_id: self.run_id,
        })
    }
}

/// A run's start, its latest end (if any) and its sample count, as read from one row.
pub(super) fn view(start: RawStart, end: Option<RawEnd>, samples: i64) -> Result<RunView> {
    Ok(RunView {
        start: start.decode()?,
        end: end.map(RawEnd::decode).transpose()?,
        samples: samples.max(0) as u64,
    })
}
