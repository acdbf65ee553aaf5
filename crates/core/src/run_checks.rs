//! Checks of run records against `crate::bounds`: a start, a sample and an end, each naming a
//! field as a path in the JSON of a pushed run (`end.energy.cpu.energy_j`). The ledger calls
//! them before it writes, and the server before it answers, so both refuse the same records.

use chrono::{DateTime, Utc};

use crate::bounds::{self, BoundsError};
use crate::error::CoreError;
use crate::run::{EnergyBreakdown, RunEnd, RunStart, RunStatus, Sample, parse_tag};
use crate::site::Site;
use crate::units::{Currency, HourlyRate};

/// Checks a run id: 1 to 64 letters, digits or `-` (a UUID), so that it is safe in paths,
/// URLs and logs.
pub fn check_run_id(field: &str, id: &str) -> Result<(), CoreError> {
    if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(CoreError::InvalidValue {
            what: field.into(),
            value: id.into(),
            expected: "1 to 64 letters, digits or '-' (a UUID)".into(),
        });
    }
    Ok(())
}

impl EnergyBreakdown {
    /// Checks each component's energy against [`bounds::ENERGY_J`], naming `at.cpu.energy_j`.
    pub fn check_bounds(&self, at: &str) -> Result<(), BoundsError> {
        for (name, c) in [("cpu", &self.cpu), ("gpu", &self.gpu), ("ram", &self.ram)] {
            bounds::ENERGY_J.check(&format!("{at}.{name}.energy_j"), c.energy.joules())?;
        }
        Ok(())
    }
}

impl RunStart {
    /// Checks every field: the id, name, command and tags, the start time, the sampling
    /// interval, the site snapshot, the host and the hourly rate. Fields are named as in the
    /// JSON of a pushed run (`start.started_at`, `start.site`, `start.host.embodied`).
    pub fn validate(&self) -> Result<(), CoreError> {
        check_run_id("start.id", &self.id)?;
        if self.name.trim().is_empty() || self.name.len() > 256 {
            return Err(CoreError::InvalidValue {
                what: "start.name".into(),
                value: self.name.clone(),
                expected: "a run name of 1 to 256 characters".into(),
            });
        }
        if self.command.is_empty() {
            return Err(CoreError::InvalidValue {
                what: "start.command".into(),
                value: "[]".into(),
                expected: "the command line: at least the program".into(),
            });
        }
        for (k, v) in &self.tags {
            parse_tag(&format!("{k}={v}")).map_err(|e| e.at("start.tags"))?;
        }
        bounds::check_time("start.started_at", &self.started_at)?;
        bounds::INTERVAL_S.check("start.interval_s", self.interval.as_secs_f64())?;
        Site::from_record(self.site.clone()).map_err(|e| e.at("start.site"))?;
        self.host.validate("start.host")?;
        if let Some((amount, currency)) = &self.hourly_rate {
            bounds::HOURLY_RATE.check("start.hourly_rate", *amount)?;
            Currency::new(currency)
                .and_then(|c| HourlyRate::per_hour(*amount, c))
                .map_err(|e| e.at("start.hourly_rate"))?;
        }
        Ok(())
    }
}

impl Sample {
    /// Checks the sample's time, interval, energy, CPU time and memory; fields are named under
    /// `at` (`samples[3].energy.cpu.energy_j`).
    pub fn validate(&self, at: &str) -> Result<(), BoundsError> {
        let f = |name: &str| format!("{at}.{name}");
        bounds::check_time(&f("at"), &self.at)?;
        bounds::SAMPLE_INTERVAL_S.check(&f("interval_s"), self.interval.as_secs_f64())?;
        self.energy.check_bounds(&f("energy"))?;
        bounds::CPU_S.check(&f("cpu_s"), self.cpu_time.as_secs_f64())?;
        bounds::BYTES.check_count(&f("rss_bytes"), self.rss_bytes)?;
        Ok(())
    }
}

impl RunEnd {
    /// Checks the end of a run that started at `started_at`: a finished status, an object of
    /// outcomes, an end time in the plausible years and not before the start, and every figure
    /// within its bound (fields named `end.duration_s`, `end.energy.cpu.energy_j`,
    /// `end.co2e_location_g`, ... as the ledger's columns).
    pub fn validate(&self, started_at: &DateTime<Utc>) -> Result<(), CoreError> {
        if self.status == RunStatus::Running {
            return Err(CoreError::InvalidValue {
                what: "end.status".into(),
                value: "running".into(),
                expected:
                    "a finished run's status: succeeded, failed, killed, failed_to_start or incomplete"
                        .into(),
            });
        }
        if !self.outcomes.is_object() {
            return Err(CoreError::InvalidValue {
                what: "end.outcomes".into(),
                value: self.outcomes.to_string(),
                expected: "a JSON object".into(),
            });
        }
        bounds::check_time("end.ended_at", &self.ended_at)?;
        bounds::check_order("end.ended_at", started_at, &self.ended_at)?;
        bounds::DURATION_S.check("end.duration_s", self.duration.as_secs_f64())?;
        bounds::CPU_S.check("end.cpu_s", self.cpu_time.as_secs_f64())?;
        bounds::BYTES.check_count("end.peak_rss_bytes", self.peak_rss_bytes)?;
        self.energy.check_bounds("end.energy")?;
        let i = &self.impacts;
        bounds::FACILITY_ENERGY_J.check("end.facility_j", i.facility_energy.joules())?;
        bounds::CO2E_G.check("end.co2e_location_g", i.co2e_location.grams())?;
        bounds::CO2E_G.check_opt("end.co2e_market_g", i.co2e_market.map(|m| m.grams()))?;
        bounds::WATER_L.check("end.water_onsite_l", i.water_onsite.litres())?;
        bounds::WATER_L.check_opt("end.water_offsite_l", i.water_offsite.map(|w| w.litres()))?;
        bounds::RUN_COST.check_opt("end.cost_amount", i.cost.as_ref().map(|c| c.amount))?;
        bounds::EMBODIED_G.check_opt(
            "end.embodied_g",
            self.embodied.as_ref().map(|m| m.co2e.grams()),
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use super::*;
    use crate::impacts::Impacts;
    use crate::run::{HostInfo, MeterIdentity, RunKind, new_run_id};
    use crate::units::Energy;

    fn start() -> RunStart {
        use chrono::TimeZone;
        RunStart {
            id: new_run_id(),
            name: "job".into(),
            kind: RunKind::Command,
            command: vec!["true".into()],
            started_at: Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap(),
            site: crate::site::SiteCatalog::bundled()
                .unwrap()
                .get("FR")
                .unwrap()
                .record
                .clone(),
            host: HostInfo::default(),
            meter: MeterIdentity::default(),
            interval: Duration::from_secs(1),
            methods: BTreeMap::new(),
            tags: BTreeMap::new(),
            hourly_rate: None,
        }
    }

    #[test]
    fn starts_and_ends_outside_their_bounds_are_refused_naming_the_field() {
        let s = start();
        s.validate().unwrap();
        let field = |e: CoreError| match e {
            CoreError::OutOfBounds(b) => b.field,
            CoreError::InvalidValue { what, .. } => what,
            CoreError::At { field, .. } => field,
            other => panic!("{other}"),
        };
        let mut bad = s.clone();
        bad.started_at = "9999-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(field(bad.validate().unwrap_err()), "start.started_at");
        let mut bad = s.clone();
        bad.site.intensity_g_per_kwh = 1e308;
        let e = bad.validate().unwrap_err();
        assert!(
            e.to_string().contains("carbon intensity of site 'FR'"),
            "{e}"
        );
        assert_eq!(field(e), "start.site");
        let mut bad = s.clone();
        bad.hourly_rate = Some((1e300, "USD".into()));
        assert_eq!(field(bad.validate().unwrap_err()), "start.hourly_rate");
        let mut bad = s.clone();
        bad.id = "../etc".into();
        assert_eq!(field(bad.validate().unwrap_err()), "start.id");

        let site = Site::from_record(s.site.clone()).unwrap();
        let energy = EnergyBreakdown::default();
        let end = RunEnd {
            run_id: s.id.clone(),
            ended_at: s.started_at + chrono::Duration::seconds(5),
            status: RunStatus::Succeeded,
            exit_code: Some(0),
            signal: None,
            duration: Duration::from_secs(5),
            cpu_time: Duration::from_secs(1),
            peak_rss_bytes: 1,
            impacts: Impacts::at_site(energy.total(), &site),
            embodied: None,
            energy,
            notes: vec![],
            outcomes: serde_json::json!({}),
        };
        end.validate(&s.started_at).unwrap();
        let mut bad = end.clone();
        bad.ended_at = "1970-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(
            field(bad.validate(&s.started_at).unwrap_err()),
            "end.ended_at"
        );
        let mut bad = end.clone();
        bad.ended_at = s.started_at - chrono::Duration::seconds(1);
        let e = bad.validate(&s.started_at).unwrap_err();
        assert!(e.to_string().contains("ends at or after it starts"), "{e}");
        let mut bad = end.clone();
        bad.duration = Duration::from_secs(10_000_000_000_000_000_000);
        assert_eq!(
            field(bad.validate(&s.started_at).unwrap_err()),
            "end.duration_s"
        );
        let mut bad = end.clone();
        bad.energy.gpu.energy = Energy::from_joules(1e308);
        assert_eq!(
            field(bad.validate(&s.started_at).unwrap_err()),
            "end.energy.gpu.energy_j"
        );
        let mut bad = end.clone();
        bad.impacts.co2e_location = crate::units::CarbonMass::from_grams(f64::INFINITY);
        assert_eq!(
            field(bad.validate(&s.started_at).unwrap_err()),
            "end.co2e_location_g"
        );
        let sample = Sample {
            seq: 0,
            at: end.ended_at,
            interval: Duration::from_secs(1),
            energy: EnergyBreakdown::default(),
            cpu_time: Duration::ZERO,
            rss_bytes: u64::MAX,
        };
        let e = sample.validate("samples[0]").unwrap_err();
        assert_eq!(e.field, "samples[0].rss_bytes");
    }
}
