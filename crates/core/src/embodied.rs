//! Embodied carbon of a run: the share of its hardware's manufacturing emissions that the run
//! used up, as the SCI specification allocates it (`M = TE x TS x RS`: total embodied
//! emissions, time share, resource share). The method is `docs/methods/embodied.md`; this module
//! is its only implementation.

use std::sync::OnceLock;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::bounds;
use crate::error::{CoreError, Result};
use crate::hardware::AcceleratorCatalog;
use crate::units::CarbonMass;

/// Hours in a year (365.25 days), as `sustain estimate` amortizes embodied carbon.
pub const HOURS_PER_YEAR: f64 = 8766.0;

/// Default embodied emissions of the host, kgCO2e: the server in the Green Software
/// Foundation's SCI Guide quick guide (a cloud host of an e2-standard-4 VM, looked up in an
/// embodied-carbon database).
pub const DEFAULT_HOST_KGCO2E: f64 = 1230.3;

/// Default host lifetime, years: the SCI Guide's average lifespan of a bare-metal server.
pub const DEFAULT_HOST_LIFETIME_YEARS: f64 = 4.0;

/// Where the default host figures come from.
pub const DEFAULT_HOST_SOURCE: &str = "default: Green Software Foundation SCI Guide, Quick Guide (server embodied 1,230.3 kgCO2e, lifespan 4 years)";

/// How much of the host a run is charged for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum ResourceShare {
    /// The share of the host's logical CPUs the run kept busy on average (its CPU time over
    /// wall time x logical CPUs): right on a shared machine.
    #[default]
    Used,
    /// The whole host: right when the run has the machine to itself (a reserved node).
    Whole,
}

impl std::str::FromStr for ResourceShare {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self> {
        ResourceShare::parse(s)
    }
}

impl ResourceShare {
    /// Parses `used` or `whole`.
    pub fn parse(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "used" => Ok(Self::Used),
            "whole" => Ok(Self::Whole),
            other => Err(CoreError::InvalidValue {
                what: "embodied resource share".into(),
                value: other.into(),
                expected:
                    "used (the run's share of the CPUs) or whole (the run has the host to itself)"
                        .into(),
            }),
        }
    }

    /// `used` or `whole`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Used => "used",
            Self::Whole => "whole",
        }
    }
}

/// The embodied-carbon figures of the machine a run executes on, recorded in the run's start
/// so that the figure at its end can be recomputed from the record alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HostEmbodied {
    /// Embodied emissions of the host without its accelerators (chassis, boards, CPUs,
    /// memory, storage), kgCO2e.
    pub kgco2e: f64,
    /// Amortization lifetime, years.
    pub lifetime_years: f64,
    /// How much of the host a run is charged for.
    #[serde(default)]
    pub share: ResourceShare,
    /// Where the figures come from.
    pub source: String,
}

impl Default for HostEmbodied {
    fn default() -> Self {
        Self {
            kgco2e: DEFAULT_HOST_KGCO2E,
            lifetime_years: DEFAULT_HOST_LIFETIME_YEARS,
            share: ResourceShare::Used,
            source: DEFAULT_HOST_SOURCE.into(),
        }
    }
}

impl HostEmbodied {
    /// Checks the figures against their plausible bounds: emissions
    /// ([`bounds::HOST_EMBODIED_KG`]) and lifetime ([`bounds::LIFETIME_YEARS`]).
    pub fn validate(&self) -> Result<()> {
        bounds::HOST_EMBODIED_KG.check("host embodied emissions", self.kgco2e)?;
        bounds::LIFETIME_YEARS.check("host lifetime", self.lifetime_years)?;
        Ok(())
    }
}

/// A run's embodied carbon and how it was obtained. Always modelled: no counter measures it.
#[derive(Debug, Clone, PartialEq)]
pub struct Embodied {
    /// Embodied carbon allocated to the run.
    pub co2e: CarbonMass,
    /// The terms, in words: each device's emissions, lifetime, time and share.
    pub method: String,
}

fn accelerators() -> Option<&'static AcceleratorCatalog> {
    static CATALOG: OnceLock<Option<AcceleratorCatalog>> = OnceLock::new();
    CATALOG
        .get_or_init(|| AcceleratorCatalog::bundled().ok())
        .as_ref()
}

/// The machine a run's embodied carbon is allocated from: its recorded figures (none in runs
/// recorded before Sustain kept them), its logical CPUs (0 when unknown) and its GPU names.
/// `crate::host::HostInfo::machine` gives it for a run's host.
#[derive(Debug, Clone, Copy)]
pub struct Machine<'a> {
    /// The host's embodied figures, if recorded.
    pub figures: Option<&'a HostEmbodied>,
    /// Logical CPUs (0: unknown).
    pub logical_cpus: u32,
    /// GPU names, matched against the accelerator catalog.
    pub gpus: &'a [String],
}

/// The embodied carbon of a run on `host` that lasted `duration`, used `cpu_time` and, when
/// `used_gpu`, the host's GPUs. `None` (with a note saying why) when the run's start recorded no
/// host figures. GPUs without a catalog figure are left out and named in a note.
pub fn for_run(
    host: Machine<'_>,
    duration: Duration,
    cpu_time: Duration,
    used_gpu: bool,
    notes: &mut Vec<String>,
) -> Option<Embodied> {
    let Some(h) = host.figures else {
        notes.push(
            "embodied carbon unknown: the run's start records no host embodied figure".into(),
        );
        return None;
    };
    if let Err(e) = h.validate() {
        notes.push(format!("embodied carbon unknown: {e}"));
        return None;
    }
    let hours = duration.as_secs_f64() / 3600.0;
    let share = match h.share {
        ResourceShare::Whole => 1.0,
        ResourceShare::Used if host.logical_cpus == 0 => {
            notes.push(
                "the host's CPU count is unknown: its whole embodied carbon is charged to the run"
                    .into(),
            );
            1.0
        }
        ResourceShare::Used if duration.is_zero() => 0.0,
        ResourceShare::Used => (cpu_time.as_secs_f64()
            / (duration.as_secs_f64() * f64::from(host.logical_cpus)))
        .clamp(0.0, 1.0),
    };
    let host_g = h.kgco2e * 1e3 * hours / (h.lifetime_years * HOURS_PER_YEAR) * share;
    let mut total = host_g;
    let mut method = format!(
        "host {} kgCO2e over {} y x {:.6} h x share {:.4} ({}; {})",
        h.kgco2e,
        h.lifetime_years,
        hours,
        share,
        h.share.as_str(),
        h.source
    );
    if used_gpu && !host.gpus.is_empty() {
        let mut missing = Vec::new();
        for name in host.gpus {
            let found = accelerators()
                .and_then(|c| c.match_name(name))
                .and_then(|d| Some((d, d.embodied()?, d.lifetime_years?)));
            match found {
                Some((d, m, years)) if years > 0.0 => {
                    total += m.grams() * hours / (years * HOURS_PER_YEAR);
                    method.push_str(&format!(
                        " + {} {} kgCO2e over {} y x {:.6} h ({})",
                        d.id,
                        m.kg(),
                        years,
                        hours,
                        d.embodied_method
                    ));
                }
                _ => missing.push(name.clone()),
            }
        }
        if !missing.is_empty() {
            notes.push(format!(
                "embodied carbon leaves out {}: the accelerator catalog has no embodied figure and lifetime for it",
                missing.join(", ")
            ));
            method.push_str(&format!(
                "; left out (no catalog figure): {}",
                missing.join(", ")
            ));
        }
    }
    Some(Embodied {
        co2e: CarbonMass::from_grams(total),
        method,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A test host: its figures and GPU names, kept alive for the borrow of [`Machine`].
    struct Host(u32, Vec<String>, Option<HostEmbodied>);

    impl Host {
        fn m(&self) -> Machine<'_> {
            Machine {
                figures: self.2.as_ref(),
                logical_cpus: self.0,
                gpus: &self.1,
            }
        }
    }

    fn host(cpus: u32, gpus: &[&str], share: ResourceShare) -> Host {
        Host(
            cpus,
            gpus.iter().map(|s| s.to_string()).collect(),
            Some(HostEmbodied {
                kgco2e: 876.6,
                lifetime_years: 1.0,
                share,
                source: "test".into(),
            }),
        )
    }

    #[test]
    fn host_share_is_cpu_time_over_capacity() {
        // 876.6 kg over 8,766 h is 100 g per hour; 2 h, 4 CPUs, 2 CPU-hours busy: share 0.25.
        let mut notes = Vec::new();
        let e = for_run(
            host(4, &[], ResourceShare::Used).m(),
            Duration::from_secs(7200),
            Duration::from_secs(7200),
            false,
            &mut notes,
        )
        .unwrap();
        assert!((e.co2e.grams() - 50.0).abs() < 1e-9, "{}", e.co2e.grams());
        assert!(notes.is_empty(), "{notes:?}");
        let whole = for_run(
            host(4, &[], ResourceShare::Whole).m(),
            Duration::from_secs(7200),
            Duration::from_secs(7200),
            false,
            &mut notes,
        )
        .unwrap();
        assert!((whole.co2e.grams() - 200.0).abs() < 1e-9);
    }

    #[test]
    fn share_never_exceeds_the_host() {
        let mut notes = Vec::new();
        let e = for_run(
            host(2, &[], ResourceShare::Used).m(),
            Duration::from_secs(3600),
            Duration::from_secs(3 * 3600),
            false,
            &mut notes,
        )
        .unwrap();
        assert!((e.co2e.grams() - 100.0).abs() < 1e-9);
    }

    #[test]
    fn gpus_come_from_the_catalog_and_unknown_ones_are_named() {
        let cat = AcceleratorCatalog::bundled().unwrap();
        let a100 = cat.get("a100-40gb").unwrap();
        let per_hour =
            a100.embodied().unwrap().grams() / (a100.lifetime_years.unwrap() * HOURS_PER_YEAR);
        let mut notes = Vec::new();
        let e = for_run(
            host(
                4,
                &["NVIDIA A100-SXM4-40GB", "Mystery GPU 9000"],
                ResourceShare::Whole,
            )
            .m(),
            Duration::from_secs(3600),
            Duration::ZERO,
            true,
            &mut notes,
        )
        .unwrap();
        assert!((e.co2e.grams() - (100.0 + per_hour)).abs() < 1e-9);
        assert!(e.method.contains("a100-40gb"), "{}", e.method);
        assert!(
            notes.iter().any(|n| n.contains("Mystery GPU 9000")),
            "{notes:?}"
        );
        // A run that did not use the GPUs is not charged for them.
        let cpu_only = for_run(
            host(4, &["NVIDIA A100-SXM4-40GB"], ResourceShare::Whole).m(),
            Duration::from_secs(3600),
            Duration::ZERO,
            false,
            &mut Vec::new(),
        )
        .unwrap();
        assert!((cpu_only.co2e.grams() - 100.0).abs() < 1e-9);
    }

    #[test]
    fn unknown_host_figures_give_no_figure_and_say_why() {
        let mut notes = Vec::new();
        let h = Host(4, vec![], None);
        assert!(
            for_run(
                h.m(),
                Duration::from_secs(1),
                Duration::ZERO,
                false,
                &mut notes
            )
            .is_none()
        );
        assert!(notes[0].contains("no host embodied figure"));
    }

    #[test]
    fn bad_figures_are_rejected() {
        for (kg, years) in [
            (-1.0, 4.0),
            (f64::NAN, 4.0),
            (100.0, 0.0),
            (100.0, f64::INFINITY),
        ] {
            let h = HostEmbodied {
                kgco2e: kg,
                lifetime_years: years,
                ..Default::default()
            };
            assert!(h.validate().is_err(), "{kg} {years}");
        }
        assert!(ResourceShare::parse("half").is_err());
        assert_eq!(ResourceShare::parse("Whole").unwrap(), ResourceShare::Whole);
    }
}
