//! Where and how Sustain meters and records, as the user set it: flags (given to [`Settings::load`]
//! and [`Settings::override_embodied`]), then environment variables (`SUSTAIN_*`), then the
//! config file (TOML, `docs/configuration.md`), then the documented defaults. The CLI and any
//! other front end (a node agent) load them here; [`Settings::setup`] gives the [`Setup`] of a
//! metered run.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use sustain_core::embodied::{HostEmbodied, ResourceShare};
use sustain_core::site::{DEFAULT_SITE_ID, SiteCatalog, SiteOverride};
use sustain_core::units::{Currency, HourlyRate, Power};

use crate::error::{MeterError, Result};
use crate::recording::Setup;
use crate::sampler::MeterConfig;

/// The config file, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Ledger path.
    pub ledger: Option<PathBuf>,
    /// Default site id.
    pub site: Option<String>,
    /// Default sampling interval, seconds.
    pub interval_s: Option<f64>,
    /// Meter settings.
    #[serde(default)]
    pub meter: MeterSection,
    /// Cost settings.
    #[serde(default)]
    pub cost: CostSection,
    /// Embodied-carbon settings of this machine.
    #[serde(default)]
    pub embodied: EmbodiedSection,
    /// Sites added or overridden.
    #[serde(default)]
    pub sites: Vec<SiteOverride>,
}

/// `[meter]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeterSection {
    /// TDP of all CPU packages, W (replaces the catalog's).
    pub cpu_tdp_w: Option<f64>,
    /// Memory model, W per GiB resident.
    pub ram_w_per_gib: Option<f64>,
    /// Use RAPL when readable (default true).
    pub rapl: Option<bool>,
    /// Use NVML when present (default true).
    pub gpu: Option<bool>,
}

/// `[cost]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostSection {
    /// Hardware rate per hour of run time (a rate card or an instance price).
    pub hourly_rate: Option<f64>,
    /// Its currency.
    pub currency: Option<String>,
}

/// `[embodied]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmbodiedSection {
    /// Embodied emissions of this machine without its GPUs, kgCO2e.
    pub host_kgco2e: Option<f64>,
    /// Its amortization lifetime, years.
    pub lifetime_years: Option<f64>,
    /// `used` (the run's share of the CPUs) or `whole` (the run has the machine to itself).
    pub share: Option<String>,
    /// Where the figures come from (a product carbon footprint sheet, an LCA).
    pub source: Option<String>,
}

/// Settings in effect.
pub struct Settings {
    /// Ledger file.
    pub ledger_path: PathBuf,
    /// Sites, bundled plus configured.
    pub sites: SiteCatalog,
    /// Site used when none is given.
    pub default_site: String,
    /// The site the config file names, if it names one.
    pub config_site: Option<String>,
    /// Default sampling interval.
    pub interval: Duration,
    /// Meter settings.
    pub meter: MeterConfig,
    /// Hardware-hour rate.
    pub hourly_rate: Option<HourlyRate>,
    /// Embodied-carbon figures of this machine, recorded in each run's start.
    pub host_embodied: HostEmbodied,
    /// The config file read, if any.
    pub config_path: Option<PathBuf>,
}

fn default_config_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "sustain").map(|d| d.config_dir().join("config.toml"))
}

/// The default ledger location: the user's data directory.
pub fn default_ledger_path() -> PathBuf {
    directories::ProjectDirs::from("", "", "sustain")
        .map(|d| d.data_dir().join("ledger.sqlite"))
        .unwrap_or_else(|| PathBuf::from("sustain-ledger.sqlite"))
}

fn read_config(path: &Path) -> Result<ConfigFile> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        MeterError::Config(format!("cannot read config file {}: {e}", path.display()))
    })?;
    toml::from_str(&text).map_err(|e| {
        MeterError::Config(format!(
            "config file {} is invalid: {}",
            path.display(),
            e.to_string().trim_end()
        ))
    })
}

fn env_f64(name: &str) -> Result<Option<f64>> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse::<f64>()
            .map(Some)
            .map_err(|_| MeterError::Config(format!("{name}={v:?} is not a number"))),
        _ => Ok(None),
    }
}

/// Parses an interval in seconds, 0.05 to 3600.
pub fn parse_interval(text: &str) -> Result<Duration> {
    let v: f64 = text.trim().parse().map_err(|_| {
        MeterError::Config(format!(
            "invalid interval {text:?}: expected a number of seconds between 0.05 and 3600, such as 1 or 0.5"
        ))
    })?;
    if !(v.is_finite() && (0.05..=3600.0).contains(&v)) {
        return Err(MeterError::Config(format!(
            "invalid interval {text}: expected a number of seconds between 0.05 and 3600"
        )));
    }
    Ok(Duration::from_secs_f64(v))
}

impl Settings {
    /// Loads the settings: `config` and `ledger` are what flags or environment gave.
    pub fn load(config: Option<&Path>, ledger: Option<&Path>) -> Result<Self> {
        let (file, config_path) = match config {
            Some(p) => (read_config(p)?, Some(p.to_path_buf())),
            None => match default_config_path().filter(|p| p.exists()) {
                Some(p) => (read_config(&p)?, Some(p)),
                None => (ConfigFile::default(), None),
            },
        };
        let in_file = |what: &str| match &config_path {
            Some(p) => format!("{what} in {}", p.display()),
            None => what.to_string(),
        };

        let mut sites = SiteCatalog::bundled()
            .map_err(|e| MeterError::Config(format!("bundled site catalog: {e}")))?;
        for o in &file.sites {
            sites
                .apply(o)
                .map_err(|e| MeterError::Config(format!("{}: {e}", in_file("[[sites]]"))))?;
        }
        let config_site = file.site.clone();
        let default_site = config_site
            .clone()
            .unwrap_or_else(|| DEFAULT_SITE_ID.into());

        let interval = match file.interval_s {
            Some(v) => parse_interval(&v.to_string())
                .map_err(|e| MeterError::Config(format!("{}: {e}", in_file("interval_s"))))?,
            None => Duration::from_secs(1),
        };

        let cpu_tdp_w = env_f64("SUSTAIN_CPU_TDP_W")?.or(file.meter.cpu_tdp_w);
        let cpu_tdp = match cpu_tdp_w {
            Some(w) => Some(Power::from_watts(
                sustain_core::bounds::CPU_POWER_W
                    .check("CPU TDP (SUSTAIN_CPU_TDP_W or meter.cpu_tdp_w)", w)
                    .map_err(|e| MeterError::Config(e.to_string()))?,
            )),
            None => None,
        };
        let mut meter = MeterConfig {
            cpu_tdp,
            ..MeterConfig::default()
        };
        if let Some(w) = env_f64("SUSTAIN_RAM_W_PER_GIB")?.or(file.meter.ram_w_per_gib) {
            sustain_core::bounds::MEMORY_POWER_W_PER_GIB
                .check(
                    "memory power (SUSTAIN_RAM_W_PER_GIB or meter.ram_w_per_gib)",
                    w,
                )
                .map_err(|e| MeterError::Config(e.to_string()))?;
            meter.ram_w_per_gib = w;
        }
        meter.use_rapl = file.meter.rapl.unwrap_or(true);
        meter.use_gpu = file.meter.gpu.unwrap_or(true);

        let hourly_rate = match (file.cost.hourly_rate, &file.cost.currency) {
            (Some(a), Some(c)) => Some(
                Currency::new(c)
                    .and_then(|c| {
                        sustain_core::bounds::HOURLY_RATE.check("hourly rate", a)?;
                        HourlyRate::per_hour(a, c)
                    })
                    .map_err(|e| MeterError::Config(format!("{}: {e}", in_file("[cost]"))))?,
            ),
            (Some(_), None) => {
                return Err(MeterError::Config(format!(
                    "{}: hourly_rate needs a currency, such as currency = \"USD\"",
                    in_file("[cost]")
                )));
            }
            (None, _) => None,
        };

        let host_embodied = embodied_settings(&file.embodied, &in_file("[embodied]"))?;

        let ledger_path = ledger
            .map(Path::to_path_buf)
            .or(file.ledger)
            .unwrap_or_else(default_ledger_path);

        Ok(Settings {
            ledger_path,
            sites,
            default_site,
            config_site,
            interval,
            meter,
            hourly_rate,
            host_embodied,
            config_path,
        })
    }

    /// Where and how a run at `site_id` is metered, from these settings.
    pub fn setup(&self, site_id: &str) -> Result<Setup, sustain_core::CoreError> {
        Ok(Setup {
            site: self.sites.get(site_id)?.clone(),
            host_embodied: self.host_embodied.clone(),
            hourly_rate: self.hourly_rate.clone(),
            interval: self.interval,
            meter: self.meter.clone(),
        })
    }

    /// Applies `sustain run`'s flags over the embodied settings.
    pub fn override_embodied(
        &mut self,
        host_kgco2e: Option<f64>,
        share: Option<ResourceShare>,
    ) -> Result<()> {
        if let Some(kg) = host_kgco2e {
            self.host_embodied.kgco2e = kg;
            self.host_embodied.source = "--host-embodied-kg".into();
        }
        if let Some(s) = share {
            self.host_embodied.share = s;
        }
        self.host_embodied
            .validate()
            .map_err(|e| MeterError::Config(format!("--host-embodied-kg: {e}")))
    }
}

/// The host's embodied figures: environment variables, then the config file's `[embodied]`,
/// then the documented defaults.
fn embodied_settings(file: &EmbodiedSection, place: &str) -> Result<HostEmbodied> {
    let mut h = HostEmbodied::default();
    let env_kg = env_f64("SUSTAIN_HOST_EMBODIED_KG")?;
    if let Some(kg) = env_kg.or(file.host_kgco2e) {
        h.kgco2e = kg;
        h.source = match (&env_kg, &file.source) {
            (Some(_), _) => "SUSTAIN_HOST_EMBODIED_KG".into(),
            (None, Some(s)) => s.clone(),
            (None, None) => place.to_string(),
        };
    }
    if let Some(y) = env_f64("SUSTAIN_HOST_LIFETIME_YEARS")?.or(file.lifetime_years) {
        h.lifetime_years = y;
    }
    let env_share = std::env::var("SUSTAIN_EMBODIED_SHARE")
        .ok()
        .filter(|v| !v.trim().is_empty());
    if let Some(s) = env_share.or(file.share.clone()) {
        h.share = ResourceShare::parse(&s).map_err(|e| {
            MeterError::Config(format!(
                "{e} (SUSTAIN_EMBODIED_SHARE or embodied.share in {place})"
            ))
        })?;
    }
    h.validate().map_err(|e| {
        MeterError::Config(format!(
            "{e} (SUSTAIN_HOST_EMBODIED_KG, SUSTAIN_HOST_LIFETIME_YEARS or {place})"
        ))
    })?;
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_are_validated() {
        assert_eq!(parse_interval("1").unwrap(), Duration::from_secs(1));
        assert_eq!(parse_interval("0.5").unwrap(), Duration::from_millis(500));
        for bad in ["0", "-1", "abc", "NaN", "inf", "4000", ""] {
            let e = parse_interval(bad).unwrap_err();
            assert!(
                e.to_string().contains("between 0.05 and 3600"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn config_file_sites_and_cost() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(
            &p,
            r#"
site = "paris-dc"
interval_s = 2
[meter]
cpu_tdp_w = 65
[cost]
hourly_rate = 1.5
currency = "EUR"
[[sites]]
id = "paris-dc"
base = "FR"
pue = 1.3
price_per_kwh = 0.2
currency = "EUR"
"#,
        )
        .unwrap();
        let s = Settings::load(Some(&p), Some(Path::new("/tmp/x.sqlite"))).unwrap();
        assert_eq!(s.default_site, "paris-dc");
        assert_eq!(s.sites.get("paris-dc").unwrap().pue.value(), 1.3);
        assert_eq!(s.interval, Duration::from_secs(2));
        assert_eq!(s.meter.cpu_tdp.unwrap().watts(), 65.0);
        assert_eq!(s.hourly_rate.unwrap().amount_per_hour(), 1.5);
        assert_eq!(s.ledger_path, PathBuf::from("/tmp/x.sqlite"));
    }

    #[test]
    fn config_typos_are_reported_with_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(&p, "sitee = \"FR\"\n").unwrap();
        let err = Settings::load(Some(&p), None).err().unwrap().to_string();
        assert!(err.contains("c.toml") && err.contains("sitee"), "{err}");
        let err = Settings::load(Some(&dir.path().join("missing.toml")), None)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("cannot read config file"), "{err}");
    }
}
