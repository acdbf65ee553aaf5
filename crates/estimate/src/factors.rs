//! Site factors for an estimate: from flags, else the site, else documented defaults.
//!
//! A grid region of the catalog is not a data centre (its PUE is 1 and its WUE 0 by
//! construction), so for those the estimator uses industry-average facility figures unless told
//! otherwise; cloud regions and user-defined sites bring their own.

use sustain_core::site::{DEFAULT_SITE_ID, Site, SiteCatalog};
use sustain_core::units::{CarbonIntensity, Currency, EnergyPrice, Pue, WaterIntensity};

use crate::error::{Result, invalid, non_negative};
use crate::inputs::{Inputs, Origin};

/// Average annual PUE of data centres: Uptime Institute Global Data Center Survey 2024.
pub const DEFAULT_PUE: f64 = 1.56;
/// Source of [`DEFAULT_PUE`].
pub const DEFAULT_PUE_SOURCE: &str =
    "Uptime Institute Global Data Center Survey 2024: industry-average annual PUE 1.56";
/// Average on-site water usage effectiveness: Shehabi et al., United States Data Center Energy
/// Usage Report, LBNL 2016.
pub const DEFAULT_WUE: f64 = 1.8;
/// Source of [`DEFAULT_WUE`].
pub const DEFAULT_WUE_SOURCE: &str = "Shehabi et al., United States Data Center Energy Usage Report (LBNL 2016): average WUE 1.8 L/kWh";

/// Site options as typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SiteOptions {
    /// Site id.
    pub site: Option<String>,
    /// Grid intensity, gCO2e/kWh.
    pub intensity: Option<f64>,
    /// Market-based factor, gCO2e/kWh.
    pub market_intensity: Option<f64>,
    /// PUE.
    pub pue: Option<f64>,
    /// On-site WUE, L/kWh.
    pub wue: Option<f64>,
}

/// The resolved factors.
#[derive(Debug, Clone)]
pub struct Factors {
    /// Location-based intensity.
    pub intensity: CarbonIntensity,
    /// Market-based factor.
    pub market: Option<CarbonIntensity>,
    /// PUE.
    pub pue: Pue,
    /// On-site WUE.
    pub wue: WaterIntensity,
    /// Offsite water per kWh of electricity.
    pub offsite_water: Option<WaterIntensity>,
    /// Electricity price of the site.
    pub price: Option<EnergyPrice>,
}

fn is_facility(site: &Site) -> bool {
    matches!(site.record.kind.as_str(), "cloud" | "custom")
}

impl SiteOptions {
    /// Resolves the factors, recording each input and the assumptions made.
    pub fn resolve(
        &self,
        sites: &SiteCatalog,
        inputs: &mut Inputs,
        assumptions: &mut Vec<String>,
    ) -> Result<Factors> {
        let site = match &self.site {
            Some(id) => Some(sites.get(id)?),
            None => None,
        };
        let site_src = |s: &Site, what: &str| format!("site {}: {what}", s.id());

        // Grid intensity.
        let intensity = match (self.intensity, site) {
            (Some(v), _) => {
                inputs.add("intensity", v, "gCO2e/kWh", Origin::Flag, "--intensity");
                CarbonIntensity::from_g_per_kwh(v)?
            }
            (None, Some(s)) => {
                inputs.add(
                    "intensity",
                    s.intensity.g_per_kwh(),
                    "gCO2e/kWh",
                    Origin::Site,
                    site_src(s, &s.record.source),
                );
                s.intensity
            }
            (None, None) => {
                let w = sites.get(DEFAULT_SITE_ID)?;
                assumptions.push(format!(
                    "no --site or --intensity: the world-average grid ({} gCO2e/kWh) is used",
                    w.intensity.g_per_kwh()
                ));
                inputs.add(
                    "intensity",
                    w.intensity.g_per_kwh(),
                    "gCO2e/kWh",
                    Origin::Default,
                    site_src(w, &w.record.source),
                );
                w.intensity
            }
        };

        // Market-based factor.
        let market = match (self.market_intensity, site) {
            (Some(v), _) => {
                inputs.add(
                    "market-intensity",
                    v,
                    "gCO2e/kWh",
                    Origin::Flag,
                    "--market-intensity",
                );
                Some(CarbonIntensity::from_g_per_kwh(v)?)
            }
            (None, Some(s)) if s.market_intensity.is_some() => {
                let m = s.market_intensity;
                inputs.add(
                    "market-intensity",
                    m.map(|m| m.g_per_kwh()),
                    "gCO2e/kWh",
                    Origin::Site,
                    site_src(s, &s.record.market_source),
                );
                m
            }
            (None, _) => {
                assumptions.push(
                    "market-based carbon unknown: no --market-intensity and no contractual factor for the site"
                        .into(),
                );
                None
            }
        };

        // PUE.
        let pue = match (self.pue, site) {
            (Some(v), _) => {
                inputs.add("pue", v, "", Origin::Flag, "--pue");
                Pue::new(v)?
            }
            (None, Some(s)) if is_facility(s) => {
                inputs.add(
                    "pue",
                    s.pue.value(),
                    "",
                    Origin::Site,
                    site_src(s, &s.record.pue_source),
                );
                s.pue
            }
            (None, s) => {
                if let Some(s) = s {
                    assumptions.push(format!(
                        "site {} is a grid region, not a data centre: the industry-average PUE {DEFAULT_PUE} is used (set --pue for your facility)",
                        s.id()
                    ));
                }
                inputs.add("pue", DEFAULT_PUE, "", Origin::Default, DEFAULT_PUE_SOURCE);
                Pue::new(DEFAULT_PUE)?
            }
        };

        // On-site water.
        let wue = match (self.wue, site) {
            (Some(v), _) => {
                inputs.add("wue", v, "L/kWh", Origin::Flag, "--wue");
                WaterIntensity::from_l_per_kwh(v)?
            }
            (None, Some(s)) if is_facility(s) && s.wue.l_per_kwh() > 0.0 => {
                inputs.add(
                    "wue",
                    s.wue.l_per_kwh(),
                    "L/kWh",
                    Origin::Site,
                    site_src(s, &s.record.wue_source),
                );
                s.wue
            }
            (None, _) => {
                inputs.add(
                    "wue",
                    DEFAULT_WUE,
                    "L/kWh",
                    Origin::Default,
                    DEFAULT_WUE_SOURCE,
                );
                WaterIntensity::from_l_per_kwh(DEFAULT_WUE)?
            }
        };

        let offsite_water = site.and_then(|s| s.offsite_water);
        match (offsite_water, site) {
            (Some(w), Some(s)) => inputs.add(
                "offsite-water",
                w.l_per_kwh(),
                "L/kWh",
                Origin::Site,
                site_src(s, &s.record.offsite_water_source),
            ),
            _ => assumptions.push(
                "water used to generate the electricity (offsite) is unknown for this site and not counted"
                    .into(),
            ),
        }
        let price = site.and_then(|s| s.price.clone());
        Ok(Factors {
            intensity,
            market,
            pue,
            wue,
            offsite_water,
            price,
        })
    }
}

/// Parses an optional currency code, default USD.
pub fn currency(code: Option<&str>) -> Result<Currency> {
    Ok(Currency::new(code.unwrap_or("USD"))?)
}

/// Validates an optional non-negative price.
pub fn price(v: Option<f64>) -> Result<Option<f64>> {
    v.map(|p| non_negative("price", p)).transpose()
}

/// Validates that a count is a whole number >= 1.
pub fn count(what: &str, v: f64) -> Result<u64> {
    if v.is_finite() && v >= 1.0 && v.fract() == 0.0 && v <= 1e9 {
        Ok(v as u64)
    } else {
        Err(invalid(what, v, "a whole number >= 1"))
    }
}
